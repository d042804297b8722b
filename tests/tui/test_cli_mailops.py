"""``missive messages flag|unflag|seen|unseen|move|archive|delete ID`` on a demo profile: through the façade,
audited with the actor "cli"; each refusal one line in French (English with
--lang en), nothing changed."""

from __future__ import annotations

import getpass
import json
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def demo(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A small demo profile (its Maildir under this test's temporary folder), and the CLI on it."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code, _, err = cli("demo", "--no-tui", "--patients", "10")
    assert code == 0, err
    return cli


def listed(cli, folder: str) -> dict[str, dict]:
    code, out, _ = cli("messages", "list", "--folder", folder, "--json")
    assert code == 0
    return {d["id"]: d for d in map(json.loads, out.splitlines())}


def test_flag_seen_move_archive_and_delete_through_the_command_line(demo, profile_dir: Path) -> None:
    inbox = listed(demo, "INBOX")
    first = next(iter(inbox))
    short = first[:12]

    assert demo("messages", "flag", short) == (0, f"message {short} marqué important ⚑\n", "")
    assert "\\Flagged" in listed(demo, "INBOX")[first]["flags"]
    assert demo("messages", "unflag", short)[0] == 0
    assert "\\Flagged" not in listed(demo, "INBOX")[first]["flags"]
    assert demo("messages", "seen", short) == (0, f"message {short} marqué lu\n", "")
    assert "\\Seen" in listed(demo, "INBOX")[first]["flags"]
    assert demo("messages", "unseen", short)[0] == 0
    assert "\\Seen" not in listed(demo, "INBOX")[first]["flags"]

    code, out, _ = demo("messages", "archive", short)
    assert code == 0 and out.startswith("déplacé dans Archive (identifiant désormais ")
    [archived] = listed(demo, "Archive")
    assert first not in listed(demo, "INBOX") and len(listed(demo, "INBOX")) == len(inbox) - 1
    code, out, _ = demo("messages", "move", archived[:12], "INBOX")
    assert code == 0 and listed(demo, "Archive") == {} and len(listed(demo, "INBOX")) == len(inbox)

    code, out, _ = demo("messages", "delete", short)
    assert code == 0 and out.startswith("déplacé dans Trash")
    [trashed] = listed(demo, "Trash")
    # in the Trash: deleting for good asks for --for-good, and nothing is lost meanwhile
    code, out, err = demo("messages", "delete", trashed[:12])
    assert code != 0 and out == ""
    assert err.startswith("missive : Supprimer définitivement ce message de la Corbeille ?")
    assert f"missive messages delete {trashed[:12]} --for-good" in err
    assert list(listed(demo, "Trash")) == [trashed]
    code, out, _ = demo("messages", "delete", trashed[:12], "--for-good")
    assert (code, out) == (0, f"message {trashed[:12]} supprimé définitivement\n")
    assert listed(demo, "Trash") == {}
    assert len(listed(demo, "INBOX")) == len(inbox) - 1

    from core.mailroom import Mailroom

    mr = Mailroom.open(profile_dir, "correct horse battery staple")
    actions = [
        (r["action"], r["actor"], r["via"])
        for r in mr.audit.records()
        if r["action"] in ("archive", "move", "delete", "expunge")
    ]
    who = getpass.getuser()  # the person at the command line, and that it was the command line
    assert actions == [(action, who, "cli") for action in ("archive", "move", "delete", "expunge")]


def test_a_wrong_folder_or_id_is_one_line_and_changes_nothing(demo) -> None:
    inbox = listed(demo, "INBOX")
    short = next(iter(inbox))[:12]
    code, out, err = demo("messages", "move", short, "Nulle")
    assert code != 0 and out == ""
    assert (
        err
        == "missive : pas de dossier « Nulle » dans le compte de ce message ; dossiers possibles : Archive, Sent, Trash\n"
    )
    code, _, err = demo("--lang", "en", "messages", "move", short, "Nulle")
    assert err == "missive : no folder “Nulle” in this message's account; folders: Archive, Sent, Trash\n"
    code, _, err = demo("--lang", "en", "messages", "flag", "zzzzzzzz")
    assert code != 0 and err.startswith("missive : no single message with id zzzzzzzz")
    assert listed(demo, "INBOX") == inbox
    code, out, _ = demo("--lang", "en", "messages", "seen", short)
    assert out == f"message {short} marked read\n"


def test_move_takes_the_folder_by_the_name_the_app_shows(demo) -> None:
    first = next(iter(listed(demo, "INBOX")))
    code, out, err = demo("messages", "move", first[:12], "corbeille")  # the app's "Corbeille", any case/accent
    assert code == 0, err
    assert out.startswith("déplacé dans Trash")
    assert len(listed(demo, "Trash")) == 1 and first not in listed(demo, "INBOX")
