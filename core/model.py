"""Plain frozen dataclasses shared by every part of missive (core and tui).

No behaviour beyond conversions: readers, matcher, store and UI all speak these types.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

Sex = Literal["M", "F", "U"]
Decision = Literal["auto", "review", "new"]
SourceFormat = Literal["hprim-net", "hprim-2", "hl7v2", "cda", "xdm", "pdf"]

# HL7 table 0078 / HPRIM flags of a value beyond the panic limits, and the words labs write beside one
CRITICAL_FLAGS = frozenset({"HH", "LL", "AA"})
_CRITICAL_WORDS = re.compile(r"\b(critiques?|paniques?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    """A patient identity as a document states it (nothing here is trusted yet)."""

    family_name: str = ""  # name used in the document (usage name when known, else birth name)
    birth_name: str = ""  # nom de naissance, when the document distinguishes it
    given_names: tuple[str, ...] = ()  # first given name first
    birth_date: dt.date | None = None
    sex: Sex = "U"
    ins: str | None = None  # INS matricule (NIR/NIA, 15 chars) qualified by an INS OID
    ins_oid: str | None = None
    nir: str | None = None  # a social-security number without INS qualification (may be a parent's)
    birth_place: str | None = None  # INSEE code of the birth place
    source_id: str | None = None  # the sender's own patient or record id

    def to_json(self) -> dict[str, Any]:
        return {
            "family_name": self.family_name,
            "birth_name": self.birth_name,
            "given_names": list(self.given_names),
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "ins": self.ins,
            "nir": self.nir,
            "birth_place": self.birth_place,
            "source_id": self.source_id,
        }


_STATUS_WORDS = {
    "C": "résultat corrigé",  # HPRIM and HL7: corrected after a first (validated) result
    "R": "non validé",  # HPRIM: not yet validated by the biologist; HL7: results entered, not verified
    "P": "provisoire",
    "I": "en attente",
    "X": "non réalisé",
    "D": "supprimé",
}


_BOUND = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def reference_text(low: str, high: str) -> str:
    """A reference interval as labs write it: '2.20–2.60', '< 5' for an upper limit alone, '> 60' for a
    lower limit alone, a written norm ('négatif') as it is. '–5' would read as minus five, 'négatif–' as
    an interval."""
    if low and high:
        return f"{low}–{high}"
    if high:
        return f"< {high}" if _BOUND.fullmatch(high) else high
    if low:
        return f"> {low}" if _BOUND.fullmatch(low) else low
    return ""


@dataclass(frozen=True)
class Observation:
    """One result line: a lab value or a coded/textual observation."""

    code: str = ""
    label: str = ""
    value: str = ""  # as written, decimal comma turned into a dot for numbers
    unit: str = ""
    low: str = ""
    high: str = ""
    flag: str = ""  # N, L, H, LL, HH, A... ('' when unknown)
    status: str = ""  # F (final), P (preliminary), C (corrected)...
    comment: str = ""
    # the same result in a second unit, with its bounds (HPRIM Net RES fields 10-13: 5270 /mm^3 4000-10000)
    value2: str = ""
    unit2: str = ""
    low2: str = ""
    high2: str = ""

    @property
    def status_words(self) -> str:
        """What the result status means for the doctor, '' for a final (validated) result."""
        return _STATUS_WORDS.get(self.status.upper().strip(), "")

    @property
    def reference(self) -> str:
        """The reference interval as the reader shows it (:func:`reference_text`)."""
        return reference_text(self.low, self.high)

    @property
    def reference2(self) -> str:
        """The interval of the result in its second unit."""
        return reference_text(self.low2, self.high2)

    @property
    def abnormal(self) -> bool:
        return self.flag.upper() not in ("", "N") or self.critical

    @property
    def critical(self) -> bool:
        """A value the lab flags beyond its panic limits (HH, LL, AA) or calls "critique"/"panique"."""
        return self.flag.upper().strip() in CRITICAL_FLAGS or bool(
            _CRITICAL_WORDS.search(self.comment) or _CRITICAL_WORDS.search(self.value)
        )

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class ClinicalDocument:
    """What a reader extracts from one report: identity, results, text and provenance."""

    format: SourceFormat
    identity: Identity
    observations: tuple[Observation, ...] = ()
    text: str = ""
    title: str = ""
    author: str = ""  # sender / author (lab, practitioner), free text
    recipient: str = ""
    date: dt.datetime | None = None  # date of the report or of the sample
    code: str = ""  # document type code (LOINC for CDA) when known
    raw: bytes = b""  # the bytes this document came from (one report of a multi-report file)
    entry_id: str = ""  # its XDS DocumentEntry id (entryUUID) when it came in an XDM package
    replaces: str = ""  # the entryUUID of the document it corrects (XDS RPLC association), if any

    @property
    def critical(self) -> int:
        """How many of its results are critical (see ``Observation.critical``)."""
        return sum(1 for o in self.observations if o.critical)

    def to_json(self, with_content: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "identity": self.identity.to_json(),
            "title": self.title,
            "author": self.author,
            "date": self.date.isoformat() if self.date else None,
            "code": self.code,
        }
        if with_content:
            out["observations"] = [o.to_json() for o in self.observations]
            out["text"] = self.text
        return out


@dataclass(frozen=True)
class Patient:
    """A patient of the practice, as imported from the practice software."""

    id: str
    birth_name: str
    used_name: str = ""
    given_names: tuple[str, ...] = ()
    birth_date: dt.date | None = None
    sex: Sex = "U"
    ins: str | None = None
    ins_qualified: bool = False  # the INS was qualified (INSi check) in the practice software

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "birth_name": self.birth_name,
            "used_name": self.used_name,
            "given_names": list(self.given_names),
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "ins": self.ins,
        }
        if self.ins_qualified:  # absent when false: patients stored before compare equal
            out["ins_status"] = "qualifiee"
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Patient:
        bd = d.get("birth_date")
        return cls(
            id=d["id"],
            birth_name=d.get("birth_name", ""),
            used_name=d.get("used_name", ""),
            given_names=tuple(d.get("given_names", ())),
            birth_date=dt.date.fromisoformat(bd) if bd else None,
            sex=d.get("sex", "U"),
            ins=d.get("ins") or None,
            ins_qualified=d.get("ins_status") == "qualifiee",
        )


@dataclass(frozen=True)
class Candidate:
    patient_id: str
    score: float  # 0..1
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"patient_id": self.patient_id, "score": round(self.score, 3), "reasons": list(self.reasons)}


@dataclass(frozen=True)
class MatchResult:
    decision: Decision
    patient_id: str | None = None  # set only when decision == "auto"
    candidates: tuple[Candidate, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "patient_id": self.patient_id,
            "candidates": [c.to_json() for c in self.candidates],
        }


@dataclass(frozen=True)
class DirectoryEntry:
    """A practitioner from the public directory (RPPS + MSSanté extractions)."""

    rpps: str
    family_name: str = ""
    given_name: str = ""
    profession: str = ""
    specialty: str = ""
    organisation: str = ""
    city: str = ""
    postcode: str = ""
    mssante: tuple[str, ...] = ()

    def display_name(self) -> str:
        """How the entry reads in a recipient list: "LEFÈVRE Jean — Cardiologie, Pau"."""
        name = " ".join(p for p in (self.family_name, self.given_name) if p) or self.organisation
        detail = ", ".join(p for p in (self.specialty or self.profession, self.city) if p)
        return f"{name} — {detail}" if detail else name

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["mssante"] = list(self.mssante)
        return d


@dataclass(frozen=True)
class AddressChoice:
    """One address the composer offers while a recipient is typed, in the core's order."""

    address: str
    label: str  # "LEFÈVRE Jean — Cardiologie, PAU" (directory), else the name the letters gave, else the address
    past: bool = False  # a past correspondent (letters from or to them in the store), listed first
    letters: int = 0  # how many stored letters were from or to this address


@dataclass(frozen=True)
class SignatureStatus:
    """The outcome of S/MIME verification, kept with the message and shown in the reader."""

    valid: bool
    signer: str = ""  # e-mail address of the signer
    subject: str = ""  # signer certificate subject DN
    # Why not valid or trusted: a catalogue code (core/locale, e.g. "sig.chain-untrusted") with its parameters
    # (addresses, algorithm names: no health data), so a verdict stored last year reads in today's language;
    # a sentence stored by an older version is kept and shown as it is.
    reason: str = ""
    params: dict[str, str] = field(default_factory=dict, hash=False)

    def reason_text(self) -> str:
        """Why, in the language chosen ('' for a valid signature)."""
        from core.text import render

        return render(self.reason, self.params) if self.reason else ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def invalid(cls, signer: str, subject: str, why: Text) -> SignatureStatus:
        """A signature that does not hold or is not trusted, and why (a catalogue code)."""
        return cls(False, signer, subject, why.code, {k: str(v) for k, v in why.params.items()})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SignatureStatus:
        """A stored verdict. Older ones hold a French sentence and no parameters: a sentence the catalogue
        knows becomes its code again, so it reads in the language chosen too."""
        from core.text import code_of

        params = {str(k): str(v) for k, v in (data.get("params") or {}).items()}
        reason = str(data.get("reason") or "")
        return cls(
            bool(data.get("valid")),
            str(data.get("signer") or ""),
            str(data.get("subject") or ""),
            reason if params else code_of(reason),
            params,
        )


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Draft:
    """An outgoing letter before it is signed, encrypted and queued."""

    to: tuple[str, ...]
    subject: str
    body: str
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    account: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    extra_headers: tuple[tuple[str, str], ...] = ()  # e.g. X-MSS-CODECDA
    end_conversation: bool = False  # to a patient: X-MSS-MES: FIN, the patient cannot reply
    confirm_mixed: bool = False  # the doctor confirmed a letter to a patient and a colleague at once
    read_receipt: bool = False  # ask for a read receipt (MDN, Disposition-Notification-To)


@dataclass(frozen=True)
class MessageSummary:
    """What the message list needs about one message (no body)."""

    id: str
    account: str
    folder: str
    uid: int | None
    message_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    date: dt.datetime | None
    flags: tuple[str, ...] = ()
    size: int = 0
    encrypted: bool = False
    signed: bool = False
    signature: SignatureStatus | None = None
    has_attachments: bool = False
    abnormal: bool = False
    filed: bool = False
    critical: bool = False  # one of its documents holds a critical result: shown first, marked apart
    references: tuple[str, ...] = ()  # References then In-Reply-To's ids, oldest first (its conversation)

    @property
    def unread(self) -> bool:
        return "\\Seen" not in self.flags

    @property
    def flagged(self) -> bool:
        return "\\Flagged" in self.flags

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account": self.account,
            "folder": self.folder,
            "from": self.sender,
            "to": list(self.to),
            "subject": self.subject,
            "date": self.date.isoformat() if self.date else None,
            "flags": list(self.flags),
            "size": self.size,
            "encrypted": self.encrypted,
            "signed": self.signed,
            "signature": self.signature.to_json() if self.signature else None,
            "has_attachments": self.has_attachments,
            "abnormal": self.abnormal,
            "filed": self.filed,
            "critical": self.critical,
        }


# -- what the façade returns to the app and the CLI ------------------------------------------------------------

# The folder list's virtual folders: messages the sync quarantined (sender outside the trust space), kept out of
# every real folder's list and never deleted; and the drafts kept in the store. Backslash names, which no real
# folder is expected to use.
INBOX = "INBOX"  # where Réception opens: the server's inbox, never the Sent copies of other folders
SORTS = ("date", "sender", "subject")  # the orders a list is read in: date newest first, the others A to Z
QUARANTINE_FOLDER = "\\Quarantine"
DRAFTS_FOLDER = "\\Drafts"
# With two accounts or more, each account's folders are listed apart under a key naming the account (INBOX alone
# is then every account's Réception together): "cabinet" + "Sent" -> "cabinet\x1fSent".
ACCOUNT_SEP = "\x1f"


def folder_key(account: str, folder: str) -> str:
    """The folder list's key for ``folder`` of ``account`` (listed apart when the profile has several)."""
    return f"{account}{ACCOUNT_SEP}{folder}"


def folder_parts(key: str) -> tuple[str | None, str]:
    """(account, folder) of a folder list key; account None for a folder of every account (or the only one)."""
    account, sep, folder = key.partition(ACCOUNT_SEP)
    return (account, folder) if sep else (None, key)


# The well-known folders as the doctor reads them, in one place: the app's labels and the names the command line
# accepts both come from here. A server name (lower case) -> the catalogue code of its label (core/locale).
FOLDER_ROLES = {
    "inbox": "folder.inbox",
    "sent": "folder.sent", "inbox.sent": "folder.sent", "sent items": "folder.sent",
    "sent messages": "folder.sent", "envoyés": "folder.sent", "éléments envoyés": "folder.sent",
    "drafts": "folder.drafts", "brouillons": "folder.drafts",
    "trash": "folder.trash", "corbeille": "folder.trash", "deleted items": "folder.trash",
    "junk": "folder.junk", "spam": "folder.junk",
    "archive": "folder.archive", "archives": "folder.archive",
    QUARANTINE_FOLDER.lower(): "folder.quarantine", DRAFTS_FOLDER.lower(): "folder.drafts-kept",
}  # fmt: skip


def folder_label(key: str, lang: str | None = None) -> str:
    """A folder as the interface shows it (in ``lang``, the current language by default): the well-known ones,
    the quarantine and the drafts kept in the profile translated, the others under their own name; an account's
    folder (listed apart when there are several) under its own."""
    from core.text import render

    _account, name = folder_parts(key)
    code = FOLDER_ROLES.get(name.lower())
    return render(code, lang=lang) if code else name


def kind_label(kind: str, lang: str | None = None) -> str:
    """A document's kind as the interface says it (``core.clinical.kinds``' codes are French words: "biologie"
    reads "biology" in English); an unknown code as it is."""
    from core.text import render

    if not kind:
        return ""
    code = f"kind.{kind}"
    said = render(code, lang=lang)
    return kind if said == code else said


def local_time(when: dt.datetime | None) -> dt.datetime | None:
    """A message's date as the doctor reads it: in this computer's time zone (a lab's server that writes its Date
    in UTC says 08:30 for a result sent at 09:30 in Paris). A date with no zone is left as written, and so is one
    the local zone cannot hold (year 9999 west of UTC, year 1 east of it: spam, a device's clock reset)."""
    if when is None or when.tzinfo is None:
        return when
    try:
        return when.astimezone()
    except (OverflowError, ValueError):
        return when


def reply_attribution(sender: str, when: dt.datetime | None) -> str:
    """The line a reply puts above the quote, in the interface's language: "Le 3 mars 2026 à 09:30, Dr X a écrit :"
    / "On 3 March 2026 at 09:30, Dr X wrote:" (the original's date as it was sent, and its sender)."""
    from core.text import render

    when = local_time(when)
    if when is None:
        return render("reply.attribution-undated", {"sender": sender})
    day = render("reply.first-day") if when.day == 1 else str(when.day)
    values = {"day": day, "month": render(f"month.{when.month}"), "year": when.year, "time": f"{when:%H:%M}"}
    return render("reply.attribution", {**values, "sender": sender})


def folded(text: str) -> str:
    """``text`` blind to case and accents ("Lefèvre" and "LEFEVRE" read the same): what a search compares."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _folded(name: str) -> str:
    """``name`` blind to case, accents and surrounding spaces: "Envoyés" and " envoyes" read the same."""
    return folded(name.strip())


def match_folder(typed: str, keys: Iterable[str]) -> str | None:
    """The folder of ``keys`` the doctor means by ``typed``: its own name, or its label as the interface shows it
    in either language ("Envoyés", "envoyes", "Sent" for a folder named "Sent"), blind to case and accents.
    None when no folder answers (or when ``typed`` could be two of them)."""
    from core.text import LANGUAGES

    keys = list(keys)
    if typed in keys:
        return typed
    wanted = _folded(typed)
    found = [k for k in keys if _folded(k) == wanted]
    if not found:
        found = [k for k in keys if any(_folded(folder_label(k, lang)) == wanted for lang in LANGUAGES)]
    return found[0] if len(set(found)) == 1 else None

# "filing": an interrupted filing that could not be settled yet (the queue retries; shown as waiting)
DocumentState = Literal["waiting", "filing", "filed", "rejected"]
Undone = Literal["filing", "rejection", "correction"]  # what an undo took back (a correction: the first
# version is filed again in its place)
FLAGGED = "\\Flagged"
SEEN = "\\Seen"


@dataclass(frozen=True)
class FolderCount:
    """What the folder list shows beside a folder's name."""

    unread: int
    total: int


@dataclass(frozen=True)
class MoveResult:
    """What a move, an archive or a delete did. ``message_id`` is the message's id now (it changes when the
    server has moved it; "" once removed for good). ``role``: "trash", "archive" or "" (a folder chosen).
    ``queued``: the server was out of reach; done here, it is done there at the next sync."""

    message_id: str
    account: str
    origin: str
    folder: str
    role: str = ""
    queued: bool = False
    expunged: bool = False

    @property
    def undoable(self) -> bool:
        return bool(self.message_id) and not self.expunged


@dataclass(frozen=True)
class ReviewItem:
    """A document of the queue as a person decides on it: what it states, the candidate patients (resolved),
    where it stands. ``identity``, ``title`` and ``date`` are health data: show, never log."""

    id: str
    identity: Identity
    state: DocumentState = "waiting"
    decision: Decision = "review"  # the matcher's
    title: str = ""
    date: dt.datetime | None = None
    sender: str = ""
    format: str = ""
    message_id: str = ""  # the Message-ID header of the letter it came in
    candidates: tuple[tuple[Candidate, Patient | None], ...] = ()
    patient: Patient | None = None  # the patient it was filed to (or will be, for an automatic decision)
    patient_id: str | None = None  # that patient's id (kept when the patient is no longer in the registry)
    observations: int = 0
    abnormal: int = 0
    critical: int = 0  # critical results in it (the queue lists these first)
    attachment: str = ""  # the part of the message it was read from
    filed_at: dt.datetime | None = None
    kind: str = ""  # biologie, imagerie, anatomopathologie, courrier (the core's reading)
    no_candidate: str = ""  # waiting with no candidate: why, in the core's words (no patient list, ...)
    undone: Undone | None = None  # set on undo_filing's answer: what that undo took back

    def to_json(self) -> dict[str, Any]:
        """Ids, state and decision; no identity (what `messages show --json` prints)."""
        return {
            "id": self.id,
            "message_id": self.message_id,
            "format": self.format,
            "decision": self.decision,
            "patient_id": self.patient_id,
            "state": self.state,
            "candidates": [c.to_json() for c, _ in self.candidates],
            "observations": self.observations,
            "abnormal": self.abnormal,
            "critical": self.critical,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class MessageDocument:
    """One clinical part of a message: its content as read, and the queue's decision about it."""

    content: ClinicalDocument
    queued: ReviewItem | None = None  # None when the queue has no trace of it (read before it existed)
    kind_label: str = ""  # imaging, pathology, a letter: said before the title ("" for results)


@dataclass(frozen=True)
class MessageView:
    """One message as the doctor reads it: S/MIME layers removed, headers, text, verdicts, parts."""

    summary: MessageSummary
    sender: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    date: dt.datetime | None = None
    body: str = ""  # readable text (an HTML-only message turned into text)
    body_was_html: bool = False
    signature: SignatureStatus | None = None  # the verdict stored when the message arrived
    signed: bool = False
    encrypted: bool = False
    decrypted: bool = True  # False when encrypted for a key the profile does not hold
    cipher_note: str = ""  # a weak or old cipher, in words (e.g. 3DES)
    problem: str = ""  # why it could not be opened (no health data)
    attachments: tuple[Attachment, ...] = ()
    documents: tuple[MessageDocument, ...] = ()
    outside_trust: bool = False  # the sync found the sender outside the trust space
    headers: tuple[tuple[str, str], ...] = ()  # MSSanté headers (X-MSS-*) when present
    receipts: tuple[str, ...] = ()  # a sent letter: "address — remis le …" per recipient (the core's words)
    read_receipt_asked: bool = False  # the sender asks for a read receipt not sent yet
    receipt_request: str = ""  # the address to ask the doctor about ([receipts] answer = "ask"; key a)
    people: dict[str, str] = field(default_factory=dict)  # patient mailboxes -> "◆ NOM Prénom · INS …"


@dataclass(frozen=True)
class SavedDraft:
    """A draft kept in the encrypted store until it is sent or thrown away."""

    id: str
    draft: Draft
    saved: dt.datetime | None = None

    def summary(self) -> MessageSummary:
        """The Brouillons list's row: to whom (To then Cc), the subject, when it was last saved, whether files
        go with it. Its id is the draft's (Enter reopens it in the composer, nothing is read as a message)."""
        d = self.draft
        return MessageSummary(
            id=self.id, account=d.account or "", folder=DRAFTS_FOLDER, uid=None, message_id="", sender="",
            to=(*d.to, *d.cc), subject=d.subject, date=self.saved, flags=("\\Seen",),
            has_attachments=bool(d.attachments),
        )  # fmt: skip


@dataclass(frozen=True)
class ReadResult:
    """What one clinical file holds: its format and the documents read from it."""

    format: SourceFormat
    documents: list[ClinicalDocument] = field(default_factory=list)


# The engine's typed events are plain frozen dataclasses too: the interface reads them from here.
from core.events import (  # noqa: E402
    DocumentFiled,
    MailroomEvent,
    NeedsReview,
    NewMail,
    Progress,
    PscBinding,
    PscLogin,
    SendFailed,
    Sent,
    SyncState,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from core.clinical.search import matches, query_terms, searchable
    from core.text import Text


def __getattr__(name: str) -> Any:
    """The search rule (pure functions of text: ``searchable``, ``query_terms``, ``matches``), loaded when the
    interface first searches: one rule for the inbox, the patient search and the directory."""
    if name in ("searchable", "query_terms", "matches"):
        from core.clinical import search

        return getattr(search, name)
    raise AttributeError(name)


__all__ = [
    "ReadResult",
    "matches",
    "query_terms",
    "searchable",
    "DocumentFiled",
    "MailroomEvent",
    "NeedsReview",
    "NewMail",
    "Progress",
    "PscBinding",
    "PscLogin",
    "SendFailed",
    "Sent",
    "SyncState",
    "ACCOUNT_SEP",
    "FOLDER_ROLES",
    "folder_label",
    "folded",
    "match_folder",
    "reference_text",
    "kind_label",
    "local_time",
    "reply_attribution",
    "AddressChoice",
    "CRITICAL_FLAGS",
    "Attachment",
    "Candidate",
    "ClinicalDocument",
    "Decision",
    "DirectoryEntry",
    "DRAFTS_FOLDER",
    "DocumentState",
    "Draft",
    "FLAGGED",
    "FolderCount",
    "INBOX",
    "Identity",
    "MatchResult",
    "MessageDocument",
    "MessageSummary",
    "MessageView",
    "MoveResult",
    "Observation",
    "Patient",
    "QUARANTINE_FOLDER",
    "ReviewItem",
    "SEEN",
    "SavedDraft",
    "Sex",
    "SignatureStatus",
    "SourceFormat",
    "folder_key",
    "folder_parts",
]
