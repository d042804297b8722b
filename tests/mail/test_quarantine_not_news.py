"""A letter from outside the trust space goes to Quarantaine and is no news: no "nouveau message" toast, no
push "1 nouveau message sécurisé" to the doctor's phone (seen with `missive daemon`: an advert from a gmail.com
address rang the phone as a secure message, and the app announced a letter Réception did not show)."""

from __future__ import annotations

from pathlib import Path

from core.events import NewMail
from core.mail.account import Account
from core.mailroom import Mailroom
from core.model import QUARANTINE_FOLDER

PASS = "correct horse battery staple"


def _letter(sender: str, subject: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: dr@cabinet.mssante.fr\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '')}@x>\r\n\r\nBonjour.\r\n"
    ).encode()


async def test_a_strangers_letter_is_kept_in_quarantaine_and_not_announced(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    text = settings.read_text("utf-8").replace("allow = []", 'allow = ["labo.mssante.fr"]', 1)
    settings.write_text(text, "utf-8")
    mr = Mailroom.open(tmp_path / "profile", PASS)
    mr.accounts.add(Account(name="local", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(root)))
    news: list[int] = []
    mr.subscribe(lambda e: news.append(e.count) if isinstance(e, NewMail) else None)

    (root / "new" / "1.a").write_bytes(_letter("promo@gmail.com", "Offre speciale"))
    (root / "new" / "2.b").write_bytes(_letter("resultats@labo.mssante.fr", "Resultats"))
    [report] = await mr.sync("local")
    assert report.new == 2
    assert news == [1]  # the lab's letter only
    assert [s.subject for s in mr.summaries(QUARANTINE_FOLDER)] == ["Offre speciale"]  # kept, listed apart

    (root / "new" / "3.c").write_bytes(_letter("promo@gmail.com", "Relance"))
    await mr.sync("local")
    assert news == [1]  # a stranger's letter alone: nothing announced
