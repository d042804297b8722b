"""Brouillons: a letter not sent is kept in the profile, listed in the Brouillons folder (recipients, subject, date
saved), reopened in the composer by Enter, and gone from the folder once sent; over the fake and over a real
profile sending through the suite's Postfix and Dovecot."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static, TextArea

from core.mail.account import Account
from core.mailroom import Mailroom
from core.model import DRAFTS_FOLDER, Attachment, Draft
from tests.tui.conftest import delivered as _delivered
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import until
from tui.app import MissiveApp
from tui.panes.confirm import ConfirmScreen
from tui.widgets.message_list import MessageList

PASS = "correct horse battery staple"


def folder_ids(app: MissiveApp) -> list[str]:
    return [o.id for o in app.screen.query_one("#folders", OptionList).options]


def list_lines(app: MissiveApp) -> list[str]:
    msg_list = app.screen.query_one(MessageList)
    return [msg_list.render_line(y).text for y in range(len(msg_list.rows))]


async def open_drafts_folder(app: MissiveApp, pilot) -> None:
    await until(pilot, lambda: DRAFTS_FOLDER in folder_ids(app), "Brouillons listed", 60)
    await pilot.press("f6", "end", "enter")
    await until(pilot, lambda: app.screen.query_one(MessageList).border_title == "Brouillons", "Brouillons open")


async def test_drafts_are_listed_reopened_and_leave_the_folder_when_sent(mailroom: FakeMailroom) -> None:
    mailroom.save_draft(
        Draft(to=("claire.martin@chu-test.mssante.fr",), subject="Avis cardio", body="Chère consœur,\n",
              attachments=(Attachment("ecg.txt", "text/plain", b"rythme sinusal"),))
    )  # fmt: skip
    mailroom.save_draft(Draft(to=(), subject="Sans destinataire", body="à finir"))
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert folder_ids(app)[-1] == DRAFTS_FOLDER
        await open_drafts_folder(app, pilot)
        await settle(app, pilot)
        assert app.screen.query_one(MessageList).border_subtitle == "2 brouillons"
        lines = list_lines(app)  # most recently saved first: to whom, the subject, the date saved
        assert "(sans dest" in lines[0] and "Sans destinataire" in lines[0]
        assert "→ claire.mar" in lines[1] and "Avis cardio" in lines[1] and "02/06/25" in lines[1]
        assert lines[1][3] == "+"  # a file goes with it
        await pilot.press("j", "r")  # r on a draft says how to take it up again, opens nothing
        await settle(app, pilot)
        assert any("Entrée le reprend" in str(n.message) for n in app._notifications)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-to", Input).value == "claire.martin@chu-test.mssante.fr"
        assert app.screen.query_one("#compose-subject", Input).value == "Avis cardio"
        assert app.screen.query_one("#compose-body", TextArea).text == "Chère consœur,\n"
        assert "+ ecg.txt" in str(app.screen.query_one("#compose-attachments", Static).render())
        await pilot.press(*"Merci.", "ctrl+s")
        await settle(app, pilot)
        assert [d.subject for d in mailroom.sent] == ["Avis cardio"]
        assert mailroom.sent[0].attachments[0].data == b"rythme sinusal"
        assert [d.draft.subject for d in mailroom.drafts()] == ["Sans destinataire"]
        await pilot.press("f2")
        await settle(app, pilot)
        assert [s.subject for s in app.screen.query_one(MessageList).rows] == ["Sans destinataire"]
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("f8", "o")  # thrown away: the folder goes, the list is Réception again
        await settle(app, pilot)
        assert mailroom.drafts() == []
        await pilot.press("f2")
        await settle(app, pilot)
        assert DRAFTS_FOLDER not in folder_ids(app)
        assert app.screen.query_one(MessageList).border_title == "Réception"


async def test_another_letter_being_written_is_kept_before_a_draft_is_reopened(mailroom: FakeMailroom) -> None:
    kept = mailroom.save_draft(Draft(to=("claire.martin@chu-test.mssante.fr",), subject="Ancien", body="x"))
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("c", *"dr.durand@chu-test.mssante.fr", "tab", "tab", *"Nouveau", "escape")
        await settle(app, pilot)
        await open_drafts_folder(app, pilot)
        await settle(app, pilot)
        assert sorted(s.subject for s in app.screen.query_one(MessageList).rows) == ["Ancien", "Nouveau"]
        app.screen.query_one(MessageList).cursor = next(
            i for i, s in enumerate(app.screen.query_one(MessageList).rows) if s.id == kept
        )
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Une lettre est en cours" in str(app.screen.query_one("#confirm-question", Static).render())
        await pilot.press("o")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-subject", Input).value == "Ancien"
        assert sorted(d.draft.subject for d in mailroom.drafts()) == ["Ancien", "Nouveau"]  # nothing lost


# -- a real profile, quit and restarted, the letter sent through the suite's Postfix ------------------------------


@pytest.mark.servers
async def test_a_draft_survives_quitting_and_is_reopened_and_sent_for_real(mail_servers, tmp_path: Path) -> None:
    sender, colleague = mail_servers.add_user("drafts"), mail_servers.add_user("colleague")
    profile = tmp_path / "profile"
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace("allow = []", f'allow = ["{mail_servers.domain}"]', 1), "utf-8"
    )
    mr = Mailroom.open(profile, PASS)
    mr.accounts.add(
        Account(
            name="cabinet", email=sender, imap_host="127.0.0.1", imap_port=mail_servers.imap_port,
            smtp_host="127.0.0.1", smtp_port=mail_servers.submission_port, user=sender,
            password=mail_servers.password, ca_file=str(mail_servers.ca_file),
        )
    )  # fmt: skip
    mr.close()
    letter = tmp_path / "bilan.txt"
    letter.write_text("Bilan joint : HbA1c 7,2 %\n", "utf-8")

    first = MissiveApp(profile, passphrase=PASS)
    async with first.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: first._painted, "the inbox painted", 90)
        await pilot.press("c", *colleague, "tab", "tab", *"Suivi diabète", "tab", *"Chère consœur,")
        await pilot.press("ctrl+o", *str(letter), "enter")
        await until(pilot, lambda: "bilan.txt" in str(first.screen.query_one("#compose-attachments", Static).render()),
                    "the file attached")  # fmt: skip
        await pilot.press("ctrl+q")
        await until(pilot, lambda: bool(first.screen.query("#confirm-question")), "the question")
        assert "pas envoyée" in str(first.screen.query_one("#confirm-question", Static).render())
        await pilot.press("o")
    assert first.return_code == 0
    first.mailroom.close()

    second = MissiveApp(profile, passphrase=PASS)  # a new start on the same profile, the passphrase typed again
    async with second.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: second._painted, "the inbox painted", 90)
        await open_drafts_folder(second, pilot)
        await until(pilot, lambda: len(second.screen.query_one(MessageList).rows) == 1, "the draft listed")
        [row] = list_lines(second)
        assert f"→ {colleague}"[:10] in row and "Suivi diabète" in row
        await pilot.press("enter")
        await until(pilot, lambda: second.screen.query_one("#compose-subject", Input).value == "Suivi diabète",
                    "the draft reopened")  # fmt: skip
        assert second.screen.query_one("#compose-to", Input).value == colleague
        assert second.screen.query_one("#compose-body", TextArea).text == "Chère consœur,"
        assert "+ bilan.txt" in str(second.screen.query_one("#compose-attachments", Static).render())
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("confiée" in str(n.message) for n in second._notifications), "sent", 60)
        delivered = message_from_bytes(_delivered(mail_servers.maildir_of(colleague), b"bilan.txt"), policy=default)
        assert delivered["Subject"] == "Suivi diabète"
        assert "Chère consœur," in delivered.get_body(("plain",)).get_content()
        [attached] = list(delivered.iter_attachments())
        assert attached.get_filename() == "bilan.txt" and "HbA1c 7,2 %" in attached.get_content()
        await pilot.press("f2")
        await until(pilot, lambda: DRAFTS_FOLDER not in folder_ids(second), "Brouillons gone", 60)
        assert second.screen.query_one(MessageList).border_title == "Réception"
        assert second.mailroom.drafts() == []
        await pilot.press("ctrl+q")
    second.mailroom.close()


async def test_a_letter_erased_to_nothing_leaves_no_draft_behind(mailroom: FakeMailroom) -> None:
    """Typed, kept as a draft, then erased: Brouillons must not bring back the words the doctor erased."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("c", *"1ggf")  # a stray burst typed into To
        await settle(app, pilot)
        from tui.panes.compose import ComposePane

        composer = app.screen.query_one(ComposePane)
        composer.keep_draft_now()  # what the typing pause does
        await settle(app, pilot)
        assert [d.draft.to for d in mailroom.saved_drafts.values()] == [("1ggf",)]
        await pilot.press("ctrl+u")  # erased
        await settle(app, pilot)
        assert app.screen.query_one("#compose-to", Input).value == ""
        composer.keep_draft_now()
        await settle(app, pilot)
        assert mailroom.saved_drafts == {}
        assert DRAFTS_FOLDER not in folder_ids(app)


async def test_a_draft_keeps_its_end_of_conversation(mailroom: FakeMailroom) -> None:
    """ctrl+t (X-MSS-MES: FIN, the patient cannot answer) is part of the letter: a draft reopened comes back with
    it, and one without it does not take the previous letter's; toggled just before Échap, it is kept too."""
    patient = "jeanne.dupont@patient.mssante.fr"
    with_end = mailroom.save_draft(Draft(to=(patient,), subject="Fin", body="x", end_conversation=True))
    without = mailroom.save_draft(Draft(to=(patient,), subject="Suite", body="y"))
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_drafts_folder(app, pilot)
        await settle(app, pilot)
        for draft_id, end in ((with_end, True), (without, False), (with_end, True)):
            msg_list = app.screen.query_one(MessageList)
            msg_list.cursor = next(i for i, s in enumerate(msg_list.rows) if s.id == draft_id)
            await pilot.press("enter")
            await settle(app, pilot)
            if isinstance(app.screen, ConfirmScreen):  # the letter left open is kept, this one taken up
                await pilot.press("o")
                await settle(app, pilot)
            assert app.screen.query_one("#compose").end_conversation is end, draft_id
            assert ("Fin de la conversation" in str(app.screen.query_one("#compose-recipients").render())) is end
            await pilot.press("escape")
            await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        msg_list.cursor = next(i for i, s in enumerate(msg_list.rows) if s.id == without)
        await pilot.press("enter")
        await settle(app, pilot)
        if isinstance(app.screen, ConfirmScreen):
            await pilot.press("o")
            await settle(app, pilot)
        pane = app.screen.query_one("#compose")
        await until(pilot, lambda: pane._draft_timer is None, "nothing waiting to be saved")
        await pilot.press("ctrl+t", "escape")  # toggled, then left at once
        await settle(app, pilot)
        assert mailroom.draft(without).draft.end_conversation is True
