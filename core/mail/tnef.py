"""Outlook's ``winmail.dat`` (``application/ms-tnef``): the files and the text it carries, read strictly.

When Exchange keeps a letter's "rich text", the recipient gets one opaque ``winmail.dat`` part holding the
real attachments (a hospital's PDF letter, a lab's HPRIM file) and often the letter's body. This module reads
that stream as MS-OXTNEF describes it:

- the signature 0x223E9F78 and the legacy key, then attributes: level (1 message, 2 attachment), id (its low
  16 bits the attribute, its high 16 bits the type), length, data, and a checksum (the sum of the data's bytes
  modulo 65536), which must match;
- an attachment begins at ``attAttachRenddata``; its name is ``attAttachTitle`` (8.3, in the stream's code
  page), its bytes ``attAttachData``, and ``attAttachment`` holds its MAPI properties, which take precedence:
  PR_ATTACH_LONG_FILENAME, PR_ATTACH_DATA_BIN / _OBJ, PR_ATTACH_MIME_TAG, PR_ATTACH_METHOD (an embedded
  message, method 5, is itself a TNEF stream: read one level down; a deeper or damaged one only named);
- the message's text: ``attBody``, or in ``attMsgProps`` PR_BODY (plain), PR_BODY_HTML (made text), or
  PR_RTF_COMPRESSED (MS-OXRTFCP, decompressed with its CRC checked, then its plain text taken out of the RTF:
  the HTML Outlook encapsulates in RTF is read as HTML);
- strings in the code page ``attOemCodepage`` names (Windows-1252 when absent or unknown), or UTF-16.

Every length is checked against what remains before anything is sliced; counts, sizes and nesting are capped.
Anything the stream does not allow (a wrong checksum, a length past the end, bytes left after the last
attribute, as the reference decoder ``tnef`` refuses them) raises ``TnefError``: the caller keeps the raw part
and says, in one line, that it could not be read. Nothing here logs, and no error names a file or a word of
the letter.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from core.errors import ParseError
from core.text import T

SIGNATURE = 0x223E9F78
MAX_SIZE = 64 * 1024 * 1024  # what a whole message may be (core.inputfile's "message")
MAX_FILES = 500  # attachments in one stream, embedded messages' included
MAX_ATTRIBUTES = 100_000
MAX_PROPERTIES = 10_000  # MAPI properties in one attribute
MAX_VALUES = 10_000  # values of one multi-valued property
MAX_NAME = 255  # characters of a file name kept
MAX_RTF = 16 * 1024 * 1024  # a decompressed RTF body
MAX_TEXT = 4 * 1024 * 1024  # characters of text taken from a body
MAX_EMBEDDED_DEPTH = 1  # a message inside the stream is read; one inside that one is only named

LEVEL_MESSAGE, LEVEL_ATTACHMENT = 1, 2

# attributes (full ids: type << 16 | id)
ATT_BODY = 0x0002800C
ATT_OEM_CODEPAGE = 0x00069007
ATT_MSG_PROPS = 0x00069003
ATT_ATTACH_RENDDATA = 0x00069002
ATT_ATTACH_TITLE = 0x00018010
ATT_ATTACH_DATA = 0x0006800F
ATT_ATTACHMENT = 0x00069005

# MAPI property types
PT_SHORT, PT_LONG, PT_FLOAT, PT_DOUBLE, PT_CURRENCY, PT_APPTIME = 0x02, 0x03, 0x04, 0x05, 0x06, 0x07
PT_ERROR, PT_BOOLEAN, PT_OBJECT, PT_I8 = 0x0A, 0x0B, 0x0D, 0x14
PT_STRING8, PT_UNICODE, PT_SYSTIME, PT_CLSID, PT_BINARY = 0x1E, 0x1F, 0x40, 0x48, 0x102
MV_FLAG = 0x1000
_FIXED = {
    PT_SHORT: 4,  # 2 bytes and 2 of padding
    PT_LONG: 4,
    PT_FLOAT: 4,
    PT_ERROR: 4,
    PT_BOOLEAN: 4,
    PT_DOUBLE: 8,
    PT_CURRENCY: 8,
    PT_APPTIME: 8,
    PT_I8: 8,
    PT_SYSTIME: 8,
    PT_CLSID: 16,
}
_VARIABLE = frozenset({PT_STRING8, PT_UNICODE, PT_BINARY, PT_OBJECT})

# MAPI property ids
PR_BODY, PR_RTF_COMPRESSED, PR_BODY_HTML, PR_INTERNET_CPID = 0x1000, 0x1009, 0x1013, 0x3FDE
PR_DISPLAY_NAME, PR_SUBJECT = 0x3001, 0x0037
PR_ATTACH_DATA, PR_ATTACH_FILENAME, PR_ATTACH_METHOD = 0x3701, 0x3704, 0x3705
PR_ATTACH_LONG_FILENAME, PR_ATTACH_MIME_TAG = 0x3707, 0x370E
ATTACH_EMBEDDED_MSG = 5
# IID_IMessage: a PT_OBJECT value holding a message begins with it, the TNEF stream follows
IID_IMESSAGE = bytes.fromhex("0703020000000000c000000000000046")

_RTF_PREBUF = (
    b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
    b"\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par "
    b"\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"
)
_LZFU, _MELA = 0x75465A4C, 0x414C454D


class TnefError(ParseError):
    """A winmail.dat that is not a TNEF stream this reader accepts (truncated, altered, over a limit)."""


def _bad(what: str) -> TnefError:
    return TnefError(T("mail.tnef.illisible", what=what))


@dataclass(frozen=True)
class TnefFile:
    """One file carried in the stream."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class TnefContent:
    """What a winmail.dat holds: its files, its text (``body``, "" when none), the kind of body it was
    (``"text"``, ``"html"``, ``"rtf"``; ``"rtf-unread"`` when only a rich-text body could not be made text;
    ``""`` when there is none) and the messages carried too deep to be read (named only)."""

    files: tuple[TnefFile, ...]
    body: str = ""
    body_kind: str = ""
    embedded_unread: tuple[str, ...] = ()


def looks_like_tnef(data: bytes) -> bool:
    """The stream begins with the TNEF signature."""
    return len(data) >= 4 and struct.unpack_from("<I", data, 0)[0] == SIGNATURE


def read_tnef(data: bytes) -> TnefContent:
    """The files and the text of the TNEF stream ``data``; TnefError when it cannot be read whole."""
    if not isinstance(data, bytes | bytearray):
        raise _bad("type")
    if len(data) > MAX_SIZE:
        raise _bad("size")
    budget = [MAX_FILES]
    return _Reader(bytes(data), 0, budget).read()


class _Cursor:
    """Bounded reads over ``data[start:end]``: every length is checked before a slice."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = start
        self.end = len(data) if end is None else end

    def left(self) -> int:
        return self.end - self.pos

    def take(self, n: int) -> bytes:
        if n < 0 or n > self.end - self.pos:
            raise _bad("length")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        value: int = struct.unpack("<H", self.take(2))[0]
        return value

    def u32(self) -> int:
        value: int = struct.unpack("<I", self.take(4))[0]
        return value


@dataclass
class _Property:
    prop_type: int
    prop_id: int  # 0 for a named property (its id is not one of the tags read here)
    values: list[bytes]


class _Attachment:
    __slots__ = ("data", "embedded", "long_name", "method", "mime", "title")

    def __init__(self) -> None:
        self.title = ""
        self.long_name = ""
        self.data: bytes | None = None
        self.mime = ""
        self.method = 0
        self.embedded: bytes | None = None


class _Reader:
    def __init__(self, data: bytes, depth: int, budget: list[int]) -> None:
        self.data = data
        self.depth = depth
        self.budget = budget
        self.codepage = "cp1252"
        self.attachments: list[_Attachment] = []
        self.body_text: str | None = None  # attBody
        self.props: list[_Property] = []

    def read(self) -> TnefContent:
        cur = _Cursor(self.data)
        if cur.left() < 6 or cur.u32() != SIGNATURE:
            raise _bad("signature")
        cur.u16()  # the legacy key: not used
        count = 0
        current: _Attachment | None = None
        while cur.left():
            count += 1
            if count > MAX_ATTRIBUTES:
                raise _bad("attributes")
            if cur.left() < 11:
                raise _bad("trailing")  # bytes after the last attribute (the reference decoder refuses them)
            level = cur.u8()
            attr_id = cur.u32()
            length = cur.u32()
            value = cur.take(length)
            checksum = cur.u16()
            if sum(value) & 0xFFFF != checksum:
                raise _bad("checksum")
            if level == LEVEL_MESSAGE:
                self._message_attribute(attr_id, value)
            elif level == LEVEL_ATTACHMENT:
                if attr_id == ATT_ATTACH_RENDDATA:
                    self.budget[0] -= 1
                    if self.budget[0] < 0:
                        raise _bad("files")
                    current = _Attachment()
                    self.attachments.append(current)
                elif current is None:
                    raise _bad("order")  # an attachment's attribute before any attachment began
                else:
                    self._attachment_attribute(current, attr_id, value)
            else:
                raise _bad("level")
        return self._content()

    # -- attributes --------------------------------------------------------------------------------------
    def _message_attribute(self, attr_id: int, value: bytes) -> None:
        if attr_id == ATT_OEM_CODEPAGE:
            if len(value) < 4:
                raise _bad("codepage")
            self.codepage = _codec(struct.unpack_from("<I", value, 0)[0], self.codepage)
        elif attr_id == ATT_BODY:
            self.body_text = _text8(value, self.codepage)
        elif attr_id == ATT_MSG_PROPS:
            self.props.extend(self._properties(value))

    def _attachment_attribute(self, att: _Attachment, attr_id: int, value: bytes) -> None:
        if attr_id == ATT_ATTACH_TITLE:
            att.title = _text8(value, self.codepage)
        elif attr_id == ATT_ATTACH_DATA:
            att.data = value
        elif attr_id == ATT_ATTACHMENT:
            for prop in self._properties(value):
                first = prop.values[0] if prop.values else None
                if first is None or prop.prop_id == 0:
                    continue
                if prop.prop_id == PR_ATTACH_LONG_FILENAME and prop.prop_type in (PT_STRING8, PT_UNICODE):
                    att.long_name = self._string(prop.prop_type, first)
                elif prop.prop_id == PR_ATTACH_DATA and prop.prop_type in (PT_BINARY, PT_OBJECT):
                    if prop.prop_type == PT_OBJECT and first.startswith(IID_IMESSAGE):
                        att.embedded = first[len(IID_IMESSAGE) :]
                    att.data = first
                elif prop.prop_id == PR_ATTACH_MIME_TAG and prop.prop_type in (PT_STRING8, PT_UNICODE):
                    att.mime = self._string(prop.prop_type, first)
                elif prop.prop_id == PR_ATTACH_METHOD and prop.prop_type == PT_LONG:
                    att.method = struct.unpack_from("<I", first, 0)[0]
                elif prop.prop_id == PR_DISPLAY_NAME and prop.prop_type in (PT_STRING8, PT_UNICODE):
                    if not att.title:
                        att.title = self._string(prop.prop_type, first)

    def _string(self, prop_type: int, value: bytes) -> str:
        if prop_type == PT_UNICODE:
            return _text16(value)
        return _text8(value, self.codepage)

    def _properties(self, value: bytes) -> list[_Property]:
        """The MAPI properties of an attMsgProps or attAttachment value (MS-OXTNEF 2.1.3.4)."""
        cur = _Cursor(value)
        count = cur.u32()
        if count > MAX_PROPERTIES:
            raise _bad("properties")
        out: list[_Property] = []
        for _ in range(count):
            prop_type = cur.u16()
            prop_id = cur.u16()
            if prop_id >= 0x8000:  # a named property: its GUID and its kind, then an id or a name
                cur.take(16)
                kind = cur.u32()
                if kind == 0:
                    cur.u32()
                elif kind == 1:
                    size = cur.u32()
                    cur.take(size)
                    cur.take(-size % 4)
                else:
                    raise _bad("named")
                prop_id = 0
            multi = bool(prop_type & MV_FLAG)
            base = prop_type & ~MV_FLAG
            values: list[bytes] = []
            if base in _VARIABLE:
                n = cur.u32()
                if n > MAX_VALUES:
                    raise _bad("values")
                for _ in range(n):
                    size = cur.u32()
                    values.append(cur.take(size))
                    cur.take(-size % 4)
            elif base in _FIXED:
                n = cur.u32() if multi else 1
                if n > MAX_VALUES:
                    raise _bad("values")
                for _ in range(n):
                    values.append(cur.take(_FIXED[base]))
            else:
                raise _bad("type")
            out.append(_Property(base, prop_id, values))
        return out

    # -- what the stream holds ---------------------------------------------------------------------------
    def _content(self) -> TnefContent:
        files: list[TnefFile] = []
        unread: list[str] = []
        for att in self.attachments:
            name = _clean_name(att.long_name or att.title)
            if att.embedded is not None or att.method == ATTACH_EMBEDDED_MSG:
                inner = att.embedded
                if inner is None and att.data is not None and looks_like_tnef(att.data):
                    inner = att.data
                carried = None
                if inner is not None and self.depth < MAX_EMBEDDED_DEPTH and looks_like_tnef(inner):
                    try:
                        carried = _Reader(inner, self.depth + 1, self.budget).read()
                    except TnefError:
                        carried = None  # a damaged message inside: named, the rest of the stream still read
                if carried is None:
                    unread.append(name or "message")
                else:
                    files.extend(carried.files)
                    unread.extend(carried.embedded_unread)
                continue
            if att.data is None:
                continue  # an attachment without data (an OLE picture's rendering only): nothing to give
            files.append(TnefFile(name or "piece-jointe", _mime(att.mime), att.data))
        body, kind = self._body()
        return TnefContent(tuple(files), _clean_text(body), kind, tuple(unread))

    def _body(self) -> tuple[str, str]:
        props = {p.prop_id: p for p in self.props if p.prop_id and p.values}
        codepage = self.codepage
        cpid = props.get(PR_INTERNET_CPID)
        if cpid is not None and cpid.prop_type == PT_LONG:
            codepage = _codec(struct.unpack_from("<I", cpid.values[0], 0)[0], codepage)
        plain = props.get(PR_BODY)
        if plain is not None and plain.prop_type in (PT_STRING8, PT_UNICODE):
            text = self._string(plain.prop_type, plain.values[0])
            if text.strip():
                return text[:MAX_TEXT], "text"
        if self.body_text and self.body_text.strip():
            return self.body_text[:MAX_TEXT], "text"
        html = props.get(PR_BODY_HTML)
        if html is not None and html.prop_type in (PT_STRING8, PT_UNICODE, PT_BINARY):
            value = html.values[0]
            source = _text16(value) if html.prop_type == PT_UNICODE else _text8(value, codepage)
            from core.mail.mime import html_to_text

            text = html_to_text(source[:MAX_TEXT])
            if text.strip():
                return text, "html"
        rtf = props.get(PR_RTF_COMPRESSED)
        if rtf is not None and rtf.prop_type == PT_BINARY:
            try:
                text = rtf_text(decompress_rtf(rtf.values[0]), codepage)
            except TnefError:
                return "", "rtf-unread"
            return (text, "rtf") if text.strip() else ("", "rtf-unread")
        return "", ""


# -- strings ---------------------------------------------------------------------------------------------
def _codec(codepage: int, default: str) -> str:
    """The Python codec of a Windows code page number (1252 -> cp1252, 65001 -> utf-8), or ``default``."""
    import codecs

    name = {65001: "utf-8", 1200: "utf-16-le", 20127: "ascii", 28591: "latin-1", 28605: "iso8859-15"}.get(
        codepage, f"cp{codepage}"
    )
    try:
        return codecs.lookup(name).name
    except LookupError:
        return default


def _text8(value: bytes, codec: str) -> str:
    value = value.split(b"\x00", 1)[0]
    try:
        return value.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return value.decode("cp1252", errors="replace")


def _text16(value: bytes) -> str:
    if len(value) % 2:
        value = value[:-1]
    text = value.decode("utf-16-le", errors="replace")
    return text.split("\x00", 1)[0]


_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(text: str) -> str:
    """Text with Windows line ends made plain and control characters (a trailing NUL) removed."""
    text = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.strip("\n") if text.strip() else ""


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def _clean_name(name: str) -> str:
    """A file name as the stream gives it, without a path nor control characters, at most ``MAX_NAME``."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip().strip(".")
    return name[:MAX_NAME]


_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


def _mime(tag: str) -> str:
    tag = tag.strip().lower()
    return tag if _MIME.fullmatch(tag) else "application/octet-stream"


# -- compressed RTF (MS-OXRTFCP) ------------------------------------------------------------------------
def decompress_rtf(data: bytes, limit: int = MAX_RTF) -> bytes:
    """The RTF of a PR_RTF_COMPRESSED value: 'LZFu' decompressed (its CRC checked) or 'MELA' as it is."""
    cur = _Cursor(data)
    if cur.left() < 16:
        raise _bad("rtf")
    comp_size, raw_size, comp_type, crc = struct.unpack("<IIII", cur.take(16))
    if comp_size < 12 or comp_size - 12 > cur.left() or raw_size > limit:
        raise _bad("rtf")
    body = cur.take(comp_size - 12)
    if comp_type == _MELA:
        return body[:raw_size]
    if comp_type != _LZFU:
        raise _bad("rtf")
    if zlib.crc32(body, 0xFFFFFFFF) ^ 0xFFFFFFFF != crc:
        raise _bad("rtf-crc")
    window = bytearray(4096)
    window[: len(_RTF_PREBUF)] = _RTF_PREBUF
    write = len(_RTF_PREBUF)
    out = bytearray()
    pos, end = 0, len(body)
    while pos < end:
        control = body[pos]
        pos += 1
        for bit in range(8):
            if pos >= end:
                break
            if control & (1 << bit):
                if pos + 2 > end:
                    raise _bad("rtf")
                ref = (body[pos] << 8) | body[pos + 1]
                pos += 2
                offset, length = ref >> 4, (ref & 0x0F) + 2
                if offset == write:
                    return bytes(out[:raw_size])  # the end mark
                for _ in range(length):
                    byte = window[offset]
                    offset = (offset + 1) & 0xFFF
                    out.append(byte)
                    window[write] = byte
                    write = (write + 1) & 0xFFF
            else:
                byte = body[pos]
                pos += 1
                out.append(byte)
                window[write] = byte
                write = (write + 1) & 0xFFF
            if len(out) > limit:
                raise _bad("rtf")
    return bytes(out[:raw_size])


# -- RTF to text ---------------------------------------------------------------------------------------
_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|[\r\n]+|([^\\{}\r\n]+)", re.S
)
# destinations whose text is not the letter's (fonts, colours, styles, pictures, document info...)
_SKIPPED = frozenset(
    (
        b"fonttbl colortbl stylesheet info pict object header footer headerl headerr footerl footerr "
        b"listtable listoverridetable revtbl rsidtbl generator xmlnstbl themedata colorschememapping "
        b"latentstyles datastore filetbl mmathPr fldinst pntext pntxta pntxtb bkmkstart bkmkend "
        b"fldtype shppict nonshppict objdata comment title author operator company subject keywords "
        b"doccomm"
    ).split()
)
_BREAKS = {
    b"par": "\n",
    b"line": "\n",
    b"sect": "\n",
    b"page": "\n",
    b"row": "\n",
    b"tab": "\t",
    b"cell": "\t",
}
_SPECIAL = {
    b"emdash": "\u2014",
    b"endash": "\u2013",
    b"bullet": "\u2022",
    b"lquote": "\u2018",
    b"rquote": "\u2019",
    b"ldblquote": "\u201c",
    b"rdblquote": "\u201d",
    b"emspace": " ",
    b"enspace": " ",
    b"qmspace": " ",
}


def rtf_text(rtf: bytes, codec: str = "cp1252") -> str:
    """The readable text of an RTF document: its words, paragraphs and tabs; fonts, pictures and the like
    left out. RTF that encapsulates HTML (``\\fromhtml``, how Outlook keeps an HTML letter) gives its HTML,
    made text. Characters ``\\'hh`` in the document's code page (``\\ansicpg``), ``\\uN`` as Unicode."""
    html = b"\\fromhtml" in rtf[:4096]
    out: list[str] = []
    pending = bytearray()  # \'hh bytes not yet decoded (a multi-byte character may span several)
    stack: list[tuple[bool, int, bool]] = []
    skip, uc, in_htmlrtf = False, 1, False
    to_skip = 0  # characters left to drop after a \uN
    star = False

    def flush() -> None:
        if pending:
            out.append(pending.decode(codec, errors="replace"))
            pending.clear()

    size = 0
    for m in _TOKEN.finditer(rtf):
        word, arg, hexa, symbol, brace, text = m.groups()
        if brace == b"{":
            if len(stack) > 1000:
                raise _bad("rtf")
            stack.append((skip, uc, in_htmlrtf))
            star = False
            continue
        if brace == b"}":
            flush()
            if stack:
                skip, uc, in_htmlrtf = stack.pop()
            star = False
            continue
        if word is not None:
            if to_skip and word not in (b"u",):
                to_skip = 0
            if star or word in _SKIPPED:
                if html and word == b"htmltag":
                    star = False
                    continue  # the HTML Outlook kept: its text is the letter's
                skip = True
                star = False
                continue
            if word == b"ansicpg" and arg:
                codec = _codec(int(arg), codec)
            elif word == b"uc" and arg:
                uc = max(0, min(int(arg), 8))
            elif word == b"htmlrtf":
                in_htmlrtf = arg != b"0"
            elif skip or (html and in_htmlrtf):
                continue
            elif word == b"u" and arg:
                flush()
                out.append(
                    chr(int(arg) % 65536)
                    if int(arg) % 65536 < 0xD800 or int(arg) % 65536 >= 0xE000
                    else "\ufffd"
                )
                to_skip = uc
            elif word in _BREAKS:
                flush()
                out.append(_BREAKS[word])
            elif word in _SPECIAL:
                flush()
                out.append(_SPECIAL[word])
            continue
        if symbol is not None:
            if symbol == b"*":
                star = True
                continue
            if skip or (html and in_htmlrtf):
                continue
            if to_skip:
                to_skip -= 1
                continue
            flush()
            if symbol in (b"\\", b"{", b"}"):
                out.append(symbol.decode())
            elif symbol == b"~":
                out.append("\u00a0")
            elif symbol in (b"\n", b"\r"):
                out.append("\n")
            elif symbol == b"_":
                out.append("-")
            continue
        star = False
        if skip or (html and in_htmlrtf):
            continue
        if hexa is not None:
            if to_skip:
                to_skip -= 1
                continue
            pending.append(int(hexa, 16))
            continue
        if text is not None:
            flush()
            chunk = text
            if to_skip:
                dropped = min(to_skip, len(chunk))
                chunk = chunk[dropped:]
                to_skip -= dropped
            out.append(chunk.decode(codec, errors="replace"))
            size += len(chunk)
            if size > MAX_TEXT:
                break
    flush()
    result = "".join(out)
    if html:
        from core.mail.mime import html_to_text

        return html_to_text(result)
    lines = [line.rstrip() for line in result.replace("\r", "").split("\n")]
    return "\n".join(lines).strip("\n")
