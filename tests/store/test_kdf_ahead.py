"""The passphrase's key derived ahead (core.store.kdf): ``missive tui`` with a given passphrase begins the
derivation before the rest of missive loads, and the vault's opening takes that key only if it was derived from
exactly its inputs (the passphrase, the salt and the parameters read again from vault.json), once. The unlock
is reported as long as it really was: the whole derivation and the opening."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import ConfigError, WrongPassphrase
from core.mailroom import Mailroom
from core.store import kdf
from core.store import vault as vault_module
from core.store.profile import Profile

PASS = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _nothing_left_ahead() -> Iterator[None]:
    kdf.drop()
    yield
    kdf.drop()


@pytest.fixture
def profile_dir(tmp_path: Path) -> Path:
    Mailroom.create(tmp_path / "p", PASS).close()
    return tmp_path / "p"


@pytest.fixture
def derived_here(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The salts of the derivations the opening made itself (not ahead)."""
    made: list[bytes] = []
    real = vault_module._derive_argon2id

    def counted(passphrase: str, salt: bytes, cost: vault_module.Argon2idCost) -> bytes:
        made.append(salt)
        return real(passphrase, salt, cost)

    monkeypatch.setattr(vault_module, "_derive_argon2id", counted)
    return made


def test_the_opening_takes_the_key_derived_ahead(profile_dir: Path, derived_here: list[bytes]) -> None:
    assert kdf.begin(str(profile_dir), PASS)
    opened = Profile.open(profile_dir, PASS)
    assert derived_here == []  # not derived a second time
    assert opened.vault.derived_ahead is not None
    assert opened.collection("patients").get("none") is None  # a working key


def test_the_unlock_reported_holds_the_whole_derivation(profile_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert kdf.begin(str(profile_dir), PASS)
    with caplog.at_level(logging.INFO, logger="missive.mailroom"):
        mailroom = Mailroom.open(profile_dir, PASS)
    assert mailroom.profile.vault.derived_ahead is not None
    begun, ready = mailroom.profile.vault.derived_ahead
    assert 0 < ready - begun <= mailroom.unlock_seconds
    assert "passphrase key derived ahead in" in caplog.text
    mailroom.close()


@pytest.mark.parametrize(
    ("opening", "derived", "unlock"),
    [
        ((10.0, 10.5), None, 0.5),  # derived by the opening itself
        ((10.0, 10.5), (9.0, 9.2), 0.7),  # derived before the opening began: both count
        ((10.0, 10.5), (9.8, 10.3), 0.7),  # the opening began while it was derived: 9.8 to 10.5, once
        ((10.0, 10.5), (10.1, 10.2), 0.5),  # derived while the opening ran
    ],
)
def test_an_unlock_counts_the_derivation_and_the_opening_once(
    opening: tuple[float, float], derived: tuple[float, float] | None, unlock: float
) -> None:
    from core.store.kdf import unlock_seconds as _unlock_seconds

    assert _unlock_seconds(*opening, derived) == pytest.approx(unlock)


def test_a_wrong_passphrase_given_is_refused_and_the_next_opening_derives_its_own(
    profile_dir: Path, derived_here: list[bytes]
) -> None:
    assert kdf.begin(str(profile_dir), "wrong words")
    with pytest.raises(WrongPassphrase):
        Profile.open(profile_dir, "wrong words")
    assert derived_here == []
    # the passphrase typed next is derived by the opening itself: the key derived ahead was taken once
    assert Profile.open(profile_dir, PASS).vault.derived_ahead is None
    assert len(derived_here) == 1


def test_a_key_derived_from_another_passphrase_never_opens_the_profile(
    profile_dir: Path, derived_here: list[bytes]
) -> None:
    assert kdf.begin(str(profile_dir), PASS)
    with pytest.raises(WrongPassphrase):  # the right key is at hand, but not for these words
        Profile.open(profile_dir, "wrong words")
    assert len(derived_here) == 1
    kdf.drop()
    assert kdf.begin(str(profile_dir), "wrong words")
    assert Profile.open(profile_dir, PASS).vault.derived_ahead is None  # derived from the right words here
    assert len(derived_here) == 2


def test_a_vault_changed_meanwhile_is_derived_from_what_it_says_now(
    profile_dir: Path, derived_here: list[bytes]
) -> None:
    other = Profile.open(profile_dir, PASS)  # another process, open before this start
    assert kdf.begin(str(profile_dir), PASS)
    other.change_passphrase(PASS)  # the same words, wrapped again under a new salt, while this one derives
    salt = json.loads((profile_dir / "vault.json").read_text())["kdf"]["salt"]
    derived_here.clear()
    opened = Profile.open(profile_dir, PASS)
    assert opened.vault.derived_ahead is None  # the key derived ahead was for the old salt
    assert [base64.b64encode(s).decode() for s in derived_here] == [salt]


@pytest.mark.parametrize(
    "change",
    [{"memory_kib": 8 * 1024}, {"iterations": 1}, {"memory_kib": 2 * 1024 * 1024}, {"lanes": 0}, {"salt": "AAAA"}],
    ids=["little-memory", "one-pass", "absurd-memory", "no-lanes", "short-salt"],
)
def test_a_weakened_or_absurd_vault_is_never_derived_ahead(
    profile_dir: Path, monkeypatch: pytest.MonkeyPatch, change: dict
) -> None:
    meta = json.loads((profile_dir / "vault.json").read_text())
    meta["kdf"].update(change)
    (profile_dir / "vault.json").write_text(json.dumps(meta))
    derived: list[tuple] = []
    monkeypatch.setattr(kdf, "derive_argon2id", lambda *a: derived.append(a) or b"k" * 32)
    assert not kdf.begin(str(profile_dir), PASS)
    assert derived == []


def test_nothing_is_begun_without_a_profile_or_twice(tmp_path: Path, profile_dir: Path) -> None:
    assert not kdf.begin(str(tmp_path / "none"), PASS)
    assert kdf.begin(str(profile_dir), PASS)
    assert not kdf.begin(str(profile_dir), PASS)


def test_the_derivation_never_holds_the_process_and_a_failed_opening_forgets_it(profile_dir: Path) -> None:
    assert kdf.begin(str(profile_dir), PASS)
    ahead = [t for t in threading.enumerate() if t.name == "missive-key-ahead"]
    assert ahead == [] or all(t.daemon for t in ahead)  # an exit or Ctrl+C never waits for it
    (profile_dir / "profile.toml").write_text("[lists\n")
    with pytest.raises(ConfigError):
        Profile.open(profile_dir, PASS)
    assert kdf._ahead is None  # its passphrase and key are not kept for a later opening
