"""A lab result delivered to the real Dovecot while the app runs: the app's background sync (IDLE) queues its
document, the core says NeedsReview, and À classer's list and the status bar's count change with no key pressed."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList

from core.mail.account import Account
from core.mailroom import Mailroom
from tests.tui.fakes import lab_message
from tests.tui.test_contract import PATIENTS
from tests.tui.test_flows import text_of, until
from tui.app import MissiveApp

pytestmark = pytest.mark.servers
PASS = "correct horse battery staple"


def review_rows(app: MissiveApp) -> list[str]:
    docs = app.screen.query_one("#review-docs", OptionList)
    return [str(docs.get_option_at_index(i).prompt) for i in range(docs.option_count)]


async def test_a_result_arriving_while_the_app_runs_shows_in_a_classer_without_a_key(
    mail_servers, tmp_path: Path
) -> None:
    address = mail_servers.add_user("review")
    profile = tmp_path / "profile"
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    text = settings.read_text("utf-8").replace("allow = []", 'allow = ["*.mssante.fr"]', 1)
    text = text.replace('folder = ""', f'folder = "{tmp_path / "lgc"}"', 1).replace("auto = true", "auto = false", 1)
    settings.write_text(text, "utf-8")  # documents wait for a person
    mr = Mailroom.open(profile, PASS)
    mr.patients.import_csv(PATIENTS.encode(), name="patients.csv")
    mr.accounts.add(
        Account(
            name="cabinet", email=address, imap_host="127.0.0.1", imap_port=mail_servers.imap_port,
            smtp_host="127.0.0.1", smtp_port=mail_servers.submission_port, user=address,
            password=mail_servers.password, ca_file=str(mail_servers.ca_file),
        )
    )  # fmt: skip
    mr.close()

    app = MissiveApp(profile, passphrase=PASS)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app._painted, "the inbox painted", 90)
        await until(pilot, lambda: "en ligne" in text_of(app, "#status-accounts"), "synced, waiting in IDLE", 60)
        await pilot.press("2")
        await until(pilot, lambda: app.screen.query_one("#review-empty").display, "À classer empty", 30)
        await until(pilot, lambda: "À classer : 0" in text_of(app, "#status-counts"), "the count read", 30)

        mail_servers.deliver(address, lab_message())  # Postfix's way in: LMTP to Dovecot; no key from here on

        await until(pilot, lambda: len(review_rows(app)) == 1, "the document listed in À classer", 60)
        assert "DUPONT Jeanne 14/03/1956" in review_rows(app)[0]
        assert "Résultats" in review_rows(app)[0] or "biologie" in review_rows(app)[0]
        await until(pilot, lambda: "À classer : 1" in text_of(app, "#status-counts"), "the count", 30)
        assert not app.screen.query_one("#review-empty").display
        assert any("à classer" in str(n.message).lower() for n in app._notifications)  # the toast, a count
        await pilot.press("ctrl+q")
    app.mailroom.close()
