"""The passphrase derivation: Argon2id for new vaults, scrypt vaults still open and move to Argon2id on a
passphrase change, and stored parameters below the floor are refused before any derivation."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from core.errors import BadInput, StoreCorrupted, WrongPassphrase
from core.store import vault as vault_module
from core.store.profile import Profile

PASS = "correct horse battery staple"


def _kdf(profile_dir: Path) -> dict:
    return json.loads((profile_dir / "vault.json").read_text())["kdf"]


def _make_scrypt_vault(profile: Profile, passphrase: str, log2_n: int = 14) -> None:
    """Rewrite vault.json exactly as missive wrote it before Argon2id (scrypt, r=8, p=1)."""
    salt = os.urandom(16)
    kek = Scrypt(salt=salt, length=32, n=2**log2_n, r=8, p=1).derive(passphrase.encode())
    nonce = os.urandom(12)
    wrapped = nonce + AESGCM(kek).encrypt(nonce, profile.vault._data_key, vault_module.VAULT_AAD)
    meta = {
        "format": "missive-vault",
        "version": 1,
        "kdf": {"name": "scrypt", "log2_n": log2_n, "r": 8, "p": 1, "salt": base64.b64encode(salt).decode()},
        "wrapped_key": base64.b64encode(wrapped).decode(),
        "cipher": "AES-256-GCM",
    }
    (profile.path / "vault.json").write_text(json.dumps(meta, indent=2) + "\n")


def test_a_new_vault_uses_argon2id_at_the_default_cost(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MISSIVE_KDF_LOG2N", raising=False)
    monkeypatch.delenv("MISSIVE_KDF", raising=False)
    profile = Profile.create(tmp_path / "p", PASS)
    kdf = _kdf(profile.path)
    assert kdf["name"] == "argon2id"
    assert (kdf["memory_kib"], kdf["iterations"], kdf["lanes"]) == (64 * 1024, 3, 1)
    assert len(base64.b64decode(kdf["salt"])) == 16
    assert Profile.open(profile.path, PASS).vault.kdf_name == "argon2id"


@pytest.mark.parametrize(
    ("env", "value"), [("MISSIVE_KDF", "floor"), ("MISSIVE_KDF_LOG2N", "14")], ids=["floor", "older-name"]
)
def test_test_suites_ask_for_the_floor(tmp_path: Path, monkeypatch, env: str, value: str) -> None:
    monkeypatch.delenv("MISSIVE_KDF_LOG2N", raising=False)
    monkeypatch.delenv("MISSIVE_KDF", raising=False)
    monkeypatch.setenv(env, value)
    profile = Profile.create(tmp_path / "p", PASS)
    assert _kdf(profile.path) | {"salt": ""} == {
        "name": "argon2id", "memory_kib": 19 * 1024, "iterations": 2, "lanes": 1, "salt": "",
    }  # fmt: skip
    assert Profile.open(profile.path, PASS).vault.kdf_name == "argon2id"


@pytest.mark.parametrize(("env", "value"), [("MISSIVE_KDF", "weak"), ("MISSIVE_KDF_LOG2N", "10")])
def test_a_bad_cost_setting_is_one_clear_error(tmp_path: Path, monkeypatch, env: str, value: str) -> None:
    monkeypatch.delenv("MISSIVE_KDF_LOG2N", raising=False)
    monkeypatch.delenv("MISSIVE_KDF", raising=False)
    monkeypatch.setenv(env, value)
    with pytest.raises(BadInput, match=env):
        Profile.create(tmp_path / "p", PASS)
    assert not (tmp_path / "p" / "vault.json").exists()


def test_an_older_scrypt_vault_opens_and_a_passphrase_change_moves_it_to_argon2id(profile: Profile) -> None:
    profile.collection("patients").put("p1", {"x": 1})
    _make_scrypt_vault(profile, "old words")
    opened = Profile.open(profile.path, "old words")
    assert opened.vault.kdf_name == "scrypt"
    assert opened.collection("patients").get("p1") == {"x": 1}
    with pytest.raises(WrongPassphrase):
        Profile.open(profile.path, PASS)

    opened.change_passphrase("new words")
    assert _kdf(profile.path)["name"] == "argon2id"
    again = Profile.open(profile.path, "new words")
    assert again.vault.kdf_name == "argon2id" and again.collection("patients").get("p1") == {"x": 1}
    with pytest.raises(WrongPassphrase):
        Profile.open(profile.path, "old words")


def test_the_cli_passphrase_change_upgrades_a_scrypt_profile(cli, monkeypatch, profile_dir: Path) -> None:
    assert cli("init")[0] == 0
    _make_scrypt_vault(Profile.open(profile_dir, PASS), PASS)
    assert _kdf(profile_dir)["name"] == "scrypt"
    monkeypatch.setenv("MISSIVE_NEW_PASSPHRASE", "second words")
    assert cli("passphrase", "change")[0] == 0
    assert _kdf(profile_dir)["name"] == "argon2id"
    monkeypatch.setenv("MISSIVE_PASSPHRASE", "second words")
    assert cli("audit", "verify")[0] == 0


WEAKENED = {
    "argon2id-little-memory": {"memory_kib": 8 * 1024},
    "argon2id-one-pass-at-19-mib": {"iterations": 1},
    "argon2id-absurd-memory": {"memory_kib": 2 * 1024 * 1024},
    "argon2id-no-lanes": {"lanes": 0},
    "short-salt": {"salt": base64.b64encode(b"1234567").decode()},
    "unknown-kdf": {"name": "pbkdf2"},
    "missing-field": {"iterations": None},
}


@pytest.mark.parametrize("change", WEAKENED.values(), ids=WEAKENED.keys())
def test_weakened_or_damaged_parameters_are_refused(profile: Profile, monkeypatch, change: dict) -> None:
    vault = profile.path / "vault.json"
    meta = json.loads(vault.read_text())
    meta["kdf"].update({k: v for k, v in change.items() if v is not None})
    for key in [k for k, v in change.items() if v is None]:
        del meta["kdf"][key]
    vault.write_text(json.dumps(meta))
    derived = []
    monkeypatch.setattr(vault_module, "_derive_argon2id", lambda *a: derived.append(a) or b"k" * 32)
    with pytest.raises(StoreCorrupted, match="vault.json"):
        Profile.open(profile.path, PASS)
    assert derived == []  # refused before any key derivation


@pytest.mark.parametrize(
    "fields",
    [{"log2_n": 13}, {"r": 4}, {"log2_n": 21}, {"log2_n": 18, "r": 64}],
    ids=["n", "r", "2-GiB", "r-GiB"],
)
def test_weakened_scrypt_parameters_are_refused(profile: Profile, fields: dict) -> None:
    _make_scrypt_vault(profile, PASS)
    vault = profile.path / "vault.json"
    meta = json.loads(vault.read_text())
    meta["kdf"].update(fields)
    vault.write_text(json.dumps(meta))
    with pytest.raises(StoreCorrupted, match="vault.json"):
        Profile.open(profile.path, PASS)
