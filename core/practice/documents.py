"""The queue of clinical documents extracted from mail, from arrival to the patient's record.

A document waits (``waiting``) until it is filed into the practice software (``filed``) or set aside
(``rejected``). ``auto`` decisions of the matcher are filed without a click when ``[filing] auto`` is on;
the others wait for a person. Everything about the patient (the identity the document states, its title,
its date) stays in the encrypted store; audit records and log lines carry ids only.

Filing is exactly-once across processes (app, daemon, CLI on one profile) and crashes. Under the profile's
lock, a document goes ``waiting`` → ``filing`` (an *intent*: the staged temporary file and the final name it
is about to take, recorded before the file is published) → ``filed``. A second process waits for the lock,
then finds the document filed and does nothing. After a crash, whoever next holds the lock settles the intent
from the temporary file (``filing.settle``): published means finished (``filed``), never published means
rolled back (``waiting``, filed again by the next automatic round). An undo takes the file out of the import
folder and keeps the bytes that were there encrypted in the blob store (no clear copy anywhere); the document
can be filed again from there. ``replace_filed`` swaps a filed file for a newer version through the same path.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal

from core.clinical import ANALYSIS_RULES
from core.clinical.kinds import document_kind
from core.errors import BadInput, MissiveError, NotFound
from core.frozen import Frozen
from core.model import Candidate, ClinicalDocument, Decision, Identity, MatchResult, SetAside, Undone
from core.practice import filing
from core.text import T

log = logging.getLogger("missive.documents")

# "duplicate": the same bytes as a document already in the queue (``duplicate_of``): never filed nor reviewed
# "unreadable": a file a clinical reader claimed (its extension, MIME type or content) and then refused: waits for
# a person (À classer), never filed alone; "dealt": such a file a person marked dealt with (not filed)
State = Literal["waiting", "filing", "filed", "rejected", "duplicate", "unreadable", "dealt"]
_STATE_WORDS = {
    "waiting": "en attente",
    "filing": "en cours de classement",
    "filed": "classé",
    "rejected": "écarté",
    "duplicate": "doublon",
    "unreadable": "illisible",
    "dealt": "traité à la main",
}
# What waits for a person's decision: the status bar's count, À classer's upper list
PENDING_STATES = ("waiting", "unreadable")
# ``signer_revoked`` of a filed document whose letter's signer turned out revoked (before missive had the letter)
# after it was filed: "check" while a person has to check the practice software (it waits in À classer too),
# "checked" once marked dealt with (x, ``dealt_with``); the file itself is never taken out on its own
REVOKED_CHECK, REVOKED_CHECKED = "check", "checked"


def waits_for_a_person(d: Mapping[str, Any]) -> bool:
    """A stored document (the collection's dict) that À classer lists above the line and counts."""
    state = d.get("state")
    return state in PENDING_STATES or (state == "filed" and d.get("signer_revoked") == REVOKED_CHECK)


def _queue_row(key: str, d: Mapping[str, Any]) -> tuple[Any, ...]:
    """A document's row in the queue's index (``QUEUE_LAYOUT``): what the status bar counts and what finds a
    letter's documents, so that neither decrypts every shard of a queue that grows with the years. ``marks``:
    1 a critical result, 2 a filed document waiting for a check (its letter's signer turned out revoked), 4 a
    correction half applied (``replacement``: settled by ``recover``)."""
    marks = (
        (1 if d.get("critical") else 0)
        | (2 if d.get("signer_revoked") == REVOKED_CHECK else 0)
        | (4 if d.get("replacement") else 0)
    )
    try:
        ident = _from_doc(key, dict(d)).identity
        words = " ".join(w for w in (ident.family_name, ident.birth_name, *ident.given_names) if w)
    except (KeyError, TypeError, ValueError, AttributeError):  # a damaged record: still counted, found by no name
        words = ""
    return (
        str(d.get("state") or ""),
        marks,
        str(d.get("message_id") or ""),
        str(d.get("patient_id") or ""),
        str(d.get("added") or ""),
        words,
    )


def _queue_layout() -> Any:
    """The queue's index layout (core.store.listindex, imported when a real profile's queue is first counted)."""
    from core.store.listindex import ENUM, INT, TEXT, Column, Layout

    return Layout(
        name="queue",
        version=2,  # 2: the names the document gives its patient (the inbox's search)
        columns=(
            Column("state", ENUM),
            Column("marks", INT),
            Column("message_id", TEXT),
            Column("patient_id", TEXT),
            Column("added", TEXT),
            Column("words", TEXT),
        ),
        sort=(),
        project=_queue_row,
    )


# Files that could not be read and may still go into the practice software's import folder by hand: text
# reports and CDA (a zip refused by the XDM reader, or an XML declaring a DTD, is never put there)
_HAND_FILEABLE = frozenset({"hprim-net", "hprim-2", "hl7v2", "cda"})
# ... nor a file the reader refused as two files glued together: the second may be another patient's (the reader
# says "rien n'est classé d'après ce fichier"); filed as it is into one patient's folder, the practice software
# would import the other patient's results with it
NEVER_HAND_FILED = frozenset(
    {
        "clinical.cda.document-xml-declare-dtd",
        "clinical.cda.document-xml-plus-refuse",
        "clinical.hl7v2.ligne-non-segment",
        "clinical.hl7v2.messages-colles",
        "clinical.hprim2.ligne-non-enregistrement",
        "clinical.hprim2.apres-l",
        "clinical.hprim_net.autre-fichier",
        "clinical.hprim_net.sans-fin",
    }
)
FILED_FLAG = "$Filed"
COLLECTION = "documents"
# Content digests and lab requests -> documents (keys keyed by the profile: ``DocumentQueue._keyed``), inside the
# encrypted store: finds an earlier copy of a document, or an earlier version of a result, in one read.
KEYS_COLLECTION = "document_keys"
_KEYS_BUILT = "built"  # the marker of an index built over the documents queued before it existed
# 2: a content key names the patient the bytes were read for (_content_key); version 1's keys are not used
_KEYS_VERSION = 2
# Result statuses of the lab (HL7/HPRIM OBX-11, HPRIM Net RES field 9) that say the report is not complete yet
_PARTIAL_STATUSES = frozenset({"P", "R", "I", "S"})


@dataclass(frozen=True, repr=False, eq=False)
class QueuedDocument(Frozen):
    """One document of the queue. ``identity``, ``title`` and ``date`` are health data: show, never log."""

    id: str
    message_id: str
    attachment: str
    format: str
    identity: Identity
    decision: Decision  # the matcher's: auto, review, new (an undone filing goes back to review)
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
    quarantine_path: str | None = None  # profiles before 0.x kept undone files in clear here (migrated)
    added: str = ""
    store_ids: tuple[str, ...] = ()  # the message in the local store (``core.mail.messages`` ids)
    intent: dict[str, Any] | None = None  # while ``filing``: temp, target, patient_id, at
    quarantine_blob: str | None = None  # after an undo: the bytes that were in the import folder, encrypted
    replacement: dict[str, Any] | None = (
        None  # a newer version on its way in (``replace_filed``): blob, format
    )
    entry_id: str = ""  # XDS DocumentEntry id (XDM packages): what a later correction names
    replaces: str = ""  # the entry id this document corrects ("annule et remplace", RPLC)
    replaced_by: str | None = None  # the queued document that replaced this one
    applied_to: str | None = None  # a correction applied to that (filed) document instead of being filed
    previous_blob: str | None = None  # after a replacement: the first version's bytes (undo restores them)
    kind: str = ""  # biologie, imagerie, anatomopathologie, courrier, document (core.clinical.kinds)
    envelope: Identity | None = None  # another patient named by its container (HL7 PID, XDM): never auto
    envelope_from: str = ""  # "hl7v2", "hl7v2-carried", "xdm" or "cda" (a second recordTarget)
    rules: int = ANALYSIS_RULES  # the abnormal/critical rules ``abnormal`` and ``critical`` were counted by
    duplicate_of: str | None = None  # the document of the queue with the same bytes (state ``duplicate``)
    version_of: str | None = None  # an earlier document for the same lab request, with other bytes
    order_key: str = ""  # that request, keyed by the profile (``DocumentQueue._keyed``): never the number itself
    status: str = ""  # partial, final or correction, as its results say ('' when they do not)
    # state "unreadable" (and after it): the reader's refusal as a code (``clinical.hl7v2.ligne-non-segment``);
    # its sentence (no health data, as every error's) is ``unreadable_text`` (``Text.to_json``), shown, never logged
    unreadable: str = ""
    unreadable_text: dict[str, Any] | None = None
    # filed, then its letter's signer found revoked (REVOKED_CHECK: a person checks the practice software;
    # REVOKED_CHECKED: done); '' otherwise
    signer_revoked: str = ""
    # state "filed": "auto" (the matcher's decision, filed by missive) or "hand" (a person chose); '' for a filing
    # recorded by an older version or finished after a crash without knowing (its decision then tells)
    filed_by: str = ""

    @property
    def revoked_check(self) -> bool:
        """Filed from a letter whose signer turned out revoked, not yet checked by a person."""
        return self.state == "filed" and self.signer_revoked == REVOKED_CHECK

    @property
    def hand_fileable(self) -> bool:
        """An unreadable file a person may still file by hand into a patient's folder (its raw bytes)."""
        return (
            not self.unreadable or self.format in _HAND_FILEABLE and self.unreadable not in NEVER_HAND_FILED
        )

    @property
    def match(self) -> MatchResult:
        return MatchResult(self.decision, self.patient_id if self.decision == "auto" else None, self.candidates)

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
            # the file taken back out of the import folder (undo, a correction's withdrawal) is kept, encrypted in
            # the profile: not « quarantined », which messages list --json says of a letter from outside the trust
            # space (the key was named so before 2026-12; the README never documented it)
            "withdrawn_copy_kept": self.quarantine_blob is not None,
            "replaced_by": self.replaced_by,
            "applied_to": self.applied_to,
            "kind": self.kind,
            "duplicate_of": self.duplicate_of,
            "version_of": self.version_of,
            "status": self.status,
            "unreadable": self.unreadable or None,
            "signer_revoked": self.signer_revoked or None,
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
        store_ids=tuple(d.get("store_ids", ())),
        intent=dict(d["intent"]) if isinstance(d.get("intent"), dict) else None,
        quarantine_blob=d.get("quarantine_blob"),
        replacement=dict(d["replacement"]) if isinstance(d.get("replacement"), dict) else None,
        entry_id=d.get("entry_id", ""),
        replaces=d.get("replaces", ""),
        replaced_by=d.get("replaced_by"),
        applied_to=d.get("applied_to"),
        previous_blob=d.get("previous_blob"),
        kind=d.get("kind", ""),
        envelope=_identity_from_doc(d["envelope"]) if isinstance(d.get("envelope"), dict) else None,
        envelope_from=d.get("envelope_from", ""),
        rules=int(d.get("rules", 1)),
        duplicate_of=d.get("duplicate_of"),
        version_of=d.get("version_of"),
        order_key=d.get("order_key", ""),
        status=d.get("status", ""),
        unreadable=d.get("unreadable", ""),
        unreadable_text=dict(d["unreadable_text"]) if isinstance(d.get("unreadable_text"), dict) else None,
        signer_revoked=str(d.get("signer_revoked") or ""),
        filed_by=str(d.get("filed_by") or ""),
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
        "store_ids": list(q.store_ids),
        "intent": q.intent,
        "quarantine_blob": q.quarantine_blob,
        "replacement": q.replacement,
        "entry_id": q.entry_id,
        "replaces": q.replaces,
        "replaced_by": q.replaced_by,
        "applied_to": q.applied_to,
        "previous_blob": q.previous_blob,
        "kind": q.kind,
        "envelope": _identity_to_doc(q.envelope) if q.envelope is not None else None,
        "envelope_from": q.envelope_from,
        "rules": q.rules,
        "duplicate_of": q.duplicate_of,
        "version_of": q.version_of,
        "order_key": q.order_key,
        "status": q.status,
        "unreadable": q.unreadable,
        "unreadable_text": q.unreadable_text,
        "signer_revoked": q.signer_revoked,
        "filed_by": q.filed_by,
    }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _filed_by(actor: str | None) -> str:
    """How a filing by ``actor`` is said: "auto" (missive filed the matcher's decision) or "hand"."""
    return "auto" if actor == "auto" else "hand"


def filed_automatically(queued: QueuedDocument) -> bool:
    """Whether a filed document was filed by missive on the matcher's decision, not chosen by a person: what
    its record says, else (a filing recorded by an older version) its decision."""
    return queued.filed_by == "auto" if queued.filed_by else queued.decision == "auto"


def filed_note(automatic: bool, filed_at: dt.datetime | None, patient_id: str | None, file: str) -> str:
    """Of a filed document: how (automatically or by hand), when (local time), for which patient id and under
    which file name of the import folder, and that undoing takes the file out, in the core's words. Ids and a
    file name only: shown on screen, never logged."""
    when = filed_at.astimezone().strftime("%d/%m/%Y %H:%M") if filed_at is not None else "?"
    key = "clinical.documents.classe-auto" if automatic else "clinical.documents.classe-main"
    return str(T(key, when=when, patient=patient_id or "?", file=file or "?"))


def _settings_section(profile: Any) -> dict[str, Any]:
    settings = getattr(profile, "settings", None)
    section = getattr(settings, "filing", None)
    if section is None:
        return {}
    if is_dataclass(section) and not isinstance(section, type):
        return asdict(section)
    return dict(section)


def _auto_ready(seen: QueuedDocument) -> bool:
    """A document ``auto_file`` files: waiting (or being filed), decided ``auto``, with its patient."""
    return seen.state in ("waiting", "filing") and seen.decision == "auto" and bool(seen.patient_id)


class DocumentQueue:
    """Documents from mail waiting to be filed, filed, or rejected; filing goes through ``filing.py``.

    ``profile`` provides ``collection(name)``, ``blobs``, ``audit``, ``path`` (and ``settings``; ``db.lock``,
    the profile's inter-process lock, and ``vault`` when it is a real profile).
    ``filing_settings`` is the ``[filing]`` section as a plain dict (default: the profile's settings).
    ``mark_filed(message_id, filed)`` sets or clears ``$Filed`` on the message (default: the profile's
    message store, which pushes the keyword to the IMAP server at the next sync).
    ``patient_exists(patient_id)`` raises NotFound for an unknown patient (default: the profile's patients).
    ``match_again(identity)`` is the matcher over the patient list as it is now, None while there is no list
    (default: the profile's patients, indexed in memory): ``auto_file`` asks it again before filing a decision
    taken earlier.
    """

    def __init__(
        self,
        profile: Any,
        filing_settings: Mapping[str, Any] | None = None,
        *,
        mark_filed: Callable[[str, bool], None] | None = None,
        patient_exists: Callable[[str], Any] | None = None,
        match_again: Callable[[Identity], MatchResult | None] | None = None,
        quarantine_dir: Path | None = None,
        lock: Any = None,
    ) -> None:
        self.profile = profile
        self.docs = profile.collection(COLLECTION)
        self.keys = profile.collection(KEYS_COLLECTION)
        self.blobs = profile.blobs
        self.audit = profile.audit
        section = dict(filing_settings) if filing_settings is not None else _settings_section(profile)
        self.filing = filing.FilingProfile.from_settings(section)
        self._mark_filed = mark_filed
        self._patient_exists = patient_exists
        self._match_again = match_again
        # where profiles before encrypted quarantine kept undone files in clear (emptied on first use)
        self.quarantine_dir = quarantine_dir or Path(profile.path) / "quarantine"
        db = getattr(profile, "db", None)
        self._lock = lock if lock is not None else getattr(db, "lock", None) or threading.RLock()
        vault = getattr(profile, "vault", None)
        self._vault = vault
        # tells this profile's temporary files from another desk's in a shared import folder
        self.desk = vault.keyed_name("filing-desk")[:8] if vault is not None else "local"
        self._index: Any = None  # core.store.listindex.ListIndex of the queue (a real profile's collection)
        self._migrate_quarantine()

    @contextlib.contextmanager
    def _held(self) -> Iterator[None]:
        """The profile's lock: every state change of a filing happens under it, in every process."""
        held = getattr(self._lock, "held", None)
        if held is not None:
            with held():
                yield
        else:
            with self._lock:
                yield

    # ------------------------------------------------------------------ reading
    def get(self, doc_id: str) -> QueuedDocument:
        doc = self.docs.get(doc_id) if isinstance(doc_id, str) else None
        if doc is None:
            raise NotFound(T("clinical.documents.aucun-document-voir-missive", doc_id=str(doc_id)[:40]))
        return _from_doc(doc_id, doc)

    def list(self, states: tuple[str, ...] | None = None) -> list[QueuedDocument]:
        """Documents, oldest first, optionally only those in ``states`` (an interrupted filing settled first)."""
        found = self.docs.find(lambda d: states is None or d.get("state") in (*states, "filing"))
        if any(d.get("state") == "filing" or d.get("replacement") for _, d in found):
            self.recover()
            found = self.docs.find(lambda d: states is None or d.get("state") in states)
        out = [_from_doc(k, d) for k, d in found if states is None or d.get("state") in states]
        out.sort(key=lambda q: (q.added, q.id))
        return out

    def pending(self) -> builtins.list[QueuedDocument]:
        """Documents waiting for a person's decision: critical results first, then by arrival."""
        return sorted(self.list(("waiting",)), key=lambda q: q.critical == 0)

    def _table(self) -> Any:
        """The queue's index, in step with the shards on disk now (one ``stat`` a shard, only the shards written
        since read again, whichever process wrote them); None for a collection in memory (tests)."""
        if self._index is None:
            if not hasattr(self.docs, "shard_stamps"):
                return None
            from core.store.listindex import ListIndex

            self._index = ListIndex(self.docs, _queue_layout())
        return self._index.table()

    def _where(self, wanted: Callable[[str, bool, bool], bool], keys: bool) -> tuple[int, builtins.list[str]] | None:
        """How many documents have a (state, critical, revoked check) that ``wanted`` accepts, and their keys if
        ``keys``, from one snapshot of the index; None without an index. ``wanted`` is asked once per distinct
        triple (a handful), and the rows are tallied in C: 20,000 documents in a few milliseconds."""
        table = self._table()
        if table is None:
            return None
        from collections import Counter

        states = table.enum_values("state")
        pairs = list(zip(table.codes("state"), table.ints("marks"), strict=True))
        tally = Counter(pairs)
        accepted = {p for p in tally if wanted(states[p[0]], bool(p[1] & 1), bool(p[1] & 2))}
        count = sum(tally[p] for p in accepted)
        if not keys or not count:
            return count, []
        return count, [table.key(i) for i, p in enumerate(pairs) if p in accepted]

    def of_message(self, message_id: str) -> builtins.list[QueuedDocument]:
        """The documents of the letter with Message-ID ``message_id``, oldest first: ``list()``'s, that letter's
        only (opening a letter reads the shards holding its documents, not the whole queue)."""
        table = self._table()
        if table is None or not message_id:
            return [q for q in self.list() if q.message_id == message_id]
        ids = table.texts("message_id").all()
        keys = [table.key(i) for i, text in enumerate(ids) if text == message_id]
        found = self.docs.get_many(keys)
        if any(d.get("state") == "filing" or d.get("replacement") for d in found.values()):
            return [q for q in self.list() if q.message_id == message_id]  # an interrupted filing settled first
        out = [q for q in (_from_doc(k, d) for k, d in found.items()) if q.message_id == message_id]
        out.sort(key=lambda q: (q.added, q.id))
        return out

    def filed_to(self) -> builtins.list[tuple[str, str]]:
        """(Message-ID, patient id) of each filed document, oldest first: ``filed()``'s, from the queue's index
        (the inbox's column names them at each refresh; no document is decrypted when nothing changed)."""
        table = self._table()
        if table is not None:
            states = table.enum_values("state")
            codes, marks = table.codes("state"), table.ints("marks")
            if "filing" in states or any(m & 4 for m in marks):
                table = None  # an interrupted filing: settled first, as filed() does
        if table is None:
            return [(q.message_id, q.patient_id or "") for q in self.filed()]
        filed = states.index("filed") if "filed" in states else -1
        rows = [i for i, code in enumerate(codes) if code == filed]
        ids, patients, added = (table.texts(n) for n in ("message_id", "patient_id", "added"))
        rows.sort(key=lambda i: (added.get(i), table.key(i)))
        return [(ids.get(i), patients.get(i)) for i in rows]

    def named_in(self) -> builtins.list[tuple[str, str, str]] | None:
        """(Message-ID, patient id or '', the names the document gives its patient) of every document of a
        letter, oldest first (``list()``'s order), from the queue's index; None without an index or while a
        filing is interrupted (then ``list()`` settles it)."""
        table = self._table()
        if table is None:
            return None
        states = table.enum_values("state")
        if "filing" in states or any(m & 4 for m in table.ints("marks")):
            return None
        ids, patients, added, words = (table.texts(n).all() for n in ("message_id", "patient_id", "added", "words"))
        keys = table.keys.all()
        rows = sorted(range(len(keys)), key=lambda i: (added[i], keys[i]))
        return [(ids[i], patients[i], words[i]) for i in rows if ids[i]]

    def critical_count(self) -> int:
        """How many waiting documents hold a critical result (the status bar's count)."""
        found = self._where(lambda state, critical, _revoked: state == "waiting" and critical, keys=False)
        if found is None:
            return len(self.docs.find(lambda d: d.get("state") == "waiting" and d.get("critical")))
        return found[0]

    def filed(self) -> builtins.list[QueuedDocument]:
        return self.list(("filed",))

    def revoked_checks(self) -> frozenset[str]:
        """The ids of the filed documents waiting for a person's check because their letter's signer turned out
        revoked (``revoked_check``): what an app compares to tell such news once, whichever process found them."""
        found = self._where(lambda state, _critical, revoked: state == "filed" and revoked, keys=True)
        if found is None:
            return frozenset(
                k
                for k, _ in self.docs.find(lambda d: d.get("state") == "filed" and d.get("signer_revoked") == REVOKED_CHECK)
            )
        return frozenset(found[1])

    def pending_count(self) -> int:
        """Documents waiting for a person: to be classed, files that could not be read, and filed documents whose
        letter's signer turned out revoked (to be checked in the practice software)."""
        found = self._where(
            lambda state, _critical, revoked: state in PENDING_STATES or (state == "filed" and revoked), keys=False
        )
        return len(self.docs.find(waits_for_a_person)) if found is None else found[0]

    def raw(self, doc_id: str) -> bytes:
        """The bytes that will be (or were) filed: the document exactly as the sender wrote it."""
        return self.blobs.get(self.get(doc_id).blob_id)

    def quarantined(self, doc_id: str) -> bytes:
        """What an undo took out of the import folder (kept encrypted in the blob store)."""
        queued = self.get(doc_id)
        if not queued.quarantine_blob:
            raise NotFound(T("clinical.documents.document-classement-annule", doc_id=doc_id))
        return self.blobs.get(queued.quarantine_blob)

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
        store_id: str | None = None,
    ) -> QueuedDocument:
        """Queue one document read from a message; adding the same one twice returns the first.

        ``store_id``: the message's id in the local store, where ``$Filed`` is set (a message met again in
        another folder adds its id to the document's).
        """
        if document.format == "pdf" and match.decision == "auto":
            # a bare PDF's identity is what it prints, read by patterns: candidates, never a filing alone
            match = MatchResult("review", None, match.candidates)
        if document.envelope is not None and match.decision == "auto":
            # its container names another patient: a person decides, both identities in front of them
            match = MatchResult("review", None, match.candidates)
        data = raw if raw is not None else document.raw
        if not data:
            raise BadInput(
                T("clinical.documents.document-message-vide-rien", index=index, value=message_id or "?")
            )
        digest = hashlib.sha256(data).hexdigest()
        key_source = f"{message_id}\0{attachment}\0{index}\0{digest}".encode()
        doc_id = "d-" + hashlib.sha256(key_source).hexdigest()[:16]
        content_key = self._content_key(digest, document.identity, document.envelope)
        order_key = self._order_key(document)
        with self._held():  # two processes syncing the same message: the second finds the first's document
            existing = self.docs.get(doc_id)
            patient = f"{_who(document.identity)}\0{_who(document.envelope)}"
            if existing is not None and patient != _recorded_patient(existing):
                # the same bytes at the same place of another letter with the same Message-ID (none: 'unknown')
                # for another patient (a leaflet in two patients' XDM packages): another document, not this one
                doc_id = "d-" + hashlib.sha256(key_source + b"\0" + patient.encode()).hexdigest()[:16]
                existing = self.docs.get(doc_id)
            if existing is not None:
                found = _from_doc(doc_id, existing)
                if store_id and store_id not in found.store_ids:
                    found = replace(found, store_ids=(*found.store_ids, store_id))
                    self.docs.put(doc_id, _to_doc(found))
                return found
            self._ensure_keys()
            # The same bytes in another letter (sent again, forwarded, to two addresses of the practice): the
            # first copy stands for it, whatever became of it (filed, waiting, undone, set aside).
            original = self._original(content_key)
            # ... except a first copy a person set aside (rejected: its sender, its letter in Quarantaine, was
            # judged, nothing of it is in the record; the copy waits for a person) and one never filed, waiting for a person, that this copy,
            # from a sender the policy trusts, would file alone (the first came from outside the trust space or
            # failed its signature): the lab's own copy then stands, never parked behind the doubtful one. (A
            # filing undone is a person's decision: its copies stay duplicates.)
            taken_over = None
            if original is not None and (
                original.state == "rejected"
                or (
                    original.state == "waiting"
                    and original.decision != "auto"
                    and original.quarantine_blob is None
                    and match.decision == "auto"
                )
            ):
                taken_over, original = original, None
                if taken_over.state == "rejected" and match.decision == "auto":
                    # a person set these bytes aside once (perhaps after undoing their filing): a person decides
                    match = MatchResult("review", None, match.candidates)
            if original is not None:
                return self._add_duplicate(
                    doc_id, original, document, match, data, message_id, attachment, store_id, order_key
                )
            skip = taken_over.id if taken_over is not None else ""
            earlier = self._latest_version(order_key, skip) if order_key else None
            # the index first: a crash before the document's record leaves a key naming no document (skipped)
            keys: dict[str, dict[str, Any]] = {f"c-{content_key}": {"doc": doc_id}}
            if order_key:
                versions = [d for d in (self.keys.get(f"o-{order_key}") or {}).get("docs", ()) if d != doc_id]
                keys[f"o-{order_key}"] = {"docs": [*versions, doc_id]}
            self.keys.put_many(keys)
            blob_id = self.blobs.put(data)
            queued = _queued(
                doc_id,
                document,
                match,
                message_id=message_id,
                attachment=attachment,
                blob_id=blob_id,
                store_id=store_id,
                order_key=order_key,
                patient_id=match.patient_id if match.decision == "auto" else None,
                state="waiting",
                version_of=earlier.id if earlier is not None else None,
            )
            if document.envelope is not None:
                log.warning("document %s: its container names another patient; held for review", doc_id)
            extra = {"version_of": earlier.id} if earlier is not None else {}
            if earlier is not None:
                log.info("document %s: a new version of the result of %s (other bytes); queued", doc_id, earlier.id)
            if taken_over is not None:
                extra["copy_of"] = taken_over.id
            recorded = self._record(queued, "document", None, message=message_id, decision=match.decision, **extra)
            if taken_over is not None and taken_over.state == "waiting":
                # the doubtful copy waiting for a person is now this one's duplicate: one document to decide
                log.info("document %s: the same bytes as %s, which now stands for it", taken_over.id, doc_id)
                self._record(
                    replace(taken_over, state="duplicate", duplicate_of=doc_id),
                    "duplicate",
                    "auto",
                    message=taken_over.message_id,
                    original=doc_id,
                    original_state="waiting",
                )
            return recorded

    def add_unreadable(
        self,
        data: bytes,
        format: str,
        refusal: MissiveError,
        *,
        message_id: str = "",
        attachment: str = "",
        index: int = 0,
        store_id: str | None = None,
    ) -> QueuedDocument:
        """Queue a file a clinical reader claimed (``format``) and then refused (``refusal``), for a person: state
        ``unreadable``, never filed alone; its bytes kept encrypted. The same file again (the same message synced
        twice: the first; another letter: its duplicate) is one entry. Audited, logged with ids and the code."""
        digest = hashlib.sha256(data).hexdigest()
        key_source = f"{message_id}\0{attachment}\0{index}\0{digest}\0unreadable"
        doc_id = "d-" + hashlib.sha256(key_source.encode()).hexdigest()[:16]
        key = "u-" + self._keyed(f"document-unreadable\0{digest}")
        code = refusal.text.code
        with self._held():
            existing = self.docs.get(doc_id)
            if existing is not None:
                found = _from_doc(doc_id, existing)
                if store_id and store_id not in found.store_ids:
                    found = replace(found, store_ids=(*found.store_ids, store_id))
                    self.docs.put(doc_id, _to_doc(found))
                return found
            first = str((self.keys.get(key) or {}).get("doc") or "")
            entry = self.docs.get(first) if first else None
            original = _from_doc(first, entry) if entry is not None else None
            if original is None:
                self.keys.put(key, {"doc": doc_id})  # the index first: a key naming no document is skipped
            queued = QueuedDocument(
                id=doc_id,
                message_id=message_id,
                attachment=attachment,
                format=format,
                identity=Identity(),
                decision="review",
                candidates=(),
                patient_id=None,
                state="unreadable" if original is None else "duplicate",
                blob_id=self.blobs.put(data),
                added=_now(),
                store_ids=(store_id,) if store_id else (),
                duplicate_of=original.id if original is not None else None,
                unreadable=code,
                unreadable_text=_without_name(refusal.text.to_json(), attachment),
            )
            if original is not None:
                log.info("document %s: the same unreadable file as %s (%s); not queued again", doc_id, original.id, original.state)
                return self._record(
                    queued, "duplicate", None, message=message_id, original=original.id, original_state=original.state
                )
            log.warning("message %s: a %s file could not be read (%s); queued as %s for a person", message_id[:40], format, code, doc_id)
            return self._record(queued, "unreadable", None, message=message_id, reason=code, format=format)

    def unreadable_note(self, queued: QueuedDocument) -> str:
        """What the screen says of a file that could not be read: its format and the reader's refusal, in the
        core's words; '' for any other document."""
        if not queued.unreadable:
            return ""
        from core.text import Text

        reason = str(Text.from_json(queued.unreadable_text)) if queued.unreadable_text else queued.unreadable
        kind = str(T(f"clinical.documents.format-{queued.format}")) if queued.format else "?"
        return str(T("clinical.documents.illisible", format=kind, reason=reason))

    def revoked_note(self, queued: QueuedDocument) -> str:
        """Of a filed document whose letter's signer turned out revoked: what was filed where (the patient's id
        and the file's name in the import folder) and what to check, in the core's words; '' otherwise."""
        if queued.signer_revoked != REVOKED_CHECK or queued.state != "filed":
            return ""
        name = Path(queued.filed_path or "").name or "?"
        return str(T("clinical.documents.signataire-revoque", patient=queued.patient_id or "?", file=name))

    def signer_revoked_found(self, store_id: str, header_id: str) -> tuple[builtins.list[QueuedDocument], int]:
        """The letter ``store_id`` (Message-ID ``header_id``) turned out signed by a certificate revoked before
        missive had it: each of its documents already filed (automatically or by hand) waits for a person to
        check the practice software (``signer_revoked``: check), once: one flagged already is left as it is. Its
        file stays where it is (the practice software has imported it already). A document of it still waiting
        to be filed automatically now waits for a person's decision instead. Audited (``signer-revoked``, by
        "auto"). (The documents flagged now, how many automatic decisions were withdrawn.)"""
        header_id = " ".join(header_id.split())

        def of_letter(d: Mapping[str, Any]) -> bool:
            if d.get("state") not in ("filed", "waiting", "filing"):
                return False
            if store_id and store_id in (d.get("store_ids") or ()):
                return True
            return bool(header_id) and header_id != "unknown" and d.get("message_id") == header_id

        flagged: list[QueuedDocument] = []
        withdrawn = 0
        with self._held():
            for key, doc in self.docs.find(of_letter):
                queued = self._settle(_from_doc(key, doc))
                if queued.state == "filed" and not queued.signer_revoked:
                    updated = replace(queued, signer_revoked=REVOKED_CHECK)
                    self._record(
                        updated, "signer-revoked", "auto", message=queued.message_id, patient=queued.patient_id,
                        file=Path(queued.filed_path or "").name,
                    )  # fmt: skip
                    flagged.append(updated)
                elif queued.state == "waiting" and queued.decision == "auto":
                    self._record(replace(queued, decision="review"), "signer-revoked", "auto", message=queued.message_id)
                    withdrawn += 1
        if flagged or withdrawn:
            log.warning(
                "documents of a letter whose signer is revoked: %d filed to check, %d no longer filed automatically",
                len(flagged),
                withdrawn,
            )
        return flagged, withdrawn

    # ------------------------------------------------------------------ duplicates and versions
    def _keyed(self, text: str) -> str:
        """A key that reveals nothing of ``text`` without the profile's key (HMAC-SHA256); a profile without a
        vault (the tests' in-memory one) takes a plain hash."""
        if self._vault is not None:
            return str(self._vault.keyed_name(text))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def _order_key(self, document: ClinicalDocument) -> str:
        """The key of the lab request a document answers, for its patient (a request number two patients share,
        in two groups of one HL7 message, makes no versions of each other); '' when the document names none."""
        if not document.order:
            return ""
        from core.model import folded

        ident = document.identity
        born = ident.birth_date.isoformat() if ident.birth_date else ""
        who = " ".join(folded(ident.family_name).split())
        return self._keyed(f"document-order\0{document.format}\0{document.order}\0{who}\0{born}")

    def _content_key(
        self, digest: str, identity: Identity | None = None, envelope: Identity | None = None
    ) -> str:
        """The key of a document's bytes (``digest``: their SHA-256) for the patient they were read for, as the
        index keeps it. The same bytes for two patients are two documents: a file whose patient is said beside
        it, not inside (a leaflet in two patients' XDM packages, which name each one's patient), is each one's."""
        return self._keyed(f"document-content\0{digest}\0{_who(identity)}\0{_who(envelope)}")

    def _original(self, content_key: str) -> QueuedDocument | None:
        """The document of the queue with these bytes, if any (never a duplicate: they name their original)."""
        entry = self.keys.get(f"c-{content_key}")
        doc_id = str((entry or {}).get("doc") or "")
        doc = self.docs.get(doc_id) if doc_id else None
        if doc is None:
            return None  # none, or a key a crash left before its document's record
        found = _from_doc(doc_id, doc)
        if found.state == "duplicate" and found.duplicate_of:
            doc = self.docs.get(found.duplicate_of)
            return _from_doc(found.duplicate_of, doc) if doc is not None else None
        return found

    def _latest_version(self, order_key: str, skip: str = "") -> QueuedDocument | None:
        """The last document queued for this lab request (not a duplicate, nor ``skip``: a copy of the same
        bytes this one stands in for)."""
        for doc_id in reversed(list((self.keys.get(f"o-{order_key}") or {}).get("docs", ()))):
            if doc_id == skip:
                continue
            doc = self.docs.get(str(doc_id))
            if doc is not None and doc.get("state") != "duplicate":
                return _from_doc(str(doc_id), doc)
        return None

    def _add_duplicate(
        self,
        doc_id: str,
        original: QueuedDocument,
        document: ClinicalDocument,
        match: MatchResult,
        data: bytes,
        message_id: str,
        attachment: str,
        store_id: str | None,
        order_key: str,
    ) -> QueuedDocument:
        """Record a copy of ``original`` met in another letter: set aside at once as its duplicate (not filed,
        not reviewed), its own bytes kept (encrypted) as for any document, audited. The caller holds the lock."""
        queued = _queued(
            doc_id,
            document,
            match,
            message_id=message_id,
            attachment=attachment,
            blob_id=self.blobs.put(data),
            store_id=store_id,
            order_key=order_key,
            patient_id=None,
            state="duplicate",
            duplicate_of=original.id,
        )
        log.info("document %s: the same bytes as %s (%s); not queued again", doc_id, original.id, original.state)
        return self._record(
            queued, "duplicate", None, message=message_id, original=original.id, original_state=original.state
        )

    def _ensure_keys(self) -> None:
        """Index the documents queued before the index existed (once per profile; the caller holds the lock):
        their bytes' keys, oldest first, so that a copy of one of them is known as its duplicate."""
        if (self.keys.get(_KEYS_BUILT) or {}).get("version") == _KEYS_VERSION:
            return
        found = sorted(self.docs.items(), key=lambda kv: (str(kv[1].get("added", "")), kv[0]))
        entries: dict[str, dict[str, Any]] = {}
        for doc_id, doc in found:
            if doc.get("state") == "duplicate" or doc.get("unreadable"):  # (an unreadable file: its own key)
                continue
            blob = self._blob_or_none(str(doc.get("blob_id", "")))
            if blob is None:
                continue
            identity = _identity_from_doc(doc["identity"]) if isinstance(doc.get("identity"), dict) else None
            envelope = _identity_from_doc(doc["envelope"]) if isinstance(doc.get("envelope"), dict) else None
            key = f"c-{self._content_key(hashlib.sha256(blob).hexdigest(), identity, envelope)}"
            if key not in entries and self.keys.get(key) is None:
                entries[key] = {"doc": doc_id}
        if entries:
            self.keys.put_many(entries)
        self.keys.put(_KEYS_BUILT, {"version": _KEYS_VERSION})
        if found:
            log.info("document index built over %d documents", len(found))

    def duplicate_note(self, queued: QueuedDocument) -> str:
        """What the screen says of a duplicate: the document it copies and where that one stands (filed where,
        waiting, set aside), in the core's words; '' for any other document."""
        if queued.state != "duplicate" or not queued.duplicate_of:
            return ""
        try:
            original = self.get(queued.duplicate_of)
        except NotFound:
            return str(T("clinical.documents.doublon-de", original=queued.duplicate_of))
        if original.state == "filed" and original.filed_path:
            return str(
                T(
                    "clinical.documents.doublon-de-classe",
                    original=original.id,
                    patient=original.patient_id or "?",
                    file=Path(original.filed_path).name,
                )
            )
        state = str(T(f"clinical.documents.etat-{original.state}"))
        return str(T("clinical.documents.doublon-de-etat", original=original.id, state=state))

    def version_note(self, queued: QueuedDocument) -> str:
        """What the screen says of a new version of a result: the earlier document it completes, corrects or
        follows (its results' statuses say which), in the core's words; '' when none is known."""
        if not queued.version_of:
            return ""
        try:
            earlier = self.get(queued.version_of)
        except NotFound:
            earlier = None
        if queued.status == "correction":
            code = "clinical.documents.version-corrige"
        elif queued.status == "final" and earlier is not None and earlier.status == "partial":
            code = "clinical.documents.version-complete"
        else:
            code = "clinical.documents.version-remplace"
        return str(T(code, earlier=queued.version_of))

    def ingest(
        self, document: ClinicalDocument, match: MatchResult, *, mark: bool = True, **origin: Any
    ) -> QueuedDocument:
        """``add`` (same keywords), then file an ``auto`` decision at once when automatic filing is set.

        ``mark=False``: leave ``$Filed`` to the caller (the sync hook: the message is not stored yet).
        """
        queued = self.add(document, match, **origin)
        if queued.state == "duplicate":
            return queued  # its original was (or will be) filed, reviewed or set aside: nothing more to do
        if queued.replaces and queued.state == "waiting" and not queued.applied_to and queued.envelope is None:
            # (a correction whose container names another patient replaces nothing on its own: it waits)
            applied = self.apply_replacement(queued.id, actor="auto")
            if applied.applied_to:
                return applied
        filed = self.auto_file(queued.id, mark=mark)
        return filed[0] if filed else self.get(queued.id)

    def apply_replacement(self, doc_id: str, actor: str | None = None) -> QueuedDocument:
        """A correction ("annule et remplace", XDS RPLC) received for a document of the queue: a filed
        original has its file replaced by the correction through the same exactly-once, undoable path
        (``replace_filed``; undo brings the first version back), and the correction is marked applied; an
        original still waiting is set aside as replaced and the correction waits in its place. Audited."""
        new = self.get(doc_id)
        if not new.replaces:
            return new
        with self._held():
            found = [
                _from_doc(k, d)
                for k, d in self.docs.find(lambda d: d.get("entry_id") == new.replaces)
                if k != new.id
            ]
            old = next((q for q in found if q.state == "filed"), None) or next(
                (q for q in found if q.state == "waiting"), None
            )
            if old is None:
                return new  # the original never reached us: the correction is an ordinary document
            from core.clinical.matching import name_two_patients

            if name_two_patients(new.identity, old.identity):
                # a correction naming another patient than the document it replaces (a document first sent
                # under the wrong patient, an entry id reused): the filed file stays; a person decides
                log.warning("document %s: its correction %s names another patient; held for review", old.id, new.id)
                held = replace(new, decision="review", patient_id=None)
                return self._record(held, "correction-held", actor, target=old.id)
            if old.state == "waiting":
                self._record(replace(old, state="rejected", replaced_by=new.id), "replaced", actor, by=new.id)
                log.info("document %s replaced by %s before it was filed", old.id, new.id)
                return new
            first = old.blob_id  # the version in the import folder now (its bytes as filed)
            updated = self.replace_filed(old.id, self.blobs.get(new.blob_id), actor, format=new.format)
            updated = replace(
                self.get(old.id), previous_blob=updated.quarantine_blob or first, replaced_by=new.id
            )
            self.docs.put(old.id, _to_doc(updated))
            applied = replace(new, state="rejected", applied_to=old.id, decision="review")
            self._record(applied, "replacement", actor, target=old.id)
        log.info("document %s: filed file replaced by the correction %s", old.id, new.id)
        return applied

    def refresh_analyses(self) -> dict[str, tuple[bool, bool]]:
        """Count again, from their stored copies and with today's rules, the abnormal and critical results of
        the documents analysed under older ones (``ANALYSIS_RULES``); no network. Returns, for each stored
        message (``store_ids``) one of whose documents changed: (abnormal, critical) over all its documents."""
        from core.clinical.readers import read_document

        stale = self.docs.find(lambda d: int(d.get("rules", 1)) < ANALYSIS_RULES)
        if not stale:
            return {}
        touched: set[str] = set()
        counted: dict[str, tuple[int, int]] = {}
        for key, doc in stale:
            counts = (int(doc.get("abnormal", 0)), int(doc.get("critical", 0)))
            try:
                documents = read_document(self.blobs.get(doc.get("blob_id", "")), doc.get("attachment", "")).documents
                if len(documents) == 1:
                    (document,) = documents
                    counts = (sum(1 for o in document.observations if o.abnormal), document.critical)
            except Exception as exc:  # noqa: BLE001 - one copy that cannot be read keeps what it said
                log.info("document %s not analysed again (%s)", key, type(exc).__name__)
            if counts != (int(doc.get("abnormal", 0)), int(doc.get("critical", 0))):
                touched.update(doc.get("store_ids") or ())
            counted[key] = counts
        with self._held():  # only the counts change: what another process did meanwhile (a filing) stays
            current = self.docs.get_many(counted)
            self.docs.put_many(
                {
                    key: {**doc, "abnormal": counted[key][0], "critical": counted[key][1], "rules": ANALYSIS_RULES}
                    for key, doc in current.items()
                }
            )
        log.info("%d documents analysed again with today's rules (%d messages changed)", len(counted), len(touched))
        if not touched:
            return {}
        out: dict[str, tuple[bool, bool]] = {}
        for _key, doc in self.docs.find(lambda d: bool(set(d.get("store_ids") or ()) & touched)):
            for store_id in set(doc.get("store_ids") or ()) & touched:
                abnormal, critical = out.get(store_id, (False, False))
                out[store_id] = (abnormal or int(doc.get("abnormal", 0)) > 0, critical or int(doc.get("critical", 0)) > 0)
        return out

    def ingest_message(
        self,
        message_id: str,
        attachments: Iterable[tuple[str, str, bytes]],
        match: Callable[[Identity], MatchResult],
        *,
        store_id: str | None = None,
        mark: bool = True,
    ) -> builtins.list[QueuedDocument]:
        """Read each clinical attachment ``(file name, content type, bytes)`` of a message, match and queue
        every document in it (``auto`` ones are filed at once). What the sync hook of the façade calls, with
        the message's ``store_id`` and ``mark=False`` (it marks the message ``$Filed`` as it stores it).

        An attachment a clinical reader claims (by its extension, MIME type or content) and then refuses is
        queued ``unreadable`` for a person (``add_unreadable``: never filed alone); another one that cannot be
        read (a PDF letter: not a clinical file by itself) is skipped, logged by message id. The mail itself is
        not affected.
        """
        from core.clinical.readers import claimed_format, looks_clinical, read_document

        out: list[QueuedDocument] = []
        for position, (name, content_type, data) in enumerate(attachments):
            if not looks_clinical(data, name, content_type):
                continue
            try:
                result = read_document(data, name)
            except MissiveError as exc:
                claimed = claimed_format(data, name, content_type) if data.strip() else None
                if claimed is None:
                    log.info("message %s: attachment not read (%s)", message_id[:40], type(exc).__name__)
                    continue
                out.append(
                    self.add_unreadable(
                        data, claimed, exc, message_id=message_id, attachment=name, index=position, store_id=store_id
                    )
                )
                continue
            for part, (part_name, part_data, refusal) in enumerate(result.refused):
                # a package's document its reader refused: a file that could not be read, as an attachment
                claimed = claimed_format(part_data, part_name, "") if part_data.strip() else None
                if claimed is None or claimed == "xdm":
                    log.info("message %s: a packaged document not read (%s)", message_id[:40], type(refusal).__name__)
                    continue
                out.append(
                    self.add_unreadable(
                        part_data, claimed, refusal, message_id=message_id, attachment=f"{name}/{part_name}",
                        index=position * 10_000 + part, store_id=store_id,
                    )
                )  # fmt: skip
            single = len(result.documents) == 1
            for index, document in enumerate(result.documents):
                # One report per file: a multi-report HPRIM file is filed report by report.
                raw = data if single else (document.raw or data)
                out.append(
                    self.ingest(
                        document,
                        match_document(document, match),
                        mark=mark,
                        message_id=message_id,
                        attachment=name,
                        index=index,
                        raw=raw,
                        store_id=store_id,
                    )
                )
        return out

    # ------------------------------------------------------------------ decisions
    def file(
        self, doc_id: str, patient_id: str, actor: str | None = None, *, mark: bool = True
    ) -> QueuedDocument:
        """File a waiting document into the practice software for ``patient_id``, exactly once; audited."""
        patient_id = (patient_id or "").strip()
        if not patient_id:
            raise BadInput(T("clinical.documents.aucun-patient-utilisez-patient"))
        with self._held():
            queued = self._settle(self.get(doc_id))
            self._refuse_duplicate(queued)
            if queued.state == "filed":
                raise BadInput(
                    T(
                        "clinical.documents.document-deja-classe-annulez",
                        doc_id=doc_id,
                        Path_name=Path(queued.filed_path or "").name,
                    )
                )
            if queued.state in ("rejected", "dealt"):  # set aside by a person: filed only once deliberately taken back
                state = str(T(f"clinical.documents.etat-{queued.state}"))
                raise BadInput(T("clinical.documents.mis-de-cote-reprenez-abord", doc_id=doc_id, state=state))
            if not queued.hand_fileable:
                raise BadInput(T("clinical.documents.illisible-non-classable", doc_id=doc_id))
            self._check_patient(patient_id)
            extra = {"unreadable": queued.unreadable} if queued.unreadable else {}
            updated = self._publish(queued, patient_id, actor, **extra)
        if mark:
            self._mark(updated, True)
        return updated

    def auto_file(
        self, doc_id: str | None = None, actor: str = "auto", *, mark: bool = True
    ) -> builtins.list[QueuedDocument]:
        """File waiting ``auto`` documents (one, or all) when ``[filing] auto`` and a folder are set.

        A document another process filed meanwhile is left alone; one that cannot be filed stays waiting
        (logged by id): the daemon retries next round. All of them: interrupted filings are settled first.
        """
        if not (self.filing.auto and self.filing.configured):
            return []
        if doc_id is not None:
            candidates = [self.get(doc_id)]
        else:
            self.recover()
            candidates = self.pending()
        out: list[QueuedDocument] = []
        for seen in candidates:
            if not _auto_ready(seen):
                continue
            try:
                with self._held():
                    queued = self._settle(self.get(seen.id))
                    if queued.state != "waiting" or queued.decision != "auto" or not queued.patient_id:
                        continue  # filed (or undone) by another process since it was listed
                    if doc_id is None and self._no_longer_auto(queued):
                        continue  # decided before the patient list changed: now a person's decision
                    self._check_patient(queued.patient_id)
                    updated = self._publish(queued, queued.patient_id, actor)
            except MissiveError as exc:
                log.warning("document %s: automatic filing failed (%s)", seen.id, type(exc).__name__)
                continue
            if mark:
                self._mark(updated, True)
            out.append(updated)
        return out

    def undo(self, doc_id: str, actor: str | None = None) -> QueuedDocument:
        """Take a filed document's file out of the LGC folder; its bytes stay encrypted in the profile (never
        in clear); the document goes back to review and can be filed again; audited. A rejected document goes
        back to review too."""
        return self.take_back(doc_id, actor)[0]

    def take_back(self, doc_id: str, actor: str | None = None) -> tuple[QueuedDocument, Undone]:
        """``undo``, saying what it took back: a filing, a rejection, or a correction (the first version is
        filed again in its place): what the screen and the command line say after an undo."""
        with self._held():
            queued = self._settle(self.get(doc_id))
            self._refuse_duplicate(queued)
            if queued.state == "rejected":  # set aside by mistake: waiting again, nothing was written anywhere
                back = self._record(replace(queued, state="waiting"), "undo", actor, message=queued.message_id)
                return back, "rejection"
            if queued.state == "dealt":  # marked dealt with by mistake: in front of a person again
                back = self._record(replace(queued, state="unreadable"), "undo", actor, message=queued.message_id)
                return back, "dealt"
            if queued.state == "filed" and queued.previous_blob:  # a correction was applied: the first back
                return self._undo_replacement(queued, actor), "correction"
            if queued.state != "filed" or not queued.filed_path:
                raise BadInput(
                    T(
                        "clinical.documents.document-classe-rien-annuler",
                        doc_id=doc_id,
                        get=_STATE_WORDS.get(queued.state, queued.state),
                    )
                )
            taken = filing.withdraw(Path(queued.filed_path), self.filing.folder)
            kept = queued.blob_id if taken == self._blob_or_none(queued.blob_id) else self.blobs.put(taken)
            updated = replace(
                queued,
                state="unreadable" if queued.unreadable else "waiting",
                decision="review",
                patient_id=None,
                filed_path=None,
                filed_at=None,
                filed_by="",
                quarantine_blob=kept,
                # taken back out by a person: the check is done (filed again by hand, it is not asked again)
                signer_revoked=REVOKED_CHECKED if queued.signer_revoked else "",
            )
            self._record(
                updated,
                "undo",
                actor,
                patient=queued.patient_id,
                message=queued.message_id,
                file=Path(queued.filed_path).name,
            )
        log.info("document %s: filing undone, file withdrawn and kept encrypted", doc_id)
        if not self._other_filed(queued.message_id, doc_id):
            self._mark(queued, False)
        return updated, "filing"

    def _undo_replacement(self, queued: QueuedDocument, actor: str | None) -> QueuedDocument:
        """Put the first version back in the import folder in place of the correction (same path)."""
        assert queued.previous_blob is not None
        correction = queued.replaced_by
        self.replace_filed(queued.id, self.blobs.get(queued.previous_blob), actor)
        restored = replace(self.get(queued.id), previous_blob=None, replaced_by=None)
        self.docs.put(queued.id, _to_doc(restored))
        if correction:
            try:
                self._record(replace(self.get(correction), applied_to=None), "replacement-undone", actor)
            except NotFound:
                pass
        log.info("document %s: correction undone, first version filed again", queued.id)
        return restored

    def replace_filed(
        self, doc_id: str, data: bytes, actor: str | None = None, *, format: str | None = None
    ) -> QueuedDocument:
        """Replace a filed document's file by a newer version ``data`` (a corrected XDM, say) through the same
        exactly-once path: the new bytes are stored (encrypted) and recorded first, then the old file is
        withdrawn (its bytes kept encrypted, as an undo does) and the new one filed for the same patient under
        an intent; audited as ``replace``. A crash anywhere is finished by the next run (``recover``). When the
        practice software already took the old file, the new version is filed all the same.
        """
        if not data:
            raise BadInput(T("clinical.documents.nouvelle-version-document-vide", doc_id=doc_id))
        with self._held():
            queued = self._settle(self.get(doc_id))
            if queued.state != "filed" or not queued.filed_path or not queued.patient_id:
                raise BadInput(
                    T(
                        "clinical.documents.document-classe-rien-remplacer",
                        doc_id=doc_id,
                        get=_STATE_WORDS.get(queued.state, queued.state),
                    )
                )
            pending = replace(
                queued,
                replacement={"blob": self.blobs.put(data), "format": format or queued.format, "actor": actor},
            )
            self.docs.put(doc_id, _to_doc(pending))  # the new version is safe before the old file leaves
            return self._replace(pending)

    def _replace(self, queued: QueuedDocument) -> QueuedDocument:
        """Withdraw the old file of a document with a pending ``replacement`` and file the new version."""
        wanted = queued.replacement or {}
        old_path = Path(queued.filed_path or "")
        try:
            taken: bytes | None = filing.withdraw(old_path, self.filing.folder) if queued.filed_path else None
        except NotFound:
            taken = None  # taken by the practice software, or withdrawn just before a crash
        if taken is None or taken == self._blob_or_none(queued.blob_id):
            kept = queued.blob_id
        else:
            kept = self.blobs.put(taken)
        fresh = replace(
            queued,
            state="waiting",
            blob_id=str(wanted.get("blob")),
            format=str(wanted.get("format") or queued.format),
            filed_path=None,
            filed_at=None,
            quarantine_blob=kept,
            replacement=None,
        )
        # no record of ``fresh`` before its intent: until then the store still says "filed, replacement
        # pending", which a crash leaves for ``recover`` to finish
        return self._publish(
            fresh,
            str(queued.patient_id),
            wanted.get("actor"),
            action="replace",
            replaced=old_path.name,
        )

    def reject(self, doc_id: str, actor: str | None = None) -> QueuedDocument:
        """Set a waiting document aside (not for this practice, duplicate...); audited."""
        with self._held():
            queued = self._settle(self.get(doc_id))
            self._refuse_duplicate(queued)
            if queued.revoked_check:  # filed from a revoked signer's letter: x marks it checked, nothing moves
                return self._dealt_with(queued, actor)
            if queued.state == "filed":
                raise BadInput(T("clinical.documents.document-classe-annulez-abord", doc_id=doc_id))
            if set_aside(queued) == "dealt":  # a file that could not be read: a person dealt with it otherwise
                return self._dealt_with(queued, actor)
            return self._record(replace(queued, state="rejected"), "reject", actor, message=queued.message_id)

    def dealt_with(self, doc_id: str, actor: str | None = None) -> QueuedDocument:
        """A file that could not be read, dealt with by a person otherwise (opened in the letter, asked again
        of its sender, entered by hand): out of À classer, never filed; audited (``dealt-with``, who)."""
        with self._held():
            queued = self._settle(self.get(doc_id))
            self._refuse_duplicate(queued)
            return self._dealt_with(queued, actor)

    def _dealt_with(self, queued: QueuedDocument, actor: str | None) -> QueuedDocument:
        if queued.revoked_check:  # a person checked the practice software: out of À classer, still filed
            log.info("document %s: filed from a revoked signer's letter, marked checked", queued.id)
            return self._record(
                replace(queued, signer_revoked=REVOKED_CHECKED), "dealt-with", actor, message=queued.message_id,
                reason="signer-revoked", patient=queued.patient_id,
            )  # fmt: skip
        if queued.state != "unreadable":
            state = _STATE_WORDS.get(queued.state, queued.state)
            raise BadInput(T("clinical.documents.pas-illisible", doc_id=queued.id, state=state))
        log.info("document %s: unreadable file marked dealt with", queued.id)
        return self._record(
            replace(queued, state="dealt"), "dealt-with", actor, message=queued.message_id, reason=queued.unreadable
        )

    # ------------------------------------------------------------------ exactly once
    def _publish(
        self,
        queued: QueuedDocument,
        patient_id: str,
        actor: str | None,
        *,
        action: str = "file",
        **details: Any,
    ) -> QueuedDocument:
        """Stage, record the intent, publish, record ``filed``: the caller holds the profile's lock."""
        fields = filing.FilingFields(
            patient_id=patient_id,
            document_id=queued.id,
            sender=queued.sender.split(",")[0][:16],  # the lab's name, short: a code, not health data
            date=queued.date,
            format=queued.format,
        )
        payload = self.filing.payload(self.blobs.get(queued.blob_id), fields)
        self.filing.target_folder(patient_id)  # a configuration error before anything is written
        temp = filing.write_temp(self.filing.root, payload, tag=f"{self.desk}-{queued.id}")
        intent: dict[str, Any] = {}

        def intend(target: Path) -> None:
            # who files, kept with the intent: a filing finished after a crash still says it
            # (a newer version replacing a filed file goes to the patient chosen for the first: who chose stays)
            by = queued.filed_by if action == "replace" and queued.filed_by else _filed_by(actor)
            intent.update(temp=str(temp), target=str(target), patient_id=patient_id, at=_now(), by=by)
            self.docs.put(queued.id, _to_doc(replace(queued, state="filing", intent=dict(intent))))

        try:
            path = filing.publish(
                temp, self.filing.target_folder(patient_id), self.filing.names(fields), before=intend
            )
        except MissiveError as exc:
            # (never published for certain when the import folder moved meanwhile: its path says nothing)
            unpublished = isinstance(exc, filing.NotPublished)
            if intent and not unpublished and filing.settle(temp):  # published after all: its temporary left
                done = self._finish(
                    replace(queued, state="filing", intent=intent), actor, action=action, **details
                )
                filing.discard_temp(temp)
                return done
            if intent:
                self.docs.put(queued.id, _to_doc(queued))  # back as it was: never published
            filing.discard_temp(temp)  # after the record: its absence would mean "published"
            raise
        filing.discard_temp(temp)  # its folder, once empty
        return self._finish(
            replace(queued, state="filing", intent=intent | {"target": str(path)}),
            actor,
            action=action,
            **details,
        )

    def _finish(
        self, queued: QueuedDocument, actor: str | None, *, action: str = "file", **details: Any
    ) -> QueuedDocument:
        """A published intent becomes ``filed``."""
        intent = queued.intent or {}
        path = Path(str(intent.get("target", "")))
        patient_id = str(intent.get("patient_id") or queued.patient_id or "")
        by = str(intent.get("by") or "") or (_filed_by(actor) if actor != "recovery" else "")
        updated = replace(
            queued,
            state="filed",
            patient_id=patient_id,
            filed_path=str(path),
            filed_at=_now(),
            filed_by=by,
            intent=None,
        )
        self._record(
            updated,
            action,
            actor,
            patient=patient_id,
            message=queued.message_id,
            file=path.name,
            decision=queued.decision,
            **details,
        )
        log.info("document %s filed for patient %s", queued.id, patient_id)
        return updated

    def _settle(self, queued: QueuedDocument) -> QueuedDocument:
        """A document left ``filing`` by a process that died: finished if its file was published, else back
        to ``waiting``. The caller holds the profile's lock, so no live process owns that intent."""
        if queued.state == "filed" and queued.replacement:
            log.info("document %s: an interrupted replacement is finished", queued.id)
            return self._replace(queued)
        if queued.state != "filing":
            return queued
        intent = queued.intent or {}
        temp = Path(str(intent.get("temp") or ""))
        if intent.get("temp") and filing.settle(temp):
            log.info("document %s: an interrupted filing was published; recorded", queued.id)
            done = self._finish(queued, "recovery")
            filing.discard_temp(temp)
            return done
        log.info("document %s: an interrupted filing was never published; back to waiting", queued.id)
        back = replace(queued, state="unreadable" if queued.unreadable else "waiting", intent=None)
        self.docs.put(queued.id, _to_doc(back))
        if intent.get("temp"):
            filing.discard_temp(temp)  # only now: its absence would mean "published"
        return back

    def auto_file_waiting(self) -> bool:
        """Whether ``auto_file`` (all documents) has anything to do: an interrupted filing to settle, a temporary
        file of this desk to remove, an ``auto`` document waiting. Reads only: a `missive sync` that finds no
        new letter asks it before it decides there is nothing to do (core.mail.nochange)."""
        if not (self.filing.auto and self.filing.configured):
            return False
        if self._stuck() or self._stale_temps():
            return True
        return any(_auto_ready(seen) for seen in self.pending())

    def _stuck(self) -> builtins.list[str]:
        """Documents whose filing was interrupted (``filing``, or a correction half applied)."""
        return [k for k, _ in self.docs.find(lambda d: d.get("state") == "filing" or bool(d.get("replacement")))]

    def _stale_temps(self) -> builtins.list[Path]:
        """This desk's temporary files left in the import folder."""
        if not self.filing.configured:
            return []
        return [t for t in filing.stale_temps(self.filing.root) if t.name.startswith(f".missive-{self.desk}-")]

    def recover(self) -> int:
        """Settle every interrupted filing of this profile and remove its orphaned temporary files (written
        just before a crash, before their intent); how many filings were settled."""
        stuck = self._stuck()
        temps = self._stale_temps()
        if not stuck and not temps:
            return 0
        settled = 0
        with self._held():
            for doc_id in stuck:
                queued = self.get(doc_id)
                if queued.state == "filing" or queued.replacement:
                    try:
                        self._settle(queued)
                    except MissiveError as exc:  # stays as it is; the next round tries again
                        log.warning("document %s: not settled (%s)", doc_id, type(exc).__name__)
                        continue
                    settled += 1
            named = {
                str((d.get("intent") or {}).get("temp"))
                for _, d in self.docs.find(lambda d: d.get("state") == "filing")
            }
            for temp in temps:
                if str(temp) not in named:
                    filing.discard_temp(temp)
        return settled

    # ------------------------------------------------------------------ helpers
    def _record(
        self, updated: QueuedDocument, action: str, actor: str | None, **details: Any
    ) -> QueuedDocument:
        """Store a document's new state, then audit it: every change of the queue leaves a record."""
        self.docs.put(updated.id, _to_doc(updated))
        self.audit.append(action, updated.id, actor=actor, **details)
        return updated

    def _refuse_duplicate(self, queued: QueuedDocument) -> None:
        """A duplicate is decided by its original: filing it would put a second copy in the patient's record."""
        if queued.state == "duplicate":
            raise BadInput(
                T("clinical.documents.doublon-rien-a-faire", doc_id=queued.id, original=queued.duplicate_of or "?")
            )

    def _blob_or_none(self, blob_id: str) -> bytes | None:
        try:
            return self.blobs.get(blob_id)
        except MissiveError:
            return None

    def _migrate_quarantine(self) -> None:
        """Profiles before this version moved undone files into ``<profile>/quarantine`` in clear: their bytes
        go into the blob store (encrypted), the clear files are removed."""
        try:
            if not self.quarantine_dir.is_dir():
                return
        except OSError:
            return
        with self._held():
            for key, doc in self.docs.find(lambda d: bool(d.get("quarantine_path"))):
                path = Path(doc["quarantine_path"])
                with contextlib.suppress(OSError):
                    doc["quarantine_blob"] = doc.get("quarantine_blob") or self.blobs.put(path.read_bytes())
                doc["quarantine_path"] = None
                self.docs.put(key, doc)
            for leftover in sorted(self.quarantine_dir.rglob("*"), reverse=True):
                with contextlib.suppress(OSError):
                    leftover.rmdir() if leftover.is_dir() else leftover.unlink()
            with contextlib.suppress(OSError):
                self.quarantine_dir.rmdir()
        log.info("undone files of an older version moved into the encrypted store")

    def _no_longer_auto(self, queued: QueuedDocument) -> bool:
        """A document decided ``auto`` earlier (while no import folder was set, automatic filing was off, or a
        filing failed) is matched again against the patient list as it is now: a twin or a look-alike imported
        since, or the patient's record changed, makes it a person's decision. Then it waits in À classer with
        the new candidates (recorded, audited ``match-changed``, logged by id) and True; False when the matcher
        still designates the same patient alone (or there is no patient list: the decision stands)."""
        found = self._match_now(queued.identity)
        if found is None or (found.decision == "auto" and found.patient_id == queued.patient_id):
            return False
        held = replace(
            queued,
            decision="review" if found.candidates else "new",
            patient_id=None,
            candidates=found.candidates,
        )
        self._record(held, "match-changed", "auto", message=queued.message_id)
        log.warning("document %s: the patient list changed since it was matched, it waits for a person", queued.id)
        return True

    def _match_now(self, identity: Identity) -> MatchResult | None:
        if self._match_again is not None:
            return self._match_again(identity)
        if not hasattr(self.profile, "collection"):
            return None
        from core.practice.patients import PatientRegistry

        index = PatientRegistry(self.profile.collection("patients")).index()
        return index.match(identity) if len(index) else None

    def _check_patient(self, patient_id: str) -> None:
        if self._patient_exists is not None:
            self._patient_exists(patient_id)
            return
        if not hasattr(self.profile, "collection"):
            return
        from core.practice.patients import PatientRegistry

        registry = PatientRegistry(self.profile.collection("patients"))
        try:
            registry.get(patient_id)  # one shard read, whatever the number of patients
        except NotFound:
            if len(registry):  # with no patient list imported, the doctor's word is all we have
                raise

    def _other_filed(self, message_id: str, doc_id: str) -> bool:
        """Another document of the same message is still filed (then the message keeps $Filed)."""
        if not message_id:
            return False
        found = self.docs.find(lambda d: d.get("message_id") == message_id and d.get("state") == "filed")
        return any(key != doc_id for key, _ in found)

    def _mark(self, queued: QueuedDocument, filed: bool) -> None:
        """Set or clear $Filed on the document's message, in the local store (pushed to the server at the next
        sync); the file is already where it belongs, so only log failures."""
        if not queued.message_id and not queued.store_ids:
            return
        try:
            if self._mark_filed is not None:
                self._mark_filed(queued.store_ids[0] if queued.store_ids else queued.message_id, filed)
                return
            from core.mail.messages import MessageStore

            store = MessageStore(self.profile)
            ids = [i for i in (*queued.store_ids, queued.message_id) if store.has(i)]
            ids = ids or store.ids_with_message_id(queued.message_id)
            if not ids:
                log.info("document %s: its message is not in the store; $Filed not set", queued.id)
                return
            for store_id in ids:
                if filed:
                    store.add_flags(store_id, FILED_FLAG)
                else:
                    store.remove_flags(store_id, FILED_FLAG)
        except Exception as exc:  # noqa: BLE001 - a flag must never undo a filing already done
            log.warning("document %s: $Filed not updated (%s)", queued.id, type(exc).__name__)


__all__ = ["COLLECTION", "FILED_FLAG", "DocumentQueue", "QueuedDocument"]


def _without_name(text: dict[str, Any], filename: str) -> dict[str, Any]:
    """A reader's refusal (``Text.to_json``) with the file's name said as "document", as the readers say it of
    a file without one: a lab may name a file after the patient, and the refusal is printed by listings."""
    name = filename.rsplit("/", 1)[-1]
    if not name:
        return text
    params = {k: str(v).replace(repr(name), "document").replace(name, "document") for k, v in text["params"].items()}
    return {"code": text["code"], "params": params}


def _recorded_patient(doc: Mapping[str, Any]) -> str:
    """``_who`` of a recorded document's identity and container's, as ``DocumentQueue.add`` compares them."""
    identity = _identity_from_doc(doc["identity"]) if isinstance(doc.get("identity"), dict) else None
    envelope = _identity_from_doc(doc["envelope"]) if isinstance(doc.get("envelope"), dict) else None
    return f"{_who(identity)}\0{_who(envelope)}"


def _who(identity: Identity | None) -> str:
    """A patient as a content key tells them apart (names blind to case and accents, birth date, sex, INS);
    '' for none."""
    if identity is None:
        return ""
    from core.model import folded

    names = [" ".join(folded(n).split()) for n in (identity.family_name, *identity.given_names)]
    born = identity.birth_date.isoformat() if identity.birth_date else ""
    return "\x1f".join([*names, born, identity.sex or "", identity.ins or ""])


def _queued(
    doc_id: str,
    document: ClinicalDocument,
    match: MatchResult,
    *,
    message_id: str,
    attachment: str,
    blob_id: str,
    store_id: str | None,
    order_key: str,
    patient_id: str | None,
    state: State,
    version_of: str | None = None,
    duplicate_of: str | None = None,
) -> QueuedDocument:
    """The queue's record of a document read from a letter: what it says, as read, whatever becomes of it (one
    place for the queued document and its duplicate, so a field added is added to both)."""
    return QueuedDocument(
        id=doc_id,
        message_id=message_id,
        attachment=attachment,
        format=document.format,
        identity=document.identity,
        decision=match.decision,
        candidates=tuple(match.candidates),
        patient_id=patient_id,
        state=state,
        blob_id=blob_id,
        title=document.title,
        sender=document.author,
        date=document.date,
        observations=len(document.observations),
        abnormal=sum(1 for o in document.observations if o.abnormal),
        critical=document.critical,
        entry_id=document.entry_id,
        replaces=document.replaces,
        kind=document_kind(document),
        envelope=document.envelope,
        envelope_from=document.envelope_from,
        added=_now(),
        store_ids=(store_id,) if store_id else (),
        version_of=version_of,
        duplicate_of=duplicate_of,
        order_key=order_key,
        status=_version_status(document),
    )


def _version_status(document: ClinicalDocument) -> str:
    """Where a result stands by its lab's own statuses: 'correction' (a result corrected), 'partial' (some not
    validated or still to come), 'final' (all validated); '' when the document says nothing of it."""
    statuses = {o.status.strip().upper() for o in document.observations if o.status.strip()}
    if "C" in statuses:
        return "correction"
    if statuses & _PARTIAL_STATUSES:
        return "partial"
    if statuses and statuses <= {"F"}:
        return "final"
    return ""


def envelope_conflict(document: ClinicalDocument | QueuedDocument) -> str:
    """Why a document whose container (HL7 PID, XDM metadata) names another patient is not filed
    automatically, in the core's words; '' when its container agrees with it."""
    if document.envelope is None:
        return ""
    if document.envelope_from == "xdm":
        return str(T("clinical.documents.conflit-enveloppe-xdm"))
    if document.envelope_from == "cda":
        return str(T("clinical.documents.conflit-cda-deux-patients"))
    if document.envelope_from == "hl7v2-carried":
        return str(T("clinical.documents.conflit-document-porte-hl7v2"))
    return str(T("clinical.documents.conflit-enveloppe-hl7v2"))


def set_aside(queued: QueuedDocument) -> SetAside:
    """What setting a document aside does (``reject``, the app's x): a file that could not be read is marked
    dealt with (a person saw to it otherwise), any other document is rejected."""
    return "dealt" if queued.unreadable or queued.revoked_check else "reject"


def envelope_label(document: ClinicalDocument | QueuedDocument) -> str:
    """What the other patient's column is, in the core's words: the container's patient ('Enveloppe'), or,
    for an HL7 message's own results, the patient of the document it carries ('Doc. porté'); '' if none."""
    if document.envelope is None:
        return ""
    if document.envelope_from == "hl7v2-carried":
        return str(T("clinical.documents.colonne-document-porte"))
    if document.envelope_from == "cda":
        return str(T("clinical.documents.colonne-second-patient"))
    return str(T("clinical.documents.colonne-enveloppe"))


# the first reason of a candidate proposed for the other identity a document carries (French phrases: the codes
# of match reasons, see core.text.render)
_ENVELOPE_CANDIDATE = {
    "": "proposé pour le patient de l'enveloppe, pas pour celui du document",
    "hl7v2-carried": "proposé pour le patient du document porté, pas pour celui du message",
    "cda": "proposé pour l'autre patient que nomme le document",
}


def match_document(document: ClinicalDocument, match: Callable[[Identity], MatchResult]) -> MatchResult:
    """The matcher's answer for a document read from mail. When its container names another patient
    (``document.envelope``): the candidates for both identities (the document's own first), never ``auto``,
    and the reason in ``conflict``."""
    own = match(document.identity)
    if document.envelope is None:
        return own
    seen = {c.patient_id for c in own.candidates}
    # proposed for the other identity: its reasons (« nom de naissance identique »...) are the other's, said first
    # (read beside the document's identity, they described traits the document does not have)
    other = _ENVELOPE_CANDIDATE.get(document.envelope_from, _ENVELOPE_CANDIDATE[""])
    extra = tuple(
        replace(c, reasons=(other, *c.reasons))
        for c in match(document.envelope).candidates
        if c.patient_id not in seen
    )
    candidates = own.candidates + extra
    return MatchResult("review" if candidates else "new", None, candidates, conflict=envelope_conflict(document))
