"""The terminal driver's input thread sleeps until a key comes (Textual's polls ten times a second, the only
CPU an idle missive used), still tells a lone Escape from a sequence, and stops when asked."""

from __future__ import annotations

import os
import selectors
import threading
import time

from tui.driver import QuietLinuxDriver


class App:
    """What the driver needs of an app here."""

    def call_later(self, *args: object) -> None:  # a panic: the test fails on the thread's error
        raise AssertionError(args)


async def test_the_input_thread_waits_without_polling_and_stops_when_asked(monkeypatch) -> None:
    keys_read, keys_write = os.pipe()
    driver = QuietLinuxDriver(App())  # type: ignore[arg-type]
    driver.fileno = keys_read
    received: list[str] = []
    monkeypatch.setattr(driver, "process_message", lambda m: received.append(getattr(m, "key", "")))
    waits: list[float | None] = []
    real_select = selectors.SelectSelector.select

    def select(self, timeout=None):  # noqa: ANN001, ANN202
        waits.append(timeout)
        return real_select(self, timeout)

    monkeypatch.setattr(selectors.SelectSelector, "select", select)
    thread = threading.Thread(target=driver.run_input_thread)
    thread.start()
    try:
        time.sleep(0.6)
        assert waits == [None]  # one wait, without a timeout: nothing woke it
        os.write(keys_write, b"j")
        deadline = time.monotonic() + 5
        while "j" not in received and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "j" in received
        os.write(keys_write, b"\x1b")  # Escape alone: known only once its short timeout has passed
        deadline = time.monotonic() + 5
        while "escape" not in received and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "escape" in received
        assert any(w is not None for w in waits)  # the parser's tick asked for a timeout, once
    finally:
        driver._stop_reading = True
        os.write(driver._wake_write, b"x")
        thread.join(5)
        assert not thread.is_alive()
        for fd in (keys_read, keys_write, driver._wake_read, driver._wake_write):
            os.close(fd)


def test_textual_own_driver_is_used_when_the_quiet_one_cannot_be_loaded(monkeypatch) -> None:
    """The quiet driver reuses private parts of Textual 8.x; if another 8.x release moved them, the app still starts
    with Textual's own driver (a warning in the log) instead of failing at start-up."""
    import sys

    from textual.drivers.linux_driver import LinuxDriver

    from tests.tui.fakes import FakeMailroom
    from tui.app import MissiveApp

    monkeypatch.setitem(sys.modules, "tui.driver", None)  # importing it raises ImportError
    app = MissiveApp(mailroom=FakeMailroom())
    assert app.driver_class is LinuxDriver
    monkeypatch.delitem(sys.modules, "tui.driver")
    assert MissiveApp(mailroom=FakeMailroom()).driver_class.__name__ == QuietLinuxDriver.__name__
