"""Pro Santé Connect login (CIBA, poll mode) against the stand-in, with the tokens checked by the real Dovecot
(oauth2 passdb, introspection) for IMAP and by Postfix through that Dovecot for submission."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from core.auth import psc
from core.mail.account import Account
from tests.mail.helpers import letter
from tests.servers.harness import PSC_CLIENT_ID, PSC_CLIENT_SECRET, PSC_MTLS_CLIENT_ID, PSC_MTLS_PASSWORD

pytestmark = pytest.mark.servers


def _account(servers, national_id: str, address: str, **changes) -> Account:
    acc = Account(
        name=address.split("@")[0],
        email=address,
        imap_host=servers.host,
        imap_port=servers.imap_oauth_port,
        smtp_host=servers.host,
        smtp_port=servers.submission_oauth_port,
        user=address,
        ca_file=str(servers.ca_file),
        auth="psc",
        psc_issuer=servers.psc.issuer,
        psc_client_id=PSC_CLIENT_ID,
        psc_client_secret=PSC_CLIENT_SECRET,
        psc_ca_file=str(servers.ca_file),
        psc_login_hint=national_id,
    )
    return acc.with_changes(**changes) if changes else acc


@pytest.mark.parametrize("sasl", ["xoauth2", "oauthbearer"])
def test_account_add_logs_in_by_the_phone_then_syncs_and_sends(
    sasl, cli, psc_cli, mail_servers, stand_in, profile_dir
) -> None:
    national_id, address = mail_servers.add_psc_user()
    mail_servers.deliver(address, letter("Résultats PSC"))
    code, out, err = psc_cli("cab", national_id, address, "--sasl", sasl)
    assert code == 0, err
    code_line = out.splitlines()[0]
    assert code_line.startswith("Validez la connexion sur votre application e-CPS : code ")
    assert stand_in.binding_messages == [code_line.rsplit(" ", 1)[1]]  # the code the phone shows
    listed = json.loads(cli("account", "list", "--json")[1].splitlines()[0])
    assert listed["psc_logged_in"] is True and "psc_refresh_token" not in listed
    code, out, err = cli("sync")
    assert code == 0, err
    subjects = [json.loads(line)["subject"] for line in cli("messages", "list", "--json")[1].splitlines()]
    assert subjects == ["Résultats PSC"]
    assert f"method={sasl.upper()}" in mail_servers.log("oauth")

    # Submission: Postfix asks the same Dovecot, which asks the provider.
    from core.mail.smtp import submit

    account = _account(mail_servers, national_id, address, sasl=sasl)
    asyncio.run(psc.sessions.login(account, lambda _m: None))
    asyncio.run(submit(account, letter("Reponse par PSC"), address, [address]))
    assert _delivered(mail_servers.maildir_of(address), b"Subject: Reponse par PSC")


def _delivered(maildir: Path, needle: bytes) -> bool:
    """Postfix hands the letter to Dovecot a moment after accepting it: look for it for up to 20 s."""
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for sub in ("new", "cur"):
            if any(needle in p.read_bytes() for p in (maildir / sub).iterdir()):
                return True
        time.sleep(0.05)
    return False


def test_mutual_tls_client_authentication(mail_servers, stand_in, tmp_path: Path) -> None:
    import base64

    national_id, address = mail_servers.add_psc_user()
    account = _account(
        mail_servers,
        national_id,
        address,
        psc_client_id=PSC_MTLS_CLIENT_ID,
        psc_client_secret="",
        psc_client_p12=base64.b64encode(mail_servers.psc_client_p12).decode(),
        psc_client_p12_password=PSC_MTLS_PASSWORD,
    )
    shown: list[str] = []
    tokens = asyncio.run(psc.sessions.login(account, shown.append))
    assert tokens.refresh_token and shown[0].startswith("Validez la connexion")

    from core.mail.imap import ImapClient

    async def folders() -> list[str]:
        async with ImapClient(account) as imap:
            return await imap.folders()

    assert "INBOX" in asyncio.run(folders())


def test_a_wrong_client_secret_is_one_line_and_no_account(
    cli, psc_cli, mail_servers, stand_in, monkeypatch
) -> None:
    monkeypatch.setenv("MISSIVE_PSC_CLIENT_SECRET", "pas-le-bon")
    national_id, address = mail_servers.add_psc_user()
    code, out, err = psc_cli("cab", national_id, address)
    assert code == 1 and err.count("\n") == 1 and "refuse l'identification du logiciel" in err
    assert cli("account", "list")[1].startswith("aucun compte")


@pytest.mark.parametrize(
    ("phone", "words"),
    [("deny", "connexion refusée sur l'application e-CPS"), ("never", "l'application e-CPS n'a pas répondu")],
)
def test_a_denied_or_unanswered_approval_saves_nothing(
    phone, words, cli, psc_cli, mail_servers, stand_in
) -> None:
    stand_in.phone = phone
    national_id, address = mail_servers.add_psc_user()
    code, out, err = psc_cli("cab", national_id, address)
    assert code == 1 and err.count("\n") == 1 and words in err, err
    assert "Traceback" not in err
    assert cli("account", "list")[1].startswith("aucun compte")
    # No storm: at most one poll per second of the request's life (3 s), plus the last one.
    assert stand_in.grants.get(psc.CIBA_GRANT, 0) <= stand_in.request_lifetime + 1


@pytest.mark.slow
def test_slow_down_is_honoured(mail_servers, stand_in) -> None:
    stand_in.slow_down_once = True
    stand_in.request_lifetime = 30
    national_id, address = mail_servers.add_psc_user()
    account = _account(mail_servers, national_id, address)
    tokens = asyncio.run(psc.sessions.login(account, lambda _m: None))
    # The stand-in says slow_down again to any poll sooner than interval + 5 s: once means it was honoured.
    assert tokens.access_token and stand_in.slow_downs == 1
    assert stand_in.grants[psc.CIBA_GRANT] == 2


def test_revoked_refresh_token_one_line_then_no_more_requests(cli, psc_cli, mail_servers, stand_in) -> None:
    national_id, address = mail_servers.add_psc_user()
    assert psc_cli("cab", national_id, address)[0] == 0
    stand_in.revoke_refresh_tokens()
    psc.sessions._tokens.clear()  # a new process: only the stored refresh token is left
    code, out, err = cli("sync")
    assert code == 1 and err.count("\n") == 1
    assert "la session Pro Santé Connect a expiré ou a été révoquée" in err
    refreshes = stand_in.grants.get("refresh_token", 0)
    code, out, err = cli("sync")
    assert code == 1 and "connexion Pro Santé Connect nécessaire" in err and err.count("\n") == 1
    assert stand_in.grants.get("refresh_token", 0) == refreshes  # the provider was not asked again
    listed = json.loads(cli("account", "list", "--json")[1].splitlines()[0])
    assert listed["psc_logged_in"] is False  # the dead token was dropped from the profile
    # `account login` brings it back.
    code, out, err = cli("account", "login", "cab")
    assert code == 0 and "code" in out
    assert cli("sync")[0] == 0


def test_expired_access_token_is_renewed_once(mail_servers, stand_in) -> None:
    from core.mail.imap import ImapClient

    national_id, address = mail_servers.add_psc_user()
    account = _account(mail_servers, national_id, address)
    asyncio.run(psc.sessions.login(account, lambda _m: None))
    stand_in.revoke_access_tokens()  # the token held in memory is now refused by the server

    async def folders() -> list[str]:
        async with ImapClient(account) as imap:
            return await imap.folders()

    assert "INBOX" in asyncio.run(folders())
    assert stand_in.grants.get("refresh_token", 0) == 1


def test_short_lived_access_tokens_are_renewed_before_expiry(mail_servers, stand_in) -> None:
    stand_in.access_lifetime = 30  # shorter than the renewal margin: every use renews it first
    national_id, address = mail_servers.add_psc_user()
    account = _account(mail_servers, national_id, address)
    first = asyncio.run(psc.sessions.login(account, lambda _m: None)).access_token
    second = asyncio.run(psc.bearer(account))
    assert second != first and stand_in.grants["refresh_token"] == 1
    assert stand_in.introspect(second)["active"] is True


def test_refusal_by_the_server_is_one_line_and_no_storm(mail_servers, stand_in) -> None:
    from core.errors import TransportError
    from core.mail.imap import ImapClient

    national_id, address = mail_servers.add_psc_user()
    other_id, other = mail_servers.add_psc_user()
    # The phone approves a login for another mailbox than the one asked: Dovecot refuses the token.
    account = _account(mail_servers, other_id, address)

    async def connect() -> None:
        async with ImapClient(account):
            pass

    asyncio.run(psc.sessions.login(account, lambda _m: None))
    with pytest.raises(TransportError) as caught:
        asyncio.run(connect())
    assert caught.value.permanent and "a refusé le jeton" in str(caught.value)
    assert stand_in.grants.get("refresh_token", 0) == 1  # one renewal, one retry, then stop
