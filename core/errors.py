"""One small hierarchy of errors. Messages are meant for a doctor: say what is wrong and what to do.

Never put health data (names, birth dates, results, subjects) in a message: errors may be logged.
"""

from __future__ import annotations

from core.text import Text
from core.text import render as render  # the interface renders codes through here
from core.text import set_language as set_language

TYPE_CHECKING = False  # typing.TYPE_CHECKING without loading typing (core.text says why)
if TYPE_CHECKING:
    from typing import Any


class MissiveError(Exception):
    """Base of every error missive raises on purpose. ``exit_code`` is what the CLI returns.

    Raised with a ``Text`` (``T("code", name=...)``): ``str(error)`` renders it in the language chosen at
    start, and ``error.text`` keeps the code and parameters for whoever shows it otherwise.
    """

    exit_code = 1

    def __init__(self, message: Text | str = "", /, **params: Any) -> None:
        self.text = message if isinstance(message, Text) else Text(message, params)
        super().__init__(self.text.code)

    def __str__(self) -> str:
        return str(self.text)


class BadInput(MissiveError):
    """The user (or a file they gave) supplied something unusable: exit 2."""

    exit_code = 2


class ConfigError(BadInput):
    """profile.toml or a command-line setting is wrong (the message names the key and line)."""


class NotFound(MissiveError):
    """A message, document, patient, account or key that was asked for does not exist."""


class MessageGone(NotFound):
    """The stored message asked for is not (or no longer) here: moved or deleted meanwhile, by another missive on
    the same profile, the daemon or a sync."""


class SecurityError(MissiveError):
    """A cryptographic or policy check failed."""


class WrongPassphrase(SecurityError):
    """The passphrase does not unlock the profile."""


class Locked(SecurityError):
    """The profile is locked (idle timeout) or opened by another process."""


class PolicyRefused(SecurityError):
    """The trust-space policy refuses this correspondent or this message."""


class StoreError(MissiveError):
    """The encrypted store cannot be read or written."""


class DiskFull(StoreError):
    """The disk (or the user's quota) is full: nothing was changed, what was stored before is intact."""


def disk_full(exc: BaseException, folder: object) -> DiskFull | None:
    """A DiskFull naming ``folder`` when ``exc`` is a full disk or quota, else None."""
    import errno

    code = getattr(exc, "errno", None)
    if code not in (errno.ENOSPC, errno.EDQUOT):
        return None
    what = "quota disque dépassé" if code == errno.EDQUOT else "disque plein"
    return DiskFull(
        f"{what} : impossible d'écrire dans {folder} ; libérez de la place puis recommencez "
        "(ce qui était déjà enregistré est intact)"
    )


class StoreCorrupted(StoreError):
    """A store file fails authentication or does not parse; it is left untouched."""


class AuditBroken(StoreCorrupted):
    """The audit log no longer matches its seal (a record removed, a backup restored): no action that must leave
    an audit record is done until ``missive audit reseal`` acknowledges the break. The message says so and gives
    the commands to run."""


class TransportError(MissiveError):
    """IMAP, SMTP, TLS or a webhook failed. ``permanent``: retrying cannot help (fix the setting first)."""

    permanent = False

    def __init__(self, message: Text | str = "", /, *, permanent: bool | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        if permanent is not None:
            self.permanent = permanent


class KeptInOutbox(TransportError):
    """A letter could not go now: it is safe in the outbox (``entry_id``). Queued, it is sent again by itself
    (``permanent`` False); failed for good, it waits there for the doctor. Either way the outbox holds it: the
    composer must not keep a second copy to send."""

    def __init__(self, message: Text | str, entry_id: str, *, permanent: bool = False) -> None:
        super().__init__(message, permanent=permanent)
        self.entry_id = entry_id


class ServerRefused(TransportError):
    """The server answered NO or BAD to a command: it is reachable, and sending the same again will not help."""


class MailboxMissing(TransportError):
    """A local Maildir folder does not exist or is not a Maildir: retrying will not make it appear."""

    permanent = True


class ParseError(BadInput):
    """A clinical document, MIME message, certificate or CSV cannot be read."""


_OS_REASONS = frozenset(
    {
        "ENOENT",
        "EACCES",
        "EPERM",
        "ENOSPC",
        "EDQUOT",
        "EROFS",
        "EISDIR",
        "ENOTDIR",
        "EEXIST",
        "EBUSY",
        "ENAMETOOLONG",
        "ENOTEMPTY",
        "EIO",
        "EMFILE",
        "ETIMEDOUT",
        "ECONNREFUSED",
        "ECONNRESET",
        "ENETUNREACH",
        "EHOSTUNREACH",
    }
)  # their words: os.<name> in core/locale


def os_reason(exc: BaseException) -> str:
    """A short reason for an OSError in the language chosen (``strerror`` is the system's English)."""
    import errno

    name = errno.errorcode.get(getattr(exc, "errno", None) or 0, "")
    if name in _OS_REASONS:
        return render(f"os.{name}")
    return render("os.other", {"name": name or type(exc).__name__})
