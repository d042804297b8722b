"""The profile's log file. It holds ids, counts and timings, never health data.

Code logs only ids and counts; as a second line of defence a filter masks anything that looks like a NIR,
a date or an e-mail address before a record is written.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, cast

from core.text import T

if TYPE_CHECKING:
    import io

_MASKS = [
    (re.compile(r"\b[12378]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2A|2B)\s?\d{3}\s?\d{3}(?:\s?\d{2})?\b"), "[nir]"),
    (re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"), "[date]"),
    (re.compile(r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b"), "[date]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[address]"),
]


def scrub(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


# A server's words end up in a line (a refusal, an IDLE failure): a line end in them wrote a second, forged line
# into the log ('... ERROR missive.audit ...'), an ESC a terminal command for whoever reads it with cat or tail.
# Controls (C0, DEL, C1), line separators and bidi controls are written escaped, as \x1b or \u202e.
_LOG_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _LOG_CONTROLS.sub(_escaped, scrub(record.getMessage()))
        record.args = None
        return True


class _PrivateFileHandler(logging.FileHandler):
    """The log file, created 0600 whatever the umask, rotated once it would pass ``max_bytes``: the file becomes
    ``.1``, ``.1`` becomes ``.2``... and the oldest beyond ``backups`` goes (what logging.handlers'
    RotatingFileHandler did; that module, and the pickle and socket it imports, held 0.2 MB of the app for a
    rename). A line that cannot be written (disk full) is counted, never printed over the user's screen: the
    failure that matters is reported on its own, in one line."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        self.max_bytes, self.backups = max_bytes, backups
        self.failures = 0
        super().__init__(path, mode="a", encoding="utf-8")

    def _open(self) -> io.TextIOWrapper:
        from core.store.atomic import private_open

        fd = private_open(Path(self.baseFilename), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        # with an encoding, open() is in text mode: a TextIOWrapper, as logging.FileHandler._open gives
        return cast("io.TextIOWrapper", open(fd, self.mode, encoding=self.encoding, errors=self.errors))  # noqa: SIM115

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._full(record):
                self._rotate()
            logging.FileHandler.emit(self, record)
        except Exception:  # noqa: BLE001 - counted by handleError, as logging does
            self.handleError(record)

    def _full(self, record: logging.LogRecord) -> bool:
        if self.stream is None:  # closed by a rotation that failed half-way: opened again
            self.stream = self._open()
        if self.max_bytes <= 0 or not os.path.isfile(self.baseFilename):
            return False
        self.stream.seek(0, 2)  # appended to by another process too
        return self.stream.tell() + len(f"{self.format(record)}\n") >= self.max_bytes

    def _rotate(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None  # logging's own way to say "closed"
        base = self.baseFilename
        for i in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{i}"):
                os.replace(f"{base}.{i}", f"{base}.{i + 1}")
        if self.backups > 0 and os.path.exists(base):
            os.replace(base, f"{base}.1")
        self.stream = self._open()

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        self.failures += 1


def setup_logging(profile_dir: Path, level: int = logging.INFO) -> Path:
    """Log to ``<profile>/missive.log`` (rotated, 1 MB x 3)."""
    path = profile_dir / "missive.log"
    root = logging.getLogger("missive")
    for h in list(root.handlers):
        if not getattr(h, "_missive", False):
            continue
        if getattr(h, "baseFilename", None) == os.path.abspath(path):
            return path
        # one process opening another profile (tests, a second account folder): its lines go to that
        # profile's log, never on into the first one's
        root.removeHandler(h)
        h.close()
    from core.store.atomic import private_dir

    private_dir(profile_dir)
    handler = _PrivateFileHandler(path, max_bytes=1_000_000, backups=3)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(ScrubFilter())
    handler._missive = True  # type: ignore[attr-defined]  # our mark, to find our handler again
    root.addHandler(handler)
    root.setLevel(level)
    return path


def log_unlock(derived_ahead: tuple[float, float] | None) -> None:
    """The opening's line when the passphrase's key was derived ahead (core.store.kdf): how long it took.
    Written by the façade's opening and by a no-change sync that needed no façade (core.mail.nochange)."""
    if derived_ahead is not None:
        logging.getLogger("missive.mailroom").info(
            "passphrase key derived ahead in %.3f s", derived_ahead[1] - derived_ahead[0]
        )


def log_bug(logger: logging.Logger, exc: BaseException) -> None:
    """Log an unexpected error as its type and where it happened (files, lines, functions), innermost first:
    never its message nor the values around it, which may hold health data."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in reversed(frames[-8:]))
    logger.error("internal error %s at %s", type(exc).__name__, where)


def where_logged() -> str:
    """For the one line a bug prints: where its details went (the profile's log), or how to see them."""
    for handler in logging.getLogger("missive").handlers:
        name = getattr(handler, "baseFilename", None)
        if name:
            return str(T("logs.details-in", file=name))
    return str(T("logs.rerun-debug"))


class LibraryRecords(logging.Handler):
    """Installed on the root logger while a command runs: a library's warning or error (asyncio's "exception
    never retrieved", aioimaplib, textual...) goes to the profile's log as its logger, level and, for an
    exception, its type and places; never its text, and never to the terminal (without a handler on the root,
    Python prints such records on stderr)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._out = logging.getLogger("missive.libraries")

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "missive" or record.name.startswith("missive."):
            return  # missive's own records have the profile's handler
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            import traceback

            frames = traceback.extract_tb(exc.__traceback__)
            where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in reversed(frames[-8:]))
            self._out.log(
                record.levelno, "%s %s: %s at %s", record.name, record.levelname, type(exc).__name__, where
            )
        else:
            self._out.log(
                record.levelno, "%s %s (%s:%d)", record.name, record.levelname, record.module, record.lineno
            )
