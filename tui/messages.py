"""Textual messages of the app, all past tense: something happened, the receiver decides what to show.

Workers post these when their I/O is done; frequent ones do not bubble and replace their queued elders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

from core.model import DirectoryEntry, FolderCount, MessageView, ReviewItem, SavedDraft

if TYPE_CHECKING:
    from core.mailroom import MailroomAPI, SummaryRows
    from core.model import MailroomEvent


class Unlocked(Message):
    """The passphrase opened the profile (or confirmed it after an idle lock)."""

    def __init__(self, mailroom: MailroomAPI) -> None:
        super().__init__()
        self.mailroom = mailroom


class UnlockFailed(Message):
    """The passphrase was refused, or the profile cannot be opened."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class MessagesLoaded(Message, bubble=False):
    """A folder's summaries are in memory."""

    def __init__(
        self,
        folder: str | None,
        folders: list[str],
        summaries: SummaryRows,
        statuses: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        counts: dict[str, FolderCount] | None = None,
        sent: bool = False,
    ) -> None:
        super().__init__()
        self.folder = folder
        self.folders = folders
        self.sent = sent  # the folder holds the sent letters (the core's say): the list names the recipients
        self.counts = counts or {}  # folder -> unread and total, shown in the folder list
        self.summaries = summaries
        self.statuses = statuses or {}  # sent letters: Message-ID -> "remis", "lu", "échec"...
        self.labels = labels or {}  # patient mailboxes -> "◆ NAME First · INS …"


class MessageOpened(Message, bubble=False):
    """A message body was read and decoded for the reader."""

    def __init__(self, view: MessageView) -> None:
        super().__init__()
        self.view = view

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, MessageOpened)


class DocumentsLoaded(Message, bubble=False):
    """The documents waiting for a decision and the ones filed automatically are known."""

    def __init__(self, pending: list[ReviewItem], filed: list[ReviewItem], notice: str = "") -> None:
        super().__init__()
        self.pending = pending
        self.filed = filed
        self.notice = notice  # what stops every filing (no import folder), in the core's words; '' else


class DocumentDecided(Message):
    """A document was filed, rejected, filed to a new patient or un-filed."""

    def __init__(self, doc_id: str, decision: str, undone: str | None = None) -> None:
        super().__init__()
        self.doc_id = doc_id
        self.decision = decision
        self.undone = undone  # for an undo: what the core took back (filing, rejection, correction)


class DirectoryFound(Message, bubble=False):
    """Directory search results arrived."""

    def __init__(self, query: str, entries: list[DirectoryEntry]) -> None:
        super().__init__()
        self.query = query
        self.entries = entries

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DirectoryFound)


class LetterRequested(Message):
    """The user asked to write to these addresses (from Annuaire, reply or forward)."""

    def __init__(
        self,
        to: tuple[str, ...] = (),
        subject: str = "",
        body: str = "",
        in_reply_to: str | None = None,
        cc: tuple[str, ...] = (),
        attachments: tuple[Any, ...] = (),
        account: str | None = None,
    ) -> None:
        super().__init__()
        self.to = to
        self.subject = subject
        self.body = body
        self.in_reply_to = in_reply_to
        self.cc = cc
        self.attachments = attachments
        self.account = account  # the account of the message answered or forwarded: the letter leaves from it


class DraftReopened(Message):
    """A kept draft was read back from the profile (Enter in Brouillons): the composer goes on with it."""

    def __init__(self, saved: SavedDraft) -> None:
        super().__init__()
        self.saved = saved


class DraftsChanged(Message):
    """A draft was saved, thrown away or sent: the Brouillons folder and its list are no longer what is shown."""


class ProtectionDecided(Message, bubble=False):
    """The core said what ``send`` will do with the letter as it stands (for these recipients)."""

    def __init__(self, recipients: tuple[str, ...], decision: Any, who: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.recipients = recipients
        self.decision = decision
        self.who = who or {}  # address -> core.clinical.patient_mail.Recipient (patient name and INS)

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ProtectionDecided)


class AddressesFound(Message, bubble=False):
    """The core's recipients for what is typed in one address field (``text``, the field's value then)."""

    def __init__(self, field_id: str, text: str, choices: list[Any]) -> None:
        super().__init__()
        self.field_id = field_id
        self.text = text
        self.choices = choices  # core.model.AddressChoice, in the core's order

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AddressesFound)


class SendersKnown(Message, bubble=False):
    """The accounts a letter can leave from: (account, address), the default first."""

    def __init__(self, senders: list[tuple[str, str]]) -> None:
        super().__init__()
        self.senders = senders


class LetterSent(Message):
    """A letter left the composer for the durable outbox (``queued``: the server did not take it yet)."""

    def __init__(self, recipients: int, *, queued: bool = False, draft_id: str | None = None) -> None:
        super().__init__()
        self.recipients = recipients
        self.queued = queued
        self.draft_id = draft_id  # the composer's letter that left


class SendEnded(Message, bubble=False):
    """The composer's send of one letter is over, whatever its outcome (it may be sent again)."""

    def __init__(self, draft_id: str) -> None:
        super().__init__()
        self.draft_id = draft_id


class MailroomEventReceived(Message, bubble=False):
    """An engine event (new mail, filing, send failure, progress, sync state)."""

    def __init__(self, event: MailroomEvent) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        from core.model import Progress

        # progress floods: only the latest matters
        return (
            isinstance(message, MailroomEventReceived)
            and isinstance(message.event, Progress)
            and isinstance(self.event, Progress)
        )


class CountsRefreshed(Message, bubble=False):
    """Outbox and à-classer counts were read."""

    def __init__(self, outbox: int, review: int, accounts: list[tuple[str, str]], critical: int = 0) -> None:
        super().__init__()
        self.outbox = outbox
        self.review = review
        self.accounts = accounts
        self.critical = critical
