"""The façade: the one object the TUI and the CLI talk to.

``Mailroom.open(profile_dir, passphrase)`` unlocks a profile; services are created on first use so a
command pays only for what it touches (start-up stays fast on old PCs). Long operations are coroutines;
events (new mail, documents filed or waiting, send failures, progress) go to subscribers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from core.errors import BadInput, MissiveError, NotFound, ServerRefused

# marks in the folders collection (a no-change `missive sync` reads them without this module: core.mail.nochange)
from core.mail.folderstate import ANALYSIS_MARK as ANALYSIS_MARK
from core.mail.folderstate import HELD_MARK
from core.model import DRAFTS_FOLDER, INBOX, QUARANTINE_FOLDER
from core.text import T, Text

if TYPE_CHECKING:  # start-up stays lazy: these modules load when a service is first used
    import asyncio

    from core.clinical.patient_mail import Recipient
    from core.config import Settings
    from core.directory.importer import ImportReport as DirectoryImport
    from core.directory.search import Directory
    from core.events import MailroomEvent, SyncStateName  # the events: built where one is emitted
    from core.lists import Updated
    from core.mail.account import Account
    from core.mail.accounts import Accounts
    from core.mail.autoconfig import Found
    from core.mail.drafts import Drafts
    from core.mail.mailops import MailOps
    from core.mail.messages import MessageStore
    from core.mail.outbox import Outbox, OutboxEntry
    from core.mail.receipts import SentLetter
    from core.mail.send import Delivery, FlushReport, SendService
    from core.mail.sync import Connections, SyncReport
    from core.mailroom_api import CommandsAPI as CommandsAPI  # the contracts, re-exported for tui/
    from core.mailroom_api import MailroomAPI as MailroomAPI
    from core.mailroom_api import SummaryRows as SummaryRows
    from core.model import (
        AddressChoice,
        ClinicalDocument,
        DirectoryEntry,
        Draft,
        FolderCount,
        Identity,
        MatchResult,
        MessageDocument,
        MessageSummary,
        MessageView,
        MoveResult,
        OutgoingLetter,
        Patient,
        ReadResult,
        ReviewItem,
        SavedDraft,
        SignatureStatus,
        Undone,
    )
    from core.practice.documents import DocumentQueue, QueuedDocument
    from core.practice.filing import Preset
    from core.practice.patients import ImportReport, PatientRegistry
    from core.secure.keystore import KeyStore
    from core.secure.outgoing import LetterProtection, OutgoingPolicy
    from core.secure.smime_kinds import OpenedMessage
    from core.secure.trust import TrustPolicy
    from core.setup import CsvPreview
    from core.store.audit import AuditLog, AuditProblem
    from core.store.profile import Profile

log = logging.getLogger("missive.mailroom")
# names of Sent and Trash folders FOLDER_ROLES does not list (the last part of the name, lower case): our copies
_COPY_FOLDERS = frozenset({"sent mail", "deleted messages", "messages envoyés", "éléments supprimés"})
# the SPECIAL-USE roles (RFC 6154) of the folders our copies are kept in, whatever their names
_COPY_ROLES = frozenset({"sent", "drafts", "trash", "archive"})

# What unlocking a profile and reading a first letter import: the app loads them in a thread while the
# passphrase is typed and derived (the key derivation leaves the interpreter free), so neither waits on them.
# Not the clinical readers nor html2text: they load with the first message that has documents or HTML. Not the
# Pro Santé Connect client: an account that logs in with it loads it.
READING_MODULES = (
    "core.mail.messages",
    "core.mail.accounts",
    "core.mail.mime",
    "core.mail.receipts",
    "core.practice.documents",
    "core.clinical.patient_mail",
    "core.clinical.search",  # the words of a letter read, kept for the inbox search
    "core.secure.smime_kinds",  # whether a letter may carry S/MIME (not the S/MIME machinery itself)
)
# What opening a profile imports after its key is derived (the account locks and asyncio): Mailroom.open imports
# them while the key derives instead. A sync adds its engine (``SYNC_MODULES``, asked by `missive sync`):
# asyncio's ssl, aioimaplib, the IMAP client, the accounts, the pending operations.
OPENING_MODULES = ("core.mail.accountlock",)
SYNC_MODULES = ("core.mail.sync", "core.mail.accounts", "core.mail.mailops")
# What a letter with an S/MIME layer adds (X.509, CMS, asn1crypto: some 5 MB resident): loaded ahead only for a
# profile that holds S/MIME keys or certificates (``uses_smime``); a plain letter is read without them.
SMIME_READING_MODULES = ("core.secure.keystore", "core.secure.smime")
# the key store's collections: a profile with none of them filled has never held a key nor a verified signer
_SMIME_COLLECTIONS = ("smime_own", "smime_certs", "smime_anchors")


def revoked_filed_line(count: int) -> str:
    """The app's line when a revocation list showed that ``count`` documents already filed came from a revoked
    signer's letters (counts only): they wait in À classer to be checked in the practice software."""
    return str(T("mailroom.revoked-filed", count=count))


def round_news(new: int, filed: int, review: int) -> str:
    """A sync round's news in one line of the current language, counts only (never a name, a subject or a
    result): '12 nouveaux messages, 3 résultats classés, 2 documents à classer'; the parts with a count."""
    parts: list[Text] = []
    if new > 0:
        parts.append(T("mailroom.news.new-one") if new == 1 else T("mailroom.news.new-many", count=new))
    if filed > 0:
        parts.append(
            T("mailroom.news.filed-one") if filed == 1 else T("mailroom.news.filed-many", count=filed)
        )
    if review > 0:
        parts.append(
            T("mailroom.news.review-one") if review == 1 else T("mailroom.news.review-many", count=review)
        )
    return ", ".join(str(part) for part in parts)


def uses_smime(profile_dir: Path) -> bool:
    """Whether the profile holds S/MIME material (its own identity, a correspondent's certificate harvested from
    a verified letter, a trust anchor). Read from the collections' files, before the unlock: their names and
    presence are all it reads, nothing encrypted."""
    from core.store.profile import collection_has_files

    return any(collection_has_files(profile_dir, name) for name in _SMIME_COLLECTIONS)


def preload(profile_dir: Path | None = None) -> None:
    """Import the modules a first read uses (``READING_MODULES``, and ``SMIME_READING_MODULES`` for a profile
    that ``uses_smime``); called from a thread of the app."""
    import importlib

    for name in READING_MODULES:
        importlib.import_module(name)
    # the audit's user name where no LOGNAME/USER names it (a service, a container: core.store.audit reads the
    # password database then); a built-in module, no memory to speak of, absent on Windows
    with contextlib.suppress(ImportError):
        importlib.import_module("pwd")
    if profile_dir is not None and uses_smime(Path(profile_dir)):
        for name in SMIME_READING_MODULES:
            importlib.import_module(name)


RETRY_FIRST = 5.0  # seconds before reconnecting an account that failed; doubles up to RETRY_MAX
RETRY_MAX = 300.0
LOGIN_RETRY = 3600.0  # a PSC approval denied or unanswered is asked again after an hour (or on demand)
READ_PUSH_AFTER = 2.0  # seconds the background sync waits after a letter is read here before telling the server
REVOKED_LOOK_EVERY = 30.0  # seconds between two looks at the documents where their folder cannot be watched
DAEMON_LOOK_EVERY = 2.0  # seconds between two looks for a daemon's socket where the folder cannot be watched


def _mail_source(account: Account) -> Any:
    """``core.mail.sync.default_source``, imported when an operation goes to the server: the inbox's list asks
    the mail operations only the folder roles (its Trash, for the quarantine), and an app that follows a
    daemon never syncs itself (the sync engine, the IMAP client, aioimaplib: about 2.9 MB of the app)."""
    from core.mail.sync import default_source

    return default_source(account)


async def _until(
    stop: asyncio.Event, work: Any, also: asyncio.Event | None = None, *more: asyncio.Event
) -> Any:
    """Await ``work`` unless ``stop`` (or ``also``, or one of ``more``) is set first (then cancel it and return
    None). Cancelled itself (an outer ``_until`` whose event came: keep_synced's round around ``idle``'s), it
    cancels ``work`` and waits for it before going: left running, an IDLE round went on, its connection open
    until its timeout (9 minutes), one more for each letter read in the app."""
    import asyncio

    task = asyncio.ensure_future(work)
    stoppers = {asyncio.ensure_future(event.wait()) for event in (stop, also, *more) if event is not None}
    try:
        done, _ = await asyncio.wait({task, *stoppers}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for stopper in stoppers:
            stopper.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if task in done:
        return task.result()
    return None


class Mailroom:
    """An open profile. Implements ``core.mailroom_api.MailroomAPI``, the app's contract; the CLI uses the same
    methods. Services (``messages``, ``documents``...) are the engine's own parts: clients call the methods."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.unlock_seconds = 0.0  # set by open(): see MailroomAPI.unlock_seconds
        self._subscribers: list[Callable[[MailroomEvent], None]] = []
        self._own: frozenset[str] | None = None  # own addresses, see own_addresses()
        self._past: tuple[tuple[int, str], list[Any]] | None = (
            None  # past correspondents, see complete_address
        )
        self.new_critical = 0  # messages with a critical result since the daemon last told the phone
        self._queued_for_review = 0  # documents the sync hook queued for a person since the last report
        # this sync round's news, said in one line at its end (RoundNews): documents filed, documents to review
        self._round_filed = 0
        self._round_review = 0
        self._undelivered_news = 0  # failure reports about our letters the sync hook read since the last report
        self._held_here = False  # the sync hook held a letter's documents (audit log out of step) in this process
        self._last_move: MoveResult | None = None  # what undo_move() takes back (this session only)
        # drafts whose letter the outbox has (sent or queued) in this process: a save of one arriving after
        # (the composer's typing-pause timer, a save worker already under way) would bring it back in Brouillons,
        # a second copy to send; the lock makes 'left, deleted' and 'saved' one or the other, never interleaved
        self._left_drafts: set[str] = set()
        # account name -> (the account as checked, the server's answer): a LOGIN refused by the no-change check
        # of this process (core.mail.nochange), said by the next sync of that same account without a second try
        self._refused_logins: dict[str, tuple[Any, str]] = {}
        self._drafts_lock = threading.Lock()
        # letters read with words_later: their words for the search, kept by keep_read_words (header id -> (id, text))
        self._words_due: dict[str, tuple[str, str]] = {}
        self._words_lock = threading.Lock()
        self._no_undo = T("mail.ops.rien-a-annuler")  # else why there is nothing: what undo_move() says
        from core.mail.accountlock import AccountLocks

        self._account_locks = AccountLocks()  # per account: a sync round and an operation never interleave
        self._connections: Connections | None = None  # while the daemon runs: IMAP connections kept open
        # keep_synced loops running (account, their loop, the event that ends their IDLE when a letter is read)
        self._read_waiters: list[tuple[str, asyncio.AbstractEventLoop, asyncio.Event]] = []
        # accounts the running `missive daemon` syncs for this app (keep_synced follows it): no IMAP session here
        self._followed: set[str] = set()
        # filed documents put back for a check (signer revoked) already said in this process; None: nobody here
        # watches the documents (a command, the daemon), RevokedFiled is said as it comes (_revoked_once)
        self._revoked_told: frozenset[str] | None = None
        self._revoked_lock = threading.Lock()
        from core.logs import setup_logging

        setup_logging(profile.path)
        if any(profile.tightened):
            log.warning(
                "profile was open to other users: %d folders and %d files made private", *profile.tightened
            )

    # -- life cycle ---------------------------------------------------------------------------------------
    @classmethod
    def open(cls, profile_dir: Path, passphrase: str, ahead: Sequence[str] = ()) -> Mailroom:
        """Unlock the profile. The key derivation starts first (its stored parameters checked); the profile's
        own modules and settings (``Profile.open``'s check of profile.toml: a broken one is said at once), what
        opening it imports next (``OPENING_MODULES``) and the modules ``ahead`` (``SYNC_MODULES`` for a sync)
        are loaded while it runs: on two cores they cost no time. A key derived ahead (core.store.kdf) is taken
        when it is this one."""
        import time

        started = time.perf_counter()
        from core.store.vault import Vault

        path = Path(profile_dir)
        read: list[Settings] = []  # profile.toml, read once while the key derives

        def prepare() -> None:
            import importlib

            from core.config import load_settings

            read.append(load_settings(path))
            for name in ("core.store.profile", *OPENING_MODULES, *ahead):
                importlib.import_module(name)

        vault = Vault.open(path, passphrase, meanwhile=prepare)
        from core.store.profile import Profile

        mailroom = cls(Profile(path, vault, read[0] if read else None))
        from core.store.kdf import unlock_seconds

        mailroom.unlock_seconds = unlock_seconds(started, time.perf_counter(), vault.derived_ahead)
        from core.logs import log_unlock

        log_unlock(vault.derived_ahead)
        return mailroom

    @classmethod
    def adopt(cls, checked: Any, ahead: Sequence[str] = ()) -> Mailroom:
        """The façade over the profile a no-change check unlocked and handed over (core.mail.nochange's
        ``Checked``: it found something to do, or could not tell): its key is not derived again. The modules
        ``ahead`` are imported now; the unlock is logged as ``open`` logs it."""
        import importlib

        for name in (*OPENING_MODULES, *ahead):
            importlib.import_module(name)
        mailroom = cls(checked.profile)
        mailroom.unlock_seconds = checked.unlock_seconds
        from core.logs import log_unlock

        log_unlock(checked.derived_ahead)
        if checked.why:
            log.info("no-change check handed the sync over (%s)", checked.why)
        refused = getattr(checked, "refused", None)
        if refused is not None:
            mailroom._refused_logins[refused[0].name] = refused
        return mailroom

    @classmethod
    def create(cls, profile_dir: Path, passphrase: str) -> Mailroom:
        from core.store.profile import Profile

        return cls(Profile.create(Path(profile_dir), passphrase))

    # -- events -------------------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[MailroomEvent], None]) -> None:
        self._subscribers.append(callback)

    def emit(self, event: MailroomEvent) -> None:
        from core.events import RevokedFiled

        if isinstance(event, RevokedFiled):
            try:
                told = self._revoked_once(event)
            except Exception as exc:  # noqa: BLE001 - the news said as it comes: the revocation work is done
                log.info("revoked documents not counted (%s)", type(exc).__name__)
                told = event
            if told is None:
                return  # said already: the watch on the documents saw them first (_watch_revoked)
            event = told
        self._tell(event)

    def _tell(self, event: MailroomEvent) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # noqa: BLE001 - a broken subscriber must not stop the engine
                log.exception("event subscriber failed for %s", type(event).__name__)

    # -- services (created on first use) -------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.profile.settings

    @property
    def profile_path(self) -> Path | None:
        return self.profile.path

    @property
    def audit(self) -> AuditLog:
        return self.profile.audit

    @cached_property
    def patients(self) -> PatientRegistry:
        from core.practice.patients import PatientRegistry
        from core.store.patientindex import StoredPatientIndex

        return PatientRegistry(
            self.profile.collection("patients"),
            audit=self.profile.audit,
            stored=StoredPatientIndex(self.profile.path / "index" / "patients.sqlite3", self.profile.vault),
            state=self.profile.collection("patient_index"),
            lock=self.profile.db.lock,
        )

    @cached_property
    def keys(self) -> KeyStore:
        from core.secure.keystore import KeyStore

        return KeyStore(self.profile)

    @cached_property
    def trust(self) -> TrustPolicy:
        from core.secure.trust import TrustPolicy

        return TrustPolicy.from_profile(self.profile)

    @cached_property
    def accounts(self) -> Accounts:
        import sys

        from core import auth
        from core.mail.accounts import Accounts

        accounts = Accounts(self.profile.collection("accounts"))
        # A renewed (or revoked) Pro Santé Connect refresh token goes back into the encrypted profile; the
        # PSC client itself is imported only by an account that logs in with it.
        auth.save_refresh = accounts.set_refresh_token
        auth.forget_refresh = accounts.forget_refresh_token
        # The module may be half imported by the background sync's thread (keep_synced imports it): without its
        # ``sessions`` yet, the one it makes falls back on auth.save_refresh, set just above.
        sessions = getattr(sys.modules.get("core.auth.psc"), "sessions", None)
        if sessions is not None:
            sessions.save_refresh = accounts.set_refresh_token
            sessions.forget_refresh = accounts.forget_refresh_token
        return accounts

    @cached_property
    def messages(self) -> MessageStore:
        from core.mail.messages import MessageStore

        return MessageStore(self.profile)

    @cached_property
    def outbox(self) -> Outbox:
        from core.mail.outbox import Outbox

        return Outbox(self.profile)

    @cached_property
    def documents(self) -> DocumentQueue:
        from core.practice.documents import DocumentQueue

        return DocumentQueue(self.profile, match_again=self._match_again)

    def _match_again(self, identity: Identity) -> MatchResult | None:
        """The matcher over the patient list as it is now (its stored index), None while there is none: what
        a decision taken earlier is checked against before it is filed automatically (``DocumentQueue``)."""
        index = self.patients.index()
        return index.match(identity) if len(index) else None

    @cached_property
    def directory(self) -> Directory:
        from core.directory.search import Directory

        return Directory(self.profile.path / "directory")

    # -- incoming mail -------------------------------------------------------------------------------------
    def _outside_by_header(self, fastmime: ModuleType, raw: bytes, inner: bytes, meta: dict[str, Any]) -> bool:
        """Whether the trust policy quarantines a message whose structure could not be read, from the From of
        its header (and of its opened S/MIME layer's); when even that cannot be judged, it is quarantined."""
        try:
            senders = {_from_address(fastmime, None, raw), _from_address(fastmime, None, inner)}
            valid = bool((meta.get("signature") or {}).get("valid"))
            encrypted = bool(meta.get("encrypted"))
            return any(
                self.trust.classify_incoming(s or None, valid, encrypted) == "quarantine" for s in sorted(senders)
            )
        except Exception:  # noqa: BLE001 - a letter that cannot be judged is a person's decision
            log.warning("trust-space check failed for one message")
            return True

    def on_new_message(
        self, raw: bytes, store_id: str | None = None, *, folder: str | None = None, role: str | None = None
    ) -> dict[str, Any]:
        """Sync hook: open S/MIME layers, apply the trust policy, queue clinical documents (attachments, or
        an HPRIM/HL7 body); returns metadata to store with the message (ids and flags, no names).
        ``store_id``: the message's id in the store, recorded with its documents (where $Filed goes).
        ``folder``: the server folder it was found in (an inbox, where a letter with our own From arriving in
        the clear is judged as any other in strict mode; a Sent folder, where our copies are ours). ``role``:
        what the server's LIST says that folder is for (SPECIAL-USE: 'sent', 'junk'...), before its name."""
        fastmime, may_be_smime = _hook_tools()
        meta: dict[str, Any] = {}
        inner = raw
        shown_from = ""  # the From of the message as received, when an S/MIME layer holds another (see below)
        # the header and the parts' headers, MIME boundaries found without the parser's object tree; the full
        # parse (compat32) only for what the fast path leaves to it (fastmime.scan says None)
        scanned = fastmime.scan(raw)
        if scanned is not None and not may_be_smime(scanned.content_type):
            meta.update(
                encrypted=False, signed=False
            )  # what open_message says of it, without reading it again
        else:
            from core.secure.smime import open_message  # only for a message that may be S/MIME

            try:
                opened = open_message(raw, self.keys)
                inner = opened.inner_mime_bytes
                meta.update(encrypted=opened.encrypted, signed=opened.signed)
                if not opened.decrypted:
                    meta["undecrypted"] = True  # read again once its key is imported (open_undecrypted)
                if opened.signature is not None:
                    meta["signature"] = opened.signature.to_json()
                    if opened.signers:  # several signers: each one's verdict and chain (the letter's is the least)
                        meta["signers"] = _signers_json(opened.signers)
                    if opened.revocation_links or any(links for _status, links in opened.signers):
                        # what a revocation list arriving later needs to judge it again (never read again):
                        # its chain's authorities and serial numbers, and when missive had it in hand
                        meta["sig_basis"] = {
                            "seen": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                            "chain": list(opened.revocation_links),
                        }
                    if opened.signature.valid and opened.signer_cert:
                        self.keys.harvest(opened.signer_cert)
            except Exception:  # noqa: BLE001 - a message we cannot open is still stored, raw
                log.warning("S/MIME processing failed for one message")
            if inner is not raw:
                # the list and the reader's summary show the From of the message as received
                shown_from = _from_address(fastmime, scanned, raw)
                scanned = fastmime.scan(inner)
        try:
            if scanned is not None:
                msg = scanned.header
            else:
                import email

                msg = email.message_from_bytes(inner)
        except Exception:  # noqa: BLE001 - an unparsable message is still stored, raw
            log.warning("message structure unreadable; stored without analysis")
            # judged by its header alone all the same: a structure made unreadable on purpose (thousands of
            # nested parts or carried letters) carried an outsider's letter past Quarantaine, unmarked
            if self._outside_by_header(fastmime, raw, inner, meta):
                meta["trust"] = "quarantine"
            return meta
        if inner is not raw and msg.get("Subject") is not None:
            # the subject inside the encrypted or signed content (RFC 9788 header protection: the outer one
            # reads '...'; a letter whose only Subject is in its signed part): the list said the outer one, or
            # none, while the reader showed this one
            from core.mail import mime

            meta["subject"] = mime.shown_subject(mime._decoded(msg, "Subject"))
        leaves = fastmime.leaves_of(scanned) if scanned is not None else fastmime.leaves_of_tree(msg)
        sender = fastmime.address_of(str(msg.get("From", ""))).strip().lower()
        # An encrypted or signed layer may carry a From of its own: both it and the one the list shows must be
        # ours for an own letter, and each is judged by the trust policy (an outsider's letter encrypted with a
        # From of ours inside was taken for our own: never quarantined, though the list named the outsider).
        senders = {sender, shown_from} if shown_from and shown_from != sender else {sender}
        if sender and all(s in self.own_addresses() for s in senders) and not self._forged_own(folder, meta, role):
            # our own letter (a Sent copy, a copy to ourselves): never clinical input, never announced
            meta["own"] = True
            meta["has_attachments"] = fastmime.has_attachment(leaves)
            return meta
        try:  # outside the trust space: marked, so the reader says so (nothing is dropped)
            valid = bool((meta.get("signature") or {}).get("valid"))
            encrypted = bool(meta.get("encrypted"))
            if any(self.trust.classify_incoming(s, valid, encrypted) == "quarantine" for s in sorted(senders)):
                meta["trust"] = "quarantine"
        except Exception:  # noqa: BLE001 - the policy check never blocks mail
            log.warning("trust-space check failed for one message")
        try:  # a delivery or read report about one of our letters: attached to it
            if scanned is not None and scanned.content_type == "multipart/report":
                import email

                msg = email.message_from_bytes(inner)  # a report is read whole
            self._receipt_hook(msg, meta)
        except Exception:  # noqa: BLE001 - a report we cannot read is still stored as a message
            log.warning("delivery/read report unreadable for one message")
        try:
            # attachments the readers would turn down are judged on their head, never decoded whole
            parts, attached = fastmime.clinical_parts(leaves, sniff=True)
            meta["has_attachments"] = attached  # of the opened message: a signature is not one
            if parts:
                message_id = " ".join(str(msg.get("Message-ID", "")).split()) or "unknown"

                def match(
                    identity: Identity,
                ) -> MatchResult:  # the registry (and its modules) is opened only for a document to match
                    return self.patients.index().match(identity)

                matcher: Callable[[Identity], MatchResult] = match

                signature = meta.get("signature") or {}
                if self.audit.in_step() is not None:
                    # the audit log is out of step with its seal: no document enters the queue without its
                    # record; the letter is kept, its documents are queued once the log is resealed
                    log.warning("documents of one message held: the audit log does not match its seal")
                    meta["documents_held"] = True
                    # looked for after each sync once the log is in step (a reseal in another process may
                    # have looked before this letter was stored): this process's own syncs always look
                    self._held_here = True
                    with contextlib.suppress(Exception):
                        self.messages.folders.put(HELD_MARK, {"held": True})
                    return meta
                if meta.get("trust") == "quarantine" or (signature and not signature.get("valid")):
                    # outside the trust space, or signed and the signature fails (altered, or not the
                    # sender's certificate): a person decides, however well the identity matches
                    matcher = _never_auto(match)
                queued = self.documents.ingest_message(
                    message_id, parts, matcher, store_id=store_id, mark=False
                )
                self._queued_for_review += sum(
                    1 for q in queued if (q.state == "waiting" and q.decision != "auto") or q.state == "unreadable"
                )
                if queued:
                    meta["documents"] = len(queued)
                    meta["abnormal"] = any(q.abnormal for q in queued)
                    if any(q.critical for q in queued):
                        meta["critical"] = True
                        # a letter in Quarantaine is no news (no push), nor a copy of a result already
                        # decided; a copy of one still waiting is (that one may have come from Quarantaine,
                        # which rang nothing: the lab's own copy is then the only news of it)
                        if meta.get("trust") != "quarantine" and any(
                            q.critical for q in queued if self._critical_news(q)
                        ):
                            self.new_critical += 1
                    if any(q.state == "filed" for q in queued):
                        meta["filed"] = True  # the store sets $Filed as it keeps the message
                        self._round_filed += sum(1 for q in queued if q.state == "filed")
        except Exception:  # noqa: BLE001 - clinical extraction never blocks mail
            log.warning("clinical extraction failed for one message")
        return meta

    def _critical_news(self, queued: QueuedDocument) -> bool:
        """Whether a document just queued is news for the phone: any but a copy of a document already decided
        (filed, set aside); a copy of one still waiting for a person is."""
        if queued.state != "duplicate" or not queued.duplicate_of:
            return True
        try:
            return self.documents.get(queued.duplicate_of).state == "waiting"
        except MissiveError:
            return True

    def _forged_own(self, folder: str | None, meta: dict[str, Any], role: str | None = None) -> bool:
        """A letter with our own From that arrived where mail is delivered (the inbox, Junk, 'Courrier
        indésirable', a folder a Sieve rule fills) where strict mode wants it signed and encrypted, and it is
        not: anyone can write our address in the clear, so it is judged as any letter (Quarantine). Our copies
        in Sent, Drafts, Archive or Trash (a webmail's, missive's; 'INBOX.Sent' as Dovecot names them) stay
        ours. The server's SPECIAL-USE role of the folder (RFC 6154) says which is which whatever its name
        ('Courrier parti' marked \\Sent is a Sent folder, 'Archive' marked \\Junk is where mail is delivered);
        its name only when the server gives it none."""
        if folder is None:
            return False  # not said where it was found (an older caller): as before
        from core.model import FOLDER_ROLES, imap_folder_text

        if role in _COPY_ROLES:
            return False
        if role != "junk":  # no role said (or a virtual folder's, \All): by its name
            name = imap_folder_text(folder).lower()
            # 'INBOX.Drafts', 'INBOX/Trash' (under Dovecot's INBOX), 'Archives/2024' (a year of the archive):
            # each part of a hierarchical name is looked at
            parts = {name, *name.replace("/", ".").split(".")}
            roles = {FOLDER_ROLES.get(part) for part in parts}
            if roles & {"folder.sent", "folder.drafts", "folder.trash", "folder.archive", "folder.drafts-kept"}:
                return False
            if parts & _COPY_FOLDERS:  # other names servers give those folders ('[Gmail]/Sent Mail', Apple's)
                return False
        try:
            if self.trust.mode != "strict":
                return False
            valid = bool((meta.get("signature") or {}).get("valid"))
            return self.trust.classify_incoming(None, valid, bool(meta.get("encrypted"))) == "quarantine"
        except Exception:  # noqa: BLE001 - the policy check never blocks mail
            log.warning("trust-space check failed for one own letter")
            return False

    def own_addresses(self) -> frozenset[str]:
        """The practice's own addresses (its accounts'), lower case; read again at each sync."""
        if self._own is None:
            try:
                self._own = frozenset(a.email.strip().lower() for a in self.accounts.list() if a.email)
            except Exception:  # noqa: BLE001 - an unreadable account list: treat nothing as our own
                log.warning("account addresses unreadable; own letters not recognised")
                self._own = frozenset()
        return self._own

    # -- receipts ------------------------------------------------------------------------------------------
    @cached_property
    def sent_letters(self) -> Any:
        """Letters the server accepted, with their delivery and read reports per recipient."""
        from core.mail.receipts import SentLetters

        return SentLetters(self.profile)

    def _receipt_hook(self, msg: Any, meta: dict[str, Any]) -> None:
        if msg.get_content_type() != "multipart/report" and msg.get("Disposition-Notification-To") is None:
            return  # neither a report nor a letter asking for one: the receipts module stays unimported
        from core.mail.receipts import parse_report, receipt_requested, report_subject

        report = parse_report(msg)
        if report is not None:
            meta["receipt"] = report.kind
            # the server's own witness: a letter a crash left in doubt was accepted; never sent again
            settled = self.outbox.settle_by_report(report.original_message_id)
            if settled is not None:
                self.sent_letters.record(
                    settled.message_id, settled.account, settled.recipients, settled.subject
                )
                log.info("outbox entry %s: a report proves the server accepted it", settled.id)
            before = self.sent_letters.get(report.original_message_id)
            letter = self.sent_letters.apply(report)
            if letter is not None:
                log.info("%s report attached to a sent letter", report.kind.upper())
                meta["receipt_for"] = letter.message_id  # its reader shows the letter's receipts
                # about the letter's own recipients only: anyone who knows its Message-ID (every recipient)
                # can write a report naming someone else, and such a one is left as it came (unread, news)
                sent_to = {r.address.lower() for r in letter.recipients}
                about_it = all(r.recipient in sent_to for r in report.recipients)
                # a failure already known (the same report met again in another folder) is not news twice
                known = {r.address.lower() for r in (before.recipients if before else ()) if r.state == "failed"}
                if any(r.state == "failed" and r.recipient in sent_to - known for r in report.recipients):
                    self._undelivered_news += 1  # said after the sync (NotDelivered); the report stays unread
                elif report.good_news and about_it:
                    meta["seen"] = True  # it arrived, or was read: nothing to do, kept read with the letter
                if about_it:  # listed in the core's words with the letter's subject, not the server's English
                    meta["subject"] = str(report_subject(report, letter.subject))
        elif receipt_requested(msg):
            meta["read_receipt_requested"] = True

    def _receipt_lines(self, header_id: str) -> tuple[str, ...]:
        """For a sent letter, one line per recipient: address and what became of the letter."""
        letter = self.receipt_status(header_id) if header_id else None
        if letter is None:
            return ()
        return tuple(f"{r.address} — {r.to_json()['text']}" for r in letter.recipients)

    def _receipts_read(self, message_id: str, header_id: str) -> tuple[str, ...]:
        """The receipt lines the reader shows: of the sent letter itself, or of the letter a delivery or read
        report is about. Opening either tells the core the doctor has seen a failure (no longer counted)."""
        about = header_id
        if not header_id or self.receipt_status(header_id) is None:
            about = str(self.messages.doc(message_id).get("receipt_for") or "")
        lines = self._receipt_lines(about)
        if lines:
            try:
                self.sent_letters.failure_seen(about)
            except Exception as exc:  # noqa: BLE001 - the letter is shown all the same
                log.warning("sent letter's failure not marked seen (%s)", type(exc).__name__)
        return lines

    def receipt_statuses(self) -> dict[str, str]:
        """Message-ID -> short delivery/read status of every sent letter (the core's words)."""
        return dict(self.sent_letters.statuses())

    def receipt_status(self, message_id: str) -> Any:
        """The sent letter whose Message-ID is ``message_id`` (``SentLetter``), or None."""
        return self.sent_letters.get(message_id)

    def read_receipt_request(self, message_id: str) -> str:
        """The address a stored message asks its read receipt to go to ('' when it asks none or it was
        answered already)."""
        import email

        from core.mail.receipts import receipt_requested

        if self.messages.doc(message_id).get("read_receipt_answered"):
            return ""
        return receipt_requested(email.message_from_bytes(self._opened_bytes(message_id)))

    def _opened_bytes(self, message_id: str) -> bytes:
        raw = self.messages.get_raw(message_id)
        try:
            return self._open_layers(raw).inner_mime_bytes
        except Exception:  # noqa: BLE001 - the outer headers are enough to answer
            return raw

    def queue_read_receipt(self, message_id: str, actor: str | None = None) -> Any:
        """Put the read receipt of a stored message in the outbox (sent at the next flush); the doctor's
        decision. Refused when the message asks none, or when it goes outside the trust policy."""
        import email

        from core.errors import BadInput
        from core.mail.compose import Composed
        from core.mail.receipts import build_mdn

        self._audit_in_step()
        opened = email.message_from_bytes(self._opened_bytes(message_id))
        summary = self.messages.get(message_id)
        account = self.accounts.get(summary.account or None)
        to, data = build_mdn(opened, account.email)
        if not to or self.messages.doc(message_id).get("read_receipt_answered"):
            raise BadInput(T("mailroom.message-demande-accuse-lecture"))
        self.outgoing.check([to])
        from core.mail.compose import header_value

        composed = Composed(header_value(data, "Message-ID") or "", account.email, (to,), data)
        entry = self.outbox.enqueue(composed, account.name, subject="Accusé de lecture")
        self.messages.update_meta(message_id, read_receipt_answered=True)
        self.audit.append("read-receipt", message_id, actor=actor, entry=entry.id)
        return entry

    async def answer_read_receipt(self, message_id: str, actor: str | None = None) -> Delivery:
        """Send the read receipt of a stored message now (the doctor agreed)."""
        from core.mail.send import deliver

        entry = self.queue_read_receipt(message_id, actor=actor)
        return await deliver(self.outbox, entry.id, self.accounts.get(entry.account))

    def read_receipt_prompt(self, message_id: str, actor: str | None = None) -> str:
        """On opening a message: with [receipts] answer = "always" its read receipt is queued (never to a
        patient); with "ask" (and for a patient) the address to ask the doctor about is returned; '' when
        the message asks none, it was answered, or the setting is "never"."""
        policy = self.settings.receipts.answer
        if policy == "never" or not self.messages.doc(message_id).get("read_receipt_requested"):
            return ""
        self._auto_read_receipt(message_id, actor)
        return self.read_receipt_request(message_id)

    def _people_in(self, addresses: list[str]) -> dict[str, str]:
        """The patients among a message's sender and recipients, named as the lists name them."""
        from core.clinical.patient_mail import is_patient_address

        if not any(is_patient_address(a) for a in addresses):
            return {}
        labels = self.patient_labels()
        return {a: labels[a.lower()] for a in addresses if a.lower() in labels}

    def _receipt_prompt(self, message_id: str, actor: str | None) -> str:
        try:
            return self.read_receipt_prompt(message_id, actor)
        except MissiveError as exc:  # reading never fails because of a receipt
            log.info("read receipt of %s not considered: %s", message_id[:16], type(exc).__name__)
            return ""

    def _auto_read_receipt(self, message_id: str, actor: str | None) -> None:
        """[receipts] answer = "always": the receipt is queued when the doctor opens the letter, never for
        a patient's mailbox."""
        from core.mail.receipts import may_answer_automatically

        if self.settings.receipts.answer != "always":
            return
        if not self.messages.doc(message_id).get("read_receipt_requested"):
            return
        to = self.read_receipt_request(message_id)
        if to and may_answer_automatically("always", to, self._senders(message_id)):
            try:
                self.queue_read_receipt(message_id, actor=actor)
            except Exception as exc:  # noqa: BLE001 - reading never fails because of a receipt
                log.warning("read receipt for %s not queued (%s)", message_id[:16], type(exc).__name__)

    def _senders(self, message_id: str) -> set[str]:
        """Every From address of a stored letter: as the list shows it (received) and inside its S/MIME
        layers (lower-cased; several when the letters disagree)."""
        import email
        from email.utils import getaddresses

        opened = email.message_from_bytes(self._opened_bytes(message_id))
        fields = [str(v) for v in opened.get_all("From", [])] + [self.messages.get(message_id).sender]
        return {address.lower() for _name, address in getaddresses(fields) if address}

    def _file_waiting(self) -> None:
        """After a sync: settle filings a crash interrupted and file ``auto`` results still waiting."""
        from core.settings import filing_folder_set

        if "documents" not in self.__dict__ and not filing_folder_set(self.profile.settings):
            return  # no filing folder: auto_file would do nothing (and the queue's modules stay unimported)
        try:
            filed = self.documents.auto_file()
        except Exception as exc:  # noqa: BLE001 - the mail is synced; the daemon retries the filing
            log.warning("automatic filing after sync failed (%s)", type(exc).__name__)
            return
        if filed:
            from core.events import DocumentFiled

            self._round_filed += len(filed)
            self.emit(DocumentFiled(len(filed)))

    def prepare_reading(self) -> None:
        """Open the services a first read uses (document queue, sent letters, accounts, and the keys for a
        profile that holds S/MIME material) before the doctor opens a message."""
        services = ["documents", "sent_letters", "accounts"]
        if uses_smime(self.profile.path):
            services.insert(0, "keys")
        for service in services:
            getattr(self, service)

    def _open_layers(self, raw: bytes) -> OpenedMessage:
        """``raw`` with its S/MIME layers removed (``smime.open_message``). A message whose own content type
        cannot carry S/MIME, read as the sync hook reads it, is given back as it is, neither signed nor
        encrypted (what ``open_message`` says of it): the S/MIME machinery and the keys are not loaded for it."""
        from core.mail import fastmime
        from core.secure.smime_kinds import OpenedMessage, may_be_smime

        content_type = fastmime.outer_content_type(raw)
        if content_type is not None and not may_be_smime(content_type):
            return OpenedMessage(raw, False, False, None, None)
        from core.secure.smime import open_message

        return open_message(raw, self.keys)

    def read_message(self, message_id: str, actor: str | None = None, words_later: bool = False) -> MessageView:
        """The message as the doctor reads it (S/MIME layers removed, HTML turned into text, the document
        queue's decisions for its clinical parts); audited on every read. Its words for the search are kept in
        the profile now, or with ``words_later`` by the next ``keep_read_words`` (a write to the profile: the app
        shows the letter first).


        The signature verdict is the one stored at sync time (verified once, when the message arrived).
        """
        from core.errors import MissiveError
        from core.mail import mime
        from core.model import MessageView
        from core.secure.smime_kinds import OpenedMessage

        summary = self.messages.get(message_id)
        raw = self.messages.get_raw(message_id)
        try:
            opened = self._open_layers(raw)
        except Exception as exc:  # noqa: BLE001 - show the raw message rather than nothing
            log.warning("message %s could not be opened (%s)", message_id[:16], type(exc).__name__)
            opened = OpenedMessage(raw, False, False, None, None, decrypted=True)
        self.audit.append("read", message_id, actor=actor)
        repaired = self._repair_summary(summary, raw)  # once the read is allowed (and recorded)
        repaired = self._learn_signers(repaired or summary, opened) or repaired
        summary = repaired or summary
        view = MessageView(
            summary=summary,
            sender=summary.sender,
            to=summary.to,
            subject=summary.subject,
            date=summary.date,
            signature=summary.signature if summary.signature is not None else opened.signature,
            signers=self._stored_signers(message_id, summary, opened),
            signed=opened.signed or summary.signed,
            encrypted=opened.encrypted or summary.encrypted,
            decrypted=opened.decrypted,
            cipher_note=opened.cipher_note,
            problem=opened.problem,
            outside_trust=self._outside_trust(message_id),
            receipts=self._receipts_read(message_id, summary.message_id),
            read_receipt_asked=bool(self.messages.doc(message_id).get("read_receipt_requested"))
            and bool(self.read_receipt_request(message_id)),
            receipt_request=self._receipt_prompt(message_id, actor),
            people=self._people_in([summary.sender, *summary.to]),
            summary_repaired=repaired is not None,
        )
        if summary.too_big:
            # only its headers were downloaded: what it is and where to read it, in place of its text
            from core.mail.imapwire import mb_text

            said = str(T("mail.sync.too-big-read", mb=mb_text(summary.size)))
            return replace(view, body=said, problem=said)
        if not raw.strip():
            # nothing came for it (a server's empty answer, a file read while still being written): a blank
            # letter, no sender nor date, said nothing; now it says what it is and where to look
            said = str(T("mail.sync.empty-read"))
            return replace(view, body=said, problem=said)
        if not opened.decrypted:
            return view
        try:
            parsed, attachments = mime.read(opened.inner_mime_bytes)
        except MissiveError as exc:
            log.warning("message %s: structure unreadable (%s)", message_id[:16], type(exc).__name__)
            # said in the letter's place, as for an empty or too large one: the reader and messages show
            # showed a blank letter (the problem was shown only for a letter not decrypted)
            return replace(view, body=str(exc), problem=str(exc))
        if words_later:
            with self._words_lock:
                self._words_due[parsed.message_id or summary.message_id] = (message_id, parsed.text)
        else:
            self._keep_read_words(parsed.message_id or summary.message_id, message_id, parsed.text)
        return replace(
            view,
            sender=parsed.sender or summary.sender,
            to=parsed.to or summary.to,
            cc=parsed.cc,
            subject=parsed.subject or summary.subject,
            date=parsed.date or summary.date,
            body=parsed.text,
            body_was_html=parsed.text_was_html,
            attachments=tuple(attachments),
            notes=parsed.notes,
            documents=self._message_documents(parsed.message_id),
            headers=tuple(parsed.headers.items()),
        )

    def _learn_signers(self, summary: MessageSummary, opened: OpenedMessage) -> MessageSummary | None:
        """A letter with several signers stored by an earlier version, which kept one verdict (the best
        signer's), learns each signer's as it is opened (``opened``, judged now), and its verdict becomes the
        least trusting of the stored one and theirs (``smime.letter_verdict``): the reader and the list say it.
        The new summary, or None (one signer, signers kept already, nothing stored). Its trust-space standing and
        its documents stay as they were decided; the log says it with the id only."""
        if not opened.signers or summary.signature is None:
            return None
        from core.secure.smime import letter_verdict

        try:
            if "signers" in self.messages.doc(summary.id):
                return None
            statuses = [status for status, _links in opened.signers]
            fresh = statuses[letter_verdict(statuses)]
            verdict = (summary.signature, fresh)[letter_verdict([summary.signature, fresh])]
            learnt = self.messages.keep_signers(summary.id, _signers_json(opened.signers), verdict.to_json())
        except Exception as exc:  # noqa: BLE001 - the letter is read all the same, with its one verdict
            log.warning("message %s: signers not kept (%s)", summary.id[:16], type(exc).__name__)
            return None
        if learnt is not None:
            log.info("message %s: each signer's verdict kept as it was read", summary.id[:16])
        return learnt

    def _stored_signers(
        self, message_id: str, summary: MessageSummary, opened: OpenedMessage
    ) -> tuple[SignatureStatus, ...]:
        """Each signer's verdict of a letter with several signers, as stored (judged again with the CRLs as the
        letter's): () for one signer, and for a letter stored before each was kept (its one verdict stands)."""
        from core.model import SignatureStatus

        if summary.signature is None:
            return tuple(status for status, _links in opened.signers)
        try:
            stored = self.messages.doc(message_id).get("signers")
        except Exception:  # noqa: BLE001 - the letter is read all the same, with its one verdict
            log.warning("message %s: signers not read", message_id[:16])
            return ()
        if not isinstance(stored, list):
            return ()
        return tuple(
            SignatureStatus.from_json(entry.get("signature") or {}) for entry in stored if isinstance(entry, dict)
        )

    def _repair_summary(self, summary: MessageSummary, raw: bytes) -> MessageSummary | None:
        """A letter listed blank (its header not read as it was stored: an import race before 72423d4) gets its
        list row from the letter itself as it is opened; the repaired summary, or None. Never keeps the letter
        from being read; the log says it with the id only."""
        if summary.sender or summary.subject or summary.date or summary.message_id or summary.to:
            return None
        try:
            repaired = self.messages.repair_summary(summary.id, raw)
        except Exception as exc:  # noqa: BLE001 - the letter is read all the same, its row stays blank
            log.warning("message %s: blank list row not repaired (%s)", summary.id[:16], type(exc).__name__)
            return None
        if repaired is not None:
            log.info("message %s: blank list row read again from the letter", summary.id[:16])
        return repaired

    def keep_read_words(self) -> None:
        """Keep the words of the letters read with ``words_later`` since the last call."""
        with self._words_lock:
            due, self._words_due = self._words_due, {}
        for header_id, (message_id, text) in due.items():
            self._keep_read_words(header_id, message_id, text)

    def _keep_read_words(self, header_id: str, message_id: str, text: str) -> None:
        """The words of a letter the doctor opened, in the search's form, in the profile's encrypted
        collection ``read_words`` (keyed by Message-ID, so a moved message keeps them): the inbox search finds
        a letter already read by its text. A failure here never keeps the letter from being read."""
        from core.clinical.search import searchable_text

        if not header_id or not text:
            return
        try:
            words = searchable_text(text)
            kept = self.profile.collection("read_words")
            if (kept.get(header_id) or {}).get("words") != words:
                kept.put(header_id, {"words": words})
        except Exception as exc:  # noqa: BLE001 - the letter is shown all the same
            log.warning("message %s: words for the search not kept (%s)", message_id[:16], type(exc).__name__)

    def _forget_read_words(self, header_id: str) -> None:
        """A letter removed for good takes its searchable words with it (unless a copy of it is still kept)."""
        if not header_id or any(m.message_id == header_id for m in self.messages.list(None)):
            return
        try:
            self.profile.collection("read_words").delete(header_id)
        except Exception as exc:  # noqa: BLE001 - the removal is done; the words stay encrypted
            log.warning("words for the search of a removed letter not forgotten (%s)", type(exc).__name__)

    def read_words_by_message(self) -> dict[str, str]:
        """Message-ID -> the words of the letters already opened (core.clinical.search form): the inbox
        search finds a letter by its text once it has been read. Letters never opened are not in it."""
        return {key: str(doc.get("words", "")) for key, doc in self.profile.collection("read_words").items()}

    def _outside_trust(self, message_id: str) -> bool:
        return self.messages.doc(message_id).get("trust") == "quarantine"

    def _held_why(self, queued: QueuedDocument) -> str:
        """Why a document with candidates waits though the matcher may have found its patient: a bare PDF (its
        identity read in its text), or a letter from outside the trust space, is never filed alone. "" else."""
        from core.errors import MissiveError

        if queued.state != "waiting" or not queued.candidates:
            return ""
        if queued.format == "pdf":
            return str(T("mailroom.review.held-pdf"))
        for store_id in queued.store_ids:
            with contextlib.suppress(MissiveError):
                if self._outside_trust(store_id):
                    return str(T("mailroom.review.held-untrusted"))
        return ""

    def _message_documents(self, header_id: str) -> tuple[MessageDocument, ...]:
        """The clinical parts the queue holds for the message with Message-ID ``header_id``."""
        from core.errors import MissiveError
        from core.model import ClinicalDocument, MessageDocument

        header_id = " ".join(header_id.split())
        if not header_id:
            return ()
        out: list[MessageDocument] = []
        for queued in self.documents.of_message(header_id):
            # the readers load only for a message that brought documents (most letters bring none)
            from core.clinical.kinds import BIOLOGY, OTHER, document_kind
            from core.clinical.readers import read_document
            from core.model import kind_label

            content: ClinicalDocument | None = None
            try:
                found = read_document(self.documents.raw(queued.id), queued.attachment).documents
                content = found[0] if found else None
            except MissiveError as exc:
                log.info("document %s not read again (%s)", queued.id, type(exc).__name__)
            read_again = content is not None and len(found) == 1  # this very document, read again
            if content is None:  # what the queue knows is still worth showing
                content = ClinicalDocument(
                    format=queued.format,  # type: ignore[arg-type]  # a reader's format, stored as text
                    identity=queued.identity,
                    title=queued.title or (queued.attachment if queued.unreadable else ""),  # a file never read
                    author=queued.sender,
                    date=queued.date,
                )
            kind = document_kind(content)
            label = "" if kind in (BIOLOGY, OTHER) else kind_label(kind)
            item = self._review_item(queued)
            if read_again:  # the count as read today (one stored by an older reader said what it said then)
                abnormal = sum(1 for o in content.observations if o.abnormal)
                if abnormal != item.abnormal:
                    item = replace(item, abnormal=abnormal)
            out.append(MessageDocument(content, item, label))
        return tuple(out)

    def resolve_message_id(self, given: str) -> str:
        """A full message id, from itself or a unique prefix of six characters or more (lists show 12)."""
        from core.errors import NotFound

        docs = self.messages.docs
        if docs.get(given) is not None:
            return given
        matches = [k for k in docs.keys() if k.startswith(given)] if len(given) >= 6 else []
        if len(matches) == 1:
            return matches[0]
        if len(given) >= 6 and any(saved.id.startswith(given) for saved in self.drafts()):
            raise NotFound(T("mailroom.draft-not-a-message", given=given[:40]))
        raise NotFound(T("mailroom.aucun-message-unique-voir", given=given[:40]))

    def mark_seen(self, message_id: str) -> None:
        """Flag a message read here; the background sync of its account (``keep_synced``) tells the server
        within seconds (a few letters read in a row go up together), else the next sync does."""
        summary = self.messages.get(message_id)
        if not summary.unread:
            return
        self.messages.add_flags(message_id, "\\Seen")
        for account, loop, read_here in list(self._read_waiters):
            if account == summary.account:
                with contextlib.suppress(RuntimeError):  # that loop has ended meanwhile
                    loop.call_soon_threadsafe(read_here.set)

    def sync_now(self) -> int:
        """A round of every account now (the refresh key): each ``keep_synced`` loop leaves its wait as for a
        letter read, and syncs (or asks the daemon it follows for a round); how many were asked."""
        asked = 0
        for _account, loop, wake in list(self._read_waiters):
            with contextlib.suppress(RuntimeError):  # that loop has ended meanwhile
                loop.call_soon_threadsafe(wake.set)
                asked += 1
        return asked

    def folders(self) -> list[str]:
        """Folder names, INBOX first; the quarantine and drafts folders when they hold something.

        With messages of two accounts or more, each account's folders are listed apart, account by account in
        the profile's order, under keys naming the account (``core.model.folder_key``), after INBOX, which is
        then every account's Réception together."""
        from core.model import folder_key

        rows = self.messages.rows()
        pairs = {(s.account, s.folder) for s in rows} if isinstance(rows, list) else rows.account_folders()
        if not any(f.upper() == INBOX for _, f in pairs):
            # nothing in any inbox yet (a fresh account, an empty mailbox): the folders the sync found on the
            # server are listed all the same, so Dossiers is never an empty box (Réception 0/0)
            pairs = set(pairs) | self._synced_folders()
        accounts = {a for a, _ in pairs}
        if len(accounts) > 1:
            order = {name: i for i, name in enumerate(self.account_names())}
            ranked = sorted(
                pairs,
                key=lambda p: (order.get(p[0], len(order)), p[0], p[1].upper() != "INBOX", p[1].lower()),
            )
            names = [INBOX] + [folder_key(a, f) for a, f in ranked]
        else:
            names = sorted({f for _, f in pairs}, key=lambda n: (n.upper() != "INBOX", n.lower()))
        if _quarantine_count(rows, self.messages) and len(self._rows(QUARANTINE_FOLDER)):
            names.append(QUARANTINE_FOLDER)
        if len(self.drafts_store):
            names.append(DRAFTS_FOLDER)
        return names

    def _synced_folders(self) -> set[tuple[str, str]]:
        """(account, folder) of every folder a sync has seen on the server, messages or not."""
        try:
            return {(a, f) for a in self.account_names() for f in self.messages.folder_names(a)}
        except Exception as exc:  # noqa: BLE001 - the folders with messages are listed all the same
            log.warning("synced folders unreadable (%s)", type(exc).__name__)
            return set()

    def resume_frame(self, view: str) -> tuple[str, str | None]:
        from core.store.resumeframe import frame_key, profile_stamp, read_frame

        try:
            key = frame_key(view, profile_stamp(self.profile.path))
        except OSError as exc:  # a folder of the profile unreadable: the app's own reads say so
            log.info("resume frame: profile not stamped (%s)", type(exc).__name__)
            return "", None
        return key, read_frame(self.profile.path, self.profile.vault, key)

    def keep_resume_frame(self, key: str, frame: str) -> None:
        from core.store.resumeframe import write_frame

        if not key:
            return
        try:
            write_frame(self.profile.path, self.profile.vault, key, frame)
        except OSError as exc:  # a cache: the next start is the normal one
            log.info("resume frame not kept (%s)", type(exc).__name__)

    def summaries(self, folder: str | None = None) -> SummaryRows:
        """A folder's list, newest first, decoded as it is read (a 50,000-message inbox paints at once).

        Quarantined messages are listed only in ``QUARANTINE_FOLDER``; ``DRAFTS_FOLDER`` lists the drafts kept
        in the profile, most recently saved first (``SavedDraft.summary``: recipients, subject, date saved)."""
        return self._rows(folder)

    def _rows(self, folder: str | None) -> SummaryRows:
        from core.mail.messages import SummaryList

        if folder == DRAFTS_FOLDER:
            return SummaryList(saved.summary() for saved in self.drafts())
        from core.model import folder_parts

        quarantine = folder == QUARANTINE_FOLDER
        account, name = folder_parts(folder) if folder and not quarantine else (None, folder)
        found = self.messages.rows(folder=None if quarantine else name, account=account)
        if isinstance(found, list):  # a store without a list index (small): read the marks
            trash = self._trash_folders() if found else set()
            if name in trash:
                return SummaryList(found)
            return SummaryList(
                s for s in found if self._outside_trust(s.id) is quarantine and s.folder not in trash
            )
        if quarantine or found.quarantine_count():
            # a message the doctor threw away is in the Trash, no longer waiting in the quarantine
            trash = self._trash_folders()
            if name in trash:
                return found
            rows = found.quarantined(quarantine)
            return rows.outside(trash) if quarantine else rows
        return found

    def _trash_folders(self) -> set[str]:
        from core.mail.mailops import TRASH

        return {self.mailops.folder_of_role(name, TRASH) for name in self.accounts.names()}

    def folder_counts(self) -> dict[str, FolderCount]:
        """Per folder of ``folders()``: unread and total messages (drafts: how many are kept)."""
        from core.model import FolderCount, folder_parts

        out: dict[str, FolderCount] = {}
        undelivered = self._undelivered_unseen()
        for name in self.folders():
            if name == DRAFTS_FOLDER:
                out[name] = FolderCount(0, len(self.drafts_store))
                continue
            rows = self._rows(name)
            account, folder = folder_parts(name)
            failed = 0
            if undelivered and self._is_sent_folder(account, folder):
                # said once per account, beside its first Sent folder
                failed = sum(n for a, n in undelivered.items() if account is None or a == account)
                for a in [a for a in undelivered if account is None or a == account]:
                    del undelivered[a]
            out[name] = FolderCount(rows.unread, len(rows), failed)
        return out

    def sent_folder(self, name: str) -> bool:
        """Whether the folder list's ``name`` holds the account's sent letters (``_is_sent_folder``)."""
        from core.model import folder_parts

        account, folder = folder_parts(name)
        return self._is_sent_folder(account, folder)

    def _is_sent_folder(self, account: str | None, folder: str) -> bool:
        """Whether ``folder`` (of ``account``; None: of the only account) is where the account's sent letters
        are: the folder its server marks \\Sent (SPECIAL-USE, as the last sync listed it) whatever its name, or,
        for an account whose server marks none, a folder of a usual Sent name."""
        from core.model import FOLDER_ROLES, imap_folder_text

        for name in [account] if account is not None else self.account_names() or [""]:
            roles = self.messages.folder_roles(name)
            if "sent" in roles.values():
                if roles.get(folder) == "sent":
                    return True
            elif FOLDER_ROLES.get(imap_folder_text(folder).lower()) == "folder.sent":
                return True
        return False

    def _undelivered_unseen(self) -> dict[str, int]:
        """Account -> its letters not delivered that the doctor has not opened since (nothing to read when the
        profile has no sent letter)."""
        try:
            return dict(self.sent_letters.undelivered_unseen())
        except Exception as exc:  # noqa: BLE001 - the counts are shown all the same
            log.warning("sent letters unreadable for the folder counts (%s)", type(exc).__name__)
            return {}

    # -- what the doctor does to a message: flags, move, archive, delete, undo --------------------------------
    @cached_property
    def mailops(self) -> MailOps:
        from core.mail.mailops import MailOps

        return MailOps(
            self.messages,
            self.profile.collection("mailops"),
            self.profile.collection("mailroles"),
            _mail_source,
        )

    async def _flag(self, message_id: str, flag: str, on: bool) -> MessageSummary:
        account = self.accounts.get(self.messages.get(message_id).account)
        followed = account.name in self._followed
        try:
            async with self._account_locks.held(account.name):  # never in the middle of a sync round
                await self._ops(followed).set_flag(account, message_id, flag, on)
        except ServerRefused as exc:
            log.warning("flag change of %s refused by the server", message_id[:12])
            raise ServerRefused(T("mail.ops.serveur-refuse-drapeau", reason=_reason(exc))) from None
        if followed:
            await self._daemon_round(account.name)  # the daemon's round sends it (kept here until then)
        return self.messages.get(message_id)

    def _ops(self, followed: bool) -> MailOps:
        """The operations on messages: on the server now, or (``followed``: the daemon syncs this account for
        the app) written here for the daemon's round, which this process then asks for (``_daemon_round``)."""
        return self._daemon_ops if followed else self.mailops

    @cached_property
    def _daemon_ops(self) -> MailOps:
        from core.mail.mailops import MailOps

        return MailOps(
            self.messages,
            self.profile.collection("mailops"),
            self.profile.collection("mailroles"),
            _left_to_the_daemon,
        )

    async def _daemon_round(self, account: str) -> bool:
        """Ask the running daemon for a sync round of ``account`` (it sends what waits here: flags, moves,
        removals; and brings what came); whether it did. The daemon gone, what waits stays for the sync this
        app takes over with (keep_synced); the daemon's sync failing (the server out of reach) is logged, and
        the operation waits in the same way."""

        from core import agent

        try:
            reports = await _in_daemon_thread(agent.ask_sync, self.profile.path, account)
        except MissiveError as exc:
            log.info("account %s: the daemon's round failed (%s); kept for the next one", account, type(exc).__name__)
            return False
        if reports is None:
            log.info("account %s: no daemon answers; kept for this app's own sync", account)
            return False
        return True

    async def set_seen(self, message_id: str, seen: bool) -> MessageSummary:
        """Mark the message read or unread, here at once and on the server (now, or at the next sync)."""
        from core.model import SEEN

        return await self._flag(message_id, SEEN, seen)

    async def set_flagged(self, message_id: str, flagged: bool) -> MessageSummary:
        """Flag the message (important) or clear the flag, here and on the server."""
        from core.model import FLAGGED

        return await self._flag(message_id, FLAGGED, flagged)

    def move_targets(self, message_id: str) -> list[str]:
        """Folders of the message's account it can be moved to (its own left out), INBOX first; the Trash
        and Archive folders even before they exist (they are created by the move)."""
        from core.mail.mailops import ARCHIVE, TRASH

        summary = self.messages.get(message_id)
        names = set(self.messages.folder_names(summary.account))
        names |= {self.mailops.folder_of_role(summary.account, role) for role in (TRASH, ARCHIVE)}
        names.discard(summary.folder)
        return sorted(names, key=lambda n: (n.upper() != "INBOX", n.lower()))

    async def move_message(self, message_id: str, folder: str, actor: str | None = None) -> MoveResult:
        """Move the message to ``folder`` of its account; undoable (``undo_move``); audited (ids only)."""
        summary = self.messages.get(message_id)
        role = self.mailops.role_of(summary.account, folder)
        return await self._move(summary, folder, role or "folder", actor)

    async def archive_message(self, message_id: str, actor: str | None = None) -> MoveResult:
        """Move the message to its account's Archive folder (SPECIAL-USE \\Archive; created when absent)."""
        from core.mail.mailops import ARCHIVE

        summary = self.messages.get(message_id)
        return await self._move(
            summary, self.mailops.folder_of_role(summary.account, ARCHIVE), ARCHIVE, actor
        )

    def delete_question(self, message_id: str) -> str:
        """ "" when a delete moves the message to the Trash; the question to ask when it is in the Trash
        already (there, a delete removes it for good)."""
        from core.mail.mailops import TRASH

        summary = self.messages.get(message_id)
        if summary.folder != self.mailops.folder_of_role(summary.account, TRASH):
            return ""
        return str(T("mail.ops.supprimer-definitivement"))

    async def delete_message(
        self, message_id: str, actor: str | None = None, *, for_good: bool = False
    ) -> MoveResult:
        """Move the message to its account's Trash (undoable). In the Trash, remove it for good, only when
        ``for_good`` says the doctor answered ``delete_question`` yes."""
        from core.mail.mailops import TRASH
        from core.model import MoveResult

        summary = self.messages.get(message_id)
        trash = self.mailops.folder_of_role(summary.account, TRASH)
        if summary.folder != trash:
            return await self._move(summary, trash, TRASH, actor)
        if not for_good:
            raise BadInput(T("mail.ops.confirmer-suppression"))
        self._audit_in_step()
        account = self.accounts.get(summary.account)
        followed = account.name in self._followed
        try:
            async with self._account_locks.held(account.name):
                done = await self._ops(followed).expunge(account, message_id)
        except ServerRefused as exc:
            log.warning("removal of %s refused by the server", message_id[:12])
            raise ServerRefused(T("mail.ops.serveur-refuse-suppression", reason=_reason(exc))) from None
        if followed and done.queued and await self._daemon_round(account.name):
            from core.mail.mailops import Done

            done = Done("", self._op_waits(message_id))
        self._forget_read_words(summary.message_id)
        if self._last_move is not None and self._last_move.message_id == message_id:
            self._last_move, self._no_undo = None, T("mail.ops.undo-supprime")  # deleted for good since
        self.audit.append("expunge", message_id, actor, queued=done.queued)
        log.info("message %s removed for good%s", message_id[:12], " (queued)" if done.queued else "")
        return MoveResult("", summary.account, summary.folder, "", TRASH, done.queued, expunged=True)

    async def _move(self, summary: MessageSummary, folder: str, role: str, actor: str | None) -> MoveResult:
        from core.model import MoveResult

        self._audit_in_step()
        account = self.accounts.get(summary.account)
        followed = account.name in self._followed
        try:
            async with self._account_locks.held(account.name):
                done = await self._ops(followed).move(account, summary.id, folder)
        except ServerRefused as exc:
            log.warning("move of %s (%s) refused by the server", summary.id[:12], role)
            raise ServerRefused(T("mail.ops.serveur-refuse-deplacement", reason=_reason(exc))) from None
        if followed and done.queued:
            done = await self._moved_by_daemon(account.name, summary, folder, done)
        shown_role = role if role in ("trash", "archive") else ""
        result = MoveResult(done.message_id, summary.account, summary.folder, folder, shown_role, done.queued)
        action = {"trash": "delete", "archive": "archive", "undo": "undo-move"}.get(role, "move")
        self.audit.append(action, summary.id, actor, to=done.message_id, queued=done.queued)
        log.info(
            "message %s: %s -> %s%s",
            summary.id[:12],
            action,
            done.message_id[:12],
            " (queued)" if done.queued else "",
        )
        self._last_move = result if result.undoable else None
        return result

    def _op_waits(self, message_id: str) -> bool:
        return bool(self.mailops.ops.find(lambda op: op.get("store_id") == message_id))

    async def _moved_by_daemon(self, account: str, summary: MessageSummary, folder: str, done: Any) -> Any:
        """A move written here for the daemon (the account followed): its round asked for and awaited; the
        message's id once moved (the one the destination's sync gives it), as a move done here returns it.
        Still waiting (the daemon gone, its server out of reach): queued, as when the server is out of reach."""
        from core.mail.mailops import Done

        blob = self.messages.doc(summary.id).get("blob")
        if not await self._daemon_round(account) or self._op_waits(summary.id):
            return done
        if self.messages.has(summary.id):
            now = self.messages.get(summary.id)
            if now.folder == summary.folder:  # the daemon's round gave it up: the server said no
                log.warning("move of %s refused by the server (the daemon's round)", summary.id[:12])
                raise ServerRefused(T("mail.ops.serveur-refuse-deplacement", reason=str(T("agent.refus-demon"))))
            return Done(summary.id, False)
        if blob:
            found = self.messages.docs.find(
                lambda doc: doc.get("blob") == blob and doc.get("folder") == folder and doc.get("account") == account
            )
            if found:
                return Done(found[0][0], False)
        return Done("", False)  # moved, then dropped here: the destination's next sync brings it back

    async def undo_move(self, actor: str | None = None) -> MoveResult:
        """Take back the last move, archive or delete of this session: the message goes back to its folder.
        Kept for the session only (after a restart the message is where it went, as the refusal says); when
        there is nothing to take back, the refusal says why: nothing moved since opening, undone already,
        deleted for good since, or moved away meanwhile (another window, a sync)."""
        last = self._last_move
        if last is not None and not self.messages.has(last.message_id):
            self._last_move, self._no_undo = None, T("mail.ops.undo-parti")
        if self._last_move is None:
            raise NotFound(self._no_undo)
        assert last is not None
        result = await self._move(self.messages.get(last.message_id), last.origin, "undo", actor)
        self._last_move, self._no_undo = None, T("mail.ops.undo-deja-fait")
        return result

    def waiting_operations(self) -> int:
        """Moves and removals done here that wait for the server (replayed at the next sync)."""
        return self.mailops.waiting()

    # -- the document queue ---------------------------------------------------------------------------------
    def review_items(self) -> tuple[list[ReviewItem], list[ReviewItem]]:
        """(documents waiting for a decision: filed documents whose letter's signer turned out revoked first (to
        be checked in the practice software), files that could not be read among them; documents decided: filed,
        then the duplicates of documents of the queue, each saying which one stands for it), oldest first."""
        items = self.documents.list(("waiting", "unreadable", "filed", "duplicate"))
        waiting = sorted((q for q in items if q.state in ("waiting", "unreadable")), key=_backlog_order)
        # filed from a letter whose signer turned out revoked: first, a person checks the practice software
        checks = sorted((q for q in items if q.revoked_check), key=_backlog_order)
        pending = [self._review_item(q) for q in (*checks, *waiting)]
        filed = [self._review_item(q) for q in items if q.state == "filed" and not q.revoked_check]
        filed += [self._review_item(q) for q in items if q.state == "duplicate"]
        return pending, filed

    def differing_traits(self, identity: Identity, patient: Patient) -> frozenset[str]:
        """The traits (name, birth_name, given, birth_date, sex, ins) on which a document's patient and a
        registry patient differ, by the matcher's measures (``core.clinical.matching.differing_traits``)."""
        from core.clinical.matching import differing_traits

        return differing_traits(identity, patient)

    def review_count(self) -> int:
        return self.documents.pending_count()

    def patients_by_message(self) -> dict[str, str]:
        """Message-ID -> the names of the patients its clinical documents are about (as the documents state
        them, and the patient each was filed to), in the searchable form of core.clinical.search: the inbox
        search finds a doctor's mail by patient name."""
        from core.clinical.search import searchable
        from core.practice.patients import searched_names

        names: dict[str, list[str]] = {}
        rows = self.documents.named_in()
        known = searched_names(self.profile.collection("patients")) if rows is not None else None
        if rows is not None and known is not None:  # the indexes: no document nor patient decrypted
            for message_id, patient_id, said in rows:
                words = [said, known.get(patient_id, "")] if patient_id else [said]
                names.setdefault(message_id, []).append(" ".join(w for w in words if w))
            return {mid: searchable(" ".join(parts)) for mid, parts in names.items()}
        for queued in self.documents.list():
            if not queued.message_id:
                continue
            ident = queued.identity
            words = [ident.family_name, ident.birth_name, *ident.given_names]
            patient = self.patient(queued.patient_id) if queued.patient_id else None
            if patient is not None:
                words += [patient.birth_name, patient.used_name, *patient.given_names]
            names.setdefault(queued.message_id, []).append(" ".join(w for w in words if w))
        return {mid: searchable(" ".join(parts)) for mid, parts in names.items()}

    def filed_patients(self) -> dict[str, str]:
        """Message-ID -> the patient its documents were filed for ("NOM Prénom", "+1" for each other one):
        the queue's decisions, for the list's column when the width allows."""
        from core.clinical.patient_mail import filed_label, filed_label_of
        from core.practice.patients import PatientRegistry, filed_names

        filed = [(mid, pid) for mid, pid in self.documents.filed_to() if mid and pid]
        names = filed_names(self.profile.collection("patients"))  # the labels index: no patient decrypted
        if names is not None:
            ids: dict[str, list[str]] = {}
            for message_id, patient_id in filed:
                if patient_id in names:
                    seen = ids.setdefault(message_id, [])
                    if patient_id not in seen:
                        seen.append(patient_id)
            return {mid: filed_label_of([names[pids[0]]], len(pids)) for mid, pids in ids.items()}
        # each patient shard read once (one patient at a time read them again and again past the 16 kept in memory)
        docs = self.profile.collection("patients").get_many({patient_id for _, patient_id in filed})
        known = {patient_id: PatientRegistry._load(patient_id, doc) for patient_id, doc in docs.items()}
        found: dict[str, list[Patient]] = {}
        for message_id, patient_id in filed:
            patient = known.get(patient_id)
            patients = found.setdefault(message_id, [])
            if patient is not None and patient not in patients:
                patients.append(patient)
        return {mid: filed_label(patients) for mid, patients in found.items() if patients}

    def critical_count(self) -> int:
        """Waiting documents with a critical result (the status bar's count)."""
        return self.documents.critical_count()

    def patient_labels(self) -> dict[str, str]:
        """Every patient mailbox of the list -> "◆ NAME First · INS …", so lists name patients and mark them
        apart."""
        from core.clinical.patient_mail import PATIENT_DOMAIN, patient_label
        from core.practice.patients import labelled, listed

        # the patients' collection alone: the matching index (its SQLite file) opens for a match, not a list
        rows = labelled(self.profile.collection("patients"))
        if rows is not None:
            return {f"{ins}@{PATIENT_DOMAIN}".lower(): f"◆ {label}" for ins, label in rows}
        return {
            f"{p.ins}@{PATIENT_DOMAIN}".lower(): f"◆ {patient_label(p)}"
            for p in listed(self.profile.collection("patients"))
            if p.ins
        }

    def list_patients(self) -> list[Patient]:
        return self.patients.list()

    def patient(self, patient_id: str) -> Patient | None:
        """The patient ``patient_id``, or None: read from the patients' collection, as ``self.patients.get``
        does, without opening the matching index (the inbox's list and a letter's filed documents name
        patients; only a match needs the index)."""
        from core.practice.patients import stored

        return stored(self.profile.collection("patients"), patient_id)

    def file_document(self, doc_id: str, patient_id: str, actor: str | None = None) -> ReviewItem:
        """File a waiting document for ``patient_id`` into the practice software; audited."""
        self._audit_in_step()
        return self._review_item(self.documents.file(doc_id, patient_id, actor=actor))

    def reject_document(self, doc_id: str, actor: str | None = None) -> ReviewItem:
        self._audit_in_step()
        return self._review_item(self.documents.reject(doc_id, actor=actor))

    def mark_dealt_with(self, doc_id: str, actor: str | None = None) -> ReviewItem:
        """A file that could not be read, dealt with by a person otherwise (not filed): out of À classer;
        audited with who did it. BadInput for any other document."""
        self._audit_in_step()
        return self._review_item(self.documents.dealt_with(doc_id, actor=actor))

    def undo_filing(self, doc_id: str, actor: str | None = None) -> ReviewItem:
        """Take back a document's filing, rejection or correction; the answer's ``undone`` says which."""
        self._audit_in_step()
        queued, undone = self.documents.take_back(doc_id, actor=actor)
        return replace(self._review_item(queued), undone=undone)

    def _review_item(self, queued: QueuedDocument) -> ReviewItem:
        from core.model import ReviewItem

        patient_id = queued.patient_id
        none_why = ""
        if queued.state == "waiting" and not queued.candidates:
            none_why = str(self._why_no_candidate(queued.identity))
        from core.practice.documents import (
            envelope_conflict,
            envelope_label,
            filed_automatically,
            filed_note,
            set_aside,
        )

        conflict = envelope_conflict(queued)
        return ReviewItem(
            held=self._held_why(queued) if not conflict else "",
            no_candidate=none_why,
            envelope=queued.envelope,
            conflict=conflict,
            envelope_label=envelope_label(queued),
            id=queued.id,
            identity=queued.identity,
            state=queued.state,
            decision=queued.decision,
            title=queued.title,
            date=queued.date,
            sender=queued.sender,
            format=queued.format,
            message_id=queued.message_id,
            candidates=tuple((c, self.patient(c.patient_id)) for c in queued.candidates),
            patient=self.patient(patient_id) if patient_id else None,
            patient_id=patient_id,
            observations=queued.observations,
            critical=queued.critical,
            attachment=queued.attachment,
            filed_at=_when(queued.filed_at),
            filed_note=filed_note(
                filed_automatically(queued), _when(queued.filed_at), patient_id, Path(queued.filed_path or "").name
            )
            if queued.state == "filed"
            else "",
            filed_automatically=queued.state == "filed" and filed_automatically(queued),
            kind=queued.kind,
            abnormal=queued.abnormal,
            duplicate_of=queued.duplicate_of,
            duplicate_note=self.documents.duplicate_note(queued),
            version_of=queued.version_of,
            version_note=self.documents.version_note(queued),
            unreadable=queued.unreadable,
            unreadable_note=self.documents.unreadable_note(queued),
            hand_fileable=queued.hand_fileable,
            set_aside=set_aside(queued),
            signer_revoked=queued.signer_revoked,
            revoked_note=self.documents.revoked_note(queued),
        )

    def _why_no_candidate(self, identity: Identity) -> Any:
        from core.clinical.matching import why_no_candidate

        # the patients the matcher looked among: its index counts them (the collection would be read whole)
        return why_no_candidate(identity, len(self.patients.index()))

    # -- S/MIME on a message given whole (``missive smime ...``), keys and trust (``missive keys|trust ...``) ------
    def encrypt_message(
        self, message: bytes, recipients: Sequence[str], *, include_self: bool = True, oaep: bool = False
    ) -> bytes:
        """Encrypt a MIME message for each recipient (and for us); the patient-encryption rule applies first."""
        from core.secure import smime

        self.trust.check_encryption(recipients)
        return smime.encrypt(
            message, self.keys.recipient_certs(recipients, include_self=include_self), oaep=oaep
        )

    def decrypt_message(self, message: bytes) -> tuple[bytes, str]:
        """The message decrypted with the profile's keys, and a note on an outdated cipher ('' when none)."""
        from core.secure import smime

        return smime.decrypt(message, self.keys.decryption_identities()), smime.cipher_note(message)

    def sign_message(self, message: bytes, *, opaque: bool = False) -> bytes:
        """Sign with the identity of the message's From address (else our only one); SecurityError without."""
        from email.parser import BytesHeaderParser
        from email.policy import compat32
        from email.utils import parseaddr

        from core.secure import smime
        from core.secure.keystore import require_identity

        try:
            value = BytesHeaderParser(policy=compat32).parsebytes(message).get("From")
        except (ValueError, TypeError):
            value = None
        address = parseaddr(str(value or ""))[1].strip().lower() or None
        key, cert, chain = require_identity(self.keys, address)
        return smime.sign(message, key, cert, chain, detached=not opaque)

    def verify_message(self, message: bytes) -> SignatureStatus:
        """The signature's verdict (a valid signer's certificate is kept for replying encrypted)."""
        return self.verify_signers(message)[0]

    def verify_signers(self, message: bytes) -> tuple[SignatureStatus, tuple[SignatureStatus, ...]]:
        """The letter's verdict (``verify_message``'s) and, for a letter with several signers, each one's (the
        letter's is the least trusting of them: smime.letter_verdict); () for one signer."""
        from core.model import SignatureStatus
        from core.secure import smime

        opened = smime.open_message(message, self.keys)
        status = opened.signature
        if status is None:
            if not opened.decrypted:
                return SignatureStatus(
                    False, reason="sig.unreadable", params={"problem": str(opened.problem)}
                ), ()
            foreign = smime.foreign_signature(opened.inner_mime_bytes)
            if foreign:
                return SignatureStatus(False, reason="sig.foreign", params={"kind": foreign}), ()
            return SignatureStatus(False, reason="sig.not-signed"), ()
        if status.valid and opened.signer_cert:
            self.keys.harvest(opened.signer_cert)
        return status, tuple(each for each, _links in opened.signers)

    def import_identity_data(self, p12: bytes, password: str) -> dict[str, Any]:
        """Our S/MIME key and certificate from the bytes of a .p12: emails, subject, expiry, and
        ``opened_letters``: the stored letters this key opens now (``open_undecrypted``)."""
        self._audit_in_step()
        info = self.keys.import_p12(p12, password)
        return {**info, "opened_letters": self.open_undecrypted()}

    def open_undecrypted(self) -> int:
        """Read again, with the keys held now, the letters the sync could not decrypt (encrypted for a key the
        profile did not hold yet, say a renewed certificate imported a day late): their documents go to À
        classer or are filed as at sync; before, they never were, and nothing said so. The number opened."""
        opened = self._read_again("undecrypted")
        if opened:
            log.info("%d letters decrypted with an imported key", opened)
        return opened

    def _read_again(self, flag: str) -> int:
        """Run the sync hook again on the stored letters marked ``flag`` (still marked when it says so again):
        their documents queued or filed as at sync. The number done."""
        from core.mail.messages import FILED

        waiting = [key for key, doc in self.messages.docs.items() if doc.get(flag)]
        opened = 0
        for message_id in waiting:
            try:
                doc = self.messages.docs.get(message_id) or {}
                folder = doc.get("folder")
                role = self.messages.folder_roles(str(doc.get("account") or "")).get(folder or "")
                meta = self.on_new_message(
                    self.messages.get_raw(message_id), message_id, folder=folder, role=role
                )
            except Exception:  # noqa: BLE001 - one letter that cannot be read again stays as it was
                log.warning("message %s could not be read again", message_id[:16])
                continue
            if meta.get(flag):
                continue  # still not for a key of ours, or the audit log still broken
            filed = bool(meta.pop("filed", False))
            self.messages.update_meta(message_id, **{"trust": None, **meta, flag: False})
            if filed:
                self.messages.add_flags(message_id, FILED)  # as the sync does: here, and on the server
            opened += 1
        return opened

    def add_certificates(self, data: bytes, name: str) -> list[dict[str, Any]]:
        """The correspondents' certificates in a .pem/.der/.p7b (authorities left out: ``trust_authorities``)."""
        self._audit_in_step()
        found = self._certificates(data, authorities=False, name=name)
        return [self.keys.add_cert(cert) for cert in found]

    def trust_authorities(self, data: bytes, name: str) -> list[dict[str, Any]]:
        """Trust the authorities in a .pem/.der/.p7b (IGC-Santé, a hospital's CA)."""
        self._audit_in_step()
        return [self.keys.trust(cert) for cert in self._certificates(data, authorities=True, name=name)]

    @staticmethod
    def _certificates(data: bytes, *, authorities: bool, name: str) -> list[Any]:
        from core.secure.certs import is_ca, load_certificates

        found = [cert for cert in load_certificates(data) if is_ca(cert) == authorities]
        if not found:
            code = "mailroom.no-authority" if authorities else "mailroom.only-authorities"
            raise BadInput(T(code, file=name))
        return found

    def key_listing(self) -> dict[str, list[dict[str, Any]]]:
        """Our certificates ("own"), the correspondents' ("certificates"), the authorities ("anchors")."""
        return self.keys.listing()

    def remove_key(self, fingerprint: str) -> None:
        """Forget a certificate or an authority (its SHA-256 fingerprint or a start of it); NotFound."""
        self._audit_in_step()
        if not self.keys.remove(fingerprint):
            raise NotFound(T("mailroom.no-certificate", fingerprint=fingerprint))

    def import_whitelist(self, xml: bytes) -> dict[str, Any]:
        """The MSSanté whitelist (listeblanchemssante.xml) imported: how many domains, when generated."""
        return self.trust.import_whitelist(xml)

    def trust_info(self) -> dict[str, Any]:
        """The trust mode, the whitelist, the extra allowed addresses, the whitelist's download ages, and the
        revocation lists held (issuer, thisUpdate, nextUpdate, entries, age, expired) with their download's."""
        from core.lists import age_words

        crls = [
            {**doc, "age": age_words(doc["this_update"])} for doc in self.keys.crls.listing()
        ]
        return self.trust.describe() | {
            "whitelist_download": self.lists_info()["whitelist"],
            "crls": crls,
            "crl_download": self.lists.info("crl"),
        }

    def update_crls(self, urls: Sequence[str] | None = None, ca_file: str | None = None) -> Any:
        """Download the certificate revocation lists: ``urls``, else ``[lists] crl_urls`` and (unless
        ``crl_from_certificates = false``) the distribution points the authorities and certificates held name.
        Each one is kept only once its authority's signature and its dates hold (core.lists.update_crls)."""
        from core.lists import update_crls

        chosen = list(urls or ())
        if not chosen:
            chosen = list(self.settings.lists.crl_urls)
            if self.settings.lists.crl_from_certificates:
                chosen += self.keys.crl_urls()
        update = update_crls(self.lists, self.keys, list(dict.fromkeys(chosen)), self._lists_ca(ca_file))
        if update.authorities:
            again, filed, flagged = self.judge_signatures_again(update.authorities)
            if again:
                update.lines.append(str(T("lists.crl-letters", count=again)))
            if filed:
                update.lines.append(str(T("lists.crl-letters-filed", count=filed)))
            if flagged:
                update.lines.append(str(T("lists.crl-documents-check", count=flagged)))
        return update

    def _signature_basis(self, message_id: str) -> dict[str, Any]:
        """What a stored letter's signature rests on (``sig_basis``), learnt by opening it once; an empty chain
        when it cannot be learnt (unreadable, failing today for another reason than revocation: an expired
        certificate...); its stored verdict is kept either way."""
        from core.secure.smime import open_message

        # When missive had it: by the time it wrote the file of its raw copy (that file's time, missive's own
        # clock, never the sender's word; a file rewritten since only gives a later time), else now. "now" alone
        # made every older letter whose signer was revoked since, for whatever reason, "certificat révoqué"
        # months after it was read as valid (and quarantined in strict mode).
        when = dt.datetime.now(dt.UTC)
        with contextlib.suppress(Exception):
            stored = self.messages.stored_at(message_id)
            if stored is not None and stored < when:
                when = stored
        seen = when.isoformat(timespec="seconds")
        try:
            opened = open_message(self.messages.get_raw(message_id), self.keys)
        except Exception as exc:  # noqa: BLE001 - a letter that cannot be opened keeps its verdict
            log.info("signature of message %s not read again (%s)", message_id[:16], type(exc).__name__)
            return {"seen": seen, "chain": []}
        basis: dict[str, Any] = {"seen": seen, "chain": list(opened.revocation_links)}
        if opened.signers:  # several signers: each one's, taken out of the basis by the caller
            basis["signers"] = _signers_json(opened.signers)
        return basis

    def judge_signatures_again(self, authorities: Sequence[str]) -> tuple[int, int, int]:
        """The stored letters whose valid signature rests on a certificate issued by one of ``authorities``
        (core.secure.crl.name_key of their names; their revocation list just changed) are judged again against
        the CRLs held now, from what their verdict kept (``sig_basis``: the chain's authorities and serial
        numbers, and when missive had the letter): a certificate revoked since before that time makes the
        letter's signature "certificat révoqué" (quarantined in strict mode), one whose revocation was not
        known becomes checked. No letter is read again, but once those stored by an older version (valid, no
        ``sig_basis``): each is opened once to learn its chain, its verdict kept, then judged as the others (the
        time it was in hand is taken from its stored copy's file, else now).
        How many verdicts changed, how many of the letters now revoked had documents filed already, and how many
        such documents now wait in À classer for a person to check the practice software (they were filed on a
        signature that no longer holds: ``DocumentQueue.signer_revoked_found``; the files stay where they are);
        ``RevokedFiled`` tells the app."""

        wanted = set(authorities)

        def chains(doc: dict[str, Any]) -> list[Any]:
            basis = doc.get("sig_basis") or {}
            found = list(basis.get("chain") or ())
            for entry in doc.get("signers") or ():
                if isinstance(entry, dict):
                    found += entry.get("chain") or ()
            return found

        def vouched(doc: dict[str, Any]) -> bool:
            basis = doc.get("sig_basis")
            if not isinstance(basis, dict):
                # stored before verdicts kept their chain: looked at once (below)
                return basis is None and bool((doc.get("signature") or {}).get("valid"))
            return any(isinstance(link, dict) and link.get("crl") in wanted for link in chains(doc))

        crls = self.keys.crls
        updates: dict[str, dict[str, Any]] = {}  # verdicts changed
        learnt: dict[str, dict[str, Any]] = {}  # an older version's letters: their basis, verdict unchanged
        filed = 0  # letters now revoked whose documents were filed already
        revoked: dict[str, str] = {}  # letters now revoked (store id -> Message-ID)
        for key, doc in self.messages.docs.find(vouched):
            if doc.get("sig_basis") is None:
                basis = self._signature_basis(key)
                signers = basis.pop("signers", None)
                doc = {**doc, "sig_basis": basis, **({"signers": signers} if signers else {})}
                learnt[key] = doc
                if not signers and not any(link.get("crl") in wanted for link in chains(doc)):
                    continue  # nothing to judge it by, or its authority's list did not change
            try:
                again, signers = _judged_again(doc, crls)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning("signature of message %s not judged again (%s)", key[:16], type(exc).__name__)
                continue
            if again is None or (again.to_json() == doc.get("signature") and signers == doc.get("signers")):
                continue
            doc = {**doc, "signature": again.to_json(), **({"signers": signers} if signers is not None else {})}
            if not again.valid and not doc.get("own"):
                with contextlib.suppress(Exception):  # the policy check never blocks the verdict
                    sender = str(doc.get("from") or "")
                    if self.trust.classify_incoming(sender, False, bool(doc.get("encrypted"))) == "quarantine":
                        doc["trust"] = "quarantine"
            updates[key] = doc
            if not again.valid and again.reason in ("sig.cert-revoked", "sig.ca-revoked"):
                revoked[key] = str(doc.get("message_id") or "")
        if updates or learnt:
            self.messages.docs.put_many({**learnt, **updates})
        # the documents already filed from the letters now revoked wait for a person (the files stay: the practice
        # software has imported them); those still waiting to be filed automatically wait for a decision
        flagged = 0
        for key, header_id in revoked.items():
            try:
                found, _withdrawn = self.documents.signer_revoked_found(key, header_id)
            except MissiveError as exc:
                log.warning("documents of message %s not put back for a check (%s)", key[:16], type(exc).__name__)
                continue
            flagged += len(found)
            if found or updates[key].get("filed"):
                filed += 1
        if updates:
            self.messages.refresh_list_index()
            log.info("signature verdicts of %d stored letters changed with a revocation list", len(updates))
            from core.events import MarksRefreshed

            self.emit(MarksRefreshed(len(updates)))  # an app following the daemon shows the new marks
        if learnt:
            log.info("chains of %d letters stored by an older version read once", len(learnt))
        if filed:
            log.warning("%d letters whose documents were filed are now signed by a revoked certificate", filed)
        if flagged:
            from core.events import RevokedFiled

            self.emit(RevokedFiled(flagged, self.documents.pending_count(), revoked_filed_line(flagged)))
        return len(updates), filed, flagged

    # -- the profile itself (``missive passphrase``, ``missive audit``) ----------------------------------------
    def change_passphrase(self, new_passphrase: str) -> None:
        """Encrypt the profile's key under a new passphrase (the data is not re-encrypted)."""
        self._audit_in_step()
        self.profile.change_passphrase(new_passphrase)

    def audit_problem(self) -> AuditProblem | None:
        """The first altered record of the audit log (its index and why), or None when the chain is intact."""
        return self.audit.verify()

    def audit_records(self) -> list[dict[str, Any]]:
        """Every audit record (ids only: actor, action, object), oldest first."""
        return self.audit.records()

    def audit_seal(self) -> dict[str, Any] | None:
        """Since when the log is sealed against a roll-back (None: not sealed yet)."""
        return self.audit.seal_status()

    def audit_readable(self, kept: str | None = None) -> tuple[list[dict[str, Any]], AuditProblem | None]:
        """The audit records that read up to the first problem, and that problem (None: intact); ``kept``: a log
        kept by a reseal (``audit/broken-….log``) read up to its break."""
        return self.audit.readable(kept)

    def audit_breaks(self) -> list[dict[str, Any]]:
        """The breaks of the log acknowledged by ``audit_reseal``, newest first (when, by whom, what was found,
        the kept log and whether it is still there as it was)."""
        return self.audit.breaks()

    def audit_reseal(self) -> dict[str, Any]:
        """Acknowledge a break of the audit log (the profile was opened with its passphrase): the log is kept as
        it is in ``audit/broken-<time>.log`` and a new chain starts with a record of the break. BadInput when the
        log is intact."""
        details = self.audit.reseal()
        kept = details.get("kept") or {}
        log.warning(
            "audit log break acknowledged: record %s, break %s, kept %s",
            details["found"]["record"],
            details["breaks"],
            kept.get("file", "nothing"),
        )
        held = self._read_again("documents_held")  # the documents of the letters that came meanwhile
        if held:
            log.info("documents of %d letters queued after the audit log was resealed", held)
        return {**details, "held_letters": held}

    def _audit_in_step(self) -> None:
        """Before an action that must leave an audit record and changes something first (a server, the queue,
        the practice software, the outbox): refused at once, nothing done, when the log is out of step with its
        seal (AuditBroken, the line saying what to run)."""
        broken = self.audit.in_step()
        if broken is not None:
            log.warning("audited action refused before it began: the audit log does not match its seal")
            raise broken

    def audit_break(self) -> str | None:
        """None when the audit log matches its seal, else the line an audited action would be refused with."""
        broken = self.audit.in_step()
        if broken is None:
            return None
        log.warning("audit log out of step with its seal: audited actions refused until it is resealed")
        return str(broken)  # one line (its non-breaking spaces kept: « missive … » never split)

    # -- accounts (``missive account ...``, ``missive messages list``) --------------------------------------------
    async def add_account(
        self, account: Account, *, login: bool = True, show: Callable[[str], Any] | None = None
    ) -> Account:
        """Check and save an account. A Pro Santé Connect account logs in first (the code to compare on the
        phone goes to ``show``) unless ``login`` is False: a refused or unanswered approval saves nothing."""
        from core.mail.accounts import validate

        if account.auth_kind == "psc":
            validate(account)
            if account.name in self.accounts.names():
                self.accounts.add(account)  # the "already exists" line, before ringing the phone
            if login:
                from core.auth import psc

                tokens = await psc.sessions.login(account, show or (lambda _m: None))
                account = account.with_changes(psc_refresh_token=tokens.refresh_token)
        return self.accounts.add(account)

    def accounts_public(self) -> list[dict[str, Any]]:
        """Every account's settings without its secrets (``missive account list``)."""
        return self.accounts.public()

    def remove_account(self, name: str) -> int:
        """Forget account ``name`` and its messages in the local cache; how many messages were dropped.

        The messages go first: an app running on the profile sees the account leave (keep_synced's watch on
        the accounts) and reads its list again at once, which must no longer hold them."""
        if name not in self.accounts.names():
            self.accounts.remove(name)  # NotFound, in the catalogue's words: nothing dropped
        dropped = self.messages.forget_account(name)
        self.accounts.remove(name)
        return dropped

    def list_messages(
        self, folder: str | None = None, account: str | None = None
    ) -> tuple[list[MessageSummary], frozenset[str]]:
        """``missive messages list``: the messages of ``folder`` (``QUARANTINE_FOLDER``: those from outside the
        trust space; another folder: its others, as the app shows it; None: every message), newest first, and
        the ids of those among them outside the trust space. ``folder`` may be named as the interface shows it,
        in either language, blind to case and accents ("Envoyés", "envoyes", "Quarantaine"); "Brouillons"
        (``DRAFTS_FOLDER``) lists the letters being written, kept in the profile, as the app's Brouillons."""
        if folder is not None:
            folder = self._resolve_folder(folder)
        if folder == DRAFTS_FOLDER:  # "Brouillons": the letters kept in the profile, as the app lists them
            kept = [saved.summary() for saved in self.drafts()]
            if account is not None:  # a draft with no account of its own leaves from the default one
                try:
                    default = self.accounts.get(None).name
                except NotFound:
                    default = ""
                kept = [s for s in kept if (s.account or default) == account]
            return kept, frozenset()
        quarantine = folder == QUARANTINE_FOLDER
        rows = self.messages.rows(folder=None if quarantine else folder, account=account)
        if folder is not None and not quarantine and not len(rows):
            self._known_folder(folder)  # a mistyped name lists nothing: said, never an empty success
        marked = getattr(rows, "quarantined", None)
        if marked is not None:  # the list index knows, without reading each message
            outside = frozenset(s.id for s in marked(True))
        else:
            outside = frozenset(s.id for s in rows if self._outside_trust(s.id))
        if quarantine:
            items = [m for m in rows if m.id in outside]
        elif folder is not None:
            items = [m for m in rows if m.id not in outside]
        else:
            items = list(rows)
        return items, outside & {m.id for m in items}

    def _folders_known(self) -> list[str]:
        """Every account's folders, synced or not, their Trash and Archive included; INBOX first."""
        from core.mail.mailops import ARCHIVE, TRASH

        known: list[str] = [INBOX]
        for name in self.account_names():
            known += self.messages.folder_names(name)
            known += [self.mailops.folder_of_role(name, role) for role in (TRASH, ARCHIVE)]
        return known

    def _resolve_folder(self, folder: str) -> str:
        """The folder the doctor means (its name or its label in the interface, ``match_folder``); else as typed."""
        from core.model import match_folder

        if folder in (QUARANTINE_FOLDER, DRAFTS_FOLDER):
            return folder
        keys = dict.fromkeys([*self._folders_known(), QUARANTINE_FOLDER, DRAFTS_FOLDER])
        # "Brouillons" is also the label of a server's Drafts folder: the app's own drafts win (the server's
        # folder is still listed under its own name, "Drafts")
        return match_folder(folder, keys) or match_folder(folder, [DRAFTS_FOLDER]) or folder

    def _known_folder(self, folder: str) -> None:
        """Refuse a folder no account has (synced or not, its Trash and Archive included), naming those it has."""
        known = self._folders_known()
        if folder not in known:
            names = sorted(set(known), key=lambda n: (n.upper() != "INBOX", n.lower()))
            raise NotFound(T("mailroom.unknown-folder", folder=folder, folders=", ".join(names)))

    # -- the command line's view of the queue and the patients (``missive documents``, ``patients``, ``match``)
    def queued_documents(self, include_rejected: bool = False) -> list[QueuedDocument]:
        """Every document of the queue as recorded (waiting, filed and duplicates; rejected too when asked),
        oldest first."""
        return self.documents.list(
            None if include_rejected else ("waiting", "unreadable", "filed", "duplicate")
        )

    def document_notes(self, doc_id: str) -> tuple[str, str]:
        """What the screen says of a document beside its state, in the core's words: (of a duplicate: the
        document that stands for it and where that one is; of a new version of a result: the earlier one it
        completes, corrects or follows); '' for what does not apply."""
        queued = self.documents.get(doc_id)
        return self.documents.duplicate_note(queued), self.documents.version_note(queued)

    def file_queued(self, doc_id: str, patient_id: str, actor: str | None = None) -> QueuedDocument:
        """``file_document`` returning the queue's record (where the file went, for ``missive file``)."""
        self._audit_in_step()
        return self.documents.file(doc_id, patient_id, actor=actor)

    def undo_queued(self, doc_id: str, actor: str | None = None) -> tuple[QueuedDocument, Undone]:
        """``undo_filing`` for the command line: the queue's record and what was taken back."""
        self._audit_in_step()
        return self.documents.take_back(doc_id, actor=actor)

    def reject_queued(self, doc_id: str, actor: str | None = None) -> QueuedDocument:
        self._audit_in_step()
        return self.documents.reject(doc_id, actor=actor)

    def dealt_queued(self, doc_id: str, actor: str | None = None) -> QueuedDocument:
        """``mark_dealt_with`` for the command line: the queue's record."""
        self._audit_in_step()
        return self.documents.dealt_with(doc_id, actor=actor)

    def revoked_note(self, doc_id: str) -> str:
        """Of a filed document whose letter's signer turned out revoked, not checked yet: what was filed where
        and what to check, in the core's words; '' for any other document."""
        return self.documents.revoked_note(self.documents.get(doc_id))

    def unreadable_note(self, doc_id: str) -> str:
        """Of a file that could not be read: its format and the reader's refusal, in the core's words; ''
        for any other document."""
        return self.documents.unreadable_note(self.documents.get(doc_id))

    def waiting_note(self, doc_id: str) -> str:
        """Of a waiting document: why it waits, in one line of the core's words (what À classer shows for it:
        its container's conflict, why it is held, why nobody is proposed, the import folder it waits for, or the
        best candidate's id, score and reasons); '' for any other document. Ids and reasons only, no identity."""
        from core.practice.documents import envelope_conflict

        queued = self.documents.get(doc_id)
        if queued.state != "waiting":
            return ""
        if conflict := envelope_conflict(queued):
            return conflict
        if held := self._held_why(queued):
            return held
        if not queued.candidates:
            return str(self._why_no_candidate(queued.identity))
        best = queued.candidates[0]
        if queued.decision == "auto" and queued.patient_id and self.documents.filing.auto and self.filing_notice():
            return str(T("mailroom.review.waits-folder", id=queued.patient_id))
        from core.errors import render

        reasons = ", ".join(render(r) for r in best.reasons) or "—"
        others = len(queued.candidates) - 1
        key = "mailroom.review.waits-candidates-more" if others else "mailroom.review.waits-candidates"
        return str(T(key, id=best.patient_id, score=f"{best.score:.0%}", reasons=reasons, others=others))

    def filing_notice(self) -> str:
        """While ``[filing] folder`` is not set nothing is filed, automatically or by hand: that, and how to set
        it (with the preset's suggested folder), in the core's words; '' once it is set. The queue's own filing
        settings: what filing a document would use."""
        filing = self.documents.filing
        if filing.configured:
            return ""
        return str(T("mailroom.review.no-filing-folder", folder=filing.preset.folder))

    def import_patients(self, source: Path, mapping: dict[str, str] | None = None) -> ImportReport:
        """Import (or update by id) the patients of a CSV exported by the practice software; all rows or none."""
        self._audit_in_step()
        return self.patients.import_csv(Path(source), mapping)

    def remove_patients(self, patient_ids: Sequence[str]) -> list[str]:
        """Remove patients by id (``missive patients remove``): all of them or none; audited by id."""
        self._audit_in_step()
        return self.patients.remove(patient_ids)

    def patient_count(self) -> int:
        return len(self.patients)

    def match_identity(self, identity: Identity) -> MatchResult:
        """The practice's patient a document's identity designates: auto, review (candidates) or new."""
        return self.patients.index().match(identity)

    def match_document(self, document: ClinicalDocument) -> MatchResult:
        """``match_identity`` for a document as read, as the filing path decides: one whose container (HL7
        PID, XDM metadata) names another patient is never ``auto``; its ``conflict`` says why. When nobody is
        proposed, ``no_candidate`` says why in the words À classer shows for that document (``_review_item``)."""
        from core.practice.documents import match_document

        found = match_document(document, self.patients.index().match)
        if found.candidates:
            return found
        return replace(found, no_candidate=str(self._why_no_candidate(document.identity)))

    # -- directory and recipients ---------------------------------------------------------------------------
    def directory_search(self, text: str, limit: int = 200) -> list[DirectoryEntry]:
        if not text.strip():
            return []
        return self.directory.search(text, limit=limit)

    def complete_address(self, prefix: str, limit: int = 10) -> list[AddressChoice]:
        """Recipients for what is typed in To/Cc, best first: past correspondents (the addresses of stored
        letters, found by the name the letters gave, the address, and the directory's name, specialty and town
        for them; most letters first), then the directory by name, specialty and town (core.mail.addressbook).
        """
        from core.mail import addressbook

        return addressbook.complete(prefix, self._correspondents(), self.directory.complete, limit)

    def _correspondents(self) -> list[Any]:
        """The past correspondents, read again when the store gained or lost letters."""
        from core.directory.search import display_name
        from core.mail import addressbook

        rows: Any = self.messages.rows()
        stamp = (len(rows), rows[0].id if len(rows) else "")
        if self._past is not None and self._past[0] == stamp:
            return self._past[1]
        patients = self.patient_labels() if len(rows) else {}

        def label_of(address: str) -> tuple[str, str]:
            if address in patients:
                return patients[address], ""
            try:
                entry = self.directory.by_address(address)
            except MissiveError:
                return "", ""
            if entry is None:
                return "", ""
            return display_name(entry), self.directory.words_of(address)  # every activity's town too

        past = addressbook.correspondents(rows.correspondents(), self.own_addresses(), label_of)
        self._past = (stamp, past)
        return past

    # -- drafts ---------------------------------------------------------------------------------------------
    @cached_property
    def drafts_store(self) -> Drafts:
        from core.mail.drafts import COLLECTION, Drafts

        return Drafts(self.profile.collection(COLLECTION), self.profile.blobs)

    def save_draft(self, draft: Draft, draft_id: str | None = None) -> str:
        """Keep a draft, encrypted (a new one when ``draft_id`` is None); returns its id. A draft whose letter
        the outbox took here (:meth:`send`) is not kept again: it stays out of Brouillons."""
        with self._drafts_lock:
            if draft_id is not None and draft_id in self._left_drafts:
                log.info("draft %s already left for the outbox: not kept again", draft_id)
                return draft_id
            return self.drafts_store.save(draft, draft_id)

    def drafts(self) -> list[SavedDraft]:
        return self.drafts_store.list()

    def draft(self, draft_id: str) -> SavedDraft:
        return self.drafts_store.get(draft_id)

    def delete_draft(self, draft_id: str) -> None:
        self.drafts_store.delete(draft_id)

    def _draft_left(self, draft_id: str) -> None:
        """The outbox has the letter of draft ``draft_id``: the draft goes, and no later save brings it back."""
        with self._drafts_lock:
            self._left_drafts.add(draft_id)
            self.drafts_store.delete(draft_id)

    def _refused_before(self, account: Account) -> None:
        """Raise the failure of ``account``'s LOGIN when this process's no-change check saw its server refuse it
        (same account, same password; once): the line is the full client's own (core.mail.imap.login_refused),
        and the server is not asked a second time. A refusal for a passing trouble ([UNAVAILABLE]) is tried."""
        refused = self._refused_logins.pop(account.name, None)
        if refused is None or refused[0] != account:
            return
        from core.mail.imap import login_refused

        failure = login_refused(account, refused[1])
        if failure.permanent:
            log.info("account %s: its login was refused at the no-change check; not tried again", account.name)
            raise failure

    # -- status ---------------------------------------------------------------------------------------------
    def outbox_count(self) -> int:
        return len(self.outbox)

    async def sync(self, account: str | None = None, progress: Any = None) -> list[SyncReport]:
        """Sync one account (or all) with the S/MIME and clinical hook."""
        from core.mail.sync import SyncEngine

        self._own = None
        engine = SyncEngine(
            self.messages,
            on_new_message=self.on_new_message,
            before_sync=self.mailops.replay,
            account_lock=self._account_locks.held,
            connections=self._connections,
        )
        accounts = [self.accounts.get(account)] if account else self.accounts.list()
        reports = []
        failure: Exception | None = None
        try:
            for a in accounts:
                try:
                    self._refused_before(a)
                    before = self._undelivered_news
                    reports.append(await engine.sync(a, progress=progress))
                    reports[-1].undelivered = self._undelivered_news - before
                except Exception as exc:  # one account's trouble never keeps the next ones from syncing
                    if len(accounts) == 1:
                        raise
                    failure = failure or exc
                    log.warning("account %s: sync failed (%s); the others go on", a.name, type(exc).__name__)
        except BaseException:
            self._report_review()
            self._tell_round(account, 0)  # what the hook queued before the failure is said all the same
            raise
        self._report_review()
        self._file_waiting()
        self._release_held()
        self._refresh_analyses()
        for r in reports:
            if r.new - r.own > 0:  # our own letters (Sent copies) are not news
                from core.events import NewMail  # (not for a resync that found nothing)

                self.emit(NewMail(r.account, r.new - r.own))
            if self._subscribers:  # (core.events is not loaded for a `missive sync` that finds nothing)
                self.emit(_synced(r))
        self._tell_round(account, sum(max(0, r.new - r.own) for r in reports))
        if failure is not None:
            raise failure  # said as before, once the other accounts are synced
        return reports

    def _release_held(self) -> None:
        """After a sync, the audit log in step again: the documents the hook held while it was broken are queued
        (or filed), each with its record. The reseal does it for the letters stored by then; a letter a sync in
        another process (the daemon) stored after the reseal looked is found here. One read of a mark per sync
        when nothing was held."""
        folders = self.messages.folders
        if not self._held_here and folders.get(HELD_MARK) is None:
            return
        try:
            if self.audit.in_step() is not None:
                return  # still broken: held until the reseal
            held = self._read_again("documents_held")
            if held:
                log.info("documents of %d held letters queued after the audit log was resealed", held)
            self._held_here = False
            if not any(doc.get("documents_held") for _key, doc in self.messages.docs.items()):
                folders.delete(HELD_MARK)
        except Exception as exc:  # noqa: BLE001 - the mail is synced; the next sync tries again
            log.warning("held documents not queued (%s)", type(exc).__name__)

    def _refresh_analyses(self) -> None:
        """After a sync (in the background, never before the inbox's first frame): the documents analysed
        under older abnormal/critical rules are counted again from their stored copies, and the messages whose
        '!' or critical mark changes get the new one (``DocumentQueue.refresh_analyses``). Once done, a mark
        in the folders collection makes it one read per sync until the rules change again."""
        from core.clinical import ANALYSIS_RULES

        folders = self.messages.folders
        mark = folders.get(ANALYSIS_MARK)
        if mark is not None and mark.get("rules") == ANALYSIS_RULES:
            return
        from core.store.profile import collection_has_files

        if "documents" not in self.__dict__ and not collection_has_files(self.profile.path, "documents"):
            folders.put(ANALYSIS_MARK, {"rules": ANALYSIS_RULES})  # no document ever: nothing to count again
            return
        try:
            changed = self.documents.refresh_analyses()
            known = self.messages.docs.get_many(changed)
            for store_id in known:
                abnormal, critical = changed[store_id]
                self.messages.update_meta(store_id, abnormal=abnormal, critical=critical)
            if known:
                self.messages.refresh_list_index()
                log.info("list marks of %d messages follow today's result rules", len(known))
                from core.events import MarksRefreshed

                self.emit(MarksRefreshed(len(known)))
            folders.put(ANALYSIS_MARK, {"rules": ANALYSIS_RULES})
        except Exception as exc:  # noqa: BLE001 - the mail is synced; the next sync tries again
            log.warning("stored analyses not refreshed (%s)", type(exc).__name__)

    def _report_review(self) -> None:
        """Tell subscribers about documents the hook queued for a person since the last report, and about
        letters of ours that failure reports say were not delivered."""
        count, self._queued_for_review = self._queued_for_review, 0
        if count:
            from core.events import NeedsReview

            self._round_review += count
            self.emit(NeedsReview(count, self.documents.pending_count()))
        failed, self._undelivered_news = self._undelivered_news, 0
        if failed:
            from core.events import NotDelivered

            log.info("%d failure report(s) about sent letters", failed)
            self.emit(NotDelivered(failed))

    def _tell_round(self, account: str | None, new: int) -> None:
        """The end of a sync round: its news in one line (RoundNews), counts only, instead of one toast per
        event: '12 nouveaux messages, 3 résultats classés, 2 documents à classer'. Nothing when there is none."""
        filed, review = self._round_filed, self._round_review
        self._round_filed = self._round_review = 0
        if new <= 0 and not filed and not review:
            return
        from core.events import RoundNews

        self.emit(RoundNews(account, max(new, 0), filed, review, round_news(max(new, 0), filed, review)))

    async def sync_sent(self, account: str | None = None) -> None:
        """Bring the account's Sent folder into the store now (after a letter left), so it is listed at once
        rather than at the next full sync (the background sync waits on INBOX only)."""
        from core.mail.send import sent_folders
        from core.mail.sync import SyncEngine, default_source

        acc = self.accounts.get(account)
        if acc.name in self._followed:
            await self._daemon_round(acc.name)  # the daemon's round brings Sent in too
            return
        source = default_source(acc)
        await source.connect()
        try:
            listed = await source.folders()
            # the folder the server marks \\Sent whatever its name ('Courrier parti'), the usual names besides
            names = sent_folders(listed, getattr(source, "roles", None) or {})
        finally:
            await source.close()
        if names:
            engine = SyncEngine(
                self.messages,
                on_new_message=self.on_new_message,
                before_sync=self.mailops.replay,
                account_lock=self._account_locks.held,
            )
            await engine.sync(acc, folders=names)

    # -- outgoing mail -------------------------------------------------------------------------------------
    @cached_property
    def outgoing(self) -> OutgoingPolicy:
        """The trust-space check and S/MIME protection every letter goes through."""
        from core.secure.outgoing import OutgoingPolicy

        return OutgoingPolicy(self.keys, self.trust)

    def letter_protection(self, recipients: Sequence[str], account: str | None = None) -> LetterProtection:
        """Will this letter leave encrypted, signed, at all? (``LetterProtection``) The decision ``send``
        makes for the whole letter from ``account`` (None: the default one) to ``recipients`` (To and Cc)."""
        from core.errors import NotFound

        try:
            sender = self.accounts.get(account).email
        except NotFound:
            sender = ""  # no account yet: whether a key exists still tells if it will be signed
        return self.outgoing.decide(list(recipients), sender)

    @cached_property
    def _sending(self) -> SendService:
        from core.mail.send import SendService

        return SendService(
            self.outbox,
            self.accounts.get,
            protect=self.outgoing.protect,
            check_policy=self.outgoing.check,
        )

    async def send(self, draft: Draft, draft_id: str | None = None) -> Delivery:
        """Check the policy, sign/encrypt, queue durably, send. Raises NotSent when it stays queued (the
        outbox has it: the draft ``draft_id`` is deleted all the same); a refusal of the policy keeps it.

        Refused for good (5xx) while the composer holds it (``draft_id``): the letter goes back to its draft,
        to be corrected, and leaves the outbox, so that no flush (``--all``, the app's, the daemon's) sends
        that copy besides the corrected one. The draft is stored first: a crash in between leaves both."""
        from core.events import SendFailed
        from core.mail.send import NotSent

        self._audit_in_step()  # refused before the outbox takes the letter: the composer keeps it
        written = draft
        if self.settings.receipts.read and not draft.read_receipt:
            draft = replace(draft, read_receipt=True)
        self._check_patients(draft)
        if (
            draft.end_conversation
            and self.settings.patients.fin_subject
            and not draft.subject.startswith("[FIN]")
        ):
            draft = replace(draft, subject=f"[FIN] {draft.subject}")  # where the operator expects it
        try:
            delivery = await self._sending.send(draft)
        except NotSent as exc:
            if draft_id and exc.permanent:
                self.save_draft(written, draft_id)  # first: the letter is never only in memory
                entry = self.outbox.get(exc.entry_id)
                self.outbox.remove(exc.entry_id)
                log.info("outbox entry %s refused for good: back to draft %s", exc.entry_id, draft_id)
                error = entry.last_error if entry is not None else ""
                back = NotSent(T("mailroom.refusee-rendue-au-brouillon", error=error), exc.entry_id, permanent=True)
                self.emit(SendFailed(exc.entry_id, " ".join(str(back).split())))
                raise back from None
            if draft_id:
                self._draft_left(draft_id)
            self.emit(SendFailed(exc.entry_id, " ".join(str(exc).split())))
            raise
        if draft_id:
            self._draft_left(draft_id)
        self._record_sent(delivery, draft)
        try:
            await self.sync_sent(draft.account)
        except Exception as exc:  # noqa: BLE001 - the letter is sent; the Sent list follows at the next sync
            log.info("Sent folder not synced after letter %s (%s)", delivery.entry_id, type(exc).__name__)
        self._sent(delivery)
        return delivery

    # -- patients' Mon espace santé ------------------------------------------------------------------------
    def _check_patients(self, draft: Any) -> None:
        from core.clinical.patient_mail import check_letter, is_patient_address

        recipients = [*draft.to, *draft.cc]
        if not draft.end_conversation and not any(is_patient_address(a) for a in recipients):
            return
        check_letter(
            recipients,
            self.patients.list(),
            end_conversation=draft.end_conversation,
            mixed_confirmed=draft.confirm_mixed,
        )

    def patient_mail_address(self, patient_id: str) -> str:
        """The patient's ``<INS>@patient.mssante.fr``, from a qualified INS only (else PolicyRefused)."""
        from core.clinical.patient_mail import patient_address

        return patient_address(self.patients.get(patient_id))

    def describe_recipients(self, addresses: Sequence[str]) -> dict[str, Recipient]:
        """Per address, a patient (name and INS from the list) or a colleague: what lists and the composer show."""
        from core.clinical.patient_mail import describe, is_patient_address

        addresses = list(addresses)
        patients = self.patients.list() if any(is_patient_address(a) for a in addresses) else []
        return describe(addresses, patients)

    def _record_sent(self, delivery: Any, draft: Any = None, entry: Any = None) -> None:
        """Keep the letter the server accepted, so the reports that come back can be attached to it."""
        from core.mail.compose import check_address

        try:
            if entry is not None:
                recipients, account, subject = entry.recipients, entry.account, entry.subject
                asked = False
            else:
                recipients = tuple(dict.fromkeys(check_address(a, "") for a in (*draft.to, *draft.cc)))
                account = self.accounts.get(draft.account).name
                subject, asked = draft.subject, bool(draft.read_receipt)
            self.sent_letters.record(
                delivery.message_id,
                account,
                recipients,
                subject,
                refused=delivery.refused,
                read_receipt=asked,
            )
        except Exception as exc:  # noqa: BLE001 - the letter is sent; only its receipts will be missing
            log.warning("sent letter %s not recorded (%s)", delivery.entry_id, type(exc).__name__)

    async def flush_outbox(self, force: bool = False) -> FlushReport:
        """Retry what is due in the outbox (``force``: everything, failed letters included). While the daemon
        syncs for this app (``keep_synced`` follows it), it sends the outbox every minute: nothing here."""
        from core.mail.send import FlushReport

        if self._followed and not force:
            return FlushReport()

        self._audit_in_step()  # the letters wait in the outbox until the log is resealed
        entries = {e.id: e for e in self.outbox.list()}
        report = await self._sending.flush(force=force)
        self._flushed(entries, report)
        return report

    def _flushed(self, entries: dict[str, OutboxEntry], report: FlushReport) -> None:
        """What a flush delivered is recorded (Sent letters, audit ``send``) and said (Sent, SendFailed events)."""
        from core.events import SendFailed

        for delivery in report.deliveries:
            if delivery.outcome == "sent" and delivery.resent:
                entry = entries.get(delivery.entry_id)
                if entry is not None:
                    self._record_sent(delivery, entry=entry)
                self._sent(delivery)
            elif delivery.outcome == "failed":
                self.emit(SendFailed(delivery.entry_id, " ".join(delivery.error.split())))

    async def send_outbox_now(self) -> FlushReport:
        """The doctor's "send now" (the app's ctrl+r): the letters waiting for their next try are tried at once,
        never a failed one. While the daemon syncs for this app it sends them, now due, within its minute."""
        self.outbox.hasten()
        return await self.flush_outbox()

    def _sent(self, delivery: Delivery) -> None:
        from core.events import Sent

        self.audit.append("send", delivery.message_id, entry=delivery.entry_id, refused=len(delivery.refused))
        self.emit(Sent(delivery.entry_id))

    # -- the daemon --------------------------------------------------------------------------------------------
    def account_names(self) -> list[str]:
        return list(self.accounts.names())

    def senders(self) -> list[tuple[str, str]]:
        """(account name, address) of each account a letter can be sent from, the default one first (the one
        ``send`` uses for a draft without an account)."""
        from core.errors import NotFound

        listed = [(a.name, a.email) for a in self.accounts.list() if a.email]
        try:
            default = self.accounts.get(None).name
        except NotFound:
            return listed
        return sorted(listed, key=lambda pair: pair[0] != default)

    def close(self) -> None:
        """Nothing is buffered: every write is durable when it returns."""

    async def idle(self, name: str, timeout: float = 540.0, woken_by: Sequence[asyncio.Event] = ()) -> int:
        """One round of waiting for news on account ``name`` (IDLE, bounded), then a sync; new messages. One of
        ``woken_by`` set ends the wait (0, nothing synced), never the sync once begun (``SyncEngine.idle_once``).

        The account removed from the profile meanwhile (``missive account remove`` in another terminal) ends
        the round at once, with no sync of it (which stored its letters again after the removal had dropped
        them): ``NotFound``, the catalogue's 'compte … retiré du profil'."""
        import asyncio

        from core.mail.sync import SyncEngine

        engine = SyncEngine(
            self.messages,
            on_new_message=self.on_new_message,
            before_sync=self.mailops.replay,
            account_lock=self._account_locks.held,
            connections=self._connections,
        )
        removed = asyncio.Event()
        watcher = asyncio.ensure_future(self._watch_removal(name, removed))
        report = None
        try:
            report = await _until(removed, engine.idle_once(self.accounts.get(name), timeout, woken_by=woken_by))
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            self._report_review()
            if report is None:  # stopped, failed or removed: what the hook queued is said all the same
                self._tell_round(name, 0)
        if report is None:
            raise NotFound(T("mailroom.account-removed", account=name))
        self._release_held()  # the daemon's rounds too: documents held while the audit log was out of step
        new = int(report.new - report.own)
        if self._subscribers:
            self.emit(_synced(report))
        self._tell_round(name, new)
        return new

    async def keep_synced(self, name: str, stop: asyncio.Event, *, idle_timeout: float = 540.0) -> None:
        """Keep account ``name`` up to date until ``stop`` is set: sync, then wait for news (IDLE) and sync
        again, forever; reconnect with a backoff. What the TUI runs in the background. Events (ids and counts
        only): ``sync-state`` (syncing, online, offline with the last sync time, removed, daemon), ``progress``,
        ``new-mail``. An account removed from the profile (``missive account remove`` in another terminal) ends
        the loop at once, an IDLE round included (:meth:`_watch_removal`), not when the round times out.

        While ``missive daemon`` runs on the profile and answers ``follow`` (core.agent), this process opens no
        IMAP session for the account: the daemon's rounds store the news, this loop says them (``_follow``).
        The daemon looked for at the start and whenever its socket appears (an IDLE round here ends for it);
        the daemon gone (stopped, killed), this loop syncs by itself again at once.
        """
        import asyncio
        import datetime as dt

        from core.auth import LoginRequired  # not core.auth.psc: the OpenID client, for PSC accounts only
        from core.errors import MissiveError
        from core.events import NewMail, Progress, SyncState

        last, delay, state, said = "", RETRY_FIRST, "", ""

        def tell(new_state: SyncStateName, reason: str = "", network: bool = True) -> None:
            nonlocal state
            if new_state != state or reason:
                self.emit(SyncState(name, new_state, since=last, reason=reason, network=network))
            state = new_state

        def progress(p: Any) -> None:
            self.emit(Progress(name, p.done, p.total))

        def left() -> bool:
            """Removed from the profile meanwhile: said once (a line on screen, a log line), the loop ends."""
            if name in self.accounts.names():
                return False
            log.info("account %s no longer in the profile: not kept in sync", name)
            tell("removed", str(T("mailroom.account-removed", account=name)))
            return True

        removed = asyncio.Event()
        watcher = asyncio.ensure_future(self._watch_removal(name, removed))
        revocations = asyncio.ensure_future(self._watch_revoked())
        # a letter read here (mark_seen) ends the wait for news: a sync tells the server, so the other desks
        # and the webmail see it read within seconds, not when the IDLE round ends (up to idle_timeout)
        read_here = asyncio.Event()
        waiter = (name, asyncio.get_running_loop(), read_here)
        self._read_waiters.append(waiter)
        daemon_came = asyncio.Event()  # set by the look-out (_look_for_daemon) with the daemon's link
        links: list[Any] = []
        looking: asyncio.Future[Any] | None = None
        first = True
        taken_over = False  # the daemon gone: the lists read again after this app's first sync
        try:
            while not stop.is_set():
                try:
                    if removed.is_set() and left():
                        return
                    removed.clear()
                    if first or daemon_came.is_set():
                        link = links.pop() if links else await _until(stop, self._open_follow())
                        first = False
                        daemon_came.clear()
                        if link is not None:
                            if looking is not None:
                                looking.cancel()
                                looking = None
                            last = dt.datetime.now().strftime("%H:%M")
                            tell("daemon")
                            gone = await self._follow(name, link, stop, removed, read_here)
                            if not gone:
                                first = True  # stopped, or the accounts written: the daemon followed again
                                continue
                            log.info("account %s: the daemon went away; synced by this app again", name)
                            state, taken_over = "", True
                    if looking is None or looking.done():
                        looking = asyncio.ensure_future(self._look_for_daemon(links, daemon_came))
                    if state != "offline":  # a retry while offline stays offline until it succeeds: said once
                        tell("syncing")
                    await _until(stop, self.sync(name, progress=progress))
                    if stop.is_set():
                        break
                    if taken_over:  # what the daemon stored before it went is shown too
                        from core.events import Synced

                        taken_over = False
                        self.emit(Synced(name, 0, 1))
                    last, delay = dt.datetime.now().strftime("%H:%M"), RETRY_FIRST
                    tell("online")
                    while not stop.is_set() and not daemon_came.is_set():
                        # a letter read here, the refresh key or the daemon ends the wait for news, never
                        # the round's sync once news came (cancelled midway, its letters were stored but
                        # never said: not listed, no toast, until the next letter)
                        new = await _until(
                            stop,
                            self.idle(name, timeout=idle_timeout, woken_by=(read_here, daemon_came)),
                            removed,
                        )
                        if removed.is_set():
                            if left():
                                return
                            removed.clear()  # the accounts were written, this one is still there
                            continue
                        if new:
                            last = dt.datetime.now().strftime("%H:%M")
                            self.emit(NewMail(name, new))
                        if daemon_came.is_set():
                            log.info("account %s: a daemon runs; its rounds sync it for this app", name)
                            break  # the IDLE round ended (_until): the daemon takes over
                        if read_here.is_set() and not stop.is_set():
                            await _until(stop, asyncio.sleep(READ_PUSH_AFTER), removed)  # the next ones too
                            read_here.clear()
                            await _until(stop, self.sync(name), removed)  # says itself what arrived
                        last = dt.datetime.now().strftime("%H:%M")
                except LoginRequired as exc:
                    # The inbox stays usable: ask for the approval on the phone; retry at once if given, else
                    # wait long (each attempt pushes a request to the doctor's phone: no storm).
                    tell("offline", " ".join(str(exc).split()))
                    if not await self._login_again(name, stop):
                        await _until(stop, asyncio.sleep(LOGIN_RETRY), also=removed)
                except MissiveError as exc:
                    if left():
                        return
                    log.info("account %s offline (%s); retry in %.0f s", name, type(exc).__name__, delay)
                    network, reason = _offline_reason(name, exc)
                    if state != "offline" or reason != said:  # once, and again only when the reason changes
                        tell("offline", reason, network)
                        said = reason
                    await _until(stop, asyncio.sleep(delay), removed, daemon_came)
                    delay = min(delay * 2, RETRY_MAX)
        finally:
            self._read_waiters.remove(waiter)
            for task in (watcher, revocations, looking):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            for _reader, writer in links:
                writer.close()

    async def _first_round(self, name: str) -> bool:
        """Following begins: the daemon's round (what waits here goes up), then the lists read again (the
        daemon may have stored letters before this app followed it)."""
        from core.events import Synced

        asked = await self._daemon_round(name)
        self.emit(Synced(name, 0, 1))
        return asked

    async def _round_after(self, previous: asyncio.Future[Any], name: str) -> bool:
        """The daemon's round for ``name``, once the one asked before has answered (it may have read the
        folder before this letter was read: a round of its own, then)."""
        import asyncio

        await asyncio.wait({previous})  # its outcome left to it; a cancellation of this one goes through
        return await self._daemon_round(name)

    async def _open_follow(self) -> Any:
        """The running daemon's link for this app (core.agent.open_follow), or None."""
        from core import agent

        try:
            return await agent.open_follow(self.profile.path)
        except agent.NotFollowed:
            log.info("the running daemon cannot be followed (an older missive): this app syncs by itself")
            return None

    async def _look_for_daemon(self, links: list[Any], came: asyncio.Event) -> None:
        """While this app syncs by itself: look for a daemon of the profile (its socket appearing, woken by the
        kernel where the folder can be watched, else every few seconds); one that follows found, its link goes
        in ``links`` and ``came`` is set. A daemon too old to be followed is asked once (by its socket's
        stamp)."""
        from core import agent
        from core.mail.dirwatch import DirWatch

        if agent.socket_path(self.profile.path) is None:
            return  # no socket here (Windows, a path too long): no daemon to follow
        refused: tuple[int, int] | None = None
        watch = DirWatch.open([self.profile.path])
        try:
            while True:
                stamp = agent.socket_stamp(self.profile.path)
                if stamp is not None and stamp != refused:
                    try:
                        link = await agent.open_follow(self.profile.path)
                    except agent.NotFollowed:  # asked again only once another daemon starts
                        log.info("the running daemon cannot be followed (an older missive): this app syncs by itself")
                        refused, link = stamp, None
                    if link is not None:
                        links.append(link)
                        came.set()
                        return
                if watch is None:
                    import asyncio

                    await asyncio.sleep(DAEMON_LOOK_EVERY)
                else:  # a socket there that did not answer (left by a daemon killed): looked at again now and then
                    await watch.wait(3600.0 if stamp is None or stamp == refused else DAEMON_LOOK_EVERY * 5)
        finally:
            if watch is not None:
                watch.close()

    async def _follow(
        self, name: str, link: Any, stop: asyncio.Event, removed: asyncio.Event, read_here: asyncio.Event
    ) -> bool:
        """Follow the daemon for account ``name``: no session here; its rounds' news said as ours (the store is
        the same files); a letter read here asks it for a round (it sends the \\Seen). True when the daemon
        went away (this app syncs by itself again), False on ``stop`` or the account removed."""
        import asyncio
        import json

        from core import agent
        from core.events import NewMail, RoundNews, Synced

        reader, writer = link
        self._followed.add(name)
        log.info("account %s: synced by the running daemon for this app", name)
        try:
            asked = asyncio.ensure_future(self._first_round(name))  # what waits here goes up; the news comes
            while not stop.is_set() and not removed.is_set():
                line = asyncio.ensure_future(reader.readline())
                ended = {asyncio.ensure_future(e.wait()) for e in (stop, removed, read_here)}
                try:
                    await asyncio.wait({line, *ended}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in ended:
                        task.cancel()
                if not line.done():
                    line.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await line
                    if read_here.is_set() and not stop.is_set() and not removed.is_set():
                        await _until(stop, asyncio.sleep(READ_PUSH_AFTER), removed)  # the next ones too
                        read_here.clear()
                        asked = asyncio.ensure_future(self._round_after(asked, name))
                    continue
                try:
                    data = line.result()
                    event = agent.news_event(json.loads(data)) if data else None
                except (OSError, ValueError, asyncio.LimitOverrunError):
                    data, event = b"", None
                if not data:
                    return True  # the connection closed: the daemon stopped, or was killed
                if isinstance(event, Synced):
                    if event.account != name:
                        continue
                    if event.new:
                        self.emit(NewMail(name, event.new))
                    self.emit(event)
                elif isinstance(event, RoundNews) and event.account is not None:
                    if event.account == name:
                        self.emit(event)
                elif event is not None and name == min(self._followed):  # said once, by one account's loop
                    self.emit(event)
            return False
        finally:
            self._followed.discard(name)
            writer.close()
            if not asked.done():
                asked.cancel()

    async def _watch_removal(self, name: str, removed: asyncio.Event) -> None:
        """Set ``removed`` whenever the profile's accounts are written and ``name`` is no longer among them.

        Woken by the kernel (inotify on the accounts' folder: a write renames a new file in), so an idle app
        uses no CPU; where inotify is not available nothing is watched, and the account's next sync or the end
        of its IDLE round (at most ``idle_timeout``) says it, as before."""
        from core.mail.dirwatch import DirWatch

        watch = DirWatch.open([self.profile.collection("accounts").folder])
        if watch is None:
            return
        try:
            while True:
                if await watch.wait(3600.0):
                    try:
                        gone = name not in self.accounts.names()
                    except MissiveError as exc:  # read again at the next change
                        log.info("accounts not read again (%s)", type(exc).__name__)
                        continue
                    if gone:
                        removed.set()
        finally:
            watch.close()

    async def _watch_revoked(self) -> None:
        """While the app keeps an account synced: filed documents put back for a check by another process
        (``missive trust update`` in another terminal, with no daemon to say it) are said as this process's own
        (``RevokedFiled``, once), as the documents are written. Woken by the kernel (inotify on the documents'
        folder: a write renames a new file in), after the writes have settled; where inotify is not available,
        looked at every ``REVOKED_LOOK_EVERY`` seconds. Those waiting for a check when it starts are no news."""
        import asyncio

        from core.mail.dirwatch import DirWatch

        try:
            folder = getattr(self.documents.docs, "folder", None)
            if folder is None:
                return
            await asyncio.to_thread(self._revoked_once, None)  # what waits now is known, not news
        except Exception as exc:  # noqa: BLE001 - never stops the account's sync; news come with the counts
            log.info("documents not watched for revocations (%s)", type(exc).__name__)
            return
        watch = DirWatch.open([folder])
        try:
            while True:
                if watch is None:
                    await asyncio.sleep(REVOKED_LOOK_EVERY)
                elif not await watch.wait(3600.0):
                    continue
                else:
                    for _ in range(20):  # the other process's writes settled (a few documents, one letter each)
                        if not await watch.wait(0.25):
                            break
                try:
                    news = await asyncio.to_thread(self._revoked_once, None)
                except Exception as exc:  # noqa: BLE001 - read again at the next change
                    log.info("documents not read again (%s)", type(exc).__name__)
                    continue
                if news is not None:
                    self._tell(news)
        finally:
            if watch is not None:
                watch.close()

    def _revoked_once(self, event: Any) -> Any:
        """The ``RevokedFiled`` to say for the filed documents put back for a check and not said yet in this
        process (``event``: one this process or the daemon it follows is saying; None: the documents' watch
        looking), or None when there are none. The first call with no event only learns what waits already.
        While nothing here watches (``_revoked_told`` None), an event is said as it comes."""
        from core.events import RevokedFiled

        with self._revoked_lock:
            if self._revoked_told is None and event is not None:
                return event
            checks = self.documents.revoked_checks()
            told, self._revoked_told = self._revoked_told, (self._revoked_told or frozenset()) | checks
            if told is None:
                return None
            new = len(checks - told)
            if not new:
                return None
            return RevokedFiled(new, self.documents.pending_count(), revoked_filed_line(new))

    async def run_daemon(
        self, tasks_every: float | None = None, started: Callable[[], None] | None = None
    ) -> None:
        """``missive daemon``: keep every account synced (IDLE), send the outbox, run the periodic tasks
        (watched folder, filing, lists), notify; until SIGTERM or SIGINT, then return with nothing left
        running. One per profile: another daemon of this profile running, ``MissiveError`` before anything
        starts ('daemon.already-running'); ``started`` is called once this one holds the profile."""
        from core import daemon

        with daemon.only_daemon(self.profile.path):
            await self._run_daemon(tasks_every, started)

    async def _run_daemon(self, tasks_every: float | None, started: Callable[[], None] | None) -> None:
        import asyncio

        from core import daemon
        from core.mail.sync import Connections

        stop = asyncio.Event()
        remove = daemon.install_stop_handlers(stop)
        if started is not None:  # from here on, SIGTERM stops it cleanly
            started()
        # each account's IMAP connection stays open between syncs: the one in IDLE serves a `missive sync`
        self._connections = connections = Connections()

        async def end_idle() -> None:
            await stop.wait()
            connections.stop()  # an IDLE ends at once, whatever became of its task's cancellation

        ending = asyncio.create_task(end_idle())
        try:
            options = {"tasks_every": tasks_every} if tasks_every else {}
            await daemon.run_daemon(self, stop, tasks=self.daemon_tasks(), **options)
        finally:
            remove()
            ending.cancel()
            self._connections = None
            await connections.close()

    def outbox_entries(self) -> list[OutboxEntry]:
        """Letters waiting in the outbox (queued, being sent, failed), as ``missive outbox list`` shows them."""
        return self.outbox.list()

    # -- À envoyer: the outbox as the doctor sees it and acts on it -------------------------------------------
    def outbox_letters(self) -> list[OutgoingLetter]:
        """Every letter of the outbox, oldest first, in the core's words: state, attempts, the last failure,
        when it goes again (``OutgoingLetter``)."""
        import time

        now = time.time()
        return [self._outgoing(entry, now) for entry in self.outbox.list()]

    def _outgoing(self, entry: OutboxEntry, now: float) -> OutgoingLetter:
        from core.model import OutgoingLetter

        def when(ts: float) -> dt.datetime | None:
            return dt.datetime.fromtimestamp(ts).astimezone() if ts else None

        busy = self.outbox.busy(entry, now)
        next_try = None
        question = ""
        if busy and entry.state == "sending":
            state, note = "sending", T("mail.outbox.note-sending")
        elif entry.state == "failed" and entry.uncertain:
            state, note = "doubt", T("mail.outbox.note-doubt")
            question = str(T("mail.outbox.resend-doubt"))
        elif entry.state == "failed":
            state, note = "failed", T("mail.outbox.note-failed")
        else:
            state = "accepted" if entry.state == "accepted" else "waiting"
            if busy:
                note = T("mail.outbox.note-sending")
            elif entry.next_try > now + 30:
                next_try = when(entry.next_try)
                shown = next_try.strftime("%H:%M") if next_try is not None else ""
                if next_try is not None and next_try.date() != dt.date.today():
                    shown = next_try.strftime("%d/%m %H:%M")
                note = T("mail.outbox.note-next", when=shown)
            else:
                note = T("mail.outbox.note-due")
        return OutgoingLetter(
            id=entry.id,
            account=entry.account,
            recipients=entry.recipients,
            subject=entry.subject,
            queued=when(entry.created),
            state=state,
            state_label=str(T(f"mail.outbox.state-{state}")),
            attempts=entry.attempts,
            reason=" ".join(entry.last_error.split()),
            next_try=next_try,
            next_note=str(note),
            size=entry.size,
            can_resend=not busy,
            can_withdraw=not busy and entry.state != "accepted",
            resend_question=question,
        )

    async def send_outgoing(self, entry_id: str | None = None) -> FlushReport:
        """Send now, as the doctor asks (À envoyer, ``missive outbox send``): the letter ``entry_id`` whatever its
        state, a failed one included (she fixed the cause; one in doubt after the screen's question), or, with
        None, every letter but those in doubt (one that may have arrived is resent only one by one, asked).
        Never one another process is delivering right now (counted ``busy``): the outbox's claim sees to it.
        Each letter sent is audited (``send``) and said (Sent, SendFailed), as a flush's."""
        self._audit_in_step()
        entries = {e.id: e for e in self.outbox.list()}
        if entry_id is not None and entry_id not in entries:
            raise NotFound(T("mail.outbox.aucune-lettre-boite-envoi", entry_id=entry_id))
        only = {entry_id} if entry_id is not None else {k for k, e in entries.items() if not e.uncertain}
        if not only:
            from core.mail.send import FlushReport

            return FlushReport()
        report = await self._sending.flush(force=True, only=only)
        self._flushed(entries, report)
        return report

    def withdraw_outgoing(self, entry_id: str, actor: str | None = None) -> str:
        """Take a letter back out of the outbox, never to leave as it is: it becomes a draft (Brouillons,
        encrypted), stored before the outbox forgets it; the draft's id. Refused in one line, nothing changed,
        for a letter being sent right now or already accepted by the server. Audited (``withdraw``, ids only)."""
        self._audit_in_step()
        kept: list[tuple[str, str]] = []

        def keep(entry: OutboxEntry, data: bytes) -> str:
            draft_id = self.save_draft(self._letter_as_draft(entry, data))
            kept.append((entry.message_id, draft_id))
            return draft_id

        draft_id = self.outbox.withdraw(entry_id, keep)
        message_id, _ = kept[0]
        log.info("outbox entry %s withdrawn to draft %s", entry_id, draft_id)
        self.audit.append("withdraw", message_id, actor=actor, entry=entry_id, draft=draft_id)
        return draft_id

    def outgoing_view(self, entry_id: str, actor: str | None = None) -> MessageView:
        """A letter of the outbox as it will leave, read-only (its S/MIME layers opened with the doctor's own
        key: she is always among its recipients). Audited (``read``), as reading a message is."""
        import time

        from core.model import MessageSummary, MessageView

        entry = self.outbox.get(entry_id)
        if entry is None:
            raise NotFound(T("mail.outbox.aucune-lettre-boite-envoi", entry_id=entry_id))
        self._audit_in_step()
        data = self.outbox.data(entry)
        letter = self._outgoing(entry, time.time())
        summary = MessageSummary(
            id=entry.id, account=entry.account, folder="", uid=None, message_id=entry.message_id,
            sender=entry.sender, to=entry.recipients, subject=entry.subject, date=letter.queued,
            flags=("\\Seen",), size=entry.size,
        )  # fmt: skip
        parsed, attachments, opened = self._open_letter(entry, data)
        self.audit.append("read", entry.message_id, actor=actor, outbox=entry.id)
        return MessageView(
            summary=summary,
            sender=parsed.sender or entry.sender,
            to=parsed.to or entry.recipients,
            cc=parsed.cc,
            subject=parsed.subject or entry.subject,
            date=letter.queued,
            body=parsed.text,
            body_was_html=parsed.text_was_html,
            signed=opened.signed,
            signature=opened.signature,
            encrypted=opened.encrypted,
            attachments=tuple(attachments),
            headers=tuple(parsed.headers.items()),
        )

    def _open_letter(self, entry: OutboxEntry, data: bytes) -> tuple[Any, list[Any], Any]:
        """An outbox letter's S/MIME layers opened and its parts read; StoreError when it cannot be (no key)."""
        from core.errors import StoreError
        from core.mail import mime

        try:
            opened = self._open_layers(data)
            if not opened.decrypted:
                raise StoreError(T("mail.outbox.letter-unreadable", entry_id=entry.id))
            parsed, attachments = mime.read(opened.inner_mime_bytes)
        except MissiveError as exc:
            log.warning("outbox entry %s could not be opened (%s)", entry.id, type(exc).__name__)
            raise StoreError(T("mail.outbox.letter-unreadable", entry_id=entry.id)) from None
        return parsed, attachments, opened

    def _letter_as_draft(self, entry: OutboxEntry, data: bytes) -> Draft:
        """The draft a withdrawn letter becomes: its recipients, subject, text, files, thread and options."""
        from email.parser import BytesHeaderParser

        from core.model import Draft

        parsed, attachments, opened = self._open_letter(entry, data)
        head = BytesHeaderParser().parsebytes(opened.inner_mime_bytes)
        outer = BytesHeaderParser().parsebytes(data)

        def header(name: str) -> str:
            return " ".join(str(head.get(name) or outer.get(name) or "").split())

        to = tuple(parsed.to) or tuple(a for a in entry.recipients if a not in parsed.cc)
        extra = tuple(
            (name, value) for name, value in parsed.headers.items() if name.upper().startswith("X-MSS-")
        )
        return Draft(
            to=to,
            cc=tuple(parsed.cc),
            subject=parsed.subject or entry.subject,
            body=parsed.text,
            attachments=tuple(attachments),
            account=entry.account,
            in_reply_to=header("In-Reply-To") or None,
            references=tuple(header("References").split()),
            extra_headers=extra,
            end_conversation=header("X-MSS-MES").upper() == "FIN",
            read_receipt=bool(header("Disposition-Notification-To")),
        )

    def sent_list(self, limit: int | None = None) -> list[SentLetter]:
        """Letters the server accepted, newest first, each recipient with its delivery and read status."""
        letters = self.sent_letters.list()
        return letters if limit is None else letters[: max(limit, 0)]

    # -- the official lists (whitelist, directory) ----------------------------------------------------------
    @cached_property
    def lists(self) -> Any:
        from core.lists import Lists

        return Lists(self.profile.collection("lists"), self.profile.path / "downloads")

    def _lists_ca(self, ca_file: str | None) -> str | None:
        return ca_file or self.settings.lists.ca_file or None

    def has_whitelist(self) -> bool:
        """Whether the MSSanté whitelist was ever imported or downloaded (without it, mail waits in quarantine)."""
        return bool(self.trust.whitelist())

    def update_whitelist(self, url: str | None = None, ca_file: str | None = None) -> Any:
        """Download the MSSanté whitelist (conditional, verified TLS) and swap it in; ListError keeps the old."""
        import os

        # MISSIVE_WHITELIST_URL: a deployment's mirror of the whitelist, over the published address.
        url = url or os.environ.get("MISSIVE_WHITELIST_URL") or self.settings.lists.whitelist_url or None
        return self.lists.update_whitelist(self.trust, url, self._lists_ca(ca_file))

    def update_directory(
        self, urls: list[str] | None = None, ca_file: str | None = None, progress: Any = None
    ) -> Any:
        """Download the directory extractions and rebuild the index; ListError keeps the old one."""
        from core.lists import directory_lists

        return directory_lists(self.profile.path).update_directory(
            self.profile.path / "directory",
            list(urls or self.settings.lists.directory_urls) or None,
            self._lists_ca(ca_file),
            progress,
        )

    def directory_age(self) -> str:
        """How old the downloaded directory is, for its pane ("" when it was never downloaded)."""
        from core.lists import directory_age

        return directory_age(self.profile.path)

    def lists_info(self) -> dict[str, Any]:
        """Ages of both lists for the screens: {"whitelist": {...}, "directory": {...}} (see Lists.info)."""
        from core.lists import directory_lists

        return {
            "whitelist": self.lists.info("whitelist"),
            "directory": directory_lists(self.profile.path).info("directory"),
        }

    # -- the set-up assistant -----------------------------------------------------------------------------
    def psc_defaults(self) -> dict[str, str]:
        """Issuer, client id, CA file, client certificate for PSC: [psc] in profile.toml, else the deployment's
        MISSIVE_PSC_ISSUER / MISSIVE_PSC_CLIENT_ID / MISSIVE_PSC_CA_FILE / MISSIVE_PSC_CLIENT_CERT."""
        import os

        psc = self.settings.psc
        return {
            "issuer": psc.issuer or os.environ.get("MISSIVE_PSC_ISSUER", ""),
            "client_id": psc.client_id or os.environ.get("MISSIVE_PSC_CLIENT_ID", ""),
            "ca_file": psc.ca_file or os.environ.get("MISSIVE_PSC_CA_FILE", ""),
            "client_cert": psc.client_cert or os.environ.get("MISSIVE_PSC_CLIENT_CERT", ""),
        }

    async def autoconfigure(self, email: str, ca_file: str | None = None) -> Found:
        """SRV, usual names, connection test (core.mail.autoconfig); nothing saved."""
        from core.mail import autoconfig

        return await autoconfig.autoconfigure(email, ca_file)

    async def add_account_checked(
        self, account: Account, show: Callable[[str], Any] | None = None
    ) -> list[str]:
        """Log in for real (PSC approval on the phone first when ``auth = "psc"``), list the folders, and only
        then save the account (same as ``missive account add``). Raises with one French line; nothing saved."""
        from core.auth import psc
        from core.mail.accounts import validate
        from core.mail.imap import ImapClient

        validate(account)
        if account.name in self.accounts.names():
            self.accounts.add(account)  # the "already exists" line
        if account.auth_kind == "psc":
            tokens = await psc.sessions.login(account, show or (lambda _m: None))
            account = account.with_changes(psc_refresh_token=tokens.refresh_token)
        async with ImapClient(account) as imap:
            folders = await imap.folders()
        self.accounts.add(account)
        log.info("account %s added after a successful login (%d folders)", account.name, len(folders))
        return [f"connexion vérifiée : {len(folders)} dossiers sur {account.imap_host}:{account.imap_port}"]

    def import_identity(self, path: str, password: str) -> dict[str, Any]:
        """Our S/MIME key and certificate from a .p12 (same as ``missive keys import``)."""
        from core.inputfile import read_input

        return self.import_identity_data(read_input(Path(path).expanduser(), "keys"), password)

    def save_settings(self, changes: dict[str, dict[str, Any]]) -> None:
        """Write settings to profile.toml (validated first; comments kept) and use them from now on."""
        from core.setup import update_settings

        update_settings(self.profile.path, changes)
        self.profile.reload_settings()
        self.__dict__.pop("trust", None)  # rebuilt with the new settings on next use

    # -- Pro Santé Connect ---------------------------------------------------------------------------------
    def needs_login(self, name: str) -> bool:
        """True when account ``name`` logs in with PSC and holds no usable refresh token."""
        from core.auth import psc

        account = self.accounts.get(name)
        return account.auth_kind == "psc" and not psc.sessions.has_login(account)

    async def psc_login(self, name: str, show: Callable[[str], Any] | None = None) -> None:
        """Run the CIBA login of account ``name``: ``show`` (and a ``psc-binding`` event) get the French line
        with the code to compare on the phone; the refresh token is saved encrypted. Raises PscError."""
        from core.auth import psc
        from core.events import PscBinding, PscLogin

        account = self.accounts.get(name)
        if account.auth_kind != "psc":
            raise BadInput(T("mailroom.account-not-psc", name=name))

        def tell(message: str) -> None:
            self.emit(PscBinding(name, message))
            if show is not None:
                show(message)

        await psc.sessions.login(account, tell)
        self.emit(PscLogin(name, "ok"))

    async def _login_again(self, name: str, stop: asyncio.Event | None = None) -> bool:
        """After LoginRequired: one CIBA round in the background; False (and an event) when it failed."""
        from core.auth import PscError
        from core.events import PscLogin

        self.emit(PscLogin(name, "required"))
        try:
            if stop is None:
                await self.psc_login(name)
            else:
                await _until(stop, self.psc_login(name))
            return True
        except PscError as exc:
            log.warning("account %s: PSC login failed (%s)", name, type(exc).__name__)
            self.emit(PscLogin(name, "failed", " ".join(str(exc).split())))
            return False

    @property
    def cda_author(self) -> Any:
        """The practitioner named in CDA documents missive writes ([practitioner] in profile.toml)."""
        from core.clinical.cda_writer import CdaAuthor

        who = self.settings.practitioner
        if not who.rpps:
            return None
        return CdaAuthor(
            rpps=who.rpps,
            family_name=who.family_name,
            given_name=who.given_name,
            organisation=who.organisation,
            organisation_id=who.organisation_id,
        )

    def daemon_tasks(self) -> list[Callable[[], Any]]:
        """Periodic jobs of ``missive daemon``: the watched folder, and filing what waits to be filed."""
        from core.events import DocumentFiled
        from core.watchfolder import watch_task

        tasks: list[Callable[[], Any]] = []
        watch = watch_task(self)
        if watch is not None:
            tasks.append(watch)

        async def auto_file() -> None:
            filed = self.documents.auto_file()
            if filed:
                self.emit(DocumentFiled(len(filed)))

        tasks.append(auto_file)
        if self.settings.lists.auto_update:

            async def refresh_lists() -> None:
                # Once a day (an hour after a failure); a failure keeps the last good copy and is logged.
                from asyncio import to_thread

                from core.lists import directory_lists

                for what, state, update in (
                    ("whitelist", self.lists, self.update_whitelist),
                    ("crl", self.lists, self.update_crls),
                    ("directory", directory_lists(self.profile.path), self.update_directory),
                ):
                    if state.due(what):
                        with contextlib.suppress(MissiveError):
                            await to_thread(update)

            tasks.append(refresh_lists)
        return tasks


def _never_auto(match: Callable[[Identity], MatchResult]) -> Callable[[Identity], MatchResult]:
    """A document from a sender the policy does not trust is never filed without a person's decision."""
    from dataclasses import replace

    def review(identity: Identity) -> MatchResult:
        result = match(identity)
        return replace(result, decision="review", patient_id=None) if result.decision == "auto" else result

    return review


def _synced(report: Any) -> Any:
    """The ``Synced`` event of one account's round (``new``: news only, our own letters among the changes)."""
    from core.events import Synced

    news = max(0, int(report.new) - int(report.own))
    changed = int(report.own) + int(report.flags_in) + int(report.flags_out) + int(report.expunged)
    return Synced(str(report.account), news, changed)


async def _in_daemon_thread(call: Callable[..., Any], *args: Any) -> Any:
    """``call(*args)`` in a thread of its own that never holds the process back: a round asked of the daemon
    waits as long as its sync takes, and the app quitting meanwhile must not wait for it (``asyncio.to_thread``'s
    executor is waited for when the event loop ends)."""
    import asyncio
    import threading

    loop = asyncio.get_running_loop()
    answer: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if answer.done():
            return  # cancelled meanwhile
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(result)

    def run() -> None:
        try:
            result, error = call(*args), None
        except Exception as exc:  # noqa: BLE001 - handed to the waiting coroutine
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop has ended: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="missive-daemon-round", daemon=True).start()
    return await answer


def _left_to_the_daemon(account: Any) -> Any:
    """The mailbox of an account the daemon syncs for this app: none here (``MailOps`` keeps the operation for
    the daemon's round, as for a server out of reach)."""
    from core.errors import TransportError

    raise TransportError(T("agent.laisse-au-demon"))


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def _quarantine_count(rows: Any, store: MessageStore) -> int:
    counter = getattr(rows, "quarantine_count", None)  # the list index knows, without decoding a row
    if callable(counter):
        return int(counter())
    return sum(1 for s in rows if store.doc(s.id).get("trust") == "quarantine")


if TYPE_CHECKING:

    def _implements_contract(mailroom: Mailroom) -> MailroomAPI:
        return mailroom  # mypy checks that Mailroom implements the app's contract

    def _implements_commands(mailroom: Mailroom) -> CommandsAPI:
        return mailroom  # ... and the command line's (with the set-up assistant's, SetupAPI)


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def read_input(path: str | Path, kind: str) -> bytes:
    """A file the doctor names, of ``kind`` ('clinical', 'keys', 'whitelist', 'message', 'patients',
    'attachment'): a regular file no larger than its kind's limit, or one French line (core.inputfile)."""
    from core.inputfile import read_input as read

    return read(path, kind)


def read_standard_input(stream: Any, kind: str) -> bytes:
    """What a command reads from its standard input, no more than ``kind``'s limit (core.inputfile)."""
    from core.inputfile import read_stream

    return read_stream(stream, kind)


def profile_exists(profile_dir: Path) -> bool:
    """Whether ``profile_dir`` holds a profile (without asking for its passphrase)."""
    from core.store.vault import Vault  # the key file only: nothing else of the store is loaded

    return Vault.exists(Path(profile_dir))


# -- what needs no profile (the set-up assistant before the profile exists, ``missive parse``) -----------------
def read_clinical_file(data: bytes, filename: str = "") -> ReadResult:
    """Detect the format of a clinical file (HPRIM, HL7, CDA, XDM, PDF) and read its documents; ParseError."""
    from core.clinical.readers import read_document

    return read_document(data, filename)


def envelope_conflict(document: ClinicalDocument | QueuedDocument) -> str:
    """Why a document (read from a file, or waiting in the queue) is never filed automatically because its
    container (HL7 PID, XDM metadata, a CDA's second recordTarget) names another patient ('' when it does not):
    the same words À classer shows."""
    from core.practice.documents import envelope_conflict as conflict

    return conflict(document)


def filing_presets() -> list[Preset]:
    """The practice programs missive knows how to file for (import folder, file name, encoding)."""
    from core.practice.filing import PRESETS

    return list(PRESETS.values())


def parse_column_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``["NOM=birth_name", ...]`` as a column mapping for a patients' CSV; BadInput when malformed."""
    from core.practice.patients import parse_mapping

    return parse_mapping(pairs)


def passphrase_strength(text: str) -> tuple[int, str]:
    """A new passphrase's strength (0-4) and its word, as the set-up assistant shows it."""
    from core import setup

    return setup.passphrase_strength(text)


def check_passphrase(first: str, second: str) -> None:
    """BadInput when the two entries differ or the passphrase is too weak."""
    from core import setup

    setup.check_passphrase(first, second)


def _offline_reason(account: str, exc: Exception) -> tuple[bool, str]:
    """Whether a failed sync is the network (the server out of reach: retried, the cached view stays) and the
    line that says it. A missing Maildir folder or a refused login is not the network: said as what to fix."""
    from core.errors import MailboxMissing, TransportError

    said = " ".join(str(exc).split())
    if isinstance(exc, MailboxMissing):
        return False, str(T("mailroom.sync-maildir-missing", account=account, reason=said))
    if isinstance(exc, TransportError) and not exc.permanent:
        return True, said
    return False, str(T("mailroom.sync-needs-fixing", account=account, reason=said))


def check_import_folder(folder: str) -> str:
    """The practice software's import folder made ready (created, writable); the line to show."""
    from core import setup

    return setup.check_import_folder(folder)


def preview_patients(path: str, lines: int = 3) -> CsvPreview:
    """The first rows of a patients' CSV and the column mapping guessed for it (nothing imported)."""
    from core import setup

    return setup.preview_patients(path, lines)


def send_test_notification(kind: str, url: str) -> str:
    """Push a test notification (no health data) to ``url``; the line to show, or a MissiveError."""
    from core import setup

    return setup.test_notification(kind, url)


async def find_servers(email: str, ca_file: str | None = None) -> Found:
    """The IMAP and SMTP servers of ``email`` (DNS SRV, then the usual names), each tested; nothing saved."""
    from core.mail import autoconfig

    return await autoconfig.autoconfigure(email, ca_file)


def require_servers(found: Found) -> Found:
    """``found`` when both servers answered, else the MissiveError that says what is missing."""
    from core.mail import autoconfig

    return autoconfig.require(found)


def mail_domain(email: str) -> str:
    from core.mail import autoconfig

    return autoconfig.domain_of(email)


def host_port(text: str, default_port: int, what: str) -> tuple[str, int]:
    """``host:port`` (or ``host``, or ``[v6]:port``) as a checked (host, port); BadInput naming ``what``."""
    from core.mail.accounts import parse_host_port

    return parse_host_port(text, default_port, what)


def new_account(**fields: Any) -> Account:
    """An account's settings (``core.mail.account.Account`` fields) as ``add_account`` takes them; checked when
    added."""
    from core.mail.account import Account

    return Account(**fields)


def check_client_certificate(p12: bytes, password: str) -> None:
    """Refuse now (BadInput) a client certificate file that cannot be used, rather than at the first sync."""
    from core.mail.tls import client_context

    client_context(None, p12, password)


class PublicDirectory:
    """The directory of health professionals (public RPPS and MSSanté extractions), kept unencrypted in
    ``<profile>/directory``: ``missive directory ...`` uses it with the profile folder only, no passphrase."""

    def __init__(self, profile_dir: Path) -> None:
        self.profile_dir = Path(profile_dir)

    @cached_property
    def _directory(self) -> Directory:
        from core.directory.search import Directory

        return Directory(self.profile_dir / "directory")

    def import_files(
        self, files: Sequence[str], progress: Callable[[str, int, int], None] | None = None
    ) -> DirectoryImport:
        """Import extractions (.txt, .csv, .zip); the report says what was read and rejected."""
        return self._directory.import_files(list(files), progress=progress)

    def search(self, text: str, limit: int = 20) -> list[DirectoryEntry]:
        return self._directory.search(text, limit=limit)

    def stats(self) -> dict[str, str]:
        """What the imported directory holds ({} when empty)."""
        return self._directory.stats()

    def download_info(self) -> dict[str, Any]:
        """When the directory was last downloaded and checked (``Lists.info``)."""
        from core.lists import directory_lists

        return directory_lists(self.profile_dir).info("directory")

    def update(
        self, urls: Sequence[str] | None = None, ca_file: str | None = None, progress: Any = None
    ) -> Updated:
        """Download the extractions (verified TLS, only when changed) and rebuild the index; ListError keeps
        the old one. Defaults: [lists] of profile.toml."""
        from core.config import load_settings
        from core.lists import directory_lists

        settings = load_settings(self.profile_dir).lists
        return directory_lists(self.profile_dir).update_directory(
            self.profile_dir / "directory",
            list(urls or ()) or list(settings.directory_urls) or None,
            ca_file or settings.ca_file or None,
            progress,
        )


def build_demo(
    folder: Path,
    passphrase: str,
    *,
    reset: bool = False,
    patients: int = 3000,
    progress: Callable[[str], None] | None = None,
) -> str:
    """Build (once) the demonstration profile in ``folder``: fictitious patients, letters and results; the
    report to print."""
    from core.demo.build import build_demo as build

    return build(folder, passphrase, reset=reset, patients=patients, progress=progress)


def sync_report_json(report: SyncReport) -> dict[str, Any]:
    """A sync's counts (account, new, flags in and out, expunged): what the daemon answers too."""
    from core.agent import report_json

    return report_json(report)


def run(coro: Any) -> Any:
    """Run a coroutine from synchronous code (the CLI)."""
    import asyncio

    return asyncio.run(coro)


def _backlog_order(queued: Any) -> tuple[bool, float, str]:
    """À classer's order: critical results first, then the oldest document first (a backlog is worked from its
    oldest result, as a tray is, so that none waits forever behind the new ones); arrival when undated. A file
    that could not be read comes right after the critical ones: nobody knows what it holds."""
    when = queued.date.timestamp() if queued.date is not None else float("inf")
    if getattr(queued, "state", "") == "unreadable":
        when = float("-inf")
    return (not queued.critical, when, queued.added)


def _from_address(fastmime: ModuleType, scanned: Any, raw: bytes) -> str:
    """The From address of ``raw`` as the message list reads it ('' when there is none)."""
    if scanned is not None:
        value = scanned.header.get("From", "")
    else:
        from email.parser import BytesHeaderParser
        from email.policy import compat32

        try:
            value = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True).get("From", "")
        except (ValueError, TypeError):
            return ""
    return str(fastmime.address_of(str(value or ""))).strip().lower()


def _signers_json(signers: Sequence[tuple[SignatureStatus, Sequence[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """A letter's signers as stored with it (``signers``): each one's verdict and verified chain."""
    return [{"signature": status.to_json(), "chain": list(links)} for status, links in signers]


def _judged_again(
    doc: dict[str, Any], crls: Any
) -> tuple[SignatureStatus | None, list[dict[str, Any]] | None]:
    """A stored letter's verdict judged again with the CRLs held now (``crl.judge_again``), and for a letter
    with several signers each one's (``signers``), the letter's then the least trusting of them
    (``smime.letter_verdict``); (None, None) when revocation has nothing to say to it."""
    from core.model import SignatureStatus
    from core.secure.crl import judge_again

    basis = doc["sig_basis"]
    stored = doc.get("signers")
    if not isinstance(stored, list) or not stored:
        return judge_again(doc.get("signature") or {}, basis, crls), None
    from core.secure.smime import letter_verdict

    signers: list[dict[str, Any]] = []
    for entry in stored:
        chain = entry.get("chain") or []
        again = judge_again(entry["signature"], {"seen": basis["seen"], "chain": chain}, crls) if chain else None
        signers.append({**entry, "signature": again.to_json()} if again is not None else dict(entry))
    statuses = [SignatureStatus.from_json(entry["signature"]) for entry in signers]
    return statuses[letter_verdict(statuses)], signers


@functools.cache
def _hook_tools() -> tuple[ModuleType, Callable[[str], bool]]:
    """What the sync hook reads each letter with, imported once (not at start: the email package comes with
    them): three import statements a letter cost the hook about 2 us."""
    from core.mail import fastmime
    from core.secure.smime_kinds import may_be_smime

    return fastmime, may_be_smime
