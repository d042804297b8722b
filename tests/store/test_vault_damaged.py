"""A damaged vault.json: the line says what is wrong and what to do, in French (English with --lang en), never
a Python class name; the log line keeps the class name, no content."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

NAMES = ("JSONDecodeError", "KeyError", "ValueError", "TypeError", "Error", "Traceback")


def _damage_and_open(cli, profile_dir: Path, content: str, *lang: str) -> str:
    assert cli("init")[0] == 0
    (profile_dir / "vault.json").write_text(content)
    code, out, err = cli(*lang, "messages", "list")
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert not any(name in err for name in NAMES), err
    return err


def test_a_cut_vault_says_it_is_damaged_and_to_restore_it(cli, profile_dir: Path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="missive.store")
    err = _damage_and_open(cli, profile_dir, '{"kdf": {"name": "argon2id", "salt": "ab')
    assert "vault.json est endommagé : son contenu est tronqué ou modifié" in err
    assert "restaurez-le depuis une sauvegarde du profil" in err
    assert "vault.json unreadable (JSONDecodeError)" in caplog.text


def test_a_vault_without_its_key_settings_says_so(cli, profile_dir: Path) -> None:
    err = _damage_and_open(cli, profile_dir, json.dumps({"kdf": {"name": "argon2id"}}))
    assert "ses réglages de chiffrement manquent, sont invalides ou trop faibles" in err


@pytest.mark.parametrize("content", ['{"kdf":', "\x00\x01"])
def test_in_english_too(cli, profile_dir: Path, content: str) -> None:
    err = _damage_and_open(cli, profile_dir, content, "--lang", "en")
    assert "is damaged: its content is truncated or altered" in err
