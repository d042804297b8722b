"""The first letter opened in the app imports nothing the inbox's preload has not imported while the doctor looked at
the list: the audit record's user name imported getpass and termios (getpass.getuser) between the key and the letter
on screen. It is now read as getpass.getuser reads it, without them."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from core.store.audit import _default_actor
from tests.fresh import fresh_json

READ = """
import json, os, sys
from pathlib import Path
from core.mailroom import Mailroom, preload
folder = Path(sys.argv[1])
mailroom = Mailroom.open(folder, "pw")
[summary] = mailroom.messages.list()
preload(folder)  # what the app imports while the list is on screen
before = set(sys.modules)
view = mailroom.read_message(summary.id, actor="tui")
imported = sorted(set(sys.modules) - before)
record = mailroom.audit_records()[-1]
print(json.dumps({"body": view.body.strip(), "imported": imported, "actor": record["actor"], "via": record["via"]}))
"""

LETTER = (
    b"From: Dr Confrere <confrere@hopital.mssante.fr>\r\nTo: dr@cabinet.mssante.fr\r\nSubject: Compte rendu\r\n"
    b"Message-ID: <cr1@hopital.mssante.fr>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\nCher confrere.\r\n"
)


@pytest.mark.parametrize("logname", ["drmartin", None], ids=["named", "no-name-in-the-environment"])
def test_the_first_letter_read_imports_nothing_the_preload_has_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logname: str | None
) -> None:
    """Also where no LOGNAME, USER, LNAME nor USERNAME names the user (a service, a container, CI): the name then
    comes from the password database, whose module the first read imported (tests/secure/
    test_smime_loaded_when_needed.py failed there: ['pwd'])."""
    monkeypatch.setenv("MISSIVE_KDF", "floor")  # the profile is written here, opened in a new interpreter
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    if logname is not None:
        monkeypatch.setenv("LOGNAME", logname)
    from core.mail.messages import FolderState, MessageStore, summary_of
    from core.store.profile import Profile

    folder = tmp_path / "profile"
    state = FolderState("cabinet", "INBOX", uidvalidity=1)
    MessageStore(Profile.create(folder, "pw")).store_new(state, [(1, [], LETTER, summary_of(LETTER))])
    out = fresh_json(READ, str(folder))
    assert out["body"] == "Cher confrere."
    assert out["imported"] == []  # getpass and termios before
    assert (out["actor"], out["via"]) == (logname or getpass.getuser(), "tui")


@pytest.mark.parametrize(
    "env",
    [
        {"LOGNAME": "a", "USER": "b", "LNAME": "c", "USERNAME": "d"},
        {"USER": "b", "USERNAME": "d"},
        {"LNAME": "c"},
        {"USERNAME": "d"},
        {"LOGNAME": "", "USER": "b"},
        {},  # the password database
    ],
)
def test_the_user_named_is_the_one_getpass_names(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert _default_actor() == getpass.getuser()
