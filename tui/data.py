"""The one thin adapter between the app and ``core.mailroom.Mailroom``.

Every call the TUI makes to the engine goes through :class:`MailroomData`, so a changed signature in core
is fixed here and nowhere else. A service that is not built yet (or fails to import) reads as empty: the
panes show "Aucun message" instead of crashing. Methods are blocking: panes call them from thread workers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import MissiveError, NotFound
from core.model import (
    Attachment,
    Candidate,
    ClinicalDocument,
    DirectoryEntry,
    Draft,
    Identity,
    MessageSummary,
    Patient,
    SignatureStatus,
)

log = logging.getLogger("missive.tui")

# The folder list's virtual folder: messages the sync quarantined (sender outside the trust space), kept
# out of every real folder's list and never deleted. A backslash name, which no real folder is expected to use.
QUARANTINE = "\\Quarantine"
INBOX = "INBOX"  # where Réception opens: the server's inbox, never the Sent copies of other folders


@dataclass(frozen=True)
class ReviewItem:
    """A document waiting for a decision (or filed automatically), with its candidate patients."""

    id: str
    identity: Identity
    title: str = ""
    date: dt.datetime | None = None
    sender: str = ""
    candidates: tuple[tuple[Candidate, Patient | None], ...] = ()
    state: str = "review"  # review | auto | filed | rejected
    decision: str = ""  # the matcher's: "auto" when filed without a person (else filed by hand)
    patient: Patient | None = None  # the patient it was filed to (auto / filed)
    observations: int = 0
    critical: int = 0  # critical results in it (the queue lists these first)
    attachment: str = ""  # the part of the message it was read from
    filed_at: dt.datetime | None = None
    kind: str = ""  # biologie, imagerie, anatomopathologie, courrier (the core's reading)


@dataclass(frozen=True)
class ReaderView:
    """What the reader shows for one message (decoded off the event loop)."""

    summary: MessageSummary
    body: str = ""
    signature: SignatureStatus | None = None
    signed: bool = False
    encrypted: bool = False
    decrypted: bool = True
    problem: str = ""
    documents: tuple[ClinicalDocument, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    outside_trust: bool = False  # the sync found the sender outside the trust space
    receipts: tuple[str, ...] = ()  # a sent letter: "address — remis le …" per recipient
    cipher_note: str = ""  # the core's words for an outdated cipher: "chiffrement ancien (3DES)"
    filings: tuple[ReviewItem, ...] = ()  # the queue's decision on each clinical document of the message
    receipt_request: str = ""  # the sender asks a read receipt, to this address: the doctor decides (key a)
    people: dict[str, str] = field(default_factory=dict)  # patient mailboxes -> "◆ NOM Prénom · INS …"
    cc: tuple[str, ...] = ()


@dataclass
class MailroomData:
    """Blocking accessors over the façade, with empty results for services not there yet."""

    mailroom: Any
    _missing: set[str] = field(default_factory=set)
    _prefetched: dict[str | None, Sequence[MessageSummary]] = field(default_factory=dict)
    _patient_labels: dict[str, str] | None = None

    # -- plumbing ----------------------------------------------------------------------------------------
    def service(self, name: str) -> Any:
        """The façade's service ``name``, or None when that part of core is not available."""
        if name in self._missing:
            return None
        try:
            return getattr(self.mailroom, name)
        except (ImportError, AttributeError) as exc:
            log.info("service %s not available: %s", name, type(exc).__name__)
            self._missing.add(name)
            return None

    @property
    def settings(self) -> Any:
        return self.service("settings")

    @property
    def profile_path(self) -> Path | None:
        profile = getattr(self.mailroom, "profile", None)
        return getattr(profile, "path", None)

    def subscribe(self, callback: Callable[[Any], None]) -> None:
        subscribe = getattr(self.mailroom, "subscribe", None)
        if subscribe is not None:
            subscribe(callback)

    # -- Réception ---------------------------------------------------------------------------------------
    def folders(self, summaries: Iterable[MessageSummary] = ()) -> list[str]:
        store = self.service("messages")
        names: list[str] = []
        lister = getattr(summaries, "all_folders", None)  # the store's rows know every folder already
        if not callable(lister):
            lister = getattr(store, "folder_list", None) if store is not None else None
        if callable(lister):
            names = [str(f) for f in lister()]
        if not names:
            names = sorted({s.folder for s in summaries})
        # INBOX first: it is where the day starts
        names = sorted(names, key=lambda n: (n.upper() != "INBOX", n.lower()))
        return names + [QUARANTINE] if self._quarantine_count(summaries) else names

    def _quarantine_count(self, summaries: Iterable[MessageSummary]) -> int:
        counter = getattr(summaries, "quarantine_count", None)
        if callable(counter):
            return int(counter())
        store = self.service("messages")  # a store without a list index: small, read it
        return sum(1 for s in store.list() if self._outside_trust(s)) if store is not None else 0

    def prefetch(self, folder: str | None = None) -> None:
        """Read a folder's list ahead (at unlock, while the screen waits); the next ``summaries(folder)``
        hands it over instead of reading it again."""
        self._prefetched[folder] = self.summaries(folder)

    def summaries(self, folder: str | None = None) -> Sequence[MessageSummary]:
        """Newest first; never loads a body. The store's rows are decoded only as they are read (a
        50,000-message inbox paints without building 50,000 summaries)."""
        ready = self._prefetched.pop(folder, None)
        if ready is not None:
            return ready
        store = self.service("messages")
        if store is None:
            return []
        quarantine = folder == QUARANTINE
        rows = getattr(store, "rows", None)
        if callable(rows):
            found = rows(folder=None if quarantine else folder)
            if callable(getattr(found, "quarantined", None)):  # the list index knows, without decoding
                return found.quarantined(quarantine) if quarantine or found.quarantine_count() else found
            return [s for s in found if self._outside_trust(s) is quarantine]
        items = [
            s
            for s in store.list(folder=None if quarantine else folder)
            if self._outside_trust(s) is quarantine
        ]
        items.sort(key=lambda s: s.date or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
        return items

    def open_message(self, summary: MessageSummary) -> ReaderView:
        """Decode one message for the reader: S/MIME layers, text, attachments, clinical documents."""
        opener = getattr(self.mailroom, "open_message", None)
        if callable(opener):
            return self._view_from(summary, opener(summary.id))
        store = self.service("messages")
        if store is None:
            raise NotFound("ce message n'est plus dans le profil : synchronisez à nouveau")
        raw = store.get_raw(summary.id)
        signature, signed, encrypted, decrypted, problem = summary.signature, summary.signed, False, True, ""
        cipher_note = ""
        keys = self.service("keys")
        if keys is not None:
            from core.secure.smime import open_message

            opened = open_message(raw, keys)
            raw = opened.inner_mime_bytes
            signature, signed = opened.signature, opened.signed
            encrypted, decrypted, problem = opened.encrypted, opened.decrypted, opened.problem
            cipher_note = opened.cipher_note
        body, attachments, documents, cc = _parse_mime(raw) if decrypted else ("", (), (), ())
        self.mark_seen(summary)
        return ReaderView(
            summary,
            body,
            signature,
            signed,
            encrypted or summary.encrypted,
            decrypted,
            problem,
            documents,
            attachments,
            self._outside_trust(summary),
            self.receipt_lines(summary),
            cipher_note,
            filings=self.message_filings(summary.message_id) if documents else (),
            receipt_request=self.receipt_prompt(summary),
            cc=cc,
            people=self.people_in(summary),
        )

    def receipt_statuses(self) -> dict[str, str]:
        """Message-ID -> short delivery/read status of every sent letter (the core's words)."""
        letters = self.service("sent_letters")
        return dict(letters.statuses()) if letters is not None and hasattr(letters, "statuses") else {}

    def receipt_lines(self, summary: MessageSummary) -> tuple[str, ...]:
        """For a sent letter, one line per recipient: address and what became of the letter."""
        status = getattr(self.mailroom, "receipt_status", None)
        letter = status(summary.message_id) if callable(status) and summary.message_id else None
        if letter is None:
            return ()
        return tuple(f"{r.address} — {r.to_json()['text']}" for r in letter.recipients)

    def people_in(self, summary: MessageSummary) -> dict[str, str]:
        """The patients among a message's sender and recipients, named as the lists name them."""
        addresses = [summary.sender, *summary.to]
        if not any(a.lower().endswith("@patient.mssante.fr") for a in addresses):
            return {}
        labels = self.patient_labels()
        return {a: labels[a.lower()] for a in addresses if a.lower() in labels}

    def receipt_prompt(self, summary: MessageSummary) -> str:
        """The address a read receipt would go to, when the doctor is to be asked (the core applies
        [receipts] answer: always queues it, never a patient's, never says nothing)."""
        prompt = getattr(self.mailroom, "read_receipt_prompt", None)
        if not callable(prompt):
            return ""
        try:
            return str(prompt(summary.id, actor="tui") or "")
        except MissiveError as exc:  # reading never fails because of a receipt
            log.info("read receipt of %s not considered: %s", summary.id[:16], type(exc).__name__)
            return ""

    async def answer_read_receipt(self, message_id: str) -> Any:
        """Send the read receipt a message asks for (the doctor pressed the key)."""
        return await self.mailroom.answer_read_receipt(message_id, actor="tui")

    def _outside_trust(self, summary: MessageSummary) -> bool:
        store = self.service("messages")
        try:
            return store is not None and store.doc(summary.id).get("trust") == "quarantine"
        except (AttributeError, MissiveError):
            return False

    def _view_from(self, summary: MessageSummary, opened: Any) -> ReaderView:
        if isinstance(opened, ReaderView):
            return opened
        get = _getter(opened)
        return ReaderView(
            summary=summary,
            body=get("body", "") or get("text", ""),
            signature=get("signature", summary.signature),
            signed=bool(get("signed", summary.signed)),
            encrypted=bool(get("encrypted", summary.encrypted)),
            decrypted=bool(get("decrypted", True)),
            problem=get("problem", ""),
            documents=tuple(get("documents", ()) or ()),
            attachments=tuple(get("attachments", ()) or ()),
            outside_trust=self._outside_trust(summary),
            receipts=self.receipt_lines(summary),
            cipher_note=get("cipher_note", "") or "",
            filings=self.message_filings(summary.message_id),
            receipt_request=self.receipt_prompt(summary),
            cc=tuple(get("cc", ()) or ()),
            people=self.people_in(summary),
        )

    def own_addresses(self) -> frozenset[str]:
        """The practice's own addresses (the core's list), left out of a reply to all."""
        own = getattr(self.mailroom, "own_addresses", None)
        return frozenset(own()) if callable(own) else frozenset()

    def mark_seen(self, summary: MessageSummary) -> None:
        store = self.service("messages")
        if store is None or not summary.unread:
            return
        try:
            if hasattr(store, "add_flags"):
                store.add_flags(summary.id, "\\Seen")
            elif hasattr(store, "mark_seen"):
                store.mark_seen(summary.id)
        except (TypeError, MissiveError) as exc:  # reading still works; the flag is not worth a failure
            log.info("could not mark message %s seen: %s", summary.id, type(exc).__name__)

    # -- À classer ---------------------------------------------------------------------------------------
    def review_items(self) -> tuple[list[ReviewItem], list[ReviewItem]]:
        """(waiting for a decision, filed automatically)."""
        queue = self.service("documents")
        if queue is None:
            return [], []
        pending_raw = _call_first(queue, ("pending", "waiting", "review"), default=None)
        filed_raw = _call_first(queue, ("filed", "auto_filed"), default=None)
        if pending_raw is None and hasattr(queue, "list"):
            everything = list(queue.list())
            pending_raw = [e for e in everything if _state(e) == "review"]
            filed_raw = [e for e in everything if _state(e) in ("auto", "filed")]
        pending = [self._review_item(e) for e in pending_raw or ()]
        filed = [self._review_item(e) for e in filed_raw or ()]
        return pending, filed

    def review_count(self) -> int:
        queue = self.service("documents")
        if queue is None:
            return 0
        counter = getattr(queue, "pending_count", None)
        if callable(counter):
            return int(counter())
        return len(self.review_items()[0])

    def _review_item(self, entry: Any) -> ReviewItem:
        get = _getter(entry)
        document = get("document", None)
        identity = get("identity", None) or (document.identity if document is not None else Identity())
        match = get("match", None)
        candidates = tuple(get("candidates", ()) or (match.candidates if match is not None else ()))
        patient_id = get("patient_id", None) or (match.patient_id if match is not None else None)
        return ReviewItem(
            id=str(get("id", "") or get("doc_id", "")),
            identity=identity,
            title=get("title", "") or (document.title if document is not None else ""),
            date=get("date", None) or (document.date if document is not None else None),
            sender=get("sender", "") or (document.author if document is not None else ""),
            candidates=tuple((c, self.patient(c.patient_id)) for c in candidates),
            state=_state(entry),
            decision=str(get("decision", None) or getattr(match, "decision", "") or ""),
            patient=self.patient(patient_id) if patient_id else None,
            observations=len(document.observations) if document is not None else 0,
            critical=int(get("critical", 0) or 0),
            kind=str(get("kind", "") or ""),
        )

    def message_filings(self, message_id: str) -> tuple[ReviewItem, ...]:
        """Where each clinical document of one message stands (waiting, filed for whom and when, rejected)."""
        queue = self.service("documents")
        if queue is None or not message_id or not hasattr(queue, "list"):
            return ()
        out = []
        for entry in queue.list():
            get = _getter(entry)
            if get("message_id", None) != message_id:
                continue
            match = get("match", None)
            patient_id = get("patient_id", None) or (match.patient_id if match is not None else None)
            filed_at = get("filed_at", None)
            if isinstance(filed_at, str):
                try:
                    filed_at = dt.datetime.fromisoformat(filed_at)
                except ValueError:
                    filed_at = None
            out.append(
                ReviewItem(
                    id=str(get("id", "")),
                    identity=get("identity", None) or Identity(),
                    state=_state(entry),
                    decision=str(get("decision", None) or getattr(match, "decision", "") or ""),
                    patient=self.patient(patient_id) if patient_id else None,
                    attachment=str(get("attachment", "") or ""),
                    filed_at=filed_at,
                )
            )
        return tuple(out)

    def patients_by_message(self) -> dict[str, str]:
        """Message-ID -> the names of the patients its clinical documents are about (as the documents state
        them, and the patient each was filed to), in the core's searchable form: the inbox search finds a
        doctor's mail by patient name."""
        from core.clinical.search import searchable

        queue = self.service("documents")
        if queue is None or not hasattr(queue, "list"):
            return {}
        names: dict[str, list[str]] = {}
        for entry in queue.list():
            get = _getter(entry)
            message_id = get("message_id", None)
            if not message_id:
                continue
            document = get("document", None)
            ident = get("identity", None) or (document.identity if document is not None else Identity())
            words = [ident.family_name, ident.birth_name, *ident.given_names]
            match = get("match", None)
            patient_id = get("patient_id", None) or (match.patient_id if match is not None else None)
            patient = self.patient(patient_id) if patient_id else None
            if patient is not None:
                words += [patient.birth_name, patient.used_name, *patient.given_names]
            names.setdefault(message_id, []).append(" ".join(w for w in words if w))
        return {mid: searchable(" ".join(parts)) for mid, parts in names.items()}

    def critical_count(self) -> int:
        """Waiting documents with a critical result (the status bar's count)."""
        queue = self.service("documents")
        counter = getattr(queue, "critical_count", None)
        return int(counter()) if callable(counter) else 0

    def patients(self) -> list[Patient]:
        """Every patient of the practice, for the search when a document is filed by hand."""
        registry = self.service("patients")
        return list(registry.list()) if registry is not None and hasattr(registry, "list") else []

    def patient(self, patient_id: str) -> Patient | None:
        registry = self.service("patients")
        if registry is None:
            return None
        try:
            return registry.get(patient_id)
        except NotFound:
            return None

    def file_document(self, doc_id: str, patient_id: str) -> None:
        self._queue().file(doc_id, patient_id, actor="tui")

    def file_new_patient(self, doc_id: str) -> None:
        queue = self._queue()
        method = getattr(queue, "file_new", None) or getattr(queue, "new_patient", None)
        if method is None:
            raise MissiveError(
                "le classement vers un nouveau patient n'est pas encore possible : "
                "classez-le dans votre logiciel métier"
            )
        method(doc_id, actor="tui")

    def reject_document(self, doc_id: str) -> None:
        self._queue().reject(doc_id, actor="tui")

    def undo_filing(self, doc_id: str) -> None:
        self._queue().undo(doc_id, actor="tui")

    def _queue(self) -> Any:
        queue = self.service("documents")
        if queue is None:
            raise MissiveError("la file des documents à classer n'est pas disponible dans cette version")
        return queue

    # -- Annuaire and recipients -------------------------------------------------------------------------
    def directory_search(self, text: str, limit: int = 200) -> list[DirectoryEntry]:
        directory = self.service("directory")
        if directory is None or not text.strip():
            return []
        return list(directory.search(text, limit=limit))

    def directory_age(self) -> str:
        """The core's line on how old the downloaded directory is ("" when never downloaded)."""
        age = getattr(self.mailroom, "directory_age", None)
        return age() if age is not None else ""

    def complete_address(self, prefix: str, limit: int = 10) -> list[str]:
        """Addresses starting with ``prefix``: directory first, then people who wrote to us."""
        prefix = prefix.strip().lower()
        if len(prefix) < 2:
            return []
        found: list[str] = []
        directory = self.service("directory")
        if directory is not None and hasattr(directory, "complete"):
            for item in directory.complete(prefix, limit=limit):
                found.extend(_addresses(item))
        book = self.service("contacts")
        if book is not None and hasattr(book, "complete"):
            found.extend(str(a) for a in book.complete(prefix, limit=limit))
        seen: dict[str, None] = {}
        for address in found:
            if address.lower().startswith(prefix) or prefix in address.lower():
                seen.setdefault(address, None)
        return list(seen)[:limit]

    def letter_protection(self, recipients: Sequence[str], account: str | None = None) -> Any:
        """What ``send`` will do with the whole letter (core.secure.outgoing.LetterProtection)."""
        return self.mailroom.letter_protection(list(recipients), account)

    def describe_recipients(self, addresses: Sequence[str]) -> dict[str, Any]:
        """Per address: patient (name and INS, from the patient list) or colleague; the core's reading."""
        describe = getattr(self.mailroom, "describe_recipients", None)
        return dict(describe(list(addresses))) if callable(describe) else {}

    def patient_labels(self) -> dict[str, str]:
        """Every patient mailbox of the list -> "◆ NAME First · INS …", so the lists name patients and mark
        them apart (read once per session, in a worker)."""
        if self._patient_labels is None:
            from core.clinical.patient_mail import PATIENT_DOMAIN, patient_label

            self._patient_labels = {
                f"{p.ins}@{PATIENT_DOMAIN}".lower(): f"◆ {patient_label(p)}" for p in self.patients() if p.ins
            }
        return self._patient_labels

    # -- Rédaction ---------------------------------------------------------------------------------------
    def save_draft(self, draft_id: str, draft: Draft) -> None:
        """Keep a draft in the encrypted store (called as the doctor types)."""
        drafts = self.service("drafts")
        if drafts is not None and hasattr(drafts, "save"):
            drafts.save(draft_id, draft)
            return
        profile = getattr(self.mailroom, "profile", None)
        if profile is None:
            return
        profile.collection("drafts").put(draft_id, _draft_doc(draft))

    def delete_draft(self, draft_id: str) -> None:
        drafts = self.service("drafts")
        if drafts is not None and hasattr(drafts, "delete"):
            drafts.delete(draft_id)
            return
        profile = getattr(self.mailroom, "profile", None)
        if profile is not None:
            profile.collection("drafts").delete(draft_id)

    async def send(self, draft: Draft) -> Any:
        send = getattr(self.mailroom, "send", None)
        if send is None:
            raise MissiveError("l'envoi n'est pas disponible dans cette version : le brouillon est gardé")
        return await send(draft)

    # -- status bar --------------------------------------------------------------------------------------
    def outbox_count(self) -> int:
        outbox = self.service("outbox")
        if outbox is None:
            return 0
        try:
            return len(outbox)
        except TypeError:
            return len(outbox.list())

    async def keep_synced(self, name: str, stop: Any) -> None:
        """Keep one account up to date until ``stop`` (an asyncio.Event) is set; events come by subscribe."""
        await self.mailroom.keep_synced(name, stop)

    def account_names(self) -> list[str]:
        accounts = self.service("accounts")
        if accounts is None:
            return []
        items = accounts.list() if hasattr(accounts, "list") else []
        return [str(getattr(a, "name", a)) for a in items]


# -- helpers --------------------------------------------------------------------------------------------------
def _getter(obj: Any) -> Callable[[str, Any], Any]:
    if isinstance(obj, dict):
        return lambda name, default: obj.get(name, default)
    return lambda name, default: getattr(obj, name, default)


def _state(entry: Any) -> str:
    get = _getter(entry)
    state = get("state", None) or get("decision", None) or getattr(get("match", None), "decision", None)
    return str(state or "review")


def _call_first(obj: Any, names: tuple[str, ...], default: Any) -> Any:
    for name in names:
        method = getattr(obj, name, None)
        if callable(method):
            return list(method())
    return default


def _addresses(item: Any) -> list[str]:
    if isinstance(item, str):
        return [item]
    if isinstance(item, tuple) and len(item) == 2:  # (display name, address)
        return [str(item[1])]
    if isinstance(item, DirectoryEntry):
        return list(item.mssante)
    return [str(a) for a in getattr(item, "mssante", ())]


def _draft_doc(draft: Draft) -> dict[str, Any]:
    return {
        "to": list(draft.to),
        "cc": list(draft.cc),
        "subject": draft.subject,
        "body": draft.body,
        "attachments": [a.filename for a in draft.attachments],
        "in_reply_to": draft.in_reply_to,
        "saved": dt.datetime.now(dt.UTC).isoformat(),
    }


def _parse_mime(
    raw: bytes,
) -> tuple[str, tuple[Attachment, ...], tuple[ClinicalDocument, ...], tuple[str, ...]]:
    """Text body, attachments, the clinical documents found in them (readers are pure), and the Cc."""
    import email
    import email.policy
    import email.utils

    message = email.message_from_bytes(raw, policy=email.policy.default)
    try:
        cc = tuple(a for _, a in email.utils.getaddresses([str(v) for v in message.get_all("Cc", [])]) if a)
    except (TypeError, ValueError, IndexError):
        cc = ()
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        try:
            body = body_part.get_content()
        except (LookupError, ValueError):
            body = body_part.get_payload(decode=True).decode("latin-1", "replace")
    attachments: list[Attachment] = []
    documents: list[ClinicalDocument] = []
    for part in message.iter_attachments():
        data = part.get_payload(decode=True) or b""
        name = part.get_filename() or "piece-jointe"
        attachments.append(Attachment(name, part.get_content_type(), data))
    from core.clinical.readers import looks_clinical, read_document
    from core.errors import ParseError

    candidates = [(a.data, a.filename, a.content_type) for a in attachments]
    if body and looks_clinical(body.encode("latin-1", "replace")):
        candidates.append((body.encode("latin-1", "replace"), "", "text/plain"))
    for data, name, ctype in candidates:
        if not looks_clinical(data, name, ctype):
            continue
        try:
            documents.extend(read_document(data, name).documents)
        except ParseError as exc:
            log.info("attachment not readable as a clinical document: %s", type(exc).__name__)
    return body, tuple(attachments), tuple(documents), cc
