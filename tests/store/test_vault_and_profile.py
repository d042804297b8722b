"""The profile opens only with its passphrase, and a failed open changes nothing on disk."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from core.errors import BadInput, StoreCorrupted, WrongPassphrase
from core.store.profile import Profile


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def test_reopen_with_passphrase_reads_back(profile: Profile) -> None:
    profile.collection("patients").put("p1", {"birth_name": "DUPONT"})
    again = Profile.open(profile.path, "correct horse battery staple")
    assert again.collection("patients").get("p1") == {"birth_name": "DUPONT"}


def test_wrong_passphrase_changes_no_file(profile: Profile) -> None:
    profile.collection("patients").put("p1", {"birth_name": "DUPONT"})
    before = _hashes(profile.path)
    with pytest.raises(WrongPassphrase):
        Profile.open(profile.path, "not the passphrase")
    assert _hashes(profile.path) == before


def test_cli_wrong_passphrase_exits_1_with_one_line(cli, profile_dir: Path, monkeypatch) -> None:
    assert cli("init")[0] == 0
    before = _hashes(profile_dir)
    monkeypatch.setenv("MISSIVE_PASSPHRASE", "nope")
    code, out, err = cli("audit", "verify")
    assert code == 1
    assert err.count("\n") == 1 and "phrase de passe incorrecte" in err
    assert _hashes(profile_dir) == before


def test_passphrase_change_rewraps_only_the_key(profile: Profile) -> None:
    profile.collection("patients").put("p1", {"x": 1})
    before = _hashes(profile.path)
    profile.vault.change_passphrase("new one")
    after = _hashes(profile.path)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed == {"vault.json"}
    assert Profile.open(profile.path, "new one").collection("patients").get("p1") == {"x": 1}
    with pytest.raises(WrongPassphrase):
        Profile.open(profile.path, "correct horse battery staple")


def test_cli_passphrase_change(cli, monkeypatch, profile_dir: Path) -> None:
    assert cli("init")[0] == 0
    monkeypatch.setenv("MISSIVE_NEW_PASSPHRASE", "second")
    assert cli("passphrase", "change")[0] == 0
    monkeypatch.setenv("MISSIVE_PASSPHRASE", "second")
    assert cli("audit", "verify")[0] == 0


def test_corrupted_shard_names_the_file_and_is_not_overwritten(profile: Profile) -> None:
    coll = profile.collection("messages")
    coll.put("m1", {"subject": "x"})
    shard = next(p for p in (profile.path / "db" / "messages").glob("g*.mdb"))
    damaged = bytearray(shard.read_bytes())
    damaged[-5] ^= 0xFF
    shard.write_bytes(bytes(damaged))
    reopened = Profile.open(profile.path, "correct horse battery staple")
    with pytest.raises(StoreCorrupted) as info:
        reopened.collection("messages").get("m1")
    assert shard.name in str(info.value)
    with pytest.raises(StoreCorrupted):
        reopened.collection("messages").put("m1", {"subject": "y"})
    assert shard.read_bytes() == bytes(damaged)


def test_cli_corrupted_file_one_line_exit_1(cli, profile_dir: Path) -> None:
    import json

    assert cli("init")[0] == 0
    vault = profile_dir / "vault.json"
    meta = json.loads(vault.read_text())
    meta["audit_seal"] = "Z2FyYmFnZQ=="  # "garbage"
    vault.write_text(json.dumps(meta))
    code, _, err = cli("audit", "verify")
    assert code == 1 and "sceau" in err and err.count("\n") == 1


def test_swapped_files_are_detected(profile: Profile) -> None:
    """A file moved under another name fails its check (the name is authenticated)."""
    a, b = profile.blobs.put(b"first"), profile.blobs.put(b"second")
    pa, pb = profile.blobs._path(a), profile.blobs._path(b)
    pa.write_bytes(pb.read_bytes())
    with pytest.raises(StoreCorrupted):
        profile.blobs.get(a)


def test_a_file_sealed_in_pieces_reads_back_and_is_checked(profile: Profile) -> None:
    """A large file (the list index) is encrypted piece by piece, never joined: it reads back as one sealed
    whole, holds no plaintext, and a changed byte or another name fails its check."""
    pieces = [b"MLX1", memoryview(b"ZORGLUB " * 5000)[8:], b"", b"fin"]
    sealed = b"".join(profile.vault.seal_pieces(pieces, "db/messages/index-list.mdb"))
    plain = b"".join(bytes(p) for p in pieces)
    assert profile.vault.unseal(sealed, "db/messages/index-list.mdb") == plain
    assert b"ZORGLUB" not in sealed and len(sealed) == len(profile.vault.seal(plain, "x"))
    with pytest.raises(StoreCorrupted):
        profile.vault.unseal(sealed, "db/messages/other.mdb")
    changed = bytearray(sealed)
    changed[100] ^= 1
    with pytest.raises(StoreCorrupted):
        profile.vault.unseal(bytes(changed), "db/messages/index-list.mdb")


def test_blob_names_reveal_nothing(profile: Profile) -> None:
    blob_id = profile.blobs.put(b"DUPONT Jean resultat")
    path = profile.blobs._path(blob_id)
    assert b"DUPONT" not in path.read_bytes() and "DUPONT" not in str(path)
    assert profile.blobs.get(blob_id) == b"DUPONT Jean resultat"


def test_weakened_kdf_is_refused(profile: Profile) -> None:
    vault = profile.path / "vault.json"
    meta = json.loads(vault.read_text())
    meta["kdf"]["memory_kib"] = 1024
    vault.write_text(json.dumps(meta))
    with pytest.raises(StoreCorrupted):
        Profile.open(profile.path, "correct horse battery staple")


def test_init_refuses_existing_profile(cli) -> None:
    assert cli("init")[0] == 0
    code, _, err = cli("init")
    assert code == 2 and "contient déjà un profil" in err


def test_empty_passphrase_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        Profile.create(tmp_path / "p", "")
