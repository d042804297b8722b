"""Opening a profile reads and checks profile.toml once (it was twice: before the key derivation, to say a broken
file at once, then again to build the profile), and what the profile holds is what the file says."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import settings as settings_module
from core.errors import ConfigError
from core.mailroom import Mailroom
from core.store.profile import Profile

PASS = "correct horse battery staple"


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times profile.toml was checked (core.settings.parse_settings, behind every load_settings)."""
    calls: list[int] = []
    real = settings_module.parse_settings

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(settings_module, "parse_settings", counting)
    return calls


def _set_language(folder: Path, language: str) -> None:
    toml = folder / "profile.toml"
    toml.write_text(toml.read_text("utf-8").replace('language = "fr"', f'language = "{language}"'), "utf-8")


@pytest.mark.parametrize("opener", ["mailroom", "profile"])
def test_opening_reads_profile_toml_once(profile: Profile, parsed: list[int], opener: str) -> None:
    _set_language(profile.path, "en")
    parsed.clear()
    if opener == "mailroom":
        opened = Mailroom.open(profile.path, PASS).profile
    else:
        opened = Profile.open(profile.path, PASS)
    assert len(parsed) == 1
    assert opened.settings.language == "en"


def test_a_broken_profile_toml_is_still_said_before_the_key_derives(profile: Profile, parsed: list[int]) -> None:
    (profile.path / "profile.toml").write_text('language = "de"\n', "utf-8")
    with pytest.raises(ConfigError):
        Mailroom.open(profile.path, PASS)
    assert len(parsed) == 1
