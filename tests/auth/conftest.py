"""Fixtures of the Pro Santé Connect tests: the stand-in reset per test, a CLI adding a PSC account."""

from __future__ import annotations

import pytest

from tests.servers.harness import PSC_CLIENT_ID, PSC_CLIENT_SECRET


@pytest.fixture
def stand_in(mail_servers):
    """The session's PSC stand-in, reset to a phone that approves at once."""
    p = mail_servers.psc
    p.phone, p.interval, p.request_lifetime, p.access_lifetime, p.slow_down_once = "approve", 1, 3, 300, False
    p.slow_downs = 0
    p.grants.clear()
    p.binding_messages.clear()
    yield p
    p.phone, p.access_lifetime = "approve", 300


@pytest.fixture
def psc_cli(cli, mail_servers, monkeypatch):
    """``missive init`` done, the client secret in the environment; returns an ``account add`` runner."""
    monkeypatch.setenv("MISSIVE_PSC_CLIENT_SECRET", PSC_CLIENT_SECRET)
    assert cli("init")[0] == 0

    def add(name: str, national_id: str, address: str, *extra: str):
        return cli(
            "account", "add", name, "--email", address,
            "--imap", f"127.0.0.1:{mail_servers.imap_oauth_port}",
            "--smtp", f"127.0.0.1:{mail_servers.submission_oauth_port}",
            "--ca-file", str(mail_servers.ca_file), "--auth", "psc",
            "--psc-issuer", mail_servers.psc.issuer, "--psc-client-id", PSC_CLIENT_ID,
            "--psc-ca-file", str(mail_servers.ca_file), "--psc-id", national_id, *extra,
        )  # fmt: skip

    return add
