"""An audit log out of step with its seal stops audited work (AuditBroken), and ``reseal`` acknowledges the break
without losing the evidence: the log is kept byte for byte, a new chain starts with a record of the break, and
``verify`` passes again while saying every break and checking every kept log."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from core.errors import AuditBroken, BadInput
from core.store.profile import Profile

PASS = "correct horse battery staple"


def _fill(profile: Profile, n: int = 6) -> list[bytes]:
    for i in range(n):
        profile.audit.append("file", f"doc{i}")
    return _log(profile).read_bytes().splitlines()


def _log(profile: Profile) -> Path:
    return profile.path / "audit" / "log"


def _write(profile: Profile, lines: list[bytes]) -> None:
    _log(profile).write_bytes(b"".join(line + b"\n" for line in lines))


def _reseal_and_check(profile: Profile, broken: bytes) -> dict:
    """Reseal, then what must hold after any break: the log kept byte for byte (0600), a new chain whose first
    record is the break, a verify that passes, and audited work that goes on."""
    details = profile.audit.reseal(actor="dr-test")
    kept = profile.path / details["kept"]["file"]
    assert kept.read_bytes() == broken  # nothing lost
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert profile.audit.verify() is None
    [first] = profile.audit.records()
    assert (first["seq"], first["action"], first["object"], first["actor"]) == (1, "audit", "break", "dr-test")
    assert first["details"] == details
    assert profile.audit.in_step() is None
    profile.audit.append("read", "m-after")
    assert [r["object"] for r in profile.audit.records()] == ["break", "m-after"]
    assert profile.audit.verify() is None
    return details


def test_a_removed_last_line_stops_audited_work_until_resealed(profile: Profile) -> None:
    lines = _fill(profile)
    sealed = profile.vault.read_audit_seal()
    _write(profile, lines[:-1])
    broken = _log(profile).read_bytes()
    with pytest.raises(AuditBroken) as refused:
        profile.audit.append("read", "m1")
    assert "missive audit reseal" in str(refused.value) and "missive audit verify" in str(refused.value)
    assert _log(profile).read_bytes() == broken  # the refused action wrote nothing
    assert profile.audit.in_step() is not None
    details = _reseal_and_check(profile, broken)
    assert details["found"]["record"] == 7 and details["found"]["records_read"] == 6
    assert details["seal"]["count"] == 7 and details["seal"]["last"] == sealed["last"]
    assert details["breaks"] == 1
    [found] = profile.audit.breaks()
    assert found["intact"] and found["readable"] == 6 and found["record"] == 7 and found["actor"] == "dr-test"


def test_a_removed_middle_line_is_kept_readable_up_to_the_break(profile: Profile) -> None:
    lines = _fill(profile)
    del lines[3]
    _write(profile, lines)
    broken = _log(profile).read_bytes()
    with pytest.raises(AuditBroken):
        profile.audit.append("read", "m1")
    details = _reseal_and_check(profile, broken)
    assert details["found"]["record"] == 4
    assert "modifié, déplacé" in details["found"]["reason"]
    assert profile.audit.breaks()[0]["readable"] == 3


def test_an_older_log_restored_under_a_newer_seal(profile: Profile) -> None:
    _fill(profile, 3)
    older = _log(profile).read_bytes()
    _fill(profile, 3)  # the seal moves on; then the backup's older log comes back
    _log(profile).write_bytes(older)
    with pytest.raises(AuditBroken):
        profile.audit.append("read", "m1")
    details = _reseal_and_check(profile, older)
    assert details["seal"]["count"] == 7 and details["found"]["records_read"] == 4


def test_a_newer_log_under_an_older_seal(profile: Profile) -> None:
    _fill(profile, 3)
    vault_json = (profile.path / "vault.json").read_bytes()
    _fill(profile, 3)
    (profile.path / "vault.json").write_bytes(vault_json)  # vault.json from a backup a few records older
    newer = _log(profile).read_bytes()
    with pytest.raises(AuditBroken):
        profile.audit.append("read", "m1")
    details = _reseal_and_check(profile, newer)
    assert details["seal"]["count"] == 4 and details["found"]["records_read"] == 7


def test_a_second_reseal_keeps_both_logs_and_verify_says_both_breaks(profile: Profile) -> None:
    lines = _fill(profile)
    _write(profile, lines[:-1])
    first_broken = _log(profile).read_bytes()
    _reseal_and_check(profile, first_broken)
    lines = _fill(profile, 2)
    _write(profile, lines[:-1])
    second_broken = _log(profile).read_bytes()
    with pytest.raises(AuditBroken):
        profile.audit.append("read", "m1")
    details = _reseal_and_check(profile, second_broken)
    assert details["breaks"] == 2
    newest, oldest = profile.audit.breaks()
    assert newest["intact"] and oldest["intact"] and newest["file"] != oldest["file"]
    assert (profile.path / oldest["file"]).read_bytes() == first_broken
    assert (profile.path / newest["file"]).read_bytes() == second_broken
    assert oldest["readable"] == 6  # the first log, read back through the second kept one
    assert profile.audit.seal_status()["breaks"] == 2


def test_a_kept_log_deleted_or_changed_fails_verify_but_stops_no_work(profile: Profile) -> None:
    lines = _fill(profile)
    _write(profile, lines[:-1])
    details = profile.audit.reseal()
    kept = profile.path / details["kept"]["file"]
    kept.write_bytes(kept.read_bytes()[:-10] + b"\n")
    problem = profile.audit.verify()
    assert problem is not None and details["kept"]["file"] in problem.reason
    profile.audit.append("read", "m1")  # the current chain is intact: work goes on
    kept.unlink()
    assert profile.audit.verify() is not None
    assert not profile.audit.breaks()[0]["intact"]
    # a reseal for that very reason: recorded, and from then on reported, not failed, by verify
    again = profile.audit.reseal()
    assert again["found"]["record"] == 0 and details["kept"]["file"] in again["found"]["reason"]
    assert profile.audit.verify() is None
    newest, gone = profile.audit.breaks()
    assert newest["intact"] and not gone["intact"] and gone["acknowledged"]


def test_an_intact_log_is_not_resealed(profile: Profile) -> None:
    _fill(profile, 2)
    before = _log(profile).read_bytes()
    with pytest.raises(BadInput):
        profile.audit.reseal()
    assert _log(profile).read_bytes() == before
    assert not list((profile.path / "audit").glob("broken-*"))


def test_a_deleted_log_is_resealed_with_nothing_to_keep(profile: Profile) -> None:
    _fill(profile, 2)
    _log(profile).unlink()
    with pytest.raises(AuditBroken):
        profile.audit.append("read", "m1")
    details = profile.audit.reseal()
    assert details["kept"] is None and details["seal"]["count"] == 3
    assert profile.audit.verify() is None
    assert profile.audit.breaks()[0]["file"] == ""


def test_an_unreadable_seal_is_a_break_too(profile: Profile) -> None:
    _fill(profile, 2)
    meta = json.loads((profile.path / "vault.json").read_text())
    meta["audit_seal"] = meta["audit_seal"][:-8] + "AAAAAAA="
    (profile.path / "vault.json").write_text(json.dumps(meta))
    with pytest.raises(AuditBroken):
        profile.audit.append("read", "m1")
    details = profile.audit.reseal()
    assert details["seal"] is None and details["seal_readable"] is False
    assert profile.audit.verify() is None
    assert Profile.open(profile.path, PASS).audit.verify() is None


def test_the_break_survives_a_reopen_and_the_seal_keeps_the_count(profile: Profile) -> None:
    lines = _fill(profile)
    _write(profile, lines[:-2])
    profile.audit.reseal()
    for i in range(3):
        profile.audit.append("read", f"m{i}")
    reopened = Profile.open(profile.path, PASS)
    assert reopened.audit.verify() is None
    assert reopened.audit.seal_status()["breaks"] == 1
    # cutting the new chain's first record (the break) away is itself a break, never a clean log
    new_lines = _log(reopened).read_bytes().splitlines()
    _log(reopened).write_bytes(b"".join(ln + b"\n" for ln in new_lines[1:]))
    assert reopened.audit.verify() is not None


def test_a_seal_removed_from_vault_json_is_a_break_the_reseal_records(profile: Profile) -> None:
    _fill(profile, 2)
    meta = json.loads((profile.path / "vault.json").read_text())
    del meta["audit_seal"]  # to pass for a profile made before the seal
    (profile.path / "vault.json").write_text(json.dumps(meta))
    with pytest.raises(AuditBroken):
        profile.audit.append("read", "m1")
    details = profile.audit.reseal()
    assert details["seal"] is None and "disparu de vault.json" in details["found"]["reason"]
    assert profile.audit.verify() is None and profile.audit.seal_status()["breaks"] == 1


def test_a_profile_made_before_the_seal_keeps_its_head_beside_the_log(profile_dir: Path) -> None:
    from tests.store.test_audit_seal import _as_made_before_the_seal

    Profile.create(profile_dir, PASS)
    _fill(Profile.open(profile_dir, PASS), 3)
    _as_made_before_the_seal(profile_dir)
    profile = Profile.open(profile_dir, PASS)
    head = (profile_dir / "audit" / "head").read_bytes()
    _write(profile, _log(profile).read_bytes().splitlines()[:-1])
    broken = _log(profile).read_bytes()
    with pytest.raises(AuditBroken):
        profile.audit.append("read", "m1")
    details = _reseal_and_check(profile, broken)
    assert (profile_dir / details["kept_head"]).read_bytes() == head
    assert not (profile_dir / "audit" / "head").exists()
    assert Profile.open(profile_dir, PASS).vault.sealed
