"""The unlock screen's first frame, drawn before the interface toolkit (Textual) is loaded.

Loading Textual is most of the time before its first frame; this draws the same words the unlock screen will
show (the title, the prompt, 'Vérification…' when the passphrase was given) on the terminal's alternate
screen at once, and stops the terminal from echoing keys or holding them for a line: a passphrase typed
meanwhile is never shown in clear and reaches the unlock screen once it is up (Textual reads the keys waiting).
``restore()`` puts the terminal back as it was, after the app has ended (Textual restores what it found, which
is the state set here).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from tui.i18n import t

ENTER = "\x1b[?1049h\x1b[?25l\x1b[2J"  # alternate screen, cursor hidden, cleared
LEAVE = "\x1b[?25h\x1b[?1049l"


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

    def restore(app_ran: bool) -> None:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        if not app_ran:  # Textual never took the screen: leave the alternate screen drawn here
            sys.stdout.write(LEAVE)
            sys.stdout.flush()

    return restore
