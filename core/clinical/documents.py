"""The queue of clinical documents extracted from mail, from arrival to the patient's record.

A document waits (``waiting``) until it is filed into the practice software (``filed``) or set aside
(``rejected``). ``auto`` decisions of the matcher are filed without a click when ``[filing] auto`` is on;
the others wait for a person. Everything about the patient (the identity the document states, its title,
its date) stays in the encrypted store; audit records and log lines carry ids only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal

from core.clinical import filing
from core.errors import BadInput, MissiveError, NotFound
from core.model import Candidate, ClinicalDocument, Identity, MatchResult

log = logging.getLogger("missive.documents")

State = Literal["waiting", "filed", "rejected"]
_STATE_WORDS = {"waiting": "en attente", "filed": "classé", "rejected": "écarté"}
FILED_FLAG = "$Filed"
COLLECTION = "documents"


@dataclass(frozen=True)
class QueuedDocument:
    """One document of the queue. ``identity``, ``title`` and ``date`` are health data: show, never log."""

    id: str
    message_id: str
    attachment: str
    format: str
    identity: Identity
    decision: str  # the matcher's: auto, review, new (an undone filing goes back to review)
    candidates: tuple[Candidate, ...]
    patient_id: str | None
    state: State
    blob_id: str
    title: str = ""
    sender: str = ""
    date: dt.datetime | None = None
    observations: int = 0
    abnormal: int = 0  # how many of the observations are outside their reference range
    critical: int = 0  # how many are critical (HH, LL, AA, "critique"/"panique"): listed first
    filed_path: str | None = None
    filed_at: str | None = None
    quarantine_path: str | None = None
    added: str = ""

    @property
    def match(self) -> MatchResult:
        return MatchResult(
            self.decision, self.patient_id if self.decision == "auto" else None, self.candidates
        )  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        """What `missive documents list --json` prints: ids, states, decisions; no identity."""
        return {
            "id": self.id,
            "message_id": self.message_id,
            "attachment": self.attachment,
            "format": self.format,
            "decision": self.decision,
            "patient_id": self.patient_id,
            "state": self.state,
            "candidates": [c.to_json() for c in self.candidates],
            "filed_path": self.filed_path,
            "filed_at": self.filed_at,
            "critical": self.critical,
        }


def _identity_to_doc(identity: Identity) -> dict[str, Any]:
    out = identity.to_json()
    out["ins_oid"] = identity.ins_oid
    return out


def _identity_from_doc(d: Mapping[str, Any]) -> Identity:
    bd = d.get("birth_date")
    return Identity(
        family_name=d.get("family_name", ""),
        birth_name=d.get("birth_name", ""),
        given_names=tuple(d.get("given_names", ())),
        birth_date=dt.date.fromisoformat(bd) if bd else None,
        sex=d.get("sex", "U"),
        ins=d.get("ins"),
        ins_oid=d.get("ins_oid"),
        nir=d.get("nir"),
        birth_place=d.get("birth_place"),
        source_id=d.get("source_id"),
    )


def _from_doc(key: str, d: Mapping[str, Any]) -> QueuedDocument:
    date = d.get("date")
    return QueuedDocument(
        id=key,
        message_id=d.get("message_id", ""),
        attachment=d.get("attachment", ""),
        format=d.get("format", ""),
        identity=_identity_from_doc(d.get("identity") or {}),
        decision=d.get("decision", "review"),
        candidates=tuple(
            Candidate(c["patient_id"], float(c.get("score", 0.0)), tuple(c.get("reasons", ())))
            for c in d.get("candidates", ())
        ),
        patient_id=d.get("patient_id"),
        state=d.get("state", "waiting"),
        blob_id=d.get("blob_id", ""),
        title=d.get("title", ""),
        sender=d.get("sender", ""),
        date=dt.datetime.fromisoformat(date) if date else None,
        observations=int(d.get("observations", 0)),
        abnormal=int(d.get("abnormal", 0)),
        critical=int(d.get("critical", 0)),
        filed_path=d.get("filed_path"),
        filed_at=d.get("filed_at"),
        quarantine_path=d.get("quarantine_path"),
        added=d.get("added", ""),
    )


def _to_doc(q: QueuedDocument) -> dict[str, Any]:
    return {
        "message_id": q.message_id,
        "attachment": q.attachment,
        "format": q.format,
        "identity": _identity_to_doc(q.identity),
        "decision": q.decision,
        "candidates": [c.to_json() for c in q.candidates],
        "patient_id": q.patient_id,
        "state": q.state,
        "blob_id": q.blob_id,
        "title": q.title,
        "sender": q.sender,
        "date": q.date.isoformat() if q.date else None,
        "observations": q.observations,
        "abnormal": q.abnormal,
        "critical": q.critical,
        "filed_path": q.filed_path,
        "filed_at": q.filed_at,
        "quarantine_path": q.quarantine_path,
        "added": q.added,
    }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _settings_section(profile: Any) -> dict[str, Any]:
    settings = getattr(profile, "settings", None)
    section = getattr(settings, "filing", None)
    if section is None:
        return {}
    if is_dataclass(section) and not isinstance(section, type):
        return asdict(section)
    return dict(section)


class DocumentQueue:
    """Documents from mail waiting to be filed, filed, or rejected; filing goes through ``filing.py``.

    ``profile`` provides ``collection(name)``, ``blobs``, ``audit``, ``path`` (and ``settings``).
    ``filing_settings`` is the ``[filing]`` section as a plain dict (default: the profile's settings).
    ``mark_filed(message_id, filed)`` sets or clears ``$Filed`` on the message (default: the profile's
    message store, which pushes the keyword to the IMAP server at the next sync).
    ``patient_exists(patient_id)`` raises NotFound for an unknown patient (default: the profile's patients).
    """

    def __init__(
        self,
        profile: Any,
        filing_settings: Mapping[str, Any] | None = None,
        *,
        mark_filed: Callable[[str, bool], None] | None = None,
        patient_exists: Callable[[str], Any] | None = None,
        quarantine_dir: Path | None = None,
    ) -> None:
        self.profile = profile
        self.docs = profile.collection(COLLECTION)
        self.blobs = profile.blobs
        self.audit = profile.audit
        section = dict(filing_settings) if filing_settings is not None else _settings_section(profile)
        self.filing = filing.FilingProfile.from_settings(section)
        self._mark_filed = mark_filed
        self._patient_exists = patient_exists
        self.quarantine_dir = quarantine_dir or Path(profile.path) / "quarantine"

    # ------------------------------------------------------------------ reading
    def get(self, doc_id: str) -> QueuedDocument:
        doc = self.docs.get(doc_id) if isinstance(doc_id, str) else None
        if doc is None:
            raise NotFound(f"aucun document d'id {str(doc_id)[:40]} (voir `missive documents list`)")
        return _from_doc(doc_id, doc)

    def list(self, states: tuple[str, ...] | None = None) -> list[QueuedDocument]:
        """Documents, oldest first, optionally only those in ``states``."""
        found = self.docs.find(lambda d: states is None or d.get("state") in states)
        out = [_from_doc(k, d) for k, d in found]
        out.sort(key=lambda q: (q.added, q.id))
        return out

    def pending(self) -> list[QueuedDocument]:
        """Documents waiting for a person's decision: critical results first, then by arrival."""
        return sorted(self.list(("waiting",)), key=lambda q: q.critical == 0)

    def critical_count(self) -> int:
        """How many waiting documents hold a critical result (the status bar's count)."""
        return len(self.docs.find(lambda d: d.get("state") == "waiting" and d.get("critical")))

    def filed(self) -> list[QueuedDocument]:
        return self.list(("filed",))

    def pending_count(self) -> int:
        return len(self.docs.find(lambda d: d.get("state") == "waiting"))

    def raw(self, doc_id: str) -> bytes:
        """The bytes that will be (or were) filed: the document exactly as the sender wrote it."""
        return self.blobs.get(self.get(doc_id).blob_id)

    # ------------------------------------------------------------------ arrival
    def add(
        self,
        document: ClinicalDocument,
        match: MatchResult,
        *,
        message_id: str = "",
        attachment: str = "",
        index: int = 0,
        raw: bytes | None = None,
    ) -> QueuedDocument:
        """Queue one document read from a message; adding the same one twice returns the first."""
        data = raw if raw is not None else document.raw
        if not data:
            raise BadInput(f"le document {index} du message {message_id or '?'} est vide : rien à classer")
        digest = hashlib.sha256(data).hexdigest()
        key_source = f"{message_id}\0{attachment}\0{index}\0{digest}".encode()
        doc_id = "d-" + hashlib.sha256(key_source).hexdigest()[:16]
        existing = self.docs.get(doc_id)
        if existing is not None:
            return _from_doc(doc_id, existing)
        blob_id = self.blobs.put(data)
        queued = QueuedDocument(
            id=doc_id,
            message_id=message_id,
            attachment=attachment,
            format=document.format,
            identity=document.identity,
            decision=match.decision,
            candidates=tuple(match.candidates),
            patient_id=match.patient_id if match.decision == "auto" else None,
            state="waiting",
            blob_id=blob_id,
            title=document.title,
            sender=document.author,
            date=document.date,
            observations=len(document.observations),
            abnormal=sum(1 for o in document.observations if o.abnormal),
            critical=document.critical,
            added=_now(),
        )
        return self._record(queued, "document", None, message=message_id, decision=match.decision)

    def ingest(self, document: ClinicalDocument, match: MatchResult, **origin: Any) -> QueuedDocument:
        """``add`` (same keywords), then file an ``auto`` decision at once when automatic filing is set."""
        queued = self.add(document, match, **origin)
        filed = self.auto_file(queued.id)
        return filed[0] if filed else queued

    def ingest_message(
        self,
        message_id: str,
        attachments: Iterable[tuple[str, str, bytes]],
        match: Callable[[Identity], MatchResult],
    ) -> list[QueuedDocument]:
        """Read each clinical attachment ``(file name, content type, bytes)`` of a message, match and queue
        every document in it (``auto`` ones are filed at once). What the sync hook of the façade calls.

        An unreadable attachment is skipped (logged by message id); the mail itself is not affected.
        """
        from core.clinical.readers import looks_clinical, read_document

        out: list[QueuedDocument] = []
        for name, content_type, data in attachments:
            if not looks_clinical(data, name, content_type):
                continue
            try:
                result = read_document(data, name)
            except MissiveError as exc:
                log.info("message %s: attachment not read (%s)", message_id[:40], type(exc).__name__)
                continue
            single = len(result.documents) == 1
            for index, document in enumerate(result.documents):
                # One report per file: a multi-report HPRIM file is filed report by report.
                raw = data if single else (document.raw or data)
                out.append(
                    self.ingest(
                        document,
                        match(document.identity),
                        message_id=message_id,
                        attachment=name,
                        index=index,
                        raw=raw,
                    )
                )
        return out

    # ------------------------------------------------------------------ decisions
    def file(self, doc_id: str, patient_id: str, actor: str | None = None) -> QueuedDocument:
        """File a waiting document into the practice software for ``patient_id``; audited."""
        queued = self.get(doc_id)
        if queued.state == "filed":
            raise BadInput(
                f"le document {doc_id} est déjà classé ({Path(queued.filed_path or '').name}) : "
                f"annulez d'abord le classement avec `missive documents undo {doc_id}`"
            )
        patient_id = (patient_id or "").strip()
        if not patient_id:
            raise BadInput("aucun id de patient : utilisez --patient ID (voir `missive patients list`)")
        self._check_patient(patient_id)
        data = self.blobs.get(queued.blob_id)
        path = self.filing.file(
            data,
            filing.FilingFields(
                patient_id=patient_id,
                document_id=doc_id,
                sender=queued.sender.split(",")[0][:16],  # the lab's name, short: a code, not health data
                date=queued.date,
                format=queued.format,
            ),
        )
        updated = replace(
            queued,
            state="filed",
            patient_id=patient_id,
            filed_path=str(path),
            filed_at=_now(),
            quarantine_path=None,
        )
        self._record(
            updated,
            "file",
            actor,
            patient=patient_id,
            message=queued.message_id,
            file=path.name,
            decision=queued.decision,
        )
        # ids only: the file's name is built from the template ({sender}, {patient}: names)
        log.info("document %s filed for patient %s", doc_id, patient_id)
        self._mark(queued.message_id, True)
        return updated

    def auto_file(self, doc_id: str | None = None, actor: str = "auto") -> list[QueuedDocument]:
        """File waiting ``auto`` documents (one, or all) when ``[filing] auto`` and a folder are set.

        A document that cannot be filed stays waiting (logged by id): the daemon retries next round.
        """
        if not (self.filing.auto and self.filing.configured):
            return []
        if doc_id is not None:
            candidates = [self.get(doc_id)]
        else:
            candidates = self.pending()
        out: list[QueuedDocument] = []
        for queued in candidates:
            if queued.state != "waiting" or queued.decision != "auto" or not queued.patient_id:
                continue
            try:
                out.append(self.file(queued.id, queued.patient_id, actor=actor))
            except MissiveError as exc:
                log.warning("document %s: automatic filing failed (%s)", queued.id, type(exc).__name__)
        return out

    def undo(self, doc_id: str, actor: str | None = None) -> QueuedDocument:
        """Move a filed document's file out of the LGC folder into quarantine; back to review; audited."""
        queued = self.get(doc_id)
        if queued.state != "filed" or not queued.filed_path:
            raise BadInput(
                f"le document {doc_id} n'est pas classé ({_STATE_WORDS.get(queued.state, queued.state)}) : "
                "rien à annuler"
            )
        moved = filing.undo(Path(queued.filed_path), self.quarantine_dir)
        updated = replace(
            queued,
            state="waiting",
            decision="review",
            patient_id=None,
            filed_path=None,
            filed_at=None,
            quarantine_path=str(moved),
        )
        self._record(
            updated, "undo", actor, patient=queued.patient_id, message=queued.message_id, file=moved.name
        )
        log.info("document %s: filing undone, file moved to quarantine", doc_id)
        if not self._other_filed(queued.message_id, doc_id):
            self._mark(queued.message_id, False)
        return updated

    def reject(self, doc_id: str, actor: str | None = None) -> QueuedDocument:
        """Set a waiting document aside (not for this practice, duplicate...); audited."""
        queued = self.get(doc_id)
        if queued.state == "filed":
            raise BadInput(
                f"le document {doc_id} est classé : annulez d'abord le classement "
                f"(`missive documents undo {doc_id}`)"
            )
        return self._record(replace(queued, state="rejected"), "reject", actor, message=queued.message_id)

    # ------------------------------------------------------------------ helpers
    def _record(
        self, updated: QueuedDocument, action: str, actor: str | None, **details: Any
    ) -> QueuedDocument:
        """Store a document's new state, then audit it: every change of the queue leaves a record."""
        self.docs.put(updated.id, _to_doc(updated))
        self.audit.append(action, updated.id, actor=actor, **details)
        return updated

    def _check_patient(self, patient_id: str) -> None:
        if self._patient_exists is not None:
            self._patient_exists(patient_id)
            return
        if not hasattr(self.profile, "collection"):
            return
        from core.clinical.patients import PatientRegistry

        registry = PatientRegistry(self.profile.collection("patients"))
        if len(registry):  # with no patient list imported, the doctor's word is all we have
            registry.get(patient_id)

    def _other_filed(self, message_id: str, doc_id: str) -> bool:
        """Another document of the same message is still filed (then the message keeps $Filed)."""
        if not message_id:
            return False
        found = self.docs.find(lambda d: d.get("message_id") == message_id and d.get("state") == "filed")
        return any(key != doc_id for key, _ in found)

    def _mark(self, message_id: str, filed: bool) -> None:
        """Set or clear $Filed on the message; the file is already where it belongs, so only log failures."""
        if not message_id:
            return
        try:
            if self._mark_filed is not None:
                self._mark_filed(message_id, filed)
                return
            from core.mail.messages import MessageStore

            store = MessageStore(self.profile)
            if filed:
                store.add_flags(message_id, FILED_FLAG)
            else:
                store.remove_flags(message_id, FILED_FLAG)
        except NotFound:
            log.info("message %s not in the store: $Filed not set", message_id[:40])
        except Exception as exc:  # noqa: BLE001 - a flag must never undo a filing already done
            log.warning("message %s: $Filed not updated (%s)", message_id[:40], type(exc).__name__)


__all__ = ["COLLECTION", "FILED_FLAG", "DocumentQueue", "QueuedDocument"]
