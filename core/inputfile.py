"""Reading a file the doctor names (a command's argument, the composer's attachment), bounded by its kind.

A huge file, ``/dev/zero``, a FIFO with no writer or a directory given by mistake must give one French line
saying what is wrong and what to do, never a hang nor gigabytes held ('erreur interne (MemoryError)'). The
file is opened without blocking (a FIFO's open would wait for a writer), must be a regular file, and is read
to at most its kind's limit plus one byte (a file that grows while it is read is refused too).

The limits, per kind (README, "Sizes a server or a file can impose"):

- ``clinical`` (``missive parse``): 200 MB, what the clinical readers take (an XDM package, a CDA with its PDF);
- ``keys`` (``keys import|add-cert|trust``, a login certificate): 10 MB, where a .p12 or a chain is a few KB;
- ``whitelist`` (``trust import``): 20 MB, the MSSanté list is about 2 MB;
- ``message`` (``smime sign|verify|encrypt|decrypt``, ``send --body-file``): 64 MB, over what any MSSanté
  operator carries;
- ``patients`` (``patients import``): 64 MB, a practice's patient list is a few MB;
- ``attachment`` (the composer, ``send --attach``): 25 MB, what MSSanté operators accept in one letter.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from core.errors import BadInput, NotFound, os_reason
from core.text import T

MB = 1024 * 1024
LIMITS = {
    "clinical": 200 * MB,
    "keys": 10 * MB,
    "whitelist": 20 * MB,
    "message": 64 * MB,
    "patients": 64 * MB,
    "attachment": 25 * MB,
}
_CHUNK = MB
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO's open must not wait for a writer
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows


def limit_of(kind: str) -> int:
    """The largest file of ``kind`` read, in bytes."""
    return LIMITS[kind]


def _too_big(kind: str, name: str) -> BadInput:
    return BadInput(T(f"input.too-big.{kind}", file=name, mb=LIMITS[kind] // MB))


def read_input(path: str | os.PathLike[str], kind: str) -> bytes:
    """The bytes of the regular file ``path``, at most ``LIMITS[kind]``; NotFound or BadInput (one line naming
    the file, never its content) otherwise."""
    limit = LIMITS[kind]
    path = Path(path)
    name = path.name or str(path)  # the file, named; a path not found is said as given (the path is wrong)
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _CLOEXEC | _BINARY)
    except FileNotFoundError:
        raise NotFound(T("input.not-found", file=str(path))) from None
    except IsADirectoryError:
        raise BadInput(T("input.is-dir", file=name)) from None
    except PermissionError:
        raise BadInput(T("input.denied", file=name)) from None
    except OSError as exc:
        raise BadInput(T("input.failed", file=name, reason=os_reason(exc))) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise BadInput(T("input.is-dir", file=name))
        if not stat.S_ISREG(st.st_mode):  # /dev/zero, a FIFO, a socket: no end, or no size to check
            raise BadInput(T("input.not-regular", file=name))
        if st.st_size > limit:
            raise _too_big(kind, name)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                return b"".join(chunks)
            total += len(chunk)
            if total > limit:  # grew after the check
                raise _too_big(kind, name)
            chunks.append(chunk)
    except OSError as exc:
        raise BadInput(T("input.failed", file=name, reason=os_reason(exc))) from None
    finally:
        os.close(fd)


def read_stream(stream: BinaryIO, kind: str) -> bytes:
    """What a command reads from its standard input (``-``), at most ``LIMITS[kind]`` (BadInput beyond)."""
    limit = LIMITS[kind]
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise _too_big(kind, str(T("input.stdin")))
        chunks.append(chunk)
