"""The plain frozen dataclasses of :mod:`core.model` that a sync never builds: clinical documents and patients,
the directory, drafts, and what the reader, the queue and the folder list show.

Every name here is read through ``core.model`` (``from core.model import Draft``), which loads this module the
first time one is asked for (PEP 562): a ``missive sync`` then does not pay the ~0.5 ms each frozen dataclass
costs to create (six generated methods compiled per class).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from core.frozen import Frozen
from core.model import (
    _CRITICAL_WORDS,
    _STATUS_WORDS,
    CRITICAL_FLAGS,
    DRAFTS_FOLDER,
    HIGH_FLAGS,
    LOW_FLAGS,
    SUSCEPTIBILITY_WORDS,
    SUSCEPTIBLE_FLAGS,
    Decision,
    DocumentState,
    MessageSummary,
    SetAside,
    Sex,
    SignatureStatus,
    SourceFormat,
    Undone,
    printable,
    reference_text,
    unit_text,
)


@dataclass(frozen=True, repr=False, eq=False)
class Identity(Frozen):
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


@dataclass(frozen=True, repr=False, eq=False)
class Observation(Frozen):
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
    # whether a result may equal its bound: HL7/HPRIM '<=5' (True) against '<5' (False), CDA's IVL_PQ
    # inclusive="false"; None when the sender says nothing (a two-bound range, HPRIM Net's fields)
    low_inclusive: bool | None = None
    high_inclusive: bool | None = None

    @property
    def status_words(self) -> str:
        """What the result status means for the doctor, '' for a final (validated) result."""
        return _STATUS_WORDS.get(self.status.upper().strip(), "")

    @property
    def susceptibility(self) -> str:
        """An antibiogram's verdict in words ('sensible', 'intermédiaire', 'résistant'), '' for any other
        flag."""
        code = SUSCEPTIBILITY_WORDS.get(self.flag.upper().strip())
        if not code:
            return ""
        from core.text import render

        return render(code)

    @property
    def reference(self) -> str:
        """The reference interval as the reader shows it (:func:`reference_text`)."""
        return reference_text(self.low, self.high, self.low_inclusive, self.high_inclusive)

    @property
    def shown_unit(self) -> str:
        """The unit as the reader and the CLI show it (:func:`unit_text`: '10⁹/L' for UCUM's '10*9/L')."""
        return unit_text(self.unit)

    @property
    def shown_unit2(self) -> str:
        return unit_text(self.unit2)

    @property
    def reference2(self) -> str:
        """The interval of the result in its second unit."""
        return reference_text(self.low2, self.high2)

    @property
    def verdict(self) -> str:
        """The abnormal flag as the sender gives it (H, L, A, N...); when it gives none, 'H' or 'L' for a
        number beyond its numeric reference bounds (:func:`beyond_bounds`), '' otherwise."""
        given = self.flag.upper().strip()
        if given:
            return given
        return beyond_bounds(self.value, self.low, self.high, self.low_inclusive, self.high_inclusive)

    @property
    def abnormal(self) -> bool:
        verdict = self.verdict
        return (verdict not in ("", "N") and verdict not in SUSCEPTIBLE_FLAGS) or self.critical

    @property
    def direction(self) -> str:
        """'high' or 'low' when its verdict (the sender's flag, else its bounds) says which way the value
        is out, else ''."""
        flag = self.verdict
        return "high" if flag in HIGH_FLAGS else "low" if flag in LOW_FLAGS else ""

    @property
    def critical(self) -> bool:
        """A value the lab flags beyond its panic limits (HH, LL, AA) or calls "critique"/"panique"."""
        return self.flag.upper().strip() in CRITICAL_FLAGS or bool(
            _CRITICAL_WORDS.search(self.comment) or _CRITICAL_WORDS.search(self.value)
        )

    def to_json(self) -> dict[str, Any]:
        # an inclusiveness nobody stated is left out: results written before it existed compare equal
        out = {k: v for k, v in asdict(self).items() if v is not None}
        out["reference"] = self.reference  # as the reader shows it ('≤ 5', '2.20–2.60')
        out["verdict"] = self.verdict
        if self.susceptibility:
            out["susceptibility"] = self.susceptibility  # 'résistant': what the reader writes beside it
        return out


# between the repetitions of one result value (HL7 OBX-5 '27~25' reads '27 ; 25')
REPEAT_SEPARATOR = " ; "
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def beyond_bounds(
    value: str, low: str, high: str, low_inclusive: bool | None = None, high_inclusive: bool | None = None
) -> str:
    """'H' for a plain number above its upper bound, 'L' below its lower one, '' within them or when
    either is not a plain number (a written norm, '<0.5', a ratio: no verdict is guessed).

    A result equal to a bound is normal when the bound is inclusive ('<=5', CDA's default) or nobody said
    (a two-bound range '2.20-2.60' includes its limits), abnormal when it is exclusive ('<5': below 5).

    A value the sender repeats (HL7 OBX-5 '27~25', read '27 ; 25') is checked repetition by repetition: 'H'
    or 'L' when those out go the same way, 'A' when one is above and another below."""
    if REPEAT_SEPARATOR in value:
        verdicts = {
            beyond_bounds(part, low, high, low_inclusive, high_inclusive)
            for part in value.split(REPEAT_SEPARATOR)
        } - {""}
        return verdicts.pop() if len(verdicts) == 1 else "A" if verdicts else ""
    value = value.strip()
    if not _PLAIN_NUMBER.fullmatch(value):
        return ""
    number = float(value)
    if _PLAIN_NUMBER.fullmatch(high):
        limit = float(high)
        if number > limit or (number == limit and high_inclusive is False):
            return "H"
    if _PLAIN_NUMBER.fullmatch(low):
        limit = float(low)
        if number < limit or (number == limit and low_inclusive is False):
            return "L"
    return ""


@dataclass(frozen=True, repr=False, eq=False)
class ClinicalDocument(Frozen):
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
    # The patient its container names (HL7 PID, XDM metadata entry) when that is another patient than the
    # document's own (``core.clinical.matching.name_two_patients``): never filed automatically.
    envelope: Identity | None = None
    envelope_from: str = ""  # "hl7v2", "hl7v2-carried", "xdm" or "cda" (a second recordTarget): which container
    # The lab request it answers (sender's code and its order or dossier number: HL7 OBR/ORC-2/3, HPRIM Santé
    # OBR-2/3, HPRIM Net lines 9-11, CDA setId): two documents with the same one and other bytes are two versions
    # of one result (partial then complete, a correction). Identifies a patient's request: never logged.
    order: str = ""

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
        if self.envelope is not None:
            out["envelope"] = {**self.envelope.to_json(), "from": self.envelope_from}
        if with_content:
            out["observations"] = [o.to_json() for o in self.observations]
            out["text"] = self.text
        return out


@dataclass(frozen=True, repr=False, eq=False)
class Patient(Frozen):
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


# The matcher's reasons (core.clinical.matching) saying that another record of the patient list may be this
# same person: a true homonym, a twin, a duplicate, a shared INS. Nothing in the document tells those records
# apart, so filing to one of them is a deliberate yes (checked in the practice software), never a reflex Entrée.
RIVAL_REASONS = (
    "homonyme : un autre dossier partage ces traits",
    "homonyme ou jumeau dans le fichier patients",
    "un autre dossier pourrait correspondre",
    "INS partagé par plusieurs dossiers",
)


@dataclass(frozen=True, repr=False, eq=False)
class Candidate(Frozen):
    patient_id: str
    score: float  # 0..1
    reasons: tuple[str, ...] = ()

    @property
    def rival(self) -> str:
        """The matcher's reason saying another record may be this same person (one of ``RIVAL_REASONS``), or
        "" when none does: the core's word that filing to this candidate needs a deliberate yes."""
        return next((r for r in self.reasons if r in RIVAL_REASONS), "")

    def to_json(self) -> dict[str, Any]:
        return {"patient_id": self.patient_id, "score": round(self.score, 3), "reasons": list(self.reasons)}


@dataclass(frozen=True, repr=False, eq=False)
class MatchResult(Frozen):
    decision: Decision
    patient_id: str | None = None  # set only when decision == "auto"
    candidates: tuple[Candidate, ...] = ()
    # set when the document's container names another patient than the document: why it is never auto
    conflict: str = ""
    # set by the façade when nobody is proposed: why, in the words À classer shows for the same document (no
    # patient list, an identity it could not read, nobody born that day...): the one verdict the CLI prints too
    no_candidate: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "decision": self.decision,
            "patient_id": self.patient_id,
            "candidates": [c.to_json() for c in self.candidates],
        }
        if self.conflict:
            out["conflict"] = self.conflict
        if self.no_candidate:
            out["no_candidate"] = self.no_candidate
        return out


@dataclass(frozen=True, repr=False, eq=False)
class DirectoryEntry(Frozen):
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


@dataclass(frozen=True, repr=False, eq=False)
class AddressChoice(Frozen):
    """One address the composer offers while a recipient is typed, in the core's order."""

    address: str
    label: (
        str  # "LEFÈVRE Jean — Cardiologie, PAU" (directory), else the name the letters gave, else the address
    )
    past: bool = False  # a past correspondent (letters from or to them in the store), listed first
    letters: int = 0  # how many stored letters were from or to this address


@dataclass(frozen=True, repr=False, eq=False)
class Attachment(Frozen):
    filename: str
    content_type: str
    data: bytes

    def __post_init__(self) -> None:
        if not self.filename.isascii():
            object.__setattr__(self, "filename", readable_file_name(self.filename))


def readable_file_name(name: str) -> str:
    """A file name as the file system gave it, as text a letter can carry. A name whose bytes are not UTF-8
    (a Windows share's Latin-1 or Windows-1252 name: ``CR_r\xe9sultat.pdf``) comes from ``os.fsdecode`` with
    lone surrogates, which no letter, draft or JSON can encode (the letter failed with UnicodeEncodeError):
    its bytes are read as Windows-1252 (a superset of Latin-1's letters), the encoding such names are in."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that no file name gave
        return name.encode("utf-8", "replace").decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


@dataclass(frozen=True, repr=False, eq=False)
class Draft(Frozen):
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


@dataclass(frozen=True, repr=False, eq=False)
class OutgoingLetter(Frozen):
    """One letter of the outbox as the À envoyer screen shows it, every word the core's. ``recipients`` and
    ``subject`` are the doctor's own letter on her own screen: never logged. ``state``: waiting, sending,
    failed (refused, or given up), doubt (a crash during its handing over: it may have arrived), accepted
    (the server took it; only its Sent copy is left). ``reason``: the last failure ('' none); ``next_note``:
    when it goes again, or that it goes only when asked. ``resend_question``: asked before sending it again
    ('' none). A letter another process is sending right now can be neither resent nor withdrawn."""

    id: str
    account: str
    recipients: tuple[str, ...]
    subject: str
    queued: dt.datetime | None
    state: str
    state_label: str
    attempts: int = 0
    reason: str = ""
    next_try: dt.datetime | None = None
    next_note: str = ""
    size: int = 0
    can_resend: bool = True
    can_withdraw: bool = True
    resend_question: str = ""

    def __post_init__(self) -> None:
        for name in ("subject", "reason", "next_note", "state_label", "resend_question"):
            object.__setattr__(self, name, printable(getattr(self, name), one_line=True))
        object.__setattr__(self, "recipients", tuple(printable(a, one_line=True) for a in self.recipients))


@dataclass(frozen=True, repr=False, eq=False)
class FolderCount(Frozen):
    """What the folder list shows beside a folder's name. ``undelivered``: beside Envoyés, the letters a
    failure report says were not delivered and the doctor has not opened since."""

    unread: int
    total: int
    undelivered: int = 0


@dataclass(frozen=True, repr=False, eq=False)
class MoveResult(Frozen):
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


@dataclass(frozen=True, repr=False, eq=False)
class ReviewItem(Frozen):
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
    held: str = ""  # waiting though the matcher may have found the patient: why (a bare PDF, an outside sender)
    envelope: Identity | None = None  # the other patient its container names (health data: show, never log)
    conflict: str = ""  # why it is not filed automatically when ``envelope`` is set, in the core's words
    envelope_label: str = ""  # what ``envelope``'s column is (the container, or the document carried), ditto
    undone: Undone | None = None  # set on undo_filing's answer: what that undo took back
    duplicate_of: str | None = None  # state "duplicate": the document with the same bytes that stands for it
    duplicate_note: str = ""  # that document and where it stands, in the core's words
    version_of: str | None = None  # an earlier document for the same lab request (other bytes)
    version_note: str = ""  # what this one is to it (completes, corrects, follows), in the core's words
    unreadable: str = ""  # state "unreadable": the reader's refusal as a code (no health data)
    unreadable_note: str = ""  # its format and the reader's refusal, in the core's words
    hand_fileable: bool = True  # whether a person may file it (an unreadable zip or unsafe XML: never)
    set_aside: SetAside = "reject"  # what setting it aside does (x): rejected, or an unreadable file dealt with
    # filed, then its letter's signer turned out revoked: "check" while it waits for a person to check the practice
    # software (listed with the waiting documents, x marks it checked), "checked" once done; '' otherwise
    signer_revoked: str = ""
    revoked_note: str = ""  # while "check": what was filed where and what to check, in the core's words
    filed_note: str = ""  # state "filed": how, when, for which patient id, under which file name (core's words)
    # state "filed": missive filed the matcher's decision (True) or a person chose the patient (False)
    filed_automatically: bool = False

    def to_json(self) -> dict[str, Any]:
        """Ids, state and decision; no identity (what `messages show --json` prints)."""
        return {
            "duplicate_of": self.duplicate_of,
            "version_of": self.version_of,
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
            "unreadable": self.unreadable or None,
            "signer_revoked": self.signer_revoked or None,
        }


@dataclass(frozen=True, repr=False, eq=False)
class MessageDocument(Frozen):
    """One clinical part of a message: its content as read, and the queue's decision about it."""

    content: ClinicalDocument
    queued: ReviewItem | None = None  # None when the queue has no trace of it (read before it existed)
    kind_label: str = ""  # imaging, pathology, a letter: said before the title ("" for results)


@dataclass(frozen=True, repr=False, eq=False)
class MessageView(Frozen):
    """One message as the doctor reads it: S/MIME layers removed, headers, text, verdicts, parts. Its texts
    hold no terminal control character (``printable``): anyone can write them."""

    summary: MessageSummary
    sender: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    date: dt.datetime | None = None
    body: str = ""  # readable text (an HTML-only message turned into text)
    body_was_html: bool = False
    signature: SignatureStatus | None = None  # the verdict stored when the message arrived
    # a letter with several signers: each one's verdict, in the letter's order (``signature`` is the least
    # trusting of them: smime.letter_verdict); () for one signer
    signers: tuple[SignatureStatus, ...] = ()
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
    notes: tuple[str, ...] = ()  # what could not be read, one line each (the core's words: a winmail.dat)
    # the list's row was blank (a header not read when the letter was stored) and was read again from the
    # letter as it was opened: ``summary`` is the repaired row, for the list to show in place of the blank one
    summary_repaired: bool = False

    def __post_init__(self) -> None:
        for name in ("sender", "subject"):
            object.__setattr__(self, name, printable(getattr(self, name), one_line=True))
        for name in ("to", "cc"):
            object.__setattr__(self, name, tuple(printable(a, one_line=True) for a in getattr(self, name)))
        object.__setattr__(self, "body", printable(self.body))
        object.__setattr__(self, "notes", tuple(printable(n, one_line=True) for n in self.notes))
        object.__setattr__(
            self, "headers", tuple((printable(k, True), printable(v, True)) for k, v in self.headers)
        )


@dataclass(frozen=True, repr=False, eq=False)
class SavedDraft(Frozen):
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


@dataclass(frozen=True, repr=False, eq=False)
class ReadResult(Frozen):
    """What one clinical file holds: its format and the documents read from it."""

    format: SourceFormat
    documents: list[ClinicalDocument] = field(default_factory=list)
    # a package's documents that could not be read (XDM): (its file's name in the package, its bytes, the
    # reader's refusal, a core.errors.ParseError); queued for a person as files that could not be read
    refused: tuple[tuple[str, bytes, Any], ...] = field(default=(), repr=False, compare=False)
