"""The contract between the engine and its clients: what the app (and its test fake) may ask of the façade.

``core.mailroom.Mailroom`` implements it; so does ``tests/tui/fakes.FakeMailroom``, and
``tests/tui/test_contract.py`` runs the same scenarios against both. Blocking methods are called from the app's
thread workers; coroutines from the CLI with ``asyncio.run`` or from a worker's own event loop. Every value is a
plain dataclass of ``core.model`` or ``core.events``: what the screen shows is decided here, not in the UI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, overload, runtime_checkable

if TYPE_CHECKING:  # start-up stays lazy: the types only
    from core.clinical.patient_mail import Recipient
    from core.config import Settings
    from core.events import MailroomEvent
    from core.mail.account import Account
    from core.mail.autoconfig import Found
    from core.mail.outbox import OutboxEntry
    from core.mail.receipts import SentLetter
    from core.mail.send import Delivery, FlushReport
    from core.mail.sync import SyncReport
    from core.model import (
        AddressChoice,
        ClinicalDocument,
        DirectoryEntry,
        Draft,
        FolderCount,
        Identity,
        MatchResult,
        MessageSummary,
        MessageView,
        MoveResult,
        OutgoingLetter,
        Patient,
        ReviewItem,
        SavedDraft,
        SignatureStatus,
        Undone,
    )
    from core.practice.documents import QueuedDocument
    from core.practice.patients import ImportReport
    from core.secure.outgoing import LetterProtection
    from core.store.audit import AuditProblem


class SummaryRows(Protocol):
    """A folder's list, newest first, decoded as it is read (``MessageRows``), with what the list needs."""

    def __len__(self) -> int: ...

    @overload
    def __getitem__(self, i: int) -> MessageSummary: ...

    @overload
    def __getitem__(self, i: slice) -> list[MessageSummary]: ...

    def __iter__(self) -> Iterator[MessageSummary]: ...

    @property
    def unread(self) -> int: ...

    def index_of(self, message_id: str) -> int | None: ...

    def replace(self, summary: MessageSummary) -> bool:
        """Show ``summary`` in place of the row with its id (a message changed on screen)."""
        ...

    def matching(self, text: str, message_ids: Collection[str] = ()) -> SummaryRows:
        """The rows whose sender or subject matches ``text`` (the core's search rule), or whose Message-ID is
        one of ``message_ids``."""
        ...

    def sorted_by(self, order: str) -> SummaryRows:
        """The rows by ``order`` (core.mail.messages.SORTS: date newest first, sender or subject A to Z)."""
        ...

    def threaded(self) -> SummaryRows:
        """The rows conversation by conversation (core.mail.threads), each reply with its tree mark."""
        ...

    @property
    def conversations(self) -> bool: ...

    def thread_mark(self, i: int) -> str:
        """Row ``i``'s tree mark in a conversation view ('' otherwise)."""
        ...


@runtime_checkable
class MailroomAPI(Protocol):
    """Every operation the app performs on an open profile."""

    @property
    def settings(self) -> Settings: ...

    @property
    def profile_path(self) -> Path | None: ...

    def save_settings(self, changes: dict[str, dict[str, Any]]) -> None:
        """Write ``{section: {key: value}}`` to profile.toml ('' for the top level: the theme chosen in the app),
        validated first, comments kept, and use it from now on."""
        ...

    @property
    def unlock_seconds(self) -> float:
        """How long this profile's unlock was under way: the passphrase's key derivation (also when it was begun
        ahead, core.store.kdf) and the profile's opening, the time both ran counted once."""
        ...

    def close(self) -> None: ...

    def subscribe(self, callback: Callable[[MailroomEvent], None]) -> None:
        """``callback`` receives every event, maybe from another thread."""
        ...

    # -- Réception --------------------------------------------------------------------------------------------
    def folders(self) -> list[str]:
        """Folder names, INBOX first; the virtual quarantine and drafts folders when they hold something."""
        ...

    def summaries(self, folder: str | None = None) -> SummaryRows:
        """A folder's list, newest first, never loading a body (``None``: every real folder); the drafts folder
        lists the drafts kept (rows whose id is the draft's)."""
        ...

    def read_message(self, message_id: str, actor: str | None = None, words_later: bool = False) -> MessageView:
        """The message as the doctor reads it; audited (``read``) every time. Its words are kept for the search
        (``read_words_by_message``) now, or with ``words_later`` by the next ``keep_read_words``."""
        ...

    def keep_read_words(self) -> None:
        """Keep for the search the words of the letters read with ``words_later`` (a write to the profile, which
        the app does once the letter is on its way to the screen)."""
        ...

    def prepare_reading(self) -> None:
        """Load what a first ``read_message`` needs besides the message (blocking; the app calls it in a
        thread once the profile is open, so the first message opened shows at once)."""
        ...

    def audit_break(self) -> str | None:
        """None when the audit log matches its seal; else the French line every audited action (reading a
        message, filing, sending…) would now be refused with (``AuditBroken``), naming the commands to run.
        Cheap (the log's length against its seal), blocking, writes nothing."""
        ...

    def resume_frame(self, view: str) -> tuple[str, str | None]:
        """The start's screen key for ``view`` (what the interface gives: terminal size, colours, language,
        theme, date, versions) and the profile as it is now, with the frame kept under exactly that key, or
        None (core.store.resumeframe). Call it before reading what the screen shows."""
        ...

    def keep_resume_frame(self, key: str, frame: str) -> None:
        """Keep ``frame`` (the first inbox screen painted under ``key``), sealed in the profile."""
        ...

    def mark_seen(self, message_id: str) -> None: ...

    def sync_now(self) -> int:
        """A round of every account now (the refresh key): the background sync's own, or the running daemon's
        when it syncs for this app; how many accounts were asked (0: no background sync runs)."""
        ...

    def folder_counts(self) -> dict[str, FolderCount]:
        """Per folder of ``folders()``: unread and total, for the folder list."""
        ...

    def sent_folder(self, name: str) -> bool:
        """Whether ``name`` (a key of ``folders()``) holds the account's sent letters: the folder its server
        marks \\Sent whatever its name ('Courrier parti'), else one of a usual Sent name. Its list names the
        recipients, and a reply there writes to them again."""
        ...

    async def set_seen(self, message_id: str, seen: bool) -> MessageSummary:
        """Read / unread, here at once and on the server (now, or at the next sync); the summary as it is now."""
        ...

    async def set_flagged(self, message_id: str, flagged: bool) -> MessageSummary:
        """Flag (important) or clear the flag, here and on the server."""
        ...

    def move_targets(self, message_id: str) -> list[str]:
        """Folders of the message's account it can be moved to (its own left out)."""
        ...

    async def move_message(self, message_id: str, folder: str, actor: str | None = None) -> MoveResult:
        """Move to ``folder``; undoable; out of reach of the server, done here and queued for the next sync."""
        ...

    async def archive_message(self, message_id: str, actor: str | None = None) -> MoveResult:
        """Move to the account's Archive folder (created when absent)."""
        ...

    def delete_question(self, message_id: str) -> str:
        """ "" when delete moves to the Trash; else the question to ask (in the Trash, delete is for good)."""
        ...

    async def delete_message(
        self, message_id: str, actor: str | None = None, *, for_good: bool = False
    ) -> MoveResult:
        """To the Trash (undoable); in the Trash, for good once ``for_good`` (the doctor said yes)."""
        ...

    async def undo_move(self, actor: str | None = None) -> MoveResult:
        """Take back the last move, archive or delete (NotFound when there is none)."""
        ...

    def own_addresses(self) -> frozenset[str]:
        """The practice's own addresses (its accounts'), left out of a reply to all."""
        ...

    async def answer_read_receipt(self, message_id: str, actor: str | None = None) -> Delivery:
        """Send the read receipt a message asks for (the doctor's decision)."""
        ...

    def receipt_statuses(self) -> dict[str, str]:
        """Message-ID -> short delivery/read status of every sent letter (the core's words)."""
        ...

    # -- À classer --------------------------------------------------------------------------------------------
    def review_items(self) -> tuple[list[ReviewItem], list[ReviewItem]]:
        """(documents waiting for a decision: critical first, then the oldest document first; documents filed,
        oldest first). A waiting document without candidate says why (``ReviewItem.no_candidate``)."""
        ...

    def review_count(self) -> int: ...

    def filing_notice(self) -> str:
        """While ``[filing] folder`` is not set nothing is filed (automatically or by hand): that, and how to set
        it, in the core's words ('' once set): À classer says it above its documents, `documents list` first."""
        ...

    def patients_by_message(self) -> dict[str, str]:
        """Message-ID -> the searchable names of the patients its documents are about."""
        ...

    def read_words_by_message(self) -> dict[str, str]:
        """Message-ID -> the searchable words of the letters already opened (their text)."""
        ...

    def filed_patients(self) -> dict[str, str]:
        """Message-ID -> the patient its documents were filed for ("NOM Prénom", "+1" per other one)."""
        ...

    def critical_count(self) -> int:
        """Waiting documents with a critical result."""
        ...

    def differing_traits(self, identity: Identity, patient: Patient) -> frozenset[str]:
        """The traits (name, birth_name, given, birth_date, sex, ins) on which a document's patient and a registry
        patient differ, by the matcher's measures: what the review screen marks and confirms."""
        ...

    def list_patients(self) -> list[Patient]: ...

    def patient(self, patient_id: str) -> Patient | None: ...

    def file_document(self, doc_id: str, patient_id: str, actor: str | None = None) -> ReviewItem: ...

    def reject_document(self, doc_id: str, actor: str | None = None) -> ReviewItem: ...

    def undo_filing(self, doc_id: str, actor: str | None = None) -> ReviewItem: ...

    def mark_dealt_with(self, doc_id: str, actor: str | None = None) -> ReviewItem:
        """A file that could not be read (state ``unreadable``), dealt with by a person otherwise: out of À
        classer, never filed, audited; BadInput for any other document."""
        ...

    # -- Annuaire and recipients ------------------------------------------------------------------------------
    def directory_search(self, text: str, limit: int = 200) -> list[DirectoryEntry]: ...

    def complete_address(self, prefix: str, limit: int = 10) -> list[AddressChoice]:
        """Recipients for what is typed in To/Cc, in the core's order: past correspondents first (name,
        address, the directory's specialty and town), then the directory by name, specialty and town."""
        ...

    def letter_protection(self, recipients: Sequence[str], account: str | None = None) -> LetterProtection:
        """Will the letter leave encrypted, signed, at all: the decision ``send`` makes for the whole letter."""
        ...

    def describe_recipients(self, addresses: Sequence[str]) -> dict[str, Recipient]:
        """Per address: a patient (name and INS from the list) or a colleague."""
        ...

    def patient_labels(self) -> dict[str, str]:
        """Every patient mailbox of the list -> its label ("◆ NAME First · INS …")."""
        ...

    def directory_age(self) -> str:
        """How old the downloaded directory is ("" when never downloaded), in the core's words."""
        ...

    # -- Rédaction --------------------------------------------------------------------------------------------
    def save_draft(self, draft: Draft, draft_id: str | None = None) -> str:
        """Keep a draft (encrypted); returns its id (a new one when ``draft_id`` is None)."""
        ...

    def drafts(self) -> list[SavedDraft]:
        """Drafts kept, most recent first."""
        ...

    def draft(self, draft_id: str) -> SavedDraft: ...

    def delete_draft(self, draft_id: str) -> None: ...

    async def send(self, draft: Draft, draft_id: str | None = None) -> Delivery:
        """Check the policy, protect, queue durably, send; the draft ``draft_id`` is deleted once queued."""
        ...

    async def flush_outbox(self, force: bool = False) -> FlushReport:
        """Send again what is due in the outbox (``force``: everything, failed letters included); Sent or
        SendFailed events say what left and what failed for good."""
        ...

    # -- status -----------------------------------------------------------------------------------------------
    async def send_outbox_now(self) -> FlushReport:
        """Try now every letter waiting in the outbox for its next try (not the failed ones: the doctor resends
        those with ``missive outbox flush --all``)."""
        ...

    def outbox_count(self) -> int: ...

    # -- À envoyer ----------------------------------------------------------------------------------------------
    def outbox_letters(self) -> list[OutgoingLetter]:
        """Every letter of the outbox, oldest first: recipients, subject, when queued, state, attempts, the last
        failure and when it goes again, in the core's words; what may be done with it (resend, withdraw)."""
        ...

    async def send_outgoing(self, entry_id: str | None = None) -> FlushReport:
        """Send now: the letter ``entry_id`` whatever its state (failed included), or every letter but those in
        doubt (None). Never one another process is sending (``busy``). Each letter sent audited (``send``)."""
        ...

    def withdraw_outgoing(self, entry_id: str, actor: str | None = None) -> str:
        """Take the letter out of the outbox into Brouillons (stored first); the draft's id. Refused, nothing
        changed, for a letter being sent or already accepted. Audited (``withdraw``)."""
        ...

    def outgoing_view(self, entry_id: str, actor: str | None = None) -> MessageView:
        """The outbox letter as it will leave, read-only; audited (``read``)."""
        ...

    def account_names(self) -> list[str]: ...

    def senders(self) -> list[tuple[str, str]]:
        """(account name, address) of each account a letter can be sent from, the default one first."""
        ...

    async def keep_synced(self, name: str, stop: asyncio.Event) -> None:
        """Sync, then IDLE and sync again until ``stop`` is set; news come as events."""
        ...


@runtime_checkable
class SetupAPI(Protocol):
    """The set-up assistant's steps on the profile it has just created (the app's first start)."""

    async def autoconfigure(self, email: str, ca_file: str | None = None) -> Found:
        """The servers of ``email`` found and tested; nothing saved."""
        ...

    def psc_defaults(self) -> dict[str, str]: ...

    async def add_account_checked(
        self, account: Account, show: Callable[[str], Any] | None = None
    ) -> list[str]:
        """Log in for real, list the folders, only then save the account."""
        ...

    def has_whitelist(self) -> bool: ...

    def update_whitelist(self, url: str | None = None, ca_file: str | None = None) -> Any: ...

    def import_identity(self, path: str, password: str) -> dict[str, Any]: ...

    def import_patients(self, source: Path, mapping: dict[str, str] | None = None) -> ImportReport: ...


@runtime_checkable
class CommandsAPI(MailroomAPI, SetupAPI, Protocol):
    """What ``missive <command>`` asks of an open profile besides the app's operations. The functions that need
    no profile (``missive parse``, ``directory``, ``filing presets``, the set-up checks) are
    ``core.mailroom``'s own."""

    # -- mail
    async def add_account(
        self, account: Account, *, login: bool = True, show: Callable[[str], Any] | None = None
    ) -> Account: ...

    def accounts_public(self) -> list[dict[str, Any]]: ...

    def remove_account(self, name: str) -> int: ...

    async def psc_login(self, name: str, show: Callable[[str], Any] | None = None) -> None: ...

    async def sync(self, account: str | None = None, progress: Any = None) -> list[SyncReport]: ...

    def list_messages(
        self, folder: str | None = None, account: str | None = None
    ) -> tuple[list[MessageSummary], frozenset[str]]: ...

    def resolve_message_id(self, given: str) -> str: ...

    def receipt_status(self, message_id: str) -> Any: ...

    def remove_patients(self, patient_ids: Sequence[str]) -> list[str]: ...

    # -- sending
    def patient_mail_address(self, patient_id: str) -> str: ...

    def outbox_entries(self) -> list[OutboxEntry]: ...

    def sent_list(self, limit: int | None = None) -> list[SentLetter]: ...

    async def run_daemon(
        self, tasks_every: float | None = None, started: Callable[[], None] | None = None
    ) -> None: ...

    # -- documents and patients
    def queued_documents(self, include_rejected: bool = False) -> list[QueuedDocument]: ...

    def file_queued(self, doc_id: str, patient_id: str, actor: str | None = None) -> QueuedDocument: ...

    def undo_queued(self, doc_id: str, actor: str | None = None) -> tuple[QueuedDocument, Undone]: ...

    def reject_queued(self, doc_id: str, actor: str | None = None) -> QueuedDocument: ...

    def document_notes(self, doc_id: str) -> tuple[str, str]: ...

    def dealt_queued(self, doc_id: str, actor: str | None = None) -> QueuedDocument: ...

    def unreadable_note(self, doc_id: str) -> str: ...

    def revoked_note(self, doc_id: str) -> str: ...

    def waiting_note(self, doc_id: str) -> str: ...

    def match_identity(self, identity: Identity) -> MatchResult: ...

    def match_document(self, document: ClinicalDocument) -> MatchResult: ...

    # -- S/MIME, keys, trust
    def encrypt_message(
        self, message: bytes, recipients: Sequence[str], *, include_self: bool = True, oaep: bool = False
    ) -> bytes: ...

    def decrypt_message(self, message: bytes) -> tuple[bytes, str]: ...

    def sign_message(self, message: bytes, *, opaque: bool = False) -> bytes: ...

    def verify_message(self, message: bytes) -> SignatureStatus: ...

    def verify_signers(self, message: bytes) -> tuple[SignatureStatus, tuple[SignatureStatus, ...]]:
        """The letter's verdict (``verify_message``'s) and, for a letter with several signers, each one's."""
        ...

    def import_identity_data(self, p12: bytes, password: str) -> dict[str, Any]: ...

    def add_certificates(self, data: bytes, name: str) -> list[dict[str, Any]]: ...

    def trust_authorities(self, data: bytes, name: str) -> list[dict[str, Any]]: ...

    def key_listing(self) -> dict[str, list[dict[str, Any]]]: ...

    def remove_key(self, fingerprint: str) -> None: ...

    def import_whitelist(self, xml: bytes) -> dict[str, Any]: ...

    def trust_info(self) -> dict[str, Any]: ...

    def update_crls(self, urls: Sequence[str] | None = None, ca_file: str | None = None) -> Any:
        """Download the authorities' revocation lists and keep those that hold (core.lists.CrlUpdate)."""
        ...

    # -- the profile
    def change_passphrase(self, new_passphrase: str) -> None: ...

    def audit_problem(self) -> AuditProblem | None: ...

    def audit_records(self) -> list[dict[str, Any]]: ...

    def audit_seal(self) -> dict[str, Any] | None: ...

    def audit_breaks(self) -> list[dict[str, Any]]: ...

    def audit_readable(self, kept: str | None = None) -> tuple[list[dict[str, Any]], AuditProblem | None]: ...

    def audit_reseal(self) -> dict[str, Any]: ...
