"""Textual's Linux terminal driver, without its ten wake-ups a second.

Textual's input thread waits for keys with ``select(0.1)``: it wakes every 100 ms to see whether it should
stop, which is all the CPU an idle missive used. Here it sleeps until a key comes, until the key parser needs
a tick (a lone Escape is told from the start of a sequence by a short timeout), or until it is asked to stop
(a byte on a pipe of its own, written by ``disable_input``). The rest is Textual's (textual 8.x).

It also closes the resume frame's gate (tui.splash) before its first write that is more than terminal modes
(the alternate screen, the mouse, the cursor, queries): a frame replayed from then on could come after the
app's own and cover it.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
from codecs import getincrementaldecoder
from typing import Any

from textual._loop import loop_last
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

# what draws nothing: private modes set, reset or asked (ESC [ ? n h/l, ESC [ ? n $ p), the keyboard protocol
# (ESC [ > n u), operating system commands (ESC ] ... BEL: the pointer's shape, the title)
_MODES = re.compile(r"(?:\x1b\[[?>][0-9;]*\$?[a-zA-Z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))+")


class QuietLinuxDriver(LinuxDriver):
    """LinuxDriver whose input thread blocks instead of polling."""

    closes_the_gate = True  # before its first drawing (tui.splash: the resume frame)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake_read = self._wake_write = -1
        self._open_wake()
        self._stop_reading = False
        self._drawing = False  # whether it has written anything but modes (then the gate is closed)

    def _open_wake(self) -> None:
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)

    def write(self, data: str) -> None:
        if not self._drawing and not _MODES.fullmatch(data):
            from tui.splash import close_gate

            close_gate()
            self._drawing = True
        super().write(data)

    def start_application_mode(self) -> None:
        self._stop_reading = False
        if self._wake_read < 0:  # closed by a suspend (App.suspend: the external editor, ctrl+z): a new one
            self._open_wake()
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_read, 64):  # a wake-up left from a previous suspend
                pass
        super().start_application_mode()

    def disable_input(self) -> None:
        self._stop_reading = True
        if self._wake_write >= 0:
            with contextlib.suppress(OSError):
                os.write(self._wake_write, b"x")
        super().disable_input()

    def close(self) -> None:
        """Textual closes the driver at the end and at every suspend; a resume opens the wake-up pipe again
        (reading a closed one made the resume fail: the app never took the terminal back)."""
        super().close()
        for fd in (self._wake_read, self._wake_write):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._wake_read = self._wake_write = -1

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events (Textual's loop, with a blocking wait)."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(self._wake_read, selectors.EVENT_READ)

        fileno = self.fileno
        EVENT_READ = selectors.EVENT_READ

        parser = XTermParser(self._debug)
        feed = parser.feed
        tick = parser.tick

        decode = getincrementaldecoder("utf-8")().decode
        read = os.read

        def process_selector_events(
            selector_events: list[tuple[selectors.SelectorKey, int]], final: bool = False
        ) -> None:
            for last, (selector_key, mask) in loop_last(selector_events):
                if selector_key.fd != fileno:
                    continue
                if mask & EVENT_READ:
                    unicode_data = decode(read(fileno, 1024 * 4), final=final and last)
                    if not unicode_data:
                        break
                    for event in feed(unicode_data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        def timeout() -> float | None:
            """None (until a key or the stop) unless the parser waits for a timeout."""
            due = parser._timeout_time
            return None if due is None else max(0.0, due - get_time())

        try:
            while not self.exit_event.is_set() and not self._stop_reading:
                process_selector_events(selector.select(timeout()))
            selector.unregister(self.fileno)
            selector.unregister(self._wake_read)
            process_selector_events(selector.select(0.1), final=True)
        finally:
            selector.close()
            with contextlib.suppress(EOFError, ParseError):
                for _event in feed(""):
                    pass
