"""The installed ``missive demo`` driven under tmux at 80x24, keyboard only, read back with capture-pane: read a
signed lab result with its abnormal values, file an ambiguous result to the right patient, write and send a
letter to a colleague found in the directory, quit — no traceback, exit code 0 (issue 6)."""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.clinical.readers import read_document
from core.demo.mail import COLLEAGUE, build_mailbox
from core.demo.people import make_patients
from core.model import Patient
from tui.panes.reader import flag_symbol

MISSIVE = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "missive"
PATIENTS = 200

pytestmark = [
    pytest.mark.skipif(
        shutil.which("tmux") is None, reason="tmux is not installed (make sysdeps installs it)"
    ),
    pytest.mark.skipif(not MISSIVE.exists(), reason="missive is not installed in .venv (make installs it)"),
]


class Tmux:
    def __init__(self, session: str) -> None:
        self.session = session

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", self.session, "-l", text)

    def cursor_row(self) -> int:
        """The row of the terminal cursor: Textual puts it in the focused text field (for input methods)."""
        return int(self.run("display-message", "-p", "-t", self.session, "#{cursor_y}").strip() or -1)

    def wait_for_cursor(self, label: str, *, below: bool, timeout: float = 30) -> None:
        """Wait until the focused text field is on a row below ``label`` (or on its row)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            rows = self.screen().splitlines()
            row = next((i for i, line in enumerate(rows) if label in line), None)
            cursor = self.cursor_row()
            if row is not None and (cursor > row if below else cursor == row):
                return
            time.sleep(0.2)
        raise AssertionError(f"the cursor never reached {label!r}; screen was:\n{self.screen()}")

    def wait_for_line(self, *parts: str, timeout: float = 30) -> str:
        """The first screen line holding every one of ``parts``."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            screen = self.screen()
            assert "Traceback" not in screen, screen
            for line in screen.splitlines():
                if all(part in line for part in parts):
                    return line
            time.sleep(0.2)
        raise AssertionError(f"no line with {parts!r}; screen was:\n{self.screen()}")

    def wait_for_footer(self, shown: str = "", hidden: str = "", timeout: float = 30) -> None:
        """The footer lists the keys of the focused widget: it tells where typed keys will go."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            lines = [line for line in self.screen().splitlines() if line.strip()]
            footer = lines[-1] if lines else ""
            if shown in footer and not (hidden and hidden in footer):
                return
            time.sleep(0.2)
        raise AssertionError(f"footer never showed {shown!r} without {hidden!r}:\n{self.screen()}")

    def wait_for(self, *texts: str, timeout: float = 60) -> str:
        """The screen once it shows every one of ``texts``; never a traceback on the way."""
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            assert "Traceback" not in screen, screen
            if all(text in screen or text in _unwrapped(screen) for text in texts):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{texts!r} never all appeared; screen was:\n{screen}")


def _unwrapped(screen: str) -> str:
    """The screen's words in one line, box borders out: a sentence the reader wrapped reads whole again."""
    text = screen.translate({ord(c): " " for c in "│╭╮╰╯─▏▎▊"})
    return " ".join(text.split())


@dataclass(frozen=True)
class SignedResult:
    index: int  # position in the inbox, newest first
    sender: str
    abnormal: int
    line: str  # the start of one abnormal line of the results table: arrow and test name


@dataclass(frozen=True)
class Ambiguous:
    attachment: str
    query: str  # what to type in the À classer search to find it
    stated_birth: str  # the birth date as the lab wrote it (day and month swapped)
    patient: Patient  # the right one


def _date(raw: bytes) -> object:
    return email.utils.parsedate_to_datetime(email.message_from_bytes(raw)["Date"])


def demo_expectations() -> tuple[SignedResult, Ambiguous]:
    """What the demo holds, from its seeded generator: the newest lab result signed by its own sender with
    abnormal values, and the first result whose birth date the lab wrote with day and month swapped."""
    people = make_patients(PATIENTS)
    by_id = {dp.patient.id: dp.patient for dp in people}
    mails = build_mailbox(people)
    inbox = [m for m in mails if m.kind != "outsider"]  # outside the trust space: listed in Quarantaine
    signed = None
    for index, mail in enumerate(sorted(inbox, key=lambda m: _date(m.raw), reverse=True)):
        msg = email.message_from_bytes(mail.raw, policy=email.policy.default)
        sender = email.utils.parseaddr(str(msg["From"]))[1]
        if not mail.kind.startswith("result") or mail.sign_as != sender:
            continue
        part = next(msg.iter_attachments())
        observations = (
            read_document(part.get_payload(decode=True), part.get_filename()).documents[0].observations
        )
        abnormal = [o for o in observations if o.abnormal]
        if abnormal:
            obs = abnormal[0]
            signed = SignedResult(index, sender, len(abnormal), f"{flag_symbol(obs):<2} {obs.label}")
            break
    swapped = next(m for m in mails if m.kind == "result-review")
    msg = email.message_from_bytes(swapped.raw, policy=email.policy.default)
    part = next(msg.iter_attachments())
    identity = read_document(part.get_payload(decode=True), part.get_filename()).documents[0].identity
    patient = by_id[swapped.expected_patient or ""]
    assert signed is not None and patient.birth_date is not None
    ambiguous = Ambiguous(
        part.get_filename() or "",
        f"{identity.family_name} {identity.given_names[0]}",
        f"{patient.birth_date:%m/%d/%Y}",
        patient,
    )
    return signed, ambiguous


def test_demo_under_tmux_at_80x24(tmp_path: Path) -> None:
    signed, ambiguous = demo_expectations()
    (tmp_path / "tmp").mkdir()
    profile = tmp_path / "demo"
    env = (
        f"MISSIVE_PASSPHRASE=demo MISSIVE_KDF_LOG2N={os.environ.get('MISSIVE_KDF_LOG2N', '14')} "
        f"HOME={tmp_path} TMPDIR={tmp_path / 'tmp'} LANG=C.UTF-8"
    )
    command = f"env {env} {MISSIVE} --profile {profile} demo --patients {PATIENTS}; echo EXITED $?; sleep 30"
    session = f"missive-test-{uuid.uuid4().hex[:8]}"
    tmux = Tmux(session)
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True)
    try:
        tmux.wait_for("Réception", "messages,", timeout=180)  # built, synced, the list painted with its count
        tmux.wait_for_footer("c Écrire")  # the message list has the focus

        # a signed lab result: the verdict in words and the abnormal values marked
        tmux.keys(*["Down"] * signed.index, "Enter")
        tmux.wait_for(f"De : {signed.sender}", "certificat valide", f"{signed.abnormal} anormal")
        tmux.keys("Tab")  # into the reader, to scroll through the results
        for _ in range(20):
            if signed.line in tmux.screen():
                break
            tmux.keys("Down")
            time.sleep(0.2)
        tmux.wait_for(signed.line, timeout=5)

        # an ambiguous result (day and month swapped by the lab), filed to the right patient
        tmux.keys("2")
        tmux.wait_for("à classer,")
        tmux.wait_for_footer("x Rejeter")  # the document list has the focus
        tmux.keys("/")
        tmux.wait_for("Rechercher un document")
        tmux.wait_for_footer(hidden="x Rejeter")  # the search field has the focus: typing goes there
        tmux.type(ambiguous.query)
        tmux.keys("Enter")
        p = ambiguous.patient
        # the document beside the right patient, the differing birth date marked
        tmux.wait_for_line("≠ Naissance", ambiguous.stated_birth, f"{p.birth_date:%d/%m/%Y}")
        tmux.wait_for_line("Prénoms", " ".join(p.given_names))
        tmux.wait_for_footer("x Rejeter")  # back on the document list
        tmux.keys("Enter")
        tmux.wait_for("Des traits diffèrent", "Naissance")  # the birth date differs: a question first
        tmux.keys("o")
        tmux.wait_for("Document classé")

        # a letter to a colleague found in the directory, encrypted to her, sent
        tmux.keys("4")
        tmux.wait_for("Rechercher dans l'annuaire")
        tmux.wait_for_footer("/ Chercher")  # the search field has the focus
        tmux.type("lefevre claire")
        tmux.wait_for(COLLEAGUE, "1 adresse(s)")
        tmux.keys("Enter")  # the only address found: the letter starts
        # painted once the subject field has the focus
        tmux.wait_for("Objet", f"{COLLEAGUE} (certificat connu)", "La lettre partira chiffrée et signée")
        tmux.wait_for_footer("Ctrl+s Envoyer")
        tmux.type("Avis cardiologique pour une patiente")
        tmux.keys("Tab")
        # keys typed ahead of a focus change land in the old field: wait for the cursor to reach the body
        tmux.wait_for_cursor("La lettre partira chiffrée et signée", below=True)
        tmux.type("Chère consœur, je vous adresse une patiente pour avis. Bien confraternellement.")
        tmux.keys("C-s")
        tmux.wait_for("Lettre confiée")

        tmux.keys("F1")
        tmux.wait_for("Aide — Tous les raccourcis")
        tmux.keys("Escape", "C-q")
        screen = tmux.wait_for("EXITED")
        assert "EXITED 0" in screen
    finally:
        tmux.run("kill-session", "-t", session)

    sent = list((tmp_path / "tmp").glob("missive-demo-*/maildir/.Sent/cur/*"))
    sent += list((tmp_path / "tmp").glob("missive-demo-*/maildir/.Sent/new/*"))
    assert len(sent) == 1, sent
    letter = email.message_from_bytes(sent[0].read_bytes(), policy=email.policy.default)
    assert letter["To"] == COLLEAGUE
    assert letter["Subject"] == "Avis cardiologique pour une patiente"
    assert letter.get_content_type() == "application/pkcs7-mime"  # encrypted: no clear text in Sent

    listed = subprocess.run(
        [str(MISSIVE), "--profile", str(profile), "documents", "list", "--json"],
        env=dict(os.environ, MISSIVE_PASSPHRASE="demo", HOME=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    documents = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    filed = [d for d in documents if d["attachment"] == ambiguous.attachment]
    assert [(d["state"], d["patient_id"]) for d in filed] == [("filed", ambiguous.patient.id)]
