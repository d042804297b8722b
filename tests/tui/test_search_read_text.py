"""The inbox search finds a letter already opened by its text (blind to case and accents), never one not
opened; the words it keeps for that are encrypted in the profile like everything else, and never logged."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.tui.test_flows import text_of, until
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList

WORDS = ("hémoglobine", "hemoglobine", "HEMOGLOBINE", "HÉMOGLOBINE", "glyquee", "GLYQUEE")


def _clear_anywhere(folder: Path) -> list[str]:
    """The files under ``folder`` holding one of the letters' words in clear (UTF-8 or Latin-1, any case)."""
    found = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes().lower()
        for word in WORDS:
            if any(word.lower().encode(enc) in data for enc in ("utf-8", "latin-1")):
                found.append(f"{path.relative_to(folder)}: {word}")
    return found


async def test_a_letter_already_read_is_found_by_its_text_and_one_never_opened_is_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from core.mail.account import Account
    from core.mailroom import Mailroom
    from tests.tui.fakes import plain_message
    from tests.tui.test_read_audited import PASS

    caplog.set_level(logging.DEBUG)
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    when = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)
    bodies = {
        1: "Cher confrère,\nTaux d'hémoglobine à 9,8 g/dL, à contrôler.\n",
        2: "Cher confrère,\nHémoglobine glyquée à 7,1 %.\n",  # same word, never opened
    }
    for n, body in bodies.items():
        raw = plain_message(
            "dr.durand@chu-test.mssante.fr", f"Lettre {n}", when + dt.timedelta(hours=n), body
        )
        (root / "new" / f"{n}.mail").write_bytes(raw)
    Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace("allow = []", 'allow = ["*.mssante.fr"]', 1), "utf-8"
    )
    mr = Mailroom.open(tmp_path / "profile", PASS)
    mr.accounts.add(Account(name="cabinet", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(root)))
    await mr.sync()
    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        msg_list = app.screen.query_one(MessageList)
        rows = lambda: [s.subject for s in msg_list.rows]  # noqa: E731
        await until(pilot, lambda: rows() == ["Lettre 2", "Lettre 1"], "the inbox listed")
        await pilot.press("j", "enter")  # open Lettre 1 only
        await until(
            pilot, lambda: "Taux d" in text_of(app, "#reader-body"), "the letter"
        )
        await pilot.press("escape")  # back to the list
        await pilot.press("slash", *"hemoglobine")  # no accent, lower case
        await until(pilot, lambda: rows() == ["Lettre 1"], "the letter read found by its text")
        assert msg_list.border_subtitle == "1 trouvé(s)"
        search = app.screen.query_one("#inbox-search", Input)
        search.value = "GLYQUEE"  # only in the letter never opened
        await until(pilot, lambda: rows() == [], "nothing found")
        assert msg_list.border_subtitle == "aucun résultat pour « GLYQUEE »"
        search.value = ""
        await pilot.press("ctrl+q")
    assert not _clear_anywhere(tmp_path / "profile")  # the words are in the profile, encrypted
    assert set(mr.read_words_by_message()) == {
        m.message_id for m in mr.messages.list("INBOX") if m.subject == "Lettre 1"
    }
    logged = caplog.text.lower()
    assert not any(word.lower() in logged for word in WORDS)
