"""The key derivation runs beside the opener's own work (issue 18: a standalone `missive sync` pays the
Argon2id derivation every time; it leaves the interpreter free, so the imports a sync needs next run meanwhile
on the second core). Same parameters, same key, same refusals: a wrong passphrase opens nothing, weakened
parameters are refused before any derivation, and a failure or Ctrl+C while the key derives is raised at once
and leaves the profile as it was."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

from core.errors import BadInput, StoreCorrupted, WrongPassphrase
from core.store import vault as vault_module
from core.store.profile import Profile

PASS = "correct horse battery staple"
WORKER = "missive-key-derivation"


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def _derivation_waiting_for(event: threading.Event, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The real derivation, made to wait until ``event`` is set: it can only finish if the caller's work runs
    while it is under way. Returns the list of the threads it ran in."""
    real = vault_module._derive_argon2id
    ran_in: list[str] = []

    def derive(passphrase: str, salt: bytes, cost: vault_module.Argon2idCost) -> bytes:
        ran_in.append(threading.current_thread().name)
        assert event.wait(30), "the derivation waited for the caller's work, which never ran meanwhile"
        return real(passphrase, salt, cost)

    monkeypatch.setattr(vault_module, "_derive_argon2id", derive)
    return ran_in


def test_the_key_derives_while_the_caller_works_and_opens_the_same_profile(
    profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile.collection("patients").put("p1", {"birth_name": "DUPONT"})
    before = _hashes(profile.path)
    meanwhile_ran = threading.Event()
    ran_in = _derivation_waiting_for(meanwhile_ran, monkeypatch)

    again = Profile.open(profile.path, PASS, meanwhile=meanwhile_ran.set)

    assert ran_in == [WORKER]  # in its own thread, while this one ran the caller's work
    assert again.collection("patients").get("p1") == {"birth_name": "DUPONT"}  # the same key
    assert again.vault._data_key == profile.vault._data_key
    assert _hashes(profile.path) == before


def test_a_wrong_passphrase_is_refused_the_same_and_changes_nothing(profile: Profile) -> None:
    profile.collection("patients").put("p1", {"birth_name": "DUPONT"})
    before = _hashes(profile.path)
    ran: list[bool] = []
    with pytest.raises(WrongPassphrase):
        Profile.open(profile.path, "not the passphrase", meanwhile=lambda: ran.append(True))
    assert ran == [True]
    assert _hashes(profile.path) == before


def test_weakened_parameters_are_refused_before_the_derivation_and_the_callers_work(
    profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = profile.path / "vault.json"
    meta = json.loads(vault.read_text())
    meta["kdf"]["memory_kib"] = 1024
    vault.write_text(json.dumps(meta))
    derived: list[object] = []
    monkeypatch.setattr(vault_module, "_derive_argon2id", lambda *a: derived.append(a) or b"k" * 32)
    ran: list[bool] = []
    with pytest.raises(StoreCorrupted, match="vault.json"):
        Profile.open(profile.path, PASS, meanwhile=lambda: ran.append(True))
    assert derived == [] and ran == []


@pytest.mark.parametrize(
    "failure", [BadInput("profile.toml illisible"), KeyboardInterrupt()], ids=["error", "ctrl-c"]
)
def test_a_failure_while_the_key_derives_is_raised_at_once_and_leaves_nothing(
    profile: Profile, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    profile.collection("patients").put("p1", {"birth_name": "DUPONT"})
    before = _hashes(profile.path)
    failed = threading.Event()
    _derivation_waiting_for(failed, monkeypatch)  # still under way when the failure is raised

    def meanwhile() -> None:
        raise failure

    with pytest.raises(type(failure)):
        Profile.open(profile.path, PASS, meanwhile=meanwhile)
    # raised while the derivation was still waiting: not after it
    workers = [t for t in threading.enumerate() if t.name == WORKER]
    assert workers, "the failure waited for the derivation"
    failed.set()
    for worker in workers:
        worker.join(30)
        assert not worker.is_alive()  # it ends by itself, its key unused
    assert _hashes(profile.path) == before
