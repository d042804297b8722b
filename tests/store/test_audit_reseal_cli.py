"""`missive audit verify` and `missive audit reseal`, run as a user runs them (a separate process): a broken log is
said in one line with a failing code, audited commands are refused with the commands to run, and a reseal under
the passphrase, once confirmed, keeps the broken log byte for byte and lets work go on."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from core.store.profile import Profile

ROOT = Path(__file__).resolve().parents[2]
PASS = "correct horse battery staple"


def missive(profile: Path, *args: str, passphrase: str = PASS) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--profile", str(profile), *args],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_PASSPHRASE": passphrase, "MISSIVE_KDF": "floor"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def _made(tmp_path: Path, records: int = 5) -> Profile:
    folder = tmp_path / "profil"
    assert missive(folder, "init")[0] == 0
    profile = Profile.open(folder, PASS)
    for i in range(records):
        profile.audit.append("file", f"doc{i}")
    return profile


def _log(profile: Profile) -> Path:
    return profile.path / "audit" / "log"


def _cut_last(profile: Profile) -> None:
    _log(profile).write_bytes(b"".join(ln + b"\n" for ln in _log(profile).read_bytes().splitlines()[:-1]))


def _cut_middle(profile: Profile) -> None:
    lines = _log(profile).read_bytes().splitlines()
    del lines[2]
    _log(profile).write_bytes(b"".join(ln + b"\n" for ln in lines))


def _older_log(profile: Profile) -> None:
    older = _log(profile).read_bytes()
    for i in range(3):
        profile.audit.append("read", f"m{i}")
    _log(profile).write_bytes(older)


def _older_seal(profile: Profile) -> None:
    vault_json = (profile.path / "vault.json").read_bytes()
    for i in range(3):
        profile.audit.append("read", f"m{i}")
    (profile.path / "vault.json").write_bytes(vault_json)


BREAKS: dict[str, tuple[Callable[[Profile], None], str]] = {
    "removed-last-line": (_cut_last, "enregistrement 6 du journal d'audit"),
    "removed-middle-line": (_cut_middle, "enregistrement 3 du journal d'audit"),
    "older-log-newer-seal": (_older_log, "copie plus ancienne"),
    "newer-log-older-seal": (_older_seal, "ajouté hors de missive"),
}


def _audit_files(profile: Profile) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((profile.path / "audit").iterdir())} | {
        "vault.json": (profile.path / "vault.json").read_bytes()
    }


@pytest.mark.parametrize("kind", list(BREAKS))
def test_a_break_is_said_then_resealed_without_losing_the_log(tmp_path: Path, kind: str) -> None:
    profile = _made(tmp_path)
    breaking, said = BREAKS[kind]
    breaking(profile)
    broken = _log(profile).read_bytes()

    code, out, err = missive(profile.path, "audit", "verify")
    assert (code, out) == (1, "") and err.count("\n") == 1 and said in err

    before = _audit_files(profile)
    code, out, err = missive(profile.path, "audit", "reseal")  # no terminal, no --oui: asked, nothing done
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "missive audit reseal --oui" in err and "rien n'est effacé" in err
    assert _audit_files(profile) == before

    code, out, err = missive(profile.path, "audit", "reseal", "--oui")
    assert code == 0 and err == "" and "Journal rescellé" in out
    [kept] = (profile.path / "audit").glob("broken-*.log")
    assert kept.read_bytes() == broken  # nothing lost: byte-identical
    assert f"audit/{kept.name}" in out

    code, out, err = missive(profile.path, "audit", "verify")
    assert code == 0 and err == ""
    assert "depuis la reprise du" in out and "rupture(s) reconnue(s) : 1" in out
    assert "Rupture reconnue le " in out and f"journal d'avant conservé tel quel dans audit/{kept.name}" in out

    code, out, _ = missive(profile.path, "audit", "list")
    assert code == 0 and out.splitlines()[0].split()[3:5] == ["audit", "break"]


def test_audited_commands_are_refused_with_the_commands_to_run_and_work_again_after(tmp_path: Path) -> None:
    profile = _made(tmp_path)
    _cut_last(profile)
    csv = tmp_path / "patients.csv"
    csv.write_text("id,birth_name,used_name,given_names,birth_date,sex,ins,ins_status\np1,DUPONT,,Jean,1970-01-01,M,,\n")
    code, out, err = missive(profile.path, "patients", "import", str(csv))
    assert code == 1 and err.count("\n") == 1
    assert f"« missive audit reseal --profile {profile.path} »" in err and "ne correspond plus à son sceau" in err
    assert "audited action refused before it began" in (profile.path / "missive.log").read_text()
    assert missive(profile.path, "audit", "reseal", "--yes")[0] == 0
    code, out, err = missive(profile.path, "patients", "import", str(csv))
    assert code == 0, err
    _, out, _ = missive(profile.path, "audit", "list")
    assert [line.split()[3] for line in out.splitlines()] == ["audit", "patients.import"]


def test_a_reseal_with_a_wrong_passphrase_changes_nothing(tmp_path: Path) -> None:
    profile = _made(tmp_path)
    _cut_last(profile)
    before = _audit_files(profile)
    code, out, err = missive(profile.path, "audit", "reseal", "--oui", passphrase="not the passphrase")
    assert code != 0 and out == "" and err.count("\n") == 1 and "phrase de passe" in err
    assert _audit_files(profile) == before
    assert missive(profile.path, "audit", "verify")[0] == 1


def test_an_intact_log_is_not_resealed(tmp_path: Path) -> None:
    profile = _made(tmp_path)
    before = _audit_files(profile)
    code, out, err = missive(profile.path, "audit", "reseal", "--oui")
    assert code == 2 and "rien à resceller" in err
    assert _audit_files(profile) == before


def test_a_second_reseal_keeps_both_logs_and_verify_lists_both_breaks(tmp_path: Path) -> None:
    profile = _made(tmp_path)
    _cut_last(profile)
    first = _log(profile).read_bytes()
    assert missive(profile.path, "audit", "reseal", "--oui")[0] == 0
    for i in range(3):
        profile.audit.append("read", f"m{i}")
    _cut_middle(profile)
    second = _log(profile).read_bytes()
    assert missive(profile.path, "audit", "verify")[0] == 1
    assert missive(profile.path, "audit", "reseal", "--oui")[0] == 0
    kept = sorted((profile.path / "audit").glob("broken-*.log"), key=lambda p: p.stat().st_mtime_ns)
    assert [p.read_bytes() for p in kept] == [first, second]
    code, out, err = missive(profile.path, "audit", "verify")
    assert code == 0 and "rupture(s) reconnue(s) : 2" in out and out.count("Rupture reconnue le") == 2

    kept[0].unlink()  # the evidence of the first break destroyed: verify says so
    code, out, err = missive(profile.path, "audit", "verify")
    assert code == 1 and err.count("\n") == 1 and f"audit/{kept[0].name}" in err and "supprimé ou modifié" in err
    assert "enregistrement 0" not in err
    assert missive(profile.path, "audit", "reseal", "--oui")[0] == 0  # acknowledged: said, no longer a failure
    code, out, err = missive(profile.path, "audit", "verify")
    assert code == 0 and "rupture(s) reconnue(s) : 3" in out
    assert f"le journal d'avant, audit/{kept[0].name}, a été supprimé ou modifié depuis" in out


def test_a_broken_log_is_listed_as_far_as_it_reads_and_so_is_the_kept_one(tmp_path: Path) -> None:
    profile = _made(tmp_path)
    _cut_middle(profile)  # record 3 removed: 1 and 2 still read
    code, out, err = missive(profile.path, "audit", "list")
    assert code == 1 and [line.split()[4] for line in out.splitlines()] == ["profile", "doc0"]
    assert err.count("\n") == 1 and "enregistrement 3 du journal d'audit" in err
    assert missive(profile.path, "audit", "reseal", "--oui")[0] == 0
    [kept] = (profile.path / "audit").glob("broken-*.log")
    code, out, err = missive(profile.path, "audit", "list", "--kept", f"audit/{kept.name}")
    lines = out.splitlines()
    assert code == 0 and err == "" and [line.split()[4] for line in lines[:2]] == ["profile", "doc0"]
    assert lines[2].startswith("(le journal conservé s'arrête là : enregistrement 3")
    code, out, err = missive(profile.path, "audit", "list", "--kept", "../vault.json")
    assert code == 2 and out == "" and "n'est pas un journal conservé" in err


def _at_a_terminal(profile: Path, answer: bytes) -> tuple[int, str]:
    """`missive audit reseal` at a terminal (a pty): the question, the prompt, then ``answer`` typed."""
    import pty
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--profile", str(profile), "audit", "reseal"],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_PASSPHRASE": PASS, "MISSIVE_KDF": "floor"},
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    shown, answered = b"", False
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                raise AssertionError(f"no answer from the command: {shown!r}")
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the command ended (EIO on Linux)
                break
            if not chunk:
                break
            shown += chunk
            if not answered and "Tapez « oui » pour confirmer".encode() in shown:
                os.write(master, answer + b"\n")
                answered = True
    finally:
        os.close(master)
    return proc.wait(timeout=60), shown.decode("utf-8", "replace")


def test_at_a_terminal_the_reseal_asks_first_and_only_oui_goes_on(tmp_path: Path) -> None:
    profile = _made(tmp_path)
    _cut_last(profile)
    before = _audit_files(profile)
    code, shown = _at_a_terminal(profile.path, b"non")
    assert code == 1 and "rien n'est effacé" in shown and "Rien n'a été changé." in shown
    assert _audit_files(profile) == before
    broken = _log(profile).read_bytes()
    code, shown = _at_a_terminal(profile.path, b"oui")
    assert code == 0 and "Journal rescellé" in shown
    [kept] = (profile.path / "audit").glob("broken-*.log")
    assert kept.read_bytes() == broken
    assert missive(profile.path, "audit", "verify")[0] == 0
