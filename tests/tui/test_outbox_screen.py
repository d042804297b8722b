"""À envoyer (F7): the outbox's letters on screen at 80x24, each with its state and the core's reason, sent again,
withdrawn into Brouillons after a question, read read-only; over the fake and over a real profile whose letter the
suite's Postfix refuses, then one it could not reach sent once the account is fixed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from core.errors import KeptInOutbox
from core.mail.account import Account
from core.mailroom import Mailroom
from core.model import DRAFTS_FOLDER, Attachment, Draft
from tests.tui.conftest import delivered as _delivered
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import text_of, until
from tui.app import MissiveApp
from tui.panes.confirm import ConfirmScreen
from tui.panes.outbox import OutboxReader, OutboxScreen
from tui.widgets.status_bar import StatusBar

PASS = "correct horse battery staple"
COLLEAGUE = "claire.martin@chu-test.mssante.fr"


def detail(app: MissiveApp) -> str:
    return str(app.screen.query_one("#outbox-reason", Static).render())


def rows(app: MissiveApp) -> list[str]:
    options = app.screen.query_one("#outbox-letters", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_the_outbox_screen_shows_why_and_sends_withdraws_reads(mailroom: FakeMailroom) -> None:
    mailroom.refused = ("refuse@chu-test.mssante.fr",)
    refused = mailroom.queue_letter(
        Draft(to=("refuse@chu-test.mssante.fr",), subject="Avis cardio", body="Chère consœur,\n"),
        "554 5.7.1 <refuse@chu-test.mssante.fr>: Recipient address rejected: Access denied",
        failed=True,
    )
    mailroom.queue_letter(
        Draft(to=(COLLEAGUE,), subject="Compte rendu", body="Bien à vous\n"),
        "127.0.0.1:587 : connexion impossible (connexion refusée)",
    )
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "Envoi : 2 (F7)" in str(app.screen.query_one("#status-counts", Static).render())
        await pilot.press("f7")
        await settle(app, pilot)
        assert isinstance(app.screen, OutboxScreen)
        lines = rows(app)
        assert len(lines) == 2
        assert "✗ en échec" in lines[0] and "refuse@chu-test.mssante.fr · Avis cardio" in lines[0]
        assert "essais : 1" in lines[0] and "ne repart qu'à votre demande" in lines[0]
        assert "· en attente" in lines[1] and "Compte rendu" in lines[1]
        assert "Recipient address rejected" in detail(app) and "Raison :" in detail(app)
        await pilot.press("j")  # the second letter: its reason below the list
        await settle(app, pilot)
        assert "connexion impossible" in detail(app)
        await pilot.press("e")  # sent now: it leaves the list, audited as sent
        await settle(app, pilot)
        await until(pilot, lambda: len(rows(app)) == 1, "the letter sent leaves À envoyer")
        assert [d.subject for d in mailroom.sent] == ["Compte rendu"] and ("send", "o-2") in mailroom.audit
        await pilot.press("enter")  # read-only
        await settle(app, pilot)
        assert isinstance(app.screen, OutboxReader)
        assert "Chère consœur" in text_of(app, "#reader-body")
        assert ("read", refused) in mailroom.audit
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, OutboxScreen)
        await pilot.press("e")  # refused again: still there, still saying why
        await settle(app, pilot)
        assert len(rows(app)) == 1 and "Recipient address rejected" in detail(app)
        await pilot.press("b")  # to Brouillons: a question first; no says no
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Avis cardio" in str(app.screen.query_one("#confirm-question", Static).render())
        await pilot.press("n")
        await settle(app, pilot)
        assert len(mailroom.outbox) == 1 and mailroom.drafts() == []
        await pilot.press("b", "o")
        await settle(app, pilot)
        await until(pilot, lambda: app.screen.query_one("#outbox-empty").display, "the outbox says it is empty")
        assert [d.draft.subject for d in mailroom.drafts()] == ["Avis cardio"] and mailroom.outbox == []
        assert ("withdraw", refused) in mailroom.audit
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, OutboxScreen)
        assert "Envoi : 0" in str(app.screen.query_one("#status-counts", Static).render())


async def test_f2_from_the_outbox_goes_to_the_pane_and_the_status_count_opens_it(mailroom: FakeMailroom) -> None:
    mailroom.queue_letter(Draft(to=(COLLEAGUE,), subject="Avis", body="x"), "connexion impossible")
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.click("#status-counts")
        await settle(app, pilot)
        assert isinstance(app.screen, OutboxScreen)
        await pilot.press("f3")
        await settle(app, pilot)
        assert not isinstance(app.screen, OutboxScreen) and app.screen.query_one(StatusBar)


async def test_the_letter_read_in_the_outbox_offers_no_key_for_its_attachments(mailroom: FakeMailroom) -> None:
    """À envoyer's reader is read-only: its attachments' line said « s enregistrer, o ouvrir », Réception's keys,
    and s and o did nothing there (gp9 on the installed wheel). It names the files and their count alone."""
    pdf = Attachment("compte-rendu.pdf", "application/pdf", b"%PDF-1.4 ...")
    mailroom.queue_letter(Draft(to=(COLLEAGUE,), subject="Avis", body="Bien à vous\n", attachments=(pdf,)), "x")
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f7")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, OutboxReader)
        said = text_of(app, "#reader-attachments")
        assert "1 pièce(s) jointe(s)" in said and "compte-rendu.pdf" in said
        assert "enregistrer" not in said and "ouvrir" not in said


# -- a real profile: the suite's Postfix refuses one letter, another waits for a server it could not reach -------


@pytest.mark.servers
async def test_a_letter_postfix_refused_is_shown_with_its_reason_and_withdrawn_another_sent_once_fixed(
    mail_servers, tmp_path: Path
) -> None:
    from tests.servers.harness import REFUSED

    sender, colleague = mail_servers.add_user("outbox"), mail_servers.add_user("colleague")
    profile = tmp_path / "profile"
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace("allow = []", f'allow = ["{mail_servers.domain}"]', 1), "utf-8"
    )
    mr = Mailroom.open(profile, PASS)
    account = Account(
        name="cabinet", email=sender, imap_host="127.0.0.1", imap_port=mail_servers.imap_port,
        smtp_host="127.0.0.1", smtp_port=mail_servers.submission_port, user=sender,
        password=mail_servers.password, ca_file=str(mail_servers.ca_file),
    )  # fmt: skip
    mr.accounts.add(account)
    with pytest.raises(KeptInOutbox):  # refused for good by Postfix (554 5.7.1): kept, failed
        await mr.send(Draft(to=(REFUSED,), subject="Avis refusé", body="Chère consœur,\n"))
    mr.accounts.add(replace(account, smtp_port=1), replace=True)  # a wrong port: the server out of reach
    with pytest.raises(KeptInOutbox):
        await mr.send(Draft(to=(colleague,), subject="Compte rendu parti", body="Bien à vous,\n"))
    mr.close()

    app = MissiveApp(profile, passphrase=PASS)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app._painted, "the inbox painted", 90)
        await until(
            pilot, lambda: "(F7)" in str(app.screen.query_one("#status-counts", Static).render()), "the count", 30
        )
        await pilot.press("f7")
        await until(pilot, lambda: isinstance(app.screen, OutboxScreen) and len(rows(app)) == 2, "À envoyer", 30)
        first, second = rows(app)
        assert "✗ en échec" in first and f"{REFUSED} · Avis refusé" in first
        assert "· en attente" in second and "Compte rendu parti" in second
        said = detail(app)  # Postfix's own words, whole, below the list
        assert "554 5.7.1" in said and "Recipient address rejected" in said and REFUSED in said
        await pilot.press("j")
        await until(pilot, lambda: "connexion impossible" in detail(app), "the second letter's reason")
        mailroom = app.mailroom
        assert isinstance(mailroom, Mailroom)
        mailroom.accounts.add(account, replace=True)  # the account fixed (in the set-up, by the operator)
        await pilot.press("e")
        await until(pilot, lambda: len(rows(app)) == 1, "the letter sent leaves À envoyer", 60)
        raw = _delivered(mail_servers.maildir_of(colleague), b"Compte rendu parti")
        assert raw.count(b"Bien \xc3\xa0 vous") + raw.count(b"Bien =C3=A0 vous") == 1  # once
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("o")
        await until(pilot, lambda: app.screen.query_one("#outbox-empty").display, "the outbox empty", 30)
        [kept] = mailroom.drafts()
        assert (kept.draft.to, kept.draft.subject) == ((REFUSED,), "Avis refusé")
        assert "Chère consœur," in kept.draft.body
        actions = [r["action"] for r in mailroom.audit.records()]
        assert "withdraw" in actions and actions.count("send") == 1
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, OutboxScreen), "back")
        await pilot.press("f6", "end", "enter")  # Brouillons holds the letter withdrawn
        await until(pilot, lambda: DRAFTS_FOLDER in str(app.screen.query_one("#folders", OptionList).options[-1].id),
                    "Brouillons")  # fmt: skip
        await pilot.press("ctrl+q")
    app.mailroom.close()  # type: ignore[union-attr]


async def test_an_empty_outbox_offers_no_key_that_does_nothing(mailroom: FakeMailroom) -> None:
    """gp8: the empty À envoyer screen still offered « Entrée Lire e Envoyer b Retirer », which did nothing."""
    from tui.widgets.footer import KeyFooter

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f7")
        await until(pilot, lambda: isinstance(app.screen, OutboxScreen), "À envoyer")
        await until(pilot, lambda: app.screen.query_one("#outbox-empty").display, "the empty outbox said")
        await settle(app, pilot)
        keys = app.screen.query_one(KeyFooter).render_line(0).text
        assert "Retour" in keys and "Lire" not in keys and "Envoyer" not in keys and "Retirer" not in keys, keys

        # a letter arrives: its keys are offered again
        mailroom.queue_letter(Draft(to=(COLLEAGUE,), subject="Avis", body="x"), "connexion impossible")
        app.screen.reload()
        await until(pilot, lambda: bool(rows(app)), "the letter listed")
        await settle(app, pilot)
        keys = app.screen.query_one(KeyFooter).render_line(0).text
        assert "Lire" in keys and "Envoyer" in keys and "Retirer" in keys, keys
