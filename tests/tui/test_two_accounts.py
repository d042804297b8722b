"""Two accounts: each one's folders apart in the folder list (INBOX on top is both Réception together), and the
letter's From chosen in the composer (default: the account of the message answered, else the first), sent
through that account with its certificate; over the fake, then over the suite's Postfix and Dovecot."""

from __future__ import annotations

import dataclasses
import time
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs7
from textual.widgets import Input, OptionList, Select

from core.mail.account import Account
from core.mailroom import Mailroom
from core.model import INBOX, folder_key
from core.secure import certs
from tests.tui.conftest import delivered as _delivered
from tests.tui.conftest import settle
from tests.tui.fakes import BASE, DOCTOR, FakeMailroom, plain_message
from tests.tui.test_flows import until
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList

SECRETARIAT = "secretariat@cabinet.mssante.fr"
PASS = "correct horse battery staple"


def two_accounts(mailroom: FakeMailroom) -> FakeMailroom:
    mailroom.sending_accounts = [("cabinet", DOCTOR), ("secretariat", SECRETARIAT)]
    raw = plain_message("dr.petit@chu-test.mssante.fr", "Rendez-vous", BASE, "Bonjour,\n")
    mailroom.messages.add("m-sec", raw, "dr.petit@chu-test.mssante.fr", "Rendez-vous", BASE)
    mailroom.messages.items["m-sec"] = dataclasses.replace(
        mailroom.messages.items["m-sec"], account="secretariat"
    )
    return mailroom


def folder_lines(app: MissiveApp) -> list[tuple[str | None, str]]:
    folders = app.screen.query_one("#folders", OptionList)
    return [(o.id, str(o.prompt)) for o in folders.options]


async def test_each_account_has_its_folders_apart_and_a_reply_leaves_from_the_account_answered(
    mailroom: FakeMailroom,
) -> None:
    two_accounts(mailroom)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        lines = folder_lines(app)
        assert lines[0][0] == INBOX and lines[0][1].startswith("Réceptions ")  # every account's, with counts
        assert (None, "cabinet") in lines and (None, "secretariat") in lines  # a heading per account
        cabinet, secretariat = lines.index((None, "cabinet")), lines.index((None, "secretariat"))
        assert lines[cabinet + 1][0] == folder_key("cabinet", "INBOX")
        assert lines[cabinet + 1][1].startswith("  Réception ")
        assert lines[secretariat + 1][0] == folder_key("secretariat", "INBOX")
        assert lines[secretariat + 1][1].startswith("  Réception ") and lines[secretariat + 1][1].endswith("1/1")
        assert cabinet < secretariat
        # the secretariat's Réception lists its letter only
        app.screen.query_one("#folders", OptionList).focus()
        await pilot.pause()
        app.screen.query_one("#folders", OptionList).highlighted = secretariat + 1
        await pilot.press("enter")
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert [s.subject for s in msg_list.rows] == ["Rendez-vous"]
        assert msg_list.border_title == "secretariat · Réception"
        await pilot.press("r")  # a reply leaves from the account that received the letter
        await settle(app, pilot)
        choose = app.screen.query_one("#compose-from", Select)
        assert choose.value == "secretariat"
        assert app.screen.query_one("#compose-to", Input).value == "dr.petit@chu-test.mssante.fr"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(mailroom.sent) == 1, "the reply sent")
        assert mailroom.sent[0].account == "secretariat"


async def test_a_new_letter_leaves_from_the_first_account_unless_another_is_chosen(
    mailroom: FakeMailroom,
) -> None:
    two_accounts(mailroom)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        choose = app.screen.query_one("#compose-from", Select)
        assert choose.value == "cabinet" and choose.display
        await pilot.press(*"claire.martin@chu-test.mssante.fr", "tab", "tab", *"Avis", "tab", *"Bonjour")
        choose.focus()
        await pilot.press("enter", "down", "enter")  # open the list, the second account, take it
        await settle(app, pilot)
        assert choose.value == "secretariat"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(mailroom.sent) == 1, "the letter sent")
        assert mailroom.sent[0].account == "secretariat"


async def test_one_account_shows_no_from_row_and_no_account_headings(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert all(key is not None for key, _ in folder_lines(app))
        await pilot.press("c")
        await settle(app, pilot)
        assert not app.screen.query_one("#compose-from-row").display
        assert not app.screen.query("#compose-from")


# -- the real thing: two accounts on the suite's servers, the letter sent from the second ---------------------------


@pytest.mark.servers
async def test_two_real_accounts_folders_apart_and_the_letter_sent_from_the_second(
    mail_servers, tmp_path: Path
) -> None:
    from tests.secure.pki import make_ca, make_user

    first, second = mail_servers.add_user("premier"), mail_servers.add_user("second")
    colleague = mail_servers.add_user("confrere")
    profile = tmp_path / "profile"
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace("allow = []", f'allow = ["{mail_servers.domain}"]', 1), "utf-8"
    )
    mr = Mailroom.open(profile, PASS)
    root = make_ca("Test Root")
    first_id, second_id = make_user("Premier", [first], root), make_user("Second", [second], root)
    mr.keys.import_p12(first_id.p12(b"pw"), "pw")
    mr.keys.import_p12(second_id.p12(b"pw"), "pw")
    for name, address in (("cabinet", first), ("remplacant", second)):
        mr.accounts.add(
            Account(
                name=name, email=address, imap_host="127.0.0.1", imap_port=mail_servers.imap_port,
                smtp_host="127.0.0.1", smtp_port=mail_servers.submission_port, user=address,
                password=mail_servers.password, ca_file=str(mail_servers.ca_file),
            )
        )  # fmt: skip
    mr.close()
    # a letter waiting in each mailbox, so each account has its Réception
    for to in (first, second):
        mail_servers.deliver(to, plain_message(colleague, f"Pour {to.split('@')[0]}", BASE, "Bonjour\n"))

    app = MissiveApp(profile, passphrase=PASS)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app._painted, "the inbox painted", 90)

        def headings() -> list[str]:
            return [label for key, label in folder_lines(app) if key is None]

        await until(pilot, lambda: headings() == ["cabinet", "remplacant"], "both accounts listed apart", 90)
        assert folder_key("remplacant", "INBOX") in [key for key, _ in folder_lines(app)]
        await pilot.press("c")
        await until(pilot, lambda: bool(app.screen.query("#compose-from")), "the From choice", 30)
        choose = app.screen.query_one("#compose-from", Select)
        assert choose.value == "cabinet"
        choose.value = "remplacant"
        await pilot.pause()  # (no settle: the background sync's workers never complete)
        app.screen.query_one("#compose-to", Input).focus()
        await pilot.press(*colleague, "tab", "tab", *"Du remplaçant", "tab", *"Chère consœur,")
        await until(
            pilot, lambda: "partira" in str(app.screen.query_one("#compose-recipients").render()), "check"
        )
        assert "signée" in str(app.screen.query_one("#compose-recipients").render())  # the second's key signs
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("confiée" in str(n.message) for n in app._notifications), "sent", 60)
        await pilot.press("ctrl+q")
    app.mailroom.close()

    delivered = message_from_bytes(
        _delivered(mail_servers.maildir_of(colleague), b"rempla"), policy=default
    )
    assert second in delivered["From"] and first not in delivered["From"]
    assert delivered.get_content_type() == "multipart/signed"  # no certificate of the colleague: signed only
    signature = next(p for p in delivered.walk() if p.get_content_type() == "application/pkcs7-signature")
    signers = pkcs7.load_der_pkcs7_certificates(signature.get_payload(decode=True))
    assert [certs.emails(c) for c in signers] == [[second]]  # the second account's certificate signed it

    def copies(address: str) -> list[Path]:  # the letter in the account's own folders (Sent), not its INBOX
        return [p for p in mail_servers.maildir_of(address).glob(".*/*/*") if b"rempla" in p.read_bytes()]

    deadline = time.monotonic() + 60
    while not copies(second) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert copies(second) and not copies(first)  # filed in the second account's Sent through its IMAP
