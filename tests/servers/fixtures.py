"""The ``mail_servers`` session fixture: real Dovecot and Postfix for the whole test session.

When the servers cannot start the tests that need them are skipped with the reason, except under ``CI=true``
where that is a failure (a CI run must exercise them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.servers.harness import MailServers, ServersUnavailable


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"mail servers unavailable under CI: {reason}", pytrace=False)
    pytest.skip(reason=f"mail servers unavailable: {reason}")


@pytest.fixture(scope="session")
def mail_servers() -> Iterator[MailServers]:
    """Dovecot (IMAP STARTTLS/TLS/plain, LMTP) and Postfix (submission), stopped at the end of the session."""
    try:
        servers = MailServers().start()
    except (ServersUnavailable, OSError) as exc:
        _unavailable(str(exc))
        return
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def dns_for(tmp_path, monkeypatch):
    """``dns_for(records)`` starts dnsmasq serving those SRV records and points missive's lookups at it
    (``MISSIVE_DNS_SERVER``); records are (name, target, port, priority, weight)."""
    from tests.servers.dns import DnsUnavailable, TestDns

    started: list[TestDns] = []

    def start(records):
        try:
            server = TestDns(tmp_path / f"dns{len(started)}", records).start()
        except DnsUnavailable as exc:
            _unavailable(str(exc))
        started.append(server)
        monkeypatch.setenv("MISSIVE_DNS_SERVER", server.address)
        return server

    yield start
    for server in started:
        server.stop()
