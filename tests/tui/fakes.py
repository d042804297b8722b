"""A small in-memory Mailroom for the TUI tests: fictitious data, real S/MIME, MIME reading and readers.

``FakeMailroom`` implements the app's contract (``core.mailroom_api.MailroomAPI``) like the real façade;
``tests/tui/test_contract.py`` runs the same scenarios against both. The signed lab result is signed for real
and verified by core.secure.smime.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.clinical.matching import differing_traits, why_no_candidate
from core.config import Settings
from core.errors import BadInput, KeptInOutbox, MessageGone, NotFound, ServerRefused, WrongPassphrase
from core.events import MailroomEvent
from core.mail.messages import SummaryList
from core.mail.send import Delivery, FlushReport
from core.model import (
    DRAFTS_FOLDER,
    QUARANTINE_FOLDER,
    AddressChoice,
    Candidate,
    ClinicalDocument,
    Decision,
    DirectoryEntry,
    DocumentState,
    Draft,
    FolderCount,
    Identity,
    MessageDocument,
    MessageSummary,
    MessageView,
    MoveResult,
    OutgoingLetter,
    Patient,
    ReviewItem,
    SavedDraft,
    SignatureStatus,
    Undone,
    folder_key,
    folder_parts,
)
from core.practice.documents import NEVER_HAND_FILED, envelope_conflict, envelope_label, filed_note

if TYPE_CHECKING:
    from core.clinical.patient_mail import Recipient
    from core.mailroom_api import MailroomAPI
    from core.secure.outgoing import LetterProtection

DATA = Path(__file__).resolve().parent.parent / "data" / "tui"
PASSPHRASE = "correct horse battery staple"
DOCTOR = "dr.medecin@cabinet.mssante.fr"
LAB = "biologie@labo-test.mssante.fr"
BASE = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)


def _pki() -> tuple[Any, Any]:
    from tests.secure.pki import make_ca, make_user

    root = make_ca("Missive TUI Test Root")
    lab = make_user("Laboratoire Test", [LAB], root)
    return root, lab


_PKI: tuple[Any, Any] | None = None


def pki() -> tuple[Any, Any]:
    global _PKI
    if _PKI is None:  # RSA key generation is the slow part: once per test session
        _PKI = _pki()
    return _PKI


def lab_message() -> bytes:
    """A signed HPRIM Net lab result (two abnormal values) from the lab."""
    from core.secure.smime import sign

    msg = EmailMessage()
    msg["From"] = LAB
    msg["To"] = DOCTOR
    msg["Subject"] = "Résultats DUPONT Jeanne"
    msg["Date"] = format_datetime(BASE)
    msg["Message-ID"] = make_msgid(domain="labo-test.mssante.fr")
    msg.set_content("Veuillez trouver ci-joint les résultats.\n")
    msg.add_attachment(
        (DATA / "lab_result.hpr").read_bytes(), maintype="application", subtype="x-hprim", filename="res.hpr"
    )
    _root, lab = pki()
    return sign(msg.as_bytes(), lab.key, lab.cert)


def plain_message(sender: str, subject: str, when: dt.datetime, body: str, cc: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = DOCTOR
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="exemple.mssante.fr")
    msg.set_content(body)
    return msg.as_bytes()


class FakeMessages:
    def __init__(self, count_extra: int = 0) -> None:
        self.raw: dict[str, bytes] = {}
        self.items: dict[str, MessageSummary] = {}
        self.add("m-lab", lab_message(), LAB, "Résultats DUPONT Jeanne", BASE, signed=True,
                 signature=SignatureStatus(True, LAB, "CN=Laboratoire Test"), has_attachments=True, abnormal=True)  # fmt: skip
        self.add("m-letter", plain_message("dr.durand@chu-test.mssante.fr", "Compte rendu de consultation",
                 BASE - dt.timedelta(days=1), "Cher confrère,\nVotre patiente va bien.\n",
                 cc=f"secretariat@chu-test.mssante.fr, {DOCTOR}"),
                 "dr.durand@chu-test.mssante.fr", "Compte rendu de consultation", BASE - dt.timedelta(days=1),
                 flags=("\\Seen",))  # fmt: skip
        self.add("m-outsider", plain_message("inconnu@gmail.test", "Question", BASE - dt.timedelta(days=2), "Bonjour\n"),
                 "inconnu@gmail.test", "Question", BASE - dt.timedelta(days=2))  # fmt: skip
        # outside the trust space: the sync hook marks it (trust "quarantine")
        self.quarantined = {"m-outsider"}
        for i in range(count_extra):
            when = BASE - dt.timedelta(days=3, minutes=i)
            self.items[f"x{i}"] = MessageSummary(
                f"x{i}", "cabinet", "INBOX", i, f"<x{i}@test>", f"confrere{i % 50}@hopital.mssante.fr",
                (DOCTOR,), f"Courrier numéro {i}", when, flags=("\\Seen",),
            )  # fmt: skip
        self.seen: list[str] = []

    def add(self, mid: str, raw: bytes, sender: str, subject: str, when: dt.datetime, **kw: Any) -> None:
        self.raw[mid] = raw
        self.items[mid] = MessageSummary(mid, "cabinet", "INBOX", len(self.items) + 1, f"<{mid}@test>",
                                         sender, (DOCTOR,), subject, when, **kw)  # fmt: skip

    def get(self, message_id: str) -> MessageSummary:
        if message_id not in self.items:
            raise MessageGone(f"aucun message d'id {message_id} (voir `missive messages list`)")
        return self.items[message_id]

    def list(self, folder: str | None = None) -> list[MessageSummary]:
        account, name = folder_parts(folder) if folder else (None, None)
        found = [s for s in self.items.values() if name in (None, s.folder) and account in (None, s.account)]
        return sorted(found, key=lambda s: s.date or BASE, reverse=True)


@dataclass
class FakeEntry:
    id: str
    document: ClinicalDocument
    candidates: tuple[Candidate, ...]
    decision: Decision
    state: DocumentState  # waiting, filed, rejected (the queue's words)
    patient_id: str | None = None
    message: str = ""  # the store id of the letter it came in
    critical: int = 0  # critical results in it
    filed_at: dt.datetime | None = None
    duplicate_of: str | None = None  # state "duplicate": the entry with the same bytes
    unreadable: str = ""  # state "unreadable": the reader's refusal as a code
    filed_by: str = ""  # state "filed": "auto" or "hand" (as the core records it; '' then the decision tells)


class FakeDocuments:
    """Two documents: one ambiguous (two candidates, the right one second), one filed automatically."""

    def __init__(self) -> None:
        from core.clinical.readers import read_document

        doc = read_document((DATA / "lab_result.hpr").read_bytes(), "res.hpr").documents[0]
        self.entries = {
            "d-ambiguous": FakeEntry(
                "d-ambiguous", doc,
                (
                    Candidate("p-2", 0.81, ("nom proche", "date de naissance identique")),
                    Candidate("p-1", 0.78, ("nom identique", "prénom identique", "date de naissance identique")),
                ),
                "review", "waiting", message="m-letter",  # read from the colleague's letter (its subject names nobody)
            ),
            "d-auto": FakeEntry(
                "d-auto", doc, (Candidate("p-1", 0.99, ("INS identique",)),), "auto", "filed", "p-1",
                message="m-lab", filed_at=dt.datetime(2025, 6, 2, 9, 31, tzinfo=dt.UTC),  # the signed lab result
            ),
        }  # fmt: skip
        self.decisions: list[tuple[str, str, str | None]] = []

    def add_unread_letter(self) -> None:
        """A bare PDF letter whose identity could not be read: no candidate at all."""
        letter = ClinicalDocument(format="pdf", identity=Identity(), title="Courrier du Dr Martin")
        self.entries["d-letter"] = FakeEntry("d-letter", letter, (), "review", "waiting")

    def add_unreadable(self, code: str = "clinical.hl7v2.ligne-non-segment") -> None:
        """An HL7 file the reader refused (by default: another file glued on, never filed by hand): in front of
        a person, as the core records it (state unreadable, no identity, the refusal's code)."""
        damaged = ClinicalDocument(format="hl7v2", identity=Identity())
        self.entries["d-unreadable"] = FakeEntry(
            "d-unreadable", damaged, (), "review", "unreadable", message="m-lab", unreadable=code,
        )  # fmt: skip

    def add_duplicate(self) -> None:
        """The lab's result again, in another letter: a duplicate of the one waiting (as the core records it)."""
        first = self.entries["d-ambiguous"]
        self.entries["d-copy"] = FakeEntry(
            "d-copy", first.document, first.candidates, "review", "duplicate", message="m-lab", duplicate_of=first.id
        )

    def get(self, doc_id: str) -> FakeEntry:
        if doc_id not in self.entries:
            raise NotFound(f"aucun document d'id {doc_id}")
        return self.entries[doc_id]


class FakePatients:
    def __init__(self) -> None:
        self.by_id = {
            "p-1": Patient("p-1", "DUPONT", "", ("Jeanne",), dt.date(1956, 3, 14), "F"),
            "p-2": Patient("p-2", "DUPOND", "", ("Jeannine",), dt.date(1956, 3, 14), "F"),
            "p-3": Patient("p-3", "LEROY", "MARTIN", ("Louise", "Élise"), dt.date(1948, 11, 2), "F"),
        }


DIRECTORY = [
    DirectoryEntry("10000000001", "MARTIN", "Claire", "Médecin", "Cardiologie", "CHU Test", "Pau", "64000",
                   ("claire.martin@chu-test.mssante.fr",)),
    DirectoryEntry("10000000002", "MARTINEZ", "Paul", "Médecin", "Néphrologie", "Clinique", "Tarbes", "65000",
                   ("paul.martinez@clinique.mssante.fr",)),
]  # fmt: skip


def trust_policy() -> Any:
    """The real policy object: the trust space is every *.mssante.fr domain."""
    from core.secure.trust import TrustPolicy

    return TrustPolicy("trust-space", allow=["*.mssante.fr"])


class FakeKeys:
    """A KeyRing (for verification) that also knows one correspondent's certificate."""

    def decryption_identities(self) -> list[Any]:
        return []

    def trust_anchors(self) -> list[Any]:
        return [pki()[0].cert]

    def known_certificates(self) -> list[Any]:
        return []

    def cert_for(self, address: str) -> Any:
        return pki()[1].cert if address == "claire.martin@chu-test.mssante.fr" else None

    def recipient_certs(self, addresses: Any, *, include_self: bool = True) -> list[Any]:
        certs = [self.cert_for(a) for a in addresses]
        if None in certs:
            raise NotFound("aucun certificat utilisable")
        return certs

    def own_identity(self, address: str | None = None) -> Any:
        return None


@dataclass
class FakeMailroom:
    """The app's contract over fictitious data; what the app did is kept for the tests to look at."""

    extra_messages: int = 0
    settings: Settings = field(default_factory=Settings)
    sent: list[Draft] = field(default_factory=list)
    subscribers: list[Callable[[MailroomEvent], None]] = field(default_factory=list)
    synced: list[str] = field(default_factory=list)  # accounts the app keeps in sync in the background
    prepared: bool = False  # prepare_reading was called (after unlock)
    audit: list[tuple[str, str]] = field(default_factory=list)  # (action, id), as the real audit log
    audit_broken: str | None = None  # the line of an audit log out of step with its seal: reads are refused
    outbox: list[Draft] = field(default_factory=list)
    # set: send waits for it (a server slow to answer), in the composer's sending thread
    send_gate: threading.Event | None = None
    accounts: list[str] = field(default_factory=list)  # none: the app starts no background sync
    sending_accounts: list[tuple[str, str]] = field(default_factory=lambda: [("cabinet", DOCTOR)])
    sent_letters: Any = None  # a core.mail.receipts.SentLetters, for the tests of Envoyés
    sent_folders: frozenset[str] = frozenset({"Sent"})  # the folders holding sent letters, as the core says
    refuse: bool = False  # the server says no to flags, moves and deletes (a test sets it)
    offline: bool = False  # the server is out of reach: operations are done here and queued
    queued_ops: list[tuple[str, str]] = field(default_factory=list)  # (action, id) waiting for the server
    smtp_down: bool = False  # the submission server is out of reach: a letter sent waits in the outbox
    flushes: list[bool | str] = field(default_factory=list)  # each flush_outbox asked: its force; "now"
    refused: tuple[str, ...] = ()  # recipients the submission server refuses for good (5xx)
    # per letter of ``outbox`` (same order): its entry id, and (state, reason) as the core words them
    outbox_ids: list[str] = field(default_factory=list)
    outbox_notes: dict[str, tuple[str, str]] = field(default_factory=dict)
    unlock_seconds: float = 0.0  # no key derived here
    filing_folder: str = "/lgc/import"  # [filing] folder: '' as in a profile where none is set

    def __post_init__(self) -> None:
        from core.secure.outgoing import OutgoingPolicy

        self.messages = FakeMessages(self.extra_messages)
        self.documents = FakeDocuments()
        self.patients = FakePatients()
        self.keys = FakeKeys()
        self.outgoing = OutgoingPolicy(self.keys, trust_policy())
        self.saved_drafts: dict[str, SavedDraft] = {}
        self.left_drafts: set[str] = set()  # drafts whose letter the outbox took (save_draft keeps them out)
        self.read_words: dict[str, str] = {}  # Message-ID -> words of the letters opened (the search)
        self.words_due: dict[str, str] = {}  # the same, of letters read with words_later (keep_read_words)
        self.resume_frames: dict[str, str] = {}  # key -> the first inbox frame kept (resume_frame)
        self._draft_clock = BASE
        self._last_move: MoveResult | None = None
        self._no_undo = "rien à annuler depuis l'ouverture de missive : un message déplacé avant est dans le dossier où il est allé (un message supprimé, dans la Corbeille)"  # noqa: E501 - the core's words

    @property
    def profile_path(self) -> Path | None:
        return None

    def close(self) -> None:
        pass

    def subscribe(self, callback: Callable[[MailroomEvent], None]) -> None:
        self.subscribers.append(callback)

    def emit(self, event: MailroomEvent) -> None:
        for callback in self.subscribers:
            callback(event)

    # -- Réception ------------------------------------------------------------------------------------------
    def folders(self) -> list[str]:
        pairs = {(s.account, s.folder) for s in self.messages.items.values()}
        if len({a for a, _ in pairs}) > 1:  # each account apart, as the real one lists them
            order = [name for name, _ in self.sending_accounts]
            ranked = sorted(pairs, key=lambda p: (order.index(p[0]) if p[0] in order else 99, p[1] != "INBOX", p[1]))
            names = ["INBOX"] + [folder_key(a, f) for a, f in ranked]
        else:
            names = ["INBOX", "Sent"]
            names += sorted({s.folder for s in self.messages.items.values()} - {"INBOX", "Sent"})
        if len(self.summaries(QUARANTINE_FOLDER)):
            names.append(QUARANTINE_FOLDER)
        if self.saved_drafts:
            names.append(DRAFTS_FOLDER)
        return names

    def summaries(self, folder: str | None = None) -> SummaryList:
        if folder == DRAFTS_FOLDER:
            return SummaryList(saved.summary() for saved in self.drafts())
        quarantine = folder == QUARANTINE_FOLDER
        found = self.messages.list(None if quarantine else folder)
        if folder == "Trash":  # thrown away: no longer waiting in the quarantine (as the real façade)
            return SummaryList(found)
        return SummaryList(
            s for s in found if (s.id in self.messages.quarantined) is quarantine and s.folder != "Trash"
        )

    def prepare_reading(self) -> None:
        self.prepared = True

    def audit_break(self) -> str | None:
        return self.audit_broken

    def resume_frame(self, view: str) -> tuple[str, str | None]:
        key = f"{view}|{len(self.messages.list(None))}"
        kept = self.resume_frames.get(key)
        return key, kept

    def keep_resume_frame(self, key: str, frame: str) -> None:
        self.resume_frames[key] = frame

    def verify_signers(self, message: bytes) -> tuple[SignatureStatus, tuple[SignatureStatus, ...]]:
        """The fake verifies nothing: every letter given reads as not signed (the contract's case)."""
        return SignatureStatus(False, reason="sig.not-signed"), ()

    def read_message(self, message_id: str, actor: str | None = None, words_later: bool = False) -> MessageView:
        from core.mail import mime
        from core.secure.smime import open_message

        summary = self.messages.get(message_id)
        if message_id not in self.messages.raw:
            raise NotFound("ce message n'est plus dans le profil : synchronisez à nouveau")
        opened = open_message(self.messages.raw[message_id], self.keys)
        if self.audit_broken is not None:  # as the core: no read without its audit record
            from core.errors import AuditBroken

            raise AuditBroken(self.audit_broken)
        self.audit.append(("read", message_id))
        parsed, attachments = mime.read(opened.inner_mime_bytes)
        repaired = not (summary.sender or summary.subject or summary.date or summary.message_id or summary.to)
        if repaired and (parsed.sender or parsed.subject or parsed.date or parsed.message_id):
            # as the core: a row left blank (its header not read as it was stored) is read again from the letter
            summary = replace(summary, message_id=parsed.message_id, sender=parsed.sender, to=parsed.to,
                              subject=parsed.subject, date=parsed.date)  # fmt: skip
            self.messages.items[message_id] = summary
        else:
            repaired = False
        if summary.message_id and parsed.text:  # as the core: the words of a letter opened, for the search
            from core.clinical.search import searchable_text

            (self.words_due if words_later else self.read_words)[summary.message_id] = searchable_text(parsed.text)
        documents = tuple(
            MessageDocument(e.document, self._item(e), _kind_label(e.document))
            for e in self.documents.entries.values()
            if e.message == message_id
        )
        return MessageView(
            summary=summary, sender=parsed.sender or summary.sender, to=parsed.to or summary.to, cc=parsed.cc,
            subject=parsed.subject or summary.subject, date=parsed.date or summary.date, body=parsed.text, body_was_html=parsed.text_was_html,
            signature=summary.signature or opened.signature, signed=opened.signed, encrypted=opened.encrypted,
            decrypted=opened.decrypted, problem=opened.problem, attachments=tuple(attachments),
            documents=documents, outside_trust=message_id in self.messages.quarantined,
            receipts=self._receipt_lines(summary.message_id),
            receipt_request=self.read_receipt_prompt(message_id, actor),
            people={a: label for a in (summary.sender, *summary.to) if (label := self.patient_labels().get(a.lower()))},
            summary_repaired=repaired,
        )  # fmt: skip

    def keep_read_words(self) -> None:
        self.read_words.update(self.words_due)
        self.words_due.clear()

    def read_receipt_prompt(self, message_id: str, actor: str | None = None) -> str:
        """No letter of the fake asks a read receipt (a test sets this)."""
        return ""

    async def answer_read_receipt(self, message_id: str, actor: str | None = None) -> Delivery:
        self.audit.append(("read-receipt", message_id))
        return Delivery(f"e-{message_id}", f"<mdn-{message_id}@test>", "sent")

    def own_addresses(self) -> frozenset[str]:
        return frozenset({DOCTOR})

    def _receipt_lines(self, header_id: str) -> tuple[str, ...]:
        letter = self.receipt_status(header_id)
        if letter is not None and self.sent_letters is not None:
            self.sent_letters.failure_seen(header_id)  # opened: as the real one, no longer counted
        return tuple(f"{r.address} — {r.to_json()['text']}" for r in letter.recipients) if letter else ()

    def receipt_statuses(self) -> dict[str, str]:
        return dict(self.sent_letters.statuses()) if self.sent_letters is not None else {}

    def receipt_status(self, message_id: str) -> Any:
        """The sent letter (``core.mail.receipts.SentLetter``) with this Message-ID, or None."""
        return self.sent_letters.get(message_id) if self.sent_letters is not None else None

    def sync_now(self) -> int:
        self.syncs_asked = getattr(self, "syncs_asked", 0) + 1
        return 0  # no background sync runs here

    def mark_seen(self, message_id: str) -> None:
        summary = self.messages.get(message_id)
        if summary.unread:
            self.messages.seen.append(message_id)
            self.messages.items[message_id] = replace(summary, flags=(*summary.flags, "\\Seen"))

    def sent_folder(self, name: str) -> bool:
        return folder_parts(name)[1] in self.sent_folders

    def folder_counts(self) -> dict[str, FolderCount]:
        out = {}
        undelivered = self.sent_letters.undelivered_unseen() if self.sent_letters is not None else {}
        for name in self.folders():
            rows = self.summaries(name)
            out[name] = FolderCount(
                rows.unread,
                len(rows) if name != DRAFTS_FOLDER else len(self.saved_drafts),
                sum(undelivered.values()) if self.sent_folder(name) else 0,
            )
        return out

    def _refused(self, words: str) -> None:
        if self.refuse:
            raise ServerRefused(
                f"le serveur a refusé de {words} (NO [CANNOT] refusé par test) ; il reste où il était"
            )

    async def _flag(self, message_id: str, flag: str, on: bool) -> MessageSummary:
        summary = self.messages.get(message_id)
        self._refused("changer la marque du message")
        flags = set(summary.flags) | {flag} if on else set(summary.flags) - {flag}
        self.messages.items[message_id] = replace(summary, flags=tuple(sorted(flags)))
        if self.offline:
            self.queued_ops.append(("flags", message_id))
        return self.messages.items[message_id]

    async def set_seen(self, message_id: str, seen: bool) -> MessageSummary:
        return await self._flag(message_id, "\\Seen", seen)

    async def set_flagged(self, message_id: str, flagged: bool) -> MessageSummary:
        return await self._flag(message_id, "\\Flagged", flagged)

    def move_targets(self, message_id: str) -> list[str]:
        here = self.messages.get(message_id).folder
        names = {s.folder for s in self.messages.items.values()} | {"INBOX", "Sent", "Trash", "Archive"}
        return sorted(names - {here}, key=lambda n: (n != "INBOX", n.lower()))

    async def _move(self, message_id: str, folder: str, role: str, action: str) -> MoveResult:
        summary = self.messages.get(message_id)
        if folder == summary.folder:
            raise BadInput("le message est déjà dans ce dossier")
        self._refused("déplacer le message")
        self.messages.items[message_id] = replace(summary, folder=folder)
        self.audit.append((action, message_id))
        if self.offline:
            self.queued_ops.append((action, message_id))
        result = MoveResult(message_id, summary.account, summary.folder, folder, role, self.offline)
        self._last_move = result
        return result

    async def move_message(self, message_id: str, folder: str, actor: str | None = None) -> MoveResult:
        role = {"Trash": "trash", "Archive": "archive"}.get(folder, "")
        return await self._move(message_id, folder, role, "move")

    async def archive_message(self, message_id: str, actor: str | None = None) -> MoveResult:
        return await self._move(message_id, "Archive", "archive", "archive")

    def delete_question(self, message_id: str) -> str:
        if self.messages.get(message_id).folder != "Trash":
            return ""
        return "Supprimer définitivement ce message de la Corbeille ? Il ne pourra pas être récupéré."

    async def delete_message(
        self, message_id: str, actor: str | None = None, *, for_good: bool = False
    ) -> MoveResult:
        summary = self.messages.get(message_id)
        if summary.folder != "Trash":
            return await self._move(message_id, "Trash", "trash", "delete")
        if not for_good:
            raise BadInput(
                "ce message est dans la Corbeille : le supprimer l'efface définitivement, confirmez d'abord"
            )
        self._refused("supprimer le message")
        del self.messages.items[message_id]
        self.read_words.pop(summary.message_id, None)  # as the core: its words go with it
        self.audit.append(("expunge", message_id))
        if self._last_move is not None and self._last_move.message_id == message_id:  # as the core
            self._last_move = None
            self._no_undo = "rien à annuler : le dernier message déplacé a été supprimé définitivement depuis"
        return MoveResult("", summary.account, "Trash", "", "trash", self.offline, expunged=True)

    async def undo_move(self, actor: str | None = None) -> MoveResult:
        last = self._last_move
        if last is not None and last.message_id not in self.messages.items:
            self._last_move, last = None, None
            self._no_undo = "rien à annuler : le dernier message déplacé n'est plus là où il était allé"
        if last is None:
            raise NotFound(self._no_undo)
        result = await self._move(last.message_id, last.origin, "", "undo-move")
        self._last_move = None
        self._no_undo = "rien à annuler : le dernier déplacement est déjà annulé"
        return result

    # -- À classer ------------------------------------------------------------------------------------------
    def _item(self, e: FakeEntry) -> ReviewItem:
        doc = e.document
        return ReviewItem(
            id=e.id, identity=doc.identity, state=e.state, decision=e.decision, title=doc.title,
            date=doc.date, sender=doc.author, format=doc.format,
            candidates=tuple((c, self.patient(c.patient_id)) for c in e.candidates),
            patient=self.patient(e.patient_id) if e.patient_id else None, patient_id=e.patient_id,
            observations=len(doc.observations), abnormal=sum(o.abnormal for o in doc.observations),
            critical=e.critical, attachment="res.hpr", filed_at=e.filed_at, kind=document_kind(doc),
            no_candidate=str(why_no_candidate(doc.identity, len(self.patients.by_id)))
            if e.state == "waiting" and not e.candidates else "",
            message_id=f"<{e.message}@test>" if e.message else "",
            envelope=doc.envelope, conflict=envelope_conflict(doc), envelope_label=envelope_label(doc),
            duplicate_of=e.duplicate_of, duplicate_note=self._duplicate_note(e),
            unreadable=e.unreadable, unreadable_note=self._unreadable_note(e),
            hand_fileable=e.unreadable not in NEVER_HAND_FILED,
            set_aside="dealt" if e.unreadable else "reject",
            filed_note=filed_note(self._filed_automatically(e), e.filed_at, e.patient_id, f"{e.id}.hpr")
            if e.state == "filed" else "",
            filed_automatically=e.state == "filed" and self._filed_automatically(e),
        )  # fmt: skip

    @staticmethod
    def _filed_automatically(e: FakeEntry) -> bool:
        """As the core (``documents.filed_automatically``): the record's word, else the decision."""
        return e.filed_by == "auto" if e.filed_by else e.decision == "auto"

    def _unreadable_note(self, e: FakeEntry) -> str:
        """The core's words (``DocumentQueue.unreadable_note``) for a file that could not be read."""
        from core.text import T

        if not e.unreadable:
            return ""
        kind = str(T(f"clinical.documents.format-{e.document.format}"))
        return str(T("clinical.documents.illisible", format=kind, reason=str(T(e.unreadable))))

    def _duplicate_note(self, e: FakeEntry) -> str:
        """The core's words (``DocumentQueue.duplicate_note``) for a duplicate and its original's state."""
        from core.text import T

        if e.duplicate_of is None:
            return ""
        first = self.documents.get(e.duplicate_of)
        if first.state == "filed":
            return str(T("clinical.documents.doublon-de-classe", original=first.id, patient=first.patient_id,
                         file=f"{first.id}.hpr"))  # fmt: skip
        state = str(T(f"clinical.documents.etat-{first.state}"))
        return str(T("clinical.documents.doublon-de-etat", original=first.id, state=state))

    def _refuse_duplicate(self, entry: FakeEntry) -> None:
        if entry.state == "duplicate":
            raise BadInput(f"le document {entry.id} est un doublon de {entry.duplicate_of} : agissez sur l'original")

    def differing_traits(self, identity: Identity, patient: Patient) -> frozenset[str]:
        return differing_traits(identity, patient)

    def review_items(self) -> tuple[list[ReviewItem], list[ReviewItem]]:
        entries = self.documents.entries.values()
        waiting = [self._item(e) for e in entries if e.state in ("waiting", "unreadable")]
        waiting.sort(  # as the core: critical first, then the files that could not be read, then by date
            key=lambda i: (
                not i.critical,
                float("-inf") if i.state == "unreadable" else i.date.timestamp() if i.date else float("inf"),
            )
        )
        decided = [self._item(e) for e in entries if e.state == "filed"]
        return waiting, decided + [self._item(e) for e in entries if e.state == "duplicate"]  # as the core

    def review_count(self) -> int:
        return len(self.review_items()[0])

    def filing_notice(self) -> str:
        from core.text import T

        return "" if self.filing_folder else str(T("mailroom.review.no-filing-folder", folder="~/HPRIM/import"))

    def patients_by_message(self) -> dict[str, str]:
        from core.clinical.search import searchable

        names: dict[str, list[str]] = {}
        for e in self.documents.entries.values():
            if not e.message:
                continue
            ident = e.document.identity
            words = [ident.family_name, ident.birth_name, *ident.given_names]
            patient = self.patient(e.patient_id) if e.patient_id else None
            if patient is not None:
                words += [patient.birth_name, patient.used_name, *patient.given_names]
            names.setdefault(f"<{e.message}@test>", []).append(" ".join(w for w in words if w))
        return {mid: searchable(" ".join(parts)) for mid, parts in names.items()}

    def read_words_by_message(self) -> dict[str, str]:
        return dict(self.read_words)

    def filed_patients(self) -> dict[str, str]:
        from core.clinical.patient_mail import filed_label

        found: dict[str, list[Patient]] = {}
        for e in self.documents.entries.values():
            patient = (
                self.patient(e.patient_id) if e.state == "filed" and e.patient_id and e.message else None
            )
            patients = found.setdefault(f"<{e.message}@test>", [])
            if patient is not None and patient not in patients:
                patients.append(patient)
        return {mid: filed_label(patients) for mid, patients in found.items() if patients}

    def critical_count(self) -> int:
        return sum(1 for e in self.documents.entries.values() if e.state == "waiting" and e.critical)

    def list_patients(self) -> list[Patient]:
        return sorted(self.patients.by_id.values(), key=lambda p: p.id)

    def patient(self, patient_id: str) -> Patient | None:
        return self.patients.by_id.get(patient_id)

    def file_document(self, doc_id: str, patient_id: str, actor: str | None = None) -> ReviewItem:
        entry = self.documents.get(doc_id)
        self._refuse_duplicate(entry)
        if entry.state == "filed":
            raise BadInput(f"le document {doc_id} est déjà classé")
        if entry.state in ("rejected", "dealt"):  # as the core: set aside, filed only once taken back
            raise BadInput(f"le document {doc_id} a été mis de côté : reprenez-le d'abord (missive documents undo)")
        if entry.unreadable in NEVER_HAND_FILED:  # as the core: never filed by hand, as it is
            from core.text import T

            raise BadInput(T("clinical.documents.illisible-non-classable", doc_id=doc_id))
        if patient_id not in self.patients.by_id:
            raise NotFound(f"aucun patient d'id {patient_id}")
        entry.state, entry.patient_id, entry.filed_at, entry.filed_by = "filed", patient_id, BASE, "hand"
        self.documents.decisions.append(("file", doc_id, patient_id))
        self.audit.append(("file", doc_id))
        return self._item(entry)

    def reject_document(self, doc_id: str, actor: str | None = None) -> ReviewItem:
        entry = self.documents.get(doc_id)
        self._refuse_duplicate(entry)
        if entry.state == "filed":
            raise BadInput(f"le document {doc_id} est classé : annulez d'abord le classement")
        if entry.state == "unreadable":  # as the core: an unreadable file is marked dealt with
            return self.mark_dealt_with(doc_id, actor)
        entry.state = "rejected"
        self.documents.decisions.append(("reject", doc_id, None))
        self.audit.append(("reject", doc_id))
        return self._item(entry)

    def mark_dealt_with(self, doc_id: str, actor: str | None = None) -> ReviewItem:
        entry = self.documents.get(doc_id)
        self._refuse_duplicate(entry)
        if entry.state != "unreadable":
            raise BadInput(f"le document {doc_id} n'est pas un fichier illisible en attente : rien à marquer traité")
        entry.state = "dealt"
        self.documents.decisions.append(("dealt", doc_id, None))
        self.audit.append(("dealt-with", doc_id))
        return self._item(entry)

    def undo_filing(self, doc_id: str, actor: str | None = None) -> ReviewItem:
        entry = self.documents.get(doc_id)
        self._refuse_duplicate(entry)
        if entry.state not in ("filed", "rejected", "dealt"):  # as the core: a rejection is taken back too
            raise BadInput(f"le document {doc_id} n'est pas classé : rien à annuler")
        undone: Undone = "filing" if entry.state == "filed" else "dealt" if entry.state == "dealt" else "rejection"
        back: DocumentState = "unreadable" if entry.unreadable else "waiting"
        entry.state, entry.decision, entry.patient_id, entry.filed_at, entry.filed_by = back, "review", None, None, ""
        self.documents.decisions.append(("undo", doc_id, None))
        self.audit.append(("undo", doc_id))
        return replace(self._item(entry), undone=undone)

    # -- Annuaire and recipients ----------------------------------------------------------------------------
    def directory_search(self, text: str, limit: int = 200) -> list[DirectoryEntry]:
        q = text.strip().lower()
        if not q:
            return []
        return [e for e in DIRECTORY if q in f"{e.family_name} {e.specialty} {e.city}".lower()][:limit]

    def complete_address(self, prefix: str, limit: int = 10) -> list[AddressChoice]:
        """The real ranking (core.mail.addressbook) over the fake's letters and directory."""
        from core.clinical.search import matches, searchable
        from core.directory.search import display_name
        from core.mail import addressbook

        by_address = {a: e for e in DIRECTORY for a in e.mssante}

        def label_of(address: str) -> tuple[str, str]:
            e = by_address.get(address)
            if e is None:
                return "", ""
            return display_name(e), f"{e.family_name} {e.given_name} {e.specialty} {e.city}"

        def directory(text: str, n: int) -> list[tuple[str, str]]:
            return [
                (display_name(e), a)
                for e in DIRECTORY
                for a in e.mssante
                if matches(text, searchable(f"{e.family_name} {e.given_name} {e.specialty} {e.city} {a}"))
            ][:n]

        seen = SummaryList(self.messages.list(None)).correspondents()
        past = addressbook.correspondents(seen, self.own_addresses(), label_of)
        return addressbook.complete(prefix, past, directory, limit)

    def letter_protection(self, recipients: Sequence[str], account: str | None = None) -> LetterProtection:
        return self.outgoing.decide(list(recipients), DOCTOR)

    def describe_recipients(self, addresses: Sequence[str]) -> dict[str, Recipient]:
        from core.clinical.patient_mail import describe

        return describe(list(addresses), self.list_patients())

    def patient_labels(self) -> dict[str, str]:
        from core.clinical.patient_mail import PATIENT_DOMAIN, patient_label

        return {
            f"{p.ins}@{PATIENT_DOMAIN}".lower(): f"◆ {patient_label(p)}"
            for p in self.list_patients()
            if p.ins
        }

    def directory_age(self) -> str:
        return ""

    # -- Rédaction ------------------------------------------------------------------------------------------
    def save_settings(self, changes: dict[str, dict[str, Any]]) -> None:
        for section, values in changes.items():
            if section == "":
                self.settings = replace(self.settings, **values)
            else:
                self.settings = replace(self.settings, **{section: replace(getattr(self.settings, section), **values)})

    def save_draft(self, draft: Draft, draft_id: str | None = None) -> str:
        if draft_id is not None and draft_id in self.left_drafts:  # as the real façade: gone to the outbox
            return draft_id
        draft_id = draft_id or f"dr-{len(self.saved_drafts) + 1}"
        self._draft_clock += dt.timedelta(seconds=1)
        self.saved_drafts[draft_id] = SavedDraft(draft_id, draft, self._draft_clock)
        return draft_id

    def drafts(self) -> list[SavedDraft]:
        return sorted(self.saved_drafts.values(), key=lambda d: d.saved or BASE, reverse=True)

    def draft(self, draft_id: str) -> SavedDraft:
        if draft_id not in self.saved_drafts:
            raise NotFound(f"aucun brouillon d'id {draft_id}")
        return self.saved_drafts[draft_id]

    def delete_draft(self, draft_id: str) -> None:
        self.saved_drafts.pop(draft_id, None)

    async def send(self, draft: Draft, draft_id: str | None = None) -> Delivery:
        self.outgoing.check([*draft.to, *draft.cc])  # the real policy refuses as the real façade would
        if self.send_gate is not None:
            self.send_gate.wait(60)  # only turns a test that forgets to open it into a slow one
        if draft_id and set(self.refused) >= {*draft.to, *draft.cc}:
            # as the real façade: refused for good, the letter goes back to its draft (stored first) and
            # leaves the outbox, so no flush sends it besides the corrected one
            self.save_draft(draft, draft_id)
            entry = f"o-{len(self.outbox) + 1}"
            reason = "554 5.7.1 refusé — la lettre n'est pas partie : elle reste dans la fenêtre de rédaction"
            from core.events import SendFailed

            self.emit(SendFailed(entry, reason))
            raise KeptInOutbox(reason, entry, permanent=True)
        if self.smtp_down:  # as the real façade: queued durably, its draft deleted, SendFailed, then NotSent
            entry = self.queue_letter(draft, "127.0.0.1:587 : connexion impossible (connexion refusée)")
            if draft_id:
                self.left_drafts.add(draft_id)
                self.delete_draft(draft_id)
            reason = f"127.0.0.1:587 : connexion impossible — la lettre est gardée dans la boîte d'envoi ({entry})"
            from core.events import SendFailed

            self.emit(SendFailed(entry, reason))
            raise KeptInOutbox(reason, entry)
        self.sent.append(draft)
        if draft_id:
            self.left_drafts.add(draft_id)
            self.delete_draft(draft_id)
        entry = hashlib.sha256(repr(draft).encode()).hexdigest()[:16]
        return Delivery(entry, f"<{entry}@test>", "sent")

    async def flush_outbox(self, force: bool = False) -> FlushReport:
        """As the real one: what waits leaves once the server is back (Sent each), else it waits."""
        from core.events import Sent

        self.flushes.append(force)
        self._sync_outbox_ids()
        if self.smtp_down or not self.outbox:
            return FlushReport(queued=len(self.outbox))
        waiting = [e for e in self.outbox_ids if force or self.outbox_notes.get(e, ("waiting", ""))[0] != "failed"]
        sent = 0
        for entry in waiting:
            draft = self.outbox[self.outbox_ids.index(entry)]
            if set(self.refused) >= {*draft.to, *draft.cc}:
                self.outbox_notes[entry] = ("failed", "554 5.7.1 <refus> : Recipient address rejected: Access denied")
                continue
            self._unqueue(entry)
            self.sent.append(draft)
            self.audit.append(("send", entry))
            self.emit(Sent(entry))
            sent += 1
        return FlushReport(sent=sent, queued=len(self.outbox) if not force else 0)

    def queue_letter(self, draft: Draft, reason: str = "", *, failed: bool = False) -> str:
        """Put a letter in the fake's outbox (as the real send does when the server does not take it): its id."""
        entry = f"o-{len(self.outbox_ids) + len(self.sent) + 1}"
        while entry in self.outbox_ids:
            entry += "x"
        self.outbox.append(draft)
        self.outbox_ids.append(entry)
        self.outbox_notes[entry] = ("failed" if failed else "waiting", reason)
        return entry

    def _unqueue(self, entry: str) -> Draft:
        index = self.outbox_ids.index(entry)
        del self.outbox_ids[index]
        self.outbox_notes.pop(entry, None)
        return self.outbox.pop(index)

    def _entry(self, entry_id: str) -> Draft:
        if entry_id not in self.outbox_ids:
            raise NotFound(f"aucune lettre {entry_id} dans la boîte d'envoi : voir `missive outbox list`")
        return self.outbox[self.outbox_ids.index(entry_id)]

    # -- À envoyer --------------------------------------------------------------------------------------------
    def outbox_letters(self) -> list[OutgoingLetter]:
        from core.text import T

        self._sync_outbox_ids()
        letters = []
        for index, (entry, draft) in enumerate(zip(self.outbox_ids, self.outbox, strict=True)):
            state, reason = self.outbox_notes.get(entry, ("waiting", ""))
            note = T("mail.outbox.note-failed") if state == "failed" else T("mail.outbox.note-due")
            letters.append(
                OutgoingLetter(
                    id=entry, account=draft.account or "cabinet", recipients=(*draft.to, *draft.cc),
                    subject=draft.subject, queued=BASE + dt.timedelta(minutes=index), state=state,
                    state_label=str(T(f"mail.outbox.state-{state}")), attempts=1, reason=reason,
                    next_note=str(note), size=len(draft.body),
                )  # fmt: skip
            )
        return letters

    async def send_outgoing(self, entry_id: str | None = None) -> FlushReport:
        from core.events import SendFailed, Sent

        self._sync_outbox_ids()
        if entry_id is not None:
            self._entry(entry_id)
        self.flushes.append(f"send {entry_id or 'all'}")
        chosen = [entry_id] if entry_id is not None else list(self.outbox_ids)
        report = FlushReport()
        for entry in chosen:
            draft = self._entry(entry)
            if self.smtp_down:
                self.outbox_notes[entry] = ("waiting", "127.0.0.1:587 : connexion impossible (connexion refusée)")
                report.queued += 1
            elif set(self.refused) >= {*draft.to, *draft.cc}:
                reason = "554 5.7.1 <refus> : Recipient address rejected: Access denied"
                self.outbox_notes[entry] = ("failed", reason)
                self.emit(SendFailed(entry, reason))
                report.failed += 1
            else:
                self._unqueue(entry)
                self.sent.append(draft)
                self.audit.append(("send", entry))
                self.emit(Sent(entry))
                report.sent += 1
        return report

    def withdraw_outgoing(self, entry_id: str, actor: str | None = None) -> str:
        self._sync_outbox_ids()
        draft = self._entry(entry_id)
        draft_id = self.save_draft(draft)  # stored first, as the real one
        self._unqueue(entry_id)
        self.audit.append(("withdraw", entry_id))
        return draft_id

    def outgoing_view(self, entry_id: str, actor: str | None = None) -> MessageView:
        self._sync_outbox_ids()
        draft = self._entry(entry_id)
        self.audit.append(("read", entry_id))
        summary = MessageSummary(
            id=entry_id, account=draft.account or "cabinet", folder="", uid=None, message_id=f"<{entry_id}@test>",
            sender=DOCTOR, to=(*draft.to, *draft.cc), subject=draft.subject, date=BASE, flags=("\\Seen",),
        )  # fmt: skip
        return MessageView(
            summary=summary, sender=DOCTOR, to=draft.to, cc=draft.cc, subject=draft.subject, date=BASE,
            body=draft.body, attachments=draft.attachments,
        )  # fmt: skip

    def _sync_outbox_ids(self) -> None:
        """A test that appended to ``outbox`` by hand: its letters get ids."""
        while len(self.outbox_ids) < len(self.outbox):
            self.outbox_ids.append(f"o-h{len(self.outbox_ids) + 1}")

    async def send_outbox_now(self) -> FlushReport:
        """As the real one: what waits is tried at once (the fake's outbox has no spacing of tries)."""
        self.flushes.append("now")
        return await self.flush_outbox()

    # -- status ---------------------------------------------------------------------------------------------
    def outbox_count(self) -> int:
        return len(self.outbox)

    def account_names(self) -> list[str]:
        return list(self.accounts)

    def senders(self) -> list[tuple[str, str]]:
        return list(self.sending_accounts)

    async def keep_synced(self, name: str, stop: asyncio.Event) -> None:
        self.synced.append(name)
        await stop.wait()


def document_kind(doc: ClinicalDocument) -> str:
    from core.clinical.kinds import document_kind

    return document_kind(doc)


def _kind_label(doc: ClinicalDocument) -> str:
    from core.clinical.kinds import BIOLOGY, OTHER
    from core.model import kind_label

    kind = document_kind(doc)
    return "" if kind in (BIOLOGY, OTHER) else kind_label(kind)


if TYPE_CHECKING:

    def _implements_contract(fake: FakeMailroom) -> MailroomAPI:
        return fake  # mypy checks the fake against the app's contract


def opener_for(mailroom: FakeMailroom) -> Callable[[Path | None, str], FakeMailroom]:
    """An ``opener`` for MissiveApp that accepts only PASSPHRASE."""

    def open_profile(_folder: Path | None, passphrase: str) -> FakeMailroom:
        if passphrase != PASSPHRASE:
            raise WrongPassphrase("wrong passphrase")
        return mailroom

    return open_profile
