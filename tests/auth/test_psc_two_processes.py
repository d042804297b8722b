"""Two processes of one profile renewing the same Pro Santé Connect login (the daemon and a `missive send`, the
app and the daemon). The provider hands a new refresh token at each renewal and refuses the old one: the
process that renewed second with the token it held met a refusal, took it for a revoked login, erased the
refresh token the other had just saved and asked the phone again."""

from __future__ import annotations

import asyncio

import pytest

from core.auth import psc
from core.mail.accounts import Accounts
from core.store.collection import MemoryCollection
from tests.auth.test_psc_servers import _account

pytestmark = pytest.mark.servers


def _process(accounts: Accounts) -> psc.PscSessions:
    """One process's sessions, writing to (and reading from) the profile's accounts as the façade wires them."""
    sessions = psc.PscSessions()
    sessions.save_refresh = accounts.set_refresh_token
    sessions.forget_refresh = accounts.forget_refresh_token
    return sessions


def test_a_refresh_token_renewed_by_another_process_is_not_erased(mail_servers, stand_in) -> None:
    national_id, address = mail_servers.add_psc_user()
    accounts = Accounts(MemoryCollection("accounts"))
    accounts.add(_account(mail_servers, national_id, address))
    name = address.split("@")[0]
    daemon, sender = _process(accounts), _process(accounts)
    stand_in.access_lifetime = 30  # shorter than the renewal margin: every use renews first
    asyncio.run(daemon.login(accounts.get(name), lambda _m: None))  # the daemon logs in: token R1 stored
    logins = stand_in.grants[psc.CIBA_GRANT]

    # `missive send` (another process) renews with the stored R1: R2 is stored, R1 is refused from now on
    assert asyncio.run(sender.access_token(accounts.get(name)))
    assert accounts.get(name).psc_refresh_token not in ("", None)
    # the daemon's own token lapses; it still holds R1
    token = asyncio.run(daemon.access_token(accounts.get(name)))

    assert token and stand_in.introspect(token)["active"] is True
    assert stand_in.grants[psc.CIBA_GRANT] == logins  # no new approval asked on the phone
    stored = accounts.get(name).psc_refresh_token
    assert stored, "the refresh token the other process saved was erased"
    # and the sending process renews again from what the daemon stored, still without the phone
    assert asyncio.run(sender.access_token(accounts.get(name)))
    assert stand_in.grants[psc.CIBA_GRANT] == logins and accounts.get(name).psc_refresh_token


def test_a_refresh_token_refused_for_good_is_still_forgotten(mail_servers, stand_in) -> None:
    national_id, address = mail_servers.add_psc_user()
    accounts = Accounts(MemoryCollection("accounts"))
    accounts.add(_account(mail_servers, national_id, address))
    name = address.split("@")[0]
    daemon = _process(accounts)
    stand_in.access_lifetime = 30
    asyncio.run(daemon.login(accounts.get(name), lambda _m: None))
    stand_in.revoke_refresh_tokens()
    with pytest.raises(psc.LoginRequired):
        asyncio.run(daemon.access_token(accounts.get(name)))
    assert accounts.get(name).psc_refresh_token == ""
    refreshes = stand_in.grants["refresh_token"]
    with pytest.raises(psc.LoginRequired):
        asyncio.run(daemon.access_token(accounts.get(name)))
    assert stand_in.grants["refresh_token"] == refreshes  # no storm against the provider
