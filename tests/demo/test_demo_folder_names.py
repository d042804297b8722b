"""The command line takes a folder by the name the app shows, in either language, blind to case and accents
("Envoyés", "envoyes", "Corbeille", "Réception"), as it takes "Quarantaine": one mapping, the core's."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.demo.conftest import BuiltDemo


def _list(demo: BuiltDemo, folder: str, *lang: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *lang, "--profile", str(demo.profile), "messages", "list", "--folder",
         folder, "--json"],
        env=demo.env,
        capture_output=True,
        text=True,
    )  # fmt: skip


def _ids(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stderr
    return [json.loads(line)["id"] for line in done.stdout.splitlines()]


def test_the_folders_are_taken_by_the_names_the_app_shows(built_demo: BuiltDemo) -> None:
    inbox, sent = _ids(_list(built_demo, "INBOX")), _ids(_list(built_demo, "Sent"))
    assert inbox  # (the demo's Sent may be empty: still a folder the app shows, listed without an error)
    for typed in ("Réception", "réception", "RECEPTION", "Inbox"):
        assert _ids(_list(built_demo, typed)) == inbox, typed
    for typed in ("Envoyés", "envoyes", "ENVOYÉS", " Envoyes "):
        assert _ids(_list(built_demo, typed)) == sent, typed
    assert _ids(_list(built_demo, "Sent", "--lang", "en")) == sent
    assert _ids(_list(built_demo, "corbeille")) == _ids(_list(built_demo, "Trash"))
    assert _ids(_list(built_demo, "quarantaine")) == _ids(_list(built_demo, "Quarantaine"))


def test_a_name_no_folder_answers_is_still_refused_in_one_line(built_demo: BuiltDemo) -> None:
    done = _list(built_demo, "Envoyéz")
    assert done.returncode != 0 and done.stdout == ""
    assert "Envoyéz" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
