"""The app keeps a PSC account in sync; when the refresh token is gone it asks the phone again in the
background, shows the code to compare, and the inbox stays usable meanwhile."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.auth import psc
from core.mailroom import Mailroom
from tests.auth.test_psc_servers import _account
from tests.mail.helpers import letter
from tests.tui.test_flows import text_of, until
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList

pytestmark = pytest.mark.servers
PASS = "correct horse battery staple"


async def test_app_asks_the_phone_again_without_blocking_the_inbox(
    mail_servers, stand_in, tmp_path: Path
) -> None:
    national_id, address = mail_servers.add_psc_user()
    mail_servers.deliver(address, letter("Avant"))
    Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace('mode = "trust-space"', 'mode = "open"', 1), "utf-8"
    )
    mr = Mailroom.open(tmp_path / "profile", PASS)
    account = _account(mail_servers, national_id, address, name="cab")
    mr.accounts.add(account)
    await mr.psc_login("cab")
    await mr.sync("cab")
    stand_in.revoke_refresh_tokens()
    psc.sessions._tokens.clear()  # the app starts later: only the (now revoked) refresh token is left
    stand_in.phone, stand_in.request_lifetime = "never", 60

    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        messages = app.screen.query_one(MessageList)
        await until(pilot, lambda: len(messages.rows) == 1, "the cached inbox listed")

        def shown(words: str) -> bool:
            return any(words in str(n.message) for n in app._notifications)

        await until(
            pilot, lambda: shown("Validez la connexion sur votre application e-CPS : code"), "the code", 30
        )
        assert shown("connexion Pro Santé Connect nécessaire")
        assert stand_in.binding_messages[-1] in " ".join(str(n.message) for n in app._notifications)
        assert len(messages.rows) == 1  # the inbox is still there and usable
        mail_servers.deliver(address, letter("Après"))
        stand_in.phone = "approve"
        await until(pilot, lambda: len(messages.rows) == 2, "synced after the approval", 30)
        await until(pilot, lambda: "en ligne" in text_of(app, "#status-accounts"), "account online")
        assert shown("connecté à Pro Santé Connect")
        await pilot.press("ctrl+q")
