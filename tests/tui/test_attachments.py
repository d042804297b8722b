"""Saving an attachment never replaces a file the doctor already has."""

from __future__ import annotations

from pathlib import Path

from tui.panes.inbox import _write_new


def test_same_name_gets_a_number_and_the_old_file_is_kept(tmp_path: Path) -> None:
    first = _write_new(tmp_path, "cr.pdf", b"one")
    second = _write_new(tmp_path, "cr.pdf", b"two")
    third = _write_new(tmp_path, "cr.pdf", b"three")
    assert [p.name for p in (first, second, third)] == ["cr.pdf", "cr (2).pdf", "cr (3).pdf"]
    assert first.read_bytes() == b"one" and second.read_bytes() == b"two"
