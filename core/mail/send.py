"""The send pipeline: policy check → protect (S/MIME) → durable outbox → SMTP → Sent copy → removal.

The letter is in the outbox (encrypted, fsynced) before the first network byte; it leaves the outbox only
after the server accepted it and a copy sits in the Sent folder. ``flush_outbox`` retries what is due,
including entries a crash left half-way (see ``core.mail.outbox`` for why that never sends twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from core.errors import (
    ConfigError,
    KeptInOutbox,
    MissiveError,
    NotFound,
    ServerRefused,
    StoreError,
    TransportError,
    os_reason,
)
from core.mail.account import Account
from core.mail.compose import Composed, compose, header_value, keep_outer_headers
from core.mail.outbox import Outbox, OutboxEntry
from core.mail.smtp import BEFORE_DATA, SmtpError, Submitted
from core.model import Draft
from core.text import T

log = logging.getLogger("missive.send")

Protect = Callable[[bytes, list[str]], bytes]
CheckPolicy = Callable[[list[str]], None]
Submit = Callable[[Account, bytes, str, Sequence[str]], Awaitable[Submitted]]
Outcome = Literal["sent", "queued", "failed", "busy"]
SENT_MAILDIR = ".Sent"


class SentFolder(Protocol):
    """Where a copy of each sent letter goes (IMAP "Sent" or a Maildir folder)."""

    async def contains(self, message_id: str) -> bool: ...

    async def append(self, data: bytes) -> None: ...


SentFor = Callable[[Account], SentFolder]


class NotSent(KeptInOutbox):
    """The letter could not go now: it is safe in the outbox (``entry_id``) and will be retried (the façade's
    callers catch ``core.errors.KeptInOutbox``)."""


@dataclass(frozen=True)
class Delivery:
    """What happened to one outbox entry."""

    entry_id: str
    message_id: str
    outcome: Outcome
    error: str = ""
    refused: tuple[str, ...] = ()  # recipients the server turned down while accepting the others
    resent: bool = True  # False when a crash recovery found the letter already accepted


@dataclass
class FlushReport:
    sent: int = 0
    queued: int = 0
    failed: int = 0
    busy: int = 0
    deliveries: list[Delivery] = field(default_factory=list)

    def to_json(self) -> dict[str, int]:
        return {"sent": self.sent, "queued": self.queued, "failed": self.failed, "busy": self.busy}


async def default_submit(account: Account, data: bytes, sender: str, recipients: Sequence[str]) -> Submitted:
    from core.mail.smtp import submit

    return await submit(account, data, sender, recipients)


def default_sent_for(account: Account) -> SentFolder:
    """The account's Sent folder: a Maildir folder for a maildir account, else IMAP."""
    if account.kind == "maildir":
        return MaildirSent.for_account(account)
    return ImapSent(account)


class MaildirSent:
    """The Sent folder of a local Maildir (Maildir++ layout: ``<root>/.Sent/{tmp,new,cur}``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def for_account(cls, account: Account) -> MaildirSent:
        if not account.maildir:
            raise ConfigError(T("mail.send.compte-dossier-maildir-ajoutez", account_name=account.name))
        return cls(Path(account.maildir).expanduser() / SENT_MAILDIR)

    async def contains(self, message_id: str) -> bool:
        return await asyncio.to_thread(self._contains, message_id)

    def _contains(self, message_id: str) -> bool:
        for sub in ("cur", "new"):
            folder = self.folder / sub
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                with contextlib.suppress(OSError), open(path, "rb") as fh:
                    head = fh.read(65536)
                    if header_value(head, "Message-ID") == message_id:
                        return True
        return False

    async def append(self, data: bytes) -> None:
        await asyncio.to_thread(self._append, data)

    def _append(self, data: bytes) -> None:
        from core.store.atomic import fsync_dir, private_dir, private_open

        for sub in ("tmp", "new", "cur"):
            private_dir(self.folder / sub)
        name = f"{time.time():.6f}.{os.getpid()}_{secrets.token_hex(6)}.{socket.gethostname()}"
        tmp = self.folder / "tmp" / name
        try:
            with os.fdopen(private_open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL), "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            # ":2,S": a sent letter is read by definition.
            os.replace(tmp, self.folder / "cur" / f"{name}:2,S")
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StoreError(
                T("mail.send.impossible-ecrire-dossier-envoyes", folder=self.folder, os_reason=os_reason(exc))
            ) from None
        fsync_dir(self.folder / "cur")


# Names operators give the Sent folder, for a server that marks none \\Sent (no RFC 6154 SPECIAL-USE).
SENT_NAMES = ("Sent", "INBOX.Sent", "Sent Items", "Sent Messages", "Envoyés", "Éléments envoyés")
SENT_DEFAULT = "Sent"  # created with that name when the account has no Sent folder at all


def _usual_rank(name: str) -> int | None:
    """Where ``name`` stands among the usual Sent names (read as the server writes them: IMAP's modified
    UTF-7 'Envoy&AOk-s' is 'Envoyés'), None when it is not one of them."""
    from core.model import imap_folder_text

    text = imap_folder_text(name).lower()
    return next((i for i, usual in enumerate(SENT_NAMES) if usual.lower() == text), None)


def sent_folders(names: Sequence[str], roles: Mapping[str, str]) -> list[str]:
    """The account's Sent folders among its ``names``, the one its copies go to first: those the server marks
    \\Sent (``roles``, from its LIST's SPECIAL-USE) whatever their names ('Courrier parti', 'Éléments envoyés'),
    then, after them, the folders of a usual Sent name (the only ones when the server marks none)."""
    unranked = len(SENT_NAMES)

    def rank(name: str) -> int:
        found = _usual_rank(name)
        return unranked if found is None else found

    marked = sorted((n for n in names if roles.get(n) == "sent"), key=rank)  # stable: the server's order
    named = sorted((n for n in names if n not in marked and _usual_rank(n) is not None), key=rank)
    return marked + named


class ImapSent:
    """The Sent folder of an IMAP account, through core.mail.imap: the folder the server marks \\Sent,
    whatever its name, else one of a usual name (``sent_folders``); created as 'Sent' only when it has none."""

    NAMES = SENT_NAMES

    def __init__(self, account: Account) -> None:
        self.account = account

    async def _folders(self, imap: Any) -> list[str]:
        names = await imap.folders()  # fills imap.roles when the server has SPECIAL-USE
        return sent_folders(names, getattr(imap, "roles", None) or {})

    async def contains(self, message_id: str) -> bool:
        from core.mail.imap import ImapClient

        async with ImapClient(self.account) as imap:
            # every Sent folder is looked in: a copy made before the server marked another one \Sent counts
            for folder in await self._folders(imap):
                # Any failure from here on propagates: "could not look" must never read as "not there".
                await imap.select(folder)
                if await imap.search_header("Message-ID", message_id):
                    return True
            return False  # no Sent folder at all (nothing was ever copied there), or not in any

    async def append(self, data: bytes) -> None:
        from core.mail.imap import ImapClient

        async with ImapClient(self.account) as imap:
            folders = await self._folders(imap)
            if folders:
                folder = folders[0]
            else:
                folder = SENT_DEFAULT
                log.info("no Sent folder on the server: %s created", SENT_DEFAULT)
                with contextlib.suppress(ServerRefused):  # there but not listed: the APPEND says if it is
                    await imap.create_folder(folder)
            await imap.append(folder, data, ("\\Seen",))


def prepare(
    draft: Draft,
    account: Account,
    *,
    protect: Protect | None = None,
    check_policy: CheckPolicy | None = None,
) -> Composed:
    """Check the policy, compose the letter and protect it (no I/O besides the callables')."""
    composed = compose(draft, account)
    if check_policy is not None:
        check_policy(list(composed.recipients))
    if protect is None:
        return composed
    protected = protect(composed.data, list(composed.recipients))
    data = keep_outer_headers(composed.data, protected)
    if header_value(data, "Message-ID") != composed.message_id:
        raise MissiveError(T("mail.send.lettre-signee-chiffree-perdu"))
    return Composed(composed.message_id, composed.sender, composed.recipients, data)


async def send_draft(
    draft: Draft,
    account: Account,
    outbox: Outbox,
    *,
    protect: Protect | None = None,
    check_policy: CheckPolicy | None = None,
    submit: Submit | None = None,
    sent_for: SentFor | None = None,
) -> Delivery:
    """Queue ``draft`` durably, then try to deliver it now.

    Raises ``NotSent`` (the letter stays in the outbox) when the server could not take it.
    """
    composed = prepare(draft, account, protect=protect, check_policy=check_policy)
    entry = outbox.enqueue(composed, account.name, subject=draft.subject)
    log.info("queued outbox entry %s (%d bytes, %d recipients)", entry.id, entry.size, len(entry.recipients))
    delivery = await deliver(outbox, entry.id, account, submit=submit, sent_for=sent_for)
    if delivery.outcome in ("queued", "failed"):
        when = T("mail.send.when-queued") if delivery.outcome == "queued" else T("mail.send.when-failed")
        raise NotSent(
            T("mail.send.lettre-gardee-boite-envoi", error=delivery.error, entry_id=entry.id, when=when),
            entry.id,
            permanent=delivery.outcome == "failed",
        )
    return delivery


async def deliver(
    outbox: Outbox,
    entry_id: str,
    account: Account,
    *,
    submit: Submit | None = None,
    sent_for: SentFor | None = None,
    force: bool = False,
    now: float | None = None,
) -> Delivery:
    """Take one outbox entry as far as it can go: submitted, copied to Sent, removed."""
    submit = submit or default_submit
    sent_for = sent_for or default_sent_for
    entry = outbox.claim(entry_id, now, force=force)
    if entry is None:
        current = outbox.get(entry_id)
        if current is None:
            raise NotFound(T("mail.send.aucune-lettre-boite-envoi", entry_id=entry_id))
        return Delivery(entry_id, current.message_id, "busy")
    try:
        return await _deliver_claimed(outbox, entry, account, submit, sent_for, now)
    finally:
        outbox.release(entry_id)


async def _deliver_claimed(
    outbox: Outbox,
    entry: OutboxEntry,
    account: Account,
    submit: Submit,
    sent_for: SentFor,
    now: float | None,
) -> Delivery:
    sent = sent_for(account)
    refused: tuple[str, ...] = ()
    resent = True
    if entry.state == "sending" and entry.recovering:
        # A previous attempt died with the letter on the wire: it may have been accepted. The Sent folder
        # is the only witness we have; if it cannot be asked, wait rather than risk a second copy.
        try:
            already = await sent.contains(entry.message_id)
        except MissiveError as exc:
            outbox.mark_retry(
                entry.id,
                f"impossible de vérifier le dossier Envoyés avant de réessayer : {exc}",
                now,
                check_sent=True,
                data_started=entry.data_started,  # the next recovery must still know DATA had begun
            )
            return Delivery(entry.id, entry.message_id, "queued", error=str(exc))
        if already:
            outbox.mark_accepted(entry.id)
            outbox.remove(entry.id)
            log.info("outbox entry %s was already accepted before a crash; not sent again", entry.id)
            return Delivery(entry.id, entry.message_id, "sent", resent=False)
        if entry.data_started:
            # Stopped after DATA had begun: the server may have accepted it (its "250" was never recorded).
            # Sending it again could give the colleague a second copy: the doctor decides.
            error = (
                "missive s'est arrêté pendant la remise de cette lettre au serveur : elle a peut-être été "
                "reçue ; elle n'est pas renvoyée d'elle-même : vérifiez auprès du destinataire, puis "
                "`missive outbox flush --all` pour la renvoyer"
            )
            outbox.mark_uncertain(entry.id, error)
            log.warning("outbox entry %s: interrupted during DATA; not sent again automatically", entry.id)
            return Delivery(entry.id, entry.message_id, "failed", error=error, resent=False)
        outbox.sent_checked(entry.id)
    data = outbox.data(entry)
    if entry.state == "sending":
        if _submits(account):
            hook = BEFORE_DATA.set(lambda: outbox.mark_data_started(entry.id))
            try:
                result = await submit(account, data, entry.sender, list(entry.recipients))
            except SmtpError as exc:
                return _failed(outbox, entry, exc, now)
            except TransportError as exc:
                outbox.mark_retry(entry.id, str(exc), now)
                return Delivery(entry.id, entry.message_id, "queued", error=str(exc))
            finally:
                BEFORE_DATA.reset(hook)
            refused = result.refused
        outbox.mark_accepted(entry.id)  # durable before anything else can go wrong
        log.info("outbox entry %s accepted by the server (%d refused recipients)", entry.id, len(refused))
        copy_needed = True
    else:
        # "accepted" on a previous run: only the Sent copy and the removal were left; do not copy twice.
        resent = False
        try:
            copy_needed = not await sent.contains(entry.message_id)
        except MissiveError as exc:
            outbox.mark_retry(entry.id, T("mail.outbox.sent-folder-unreachable", error=str(exc)), now)
            return Delivery(entry.id, entry.message_id, "sent", error=str(exc), resent=False)
    if copy_needed:
        try:
            await sent.append(data)
        except MissiveError as exc:
            # The letter is delivered; only its copy is missing. Keep the entry as "accepted" to retry the
            # copy later, and report the letter as sent.
            outbox.mark_retry(entry.id, T("mail.outbox.sent-copy-failed", error=str(exc)), now)
            log.warning("outbox entry %s: Sent copy failed, will retry", entry.id)
            return Delivery(
                entry.id, entry.message_id, "sent", error=str(exc), refused=refused, resent=resent
            )
    outbox.remove(entry.id)
    return Delivery(entry.id, entry.message_id, "sent", refused=refused, resent=resent)


def _submits(account: Account) -> bool:
    """A maildir account without an SMTP server (demo, offline) only files its letters in Sent."""
    return not (account.kind == "maildir" and not account.smtp_host)


def _failed(outbox: Outbox, entry: OutboxEntry, exc: SmtpError, now: float | None) -> Delivery:
    if exc.permanent:
        outbox.mark_failed(entry.id, str(exc))
        log.warning("outbox entry %s refused by the server (code %s)", entry.id, exc.code)
        return Delivery(entry.id, entry.message_id, "failed", error=str(exc))
    updated = outbox.mark_retry(entry.id, str(exc), now, check_sent=exc.maybe_accepted)
    log.info("outbox entry %s: temporary failure, attempt %d", entry.id, updated.attempts)
    outcome: Outcome = "failed" if updated.state == "failed" else "queued"
    return Delivery(entry.id, entry.message_id, outcome, error=str(exc))


async def flush_outbox(
    outbox: Outbox,
    accounts: Mapping[str, Account] | Callable[[str], Account],
    *,
    submit: Submit | None = None,
    sent_for: SentFor | None = None,
    force: bool = False,
    now: float | None = None,
    only: Collection[str] | None = None,
) -> FlushReport:
    """Try every due entry (``force``: every entry, failed ones included, ignoring backoff); ``only``: those
    entries alone (one another process is delivering counts as busy)."""
    now = time.time() if now is None else now
    report = FlushReport()
    due = outbox.due(now, force=force)
    if only is not None:
        report.busy += len(set(only) - {e.id for e in due if e.id in only})
        due = [e for e in due if e.id in only]
    for entry in due:
        try:
            account = accounts[entry.account] if isinstance(accounts, Mapping) else accounts(entry.account)
        except (KeyError, NotFound):
            outbox.mark_failed(entry.id, T("mail.outbox.account-gone", account=entry.account))
            report.failed += 1
            continue
        delivery = await deliver(
            outbox, entry.id, account, submit=submit, sent_for=sent_for, force=force, now=now
        )
        report.deliveries.append(delivery)
        if delivery.outcome == "sent":
            report.sent += 1
        elif delivery.outcome == "queued":
            report.queued += 1
        elif delivery.outcome == "failed":
            report.failed += 1
        else:
            report.busy += 1
    return report


class SendService:
    """What the façade exposes as ``send`` and ``flush_outbox``: the pipeline with its collaborators wired.

    ``accounts(name)`` returns the Account to send from (``None``: the default account) or raises NotFound.
    """

    def __init__(
        self,
        outbox: Outbox,
        accounts: Callable[[str | None], Account],
        *,
        protect: Protect | None = None,
        check_policy: CheckPolicy | None = None,
        submit: Submit | None = None,
        sent_for: SentFor | None = None,
    ) -> None:
        self.outbox = outbox
        self.accounts = accounts
        self.protect = protect
        self.check_policy = check_policy
        self.submit = submit
        self.sent_for = sent_for

    async def send(self, draft: Draft) -> Delivery:
        """Queue and send one letter; raises NotSent when it stays in the outbox."""
        account = self.accounts(draft.account)
        return await send_draft(
            draft,
            account,
            self.outbox,
            protect=self.protect,
            check_policy=self.check_policy,
            submit=self.submit,
            sent_for=self.sent_for,
        )

    async def flush(self, force: bool = False, only: Collection[str] | None = None) -> FlushReport:
        """Retry what is due (``force``: everything, failed letters included; ``only``: those entries)."""
        return await flush_outbox(
            self.outbox, self.accounts, submit=self.submit, sent_for=self.sent_for, force=force, only=only
        )
