"""Profile location, and ``profile.toml`` (the non-secret settings, validated at start: core.settings).

Every command loads this module first, ``missive sync`` asking a running daemon loads little else: it holds
only the profile's place and, given when first used (``__getattr__`` at the end), the settings
(``Settings``, ``load_settings``... from core.settings) and what the interface needs of the process and the
disk. Secrets (account passwords, keys) never live in the settings: they are in the encrypted store.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without loading typing (about 5 ms of a `missive sync`)
if TYPE_CHECKING:  # what __getattr__ (at the end) loads only when used, named for the type checker
    from pathlib import Path

    from core.agent import ask_sync
    from core.childenv import child_environment as child_environment
    from core.childenv import take_secrets as take_secrets
    from core.logs import LibraryRecords as LibraryRecords
    from core.logs import log_bug as log_bug
    from core.logs import where_logged as where_logged
    from core.mail.nochange import resync
    from core.settings import DEFAULT_TOML as DEFAULT_TOML
    from core.settings import ComposeSettings as ComposeSettings
    from core.settings import FilingSettings as FilingSettings
    from core.settings import ListsSettings as ListsSettings
    from core.settings import NotificationSettings as NotificationSettings
    from core.settings import PatientMailSettings as PatientMailSettings
    from core.settings import PractitionerSettings as PractitionerSettings
    from core.settings import PscSettings as PscSettings
    from core.settings import ReceiptSettings as ReceiptSettings
    from core.settings import Settings as Settings
    from core.settings import TrustSettings as TrustSettings
    from core.settings import WatchSettings as WatchSettings
    from core.settings import load_settings as load_settings
    from core.settings import parse_settings as parse_settings
    from core.settings import write_default_settings as write_default_settings
    from core.store.atomic import private_dir as private_dir
    from core.store.atomic import private_open as private_open
    from core.store.kdf import begin
    from core.text import Text

    ask_daemon_sync = ask_sync
    resync_if_unchanged = resync
    derive_key_ahead = begin

SETTINGS_FILE = "profile.toml"
APP_NAME = "missive"


def profile_exists(folder: Path | str) -> bool:
    """Whether ``folder`` holds a profile: its vault file (core.store.vault's VAULT_FILE), looked for without
    loading the store or the façade (the unlock screen's first frame waits for nothing else)."""
    return os.path.isfile(os.path.join(folder, "vault.json"))


def default_profile_dir() -> Path:
    from pathlib import Path

    return Path(_user_data_dir()) / "profile"


def default_demo_dir() -> Path:
    """Where ``missive demo`` builds its profile unless given ``--profile``."""
    from pathlib import Path

    return Path(_user_data_dir()) / "demo"


def profile_folder(given: str | None = None) -> str:
    """The profile folder as ``missive --profile`` names it (``~`` expanded), else the user's default one:
    ``default_profile_dir()`` as a string, found without loading pathlib or platformdirs where the rule is
    XDG's (Linux). For ``missive sync`` asking the daemon, which needs nothing else of the disk."""
    if given:
        return os.path.expanduser(given)
    return os.path.join(_user_data_dir(), "profile")


def _user_data_dir() -> str:
    """``platformdirs.user_data_dir("missive")``. On Linux it is XDG's rule, written here so that a command
    need not load platformdirs (about 12 ms): ``$XDG_DATA_HOME`` when it is an absolute path, else
    ``$HOME/.local/share`` when HOME is; elsewhere (macOS, Windows, no usable HOME) platformdirs says.
    tests/store/test_config.py holds both equal."""
    if sys.platform == "linux":
        base = os.environ.get("XDG_DATA_HOME", "")
        if not os.path.isabs(base):
            home = os.environ.get("HOME", "")
            base = os.path.join(home, ".local", "share") if os.path.isabs(home) else ""
        if base:
            return os.path.join(base, APP_NAME)
    import platformdirs

    return str(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def missing_profile_message(folder: Path) -> Text:
    """What to say when ``folder`` holds no profile: how to create one, where the demo is and how to open it."""
    from pathlib import Path

    from core.text import T

    demo = default_demo_dir()
    if Path(folder).expanduser() == demo:
        return T("config.no-demo-profile", demo=demo)
    default = Path(folder).expanduser() == default_profile_dir()
    start = "missive" if default else f"missive --profile {folder}"
    if (demo / "vault.json").is_file():
        return T("config.no-profile-demo-built", folder=folder, start=start, demo=demo)
    return T("config.no-profile-demo-not-built", folder=folder, start=start, demo=demo)


_SETTINGS_NAMES = frozenset(
    {
        "DEFAULT_TOML",
        "ComposeSettings",
        "FilingSettings",
        "ListsSettings",
        "NotificationSettings",
        "PatientMailSettings",
        "PractitionerSettings",
        "PscSettings",
        "ReceiptSettings",
        "Settings",
        "TrustSettings",
        "WatchSettings",
        "load_settings",
        "parse_settings",
        "write_default_settings",
    }
)


def __getattr__(name: str) -> object:
    """The settings (core.settings) and the process's environment, the disk and the log as the interface
    needs them, loaded only when used: ``take_secrets``/``child_environment`` (core.childenv),
    ``private_dir``/``private_open`` (core.store.atomic: files the app saves are private like the profile's),
    ``log_bug``/``where_logged``/``LibraryRecords`` (core.logs: a bug's place in the profile's log, never its
    message), ``derive_key_ahead`` (core.store.kdf.begin: the passphrase's key derived while the rest loads)."""
    if name in _SETTINGS_NAMES:
        from core import settings

        return getattr(settings, name)
    if (
        name == "ask_daemon_sync"
    ):  # core.agent: a sync asked of the running daemon, before any profile is opened
        from core import agent

        return agent.ask_sync
    if name == "resync_if_unchanged":  # core.mail.nochange: a sync that finds nothing new, without its machinery
        from core.mail import nochange

        return nochange.resync
    if name in ("take_secrets", "child_environment"):
        from core import childenv

        return getattr(childenv, name)
    if name in ("log_bug", "where_logged", "LibraryRecords"):
        from core import logs

        return getattr(logs, name)
    if name in ("private_dir", "private_open"):
        from core.store import atomic

        return getattr(atomic, name)
    if name == "derive_key_ahead":  # core.store.kdf: a start with a given passphrase derives the key meanwhile
        from core.store import kdf

        return kdf.begin
    raise AttributeError(name)
