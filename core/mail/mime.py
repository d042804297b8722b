"""Reading a raw message: header fields for the list, readable text and attachments for ``messages show``."""

from __future__ import annotations

import datetime as dt
import email
import functools
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from core.errors import ParseError
from core.frozen import Frozen
from core.mail.fastmime import decoded_payload, is_tnef, raw_value
from core.mail.threads import reference_chain
from core.text import T

if TYPE_CHECKING:
    from core.model import Attachment  # built by read() only: a sync's summaries never load it


@functools.cache
def _policy() -> email.policy.EmailPolicy[EmailMessage]:
    """The parser's policy for whole messages (email.policy, with its header registry: loaded when a message is
    first read whole, not for the summaries a sync makes with the fast reader)."""
    import email.policy

    return email.policy.default.clone(raise_on_defect=False)


@dataclass(frozen=True, repr=False, eq=False)
class PartInfo(Frozen):
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, repr=False, eq=False)
class Parsed(Frozen):
    message_id: str
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    date: dt.datetime | None
    text: str
    attachments: tuple[PartInfo, ...] = ()
    encrypted: bool = False
    signed: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    text_was_html: bool = False  # the message had no plain text: ``text`` is its HTML turned into text
    notes: tuple[str, ...] = ()  # what the reader could not read, one line each (an unreadable winmail.dat)


def parse_bytes(raw: bytes) -> EmailMessage:
    if not isinstance(raw, bytes | bytearray):
        raise ParseError(T("mail.mime.message-doit-etre-fourni"))
    try:
        msg = email.message_from_bytes(bytes(raw), policy=_policy())
    except Exception:  # noqa: BLE001 - the stdlib parser can raise many things on garbage
        raise ParseError(T("mail.mime.message-illisible-format-mime")) from None
    return msg


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - malformed encoded words
        value = None
    if value is None:
        return ""
    return " ".join(str(value).split())


# CI-SIS subject of mail meant for automatic integration: "XDM/1.0/DDM+<libellé> <NOM> <prénom> <date>";
# Ségur SC.MSS/UX.28 asks that the prefix be hidden when the subject is shown (a reply's "Re: " kept)
_XDM_PREFIX = re.compile(r"^((?:(?:re|tr|fwd?)\s*:\s*)*)xdm/1\.0/ddm\+\s*", re.IGNORECASE)


def shown_subject(subject: str) -> str:
    """The subject as the doctor sees it: without the ``XDM/1.0/DDM+`` machine prefix."""
    return _XDM_PREFIX.sub(r"\1", subject, count=1) if "/" in subject else subject


def _decoded(msg: Message, name: str) -> str:
    """A header of a compat32 message as text: raw 8-bit bytes (UTF-8, else Windows-1252) and RFC 2047
    encoded words decoded, folding removed."""
    value = raw_value(msg, name)
    text = "" if value is None else str(value)
    if not text.isascii() and any("\udc80" <= c <= "\udcff" for c in text):
        data = text.encode("utf-8", "surrogateescape")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if "=?" in text:
        from email.header import decode_header, make_header

        try:
            text = str(make_header(decode_header(text)))
        except Exception:  # noqa: BLE001 - a malformed encoded word is shown as it is
            pass
    return " ".join(text.split())


def _addresses(msg: Message, name: str) -> tuple[str, ...]:
    try:
        values = msg.get_all(name) or []
        pairs = getaddresses([str(v) for v in values])
    except Exception:  # noqa: BLE001
        return ()
    return tuple(addr for _, addr in pairs if addr)


def _date(msg: Message) -> dt.datetime | None:
    text = _header(msg, "Date")
    if not text:
        return None
    try:
        d = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if d is None:
        return None
    return d if d.tzinfo else d.replace(tzinfo=dt.UTC)


def security_of(msg: Message) -> tuple[bool, bool]:
    """(encrypted, signed) judged from the outer content type (S/MIME)."""
    ctype = msg.get_content_type()
    smime_type = ""
    if ctype.endswith("pkcs7-mime"):
        value = msg.get_param("smime-type") or ""
        if isinstance(value, tuple):  # RFC 2231 form: (charset, language, value)
            value = collapse_rfc2231_value(value)
        smime_type = str(value).lower()
    encrypted = (
        ctype in ("application/pkcs7-mime", "application/x-pkcs7-mime") and smime_type != "signed-data"
    )
    signed = ctype == "multipart/signed" or smime_type == "signed-data"
    return encrypted, signed


def _decode_text(part: Message) -> str:
    payload = decoded_payload(part)
    charset = part.get_content_charset() or "utf-8"
    for cs in (charset, "utf-8", "cp1252"):
        try:
            return payload.decode(cs)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: paragraphs, lists, tables and links kept as plain lines (html2text,
    imported here only: most mail is plain text)."""
    import html2text

    converter = html2text.HTML2Text(bodywidth=0)  # no re-wrapping: the reader wraps to its own width
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.unicode_snob = True  # keep accents and non-breaking spaces as characters
    try:
        text = converter.handle(html)
    except Exception:  # noqa: BLE001 - a broken HTML body still shows as text, without its tags
        import html as html_mod

        text = html_mod.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(script|style).*?</\1>", "", html)))
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def walk(msg: Message) -> tuple[str, list[tuple[PartInfo, Message]]]:
    """The best readable text and the attachment parts of a message."""
    text, attachments, _html = walk_parts(msg)
    return text, attachments


def walk_parts(msg: Message) -> tuple[str, list[tuple[PartInfo, Message]], bool]:
    """The readable text, the attachment parts, and whether some of the text came from HTML.

    The text follows the message's structure: of a multipart/alternative, its plain version (else the last
    one that says something, RFC 2046's richest); of any other multipart, every part's text in order; a
    message carried inside (message/rfc822: a letter forwarded as an attachment) under a line naming its
    sender, date and subject. Before, every plain part anywhere was shown and all HTML dropped when there was
    one: a Thunderbird letter whose HTML text carried a forwarded letter showed only the forwarded letter's
    words, as if the sender had written them (its tests' nestedMessages.eml). Attachments are every file part,
    those of a carried message included (a lab's letter forwarded with its report)."""
    from core.mail.fastmime import walk_opened

    attachments: list[tuple[PartInfo, Message]] = []
    for part in walk_opened(msg):
        if part.is_multipart() or not _is_attachment(part):
            continue
        ctype = part.get_content_type()
        payload = decoded_payload(part)
        name = part.get_filename() or f"part.{ctype.split('/')[-1]}"
        attachments.append((PartInfo(name, ctype, len(payload)), part))
    html_used: list[bool] = []
    text = _text_of(msg, html_used, 0)
    return text, attachments, bool(html_used)


def _is_attachment(part: Message) -> bool:
    """A leaf that is a file rather than text to read: said so, named, or not text at all. A multipart the
    parser could not split (no boundary, or not the one its parts use: CPython's msg_41, MimeKit's
    empty-multipart from Outlook 12) is the letter's text, never a nameless 'part.alternative' file."""
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment" or part.get_filename():
        return True
    return part.get_content_maintype() not in ("text", "multipart")


def _text_of(part: Message, html_used: list[bool], depth: int) -> str:
    from core.mail.fastmime import MAX_TREE_DEPTH, opened_message

    ctype = part.get_content_type()
    if depth > MAX_TREE_DEPTH:
        return ""
    carried = opened_message(part)
    if carried is None and ctype == "message/rfc822" and part.is_multipart():
        first = part.get_payload(0)
        carried = first if isinstance(first, Message) else None
    if carried is not None:
        return _carried_message(carried, html_used, depth + 1)
    if part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if ctype == "multipart/alternative":
            for child in children:
                if child.get_content_type() == "text/plain" and not _is_attachment(child):
                    plain = _decode_text(child)
                    if plain.strip():
                        return plain
            for child in reversed(children):
                tried: list[bool] = []
                said = _text_of(child, tried, depth + 1)
                if said.strip():
                    html_used.extend(tried)
                    return said
            return ""
        texts = [_text_of(child, html_used, depth + 1) for child in children]
        return "\n\n".join(t for t in texts if t.strip())
    if _is_attachment(part):
        return ""
    if ctype == "text/html":
        html_used.append(True)
        return html_to_text(_decode_text(part))
    return _decode_text(part)


def _carried_message(carried: Message, html_used: list[bool], depth: int) -> str:
    """A letter carried inside another (forwarded as an attachment): a line that says so, its sender, date and
    subject as it gives them, then its text; never its words run on as the outer sender's."""
    from core.model import local_time

    lines = [str(T("mail.mime.message-joint"))]
    sender, subject = _header(carried, "From"), _header(carried, "Subject")
    if sender:
        lines.append(str(T("mail.mime.message-joint-de", value=sender)))
    when = _date(carried)
    if when is not None:
        shown = local_time(when) or when
        lines.append(str(T("mail.mime.message-joint-date", value=shown.strftime("%d/%m/%Y %H:%M"))))
    if subject:
        lines.append(str(T("mail.mime.message-joint-objet", value=subject)))
    text = _text_of(carried, html_used, depth)
    return "\n".join(lines) + ("\n\n" + text if text.strip() else "")


def parse(raw: bytes) -> Parsed:
    """Everything ``messages show`` needs from a raw message."""
    return read(raw)[0]


# The fields ``read`` takes from a message (the outer one; every part's MIME fields)
_READ_FIELDS = frozenset(
    {"message-id", "from", "to", "cc", "subject", "date", "x-mss-codecda", "x-mss-ins", "x-mss-nil"}
)
_PART_FIELDS = frozenset({"content-type", "content-disposition", "content-transfer-encoding"})
# fields whose RFC 2047 encoded words compat32's decode_header reads as email.policy does (addresses: only
# the address is kept, never the display name the words encode)
_WORDS_DECODED = frozenset({"from", "to", "cc", "subject"})
_CHARSETS = frozenset({"utf-8", "iso-8859-1", "iso-8859-15", "windows-1252", "us-ascii"})
# an encoded word between blanks (or at an end of the field), in a charset above, its text without blanks
_WORD = re.compile(r"(?<!\S)=\?([A-Za-z0-9_-]+)\?([QqBb])\?([!->@-~]*)\?=(?!\S)")
_PLAIN_ADDRESSES = re.compile(r'[^"()\\:;\[\]]*')  # no quoted name, comment, group nor domain literal
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")  # the end of the outer header
_PLAIN_ID = re.compile(r"\s*<[!-;=?-~]+>\s*")  # one message id, nothing around it but blanks
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_BASE64_TEXT = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def _words_decoded_alike(value: str) -> bool:
    """Every ``=?`` of ``value`` begins a well-formed encoded word between blanks, all in one common charset,
    each word's bytes valid in it: then decode_header and email.policy give the same text."""
    import binascii
    import quopri

    words = list(_WORD.finditer(value))
    if len(words) != value.count("=?") or len({word.group(1).lower() for word in words}) != 1:
        return False
    for word in words:
        charset, encoding, text = word.groups()
        if charset.lower() not in _CHARSETS:
            return False
        try:
            if encoding in "Bb":
                if not _BASE64_TEXT.fullmatch(text):
                    return False
                data = binascii.a2b_base64(text)
            else:
                data = quopri.decodestring(text.replace("_", " ").encode("ascii"), header=True)
            decoded = data.decode(charset)
        except (ValueError, UnicodeDecodeError):
            return False
        if _CONTROL.search(decoded):  # a line end or a control character: the policy reads those its own way
            return False
    return True


def _plain_reading(raw: bytes) -> Message | None:
    """``raw`` parsed with compat32 (email.policy and its header registry not loaded) when nothing ``read``
    takes from it needs email.policy's reading: the fields it reads ASCII, without RFC 2231 parameters, encoded
    words only in From/To/Cc/Subject and well-formed (``_words_decoded_alike``), From/To/Cc plain address lists,
    no parser defect. ``read`` then gives what the policy's parse gives (a test holds both equal on the corpus);
    else None: the caller parses with the policy.

    An encoded word or an RFC 2231 parameter after the outer header (most often an attachment's name) is seen
    in the bytes first: such a letter goes to the policy's parse at once, not parsed twice. Base64 has neither
    ``=?`` nor ``*=``; a text body that holds one only loses this shortcut."""
    blank = _BLANK_LINE.search(raw)
    after = blank.end() if blank else len(raw)
    if raw.find(b"=?", after) >= 0 or raw.find(b"*=", after) >= 0:
        return None
    try:
        msg = email.message_from_bytes(bytes(raw))
    except Exception:  # noqa: BLE001 - the policy's parse says what is wrong
        return None
    for part in msg.walk():
        if part.defects:
            return None
        fields = _READ_FIELDS | _PART_FIELDS if part is msg else _PART_FIELDS
        for name, value in part.items():
            name = name.lower()
            if name not in fields:
                continue
            if not isinstance(value, str) or not value.isascii() or "*" in value and name in _PART_FIELDS:
                return None
            if "=?" in value and (name not in _WORDS_DECODED or not _words_decoded_alike(value)):
                return None
            if name in ("from", "to", "cc") and not _PLAIN_ADDRESSES.fullmatch(value):
                return None
            if name == "message-id" and not _PLAIN_ID.fullmatch(value):
                return None
    return msg


def read(raw: bytes) -> tuple[Parsed, list[Attachment]]:
    """The message's headers and text, and its attachments with their bytes. An ordinary letter (ASCII fields,
    no encoded words: ``_plain_reading``) is read without email.policy, which the others load."""
    from core.model import Attachment

    plain = _plain_reading(raw) if isinstance(raw, bytes | bytearray) else None
    msg = parse_bytes(raw) if plain is None else plain
    field = _header if plain is None else _decoded  # compat32 leaves encoded words to be decoded
    encrypted, signed = security_of(msg)
    text, attachments, was_html = ("", [], False) if encrypted else walk_parts(msg)
    infos: list[PartInfo] = [info for info, _ in attachments]
    files: list[Attachment] = []
    notes: list[str] = []
    if any(is_tnef(info.content_type, info.filename) for info in infos):
        infos, files, text, was_html, notes = _tnef_opened(attachments, text, was_html)
    else:
        files = [Attachment(info.filename, info.content_type, decoded_payload(part)) for info, part in attachments]
    parsed = Parsed(
        message_id=_header(msg, "Message-ID"),
        sender=(_addresses(msg, "From") or ("",))[0] or field(msg, "From"),
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        subject=shown_subject(field(msg, "Subject")),
        date=_date(msg),
        text=text,
        attachments=tuple(infos),
        encrypted=encrypted,
        signed=signed,
        headers={k: _header(msg, k) for k in ("X-MSS-CODECDA", "X-MSS-INS", "X-MSS-NIL") if msg.get(k)},
        text_was_html=was_html,
        notes=tuple(notes),
    )
    return parsed, files


def _tnef_opened(
    attachments: list[tuple[PartInfo, Message]], text: str, was_html: bool
) -> tuple[list[PartInfo], list[Attachment], str, bool, list[str]]:
    """The attachments with each winmail.dat replaced by the files it carries, the letter's text (the
    winmail.dat's own when the message has none), and a note per winmail.dat that could not be read (it
    stays attached as it came, to be saved) or whose text could not be made readable."""
    from core.mail.tnef import TnefError, read_tnef
    from core.model import Attachment

    infos: list[PartInfo] = []
    files: list[Attachment] = []
    notes: list[str] = []
    for info, part in attachments:
        data = decoded_payload(part)
        if not is_tnef(info.content_type, info.filename):
            infos.append(info)
            files.append(Attachment(info.filename, info.content_type, data))
            continue
        try:
            content = read_tnef(data)
        except TnefError:
            infos.append(info)
            files.append(Attachment(info.filename, info.content_type, data))
            notes.append(str(T("mail.tnef.note-illisible")))
            continue
        for inner in content.files:
            infos.append(PartInfo(inner.name, inner.content_type, len(inner.data)))
            files.append(Attachment(inner.name, inner.content_type, inner.data))
        if content.embedded_unread:
            notes.append(str(T("mail.tnef.note-message-imbrique", count=len(content.embedded_unread))))
        if not text.strip():
            if content.body:
                text, was_html = content.body, content.body_kind == "html"
            elif content.body_kind == "rtf-unread":
                notes.append(str(T("mail.tnef.note-rtf-seulement")))
    return infos, files, text, was_html, notes


_FILENAME = re.compile(rb'(?i)\bfilename\*?=\s*"?([^";\r\n]*)')
_SMIME_FILES = (b"smime.p7s", b"smime.p7m", b"smime.p7z")


def _names_a_file(raw: bytes) -> bool:
    """A part names a file other than the S/MIME signature or envelope (which are not attachments)."""
    return any(name.strip().lower() not in _SMIME_FILES for name in _FILENAME.findall(raw))


def summary_fields(raw: bytes) -> dict[str, Any]:
    """The header fields the message list keeps (no body), as JSON-able values.

    Only the header is parsed (a first sync reads thousands of messages); attachments are guessed from the
    raw bytes of a multipart message.
    """
    import email.parser

    if not isinstance(raw, bytes | bytearray):
        raise ParseError(T("mail.mime.message-doit-etre-fourni"))
    ends = [i + n for i, n in ((raw.find(b"\r\n\r\n"), 4), (raw.find(b"\n\n"), 2)) if i >= 0]
    head = bytes(raw[: min(ends)]) if ends else bytes(raw)
    try:
        # compat32 (the parser's default) is about three times faster than policy.default; the few fields
        # the list shows are decoded by hand below.
        msg = email.parser.BytesParser().parsebytes(head, headersonly=True)
    except Exception:  # noqa: BLE001
        raise ParseError(T("mail.mime.tete-message-illisible")) from None
    encrypted, signed = security_of(msg)
    has_attachments = not encrypted and msg.get_content_maintype() == "multipart" and _names_a_file(raw)
    date = _date(msg)
    return {
        "message_id": _header(msg, "Message-ID"),
        "from": (_addresses(msg, "From") or ("",))[0] or _decoded(msg, "From"),
        "to": list(_addresses(msg, "To")),
        "subject": shown_subject(_decoded(msg, "Subject")),
        "date": date.isoformat() if date else None,
        "encrypted": encrypted,
        "signed": signed,
        "has_attachments": has_attachments,
        "refs": thread_references(msg),
    }


def thread_references(msg: Message) -> list[str]:
    """The ids of the messages this one follows (References, then In-Reply-To), for its conversation."""
    return list(reference_chain(_header(msg, "References"), _header(msg, "In-Reply-To")))
