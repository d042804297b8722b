"""``missive tui`` with a given passphrase begins the key derivation before anything else loads (tui.cli, then
core.store.kdf) and the profile's opening takes that key: as a doctor meets it, in a pseudo-terminal with the
real Argon2id. The inbox comes as before and the unlock logged is the whole derivation; a wrong passphrase
given shows no inbox (not even the frame kept at the last start) and the unlock screen takes the right one;
Ctrl+C while the key is derived quits at once and gives the terminal back. Only a plain ``missive [tui]``
begins a derivation ahead."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from core.mailroom import Mailroom

ROOT = Path(__file__).resolve().parents[2]
PASS = "cheval agrafe batterie"
SUBJECT = "Compte rendu de Mme Aubertin"
SPLASH_END = "…".encode()  # the splash's last word: 'Vérification…'


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profile"
    monkeypatch.delenv("MISSIVE_KDF", raising=False)  # the derivation a real profile has
    Mailroom.create(folder, PASS).close()
    from email.message import EmailMessage

    from core.mail.messages import FolderState, MessageStore, summary_of

    msg = EmailMessage()
    msg["From"] = "Dr Hippolyte Quenardel <hq@hopital.mssante.fr>"
    msg["To"] = "dr.medecin@cabinet.mssante.fr"
    msg["Subject"] = SUBJECT
    msg["Date"] = "Mon, 02 Jun 2025 09:30:00 +0200"
    msg["Message-ID"] = "<ka-1@hopital.mssante.fr>"
    msg.set_content("Cher confrère, voici le compte rendu.\n")
    raw = msg.as_bytes()
    mailroom = Mailroom.open(folder, PASS)
    try:
        MessageStore(mailroom.profile).store_new(
            FolderState("cabinet", "INBOX", uidvalidity=1), [(1, ["\\Seen"], raw, summary_of(raw))]
        )
    finally:
        mailroom.close()
    return folder


def run(
    profile: Path,
    passphrase: str,
    replies: Sequence[tuple[bytes, bytes]] = (),
    exit_after_paint: bool = True,
    interrupt_at: bytes | None = None,
) -> tuple[bytes, int, list[Any]]:
    """``missive --profile P tui`` in an 80x24 pseudo-terminal with ``MISSIVE_PASSPHRASE``; each (seen, keys) of
    ``replies`` types ``keys`` once ``seen`` is on the terminal (in order); ``interrupt_at``: Ctrl+C (SIGINT to
    the program, as the terminal sends it) once that is on the terminal. Returns the output, the exit code and
    the terminal's modes after the exit."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    before = termios.tcgetattr(slave)
    env = {**os.environ, "MISSIVE_PASSPHRASE": passphrase, "TERM": "xterm-256color", "HOME": str(profile.parent)}
    env.pop("MISSIVE_KDF", None)
    if exit_after_paint:
        env["MISSIVE_EXIT_AFTER_PAINT"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--profile", str(profile), "tui"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    out = b""
    waiting = list(replies)
    end = time.monotonic() + 60
    try:
        while time.monotonic() < end and proc.poll() is None:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
            if waiting and waiting[0][0] in out:
                os.write(master, waiting.pop(0)[1])
            if interrupt_at is not None and interrupt_at in out:
                os.killpg(proc.pid, signal.SIGINT)
                interrupt_at = None
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    while select.select([master], [], [], 0)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    after = termios.tcgetattr(slave)
    os.close(slave)
    os.close(master)
    assert after == before, (before, after, out[-300:])  # the terminal is given back as it was
    assert b"Traceback" not in out and b"Fatal Python error" not in out
    return out, code, after


def _log(profile: Path) -> str:
    return (profile / "missive.log").read_text("utf-8")


def test_the_key_derived_ahead_opens_the_inbox_and_the_unlock_logged_holds_it(profile: Path) -> None:
    out, code, _ = run(profile, PASS)
    assert code == 0 and SUBJECT.encode() in out
    log = _log(profile)
    ahead = re.findall(r"passphrase key derived ahead in ([0-9.]+) s", log)
    unlocked = re.findall(r"profile unlocked in ([0-9.]+) s", log)
    assert len(ahead) == 1 and len(unlocked) == 1
    assert float(unlocked[0]) >= float(ahead[0]) > 0  # the unlock logged is never shorter than the derivation
    assert PASS not in log
    # the next start: the frame kept is drawn, from the key derived ahead
    out, code, _ = run(profile, PASS)
    assert code == 0 and "resume frame shown" in _log(profile)
    assert _log(profile).count("passphrase key derived ahead") == 2


def test_a_wrong_passphrase_given_shows_no_inbox_and_the_unlock_screen_takes_the_right_one(profile: Path) -> None:
    run(profile, PASS)  # a start that keeps its inbox frame for the next
    assert (profile / "resume-frame").exists()
    out, code, _ = run(
        profile,
        "pas la bonne",
        [("refusée".encode(), PASS.encode() + b"\r")],
    )
    # refused: not a letter of the inbox on the terminal until the right words were typed
    refused_at = out.index("refusée".encode())
    assert SUBJECT.encode() not in out[:refused_at]
    assert code == 0 and SUBJECT.encode() in out[refused_at:]  # typed: the inbox, painted, then the exit
    log = _log(profile)
    assert log.count("resume frame shown") == 0
    assert log.count("passphrase key derived ahead") == 1  # the first start: the typed words are derived then
    assert "pas la bonne" not in log and PASS not in log


def test_ctrl_c_while_the_key_is_derived_quits_at_once_and_gives_the_terminal_back(profile: Path) -> None:
    out, code, after = run(profile, PASS, exit_after_paint=False, interrupt_at=SPLASH_END)
    assert code == 130
    assert after[3] & termios.ECHO and after[3] & termios.ICANON
    assert out.rindex(b"\x1b[?1049l") > out.rindex(b"\x1b[?1049h")  # the main screen is back
    assert SUBJECT.encode() not in out


@pytest.mark.parametrize(
    ("words", "begun"),
    [
        ([], "default"),
        (["tui"], "default"),
        (["--profile", "P", "tui"], "P"),
        (["tui", "--profile=P", "--lang", "en", "--theme", "light"], "P"),
        (["--profile", "P"], "P"),
        (["tui", "--help"], None),
        (["--prof", "P", "tui"], None),  # an abbreviation: the parser's to expand
        (["tui", "--lang", "de"], None),  # the parser refuses it
        (["demo"], None),
        (["messages", "list"], None),
        (["tui", "tui"], None),
    ],
)
def test_only_a_plain_missive_tui_begins_a_derivation_ahead(
    words: list[str], begun: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from core.store import kdf
    from tui import cli

    asked: list[tuple[str, str]] = []
    monkeypatch.setattr(kdf, "begin", lambda folder, passphrase: asked.append((folder, passphrase)) or True)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASS)
    cli._derive_ahead(words)
    default = str(tmp_path / "missive" / "profile")
    assert asked == ([] if begun is None else [(default if begun == "default" else begun, PASS)])
    monkeypatch.delenv("MISSIVE_PASSPHRASE")
    cli._derive_ahead(words)  # no passphrase given: nothing to derive
    assert len(asked) == (0 if begun is None else 1)
