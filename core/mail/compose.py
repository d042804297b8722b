"""Build the RFC 5322 message of an outgoing letter from a ``Draft`` (stdlib ``email``).

The result is CRLF bytes ready for SMTP, IMAP APPEND and S/MIME. The S/MIME layer wraps the body; the
outer header set (From, To, Message-ID, X-MSS-*...) is kept by ``keep_outer_headers`` whatever the
protecting callable returns, because the outbox deduplicates on Message-ID.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime, make_msgid, parseaddr

from core.errors import BadInput
from core.mail.account import Account
from core.model import Draft, file_name_to_write
from core.text import T

# CRLF line ends and 78-column folding: what SMTP and IMAP APPEND expect on the wire.
WIRE = policy.SMTP

# no space, control (C0, DEL, C1: a NUL or an ESC went to RCPT TO) nor special in the local part
_ADDR = re.compile(r"^[^@\s\x00-\x1f\x7f-\x9f<>(),;:\"\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 ftext: printable ASCII but ':'
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*$")
# Headers a Draft may add besides X-*: they cannot break threading or addressing.
_EXTRA_ALLOWED = {"disposition-notification-to", "reply-to"}
# Headers that belong to the envelope of the letter, not to the (possibly encrypted) body.
_OUTER = (
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Reply-To",
    "Disposition-Notification-To",
)


@dataclass(frozen=True)
class Composed:
    """A composed letter: its wire bytes and what the transport needs to route and deduplicate it."""

    message_id: str  # with angle brackets, as in the header
    sender: str
    recipients: tuple[str, ...]  # To then Cc, duplicates removed
    data: bytes


def check_address(address: str, what: str) -> str:
    """Return ``address`` stripped, or raise BadInput naming only ``what`` (addresses may carry an INS)."""
    text = address.strip()
    if "<" in text:
        _name, text = parseaddr(text)
    if not _ADDR.match(text) or len(text) > 254:
        raise BadInput(T("mail.compose.adresse-mail-invalide-ecrivez", what=what))
    return text


def sender_domain(email: str) -> str:
    """The domain part of the account address, IDNA-encoded for the Message-ID."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        raise BadInput(T("mail.compose.adresse-compte-domaine-corrigez"))
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise BadInput(T("mail.compose.adresse-compte-domaine-invalide")) from None


def _one_line(value: str, what: str) -> str:
    # every line end str.splitlines knows (VT, FF, FS/GS/RS, NEL, U+2028/9 besides CR and LF): the email
    # package refuses them all in a header with ValueError, which came out as an internal error
    if "\0" in value or len((value + ".").splitlines()) > 1:
        raise BadInput(T("mail.compose.doit-tenir-seule-ligne", what=what))
    return value


def compose(draft: Draft, account: Account, *, now: dt.datetime | None = None) -> Composed:
    """Turn ``draft`` into a MIME message sent from ``account`` (UTF-8 text, attachments, threading)."""
    sender = check_address(account.email, "l'adresse du compte")
    to = [check_address(a, f"le destinataire {i} (--to)") for i, a in enumerate(draft.to, 1)]
    cc = [check_address(a, f"le destinataire en copie {i} (--cc)") for i, a in enumerate(draft.cc, 1)]
    if not to and not cc:
        raise BadInput(T("mail.compose.aucun-destinataire-donnez-moins"))
    msg = EmailMessage(policy=WIRE)
    msg["From"] = sender
    if to:
        msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = _one_line(draft.subject, "l'objet")
    when = now or dt.datetime.now().astimezone()
    msg["Date"] = format_datetime(when if when.tzinfo else when.astimezone())
    message_id = make_msgid(domain=sender_domain(sender))
    msg["Message-ID"] = message_id
    # the letter answered names itself (its sender's words): an identifier that is none (a space, no '@', a
    # control: an ESC went out in In-Reply-To) is left out, the reply leaves unthreaded rather than not at all
    replied = _thread_id(draft.in_reply_to) if draft.in_reply_to else None
    if replied:
        msg["In-Reply-To"] = replied
    refs = [ref for ref in map(_thread_id, draft.references) if ref]
    if replied and replied not in refs:
        refs.append(replied)
    if refs:
        msg["References"] = " ".join(refs)
    if draft.end_conversation:  # Référentiel #2 ECO.2.2.8: the patient cannot answer
        msg["X-MSS-MES"] = "FIN"
    if draft.read_receipt:
        msg["Disposition-Notification-To"] = sender
    if account.mss_nil:
        msg["X-MSS-NIL"] = _one_line(account.mss_nil, "le X-MSS-NIL du compte")
    for name, value in draft.extra_headers:
        if not _HEADER_NAME.match(name) or not (
            name.lower().startswith("x-") or name.lower() in _EXTRA_ALLOWED
        ):
            raise BadInput(T("mail.compose.tete-peut-etre-ajoute", name=name))
        msg[name] = _one_line(value, f"l'en-tête {name}")
    # quoted-printable keeps UTF-8 text 7-bit clean, so an S/MIME signature survives any relay.
    msg.set_content(
        draft.body.replace("\r\n", "\n"), subtype="plain", charset="utf-8", cte="quoted-printable"
    )
    for n, attachment in enumerate(draft.attachments, 1):
        ctype = attachment.content_type.strip().lower()
        if not _CONTENT_TYPE.match(ctype):
            ctype = mimetypes.guess_type(attachment.filename)[0] or "application/octet-stream"
        maintype, subtype = ctype.split("/", 1)
        # a name a file may carry (a forwarded letter's attachment is named by its first sender: a line end, a
        # control or a path in it is not refused, it is made safe, as the colleague's computer will need it)
        filename = file_name_to_write(attachment.filename, f"piece-{n}")
        # Bytes go out base64 whatever the type: a lab file's own charset must not be re-encoded.
        msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=filename)
    recipients = tuple(dict.fromkeys([*to, *cc]))
    return Composed(message_id=message_id, sender=sender, recipients=recipients, data=msg.as_bytes())


def _msgid(value: str, what: str) -> str:
    text = _one_line(value.strip(), what or "un identifiant de message")
    if not text.startswith("<"):
        text = f"<{text}>"
    if not text.endswith(">") or text.count("@") != 1 or any(c.isspace() or not c.isprintable() for c in text):
        raise BadInput(T("mail.compose.message-valide", value=what or "un identifiant de message"))
    return text


def _thread_id(value: str) -> str | None:
    """``value`` as a Message-ID for In-Reply-To or References, None when it is none."""
    try:
        return _msgid(value, "")
    except BadInput:
        return None


def _split_head(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(header block, separator, body) of a message whose lines end with CRLF or LF."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        head, found, body = data.partition(sep)
        if found:
            return head, found, body
    return data, b"", b""


def header_value(data: bytes, name: str) -> str | None:
    """One header of a raw message, read without parsing the (possibly 30 MB) body."""
    head, _sep, _body = _split_head(data)
    value = BytesHeaderParser(policy=policy.compat32).parsebytes(head + b"\r\n\r\n").get(name)
    return None if value is None else " ".join(str(value).split())


def keep_outer_headers(original: bytes, protected: bytes) -> bytes:
    """Add to ``protected`` every outer header of ``original`` it lacks (From, To, Message-ID, X-*...).

    The protecting callable may return a whole message or only the S/MIME entity; either way the letter
    leaves with its addressing, threading, Message-ID and X-MSS-* headers.
    """
    orig_head, _s, _b = _split_head(original)
    prot_head, sep, body = _split_head(protected)
    if not sep:
        raise BadInput(T("mail.compose.message-signe-chiffre-bloc"))
    parser = BytesHeaderParser(policy=policy.compat32)
    present = {k.lower() for k in parser.parsebytes(prot_head + b"\r\n\r\n").keys()}
    eol = b"\r\n" if sep == b"\r\n\r\n" else b"\n"
    wanted = {h.lower() for h in _OUTER}
    missing: list[bytes] = []
    for line_block in _header_fields(orig_head):
        name = line_block.split(b":", 1)[0].decode("ascii", "replace").strip().lower()
        if (name in wanted or name.startswith("x-")) and name not in present:
            missing.append(line_block.replace(b"\r\n", b"\n").replace(b"\n", eol))
    if not missing:
        return protected
    return eol.join(missing) + eol + prot_head + sep + body


def _header_fields(head: bytes) -> list[bytes]:
    """Each header field of a header block, continuation lines kept with it."""
    fields: list[bytes] = []
    for line in head.replace(b"\r\n", b"\n").split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        elif line:
            fields.append(line)
    return fields
