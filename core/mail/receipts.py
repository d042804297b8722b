"""Delivery and read receipts: what became of each letter, per recipient.

On sending, the SMTP client asks for a delivery status notification (DSN, RFC 3461) when the server offers
the extension, and a letter may ask for a read receipt (MDN, RFC 8098, ``Disposition-Notification-To``).
The reports that come back at sync (``multipart/report``, ``report-type=delivery-status`` or
``disposition-notification``) are read by :func:`parse_report` and attached to the sent letter by its
Message-ID and the recipient's address (:class:`SentLetters`): "remis le …", "lu le …", "non remise : …".

Answering a read-receipt request is the doctor's decision ([receipts] answer = ask / always / never), and
never automatic for a patient's mailbox (:func:`may_answer_automatically`).
"""

from __future__ import annotations

import datetime as dt
import email
import email.utils
import hashlib
import re
from dataclasses import dataclass, replace
from email.message import Message
from typing import Any, Literal

from core.frozen import Frozen
from core.mail.fastmime import decoded_payload

State = Literal["sent", "delayed", "delivered", "processed", "read", "deleted", "failed"]
# how far a recipient's letter went: a later report never takes a recipient back down
_RANK = {"sent": 0, "delayed": 1, "delivered": 2, "processed": 3, "deleted": 4, "read": 4, "failed": 5}
DSN_NOTIFY = "NOTIFY=SUCCESS,FAILURE,DELAY"
PATIENT_DOMAIN = "patient.mssante.fr"
_ADDRESS = re.compile(r"<?[\w.+=-]+@[\w-]+(?:\.[\w-]+)+>?")
COLLECTION = "sent"


def xtext(text: str) -> str:
    """RFC 3461 xtext: printable ASCII but ``+`` and ``=``, anything else as ``+HH``."""
    return "".join(c if 33 <= ord(c) <= 126 and c not in "+=" else f"+{ord(c):02X}" for c in text)


def dsn_options(recipient: str) -> list[str]:
    """The RCPT parameters that ask for success, failure and delay reports for ``recipient``."""
    return [DSN_NOTIFY, f"ORCPT=rfc822;{xtext(recipient)}"]


def dsn_mail_options(message_id: str) -> list[str]:
    """The MAIL parameters: headers only in the reports, and the Message-ID as the envelope id."""
    envid = xtext(message_id.strip())
    return ["RET=HDRS", *([f"ENVID={envid}"] if 0 < len(envid) <= 100 else [])]


@dataclass(frozen=True, repr=False, eq=False)
class RecipientReport(Frozen):
    """What one report says of one recipient."""

    recipient: str
    state: State
    at: dt.datetime | None = None
    reason: str = ""  # the server's words (addresses removed), for a failure
    status: str = ""  # the DSN's Status field (RFC 3463: "5.1.1"), for a failure or a delay

    def to_json(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "state": self.state,
            "at": self.at.isoformat() if self.at else None,
            "reason": self.reason,
            "status": self.status,
        }


@dataclass(frozen=True, repr=False, eq=False)
class Report(Frozen):
    """A delivery (``dsn``) or read (``mdn``) report about the letter ``original_message_id``."""

    kind: Literal["dsn", "mdn"]
    original_message_id: str
    recipients: tuple[RecipientReport, ...]

    @property
    def failed(self) -> bool:
        """It says the letter did not reach one of its recipients at least (a DSN failure, an MDN error)."""
        return any(r.state == "failed" for r in self.recipients)

    @property
    def good_news(self) -> bool:
        """It says only that the letter arrived (delivered, relayed), was read or processed: nothing to do."""
        return all(r.state in ("delivered", "read", "processed") for r in self.recipients)


# the state a report's line in the list says, the most telling first
_LISTED = ("failed", "delayed", "deleted", "read", "processed", "delivered", "sent")


def report_subject(report: Report, subject: str) -> Any:
    """The list's subject of a delivery or read report about the letter whose subject is ``subject``: what it
    says of the letter, « Avis de remise — non remise : Adressage » (servers write theirs in English)."""
    from core.text import T

    states = {r.state for r in report.recipients}
    word = next((s for s in _LISTED if s in states), "sent")
    return T(f"receipts.list-subject.{report.kind}", word=T(f"receipts.word.{word}"), subject=subject)


def parse_report(raw: bytes | Message) -> Report | None:
    """The report a message carries, or None when it is not a DSN or an MDN (or says nothing usable)."""
    msg = raw if isinstance(raw, Message) else email.message_from_bytes(raw)
    if msg.get_content_type() != "multipart/report":
        return None
    kind = str(msg.get_param("report-type", "") or "").lower()
    when = _date(msg.get("Date"))
    if kind == "delivery-status":
        return _dsn(msg, when)
    if kind == "disposition-notification":
        return _mdn(msg, when)
    return None


def _date(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(" ".join(str(value).split()))
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _address(field: Any) -> str:
    """``rfc822; a@b`` (type then address) to ``a@b``, lower-cased."""
    text = " ".join(str(field or "").split())
    if ";" in text:
        text = text.split(";", 1)[1]
    return email.utils.parseaddr(text.strip())[1].lower() or text.strip().lower()


def _returned_message_id(msg: Message) -> str:
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("text/rfc822-headers", "message/rfc822-headers"):
            found = email.message_from_bytes(decoded_payload(part)).get("Message-ID", "")
            if found:
                return " ".join(str(found).split())
        elif ctype == "message/rfc822":
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(first, Message) and first.get("Message-ID"):
                return " ".join(str(first["Message-ID"]).split())
    return ""


def _server_words(text: str) -> str:
    """The server's reason on one line, without addresses (one may hold a patient's INS)."""
    words = " ".join(str(text or "").split())
    if ";" in words.split(" ", 1)[0]:  # "smtp; 550 ..." : the diagnostic type
        words = words.split(";", 1)[1].strip()
    return _ADDRESS.sub("[adresse]", words)[:200]


def _dsn(msg: Message, when: dt.datetime | None) -> Report | None:
    blocks: list[Message] = []
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            payload = part.get_payload()
            if isinstance(payload, list):
                blocks = [b for b in payload if isinstance(b, Message)]
            break
    if not blocks:
        return None
    per_message, per_recipient = blocks[0], blocks[1:]
    envid = str(per_message.get("Original-Envelope-Id", "") or "").strip()
    message_id = _returned_message_id(msg) or _xtext_decode(envid)
    arrival = _date(per_message.get("Arrival-Date"))
    items: list[RecipientReport] = []
    for block in per_recipient:
        action = str(block.get("Action", "")).strip().lower()
        states: dict[str, State] = {
            "delivered": "delivered",
            "relayed": "delivered",
            "expanded": "delivered",
            "failed": "failed",
            "delayed": "delayed",
        }
        state = states.get(action)
        recipient = _address(block.get("Original-Recipient") or block.get("Final-Recipient"))
        if state is None or not recipient:
            continue
        reason = status = ""
        if state in ("failed", "delayed"):
            status = _status_code(block.get("Status", "")) or _status_code(block.get("Diagnostic-Code", ""))
            reason = _server_words(block.get("Diagnostic-Code", "")) or str(block.get("Status", "")).strip()
        at = _date(block.get("Last-Attempt-Date")) or when or arrival
        items.append(RecipientReport(recipient, state, at, reason, status))
    if not message_id or not items:
        return None
    return Report("dsn", message_id, tuple(items))


def _mdn(msg: Message, when: dt.datetime | None) -> Report | None:
    fields: Message | None = None
    for part in msg.walk():
        if part.get_content_type() == "message/disposition-notification":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                fields = payload[0]
            else:
                text = part.get_payload(decode=True) or str(payload or "").encode()
                fields = email.message_from_bytes(text if isinstance(text, bytes) else b"")
            break
    if fields is None:
        return None
    message_id = " ".join(str(fields.get("Original-Message-ID", "")).split()) or _returned_message_id(msg)
    recipient = _address(fields.get("Original-Recipient") or fields.get("Final-Recipient"))
    disposition = " ".join(str(fields.get("Disposition", "")).split())
    said = disposition.split(";", 1)[1].strip() if ";" in disposition else ""
    kind = said.lower()
    state: State
    reason = ""
    if "error" in kind:  # "processed/Error: 902^Identifiant de patient inconnu" (CI-SIS)
        words = said[kind.index("error") + len("error") :].lstrip(":/ ").replace("^", " ")
        state, reason = "failed", _server_words(words) or "erreur"
    elif kind.startswith("displayed"):
        state = "read"
    elif kind.startswith(("processed", "dispatched")):
        state = "processed"
    elif kind.startswith("deleted"):
        state = "deleted"
    else:
        return None
    if not message_id or not recipient:
        return None
    return Report("mdn", message_id, (RecipientReport(recipient, state, when, reason),))


_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")


def _status_code(text: Any) -> str:
    """The RFC 3463 enhanced status code in ``text`` ("5.1.1"), or ''."""
    found = _STATUS.search(" ".join(str(text or "").split()))
    return ".".join(found.groups()) if found else ""


def _xtext_decode(text: str) -> str:
    return re.sub(r"\+([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)


# -- the sent letters and their receipts ---------------------------------------------------------------------
@dataclass(frozen=True, repr=False, eq=False)
class RecipientStatus(Frozen):
    address: str
    state: State = "sent"
    at: dt.datetime | None = None
    reason: str = ""  # the server's words, or missive's own as a catalogue code ("receipts.refused-at-sending")
    status: str = ""  # RFC 3463 code of a failure or a delay ("5.1.1"); '' when none was said

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "state": self.state,
            "at": self.at.isoformat() if self.at else None,
            "reason": _reason_text(self.reason),
            "status": self.status,
            "text": describe(self),
        }


@dataclass(frozen=True, repr=False, eq=False)
class SentLetter(Frozen):
    """A letter the server accepted, with what came back about each recipient. ``subject``: health data."""

    message_id: str
    account: str
    subject: str
    sent_at: dt.datetime | None
    read_receipt: bool
    recipients: tuple[RecipientStatus, ...]
    failure_seen: bool = False  # the doctor opened the letter (or its failure report) since it failed

    @property
    def undelivered(self) -> bool:
        """One recipient at least never got it (a failure report, or refused at sending)."""
        return any(r.state == "failed" for r in self.recipients)

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "account": self.account,
            "subject": self.subject,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "read_receipt": self.read_receipt,
            "recipients": [r.to_json() for r in self.recipients],
            "undelivered": self.undelivered,
            "failure_seen": self.failure_seen,
        }


def _when(at: dt.datetime | None) -> str:
    from core.model import local_time

    if at is None:
        return "?"
    # a report's date the local zone cannot hold (year 9999 west of UTC) is shown as written, not an error
    return (local_time(at) or at).strftime("%d/%m/%Y %H:%M")


def describe(status: RecipientStatus) -> str:
    """The status in the doctor's words: "remis le …", "lu le …", "non remise : …"."""
    from core.text import render

    if status.state in ("delivered", "read", "processed", "deleted"):
        return render(f"receipts.{status.state}", {"at": _when(status.at)})
    if status.state == "failed":
        return render("receipts.failed", {"reason": failure_reason(status.status or _status_code(status.reason),
                                                                   status.reason)})  # fmt: skip
    if status.state == "delayed":
        code = status.status or _status_code(status.reason)
        if code:  # why it waits, in her words (4.2.2: the mailbox is full), the server still trying
            return render("receipts.delayed-why", {"reason": failure_reason(code, status.reason, delayed=True)})
        return (
            render("receipts.delayed-why", {"reason": status.reason})
            if status.reason
            else render("receipts.delayed")
        )
    return render("receipts.sent")


# RFC 3463 enhanced status codes (subject.detail) the doctor may meet, said in her words (core/locale)
_STATUS_WORDS = {
    "1.1", "1.2", "1.3", "1.6", "1.10", "2.1", "2.2", "2.3", "3.4", "4.4", "4.7", "7.1",
}  # fmt: skip
_SUBJECT_WORDS = {"1", "2", "3", "4", "5", "6", "7"}


def _reason_text(reason: str) -> str:
    """A stored reason as the doctor reads it: missive's own words (a catalogue code, or the French sentence an
    older version stored) in the interface's language; a server's words as they came."""
    from core.text import code_of, render

    return render(code_of(reason)) if reason else ""


def failure_reason(code: str, server_words: str = "", *, delayed: bool = False) -> str:
    """Why a letter was not delivered, in the interface's language, from its RFC 3463 status code
    ("5.1.1": the address does not exist), then the server's own words (often English) in brackets; without a
    code, the words given (an MDN's error, "refusé par le serveur à l'envoi")."""
    from core.text import render

    if not code:  # no code said (an MDN's error, refused at sending): the words as they were given
        return _reason_text(server_words) or render("receipts.not-delivered-why")
    klass, _, detail = code.partition(".")
    subject = detail.partition(".")[0]
    if detail in _STATUS_WORDS:
        said = render(f"receipts.status.{detail}")
    elif delayed:  # a class's words say it failed ("acheminement impossible"): this one is still tried
        said = render("receipts.status.retrying")
    elif subject in _SUBJECT_WORDS:
        said = render(f"receipts.status.{subject}")
    elif klass == "4":
        said = render("receipts.status.retrying" if delayed else "receipts.status.temporary")
    else:
        said = render("receipts.not-delivered-why")
    if server_words and server_words != code:
        said = render("receipts.server-said", {"reason": said, "server": server_words})
    return said


_WORDS = {  # in this order in a mixed status: what went wrong first, so a narrow column still shows it
    "failed": "non remise",
    "delayed": "retardé",
    "read": "lu",
    "processed": "traité",
    "delivered": "remis",
    "deleted": "supprimé",
    "sent": "envoyé",
}


def short_status(letter: SentLetter) -> str:
    """One column's worth for the Envoyés list: "lu", "remis", or mixed counts "non remise 1 · lu 1"."""
    counts: dict[str, int] = {}
    for r in letter.recipients:
        counts[r.state] = counts.get(r.state, 0) + 1
    return _said(counts)


def _said(counts: dict[str, int]) -> str:
    """``short_status``'s words for its recipients' states counted (in the order first met)."""
    from core.text import render

    if len(counts) == 1:
        return render(f"receipts.word.{next(iter(counts))}")
    return " · ".join(f"{render(f'receipts.word.{s}')} {counts[s]}" for s in _WORDS if s in counts)


def _key(message_id: str) -> str:
    return "s-" + hashlib.sha256(" ".join(message_id.split()).encode()).hexdigest()[:24]


def _from_doc(doc: dict[str, Any]) -> SentLetter:
    def date(value: Any) -> dt.datetime | None:
        try:
            return dt.datetime.fromisoformat(value) if value else None
        except ValueError:
            return None

    return SentLetter(
        message_id=str(doc.get("message_id", "")),
        account=str(doc.get("account", "")),
        subject=str(doc.get("subject", "")),
        sent_at=date(doc.get("sent_at")),
        read_receipt=bool(doc.get("read_receipt")),
        recipients=tuple(
            RecipientStatus(
                str(r.get("address", "")),
                r.get("state", "sent"),
                date(r.get("at")),
                r.get("reason", ""),
                str(r.get("status", "") or ""),
            )
            for r in doc.get("recipients", ())
        ),
        failure_seen=bool(doc.get("failure_seen", True)),  # stored before the count: old news
    )


def _to_doc(letter: SentLetter) -> dict[str, Any]:
    out = letter.to_json()
    out.pop("undelivered", None)
    for r, status in zip(out["recipients"], letter.recipients, strict=True):
        r.pop("text", None)
        r["reason"] = status.reason  # as stored: a code stays a code
    return out


def _sent_row(_key: str, doc: dict[str, Any]) -> tuple[Any, ...]:
    """A sent letter's row in the index of the Envoyés column and of the count beside Envoyés: its Message-ID,
    its recipients' states counted ("read=1,failed=2", in the order first met: rendered when read, in the
    language of the day), its account, and 1 if it was not delivered and the doctor has not looked yet."""
    letter = _from_doc(doc)
    counts: dict[str, int] = {}
    for r in letter.recipients:
        counts[r.state] = counts.get(r.state, 0) + 1
    unseen = not doc.get("failure_seen", True) and any(r.get("state") == "failed" for r in doc.get("recipients", ()))
    states = ",".join(f"{state}={n}" for state, n in counts.items())
    return (letter.message_id, states, str(doc.get("account", "")), 1 if unseen else 0)


def _sent_layout() -> Any:
    from core.store.listindex import ENUM, INT, TEXT, Column, Layout

    return Layout(
        name="sent",
        version=1,
        columns=(Column("message_id", TEXT), Column("states", ENUM), Column("account", ENUM), Column("unseen", INT)),
        sort=(),
        project=_sent_row,
    )


class SentLetters:
    """The profile's sent letters (collection ``sent``, encrypted like everything else).

    Letters sent over the years are many: the Envoyés column (``statuses``) and the count beside Envoyés
    (``undelivered_unseen``), asked at each load of the inbox, read an index of them (core.store.listindex,
    ``index-sent.mdb`` beside the shards: each use compares every shard file's stamp and reads again only the
    shards written since, whichever process wrote them), not every letter."""

    def __init__(self, profile: Any) -> None:
        self.docs = profile.collection(COLLECTION)
        self._index: Any = None

    def _table(self) -> Any:
        """The index, in step with the shards on disk now; None for a collection in memory (tests)."""
        if self._index is None:
            if not hasattr(self.docs, "shard_stamps"):
                return None
            from core.store.listindex import ListIndex

            self._index = ListIndex(self.docs, _sent_layout())
        return self._index.table()

    def record(
        self,
        message_id: str,
        account: str,
        recipients: tuple[str, ...] | list[str],
        subject: str = "",
        *,
        refused: tuple[str, ...] | list[str] = (),
        read_receipt: bool = False,
        at: dt.datetime | None = None,
    ) -> SentLetter:
        """Remember a letter the server accepted (``refused``: recipients it turned down at once)."""
        at = at or dt.datetime.now(dt.UTC)
        turned_down = {r.lower() for r in refused}
        existing = self.get(message_id)
        if existing is not None:
            return existing  # a resend after a crash: keep what the reports said
        letter = SentLetter(
            message_id=" ".join(message_id.split()),
            account=account,
            subject=subject,
            sent_at=at,
            read_receipt=read_receipt,
            recipients=tuple(
                RecipientStatus(a, "failed", at, "receipts.refused-at-sending")  # said in the reader's language
                if a.lower() in turned_down
                else RecipientStatus(a)
                for a in recipients
            ),
        )
        self.docs.put(_key(message_id), _to_doc(letter))
        return letter

    def get(self, message_id: str) -> SentLetter | None:
        doc = self.docs.get(_key(message_id))
        return _from_doc(doc) if doc is not None else None

    def list(self) -> list[SentLetter]:
        """Newest first."""
        letters = [_from_doc(d) for _k, d in self.docs.items()]
        epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
        return sorted(letters, key=lambda s: s.sent_at or epoch, reverse=True)

    def statuses(self) -> dict[str, str]:
        """Message-ID -> :func:`short_status` of every sent letter (the Envoyés list's status column)."""
        table = self._table()
        if table is None:
            return {letter.message_id: short_status(letter) for letter in self.list()}
        words: list[str] = []
        for states in table.enum_values("states"):
            counts = {state: int(n) for state, _, n in (part.partition("=") for part in states.split(",") if part)}
            words.append(_said(counts) if counts else "")
        codes = table.codes("states")
        return {mid: words[code] for mid, code in zip(table.texts("message_id").all(), codes, strict=True)}

    def apply(self, report: Report) -> SentLetter | None:
        """Attach a report to its letter; None when the letter is not one of ours (or already said so)."""
        letter = self.get(report.original_message_id)
        if letter is None:
            return None
        said = {r.recipient: r for r in report.recipients}
        changed = failed_now = False
        updated: list[RecipientStatus] = []
        for status in letter.recipients:
            news = said.get(status.address.lower())
            if (
                news is not None
                and _RANK[news.state] >= _RANK[status.state]
                and (news.state != status.state or news.at != status.at)
            ):
                failed_now = failed_now or (news.state == "failed" and status.state != "failed")
                status = RecipientStatus(status.address, news.state, news.at, news.reason, news.status)
                changed = True
            updated.append(status)
        if not changed:
            return letter
        letter = replace(
            letter,
            recipients=tuple(updated),
            failure_seen=letter.failure_seen and not failed_now,  # a new failure is news again
        )
        self.docs.put(_key(letter.message_id), _to_doc(letter))
        return letter

    def failure_seen(self, message_id: str) -> None:
        """The doctor has seen that the letter was not delivered (she opened it or its report): no longer
        counted beside Envoyés."""
        letter = self.get(message_id)
        if letter is not None and letter.undelivered and not letter.failure_seen:
            self.docs.put(_key(letter.message_id), _to_doc(replace(letter, failure_seen=True)))

    def undelivered_unseen(self) -> dict[str, int]:
        """Account name -> how many of its letters were not delivered and the doctor has not looked at yet. A
        letter stored by a version before this count (no ``failure_seen``) failed long ago: not news now."""
        out: dict[str, int] = {}
        table = self._table()
        if table is not None:
            accounts = table.enum_values("account")
            for code, unseen in zip(table.codes("account"), table.ints("unseen"), strict=True):
                if unseen:
                    out[accounts[code]] = out.get(accounts[code], 0) + 1
            return out
        for _k, doc in self.docs.items():
            if doc.get("failure_seen", True) or not any(r.get("state") == "failed" for r in doc.get("recipients", ())):
                continue
            account = str(doc.get("account", ""))
            out[account] = out.get(account, 0) + 1
        return out


# -- answering a read-receipt request ------------------------------------------------------------------------
def receipt_requested(msg: Message) -> str:
    """The address a letter asks its read receipt to go to, or ''."""
    return email.utils.parseaddr(" ".join(str(msg.get("Disposition-Notification-To", "")).split()))[1]


def may_answer_automatically(policy: str, sender: str, senders: set[str] | None = None) -> bool:
    """Whether a read receipt to ``sender`` goes out without asking: only with ``always``, never to a patient,
    and (``senders``: the letter's From addresses) only to the letter's sender -- RFC 8098 §2.1: a receipt
    asked for another address is sent only with the reader's consent (else anyone could learn when the doctor
    read a letter)."""
    if senders is not None and senders != {sender.lower()}:
        return False
    return policy == "always" and not sender.lower().endswith("@" + PATIENT_DOMAIN)


def build_mdn(original: Message, reader: str, *, now: dt.datetime | None = None) -> tuple[str, bytes]:
    """The read receipt (RFC 8098, ``displayed``) for ``original``, read by ``reader``: (to, wire bytes).

    It names the letter by its Message-ID only: neither its subject nor its text goes back.
    """
    from email.message import EmailMessage
    from email.policy import SMTP

    to = receipt_requested(original)
    original_id = " ".join(str(original.get("Message-ID", "")).split())
    when = now or dt.datetime.now().astimezone()
    report = EmailMessage(policy=SMTP)
    report["From"] = reader
    report["To"] = to
    report["Subject"] = "Accusé de lecture"
    report["Date"] = email.utils.format_datetime(when)
    report["Message-ID"] = email.utils.make_msgid(domain=reader.rpartition("@")[2] or "missive.invalid")
    report["Auto-Submitted"] = "auto-replied"
    report.set_type("multipart/report")
    report.set_param("report-type", "disposition-notification")
    text = EmailMessage(policy=SMTP)
    text.set_content(
        f"Votre message a été affiché par {reader} le {when.strftime('%d/%m/%Y à %H:%M')}.\n",
        cte="quoted-printable",
    )
    fields = (
        "Reporting-UA: missive\r\n"
        f"Original-Recipient: rfc822;{reader}\r\n"
        f"Final-Recipient: rfc822;{reader}\r\n"
        f"Original-Message-ID: {original_id}\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
    )
    notification = Message()
    notification["Content-Type"] = "message/disposition-notification"
    notification.set_payload(fields)
    report.attach(text)
    # a compat32 part, its fields written as they are; attach() takes any Message, the stubs say EmailMessage
    report.attach(notification)  # type: ignore[arg-type]  # see the line above
    return to, report.as_bytes()


__all__ = [
    "Report",
    "RecipientReport",
    "RecipientStatus",
    "SentLetter",
    "SentLetters",
    "build_mdn",
    "describe",
    "dsn_mail_options",
    "dsn_options",
    "failure_reason",
    "may_answer_automatically",
    "parse_report",
    "report_subject",
    "receipt_requested",
    "short_status",
    "xtext",
]
