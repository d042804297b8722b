"""The app keeps a PSC account in sync; when the refresh token is gone it asks the phone again in the
background, shows the code to compare, and the inbox stays usable meanwhile."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.auth import psc
from core.events import MailroomEvent, PscLogin, SyncState
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


async def test_a_denied_relogin_is_asked_once_not_in_a_loop(
    mail_servers, stand_in, tmp_path: Path, monkeypatch
) -> None:
    import asyncio

    import core.mailroom

    # The ordinary reconnection backoff made short: were a refused login retried like a network failure,
    # the second request to the phone would come within the wait below.
    monkeypatch.setattr(core.mailroom, "RETRY_FIRST", 0.2)

    national_id, address = mail_servers.add_psc_user()
    mr = Mailroom.create(tmp_path / "profile", PASS)
    mr.accounts.add(_account(mail_servers, national_id, address, name="cab"))
    await mr.psc_login("cab")
    stand_in.revoke_refresh_tokens()
    psc.sessions._tokens.clear()
    stand_in.phone = "deny"
    requests_before = len(stand_in.binding_messages)
    events: list[MailroomEvent] = []
    mr.subscribe(events.append)
    stop = asyncio.Event()
    task = asyncio.create_task(mr.keep_synced("cab", stop))
    for _ in range(200):  # up to 20 s for the refusal to come back
        if any(isinstance(e, PscLogin) and e.state == "failed" for e in events):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(3)  # were it retrying, a second request would be on its way by now
    stop.set()
    await task
    failed = [e for e in events if isinstance(e, PscLogin) and e.state == "failed"]
    assert len(failed) == 1 and "connexion refusée sur l'application e-CPS" in failed[0].reason
    assert len(stand_in.binding_messages) - requests_before == 1  # one push to the phone, no storm
    assert [e.state for e in events if isinstance(e, SyncState)][-1] == "offline"
