"""core.setup.update_settings: what the assistant (and a future `config set`) writes to profile.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import load_settings, write_default_settings
from core.errors import ConfigError
from core.setup import check_passphrase, passphrase_strength, update_settings


def test_values_set_comments_kept_arrays_replaced(tmp_path: Path) -> None:
    write_default_settings(tmp_path)
    update_settings(
        tmp_path,
        {
            "filing": {"preset": "almapro", "folder": '/srv/import "HPRIM"'},
            "lists": {"directory_urls": ["https://a.test/x"]},
            "notifications": {"kind": "ntfy", "url": "https://ntfy.sh/t"},
        },
    )
    text = (tmp_path / "profile.toml").read_text()
    settings = load_settings(tmp_path)
    assert settings.filing.preset == "almapro" and settings.filing.folder == '/srv/import "HPRIM"'
    assert settings.lists.directory_urls == ("https://a.test/x",)
    assert settings.notifications.kind == "ntfy"
    assert "# see `missive filing presets`" in text and "PS_LibreAcces" not in text


def test_a_bad_value_changes_nothing(tmp_path: Path) -> None:
    write_default_settings(tmp_path)
    before = (tmp_path / "profile.toml").read_text()
    with pytest.raises(ConfigError):
        update_settings(tmp_path, {"notifications": {"kind": "pigeon"}})
    assert (tmp_path / "profile.toml").read_text() == before


def test_passphrase_strength_and_check() -> None:
    assert passphrase_strength("abc")[0] == 0 and passphrase_strength("motdepasse")[0] < 2
    assert passphrase_strength("quatre mots pour le cabinet")[1] == "très bonne"
    with pytest.raises(Exception, match="diffèrent"):
        check_passphrase("quatre mots pour le cabinet", "autre chose")
    with pytest.raises(Exception, match="allongez-la"):
        check_passphrase("motdepasse", "motdepasse")
