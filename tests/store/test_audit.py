"""The audit log tells an intact log from a changed, removed, reordered or cut one."""

from __future__ import annotations

from pathlib import Path

from core.store.profile import Profile


def _fill(profile: Profile, n: int = 6) -> list[bytes]:
    for i in range(n):
        profile.audit.append("file", f"doc{i}", patient=f"p{i}")
    return (profile.path / "audit" / "log").read_bytes().splitlines()


def _write(profile: Profile, lines: list[bytes]) -> None:
    (profile.path / "audit" / "log").write_bytes(b"".join(line + b"\n" for line in lines))


def test_intact(profile: Profile) -> None:
    _fill(profile)
    assert profile.audit.verify() is None
    recs = profile.audit.records()
    assert [r["object"] for r in recs[1:]] == [f"doc{i}" for i in range(6)]
    assert all(r["actor"] for r in recs)


def test_changed_record(profile: Profile) -> None:
    lines = _fill(profile)
    bad = bytearray(lines[3])
    bad[20] = ord("A") if bad[20] != ord("A") else ord("B")
    lines[3] = bytes(bad)
    _write(profile, lines)
    problem = profile.audit.verify()
    assert problem is not None and problem.index == 4


def test_removed_record(profile: Profile) -> None:
    lines = _fill(profile)
    del lines[2]
    _write(profile, lines)
    problem = profile.audit.verify()
    assert problem is not None and problem.index == 3


def test_reordered_records(profile: Profile) -> None:
    lines = _fill(profile)
    lines[2], lines[4] = lines[4], lines[2]
    _write(profile, lines)
    problem = profile.audit.verify()
    assert problem is not None and problem.index == 3


def test_cut_at_the_end(profile: Profile) -> None:
    lines = _fill(profile)
    _write(profile, lines[:-2])
    problem = profile.audit.verify()
    assert problem is not None and problem.index == len(lines) - 1


def test_cli_verify_names_the_first_bad_record(cli, profile_dir: Path) -> None:
    assert cli("init")[0] == 0
    p = Profile.open(profile_dir, "correct horse battery staple")
    lines = _fill(p)
    del lines[1]
    _write(p, lines)
    code, out, err = cli("audit", "verify")
    assert code == 1 and "enregistrement 2" in err
