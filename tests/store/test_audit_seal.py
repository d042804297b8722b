"""The audit log is anchored in vault.json: wiping, cutting or rolling it back is reported, and `verify` never
raises a false alarm while another process appends."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from core.store.audit import GENESIS, _hash
from core.store.profile import Profile
from core.store.vault import VAULT_AAD

PASS = "correct horse battery staple"


def _fill(profile: Profile, n: int = 6) -> None:
    for i in range(n):
        profile.audit.append("file", f"doc{i}")


def _log(folder: Path) -> Path:
    return folder / "audit" / "log"


def _verify(cli) -> tuple[int, str, str]:
    return cli("audit", "verify")


def test_a_new_profile_starts_with_its_genesis_record_and_is_sealed(cli, profile_dir: Path) -> None:
    assert cli("init")[0] == 0
    [genesis] = Profile.open(profile_dir, PASS).audit.records()
    assert (genesis["seq"], genesis["action"], genesis["object"]) == (1, "config", "profile")
    assert genesis["details"] == {"created": True}
    code, out, _ = _verify(cli)
    assert code == 0 and "scellé depuis la création du profil" in out


def test_cut_to_one_record_with_the_head_deleted_is_reported(cli, profile_dir: Path) -> None:
    assert cli("init")[0] == 0
    _fill(Profile.open(profile_dir, PASS))
    first = _log(profile_dir).read_bytes().splitlines()[0]
    _log(profile_dir).write_bytes(first + b"\n")
    (profile_dir / "audit" / "head").unlink(missing_ok=True)
    code, out, err = _verify(cli)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "l'enregistrement 2 du journal d'audit" in err
    assert "7 enregistrements scellés, 1 présents" in err


def test_log_and_head_both_deleted_is_reported(cli, profile_dir: Path) -> None:
    assert cli("init")[0] == 0
    _fill(Profile.open(profile_dir, PASS))
    shutil.rmtree(profile_dir / "audit")
    code, _, err = _verify(cli)
    assert code == 1 and err.count("\n") == 1 and "supprimé" in err and "0 présents" in err


def test_an_older_log_restored_with_its_older_head_is_reported(cli, profile_dir: Path) -> None:
    assert cli("init")[0] == 0
    profile = Profile.open(profile_dir, PASS)
    _fill(profile, 3)
    backup = profile_dir.parent / "audit-backup"
    shutil.copytree(profile_dir / "audit", backup)
    _fill(profile, 3)  # what the rollback hides
    shutil.rmtree(profile_dir / "audit")
    shutil.copytree(backup, profile_dir / "audit")
    assert Profile.open(profile_dir, PASS).audit.verify() is not None
    code, _, err = _verify(cli)
    assert code == 1 and "copie plus ancienne" in err and "7 enregistrements scellés, 4 présents" in err


def test_the_seal_removed_from_vault_json_is_reported(cli, profile_dir: Path) -> None:
    assert cli("init")[0] == 0
    _fill(Profile.open(profile_dir, PASS))
    meta = json.loads((profile_dir / "vault.json").read_text())
    del meta["audit_seal"]  # to pass for a profile made before the seal, and then cut the log
    (profile_dir / "vault.json").write_text(json.dumps(meta))
    _log(profile_dir).write_bytes(_log(profile_dir).read_bytes().splitlines()[0] + b"\n")
    code, _, err = _verify(cli)
    assert code == 1 and "le sceau du journal a disparu de vault.json" in err


def _as_made_before_the_seal(folder: Path) -> None:
    """Turn a profile into one written by a version without the seal: key wrapped the old way, a head file."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    profile = Profile.open(folder, PASS)
    vault = profile.vault
    meta = json.loads((folder / "vault.json").read_text())
    del meta["audit_seal"]
    nonce = os.urandom(12)
    wrapped = nonce + AESGCM(vault._kek).encrypt(nonce, vault._data_key, VAULT_AAD)
    meta["wrapped_key"] = base64.b64encode(wrapped).decode()
    (folder / "vault.json").write_text(json.dumps(meta))
    last = GENESIS
    lines = _log(folder).read_bytes().splitlines()
    for line in lines:
        last = _hash(line, last)
    head = vault.seal(json.dumps({"count": len(lines), "last": last}).encode(), "audit/head")
    (folder / "audit" / "head").write_bytes(head)


def test_a_profile_made_before_the_seal_is_sealed_from_its_next_record(cli, profile_dir: Path) -> None:
    assert cli("init")[0] == 0
    _fill(Profile.open(profile_dir, PASS), 2)
    _as_made_before_the_seal(profile_dir)
    reopened = Profile.open(profile_dir, PASS)
    assert not reopened.vault.sealed
    code, out, _ = _verify(cli)
    assert code == 0 and "3 enregistrements), non scellé : il le sera au prochain enregistrement" in out

    reopened.audit.append("read", "m1")  # sealed from here on
    assert Profile.open(profile_dir, PASS).vault.sealed
    code, out, _ = _verify(cli)
    assert code == 0 and "4 enregistrements), non scellé jusqu'au" in out and "(enregistrement 4)" in out
    assert re.search(r"jusqu'au \d\d/\d\d/\d{4} \(", out)  # a French date: the day of the first seal

    # from then on, a cut or a removed seal is seen like in a new profile
    meta = json.loads((profile_dir / "vault.json").read_text())
    del meta["audit_seal"]
    (profile_dir / "vault.json").write_text(json.dumps(meta))
    code, _, err = _verify(cli)
    assert code == 1 and "le sceau du journal a disparu" in err


def test_a_passphrase_changed_elsewhere_survives_this_process_sealing(profile_dir: Path) -> None:
    """Process A (opened with the old passphrase) appends after process B changed it: A rewrites the seal
    only, never the key wrapped under the new passphrase."""
    Profile.create(profile_dir, PASS)
    a = Profile.open(profile_dir, PASS)
    Profile.open(profile_dir, PASS).change_passphrase("new words here")
    a.audit.append("read", "m1")
    reopened = Profile.open(profile_dir, "new words here")
    assert reopened.audit.verify() is None and len(reopened.audit.records()) == 3


APPENDER = textwrap.dedent(
    """
    import sys
    from core.store.profile import Profile
    profile = Profile.open(sys.argv[1], sys.argv[2])
    print("ready", flush=True)
    for i in range(int(sys.argv[3])):
        profile.audit.append("read", f"m{i}")
    """
)


def test_verify_while_another_process_appends_raises_no_false_alarm(
    profile_dir: Path, tmp_path: Path
) -> None:
    Profile.create(profile_dir, PASS)
    script = tmp_path / "appender.py"
    script.write_text(APPENDER)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    appender = subprocess.Popen(
        [sys.executable, str(script), str(profile_dir), PASS, "150"], stdout=subprocess.PIPE, env=env
    )
    assert appender.stdout is not None and appender.stdout.readline().strip() == b"ready"
    verifier = Profile.open(profile_dir, PASS)
    read_log = verifier.audit._lines

    def slow_read() -> list[bytes]:  # a long log on a slow disk: the appender gets time to add a record
        lines = read_log()
        time.sleep(0.005)
        return lines

    verifier.audit._lines = slow_read  # type: ignore[method-assign]
    checks, counts = 0, set()
    while appender.poll() is None:
        assert verifier.audit.verify() is None, f"false alarm after {checks} checks"
        counts.add(len(verifier.audit.records()))
        checks += 1
    appender.stdout.close()
    assert appender.returncode == 0
    assert verifier.audit.verify() is None and len(verifier.audit.records()) == 151
    assert len(counts) > 1  # the checks did run while records were being added
