"""The quarantine (mail from outside the trust space) is a folder of the command line too."""

from __future__ import annotations

import json
import subprocess
import sys

from core.demo.mail import build_mailbox
from core.demo.people import make_patients
from tests.demo.conftest import PATIENTS, BuiltDemo


def _list(demo: BuiltDemo, *args: str) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--profile", str(demo.profile), "messages", "list", *args],
        env=demo.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def _outsider_subjects() -> list[str]:
    mails = build_mailbox(make_patients(PATIENTS))
    subjects = []
    for mail in mails:
        if mail.kind == "outsider":
            head = mail.raw.split(b"\n\n", 1)[0].decode("utf-8", "replace")
            subjects += [
                line[len("Subject: ") :] for line in head.splitlines() if line.startswith("Subject: ")
            ]
    return subjects


def test_the_outsiders_mail_is_listed_in_quarantaine_and_marked_everywhere(built_demo: BuiltDemo) -> None:
    expected = _outsider_subjects()
    assert expected  # the demo has mail from outside the trust space
    quarantine = _list(built_demo, "--folder", "Quarantaine", "--json")
    assert sorted(m["subject"] for m in quarantine) == sorted(expected)
    assert all(m["quarantined"] is True for m in quarantine)

    everything = _list(built_demo, "--json")
    flagged = {m["id"] for m in everything if m["quarantined"]}
    assert flagged == {m["id"] for m in quarantine}
    assert len(everything) > len(quarantine)

    inbox = _list(built_demo, "--folder", "INBOX", "--json")  # as the app shows it: without the quarantine
    assert not flagged & {m["id"] for m in inbox}
    assert all(m["quarantined"] is False for m in inbox)
