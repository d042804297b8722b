"""Envoyés: each sent letter shows what became of it (remis, lu, non remise) in a status column and in the reader."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.mail.receipts import RecipientReport, Report, SentLetters
from core.model import MessageSummary
from tests.filing.fakes import MemoryProfile
from tests.tui.conftest import settle
from tests.tui.fakes import BASE, DOCTOR, FakeMailroom, plain_message
from tests.tui.test_flows import text_of
from tui.app import MissiveApp
from tui.panes.inbox import InboxPane
from tui.widgets.message_list import MessageList

COLLEAGUE, OTHER = "dr.durand@chu-test.mssante.fr", "dr.petit@chu-test.mssante.fr"


def with_a_sent_letter(mailroom: FakeMailroom, tmp_path: Path) -> FakeMailroom:
    letters = SentLetters(MemoryProfile(tmp_path / "p"))
    letters.record("<sent-1@test>", "cabinet", [COLLEAGUE, OTHER], "Adressage", at=BASE)
    read_at = BASE + dt.timedelta(hours=2)
    letters.apply(Report("mdn", "<sent-1@test>", (RecipientReport(COLLEAGUE, "read", read_at),)))
    letters.apply(
        Report("dsn", "<sent-1@test>", (RecipientReport(OTHER, "failed", BASE, "550 5.1.1 inconnu"),))
    )
    mailroom.sent_letters = letters
    raw = plain_message(DOCTOR, "Adressage", BASE, "Cher confrère,\n")
    mailroom.messages.raw["m-sent"] = raw
    mailroom.messages.items["m-sent"] = MessageSummary(
        "m-sent", "cabinet", "Sent", 1, "<sent-1@test>", DOCTOR, (COLLEAGUE, OTHER), "Adressage", BASE,
        flags=("\\Seen",),
    )  # fmt: skip
    return mailroom


async def test_sent_letters_show_their_receipts(mailroom: FakeMailroom, tmp_path: Path) -> None:
    with_a_sent_letter(mailroom, tmp_path)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        pane = app.screen.query_one(InboxPane)
        pane.folder = "Sent"
        pane.reload()
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        (row,) = msg_list.rows
        line = msg_list._render_row(row, 110, False).text
        assert COLLEAGUE[:10] in line and "non remise 1 · lu" in line  # to whom, and the status column
        await pilot.press("enter")
        await settle(app, pilot)
        shown = text_of(app, "#reader-signature")
        local = (BASE + dt.timedelta(hours=2)).astimezone().strftime("%d/%m/%Y %H:%M")
        assert f"Accusé : {COLLEAGUE} — lu le {local}" in shown
        assert f"Accusé : {OTHER} — non remise : cette adresse n'existe pas chez le destinataire" in shown


async def test_a_read_receipt_request_is_answered_only_when_the_doctor_presses_a(
    mailroom: FakeMailroom,
) -> None:
    from types import SimpleNamespace

    asked: list[str] = []
    mailroom.read_receipt_prompt = lambda mid, actor=None: "" if asked else "dr.durand@chu-test.mssante.fr"

    async def answer(mid: str, actor: str | None = None):
        asked.append(mid)
        return SimpleNamespace(outcome="sent")

    mailroom.answer_read_receipt = answer
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        shown = text_of(app, "#reader-signature")
        assert "demande un accusé de lecture (à dr.durand@chu-test.mssante.fr) : a pour l'envoyer" in shown
        assert asked == []  # opening the letter sent nothing
        await pilot.press("a")
        await settle(app, pilot)
        assert len(asked) == 1
        assert any("Accusé de lecture envoyé" in n.message for n in app._notifications)
        shown = text_of(app, "#reader-signature")
        assert "demande un accusé de lecture" not in shown


async def test_an_undelivered_letter_is_counted_beside_envoyes(mailroom: FakeMailroom, tmp_path: Path) -> None:
    """The folder list says at once that a letter was not delivered: ✗1 beside Envoyés (the core's count)."""
    from textual.widgets import OptionList

    with_a_sent_letter(mailroom, tmp_path)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        folders = app.screen.query_one("#folders", OptionList)
        prompts = {o.id: str(o.prompt) for o in folders.options if o.id is not None}
        assert prompts["Sent"].startswith("Envoyés") and prompts["Sent"].endswith("✗1")
        assert len(prompts["Sent"]) <= 15
        mailroom.sent_letters.failure_seen("<sent-1@test>")  # the core's decision when she opens it
        app.screen.query_one(InboxPane).load_folder_counts()
        await settle(app, pilot)
        prompts = {o.id: str(o.prompt) for o in folders.options if o.id is not None}
        assert "✗" not in prompts["Sent"]


async def test_a_sent_folder_of_another_name_names_the_recipients(mailroom: FakeMailroom) -> None:
    """Which folder holds the sent letters is the core's say (the server's \\Sent mark, 'Courrier parti'), not
    the folder's name: its list names to whom each letter went, even one sent from the webmail (no receipt)."""
    mailroom.sent_folders = frozenset({"Courrier parti"})
    raw = plain_message(DOCTOR, "Adressage", BASE, "Cher confrère,\n")
    mailroom.messages.raw["m-web"] = raw
    mailroom.messages.items["m-web"] = MessageSummary(
        "m-web", "cabinet", "Courrier parti", 1, "<web-1@test>", DOCTOR, (COLLEAGUE,), "Adressage", BASE,
        flags=("\\Seen",),
    )  # fmt: skip
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        pane = app.screen.query_one(InboxPane)
        pane.folder = "Courrier parti"
        pane.reload()
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        (row,) = msg_list.rows
        line = msg_list._render_row(row, 110, False).text
        assert f"→ {COLLEAGUE[:10]}" in line and DOCTOR[:10] not in line
