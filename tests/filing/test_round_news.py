"""A sync round's news in one line, the core's words, counts only: the app shows it as one toast instead of one
per event (tests/tui/test_round_toast.py). New letters from inside the trust space, results filed without a
click (at the letter's arrival), documents waiting for a person (a result from outside the trust space: kept in
Quarantaine, not news, but its document waits in À classer)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.events import MailroomEvent, RoundNews
from core.mailroom import round_news
from tests.filing.test_mail_to_filing import letter, synced_practice


def _plain(number: int) -> bytes:
    return (
        f"From: labo@labo-ormes.mssante.fr\r\nTo: dr@cabinet.mssante.fr\r\nSubject: Rendez-vous\r\n"
        f"Message-ID: <p{number}@exemple>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n"
    ).encode()


def test_a_sync_round_says_its_news_once_in_one_line(tmp_path: Path) -> None:
    mr, lgc = synced_practice(tmp_path, {})
    events: list[MailroomEvent] = []
    mr.subscribe(events.append)
    new = tmp_path / "Maildir" / "new"
    (new / "1.lab").write_bytes(letter("labo@labo-ormes.mssante.fr", 1))  # filed for P-1
    (new / "2.outsider").write_bytes(letter("labo.ormes@gmail.example", 2))  # Quarantaine: to review, not news
    (new / "3.plain").write_bytes(_plain(3))
    (new / "4.plain").write_bytes(_plain(4))
    asyncio.run(mr.sync())
    states = sorted(d.state for d in mr.documents.list())
    assert states == ["filed", "waiting"] and len(list(lgc.iterdir())) == 1
    [said] = [e for e in events if isinstance(e, RoundNews)]
    assert (said.new, said.filed, said.review) == (3, 1, 1)
    assert said.message == "3 nouveaux messages, 1 résultat classé, 1 document à classer"
    for name in ("MÜLLER", "LEFÈVRE", "Jean-Pierre", "P-1", "Resultats", "Rendez-vous", "gmail"):
        assert name not in said.message  # counts only: no name, no subject, no id, no address
    # a round that brings nothing says nothing
    events.clear()
    asyncio.run(mr.sync())
    assert not [e for e in events if isinstance(e, RoundNews)]


def test_the_line_counts_in_french_and_english_and_leaves_out_what_is_zero() -> None:
    from core.text import set_language

    set_language("en")  # (the suite's autouse fixture sets French back after the test)
    assert round_news(1, 0, 0) == "1 new message"
    assert round_news(12, 3, 2) == "12 new messages, 3 results filed, 2 documents to file"
    set_language("fr")
    assert round_news(0, 1, 0) == "1 résultat classé"
    assert round_news(2, 0, 1) == "2 nouveaux messages, 1 document à classer"
    assert round_news(0, 0, 0) == ""
