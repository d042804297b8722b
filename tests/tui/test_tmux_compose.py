"""The installed ``missive demo`` under tmux at 80x24, keyboard only: what the composer says about a letter is
what happens to it (one known and one unknown recipient: it says "en clair" and the Sent copy is in clear),
and F6/F7 in the letter's body (Textual's select-line and select-all) no longer let the next key replace it
(issue 16)."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.demo.mail import COLLEAGUE
from tests.tui.test_tmux_demo import MISSIVE, PATIENTS, Tmux, pytestmark  # noqa: F401 - same skips

UNKNOWN = "secretariat@labo-biodemo.mssante.fr"  # in the trust space, no certificate in the demo profile


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    """The demo running in an 80x24 tmux window, the message list painted and focused."""
    (tmp_path / "tmp").mkdir()
    env = (
        f"MISSIVE_PASSPHRASE=demo MISSIVE_KDF_LOG2N={os.environ.get('MISSIVE_KDF_LOG2N', '14')} "
        f"HOME={tmp_path} TMPDIR={tmp_path / 'tmp'} LANG=C.UTF-8"
    )
    command = f"env {env} {MISSIVE} --profile {tmp_path / 'demo'} demo --patients {PATIENTS}; echo EXITED $?; sleep 30"
    session = f"missive-test-{uuid.uuid4().hex[:8]}"
    tmux = Tmux(session)
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True)
    try:
        tmux.wait_for("Réception", "messages,", timeout=180)
        tmux.wait_for_footer("c Écrire")
        yield tmux, tmp_path
    finally:
        tmux.run("kill-session", "-t", session)


def sent_letters(tmp_path: Path) -> list[email.message.EmailMessage]:
    folder = list((tmp_path / "tmp").glob("missive-demo-*/maildir/.Sent"))
    paths = [p for f in folder for sub in ("cur", "new") for p in (f / sub).glob("*")]
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in paths]


def start_letter(tmux: Tmux, to: str, subject: str) -> None:
    tmux.keys("c")
    tmux.wait_for_footer("Ctrl+s Envoyer")
    tmux.type(to)
    tmux.wait_for("La lettre partira")
    tmux.keys("Tab", "Tab")
    tmux.wait_for_cursor("Objet", below=False)
    tmux.type(subject)
    tmux.keys("Tab")
    tmux.wait_for_cursor("La lettre partira", below=True)  # in the body


def quit_app(tmux: Tmux) -> None:
    tmux.keys("C-q")
    assert "EXITED 0" in tmux.wait_for("EXITED")


def test_one_unknown_recipient_the_composer_says_clear_and_the_sent_copy_is_clear(demo) -> None:
    tmux, tmp_path = demo
    start_letter(tmux, f"{COLLEAGUE}, {UNKNOWN}", "Deux destinataires")
    tmux.wait_for(
        f"{COLLEAGUE} (certificat connu)",
        "La lettre partira signée mais en clair : certificat inconnu pour " + UNKNOWN,
    )
    assert "chiffrée" not in tmux.screen()
    tmux.type("Courrier sans donnée de santé.")
    tmux.keys("C-s")
    tmux.wait_for("Lettre confiée")
    quit_app(tmux)
    [letter] = sent_letters(tmp_path)
    assert letter["Subject"] == "Deux destinataires"
    assert letter.get_content_type() == "multipart/signed"  # signed, as the composer said; not encrypted
    assert "Courrier sans donnée de santé." in letter.get_body(("plain",)).get_content()


def test_f6_and_f7_in_the_body_keep_the_letter(demo) -> None:
    tmux, tmp_path = demo
    start_letter(tmux, COLLEAGUE, "Touches F6 F7")
    tmux.type("Chère consœur, voici mon courrier.")
    tmux.wait_for("voici mon courrier.")
    tmux.keys("F7")
    tmux.type("X")  # used to replace the whole letter (F7 selected it all)
    tmux.keys("F6")
    tmux.type("Y")  # used to replace the line (F6 selected it)
    tmux.wait_for("Chère consœur, voici mon courrier.XY")
    tmux.keys("C-s")
    tmux.wait_for("Lettre confiée")
    quit_app(tmux)
    [letter] = sent_letters(tmp_path)
    assert letter.get_content_type() == "application/pkcs7-mime"  # to a known colleague: encrypted
    assert letter["Subject"] == "Touches F6 F7"
