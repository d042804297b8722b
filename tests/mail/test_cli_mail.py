"""`missive account/sync/messages` end to end with a real profile and the suite's Dovecot."""

from __future__ import annotations

import json

import pytest

from tests.mail.helpers import letter


@pytest.mark.servers
def test_account_sync_list_show(cli, mail_servers, monkeypatch) -> None:

    user = mail_servers.add_user("cli")
    mail_servers.deliver(user, letter("Compte rendu", body="Tension normale.\n"))
    monkeypatch.setenv("MISSIVE_ACCOUNT_PASSWORD", mail_servers.password)
    assert cli("init")[0] == 0
    code, out, err = cli(
        "account", "add", "cabinet", "--email", user,
        "--imap", f"127.0.0.1:{mail_servers.imap_port}", "--smtp", f"127.0.0.1:{mail_servers.submission_port}",
        "--user", user, "--ca-file", str(mail_servers.ca_file),
    )  # fmt: skip
    assert code == 0, err
    code, out, err = cli("account", "list", "--json")
    listed = json.loads(out.splitlines()[0])
    assert listed["name"] == "cabinet" and "password" not in listed and mail_servers.password not in out
    code, out, err = cli("sync")
    assert code == 0, err
    code, out, err = cli("messages", "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["subject"] for r in rows] == ["Compte rendu"]
    assert {"id", "folder", "from", "to", "subject", "date", "flags", "size", "encrypted", "signed"} <= set(
        rows[0]
    )
    code, out, err = cli("messages", "show", rows[0]["id"])
    assert code == 0 and "Tension normale." in out and "Compte rendu" in out
    code, out, err = cli("messages", "show", "0000000000000000")
    assert code == 1 and err.count("\n") == 1


def test_account_add_rejects_a_bad_port(cli, monkeypatch) -> None:
    monkeypatch.setenv("MISSIVE_ACCOUNT_PASSWORD", "x")
    assert cli("init")[0] == 0
    code, out, err = cli(
        "account", "add", "a", "--email", "a@b.fr", "--imap", "host:99999", "--smtp", "host:587", "--user", "a"
    )  # fmt: skip
    assert code == 2 and "port" in err and err.count("\n") == 1
