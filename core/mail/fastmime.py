"""A received message's structure without the email package's object tree of the whole message.

The sync hook needs, of every new message: its header (sender, reports, receipts) and each leaf part's name,
content type and disposition; the decoded bytes only of attachments (the clinical readers sniff them) and of
plain-text bodies (an HPRIM/HL7 report sent as the body). The stdlib parser feeds every line of a message
through its state machine, a 100 KB base64 attachment included (1,300 lines); this module finds the MIME
boundaries with byte searches, parses each part's *header* with the email package (compat32, as the full
parse does) and decodes a payload with the email package's own ``get_payload(decode=True)``, so what it
returns is what the full parser would give.

Anything out of the ordinary (8-bit or damaged headers, a lone CR, a missing boundary or closing delimiter,
``message/*`` parts, ``multipart/digest``, a part without a header/body separator, any parser defect) makes
``scan`` return None: the caller then parses the whole message with ``email.message_from_bytes``. A test holds
``scan``'s results equal to the full parser's on the conformance corpus, the test data and the demo mailbox.
"""

from __future__ import annotations

import binascii
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from types import ModuleType
from typing import Any, Protocol

from core.frozen import Frozen

MAX_DEPTH = 8  # nested multiparts read here; deeper ones go to the full parser
_PARSER = BytesHeaderParser()  # compat32, as email.message_from_bytes
# the transfer encodings compat32's get_payload(decode=True) decodes; any other gives the body's bytes back
_DECODED = frozenset({"quoted-printable", "base64", "x-uuencode", "uuencode", "uue", "x-uue"})
# a field: its name as the parser's headerRE accepts it, a colon, blanks, the rest of the line and the lines
# that continue it (each begun by a space or a tab), up to its line end or the end of the header
_FIELD = re.compile(r"([\041-\071\073-\176]+):[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)(?:\n|\Z)")
_BLANK = re.compile(rb"\r?\n\r?\n")
_AFTER = re.compile(rb"(--)?[ \t]*(?:\r\n|\n|\Z)")  # what may follow a boundary on its line
_AFTER_LONE_CR = re.compile(rb"(--)?[ \t]*\r")  # where _AFTER fails: a delimiter line ended by a lone CR
# a CR that does not end a CRLF (one search: several times faster than counting CRs and CRLFs)
_LONE_CR = re.compile(rb"\r(?!\n)")
_BASE64_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


class Payload(Protocol):
    """A leaf's decoded bytes (``get_payload(decode=True) or b""``); with ``limit``, exactly their first
    ``limit`` bytes, which may cost less than the whole."""

    def __call__(self, limit: int | None = None) -> bytes: ...


def decoded_payload(part: Message) -> bytes:
    """``part.get_payload(decode=True) or b""``, typed: a leaf part's decoded bytes (b"" for a multipart)."""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


class _Unusual(Exception):
    """Something the full parser must read."""


@dataclass(frozen=True, repr=False, eq=False)
class Leaf(Frozen):
    """One non-multipart part: its header (a compat32 Message without payload) and its raw body."""

    header: Message
    body: bytes

    content_type: str

    def payload(self, limit: int | None = None) -> bytes:
        """``part.get_payload(decode=True) or b""`` as the full parse gives it (the email package decodes);
        with ``limit``, its first ``limit`` bytes: a base64 attachment is then decoded from its head only."""
        cte = str(self.header.get("content-transfer-encoding", "")).lower()
        if cte not in _DECODED:
            # what compat32 gives back for a str payload in any other encoding: its bytes
            return self.body if limit is None else self.body[:limit]
        if limit is not None and cte == "base64":
            head = base64_head(self.body, limit)
            if head is not None:
                return head
        part = Message()
        # the same header, read by the same code (the email package's own list of fields, not in its stubs)
        part._headers = self.header._headers  # type: ignore[attr-defined]  # see the line above
        part.set_payload(self.body.decode("ascii", "surrogateescape"))
        data = decoded_payload(part)
        return data if limit is None else data[:limit]


def base64_head(body: bytes, limit: int) -> bytes | None:
    """The first ``limit`` bytes of what the email package decodes from the base64 ``body`` (its ``decode_b``
    of the body without its line ends), from the body's head alone; None when that is not certain to be the
    same, or not cheaper: a body holding anything but base64 letters, line ends and final padding, one whose
    letters count 1 more than a multiple of 4 (the email package then gives the text back undecoded), or a
    body short enough to be decoded whole.

    Letters decode four by four into three bytes, in order, whatever follows them: with only letters before
    it, the head of the body decodes to the head of the whole, however the rest is padded."""
    need = -(-limit // 3) * 4  # letters decoding to at least ``limit`` bytes
    letters_and_ends = body.rstrip(b"=\r\n")  # what the final padding leaves
    span = need + need // 8  # lines of 76 letters and a CRLF: about 3% more than the letters
    if len(letters_and_ends) <= 2 * span:
        return None  # a short body: decoded whole, as the parser does
    ends = letters_and_ends.translate(None, _BASE64_LETTERS)
    if ends.translate(None, b"\r\n") or (len(letters_and_ends) - len(ends)) % 4 == 1:
        return None
    while True:
        letters = letters_and_ends[:span].translate(None, b"\r\n")
        if len(letters) >= need:
            return binascii.a2b_base64(letters[:need])[:limit]
        if span >= len(letters_and_ends):
            return None  # cannot happen: the body is longer than twice ``span``
        span *= 2


@dataclass(frozen=True, repr=False, eq=False)
class Scanned(Frozen):
    """The message's header (compat32 Message, no payload) and its leaf parts in ``msg.walk()`` order."""

    header: Message
    leaves: tuple[Leaf, ...]
    content_type: str


def scan(raw: bytes) -> Scanned | None:
    """The header and leaf parts of ``raw``, or None when only the full parser can say (see the module).

    The last message scanned is remembered (by identity, not content): the sync reads a new message's summary
    and then gives the same bytes to the hook, which gets this reading back instead of a second one.
    """
    global _last
    last = _last
    if last is not None and last[0] is raw:
        return last[1]
    found = _scan(raw)
    _last = (raw, found)
    return found


_last: tuple[bytes, Scanned | None] | None = None


def _scan(raw: bytes) -> Scanned | None:
    if not isinstance(raw, bytes) or not raw or raw.startswith((b"From ", b"\r\n", b"\n")):
        return None
    try:
        # A lone CR is a line end to the parser. In a header (the message's or a part's) only the full parser
        # reads it as the parser does; in a multipart body, where it starts a delimiter line or ends one
        # (``_delimiters`` then gives up). Anywhere else in a body, the parser keeps it in the payload as it
        # is, as this reading does: a part's body is not searched (an attached 100 KB cost 45 us a letter).
        head, start = _split_at(raw, 0, len(raw))
        if _LONE_CR.search(head) is not None:
            return None
        header = _header_of(head)
        leaves: list[Leaf] = []
        _walk(header, raw, start, len(raw), leaves, 0)
    except Exception:  # noqa: BLE001 - _Unusual, or anything the header parser raises: the full parser reads it
        return None
    return Scanned(header, tuple(leaves), header.get_content_type())


def outer_content_type(raw: bytes) -> str | None:
    """The content type of the message's own header as the full parser reads it, or None when only the full
    parser can say (the cases ``scan`` leaves to it in the header). Reads the header alone, and remembers
    nothing: the reader asks it of a message it opens."""
    if not isinstance(raw, bytes) or not raw or raw.startswith((b"From ", b"\r\n", b"\n")):
        return None
    if _LONE_CR.search(raw) is not None:
        return None
    try:
        header, _ = _entity(raw)
    except Exception:  # noqa: BLE001 - _Unusual, or anything the header parser raises: the full parser reads it
        return None
    return header.get_content_type()


def _entity(data: bytes) -> tuple[Message, bytes]:
    """The header of an entity (parsed) and its body (raw): the header must end with a blank line or the data."""
    head, body = _split(data)
    return _header_of(head), body


def _split(data: bytes) -> tuple[bytes, bytes]:
    """An entity's header and body, cut at the first blank line (the header without its last line end)."""
    if data.startswith((b"\r\n", b"\n")):  # no header at all
        return b"", data[2 if data.startswith(b"\r\n") else 1 :]
    found = _blank_line(data, 0, len(data))
    if found is None:
        return data, b""
    return data[: found[0]], data[found[1] :]


def _split_at(data: bytes, start: int, end: int) -> tuple[bytes, int]:
    """``_split(data[start:end])`` without copying the body: the header, and where the body starts."""
    if data.startswith(b"\r\n", start, end):  # no header at all
        return b"", start + 2
    if data.startswith(b"\n", start, end):
        return b"", start + 1
    found = _blank_line(data, start, end)
    if found is None:
        return data[start:end], end
    return data[start : found[0]], found[1]


def _blank_line(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """Where ``_BLANK`` (a line end, then an empty line) first matches in ``data[start:end]``, found with two
    byte searches instead of the pattern tried at each position of the header (1 us a letter): the first LF
    followed by LF or CRLF, and the CR before it if there is one."""
    # each search bounded by what the other found: only the header is searched (a search for the form the
    # letter does not use would run through its whole body)
    first = data.find(b"\n", start, end)
    if first > start and data[first - 1] == 0x0D:  # CRLF line ends: LF CRLF is the likely end
        crlf = data.find(b"\n\r\n", start, end)
        lf = data.find(b"\n\n", start, crlf + 1 if crlf >= 0 else end)
    else:
        lf = data.find(b"\n\n", start, end)
        crlf = data.find(b"\n\r\n", start, lf + 1 if lf >= 0 else end)
    if crlf >= 0 and (lf < 0 or crlf < lf):
        at, after = crlf, crlf + 3
    elif lf >= 0:
        at, after = lf, lf + 2
    else:
        return None
    if at > start and data[at - 1] == 0x0D:
        at -= 1
    return at, after


def _header_of(head: bytes) -> Message:
    """The parser's reading of an entity's header; raises _Unusual when it is not ASCII or has a defect."""
    if not head.isascii():
        raise _Unusual
    header = _read_header(head)
    if header is None:
        header = _PARSER.parsebytes(head)
        if header.defects:
            raise _Unusual
    return header


class _Header(Message):
    """The compat32 Message ``_read_header`` builds, whose fields are looked up in a table made once.

    ``Message.get`` compares the lower-cased name of every field with the one asked, and passes the value
    through the policy's ``header_fetch_parse``: a letter's summary and hook ask about 14 fields of a header
    of about 12, each part's fields again. Here every value is ASCII text (``_read_header`` reads nothing
    else), which compat32 gives back as it is, so the answers are the same. A change made through the
    Message API (setting, deleting, replacing a field, a parameter, the boundary, the default type) drops
    the table for good: from then on every answer is the email package's own.
    """

    _index: dict[str, list[str]] | None = None
    _ctype: str | None = None

    def _indexed(self, fields: list[tuple[str, str]]) -> None:
        index: dict[str, list[str]] = {}
        for name, value in fields:
            index.setdefault(name.lower(), []).append(value)
        self._headers = fields
        self._index = index

    def _changed(self) -> None:
        self._index = self._ctype = None

    def get(self, name: str, failobj: Any = None) -> Any:
        index = self._index
        if index is None:
            return super().get(name, failobj)
        values = index.get(name.lower())
        return values[0] if values else failobj

    def get_all(self, name: str, failobj: Any = None) -> Any:
        index = self._index
        if index is None:
            return super().get_all(name, failobj)
        values = index.get(name.lower())
        return list(values) if values else failobj

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: Any) -> bool:
        index = self._index
        if index is None or not isinstance(name, str):
            return super().__contains__(name)
        return name.lower() in index

    def get_content_type(self) -> str:
        if self._index is None:
            return super().get_content_type()
        if self._ctype is None:
            self._ctype = super().get_content_type()
        return self._ctype

    # every change of the fields or of the default type goes through one of these
    def __setitem__(self, *args: Any) -> None:
        self._changed()
        super().__setitem__(*args)

    def __delitem__(self, *args: Any) -> None:
        self._changed()
        super().__delitem__(*args)

    def set_raw(self, *args: Any) -> None:
        self._changed()
        super().set_raw(*args)

    def replace_header(self, *args: Any) -> None:
        self._changed()
        super().replace_header(*args)

    def add_header(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        super().add_header(*args, **kwargs)

    def set_default_type(self, *args: Any) -> None:
        self._changed()
        super().set_default_type(*args)

    def set_boundary(self, *args: Any) -> None:
        self._changed()
        super().set_boundary(*args)

    def set_param(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        super().set_param(*args, **kwargs)

    def del_param(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        super().del_param(*args, **kwargs)

    def set_type(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        super().set_type(*args, **kwargs)

    def set_charset(self, *args: Any) -> None:
        self._changed()
        super().set_charset(*args)


def raw_value(msg: Message, name: str) -> Any:
    """The first ``name`` field's value as ``msg.raw_items()`` gives it (no policy applied), or None; from
    the table of a header ``_read_header`` read (its values are the raw ones), without a walk of them all."""
    index = msg._index if isinstance(msg, _Header) else None
    if index is not None:
        values = index.get(name.lower())
        return values[0] if values else None
    wanted = name.lower()
    return next((value for key, value in msg.raw_items() if key.lower() == wanted), None)


def _read_header(head: bytes) -> Message | None:
    """The compat32 Message the parser builds from an ASCII header of plain ``Name: value`` lines and their
    continuations (its ``_parse_headers`` and ``header_source_parse``), or None for anything else.

    One pattern reads each field, its name, the first line's text after the colon less its leading blanks,
    and its continuation lines (each begun by a blank); the fields must follow one another from the first
    byte to the last: anything else (a continuation first, a line without a name and a colon, an envelope
    line) is something the parser takes otherwise. Line ends inside a value are kept, the last ones dropped,
    as ``header_source_parse`` does."""
    msg = _Header()
    text = head.decode("ascii")
    read: list[tuple[str, str]] = []
    at = 0
    for m in _FIELD.finditer(text):
        if m.start() != at:
            return None
        name, value = m.groups()
        read.append((name, value.rstrip("\r\n")))
        at = m.end()
    if at != len(text):
        return None
    msg._indexed(read)
    return msg


def _delimiters(data: bytes, sep: bytes, start: int, end: int) -> list[tuple[int, int, bool]]:
    """(start, end, closing) of each delimiter line ``sep`` [``--``] [spaces] line end, at a line start (the
    parser's boundary pattern), in the body ``data[start:end]``, found with byte searches rather than a
    pattern tried at every position. Raises _Unusual where a lone CR (a line end to the parser) starts or
    ends a delimiter line."""
    found: list[tuple[int, int, bool]] = []
    at = data.find(sep, start, end)
    while at >= 0:
        before = data[at - 1] if at > start else 0x0A
        if before == 0x0D:
            raise _Unusual  # a CR not before an LF (that would be the byte before): a line start to the parser
        if before == 0x0A:
            m = _AFTER.match(data, at + len(sep), end)
            if m is not None:
                found.append((at, m.end(), bool(m.group(1))))
            elif _AFTER_LONE_CR.match(data, at + len(sep), end) is not None:
                raise _Unusual
        at = data.find(sep, at + 1, end)
    return found


def _walk(header: Message, data: bytes, start: int, end: int, leaves: list[Leaf], depth: int) -> None:
    """The leaves of the entity whose header is ``header`` and body ``data[start:end]`` (parts are found by
    their offsets in ``data``: a leaf's body is the only copy made of its bytes)."""
    ctype = header.get_content_type()
    maintype = ctype.partition("/")[0]
    if maintype == "message" or ctype == "multipart/digest":
        raise _Unusual  # the parser reads these as nested messages
    if maintype != "multipart":
        leaves.append(Leaf(header, data[start:end], ctype))
        return
    if depth >= MAX_DEPTH:
        raise _Unusual
    boundary = header.get_boundary()
    if not boundary or not boundary.isascii():
        raise _Unusual
    marks = _delimiters(data, b"--" + boundary.encode("ascii"), start, end)
    closes = [i for i, (_, _, close) in enumerate(marks) if close]
    if not closes or closes[0] == 0:
        raise _Unusual  # no closing delimiter, or no part before it
    last = closes[0]  # the parser stops at the first closing delimiter; what follows is the epilogue
    for before, after in zip(marks[:last], marks[1 : last + 1], strict=True):
        first, stop = before[1], after[0]
        # the line end before a delimiter belongs to the delimiter
        if data.endswith(b"\r\n", first, stop):
            stop -= 2
        elif data.endswith(b"\n", first, stop):
            stop -= 1
        else:
            raise _Unusual  # an empty part, or a delimiter glued to the one before
        if stop <= first:
            raise _Unusual
        part_head, part_start = _split_at(data, first, stop)
        if _LONE_CR.search(part_head) is not None:
            raise _Unusual
        _walk(_header_of(part_head), data, part_start, stop, leaves, depth + 1)


# the body formats read as a clinical document when a message's plain-text body is one
BODY_FORMATS = {"hprim-net": "message.hpr", "hprim-2": "message.hpr", "hl7v2": "message.hl7"}


def clinical_parts(
    leaves: Iterable[tuple[Message, str, Payload]], sniff: bool = False
) -> tuple[list[tuple[str, str, bytes]], bool]:
    """``(name, content type, bytes)`` of every attachment, plus a plain-text body that is itself an HPRIM
    or HL7 report (labs and Apicrypt often send results as the body); and whether there is an attachment.

    ``leaves``: each non-multipart part's header, content type and a function giving its decoded payload
    (called only for attachments and plain-text bodies). ``sniff``: leave out the attachments that
    ``looks_clinical`` turns down (the readers would skip them), judged on the head of their payload only,
    which gives the same answer (a zip, whose directory is at its end, is always kept)."""
    readers = _readers()
    sniffed, detect_format, looks_clinical = readers.SNIFFED, readers.detect_format, readers.looks_clinical
    may_be_text_report = readers.may_be_text_report
    parts: list[tuple[str, str, bytes]] = []
    attached = False
    for header, ctype, payload in leaves:
        name = filename_of(header)
        if name:
            if is_tnef(ctype, name):  # Outlook's winmail.dat: the files it carries are the attachments
                found, carries = _tnef_parts(payload(), sniff)
                parts.extend(found)
                attached = attached or carries  # one that carries only the letter's text is no attachment
                continue
            attached = True
            if sniff:
                head = payload(sniffed)
                if not head.startswith(b"PK\x03\x04") and not looks_clinical(head, name, ctype):
                    continue
            parts.append((name, ctype, payload()))
        elif ctype == "text/plain" and header.get("Content-Disposition", "").lower().find("attachment") < 0:
            body = payload()
            # most letters' bodies are told apart from a report without being decoded
            # (``not isspace``: what ``strip()`` would say, without a copy of the body)
            blank = not body or body.isspace()
            kind = detect_format(body[:sniffed]) if not blank and may_be_text_report(body) else None
            if kind in BODY_FORMATS:
                parts.append((BODY_FORMATS[kind], ctype, body))
    return parts, attached


def is_tnef(content_type: str, filename: str) -> bool:
    """A part that carries Outlook's TNEF stream (read by core.mail.tnef): its type says so, or it is named
    winmail.dat (some gateways send it as application/octet-stream)."""
    ctype = content_type.lower()
    return ctype in ("application/ms-tnef", "application/vnd.ms-tnef") or filename.strip().lower() == "winmail.dat"


def _tnef_parts(data: bytes, sniff: bool) -> tuple[list[tuple[str, str, bytes]], bool]:
    """``(name, content type, bytes)`` of the files a winmail.dat carries (those the readers would take, with
    ``sniff``), and its text when that is an HPRIM or HL7 report; none when it cannot be read (the reader
    says so on the message, where the part stays attached as it came). And whether the reader shows an
    attachment for it, as ``mime.read`` does: a file it carries, or itself when it cannot be read (Outlook's
    rich-text letters carry a winmail.dat that holds only their text: the reader shows none)."""
    from core.mail.tnef import TnefError, read_tnef

    try:
        content = read_tnef(data)
    except TnefError as exc:
        _log().warning("a winmail.dat part could not be read (%s)", exc.text.params.get("what", "?"))
        return [], True
    readers = _readers()
    out: list[tuple[str, str, bytes]] = []
    for inner in content.files:
        head = inner.data[: readers.SNIFFED]
        if sniff and not inner.data.startswith(b"PK\x03\x04"):
            if not readers.looks_clinical(head, inner.name, inner.content_type):
                continue
        out.append((inner.name, inner.content_type, inner.data))
    if content.body_kind == "text" and content.body.strip():
        body = content.body.encode("utf-8")
        if readers.may_be_text_report(body):
            kind = readers.detect_format(body[: readers.SNIFFED])
            if kind in BODY_FORMATS:
                out.append((BODY_FORMATS[kind], "text/plain", body))
    return out, bool(content.files)


def _log() -> Any:
    import logging

    return logging.getLogger(__name__)


@functools.cache
def _readers() -> ModuleType:
    """core.clinical.readers, imported on first use (not with this module: a resync reads no letter), then
    once: an import statement a letter cost the hook 1 us."""
    from core.clinical import readers

    return readers


def has_attachment(leaves: Iterable[tuple[Message, str, Payload]]) -> bool:
    """``clinical_parts(leaves)[1]`` without decoding anything: whether a leaf has a file name."""
    return any(filename_of(header) for header, _, _ in leaves)


def filename_of(header: Message) -> str:
    """``header.get_filename() or ""``; a part with no Content-Disposition and no ``name`` in its plain
    Content-Type (a letter's text) is answered without parsing parameters: the email package finds a file
    name only in those two fields, under a parameter whose name holds ``name``."""
    if "content-disposition" not in header:
        ctype = header.get("content-type")
        if ctype is None or (isinstance(ctype, str) and "name" not in ctype.lower()):
            return ""
    name = header.get_filename() or ""
    return _decoded_words(name) if "=?" in name else name


def _decoded_words(name: str) -> str:
    """A file name sent as RFC 2047 encoded words inside its quotes (Outlook, Thunderbird and lab mailers do,
    though RFC 2047 forbids it: filename="=?iso-8859-1?Q?HasenundFr=F6sche=2Etxt?="), decoded as the reader's
    parser decodes it; it was the document's name in À classer, and hid its extension."""
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(name)))
    except Exception:  # noqa: BLE001 - a malformed encoded word is kept as it is
        return name


def leaves_of(found: Scanned) -> Iterator[tuple[Message, str, Payload]]:
    """``clinical_parts``'s input from a scanned message."""
    return ((leaf.header, leaf.content_type, leaf.payload) for leaf in found.leaves)


def leaves_of_tree(msg: Message) -> Iterator[tuple[Message, str, Payload]]:
    """``clinical_parts``'s input from a message the email package parsed whole."""
    for part in walk_opened(msg):
        if not part.is_multipart():
            yield part, part.get_content_type(), functools.partial(_tree_payload, part)


MAX_TREE_DEPTH = 64  # a forwarded letter within a forwarded letter...; deeper nesting is not read further


def walk_opened(msg: Message, depth: int = 0) -> Iterator[Message]:
    """``msg.walk()``, with a message/rfc822 part sent base64- or quoted-printable-encoded read as the message
    it carries (``opened_message``): the email package reads such a part's encoded text as a message of its
    own, whose 'body' is the base64 (Thunderbird's test rfc822_base64_attachment.eml; Exchange sends them)."""
    opened = opened_message(msg)
    if opened is not None:
        yield from walk_opened(opened, depth + 1)
        return
    yield msg
    if msg.is_multipart() and depth < MAX_TREE_DEPTH:
        for sub in msg.get_payload():
            if isinstance(sub, Message):
                yield from walk_opened(sub, depth + 1)


def opened_message(part: Message) -> Message | None:
    """The message a message/rfc822 part carries encoded in base64 or quoted-printable (RFC 2046 forbids
    it, Exchange and some gateways do it), decoded and parsed with the part's policy; None for any other part
    (an rfc822 part sent as it is was already parsed as its message)."""
    if part.get_content_type() != "message/rfc822":
        return None
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    payload = part.get_payload()
    if encoding not in ("base64", "quoted-printable") or not isinstance(payload, list) or not payload:
        return None
    carried = payload[0]
    if not isinstance(carried, Message):
        return None
    import email

    encoded = carried.as_bytes()
    try:
        if encoding == "base64":
            data = binascii.a2b_base64(b"".join(encoded.split()))
        else:
            import quopri

            data = quopri.decodestring(encoded.lstrip(b"\r\n"))
        return email.message_from_bytes(data, policy=part.policy)
    except (binascii.Error, ValueError, TypeError):
        return None


def _tree_payload(part: Message, limit: int | None = None) -> bytes:
    data = decoded_payload(part)
    return data if limit is None else data[:limit]


_ATOMS = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
# ``addr@domain`` or ``Plain Name <addr@domain>`` (as core.mail.messages reads the list's addresses)
_SIMPLE_ADDRESS = re.compile(rf"[ \t]*(?:({_ATOMS}@{_ATOMS})|[A-Za-z0-9 ._-]*<({_ATOMS}@{_ATOMS})>)[ \t]*")


def address_of(value: str) -> str:
    """``email.utils.parseaddr(value)[1]``, a plain single address read without the address parser."""
    m = _SIMPLE_ADDRESS.fullmatch(value)
    if m is not None:
        return m.group(1) or m.group(2)
    from email.utils import parseaddr

    return parseaddr(value)[1]
