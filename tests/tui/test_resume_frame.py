"""The resume frame, as a doctor meets it: ``missive tui`` (passphrase given) in a pseudo-terminal, its output
read back with a terminal emulator (pyte). A start keeps its first inbox frame sealed in the profile; the next
start draws it at once, before the app's own drawing, and the app's own first paint is the same screen. A start
whose screen would differ (another size, language, a message stored, a flag changed) draws no frame and keeps
its own for the next; a damaged frame file is a normal start and a log line. Keys typed on the frame reach the
inbox once it is live."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import stat
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from core.mail.messages import FolderState, MessageStore, summary_of
from core.mailroom import Mailroom
from core.store.resumeframe import FRAME_FILE

if os.environ.get("CI") == "true":
    import pyte  # a test dependency ('.[test]'): never skipped in CI
else:
    pyte = pytest.importorskip("pyte")

ROOT = Path(__file__).resolve().parents[2]
PASS = "cheval agrafe batterie"
NEWEST = "Compte rendu 11 du"  # as the list shows it at 80 columns
BODY = "voici le compte rendu"
SPLASH_END = "…"  # the splash's last word: 'Vérification…' ('Checking…' in English)
# what draws nothing: terminal modes (set, reset, asked; the keyboard protocol) and operating system commands
_MODES = re.compile(r"\x1b\[[?<>=][0-9;]*\$?[a-zA-Z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def letter(i: int) -> tuple[int, list[str], bytes, dict]:
    msg = EmailMessage()
    msg["From"] = f"Dr Hippolyte Quenardel <hq{i}@hopital.mssante.fr>"
    msg["To"] = "dr.medecin@cabinet.mssante.fr"
    msg["Subject"] = f"Compte rendu {i} du docteur Quenardel"
    msg["Date"] = f"Mon, {i + 1:02d} Jun 2025 09:30:00 +0200"
    msg["Message-ID"] = f"<rf-{i}@hopital.mssante.fr>"
    msg.set_content(f"Cher confrère, {BODY} de Mme Aubertin.\n")
    raw = msg.as_bytes()
    return (i + 1, ["\\Seen"] if i % 3 else [], raw, summary_of(raw))


def store(profile: Path, *numbers: int) -> None:
    mailroom = Mailroom.open(profile, PASS)
    try:
        state = FolderState("cabinet", "INBOX", uidvalidity=1)
        MessageStore(mailroom.profile).store_new(state, [letter(i) for i in numbers])
    finally:
        mailroom.close()


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profile"
    # the key derivation a real profile has (not the test suite's floor): the app loads while it runs
    monkeypatch.delenv("MISSIVE_KDF", raising=False)
    Mailroom.create(folder, PASS).close()
    store(folder, *range(12))
    return folder


@dataclass
class Start:
    output: bytes
    code: int
    columns: int
    lines: int

    def _text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def drawn_by_textual(self) -> str:
        """What was drawn after the splash (modes and commands taken out), until the app left the screen."""
        text = self._text()
        after = text[text.index(SPLASH_END) + len(SPLASH_END) :]
        end = after.find("\x1b[?1049l")
        return _MODES.sub("", after if end < 0 else after[:end])

    def screen(self, drawn: str) -> list[str]:
        text = self._text()
        terminal = pyte.Screen(self.columns, self.lines)
        pyte.Stream(terminal).feed(text[: text.index(SPLASH_END) + len(SPLASH_END)] + drawn)
        return [line.rstrip() for line in terminal.display]


def start(
    profile: Path, columns: int = 80, lines: int = 24, *args: str, keys: bytes = b"", stay: bool = False
) -> Start:
    """``missive tui`` in a pseudo-terminal until it exits (it exits once its inbox is painted, unless ``stay``:
    then ``keys`` are typed as soon as the newest subject shows, and it is ended once the body shows)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    env = {**os.environ, "MISSIVE_PASSPHRASE": PASS, "TERM": "xterm-256color", "HOME": str(profile.parent)}
    env.pop("MISSIVE_KDF", None)
    if not stay:
        env["MISSIVE_EXIT_AFTER_PAINT"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--profile", str(profile), *args, "tui"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(slave)
    out = b""
    typed = False
    end = time.monotonic() + 60
    try:
        while time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if stay and not typed and NEWEST.encode() in out:
                os.write(master, keys)
                typed = True
            if stay and typed and BODY.encode() in out.split(NEWEST.encode(), 1)[-1]:
                break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=30)
        os.close(master)
    assert b"Traceback" not in out
    return Start(out, code, columns, lines)


def shown(profile: Path) -> int:
    return (profile / "missive.log").read_text("utf-8").count("resume frame shown")


def test_the_next_start_draws_the_first_paint_at_once(profile: Path) -> None:
    first = start(profile)
    assert first.code == 0 and shown(profile) == 0
    mine = first.drawn_by_textual()
    assert NEWEST in first.screen(mine)[2]  # the newest message, first row of the list
    kept = profile / FRAME_FILE
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    data = kept.read_bytes()
    assert b"Quenardel" not in data and b"Compte rendu" not in data  # sealed

    second = start(profile)
    assert second.code == 0 and shown(profile) == 1
    mailroom = Mailroom.open(profile, PASS)
    try:
        from core.store.resumeframe import _LOGICAL, _MAGIC

        plain = mailroom.profile.vault.unseal(kept.read_bytes(), _LOGICAL)
    finally:
        mailroom.close()
    # as the terminal gets it: the line discipline turns each new line into carriage return + new line
    frame = plain[len(_MAGIC) :].split(b"\n", 1)[1].decode("utf-8").replace("\n", "\r\n")
    drawn = second.drawn_by_textual()
    assert drawn.startswith(frame)  # the frame, whole, before anything the app drew itself
    picture = second.screen(frame)
    assert NEWEST in picture[2]
    assert picture == second.screen(drawn)  # the app's own first paint: the same screen
    assert picture == first.screen(mine)


@pytest.mark.parametrize("change", ["size", "language", "message stored", "flag changed"])
def test_a_start_whose_screen_differs_draws_no_frame_and_keeps_its_own(profile: Path, change: str) -> None:
    assert start(profile).code == 0
    size, args = (80, 24), ()
    if change == "size":
        size = (100, 30)
    elif change == "language":
        args = ("--lang", "en")
    elif change == "message stored":
        store(profile, 12)
    else:
        mailroom = Mailroom.open(profile, PASS)
        try:
            mailroom.messages.add_flags(mailroom.summaries()[0].id, "\\Seen")
        finally:
            mailroom.close()
    other = start(profile, *size, *args)
    assert other.code == 0 and shown(profile) == 0
    newest = "Compte rendu 12 du" if change == "message stored" else NEWEST
    assert newest in other.screen(other.drawn_by_textual())[2]  # the normal start painted its inbox
    again = start(profile, *size, *args)  # the same screen again: its frame is drawn
    assert again.code == 0 and shown(profile) == 1


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_frame_file_is_a_normal_start_and_a_log_line(profile: Path, damage: str) -> None:
    assert start(profile).code == 0
    kept = profile / FRAME_FILE
    data = kept.read_bytes()
    kept.write_bytes(data[: len(data) // 3] if damage == "truncated" else os.urandom(len(data)))
    damaged = start(profile)
    assert damaged.code == 0 and shown(profile) == 0
    assert NEWEST in damaged.screen(damaged.drawn_by_textual())[2]
    assert "resume frame damaged" in (profile / "missive.log").read_text("utf-8")
    assert start(profile).code == 0 and shown(profile) == 1  # its own frame was kept over the damaged one


def test_a_key_typed_on_the_frame_reaches_the_inbox(profile: Path) -> None:
    assert start(profile).code == 0
    opened = start(profile, keys=b"\r", stay=True)  # Entrée as soon as the newest subject shows
    assert shown(profile) == 1
    log = (profile / "missive.log").read_text("utf-8")
    assert BODY in opened.output.decode("utf-8", "replace").split(NEWEST, 1)[-1], log  # the newest message opened


@pytest.fixture(autouse=True)
def _no_leftover(profile: Path) -> Iterator[None]:
    yield
    assert not list(profile.parent.glob("**/*.part"))


def test_the_screen_key_changes_with_the_day_the_size_the_language_and_the_theme(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tui import i18n, splash

    monkeypatch.setattr(splash, "_drawn", (80, 24))
    monkeypatch.setattr(splash.time, "strftime", lambda fmt: "2026-12-07 +0100")
    today = splash.view(None)
    assert today is not None and splash.view(None) == today  # the same start: the same key
    monkeypatch.setattr(splash.time, "strftime", lambda fmt: "2026-12-08 +0100")
    assert splash.view(None) != today  # the next day: the list shows dates where it showed times
    monkeypatch.setattr(splash.time, "strftime", lambda fmt: "2026-12-07 +0100")
    assert splash.view("light") != today
    monkeypatch.setattr(splash, "_drawn", (81, 24))
    assert splash.view(None) != today
    monkeypatch.setattr(splash, "_drawn", (80, 24))
    monkeypatch.setattr(i18n, "_current", "en")
    assert splash.view(None) != today
    monkeypatch.setattr(i18n, "_current", "fr")
    monkeypatch.setenv("COLORTERM", "truecolor")
    assert splash.view(None) != today
    monkeypatch.setattr(splash, "_drawn", None)  # no first frame drawn (not a terminal): no frame at all
    assert splash.view(None) is None
