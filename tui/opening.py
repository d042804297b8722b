"""Opening the profile with a given passphrase while the interface loads.

With ``MISSIVE_PASSPHRASE`` (scripts, the bench) or the demo's passphrase, the key derivation (Argon2id, which
runs outside Python's interpreter lock) has nothing to wait for: ``missive tui`` starts it in a thread right
after the unlock screen's first frame (tui/splash.py), while the interface toolkit and the app load, and the app
takes the open profile when it is ready (``MissiveApp(opening=...)``). The passphrase lives in that thread only
until the profile is open. This module imports neither Textual nor the app, so that it can start first.

``open_profile`` is also the app's own unlock (a passphrase typed on the unlock screen): the logged "profile
unlocked in X s" is the key derivation and the profile's opening, nothing else.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import MissiveError

if TYPE_CHECKING:
    from core.mailroom import MailroomAPI, SummaryRows

log = logging.getLogger("missive.tui")

# the interpreter's switch interval while the opening thread draws the frame (Python's default: 5 ms): after the
# key derivation the thread takes the interpreter a few times (reading, decrypting, writing the frame) while the
# main thread loads Textual, and waited up to 5 ms each time
_SWITCH = 0.0005
Opener = Callable[[Path | None, str], "MailroomAPI"]


def open_profile(profile_dir: Path, passphrase: str) -> MailroomAPI:
    """Open the profile (key derivation, vault, settings): blocking; logs how long it took."""
    from core.mailroom import Mailroom

    mailroom = Mailroom.open(profile_dir, passphrase)
    log.info("profile unlocked in %.3f s", mailroom.unlock_seconds)
    return mailroom


def read_inbox(mailroom: MailroomAPI) -> SummaryRows | None:
    """The inbox's list, read ahead right after the unlock (the inbox shows it at once); None when it cannot be
    read now (the inbox's own read then says why)."""
    from core.model import INBOX

    try:
        return mailroom.summaries(INBOX)
    except MissiveError as exc:
        log.info("inbox list not read ahead: %s", type(exc).__name__)
        return None


class Opening:
    """The profile being opened in a thread; ``result()`` waits for it."""

    def __init__(
        self, profile_dir: Path, passphrase: str, opener: Opener | None = None, frames: bool = False
    ) -> None:
        self.profile_dir = Path(profile_dir)
        # the start's screen key (tui.splash.view and the profile's stamp) once the profile is open: the app
        # keeps its first inbox frame under it; "" when there is none (no first frame drawn, or not stamped)
        self.frame_key = ""
        # ``frames``: the caller gives the screen's view (``for_screen``) while the key is derived; the frame
        # kept for it is drawn as soon as the profile is open
        self._frames = frames
        self._view: str | None = None
        self._view_given = threading.Event()
        self._switch = sys.getswitchinterval()
        # once the key is derived, this thread's few steps to the frame wait less for the interpreter
        if frames:
            sys.setswitchinterval(min(self._switch, _SWITCH))
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._mailroom: MailroomAPI | None = None
        self._inbox: SummaryRows | None = None
        self._error: BaseException | None = None
        self._discarded = False
        # the passphrase goes to the thread alone, which drops it once the profile is open
        self._thread = threading.Thread(
            target=self._open, args=([passphrase], opener), name="missive-unlock", daemon=True
        )
        self._thread.start()

    def _open(self, given: list[str], opener: Opener | None) -> None:
        try:
            passphrase = given.pop()
            if opener is not None:
                mailroom = opener(self.profile_dir, passphrase)
            else:
                mailroom = open_profile(self.profile_dir, passphrase)
            del passphrase
            if self._frames:
                try:
                    if self._view_given.wait(5) and self._view is not None:
                        self._resume(mailroom, self._view)
                finally:
                    sys.setswitchinterval(self._switch)
            inbox = read_inbox(mailroom)
        except MissiveError as exc:  # refused: said by the app; no frame holding the passphrase is kept
            exc.__cause__ = exc.__context__ = None
            self._error = exc.with_traceback(None)
            self._failed()
            return
        except BaseException as exc:  # noqa: BLE001 - a bug: the app reports it (result() raises it)
            self._error = exc
            self._failed()
            return
        with self._lock:
            discarded = self._discarded
            if not discarded:
                self._mailroom, self._inbox = mailroom, inbox
            self._done.set()
        if discarded:  # the app ended before it took the profile
            mailroom.close()

    def _failed(self) -> None:
        """The opening ended in an error (a refused passphrase) before the frame: the interpreter's switch
        interval is given back all the same (it stayed at 0.5 ms for the whole session)."""
        if self._frames:
            sys.setswitchinterval(self._switch)
        self._done.set()

    def for_screen(self, view: str | None) -> None:
        """The view of the screen (tui.splash.view), given while the key is derived; None: no frame."""
        self._view = view
        self._view_given.set()

    def _resume(self, mailroom: MailroomAPI, view: str) -> None:
        """Draw the inbox's frame kept at the last start if the screen and the profile are exactly as then
        (core.store.resumeframe, tui.splash.replay); before the inbox's list is read, so that a change made
        meanwhile can only make the next start miss."""
        from tui import splash

        try:
            self.frame_key, frame = mailroom.resume_frame(view)
        except Exception as exc:  # noqa: BLE001 - a frame is only ever a head start: the normal start follows
            log.warning("resume frame not read (%s)", type(exc).__name__)
            return
        if frame is not None:
            shown = splash.replay(frame)
            log.info("resume frame %s", "shown" if shown else "not shown: the app had begun drawing")

    def opened(self) -> bool:
        """Whether the profile is open and waits to be taken (not refused, not still being opened)."""
        return self._done.is_set() and self._mailroom is not None

    def result(self) -> tuple[MailroomAPI, SummaryRows | None]:
        """The open profile and the inbox's list read ahead (blocking); raises what the opening raised (a
        refused passphrase: ``WrongPassphrase``). The result is handed over once."""
        self._done.wait()
        with self._lock:
            error, self._error = self._error, None
            if error is not None:
                raise error
            mailroom, inbox = self._mailroom, self._inbox
            self._mailroom = self._inbox = None
        if mailroom is None:
            raise RuntimeError("the opened profile was already taken")
        return mailroom, inbox

    def discard(self) -> None:
        """The app ended without taking the profile: close it (now, or when its opening ends)."""
        with self._lock:
            self._discarded = True
            mailroom, self._mailroom, self._inbox = self._mailroom, None, None
        if mailroom is not None:
            mailroom.close()
