"""The unlock screen's first frame, drawn before the interface toolkit (Textual) is loaded.

Loading Textual is most of the time before its first frame; this draws the same words the unlock screen will
show (the title, the prompt, 'Vérification…' when the passphrase was given) on the terminal's alternate
screen at once, and stops the terminal from echoing keys or holding them for a line: a passphrase typed
meanwhile is never shown in clear and reaches the unlock screen once it is up (Textual reads the keys waiting).
``restore()`` puts the terminal back as it was, after the app has ended (Textual restores what it found, which
is the state set here).

The resume frame (core.store.resumeframe): once the key is derived, the opening's thread may draw the inbox
the app painted at its last start over this first frame (``replay``), if everything that screen depends on
is the same (``view`` gives the interface's part) and only while the app's terminal driver has not begun
drawing: the driver closes the gate (``close_gate``) before its first frame, under the same lock, so a
replayed frame always comes before the app's own and never over it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

from tui.i18n import t

ENTER = "\x1b[?1049h\x1b[?25l\x1b[2J"  # alternate screen, cursor hidden, cleared
LEAVE = "\x1b[?25h\x1b[?1049l"

_gate = threading.Lock()
# the terminal's size when the first frame was drawn, while the gate is open
_drawn: tuple[int, int] | None = None
_out = 1  # the terminal's descriptor (Textual replaces sys.stdout while it runs)
_replayed: str | None = None  # the frame replayed over it, if any
# what Textual and rich read to choose colours and sizes (the terminal's name and colour settings)
_ENVIRON = ("TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS",
            "LINES", "TERM_PROGRAM", "TZ")  # fmt: skip


def show(checking: bool) -> Callable[[bool], None] | None:
    """Draw the first frame; returns ``restore(app_ran)``, or None when this is not a terminal."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None
    try:
        import termios
    except ImportError:  # not a Unix terminal: the app paints its first frame itself
        return None
    fd = sys.stdin.fileno()
    try:
        saved = termios.tcgetattr(fd)
        quiet = termios.tcgetattr(fd)
        quiet[3] &= ~(termios.ECHO | termios.ICANON)  # keys typed meanwhile: not shown, not held for a line
        # ... and kept as typed, as Textual's driver reads them (its _patch_iflag): Entrée typed before it has
        # started stays a carriage return (the terminal made it a line feed: ctrl+j, not Entrée), ctrl+q and
        # ctrl+s stay keys (not flow control)
        quiet[0] &= ~(termios.IXON | termios.IXOFF | termios.ICRNL | termios.INLCR | termios.IGNCR)
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
    except termios.error:
        return None
    try:
        columns, lines = os.get_terminal_size(sys.stdout.fileno())
    except OSError:
        columns, lines = 80, 24
    words = [f"─ {t('lock.title')} ─", "", t("lock.prompt"), "", t("lock.checking") if checking else ""]
    top = max(0, (lines - len(words)) // 2)
    frame = "".join(
        f"\x1b[{top + i + 1};{max(1, (columns - len(line)) // 2 + 1)}H{line}"
        for i, line in enumerate(words)
        if line
    )
    sys.stdout.write(ENTER + frame)
    sys.stdout.flush()
    global _drawn, _replayed, _out
    with _gate:
        _drawn, _replayed, _out = (columns, lines), None, sys.stdout.fileno()

    def restore(app_ran: bool) -> None:
        close_gate()
        try:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
            if not app_ran:  # Textual never took the screen: leave the alternate screen drawn here
                sys.stdout.write(LEAVE)
                sys.stdout.flush()
        except (termios.error, OSError):  # the terminal is gone (SIGHUP: SSH cut, window closed): nothing to give back
            pass

    return restore


def view(theme: str | None) -> str | None:
    """What the inbox's first screen depends on besides the profile: the terminal's size and colour settings,
    the language, the theme asked on the command line, today's date and the time zone (the list shows times
    today, dates before), missive's and the toolkit's versions. None when no first frame was drawn here."""
    with _gate:
        size = _drawn
    if size is None:
        return None
    from core import __version__
    from tui.i18n import language

    parts = [f"missive {__version__}", f"{size[0]}x{size[1]}", language(), theme or "",
             time.strftime("%Y-%m-%d %z"), *(f"{name}={os.environ.get(name)}" for name in _ENVIRON)]  # fmt: skip
    parts.extend(
        f"{name}={value}" for name, value in sorted(os.environ.items()) if name.startswith("TEXTUAL_")
    )
    parts.extend(_code_stamps())
    return "\n".join(parts)


def _code_stamps() -> list[str]:
    """The stamps of the interface's files, the core's words and the toolkit's (a frame another version painted
    is not this one's)."""
    import importlib.util

    folders = [os.path.dirname(__file__)]
    for name in ("textual", "rich"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            folders.append(os.path.dirname(spec.origin))
    here = os.path.dirname(__file__)
    folders += [os.path.join(here, sub) for sub in ("panes", "widgets", "locale")]
    core = os.path.join(os.path.dirname(here), "core")
    folders += [core, os.path.join(core, "locale")]
    stamps = []
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    if entry.is_file():
                        st = entry.stat()
                        stamps.append(f"{entry.path} {st.st_size} {st.st_mtime_ns}")
        except OSError:
            stamps.append(f"{folder} ?")
    return stamps


def replay(frame: str) -> bool:
    """Draw ``frame`` (the app's full rendering of its inbox at its last start) over the first frame: only while
    the gate is open (the app's driver has not begun drawing) and the terminal has the size it had when the
    first frame was drawn. Returns whether it was drawn."""
    global _replayed
    with _gate:
        if _drawn is None:
            return False
        try:
            if tuple(os.get_terminal_size(_out)) != _drawn:
                return False
            data = memoryview(frame.encode("utf-8"))
            while data:  # one write: the terminal takes it whole, no other write comes in between
                data = data[os.write(_out, data) :]
        except OSError:
            return False
        _replayed = frame
        return True


def close_gate() -> str | None:
    """No frame is replayed from now on (the app's driver is about to draw). Returns the frame replayed, if any."""
    global _drawn
    with _gate:
        _drawn = None
        return _replayed


def drawn() -> bool:
    """Whether the first frame is on the terminal and the app's driver has not begun drawing."""
    with _gate:
        return _drawn is not None


def replayed() -> str | None:
    """The frame replayed over the first frame, if any (without closing the gate)."""
    with _gate:
        return _replayed
