"""Two accounts synced at once in the app's threads: the letter one thread reads while the other is still
importing the header reader is read whole, never stored without sender, subject or date.

Found by the fresh-clone CI (tests/tui/test_removed_account.py, about one run in eight here): ``_module`` took
a module from ``sys.modules`` while another thread was still running its body (the import system puts it there
first), the summary's ``AttributeError`` fell into "one broken message must not stop a sync", and the letter
was stored for good with a blank sender, subject and date."""

from __future__ import annotations

import builtins
import sys
import threading
from pathlib import Path

import pytest

from core.mail import messages


def test_a_module_half_imported_by_another_thread_is_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    monkeypatch.setattr(builtins, "_missive_test_gate", gate, raising=False)
    (tmp_path / "slow_reader_mod.py").write_text(
        "import builtins\nbuiltins._missive_test_gate.wait(20)\nVALUE = 'lu'\n", "utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_reader_mod", raising=False)

    importer = threading.Thread(target=messages._module, args=("slow_reader_mod",))
    importer.start()  # the first account's sync: importing, its body not run yet
    for _ in range(2000):
        if "slow_reader_mod" in sys.modules:
            break
        threading.Event().wait(0.01)
    assert "slow_reader_mod" in sys.modules

    got: list[object] = []

    def second_account() -> None:
        try:
            got.append(messages._module("slow_reader_mod").VALUE)
        except AttributeError as exc:
            got.append(exc)

    reader = threading.Thread(target=second_account)
    reader.start()
    reader.join(0.3)  # without the fix it has already failed; with it, it waits for the import
    gate.set()
    reader.join(20)
    importer.join(20)
    monkeypatch.delitem(sys.modules, "slow_reader_mod", raising=False)
    assert got == ["lu"]


def test_a_header_that_cannot_be_read_is_said_in_the_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_raw: bytes) -> None:
        raise AttributeError("module 'core.mail.fastmime' has no attribute 'scan'")

    from core.mail import fastmime

    monkeypatch.setattr(fastmime, "scan", broken)
    raw = b"From: labo@labo.mssante.fr\r\nSubject: Glyc\xc3\xa9mie Dupont\r\n\r\ncorps\r\n"
    with caplog.at_level("WARNING", logger="missive"):
        found = messages.summary_of(raw)
    assert found["subject"] == ""
    [line] = [r.getMessage() for r in caplog.records]
    assert "AttributeError" in line and "Dupont" not in line and "Glyc" not in line
