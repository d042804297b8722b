"""An audit record costs the same however long the log has grown: the seal records the log's length, so an
append checks the length instead of reading every line (each message opened adds one record); a record left
unsealed by a crash is still adopted, and a log cut short is still refused."""

from __future__ import annotations

import pytest

from core.errors import StoreCorrupted
from core.store.audit import AuditLog
from core.store.profile import Profile


def test_an_append_does_not_read_the_whole_log(profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    profile.audit.append("read", "m0")  # a seal with the log's length from here on

    def read_all(self: AuditLog) -> list[bytes]:
        raise AssertionError("the whole log was read to append one record")

    monkeypatch.setattr(AuditLog, "_lines", read_all)
    for i in range(1, 20):
        profile.audit.append("read", f"m{i}")
    monkeypatch.undo()
    assert profile.audit.verify() is None
    assert [r["object"] for r in profile.audit.records()][-20:] == [f"m{i}" for i in range(20)]


def test_a_record_written_but_not_sealed_is_adopted(profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    profile.audit.append("read", "m0")
    vault = profile.audit._vault
    real = vault.write_audit_seal
    monkeypatch.setattr(vault, "write_audit_seal", lambda state: None)  # the process stops before sealing
    profile.audit.append("read", "m1")
    monkeypatch.setattr(vault, "write_audit_seal", real)
    profile.audit.append("read", "m2")
    assert profile.audit.verify() is None
    assert [r["object"] for r in profile.audit.records()][-3:] == ["m0", "m1", "m2"]


def test_two_crashes_in_a_row_before_sealing_leave_an_intact_log(
    profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed after appending and before sealing, then the next one killed at the same point: the
    second adopts and seals the first's record before appending its own, so at most one record is ever out
    of the seal (two would read as records added from outside: the crash test saw it 1 run in 5)."""
    profile.audit.append("read", "m0")
    sealed = profile.audit.seal_status()
    assert sealed is not None
    vault = profile.audit._vault
    real = vault.write_audit_seal
    first, second = sealed["count"] + 1, sealed["count"] + 2

    def dies_before_sealing(state: dict[str, object]) -> None:
        if state["count"] == dying[0]:
            return  # the process is gone before its seal is written
        real(state)

    dying = [first]
    monkeypatch.setattr(vault, "write_audit_seal", dies_before_sealing)
    profile.audit.append("read", "m1")  # killed before its seal
    dying[0] = second
    profile.audit.append("read", "m2")  # the next process, killed at the same point
    monkeypatch.setattr(vault, "write_audit_seal", real)
    assert profile.audit.verify() is None
    profile.audit.append("read", "m3")
    assert profile.audit.verify() is None
    assert [r["object"] for r in profile.audit.records()][-4:] == ["m0", "m1", "m2", "m3"]


def test_a_log_cut_short_is_refused(profile: Profile) -> None:
    for i in range(3):
        profile.audit.append("read", f"m{i}")
    log = profile.path / "audit" / "log"
    log.write_bytes(b"".join(line + b"\n" for line in log.read_bytes().splitlines()[:-1]))
    with pytest.raises(StoreCorrupted):
        profile.audit.append("read", "m3")
