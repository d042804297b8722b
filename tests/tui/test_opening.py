"""tui.opening: the profile opened in a thread with a given passphrase (MISSIVE_PASSPHRASE) while the app loads.
The real profile and key derivation (floor cost under the test suite): the app takes it once; an app that ended
before taking it leaves no profile open; a refused passphrase is handed over without the derivation's frames."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from core.errors import WrongPassphrase
from core.mailroom import Mailroom
from tui.opening import Opening

PASS = "cheval agrafe batterie"


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    folder = tmp_path / "profile"
    Mailroom.create(folder, PASS).close()
    return folder


def test_the_profile_is_opened_and_its_inbox_read_ahead(profile: Path) -> None:
    opening = Opening(profile, PASS)
    mailroom, inbox = opening.result()
    try:
        assert mailroom.profile_path == profile
        assert inbox is not None and len(inbox) == 0  # a new profile: an empty inbox, read
        assert opening.opened() is False  # handed over once
        with pytest.raises(RuntimeError):
            opening.result()
    finally:
        mailroom.close()
    log = (profile / "missive.log").read_text("utf-8")
    assert "profile unlocked in" in log and PASS not in log


def test_a_refused_passphrase_is_raised_to_the_app(profile: Path) -> None:
    opening = Opening(profile, "pas la bonne")
    with pytest.raises(WrongPassphrase) as refused:
        opening.result()
    assert refused.value.__cause__ is None and refused.value.__context__ is None
    assert not opening.opened()


def test_an_app_that_ended_before_taking_the_profile_leaves_it_closed(tmp_path: Path) -> None:
    closed: list[str] = []
    go = threading.Event()

    class Opened:
        profile_path = tmp_path

        def summaries(self, folder: Any) -> list[Any]:
            return []

        def close(self) -> None:
            closed.append("closed")

    def slow(folder: Path | None, passphrase: str) -> Any:
        go.wait(30)
        return Opened()

    still_opening = Opening(tmp_path, PASS, opener=slow)
    still_opening.discard()  # the app quit while the key was being derived
    go.set()
    still_opening._done.wait(30)
    assert closed == ["closed"]  # closed once its opening ended
    with pytest.raises(RuntimeError):
        still_opening.result()  # nothing to take (a worker waiting for it is not left waiting)

    opened = Opening(tmp_path, PASS, opener=lambda folder, passphrase: Opened())
    opened._done.wait(30)
    opened.discard()
    assert closed == ["closed", "closed"]


def test_a_frame_asked_for_gets_the_view_and_the_interpreter_switch_comes_back(profile: Path) -> None:
    """With ``frames``, the thread waits for the screen's view, reads the frame kept for it (none yet: the key is
    given to the app all the same, to keep its first frame under), and gives the interpreter back its switch
    interval."""
    import sys

    before = sys.getswitchinterval()
    opening = Opening(profile, PASS, frames=True)
    assert sys.getswitchinterval() < before  # while the frame is on its way
    opening.for_screen("missive 0.1.0\n80x24\nfr")
    mailroom, _ = opening.result()
    try:
        assert opening.frame_key and sys.getswitchinterval() == before
    finally:
        mailroom.close()


def test_a_refused_passphrase_gives_the_interpreter_switch_back(tmp_path: Path) -> None:
    """The switch interval lowered for the frame stayed lowered when the passphrase was refused: for the whole
    session of the app, and for the tests run after it (test_a_frame_asked_for… failed in a full run)."""
    import sys

    def refused(folder: Path | None, passphrase: str) -> Any:
        raise WrongPassphrase("phrase de passe incorrecte")

    before = sys.getswitchinterval()
    opening = Opening(tmp_path, "pas la bonne", opener=refused, frames=True)
    with pytest.raises(WrongPassphrase):
        opening.result()
    assert sys.getswitchinterval() == before
