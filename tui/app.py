"""MissiveApp: the screens, the app-wide bindings, theme loading, the idle lock and engine events.

| Key | Action |
| --- | --- |
| 1 2 3 4 | Réception, À classer, Rédaction, Annuaire |
| F1, ? | help |
| ctrl+p | command palette (every action) |
| ctrl+l, F12 | lock now |
| ctrl+q | quit |
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
import threading
import time
import tomllib
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

_STARTED = time.perf_counter()

from textual import events  # noqa: E402 - the start clock is set before the heavy imports
from textual.app import App, ComposeResult, SystemCommand  # noqa: E402
from textual.containers import Horizontal  # noqa: E402
from textual.content import Content  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.theme import Theme  # noqa: E402
from textual.widgets import ContentSwitcher, Static  # noqa: E402
from textual.worker import Worker, WorkerState  # noqa: E402

from core.errors import ConfigError, Locked, MissiveError, NotFound  # noqa: E402
from core.model import (  # noqa: E402
    INBOX,  # noqa: E402
    DocumentFiled,
    MailroomEvent,
    MarksRefreshed,
    NeedsReview,
    NewMail,
    NotDelivered,
    Progress,
    PscBinding,
    PscLogin,
    RevokedFiled,
    RoundNews,
    SendFailed,
    Sent,
    Synced,
    SyncState,
)
from tui import keymap, textual_keys  # noqa: E402
from tui.facade import missive_app  # noqa: E402
from tui.failures import report_failure  # noqa: E402
from tui.frames import PromptFrames  # noqa: E402
from tui.i18n import set_language, t  # noqa: E402
from tui.messages import (  # noqa: E402
    CountsRefreshed,
    DraftReopened,
    DraftsChanged,
    LetterRequested,
    MailroomEventReceived,
    Unlocked,
)
from tui.widgets.footer import KeyFooter  # noqa: E402
from tui.widgets.status_bar import StatusBar  # noqa: E402

textual_keys.install()  # the binding chain without Unicode name lookups for "enter", "f1"... (0.4 MB)

if TYPE_CHECKING:
    from textual.binding import Binding
    from textual.notifications import SeverityLevel

    from core.mailroom import MailroomAPI, SummaryRows
    from tui.opening import Opening
    from tui.panes.compose import ComposePane

log = logging.getLogger("missive.tui")
OUTBOX_EVERY = 60.0  # seconds between two looks at the outbox (as missive daemon)

# The built-in themes: the top-level themes/ folder, installed by the wheel as tui/themes/ (see setup.py);
# beside the code in a git checkout or an editable install.
_HERE = Path(__file__).resolve().parent
THEMES_DIR = _HERE / "themes" if (_HERE / "themes").is_dir() else _HERE.parent / "themes"
PANES = ("inbox", "review", "compose", "directory")
# Keys typed ahead (MissiveApp.on_event): each waits until the widgets have handled the previous one, at most
# _SETTLE_WAIT seconds from the moment it could go (never reached in the tests; panes being built are held for);
# the router looks again every _POLL seconds meanwhile (a timer: the widgets' work runs, no busy loop).
_SETTLE_WAIT = 3.0
_POLL = 0.002
# A key that starts work ending with the keyboard elsewhere (r, g, f read the message, then the composer takes the
# keys; 2 lists À classer's documents) holds the keys typed after it until the destination says it is ready
# (MissiveApp.hold_keys / release_keys), or the work failed. So that the keyboard is never held for good (a log line
# says it when this happens): at most _WORK_LIMIT seconds while the work runs, then _HOLD_LIMIT for the destination.
# Held keys are looked at again every _HOLD_POLL seconds, and at once on release.
_WORK_LIMIT = 60.0
START_GARBAGE_QUIET = 1.0  # seconds without a key or click (and nothing being drawn) before start-up's garbage goes
_GARBAGE_LOOKS = 20  # looks at most for a screen with nothing to draw (then quiet keys are enough)
_SETTLE_TRIES = 25  # looks at the first inbox screen, _SETTLE_POLL apart, for it to settle before it is kept
_SETTLE_POLL = 0.02
_HOLD_LIMIT = 20.0
_HOLD_POLL = 0.05
THEME_FIELDS = {
    "primary", "secondary", "accent", "foreground", "background", "surface", "panel", "boost", "warning",
    "error", "success", "dark", "luminosity_spread", "text_alpha", "variables", "ansi",
}  # fmt: skip


def load_theme_file(path: Path) -> Theme:
    """A theme from a TOML file of Textual theme fields; the file name (without .toml) is its name."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"thème {path.name} illisible ({type(exc).__name__}) : corrigez-le ou supprimez-le"
        ) from exc
    unknown = set(data) - THEME_FIELDS - {"name"}
    if unknown or "primary" not in data:
        raise ConfigError(f"thème {path.name} : il faut 'primary' et seulement des champs de thème Textual")
    fields = {k: v for k, v in data.items() if k in THEME_FIELDS}
    return Theme(name=path.stem, **fields)


def discover_themes(profile_dir: Path | None) -> tuple[list[Theme], list[str]]:
    """Built-in themes, then the profile's own (same name overrides). Returns (themes, problems)."""
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    folders = [THEMES_DIR] + ([profile_dir / "themes"] if profile_dir else [])
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                themes[path.stem] = load_theme_file(path)
            except ConfigError as exc:
                problems.append(str(exc))
    return list(themes.values()), problems


class SendsUnderWay:
    """The composer's sends still talking to the server, counted from their threads: the app may end before
    one does (ctrl+q while the server is slow to answer), and the process then waits for it."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def started(self) -> None:
        with self._changed:
            self._count += 1

    def ended(self) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def __bool__(self) -> bool:
        with self._changed:
            return self._count > 0

    def wait(self) -> None:
        with self._changed:
            while self._count > 0:
                self._changed.wait()


class PaneTab(Static):
    """One pane's name on the tab line: a click shows it, as its key does (it looked like a tab and did nothing)."""

    def __init__(self, pane: str, label: str) -> None:
        super().__init__(label, id=f"tab-{pane}", classes="tab")
        self.pane = pane

    async def on_click(self) -> None:
        await self.app.run_action(f"show_pane({self.pane!r})")  # as the key: checked as it is (the lock)


class MainScreen(PromptFrames[None]):
    """The four panes behind a tab line, the status bar and the footer."""

    CSS_PATH = "panes/main.tcss"
    AUTO_FOCUS = "#message-list"

    def compose(self) -> ComposeResult:
        from tui.panes.inbox import InboxPane

        with Horizontal(id="tabs"):
            for index, pane in enumerate(PANES, start=1):
                yield PaneTab(pane, f" {index} {t('pane.' + pane)} ")
        with ContentSwitcher(initial="inbox", id="panes"):
            yield InboxPane(id="inbox")
        # the audit log out of step with its seal: the core's line, kept in sight until it is resealed
        said = missive_app(self).audit_line
        line = Static(Content(said or ""), id="audit-broken")
        line.display = said is not None
        yield line
        yield StatusBar()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.call_later(missive_app(self).tell_early_events)  # after Mount: is_mounted is true by then

    def show(self, pane: str) -> Any:
        """Switch to a pane, mounting it the first time (panes are loaded lazily)."""
        switcher = self.query_one(ContentSwitcher)
        if not switcher.query(f"#{pane}"):
            switcher.mount(missive_app(self).make_pane(pane))
        switcher.current = pane
        for name in PANES:
            self.query_one(f"#tab-{name}").set_class(name == pane, "-active")
        return switcher.query_one(f"#{pane}")


class MissiveApp(App[int]):
    """The missive terminal app. Give it an open ``mailroom`` (tests) or a profile folder and passphrase."""

    # the main screen's styles are read with the app's: pushed behind the unlock screen, it then re-reads none
    # (Textual parses every style sheet again when a screen brings one of its own)
    CSS_PATH = ["app.tcss", "panes/main.tcss"]
    TITLE = "missive"
    BINDINGS = keymap.bindings("app")
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        profile_dir: Path | None = None,
        *,
        passphrase: str | None = None,
        opening: Opening | None = None,
        mailroom: MailroomAPI | None = None,
        opener: Callable[[Path | None, str], MailroomAPI] | None = None,
        lang: str | None = None,
        theme: str | None = None,
        settings: Any = None,
        exit_after_paint: bool = False,
        setup: bool = False,
    ) -> None:
        settings = settings if settings is not None else mailroom.settings if mailroom is not None else None
        set_language(lang or getattr(settings, "language", None))
        super().__init__()
        from textual.drivers.linux_driver import LinuxDriver

        if self.driver_class is LinuxDriver:  # Textual's, polling its input ten times a second
            try:  # it reuses private parts of Textual 8.x: another 8.x may move them; Textual's own then
                from tui.driver import QuietLinuxDriver
            except ImportError as exc:
                log.warning("quiet terminal driver unavailable (%s): Textual's own is used", type(exc).__name__)
            else:
                self.driver_class = QuietLinuxDriver
        if not getattr(self.driver_class, "closes_the_gate", False):  # no frame replayed over another driver's
            from tui.splash import close_gate

            close_gate()
        keymap.localise(self)
        self.profile_dir = Path(profile_dir) if profile_dir else None
        self._passphrase = passphrase
        self._opening = opening  # the profile opened with a given passphrase since before the app loaded
        self._opener = opener
        self.mailroom: MailroomAPI | None = mailroom
        self.settings = settings
        self._theme_name = theme or getattr(settings, "theme", None) or "dark"
        self._kept_theme = self._theme_name  # what profile.toml says, or the start's --theme (see _theme_chosen)
        self.idle_minutes = int(getattr(settings, "idle_lock_minutes", 10) or 0)
        self.remap, self._unknown_keys = keymap.check_remap(dict(getattr(settings, "keys", {}) or {}))
        self.locked = False
        self._setup = setup  # no profile yet: the set-up assistant creates it
        self._last_activity = time.monotonic()
        self._exit_after_paint = exit_after_paint
        self._painted = False
        self._frame_key = ""  # the start's screen key (tui.opening): the first inbox frame is kept under it
        self._start_batch = False  # nothing drawn while the splash shows the start (see _wait_opening)
        self._inputs = 0  # keys and clicks received: the screen is no longer the start's (resume frame)
        self._counts_timer: Any = None
        self._garbage_timer: Any = None  # the collection of what start-up threw away, once quiet (startup_done)
        self._garbage_looks = 0
        self._prefetched: tuple[MailroomAPI, SummaryRows] | None = None  # the inbox's list, read at unlock
        self.sends = SendsUnderWay()  # the composer's letters leaving now (ctrl+s, the server not done)
        self._said_sends = False
        self.audit_line: str | None = None  # the core's line while the audit log is out of step with its seal
        self._sync_started = False
        self._sync_stops: list[tuple[Any, Any]] = []  # (event loop, asyncio.Event) of each account's sync
        self._early_events: list[MailroomEvent] = []  # the engine's news before the main screen was composed
        self._typed: deque[events.Key] = deque()  # keys typed ahead, routed one by one (on_event)
        self._route_queued = False  # a look at them is in the app's queue
        self._route_timer: asyncio.TimerHandle | None = None  # or due later
        self._waiting_since = 0.0  # when the oldest key could go but the widgets were still busy
        self._holds: dict[str, tuple[float, Worker[Any] | None]] = {}  # reason -> (since, the work it waits for)
        if opening is not None:
            # keys typed before the inbox is shown (on the splash, or on the inbox's frame replayed there: they
            # are read as soon as Textual's driver starts, maybe before the app is mounted) are the inbox's
            self.hold_keys("unlock")

    def _handle_exception(self, error: Exception) -> None:
        """A bug: the app exits with one French line and the bug's place goes to the log. Textual's own report
        is a traceback with the values of local variables: health data on screen (MISSIVE_DEBUG=1 shows it)."""
        if os.environ.get("MISSIVE_DEBUG") == "1":
            super()._handle_exception(error)
            return
        from core.config import log_bug, where_logged

        log_bug(log, error)
        self._return_code = 1
        if self._exception is None:  # what run_test re-raises in tests, as Textual does
            self._exception = error
            self._exception_event.set()
        self._exit_renderables.append(f"missive : erreur interne ({type(error).__name__}) : {where_logged()}")
        self._close_messages_no_wait()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast says its words as text, never as markup: they often quote a server ('[AUTHENTICATIONFAILED]
        Invalid credentials' read ' Invalid credentials'; a '[/]' in one ended the app with MarkupError), and
        without a terminal control character (a server's words: an OSC 52 would write the clipboard)."""
        from core.model import printable

        if isinstance(message, str):
            message = printable(message)
        if isinstance(title, str):
            title = printable(title, one_line=True)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def get_key_display(self, binding: Binding) -> str:
        """Textual's own widgets (the palette's keys panel) name keys as the footer and help do: 'F1', 'Échap',
        'Ctrl+s' (Textual writes 'f1' and '^s')."""
        from tui.widgets.footer import display

        return display(binding)

    @property
    def _background_screens(self) -> list[Screen[Any]]:
        """The screens under the current one that may show through it (Textual's list), without Textual's empty
        default screen at the bottom of the stack when the current one is opaque (the main screen): Textual 8.x
        always counts the screen just below as visible, so that empty screen did a layout of its own after the
        first paint and at each resize, and each one repainted the whole main screen (a whole frame, drawn
        while the doctor opens the first letter). A screen kept behind another on purpose (the inbox laid out
        behind the unlock screen) and those under a dialog stay as Textual lists them."""
        screens: list[Screen[Any]] = App._background_screens.fget(self)  # type: ignore[attr-defined]
        stack = self._screen_stack
        if screens and stack and stack[-1].styles.background.a >= 1:
            return [screen for screen in screens if screen.id != "_default"]
        return screens

    # -- start-up -----------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._catch_hangup()
        if self.mailroom is None:  # while the passphrase is typed and derived
            preload = threading.Thread(target=_preload, args=(self.profile_dir,), name="missive-preload", daemon=True)
            preload.start()
        themes, problems = discover_themes(self.profile_dir)
        for theme in themes:
            self.register_theme(theme)
        if self._theme_name in self.available_themes:
            self.theme = self._theme_name
        else:
            problems.append(t("app.unknown_theme", name=self._theme_name))
            self.theme = "dark" if "dark" in self.available_themes else "textual-dark"
        self._kept_theme = self.theme  # the start's (its own publish comes next and is not a choice)
        self.theme_changed_signal.subscribe(self, self._theme_chosen)
        for problem in problems:
            self.notify(problem, severity="warning")
        if self._unknown_keys:
            self.notify(t("app.unknown_keys", ids=", ".join(self._unknown_keys)), severity="warning")
        self.set_keymap(self.remap)
        if self.idle_minutes > 0:
            self.set_timer(self.idle_minutes * 60, self._check_idle)
        if self.mailroom is not None:
            self._enter()
        elif self._setup:
            from tui.panes.setup import SetupScreen

            self.push_screen(SetupScreen(self.profile_dir), self._first_setup_done)
        elif self._opening is not None:
            # opened since before the app loaded (MISSIVE_PASSPHRASE: tui.opening)
            opening, self._opening = self._opening, None
            if opening.opened():  # the key was derived while the app loaded: straight into the inbox
                mailroom, inbox = opening.result()
                self._frame_key = opening.frame_key
                self._open_now(mailroom, inbox)
            elif self._splash_up():  # the splash stays until the inbox is ready (or the passphrase refused)
                self._wait_opening(opening)
            else:  # the unlock screen says it is being checked until the profile is open
                self._lock_at_start(checking=True)
                # keys typed meanwhile wait for the inbox, as after Entrée at the unlock screen (dropped if refused)
                self.hold_keys(
                    "unlock",
                    self.run_worker(
                        lambda: self._take_opening(opening), thread=True, group="unlock", exit_on_error=False
                    ),
                )
        elif self._passphrase is not None:
            # given (MISSIVE_PASSPHRASE, demo): the unlock screen says it is being checked, painted at once
            # while the key is derived in a thread
            passphrase, self._passphrase = self._passphrase, None
            self._lock_at_start(checking=True)
            self.hold_keys(
                "unlock",
                self.run_worker(
                    lambda: self._open_given(passphrase), thread=True, group="unlock", exit_on_error=False
                ),
            )
        else:
            self._lock_at_start(checking=False)

    def _lock_at_start(self, checking: bool) -> None:
        """The unlock screen, and behind it the inbox's screen, composed while the passphrase is typed or its key
        derived: at the unlock only the list's read and the paint remain. Nothing of it shows before (the unlock
        screen covers it, the list is read only once the profile is open, every action is refused while locked)."""
        from tui.panes.lock import LockScreen

        self.locked = True
        self.push_screen(MainScreen())
        self.push_screen(LockScreen(checking=checking))

    @staticmethod
    def _splash_up() -> bool:
        from tui import splash

        return splash.drawn()

    def _wait_opening(self, opening: Opening) -> None:
        """The splash's unlock words ('Vérification…') are on the terminal, drawn before Textual loaded, and the
        opening's thread may draw the inbox of the last start over them (tui.splash.replay). Nothing is drawn
        over that until the profile is open: the inbox's screen and the unlock screen are composed as in
        ``_lock_at_start``, but the app's drawing waits (Textual's batch) until the inbox's list is in its
        widgets (``inbox_loaded``) or the passphrase is refused (``on_unlock_failed``), and the screen shown
        then is drawn whole."""
        self._begin_batch()
        self._start_batch = True
        self._lock_at_start(checking=True)
        taking = self.run_worker(
            lambda: self._take_opening(opening), thread=True, group="unlock", exit_on_error=False
        )
        self.hold_keys("unlock", taking)  # typed at the splash or the frame replayed: for the inbox once shown

    def _end_start_batch(self) -> None:
        if self._start_batch:
            self._start_batch = False
            self._end_batch()

    def _open_now(self, mailroom: MailroomAPI, inbox: SummaryRows | None) -> None:
        """The profile was open before the app mounted: the inbox at once; what a first read needs meanwhile."""
        self.mailroom = mailroom
        self.settings = self.settings or mailroom.settings
        if inbox is not None:
            self._prefetched = (mailroom, inbox)
        self._enter()
        self.run_worker(
            lambda: self.prepare_reading(mailroom), thread=True, group="unlock", exit_on_error=False
        )

    def _first_setup_done(self, mailroom: MailroomAPI | None) -> None:
        """The assistant ended: into the inbox with the profile it created, or out when it was abandoned."""
        if mailroom is None:
            self.exit(0)
            return
        self.mailroom = mailroom
        self.settings = mailroom.settings
        self._enter()

    def action_setup(self) -> None:
        """The set-up assistant again (palette): every step but the passphrase, each skippable."""
        if self.mailroom is None:
            return
        from tui.panes.setup import SetupScreen

        def done(_mailroom: Any) -> None:
            from tui.panes.inbox import InboxPane

            self.refresh_counts()
            if self.main is not None:
                self.main.query_one("#inbox", InboxPane).reload()

        self.push_screen(SetupScreen(mailroom=self.mailroom), done)

    def audit_broken(self, line: str) -> None:
        """The core refused an audited action (or found at unlock) that the audit log no longer matches its seal:
        said once, as a toast and a line kept above the status bar with the commands to run; the refusals after
        it (each letter opened, each filing) add nothing to the screen."""
        if self.audit_line == line:
            return
        self.audit_line = line
        log.warning("audit log out of step with its seal: audited actions refused, said on screen")
        self.notify(line, severity="error", timeout=20)
        main = self.main
        if main is not None:
            shown = main.query_one("#audit-broken", Static)
            shown.update(Content(line))
            shown.display = True

    def _check_audit(self) -> None:
        mailroom = self.mailroom
        if mailroom is None:
            return
        broken = mailroom.audit_break()
        if broken is not None:
            self.call_from_thread(self.audit_broken, broken)

    def audit_in_step(self) -> None:
        """An audited action went through (a letter was read): the log was resealed meanwhile, the line goes."""
        if self.audit_line is None:
            return
        self.audit_line = None
        log.info("audit log in step with its seal again")
        main = self.main
        if main is not None:
            main.query_one("#audit-broken", Static).display = False

    def _open_given(self, passphrase: str) -> None:
        from tui.messages import UnlockFailed

        try:
            mailroom = self.open_profile(passphrase)
        except MissiveError as exc:
            self.post_message(UnlockFailed(str(exc)))
            return
        self.post_message(Unlocked(mailroom))
        self.prepare_reading(mailroom)

    def _take_opening(self, opening: Opening) -> None:
        from tui.messages import UnlockFailed

        try:
            mailroom, inbox = opening.result()
        except MissiveError as exc:
            self.post_message(UnlockFailed(str(exc)))
            return
        except BaseException:  # a bug: said by the worker's report; the screen is drawn again meanwhile
            self.call_from_thread(self._end_start_batch)
            raise
        self._frame_key = opening.frame_key
        if inbox is not None:
            self._prefetched = (mailroom, inbox)
        self.post_message(Unlocked(mailroom))
        self.prepare_reading(mailroom)

    def prepare_reading(self, mailroom: MailroomAPI) -> None:
        """After the first unlock, in the unlock's thread while the inbox paints: what a first read needs."""
        if self.mailroom is not None and self.mailroom is not mailroom:
            return  # a check after an idle lock: the profile in use is ready already
        try:
            mailroom.prepare_reading()
        except MissiveError as exc:  # the first read will say it, in its own words
            log.info("reading not prepared: %s", type(exc).__name__)

    def on_unlock_failed(self, message: Any) -> None:
        from tui.messages import UnlockFailed
        from tui.panes.lock import LockScreen

        if self._start_batch:  # refused while the splash showed: an unlock screen drawn whole asks for it
            self.drop_keys("unlock")  # typed for an inbox that will not come
            self._end_start_batch()
            self.pop_screen()  # composed while nothing was drawn: replaced, so that all of it is drawn
            screen = LockScreen(checking=True)
            self.push_screen(screen)
            screen.post_message(UnlockFailed(message.reason))
        elif isinstance(self.screen, LockScreen):  # the given passphrase was refused: ask for it
            self.screen.post_message(UnlockFailed(message.reason))
        else:
            self.push_screen(LockScreen())

    def open_profile(self, passphrase: str) -> MailroomAPI:
        """Open (or, after an idle lock, re-check) the profile: blocking, called from a worker."""
        if self._opener is not None:
            return self._opener(self.profile_dir, passphrase)
        from tui.opening import open_profile, read_inbox

        if self.profile_dir is None:
            raise MissiveError(t("app.no_profile_dir"))
        mailroom = open_profile(self.profile_dir, passphrase)
        if self.mailroom is None:
            # Read the inbox's list now, in this worker, while the screen waits: the inbox pane gets it
            # at once instead of reading it while the first layout runs.
            inbox = read_inbox(mailroom)
            if inbox is not None:
                self._prefetched = (mailroom, inbox)
        return mailroom

    def summaries(self, folder: str | None) -> SummaryRows:
        """A folder's list: the one read ahead at unlock the first time, else the façade's (blocking)."""
        mailroom = self.mailroom
        if mailroom is None:
            raise Locked("aucun profil ouvert : saisissez la phrase de passe")
        ready, self._prefetched = self._prefetched, None
        if folder == INBOX and ready is not None and ready[0] is mailroom:
            return ready[1]
        return mailroom.summaries(folder)

    def on_unlocked(self, message: Unlocked) -> None:
        if self.mailroom is None:
            self.mailroom = message.mailroom
            self.settings = self.settings or message.mailroom.settings
            main = self.main
            if main is not None:  # composed behind the unlock screen: its list is read, then it is shown
                from tui.panes.inbox import InboxPane

                self._enter(main)
                main.query_one("#inbox", InboxPane).reload()
                return
            from tui.panes.lock import LockScreen

            if isinstance(self.screen, LockScreen):
                self.pop_screen()
            self._enter()
        else:
            if message.mailroom is not self.mailroom:
                message.mailroom.close()  # only a check: the profile already open stays the one in use
            self.locked = False
            self._last_activity = time.monotonic()
            self.pop_screen()
            self.call_later(self.release_keys, "unlock")  # the keys typed after Entrée: for the screen shown again

    def _enter(self, composed: MainScreen | None = None) -> None:
        if composed is None:
            self.push_screen(MainScreen())
        if self.mailroom is not None:
            self.mailroom.subscribe(self._engine_event)
        if self._painted:
            self.refresh_counts()
        else:  # the status bar counts load the outbox and the document queue: after the list is painted
            self._counts_timer = self.set_timer(2, self._counts_if_not_painted)

    def _counts_if_not_painted(self) -> None:
        if not self._painted:
            self.refresh_counts()

    def inbox_loaded(self) -> None:
        """The inbox's first list is in its widgets (or could not be read): shown now, behind the unlock screen
        until then when it was composed there; ``inbox_painted`` once on screen."""
        from tui.panes.lock import LockScreen

        self._end_start_batch()  # before the unlock screen goes: the inbox is then drawn whole
        if self.locked and self.mailroom is not None and isinstance(self.screen, LockScreen):
            if not self.screen.relock:  # the unlock screen of the start (an idle lock stays up)
                self.locked = False
                self._last_activity = time.monotonic()
                self.pop_screen()
        self.call_later(self.release_keys, "unlock")  # the keys typed after the unlock's Entrée: for the list now
        self.call_after_refresh(self.inbox_painted)

    def inbox_painted(self) -> None:
        """Called once the first list is on screen: the start-up time a doctor feels."""
        if self._painted:
            return
        self._painted = True
        if self._counts_timer is not None:
            self._counts_timer.stop()
        elapsed = time.perf_counter() - _STARTED
        log.info("start-up to painted inbox: %.3f s", elapsed)
        self.startup_done()
        self.refresh_counts()
        if not self._exit_after_paint:
            # an audit log out of step with its seal is said now, not at the first letter opened (after the first
            # paint: the start-up waits for nothing more)
            self.run_worker(self._check_audit, thread=True, group="audit-check", exit_on_error=False)
        if self._frame_key or not self._exit_after_paint:
            # the background sync starts once the screen has settled (and its frame is kept: its words are the start's)
            self.call_after_refresh(self._keep_frame, _SETTLE_TRIES)
        else:
            self.call_after_refresh(self.exit, 0)

    def _keep_frame(self, tries: int) -> None:
        """Keep the inbox's first frame for the next start (core.store.resumeframe), once the screen has settled
        (the frames after the first, such as the list's scrollbar coming, are drawn), unless it is the one the
        splash replayed: exactly equal, it is kept already; different, the difference is logged (no text).
        Nothing is kept once a key was typed or the mouse used (the screen is no longer the start's), nor if it
        never settles. Then start-up is over, said in the log (bench.startup opens a letter from then on: its
        Entrée no longer meets start-up's last frames), and the background sync starts (its progress would be in
        the frame)."""
        settled = self._settled()
        if not settled and tries > 0 and not self._inputs:
            self.set_timer(_SETTLE_POLL, lambda: self._keep_frame(tries - 1))
            return
        try:
            self._keep_settled_frame(settled)
        finally:
            how = "screen settled" if settled else "a key came first" if self._inputs else "screen never settled"
            log.info("start-up over: %.3f s (%s)", time.perf_counter() - _STARTED, how)
            if self._exit_after_paint:
                self.call_after_refresh(self.exit, 0)
            else:
                self._start_background_sync()

    def _keep_settled_frame(self, settled: bool) -> None:
        key, self._frame_key = self._frame_key, ""
        if not key:  # no frame to keep (the passphrase typed at the unlock screen, a test's façade)
            return
        if not settled or self._inputs or self.mailroom is None or self.screen is not self.main:
            log.debug("resume frame not kept: the start's screen changed or did not settle")
            return
        from tui import splash

        try:
            frame = full_frame(self)
        except Exception as exc:  # noqa: BLE001 - Textual's private parts moved: no frame, the normal start
            log.info("resume frame not rendered (%s)", type(exc).__name__)
            return
        replayed = splash.replayed()
        if frame == replayed:
            log.debug("resume frame equal to the first paint")
            return
        if replayed is not None:
            log.info("resume frame differed from the first paint: replaced")
        self.mailroom.keep_resume_frame(key, frame)

    def _settled(self) -> bool:
        """Whether nothing waits to be laid out or drawn, no widget nor the app has messages waiting, and the
        status bar's counts are read (CountsRefreshed)."""
        if any(w.group == "counts" and not w.is_finished for w in self.workers) or self._own_messages_waiting():
            return False
        screen = self.screen
        pending = ("_layout_required", "_scroll_required", "_repaint_required", "_recompose_required")
        if any(getattr(screen, name, True) for name in pending) or getattr(screen, "_dirty_widgets", True):
            return False
        return not screen._compositor._dirty_regions and not self._widgets_busy()

    def startup_done(self) -> None:
        """Start-up is over (the inbox is painted, or the unlock screen waits for the passphrase): what it built
        (modules, the toolkit, the list) lives as long as the app, and is kept out of the garbage collector's
        full passes, which otherwise walk it all (30 ms and more) in the middle of a key. The command line
        turns the collector off while the app starts (``missive tui``): it is turned on again here.
        What start-up threw away in cycles while the collector was off (about 6,400 objects, 0.85 MB at the
        bench's inbox: Textual's first styles and layouts, temporary nodes) is frozen with the rest, and would
        be kept for the app's life: it is collected once the app is quiet (``_collect_start_garbage``), not
        now, where the full pass would hold up the letter the doctor opens as soon as the inbox shows."""
        owed = not gc.isenabled()
        gc.freeze()
        gc.enable()
        if owed and self._garbage_timer is None:
            self._garbage_timer = self.set_timer(START_GARBAGE_QUIET, self._collect_start_garbage)

    def _collect_start_garbage(self) -> None:
        """One full collection of what start-up left in cycles, once no key nor click came for
        START_GARBAGE_QUIET seconds and nothing waits to be drawn; else looked at again when that could be.
        The modules and data loaded next (the first letter's, a sync's) then take the room it leaves."""
        quiet = time.monotonic() - self._last_activity
        self._garbage_looks += 1
        drawing = not self._settled() and self._garbage_looks <= _GARBAGE_LOOKS  # never polled for long
        if quiet < START_GARBAGE_QUIET or self._typed or drawing:
            self._garbage_timer = self.set_timer(
                max(START_GARBAGE_QUIET - quiet, 0.25), self._collect_start_garbage
            )
            return
        self._garbage_timer = None
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    # -- background sync ----------------------------------------------------------------------------------
    def _start_background_sync(self) -> None:
        """After the first paint (start-up never waits on the network): one thread per account keeps it in
        sync (IDLE); the status bar and the toasts follow its events."""
        if self._sync_started or self.mailroom is None:
            return
        self._sync_started = True
        mailroom = self.mailroom
        # the account list is read off the screen's thread (it loads the accounts and Pro Santé Connect)
        self.run_worker(
            lambda: self._post_account_names(mailroom), thread=True, group="sync-start", exit_on_error=False
        )

    def _post_account_names(self, mailroom: MailroomAPI) -> None:
        names = mailroom.account_names()
        with contextlib.suppress(RuntimeError):  # the app ended meanwhile: nothing to keep in sync
            self.call_from_thread(self._sync_accounts, names)

    def _sync_accounts(self, names: list[str]) -> None:
        for name in names:
            self.run_worker(
                lambda name=name: self._sync_worker(name),
                thread=True,
                group="sync",
                name=f"sync {name}",
                exit_on_error=False,
            )
        if names:
            self.run_worker(self._outbox_worker, thread=True, group="sync", name="outbox", exit_on_error=False)

    def _outbox_worker(self) -> None:
        """A letter the server did not take waits in the outbox, "sent again by itself": here, as the daemon
        does, every OUTBOX_EVERY seconds while the app runs (what is due only: the outbox spaces the tries out;
        a letter another process is sending is left to it). Sent and SendFailed events say what happened."""
        mailroom = self.mailroom
        if mailroom is None:
            return

        async def main() -> None:
            stop = asyncio.Event()
            self._sync_stops.append((asyncio.get_running_loop(), stop))
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), OUTBOX_EVERY)
                    return
                try:
                    if mailroom.outbox_count():
                        await mailroom.flush_outbox()
                except Exception as exc:  # noqa: BLE001 - tried again at the next round; the outbox keeps the letter
                    log.info("outbox not sent this round (%s)", type(exc).__name__)

        asyncio.run(main())

    def _sync_worker(self, name: str) -> None:
        """Its own thread and event loop: the store's disk writes never block the screen."""
        import asyncio

        mailroom = self.mailroom
        if mailroom is None:
            return

        async def main() -> None:
            stop = asyncio.Event()
            self._sync_stops.append((asyncio.get_running_loop(), stop))
            await mailroom.keep_synced(name, stop)

        asyncio.run(main())

    def _stop_background_sync(self) -> None:
        for loop, stop in self._sync_stops:
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:  # that loop has ended already
                pass

    def on_unmount(self) -> None:
        self._stop_background_sync()

    @property
    def main(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def make_pane(self, name: str) -> Any:
        if name == "review":
            from tui.panes.review import ReviewPane

            return ReviewPane(id="review")
        if name == "compose":
            from tui.panes.compose import ComposePane

            return ComposePane(id="compose")
        from tui.panes.directory import DirectoryPane

        return DirectoryPane(id="directory")

    # -- actions ------------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.locked or self.main is None:
            # nothing behind the lock is reachable, not even the palette; ctrl+c says how to quit there too. Tab
            # moves within the screen shown (the first start's assistant, two passphrase fields): never behind it
            return action in ("quit", "help_quit", "focus_next", "focus_previous")
        return True

    def action_show_pane(self, pane: str) -> None:
        main = self.main
        if main is None or pane not in PANES:
            return
        from tui.panes.outbox import OutboxScreen

        if isinstance(self.screen, OutboxScreen):  # F2-F5 there: back to the main screen, on that pane
            self.pop_screen()
        if self.screen is not main:
            return
        main.set_focus(None)  # keys typed ahead go nowhere, not to the pane being hidden (its q quits)
        # and wait for the pane's field to have the focus (a pane mounted now is composed first)
        self.hold_keys("pane")
        widget = main.show(pane)
        if pane == "inbox":
            widget.reload_if_stale()  # a draft saved, sent or thrown away meanwhile: Brouillons follows
        focus = {"review": "#review-docs", "compose": "#compose-to"}.get(pane)

        def give_focus() -> None:
            if pane == "directory":
                widget.focus_search()
            elif pane == "inbox":
                if widget.is_attached:  # none left if we are quitting
                    widget.focus_shown()  # the reader when it fills the screen, else the list
            elif focus:
                widget.query(focus).focus()  # none left if we are quitting
            self.call_later(self.release_keys, "pane")  # after the focus given just now: the app's queue keeps order

        # through the pane's own queue: once it is composed, even when mounted just now (call_after_refresh could
        # run first on a loaded machine and find no field to focus: the keys then went nowhere)
        if not widget.call_later(give_focus):
            self.release_keys("pane")

    def on_letter_requested(self, message: LetterRequested) -> None:
        main = self.main
        if main is None:
            self.release_keys("letter")
            return
        # the keys typed after r, c, Entrée in Annuaire… wait for the composer's field (ComposePane.ready)
        self.hold_keys("letter")
        composer = self.unsent_letter()

        def start(go: bool | None = True) -> None:
            pane = main.show("compose")
            # through the pane's own queue: run once it is composed, even when mounted just now (call_after_refresh
            # could run first under load and find no field: a crash)
            if go:
                pane.call_later(
                    lambda: pane.start(
                        message.to,
                        message.subject,
                        message.body,
                        message.in_reply_to,
                        cc=message.cc,
                        attachments=message.attachments,
                        account=message.account,
                    )
                )
            else:  # the letter being written stays on screen
                pane.call_later(pane.focus_body)

        if composer is None:
            start()
            return
        composer.keep_draft_now()
        self._ask_before_replacing(start)

    def _ask_before_replacing(self, answered: Callable[[bool | None], None]) -> None:
        """The question before a new letter replaces the one being written; it takes the keys from now on."""
        from tui.panes.confirm import ConfirmScreen

        self.push_screen(ConfirmScreen(t("confirm.replace_unsent")), answered)
        self.release_keys("letter")

    def on_draft_reopened(self, message: DraftReopened) -> None:
        """Enter in Brouillons: the composer goes on with that draft (after a question when it holds another
        letter not sent yet, which stays kept in Brouillons)."""
        main = self.main
        if main is None:
            self.release_keys("letter")
            return
        self.hold_keys("letter")  # until the composer's field has the focus (ComposePane.ready)
        composer = self.unsent_letter()
        saved = message.saved

        def reopen(go: bool | None = True) -> None:
            pane = main.show("compose")
            if go:
                pane.call_later(pane.reopen, saved)  # once composed (see on_letter_requested)
            else:
                pane.call_later(pane.focus_body)

        if composer is None:
            reopen()
        elif composer.draft_id == saved.id:  # that very letter: the composer holds its latest words
            reopen(False)
        else:
            composer.keep_draft_now()
            self._ask_before_replacing(reopen)

    def on_drafts_changed(self, message: DraftsChanged) -> None:
        main = self.main
        if main is not None:
            from tui.panes.inbox import InboxPane

            main.query_one("#inbox", InboxPane).drafts_changed()

    def unsent_letter(self) -> ComposePane | None:
        """The composer, when it holds a letter not sent yet (else None)."""
        from tui.panes.compose import ComposePane

        main = self.main
        pane = next(iter(main.query("#compose").results(ComposePane)), None) if main is not None else None
        # a composer mounted a moment ago and not composed yet holds nothing (c typed twice quickly: NoMatches)
        return pane if pane is not None and pane.is_mounted and pane.has_unsent() else None

    def _theme_chosen(self, theme: Theme) -> None:
        """A theme chosen in the palette (Thème) is kept in profile.toml for the next starts: it lasted until
        the app was quit, and the next start was dark again."""
        if theme.name == self._kept_theme or self.mailroom is None:
            return
        self._kept_theme = theme.name
        mailroom, name = self.mailroom, theme.name

        def keep() -> None:
            mailroom.save_settings({"": {"theme": name}})
            self.call_from_thread(self.notify, t("app.theme_kept", name=name))

        self.run_worker(keep, thread=True, exclusive=True, group="theme", exit_on_error=False)

    def _catch_hangup(self) -> None:
        """The terminal going away (an SSH link cut, the terminal window closed: SIGHUP) or the system stopping
        missive (SIGTERM) killed the app at once: the words typed since the last draft save (a second of typing)
        were lost, and the attachments opened stayed in clear in the viewing folder until the next start. Now
        the letter is saved, then the app ends as ctrl+q ends it. POSIX only (Windows has neither signal)."""
        import signal

        loop = asyncio.get_running_loop()
        for name in ("SIGHUP", "SIGTERM"):
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # no such handler here
                loop.add_signal_handler(signum, self._hung_up, name)

    def _hung_up(self, name: str) -> None:
        log.info("%s: the app ends (the letter being written saved first)", name)
        composer = self.unsent_letter()
        if composer is not None:
            try:
                composer.keep_draft_at_once()
            except Exception as exc:  # noqa: BLE001 - ending anyway; the log says what failed (no data)
                log.warning("%s: the draft could not be saved (%s)", name, type(exc).__name__)
        self.exit(0)

    async def run_async(self, **kwargs: Any) -> int | None:
        result = await super().run_async(**kwargs)
        # the terminal is given back here; asyncio.run then waits for the worker threads, a send among them
        self.say_sends_at_exit()
        return result

    def say_sends_at_exit(self) -> None:
        """Quit while a letter leaves (the server slow to answer): the terminal stayed blank up to a minute, the
        process waiting for the send's thread. One line says why, once; the letter is in the outbox whatever
        the server does."""
        if self.sends and not self._said_sends:
            self._said_sends = True
            print(t("app.sending_at_exit"), file=sys.stderr, flush=True)

    async def action_quit(self) -> None:
        """Quit; with a letter not sent yet, only after a question (its draft is saved first)."""
        composer = self.unsent_letter()
        if composer is not None:
            composer.keep_draft_now()
        if composer is None or self.locked:  # behind the lock nothing is shown; the draft is saved
            self.exit(0)
            return
        from tui.panes.confirm import ConfirmScreen

        if not isinstance(self.screen, ConfirmScreen):
            self.push_screen(
                ConfirmScreen(t("confirm.quit_unsent")), lambda yes: self.exit(0) if yes else None
            )

    def action_help_quit(self) -> None:
        """ctrl+c: Textual's own hint is in English; say it in the interface's language."""
        self.notify(t("app.ctrl_c"))

    def action_command_palette(self) -> None:
        """The command palette, its words in the interface's language."""
        from tui.widgets.palette import Palette

        # textual types is_open(App[object]) and App is invariant: any app is fine
        if self.use_command_palette and not Palette.is_open(self):  # type: ignore[arg-type]  # see above
            self.push_screen(Palette(id="--command-palette"))

    def action_help(self) -> None:
        from tui.panes.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.remap))

    def action_outbox(self) -> None:
        """F7 (or a click on the status bar's count): À envoyer, the outbox letter by letter, over the main screen."""
        from tui.panes.outbox import OutboxScreen

        if self.locked or self.mailroom is None or self.main is None or isinstance(self.screen, OutboxScreen):
            return
        if self.screen is not self.main:  # a question or the help is up: answered first
            return
        from textual.widgets import Input, TextArea

        if isinstance(self.focused, Input | TextArea):
            # a letter being typed: a stray F7 must not take the keys that follow (its e sends a letter)
            self.bell()
            return
        self.push_screen(OutboxScreen())

    def action_sync_now(self) -> None:
        """ctrl+r: a round of every account now (the background sync's, or the daemon's when it syncs here)."""
        if self.locked or self.mailroom is None:
            return
        asked = self.mailroom.sync_now()
        self.notify(t("toast.sync_asked") if asked else t("toast.sync_not_running"))
        # and what waits in the outbox, now: once the network is back the doctor need not wait out the retries'
        # spacing (up to an hour after a morning offline); Sent and SendFailed say what became of each letter
        self.run_worker(self._send_outbox_now, thread=True, group="outbox-now", exclusive=True, exit_on_error=False)

    def _send_outbox_now(self) -> None:
        mailroom = self.mailroom
        if mailroom is None or not mailroom.outbox_count():
            return
        try:
            asyncio.run(mailroom.send_outbox_now())
        except Exception as exc:  # noqa: BLE001 - the outbox keeps the letter; the next round tries again
            log.info("outbox not sent on request (%s)", type(exc).__name__)

    def action_lock(self, idle: bool = False) -> None:
        """ctrl+l/F12 locks at once; the idle timer locks with idle=True (the prompt says which)."""
        if self.locked or self.mailroom is None:
            return
        from tui.panes.lock import LockScreen

        while not isinstance(self.screen, MainScreen) and len(self.screen_stack) > 1:
            self.pop_screen()
        self.locked = True
        self.push_screen(LockScreen(relock=True, idle=idle))
        log.info("locked %s", "after idle time" if idle else "on request")

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every binding of missive, the set-up assistant and the theme, in the interface's language. Not
        Textual's own: English words, a second Quit, a key panel the help (F1) already is, and 'Screenshot',
        which writes the screen (patients' names, results) in clear to a file."""
        if self.main is None or self.locked:
            return
        reader = self._shown_reader()
        for spec in keymap.KEYS:
            if spec.action == "app.quit" and spec.scope != "app" or spec.scope == "outbox":
                continue  # À envoyer's own keys act on its list: the palette offers the screen (app.outbox)
            if spec.scope == "reader" and (reader is None or not reader.check_action(spec.action.split("(")[0], ())):
                continue  # the reader's keys while it shows a letter, and those it takes there (j, k, q: full screen)
            yield SystemCommand(spec.description, spec.tooltip, self._palette_callback(spec))
        yield SystemCommand(t("setup.palette"), t("setup.palette_help"), self.action_setup)
        yield SystemCommand(t("palette.theme"), t("palette.theme_help"), self.search_themes)
        yield SystemCommand(t("palette.language"), t("palette.language_help"), self.switch_language)

    def switch_language(self) -> None:
        """Palette, Langue: the other language written to profile.toml, taken at the next start (every pane's
        words are set when it is built). There was no way to change it but editing profile.toml or --lang."""
        mailroom = self.mailroom
        if mailroom is None:
            return
        # the other one than profile.toml's: a second Langue takes a switch back before the next start
        other = "en" if mailroom.settings.language == "fr" else "fr"

        def keep() -> None:
            mailroom.save_settings({"": {"language": other}})
            self.call_from_thread(self.notify, t("app.language_next_start", language=t(f"language.{other}")))

        self.run_worker(keep, thread=True, exclusive=True, group="language", exit_on_error=False)

    def search_themes(self) -> None:
        """The theme chooser (Textual's, with its search field in the interface's language)."""
        from textual.theme import ThemeProvider

        from tui.widgets.palette import Palette

        self.push_screen(Palette(providers=[ThemeProvider], placeholder=t("palette.themes")))

    def _shown_reader(self) -> Any:
        """Réception's reader while it shows a letter (below the list or over the whole screen), else None."""
        main = self.main
        if main is None:
            return None
        from tui.panes.inbox import InboxPane

        inbox = next(iter(main.query(InboxPane)), None)
        if inbox is None or inbox.mode == "list" or main.query_one(ContentSwitcher).current != "inbox":
            return None
        return inbox.query_one("#reader")

    def _palette_callback(self, spec: keymap.KeySpec) -> Callable[[], Any]:
        async def run() -> None:
            if spec.scope == "app":
                await self.run_action(spec.action)
                return
            main = self.main
            if main is None:  # listed only once the profile is open (get_system_commands)
                return
            if spec.scope == "reader":  # inside Réception (full screen or below the list), not a pane of its own
                if (reader := self._shown_reader()) is not None:
                    await self.run_action(spec.action, reader)
                return
            await self.run_action(spec.action, main.show(spec.scope))

        return run

    # -- keys typed ahead, idle lock ----------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self._last_activity = time.monotonic()
            self._inputs += 1
        if isinstance(event, events.Key) and not event.is_forwarded:
            # Keys that came in one read are routed one by one, each once the previous one's effects are done:
            # Textual hands every key at once to the widget focused *now*, so "Entrée j" typed together put
            # the j in the search field Entrée was leaving, and "/lab" sent "lab" to the list.
            self._typed.append(event)
            self._route_soon()
            return
        await super().on_event(event)

    def keys_typed_ahead(self) -> int:
        """How many keys typed ahead are not handed on yet (held or waiting for the widgets)."""
        return len(self._typed)

    def hold_keys(self, reason: str, work: Worker[Any] | None = None) -> None:
        """Keys typed from now on wait until ``release_keys(reason)``: a key started work that ends with the keyboard
        elsewhere (r: the message is read, then the composer's body takes the keys; they must not reach the list
        meanwhile, where d deletes). ``work``: the worker doing it; if it fails or is cancelled the keys go on where
        the focus is (its failure is said as every failure: a toast and a log line). Never for good: _HOLD_LIMIT."""
        self._holds[reason] = (time.monotonic(), work)

    def release_keys(self, reason: str) -> None:
        """The destination of a hold is ready (the composer's field has the focus), or there is none after all."""
        if self._holds.pop(reason, None) is not None and self._typed:
            self._route_soon()

    def drop_keys(self, reason: str) -> None:
        """The work a hold waited for came to nothing (a passphrase refused): the keys typed meanwhile were meant for
        a screen that will not come, and are thrown away (never handed to the field that has the focus now)."""
        if self._holds.pop(reason, None) is not None:
            self._typed.clear()

    def _route_soon(self, delay: float = 0.0) -> None:
        """Look at the keys typed ahead again: now (behind the app's messages already queued) or after ``delay``."""
        if self._route_queued:
            return
        if delay <= 0.0:
            if self._route_timer is not None:
                self._route_timer.cancel()
                self._route_timer = None
            self._route_queued = True
            self.call_later(self._route_typed)
        elif self._route_timer is None:
            self._route_timer = asyncio.get_running_loop().call_later(delay, self._route_timer_fired)

    def _route_timer_fired(self) -> None:
        self._route_timer = None
        self._route_soon()

    def _held(self, now: float) -> bool:
        """Whether a hold still stands; one whose work failed, or that lasted too long (see _HOLD_LIMIT), is
        dropped."""
        for reason, (since, work) in list(self._holds.items()):
            state = work.state if work is not None else None
            if state in (WorkerState.ERROR, WorkerState.CANCELLED):
                del self._holds[reason]  # its failure is said by its own handler (tui.failures)
            elif state == WorkerState.SUCCESS:
                self._holds[reason] = (now, None)  # done: the destination's time starts
            elif now - since >= (_HOLD_LIMIT if work is None else _WORK_LIMIT):
                del self._holds[reason]
                log.warning("keys typed ahead held %.0f s for %s: let through", now - since, reason)
        return bool(self._holds)

    async def _route_typed(self) -> None:
        """Hand the oldest key typed ahead to Textual's routing unless a hold stands, once the widgets have handled
        the previous one (their queues empty) and the app's own messages queued meanwhile (a key's binding, a focus
        to give, a letter asked) have run; a key waits at most _SETTLE_WAIT for the widgets, so nothing busy holds
        the keyboard."""
        self._route_queued = False
        if not self._typed:
            self._waiting_since = 0.0
            return
        now = time.monotonic()
        if self._held(now):
            self._waiting_since = 0.0  # the widgets' time counts once the hold is gone
            self._route_soon(_HOLD_POLL)  # at once on release_keys
            return
        if self._own_messages_waiting():
            self._route_soon()  # behind them in the app's queue: they run first
            return
        if self._widgets_busy():
            self._waiting_since = self._waiting_since or now
            if now - self._waiting_since < _SETTLE_WAIT:
                self._route_soon(_POLL)  # the widgets' turn
                return
            log.warning("key typed ahead let through after %.1f s: widgets still busy", now - self._waiting_since)
        self._waiting_since = 0.0
        try:
            await super().on_event(self._typed.popleft())
        finally:
            if self._typed:
                self._route_soon()

    # Textual's message loop takes the next message out of the queue while it handles one (to see whether the new
    # one replaces it: MessagePump._peek_message keeps it in _pending_message): a message waiting there is in no
    # queue. Not looking there let a key go on while the key before it, bubbled back up, waited for its binding
    # ("Entrée" on a draft then "Merci": the M went to the list, seen under load).
    def _widgets_busy(self) -> bool:
        """Whether a widget of a screen still has messages to handle (or is handling one)."""
        for screen in self.screen_stack:
            for node in (screen, *screen.walk_children()):
                if getattr(node, "_pending_message", None) is not None:
                    return True
                queue = node.__dict__.get("_message_queue")  # made on first use: none, nothing to wait for
                if queue is not None and queue.qsize():
                    return True
        return False

    def _own_messages_waiting(self) -> bool:
        # textual._queue.Queue's waiting messages, and the next one already taken out of it (see above)
        pending = (*getattr(self._message_queue, "values", ()), getattr(self, "_pending_message", None))
        # a key typed ahead is not waited for; a key that bubbled back up is: the app runs its binding
        return any(m is not None and not (isinstance(m, events.Key) and not m.is_forwarded) for m in pending)

    # -- idle lock ----------------------------------------------------------------------------------------

    def _check_idle(self) -> None:
        """Lock once the idle time has passed since the last key or click; else look again when it would have
        (one timer, no polling: an app left alone uses no CPU)."""
        if not self.idle_minutes:
            return
        left = self.idle_minutes * 60 - (time.monotonic() - self._last_activity)
        if left <= 0:
            self.action_lock(idle=True)
            left = self.idle_minutes * 60
        self.set_timer(max(left, 1.0), self._check_idle)

    # -- engine events and counts -------------------------------------------------------------------------
    def _engine_event(self, event: MailroomEvent) -> None:
        """Called by the engine, maybe from another thread: hand it to the event loop as a message."""
        self.post_message(MailroomEventReceived(event))

    def tell_early_events(self) -> None:
        """The engine's news kept while the main screen was being composed, told now that it is there."""
        main = self.main
        if main is None:
            return  # kept for the next main screen's mount
        if not main.is_mounted:
            self.set_timer(0.05, self.tell_early_events)  # not yet after all: once more, shortly
            return
        early, self._early_events = self._early_events, []
        for event in early:
            self.on_mailroom_event_received(MailroomEventReceived(event))

    def on_mailroom_event_received(self, message: MailroomEventReceived) -> None:
        main = self.main
        if main is None or not main.is_mounted or not main.query(StatusBar) or not main.query("#inbox"):
            # The engine may speak before the main screen is composed (its first round begins at unlock), or as
            # the app ends and the screen's parts are taken down (a round's last news racing the quit): on a
            # loaded machine the installed app ended on "erreur interne (NoMatches): No nodes match 'StatusBar'
            # on MainScreen()". Kept, and told once the screen is there (MainScreen.on_mount), not dropped.
            if isinstance(message.event, Progress):  # only the last progress matters
                self._early_events = [e for e in self._early_events if not isinstance(e, Progress)]
            self._early_events.append(message.event)
            return
        status = main.query_one(StatusBar)
        event = message.event
        match event:
            case NewMail():
                from tui.panes.inbox import InboxPane

                main.query_one("#inbox", InboxPane).reload()  # said with the round's other news (RoundNews)
            case RoundNews(message=text):
                # one toast per sync round, the core's words: '12 nouveaux messages, 3 résultats classés, ...'
                self.notify(text)
            case Synced(new=0, changed=changed) if changed:
                from tui.panes.inbox import InboxPane

                self.refresh_counts()  # flags, removals, moves: another desk's, or the daemon's round
                main.query_one("#inbox", InboxPane).reload()
            case MarksRefreshed():
                from tui.panes.inbox import InboxPane

                main.query_one("#inbox", InboxPane).reload()  # results counted again: the '!' marks change
            case NotDelivered(count=count):
                from tui.panes.inbox import InboxPane

                # a letter of hers never reached someone: said at once, and counted beside Envoyés
                self.notify(t("toast.not_delivered", count=count), severity="error", timeout=20)
                self.refresh_counts()
                main.query_one("#inbox", InboxPane).reload()
            case RevokedFiled(message=text):
                from tui.panes.inbox import InboxPane

                # filed results whose letter's signer turned out revoked: said at once (the core's words, counts
                # only); they wait in À classer, counted with the others
                self.notify(text, severity="warning", timeout=30)
                if main.query("#review"):
                    from tui.panes.review import ReviewPane

                    main.query_one("#review", ReviewPane).reload()
                self.refresh_counts()
                main.query_one("#inbox", InboxPane).reload()  # the letters' marks: ✗
            case NeedsReview() | DocumentFiled():
                if main.query("#review"):
                    from tui.panes.review import ReviewPane

                    main.query_one("#review", ReviewPane).reload()
                self.refresh_counts()  # (said with the round's other news: RoundNews)
            case SendFailed(reason=reason):
                self.notify(t("toast.send_failed", reason=reason), severity="error", timeout=10)
                self.refresh_counts()
                self._outbox_changed()
            case Sent():
                from tui.panes.inbox import InboxPane

                self.refresh_counts()
                self._outbox_changed()
                main.query_one("#inbox", InboxPane).reload()  # the Sent folder, synced as the letter left
            case Progress(done=done, total=total):
                status.set_progress(done, total)
            case PscBinding(account=account, message=text):
                # The code to compare on the phone (core's words); the inbox stays usable meanwhile.
                self.notify(text, title=account, severity="warning", timeout=180)
            case PscLogin(account=account, state="required"):
                self.notify(t("toast.psc_required", account=account), severity="warning")
            case PscLogin(account=account, state="ok"):
                self.notify(t("toast.psc_ok", account=account))
            case PscLogin(state="failed", reason=reason):
                self.notify(reason, severity="error", timeout=30)
            case SyncState(account=account, state="removed", reason=reason):
                from tui.panes.inbox import InboxPane

                # removed from the profile meanwhile (another window): no longer shown, synced or listed
                status.keep_accounts(set(status.accounts()) - {account})
                self.notify(reason, severity="warning", timeout=10)
                self.refresh_counts()
                main.query_one("#inbox", InboxPane).reload()  # its messages left the cache with it
            case SyncState(account=account, state=state, since=since, reason=reason, network=network):
                status.set_account(account, state, since)
                if state == "offline" and network:
                    self.notify(t("toast.offline"), severity="warning")
                elif state == "offline":  # not the network: what to fix, in the core's words
                    self.notify(reason, severity="error", timeout=20)

    def _outbox_changed(self) -> None:
        """A letter left or failed: À envoyer, when it is up, reads the outbox again."""
        from tui.panes.outbox import OutboxScreen

        for screen in self.screen_stack:
            if isinstance(screen, OutboxScreen):
                screen.reload()

    def refresh_counts(self) -> None:
        self._read_counts()

    def _read_counts(self) -> None:
        self.run_worker(self._counts_worker, thread=True, exclusive=True, group="counts", exit_on_error=False)

    def _counts_worker(self) -> None:
        mailroom = self.mailroom
        if mailroom is None:
            return
        accounts = [(name, "offline") for name in mailroom.account_names()]
        self.post_message(
            CountsRefreshed(
                mailroom.outbox_count(), mailroom.review_count(), accounts, mailroom.critical_count()
            )
        )

    def on_counts_refreshed(self, message: CountsRefreshed) -> None:
        main = self.main
        if main is None:
            return
        status = main.query_one(StatusBar)
        status.outbox = message.outbox
        status.review = message.review
        status.critical = message.critical
        for name, state in message.accounts:
            if name not in status._accounts:
                status.set_account(name, state)
        if message.accounts:  # a removed account is not "en ligne" (an empty list: the fake's, or none read)
            status.keep_accounts({name for name, _ in message.accounts})

    def set_review_count(self, count: int, critical: int | None = None) -> None:
        if self.main is not None:
            status = self.main.query_one(StatusBar)
            status.review = count
            if critical is not None:
                status.critical = critical

    # -- errors -------------------------------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers; panes and screens hand theirs to the same handler (tui.failures)."""
        if event.state == WorkerState.ERROR:
            report_failure(self, event.worker)


def _preload(profile_dir: Path | None) -> None:
    """Import the inbox, the reader and what the core needs to open a message in this profile, off the screen's
    thread: the inbox paints and the first message opens without waiting on them."""
    try:
        import tui.panes.inbox  # noqa: F401
        from core.mailroom import preload

        preload(profile_dir)
    except Exception as exc:  # noqa: BLE001 - only an early start lost: the same imports happen when used
        log.warning("preload failed (%s)", type(exc).__name__)


def full_frame(app: App[Any]) -> str:
    """What Textual's driver writes to draw the whole screen as it is now (textual 8.x ``render_full_update``
    and ``LayoutUpdate.render_segments``, without taking the screen's pending updates)."""
    from textual._compositor import LayoutUpdate
    from textual._context import visible_screen_stack

    compositor = app.screen._compositor
    visible_screen_stack.set(app._background_screens)
    region = compositor.size.region
    chops = compositor._render_chops(region, lambda y: True)
    return LayoutUpdate([chop.values() for chop in chops], region).render_segments(app.console)


def run_app(
    profile_dir: Path,
    passphrase: str | None = None,
    lang: str | None = None,
    theme: str | None = None,
    opening: Opening | None = None,
) -> int:
    """Run the app in this terminal (``missive tui`` and ``missive demo``). Returns the exit code. ``opening``:
    the profile already being opened with a given passphrase (tui.opening), taken by the app when ready."""
    from core.config import load_settings
    from core.mailroom import profile_exists

    profile_dir = Path(profile_dir)
    setup = not profile_exists(profile_dir)
    if setup and not (sys.stdin.isatty() and sys.stdout.isatty()):
        from core.config import missing_profile_message

        raise NotFound(missing_profile_message(profile_dir))
    settings = None if setup else load_settings(profile_dir)
    app = MissiveApp(
        profile_dir,
        passphrase=passphrase,
        opening=opening,
        lang=lang,
        theme=theme,
        settings=settings,
        exit_after_paint=os.environ.get("MISSIVE_EXIT_AFTER_PAINT") == "1",
        setup=setup,
    )
    from tui.attachments import empty_viewing_dir
    from tui.scratch import empty_editing_dir  # not tui.editor: its code loads when a letter is edited

    empty_viewing_dir(at_start=True)  # attachments opened by a session that did not exit cleanly
    empty_editing_dir(at_start=True)  # a letter left by a session that died while its editor was open
    try:
        result = app.run()
    finally:
        empty_viewing_dir()  # the clear copies opened in a viewer never outlive the app
        empty_editing_dir()
        if opening is not None and app.mailroom is None:  # left before the profile was taken: closed
            opening.discard()
    app.say_sends_at_exit()
    app.sends.wait()  # closed under a send, the profile failed its end ('Sent folder not synced', RuntimeError)
    if app.mailroom is not None:
        app.mailroom.close()
    return int(result or 0)
