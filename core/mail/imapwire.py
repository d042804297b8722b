"""Parsing IMAP responses as aioimaplib hands them over: raw lines with literals as separate items.

aioimaplib gives ``Response.lines`` where a line ending in ``{N}`` is followed by an item holding the N literal
bytes, then by the rest of the line. ``parse_fetch`` turns such a list into one dict per FETCH response.

``ResponseStream`` cuts a raw byte stream from the server into the same groups (for the bulk FETCH of a first
sync, read without aioimaplib's per-line handling), and ``parse_fetch_group`` reads one such group, with a
fast path for the shape servers give to ``(UID FLAGS RFC822.SIZE BODY.PEEK[])``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import TransportError
from core.frozen import Frozen, fill
from core.text import T

_LITERAL_END = re.compile(rb"\{(\d+)\+?\}$")
_CRLF = re.compile(rb"\r\n")
_FETCH_START = re.compile(rb"^(\d+) FETCH \(", re.IGNORECASE)

Item = bytes | str | list["Item"] | None

# The longest line (outside literals) a server may send: a SEARCH answer naming 100,000 UIDs is under 1 MB.
MAX_LINE = 16 * 1024 * 1024
# The largest literal an answer read by aioimaplib may carry: headers, folder names, flags; never a whole letter
# (those go through the bulk FETCH, bounded by the account's largest message). A server announcing more, or
# sending a line longer than imapwire.MAX_LINE, is refused before aioimaplib gathers it.
MAX_SMALL_LITERAL = 4 * 1024 * 1024


def mb_text(size: int) -> str:
    """A size in MB as the French lines say it: '73' or '0,5'."""
    mb = size / (1 << 20)
    return f"{mb:.0f}" if mb >= 10 else f"{mb:.1f}".replace(".", ",")


def _segments(lines: Sequence[bytes | bytearray]) -> list[list[bytes | bytearray]]:
    """Group lines into responses: text pieces and literal bytes, in order."""
    out: list[list[bytes | bytearray]] = []
    i = 0
    n = len(lines)
    while i < n:
        line = bytes(lines[i])
        group: list[bytes | bytearray] = [line]
        i += 1
        while True:
            m = _LITERAL_END.search(group[-1] if isinstance(group[-1], bytes) else b"")
            if not m or i >= n:
                break
            size = int(m.group(1))
            literal = lines[i]
            if len(literal) != size:
                raise TransportError(
                    T("mail.imapwire.imap-literal-bytes-where", n_literal=len(literal), size=size)
                )
            group.append(literal)
            i += 1
            if i < n:
                group.append(bytes(lines[i]))
                i += 1
            else:
                break
        out.append(group)
    return out


class _Tokens:
    """A tokenizer over text pieces interleaved with literal payloads."""

    def __init__(self, group: list[bytes | bytearray]) -> None:
        self.group = group
        self.part = 0
        self.pos = 0

    def _text(self) -> bytes | bytearray:
        return self.group[self.part]

    def _skip_space(self) -> None:
        text = self._text()
        while self.pos < len(text) and text[self.pos] == 0x20:
            self.pos += 1

    def next(self) -> Item:
        self._skip_space()
        text = self._text()
        if self.pos >= len(text):
            raise TransportError(T("mail.imapwire.imap-response-ended-too"))
        ch = text[self.pos]
        if ch == 0x28:  # (
            self.pos += 1
            items: list[Item] = []
            while True:
                self._skip_space()
                text = self._text()
                if self.pos < len(text) and text[self.pos] == 0x29:  # )
                    self.pos += 1
                    return items
                items.append(self.next())
        if ch == 0x22:  # quoted string
            out = bytearray()
            j = self.pos + 1
            while j < len(text):
                c = text[j]
                if c == 0x5C and j + 1 < len(text):
                    out.append(text[j + 1])
                    j += 2
                    continue
                if c == 0x22:
                    self.pos = j + 1
                    return bytes(out)
                out.append(c)
                j += 1
            raise TransportError(T("mail.imapwire.imap-response-has-unterminated"))
        if ch == 0x7B:  # {N} then the literal is the next group item
            end = text.index(b"}", self.pos)
            if end != len(text) - 1:
                raise TransportError(T("mail.imapwire.imap-literal-marker-not"))
            literal = self.group[self.part + 1]
            self.part += 2
            self.pos = 0
            return bytes(literal)
        # atom (may contain [..] sections, e.g. BODY[HEADER.FIELDS (A B)])
        j = self.pos
        depth = 0
        while j < len(text):
            c = text[j]
            if c == 0x5B:
                depth += 1
            elif c == 0x5D:
                depth -= 1
            elif depth == 0 and c in (0x20, 0x28, 0x29):
                break
            j += 1
        if j == self.pos:
            raise TransportError(T("mail.imapwire.imap-response-has-unexpected"))
        atom = text[self.pos : j]
        self.pos = j
        if atom.upper() == b"NIL":
            return None
        return atom.decode("ascii", "replace")


def _number(value: Item) -> int:
    """A FETCH number (UID, RFC822.SIZE, the value of MODSEQ): 0 when it is NIL or not an atom; anything
    but digits is a server's error, said as one (never a ValueError or TypeError out of the sync)."""
    if not isinstance(value, str):
        return 0
    if not (value.isascii() and value.isdigit()):
        raise TransportError(T("mail.imapwire.imap-fetch-response-could"))
    return int(value)


def parse_fetch(lines: Sequence[bytes | bytearray]) -> list[dict[str, Any]]:
    """One dict per ``* n FETCH (...)`` response: keys upper-case (UID, FLAGS, MODSEQ, BODY[], RFC822.SIZE...).

    Values: ints for UID/RFC822.SIZE/MODSEQ, tuple of str for FLAGS, bytes for bodies, str for others.
    """
    results: list[dict[str, Any]] = []
    for group in _segments(lines):
        head = bytes(group[0])
        m = _FETCH_START.match(head)
        if not m:
            continue  # the tagged status text, EXISTS/RECENT/VANISHED pushes...
        toks = _Tokens(group)
        toks.pos = m.end() - 1
        try:
            items = toks.next()
        except (ValueError, IndexError):
            raise TransportError(T("mail.imapwire.imap-fetch-response-could")) from None
        if not isinstance(items, list):
            continue
        msg: dict[str, Any] = {"SEQ": int(m.group(1))}
        for k in range(0, len(items) - 1, 2):
            key = items[k]
            value = items[k + 1]
            if not isinstance(key, str):
                continue
            key = key.upper()
            if key == "BODY.PEEK[]":
                key = "BODY[]"
            if key in ("UID", "RFC822.SIZE"):
                msg[key] = _number(value)
            elif key == "MODSEQ":
                msg[key] = _number(value[0]) if isinstance(value, list) and value else 0
            elif key == "FLAGS":
                if value is not None and not isinstance(value, list):  # an atom: its letters became flags
                    raise TransportError(T("mail.imapwire.imap-fetch-response-could"))
                msg[key] = tuple(str(f) for f in value or () if f is not None)
            elif key == "BODY[]" and value is not None and not isinstance(value, bytes):
                # an atom or a list where the letter's bytes go: a server's error, said as one (stored as
                # the letter, it failed the sync with a TypeError at every round)
                raise TransportError(T("mail.imapwire.imap-fetch-response-could"))
            elif isinstance(value, str):
                msg[key] = value
            elif isinstance(value, bytes):
                msg[key] = value
            else:
                msg[key] = value
        results.append(msg)
    return results


# -- reading a raw response stream -----------------------------------------------------------------------
@dataclass(init=False, repr=False, eq=False)
class Tagged(Frozen):
    """The tagged status line that ends a command: ``A12 OK Fetch completed.``"""

    tag: str
    status: str  # OK, NO, BAD (upper-case)
    text: str

    def __init__(self, tag: str, status: str, text: str) -> None:
        fill(self, locals())


Group = list[bytes]  # an untagged response: its first line without "* ", then literal, text, literal, text...


class ResponseStream:
    """Cuts the bytes a server sends into whole responses, however the network splits them.

    ``feed(data)`` returns the responses completed by ``data``: each untagged one as a ``Group`` (shaped like
    aioimaplib's lines, so ``parse_fetch`` reads it too), each tagged status as a ``Tagged``. Continuation
    requests (``+``) are dropped: nothing that needs one is sent while a stream reads. A literal that arrives
    whole is copied once, straight from ``data``; only what a response leaves unfinished at the end of
    ``data`` is kept (copied) until the next bytes complete it. Bytes are never scanned twice.
    """

    def __init__(self, max_literal: int | None = None, max_line: int = MAX_LINE) -> None:
        self._buf = bytearray()  # the unfinished end of the last data: a line's start, or a literal's
        self._group: Group = []  # the response being read, when it has a literal
        self._need = -1  # literal bytes expected next (-1: a line is expected)
        # A literal announced larger than ``max_literal`` (the account's largest message: the sync asked only
        # for letters under it) or a line longer than ``max_line`` is the server's error, or a hostile one
        # making the sync hold gigabytes: TransportError before a byte of it is kept.
        self.max_literal = max_literal
        self.max_line = max_line

    @property
    def pending(self) -> bytes:
        """Bytes received but not yet part of a whole response."""
        return bytes(self._buf)

    def feed(self, data: bytes | memoryview) -> list[Group | Tagged]:
        out: list[Group | Tagged] = []
        with memoryview(data) as view:
            size = len(view)
            pos = self._finish(view, out) if self._buf else 0
            if pos < 0:
                return out  # all of it went to the unfinished line or literal
            while pos < size:
                need = self._need
                if need >= 0:
                    if size - pos < need:
                        break
                    self._group.append(bytes(view[pos : pos + need]))
                    pos += need
                    self._need = -1
                    continue
                m = _CRLF.search(view, pos)
                if m is None:
                    break
                self._line(bytes(view[pos : m.start()]), out)
                pos = m.end()
            if pos < size:
                if self._need < 0 and size - pos > self.max_line:
                    raise TransportError(
                        T("mail.imapwire.line-too-long", mb=mb_text(self.max_line)), permanent=True
                    )
                self._buf += view[pos:]
        return out

    def _finish(self, view: memoryview, out: list[Group | Tagged]) -> int:
        """Complete the unfinished line or literal kept from before with the head of ``view``; where the
        rest of ``view`` starts, or -1 when all of it was kept (still unfinished)."""
        buf = self._buf
        need = self._need
        if need >= 0:  # a literal's first bytes
            take = need - len(buf)
            if len(view) < take:
                buf += view
                return -1
            buf += view[:take]
            self._group.append(bytes(buf))
            buf.clear()
            self._need = -1
            return take
        # a line's first bytes: no CRLF in them, but a CR may end them
        if buf.endswith(b"\r") and len(view) and view[0] == 0x0A:
            del buf[-1:]
            after = 1
            line = bytes(buf)
        else:
            m = _CRLF.search(view)
            if m is None:
                if len(buf) + len(view) > self.max_line:
                    raise TransportError(
                        T("mail.imapwire.line-too-long", mb=mb_text(self.max_line)), permanent=True
                    )
                buf += view
                return -1
            buf += view[: m.start()]
            line = bytes(buf)
            after = m.end()
        buf.clear()
        self._line(line, out)
        return after

    def _line(self, line: bytes, out: list[Group | Tagged]) -> None:
        """A whole line (without its CRLF): a literal announced, a response ended, or a tagged status."""
        literal = _LITERAL_END.search(line) if line.endswith(b"}") else None
        if literal is not None:
            need = int(literal.group(1))
            if self.max_literal is not None and need > self.max_literal:
                raise TransportError(
                    T("mail.imapwire.literal-too-big", mb=mb_text(need), limit=mb_text(self.max_literal)),
                    permanent=True,
                )
            self._group.append(line)
            self._need = need
            return
        if self._group:
            self._group.append(line)
            group, self._group = self._group, []
        else:
            group = [line]
        head = group[0]
        if head.startswith(b"* "):
            group[0] = head[2:]
            out.append(group)
        elif head.startswith(b"+"):
            return
        else:
            tag, _, rest = head.partition(b" ")
            status, _, text = rest.partition(b" ")
            out.append(
                Tagged(
                    tag.decode("ascii", "replace"),
                    status.decode("ascii", "replace").upper(),
                    text.decode("utf-8", "replace"),
                )
            )


# ``n FETCH (UID u FLAGS (\\Seen $Filed) MODSEQ (m) RFC822.SIZE s BODY[] {len}``, its items in any order
_FAST_HEAD = re.compile(
    rb"(\d+) FETCH \(((?:[A-Z0-9.]+ (?:\d+|\([^()\"{}]*\)) )*)BODY\[\] \{\d+\}", re.IGNORECASE
)
_FAST_ITEM = re.compile(rb"([A-Z0-9.]+) (?:(\d+)|\(([^()\"{}]*)\)) ", re.IGNORECASE)


def parse_fetch_group(group: Group) -> dict[str, Any] | None:
    """One FETCH response from a ``ResponseStream`` group, as ``parse_fetch`` gives it (None: not a FETCH)."""
    fast = _fetch_fast(group)
    if fast is not None:
        return fast
    found = parse_fetch(group)
    return found[0] if found else None


# the shape Dovecot gives it, items in the order asked (MODSEQ, when the server sends it, after UID or FLAGS)
_USUAL_HEAD = re.compile(
    rb"(\d+) FETCH \(UID (\d+) (?:MODSEQ \((\d+)\) )?FLAGS \(([^()\"{}]*)\) (?:MODSEQ \((\d+)\) )?"
    rb"RFC822\.SIZE (\d+) BODY\[\] \{\d+\}"
)


def _fetch_fast(group: Group) -> dict[str, Any] | None:
    """The usual answer to ``(UID FLAGS RFC822.SIZE BODY.PEEK[])`` read with one pattern (the items in the
    order asked) or two (in any order); None otherwise."""
    if len(group) != 3 or group[2] != b")":
        return None
    usual = _USUAL_HEAD.fullmatch(group[0])
    if usual is not None:
        seq, uid, modseq, flags, modseq_after, size = usual.groups()
        if modseq is None or modseq_after is None:  # MODSEQ twice: the general reading (it keeps the last)
            usual_msg: dict[str, Any] = {
                "SEQ": int(seq),
                "UID": int(uid),
                "FLAGS": tuple(flags.decode("ascii", "replace").split()),
                "RFC822.SIZE": int(size),
                "BODY[]": group[1],
            }
            if modseq is not None or modseq_after is not None:
                usual_msg["MODSEQ"] = int(modseq or modseq_after)
            return usual_msg
    m = _FAST_HEAD.fullmatch(group[0])
    if not m:
        return None
    msg: dict[str, Any] = {"SEQ": int(m.group(1))}
    for item in _FAST_ITEM.finditer(m.group(2)):
        key = item.group(1).decode("ascii").upper()
        number, inside = item.group(2), item.group(3)
        if key in ("UID", "RFC822.SIZE") and number is not None:
            msg[key] = int(number)
        elif key == "FLAGS" and inside is not None:
            msg[key] = tuple(inside.decode("ascii", "replace").split())
        elif key == "MODSEQ" and inside is not None and inside.strip().isdigit():
            msg[key] = int(inside)
        else:
            return None  # anything else: the general reader
    msg["BODY[]"] = group[1]
    return msg


def parse_list(lines: Sequence[bytes | bytearray]) -> list[tuple[tuple[str, ...], str]]:
    """``* LIST (\\flags) "/" name`` lines to (flags, mailbox name)."""
    out: list[tuple[tuple[str, ...], str]] = []
    for group in _segments(lines[:-1]):  # the last line is the tagged status text
        head = bytes(group[0])
        # aioimaplib strips "* LIST " from the answers to its own LIST, but not from other lines
        start = 5 if head.upper().startswith(b"LIST ") else 0
        if not head[start:].startswith(b"("):
            continue
        toks = _Tokens(group)
        toks.pos = start
        try:
            flags = toks.next()
            toks.next()  # delimiter
            name = toks.next()
        except (ValueError, IndexError, TransportError):
            continue
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        if not isinstance(name, str):
            continue
        out.append((tuple(str(f) for f in flags or () if isinstance(f, str)), name))
    return out


def parse_status(lines: Sequence[bytes | bytearray]) -> dict[str, dict[str, int]]:
    """``STATUS name (MESSAGES 3 UIDNEXT 4 ...)`` lines (a LIST-STATUS answer) to {mailbox name: {item: n}};
    a line that does not read is left out (that folder is then selected as before)."""
    out: dict[str, dict[str, int]] = {}
    for group in _segments(lines[:-1]):  # the last line is the tagged status text
        head = bytes(group[0])
        if not head.upper().startswith(b"STATUS "):
            continue
        toks = _Tokens(group)
        toks.pos = 7
        try:
            name = toks.next()
            items = toks.next()
        except (ValueError, IndexError, TransportError):
            continue
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        if not isinstance(name, str) or not isinstance(items, list) or len(items) % 2:
            continue
        values: dict[str, int] = {}
        for key, value in zip(items[::2], items[1::2], strict=True):
            if isinstance(key, str) and isinstance(value, str) and value.isascii() and value.isdigit():
                values[key.upper()] = int(value)
        out[name] = values
    return out


def parse_search(lines: Sequence[bytes | bytearray]) -> list[int]:
    """The numbers of a SEARCH answer (with or without the ``SEARCH`` word aioimaplib may strip)."""
    out: list[int] = []
    for line in lines[:-1]:
        words = bytes(line).split()
        if words and words[0].upper() == b"SEARCH":
            words = words[1:]
        if all(w.isdigit() for w in words):
            out.extend(int(w) for w in words)
    return sorted(out)


def uid_set(uids: Sequence[int]) -> str:
    """Compact IMAP sequence set: [1,2,3,7,9,10] -> '1:3,7,9:10'."""
    if not uids:
        raise ValueError("empty UID set")
    ordered = sorted(set(uids))
    parts: list[str] = []
    start = prev = ordered[0]
    for u in ordered[1:]:
        if u == prev + 1:
            prev = u
            continue
        parts.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = u
    parts.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(parts)


def quote(text: str) -> str:
    """An IMAP quoted string (mailbox names, search keys)."""
    if any(c in text for c in "\r\n\0"):
        raise ValueError("CR, LF and NUL are not allowed in IMAP strings")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


SPECIAL_USES = frozenset({"all", "archive", "drafts", "flagged", "junk", "sent", "trash"})


@dataclass(init=False, repr=False, eq=False)
class FolderStatus(Frozen):
    """What SELECT says about a folder."""

    name: str
    uidvalidity: int
    uidnext: int
    exists: int
    highestmodseq: int | None = None  # set when the server does CONDSTORE

    def __init__(
        self, name: str, uidvalidity: int, uidnext: int, exists: int, highestmodseq: int | None = None
    ) -> None:
        fill(self, locals())


def capabilities_in(line: bytes | bytearray) -> list[str] | None:
    """The capabilities a server's line lists, as an untagged answer (``CAPABILITY IMAP4rev1 ...``, the ``* ``
    taken off) or as a response code (``OK [CAPABILITY IMAP4rev1 ...] ready``: a greeting, a LOGIN's OK); None
    when it lists none."""
    line = bytes(line)
    if line[:11].upper() == b"CAPABILITY ":
        said = line[11:]
    else:
        start = line.upper().find(b"[CAPABILITY ")
        end = line.find(b"]", start)
        if start < 0 or end < 0:
            return None
        said = line[start + len(b"[CAPABILITY ") : end]
    return said.decode("ascii", "replace").split() or None


def listed(lines: Sequence[bytes | bytearray]) -> tuple[list[str], dict[str, str]]:
    """The selectable folders of a LIST answer, INBOX first, and their SPECIAL-USE roles: a Sent folder is found
    by its \\Sent whatever its name ('Courrier parti'), names being the fallback."""
    names: list[str] = []
    roles: dict[str, str] = {}
    for flags, name in parse_list(lines):
        lowered = {f.lower() for f in flags}
        if lowered & {"\\noselect", "\\nonexistent"}:  # \NonExistent: a parent, with RETURN options
            continue
        names.append(name)
        role = next((f[1:] for f in sorted(lowered) if f[1:] in SPECIAL_USES), None)
        if role is not None:
            roles[name] = role
    names.sort(key=lambda n: (n.upper() != "INBOX", n))
    return names, roles


def list_status_pattern(special_use: bool) -> str:
    """LIST-STATUS's pattern and options (RFC 5819): what SELECT would say of each folder, and the roles asked
    in the same answer when the server has SPECIAL-USE (Dovecot leaves \\Sent out of a LIST with RETURN (STATUS)
    alone)."""
    special = "SPECIAL-USE " if special_use else ""
    return f'"*" RETURN ({special}STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ))'


def listed_statuses(lines: Sequence[bytes | bytearray]) -> dict[str, FolderStatus]:
    """The folders' statuses a LIST-STATUS answer gives whole (no status for a folder the server left out)."""
    statuses = {}
    for name, items in parse_status(lines).items():
        if {"MESSAGES", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ"} <= set(items):
            statuses[name] = FolderStatus(
                name, items["UIDVALIDITY"], items["UIDNEXT"], items["MESSAGES"], items["HIGHESTMODSEQ"]
            )
    return statuses
