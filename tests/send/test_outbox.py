"""The durable outbox and the send pipeline, with a scripted SMTP server and Sent folder.

The real-server versions of the fault tests are in test_send_servers.py; here every crash point and every
server answer can be chosen exactly.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from core.errors import PolicyRefused, TransportError
from core.mail.account import Account
from core.mail.compose import header_value
from core.mail.outbox import Outbox, backoff
from core.mail.send import MaildirSent, NotSent, deliver, flush_outbox, send_draft
from core.mail.smtp import SmtpError, Submitted
from core.model import Draft
from core.store.profile import Profile

ACCOUNT = Account(name="cabinet", email="dr@cabinet.exemple.fr", smtp_host="smtp.exemple.fr")
DRAFT = Draft(to=("confrere@hopital.exemple.fr",), subject="Compte rendu", body="Bonjour")
PASS = "correct horse battery staple"


class Crash(BaseException):
    """Stands for the process dying: nothing catches it, no state is tidied."""


class FakeServer:
    """Records accepted letters (a recipient's mailbox); can fail or crash on demand."""

    def __init__(self) -> None:
        self.delivered: list[bytes] = []
        self.fail_with: list[Exception] = []

    async def submit(self, account: Account, data: bytes, sender: str, rcpts: Sequence[str]) -> Submitted:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.delivered.append(data)
        return Submitted()

    def copies_of(self, message_id: str) -> int:
        return sum(header_value(d, "Message-ID") == message_id for d in self.delivered)


class FakeSent:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.down = False
        self.crash_after_append = False

    async def contains(self, message_id: str) -> bool:
        if self.down:
            raise TransportError("imap.exemple.fr:143: cannot connect")
        return any(header_value(m, "Message-ID") == message_id for m in self.messages)

    async def append(self, data: bytes) -> None:
        if self.down:
            raise TransportError("imap.exemple.fr:143: cannot connect")
        self.messages.append(data)
        if self.crash_after_append:
            self.crash_after_append = False
            raise Crash("killed after the Sent copy")


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def sent() -> FakeSent:
    return FakeSent()


def reopen(profile: Profile) -> Outbox:
    """The outbox as a new process would see it after a crash."""
    return Outbox(Profile.open(profile.path, PASS))


async def send(outbox: Outbox, server: FakeServer, sent: FakeSent, **kw):
    return await send_draft(DRAFT, ACCOUNT, outbox, submit=server.submit, sent_for=lambda a: sent, **kw)


async def test_a_sent_letter_reaches_the_server_once_is_copied_to_sent_and_leaves_the_outbox(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    outbox = Outbox(profile)
    delivery = await send(outbox, server, sent)
    assert delivery.outcome == "sent"
    assert server.copies_of(delivery.message_id) == 1
    assert len(sent.messages) == 1 and sent.messages[0] == server.delivered[0]
    assert reopen(profile).list() == []
    assert list((profile.path / "blobs").rglob("*")) == [
        p for p in (profile.path / "blobs").rglob("*") if p.is_dir()
    ]


async def test_the_letter_is_stored_encrypted_before_any_network_io(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    seen: list[int] = []

    async def submit(account, data, sender, rcpts):
        outbox = reopen(profile)  # what is on disk when the first byte would leave
        [entry] = outbox.list()
        assert entry.state == "sending" and entry.attempts == 1
        assert outbox.data(entry) == data
        seen.append(1)
        raise SmtpError("smtp.exemple.fr:587: cannot connect (refused)")

    with pytest.raises(NotSent) as info:
        await send_draft(DRAFT, ACCOUNT, Outbox(profile), submit=submit, sent_for=lambda a: sent)
    assert seen == [1]
    assert "la lettre est gardée dans la boîte d'envoi" in str(info.value) and "\n" not in str(info.value)
    # nothing readable on disk: not the body, not the subject
    for path in profile.path.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert b"Compte rendu" not in raw and b"confrere@hopital" not in raw


async def test_temporary_failure_keeps_the_letter_with_backoff_then_it_goes_once(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    outbox = Outbox(profile)
    server.fail_with = [SmtpError("x:587: connection lost"), SmtpError("x:587: 451 try later", code=451)]
    with pytest.raises(NotSent):
        await send(outbox, server, sent)
    [entry] = outbox.list()
    assert entry.state == "queued" and entry.attempts == 1 and entry.last_error
    assert entry.next_try == pytest.approx(entry.created + backoff(1), abs=5)
    # not due yet: a flush does nothing
    report = await flush_outbox(outbox, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent)
    assert report.sent == 0 and server.delivered == []
    # second failure doubles the wait
    report = await flush_outbox(
        outbox, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent, now=entry.next_try + 1
    )
    assert report.queued == 1
    [entry2] = outbox.list()
    assert entry2.attempts == 2 and entry2.next_try - (entry.next_try + 1) == pytest.approx(backoff(2))
    report = await flush_outbox(
        outbox, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent, now=entry2.next_try + 1
    )
    assert report.sent == 1
    assert server.copies_of(entry.message_id) == 1 and outbox.list() == []


async def test_send_now_brings_the_next_try_forward_never_a_failed_letter(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    """The app's ctrl+r once the network is back: a letter waiting for its next try (spaced out up to an hour)
    leaves now; a failed one (refused for good, or one that may have arrived) stays for the doctor to resend."""
    outbox = Outbox(profile)
    server.fail_with = [SmtpError("x:587: connection lost"), SmtpError("x:587: 550 no such user", permanent=True, code=550)]
    for _ in range(2):
        with pytest.raises(NotSent):
            await send(outbox, server, sent)
    waiting, failed = sorted(outbox.list(), key=lambda e: e.state != "queued")
    assert (waiting.state, failed.state) == ("queued", "failed") and waiting.next_try > waiting.created
    report = await flush_outbox(outbox, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent)
    assert report.sent == 0  # not due: the spacing of the tries holds
    assert outbox.hasten() == 1
    report = await flush_outbox(outbox, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent)
    assert report.sent == 1 and server.copies_of(waiting.message_id) == 1
    assert [(e.id, e.state) for e in outbox.list()] == [(failed.id, "failed")]
    assert outbox.hasten() == 0 and server.copies_of(failed.message_id) == 0


async def test_a_permanent_refusal_is_kept_as_failed_and_not_retried_until_forced(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    outbox = Outbox(profile)
    server.fail_with = [
        SmtpError("x:587: the server refused the letter (552 too big)", permanent=True, code=552)
    ]
    with pytest.raises(NotSent) as info:
        await send(outbox, server, sent)
    assert info.value.permanent
    [entry] = outbox.list()
    assert entry.state == "failed"
    far = entry.created + 10 * 24 * 3600
    report = await flush_outbox(
        outbox, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent, now=far
    )
    assert report.sent == 0 and server.delivered == []
    report = await flush_outbox(
        outbox, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent, force=True
    )
    assert report.sent == 1 and server.copies_of(entry.message_id) == 1


async def test_policy_refusal_stores_nothing(profile: Profile, server: FakeServer, sent: FakeSent) -> None:
    def refuse(recipients: list[str]) -> None:
        raise PolicyRefused("recipient 1 is outside the MSSanté trust space")

    with pytest.raises(PolicyRefused):
        await send(Outbox(profile), server, sent, check_policy=refuse)
    assert Outbox(profile).list() == [] and server.delivered == []


async def test_protect_output_is_what_is_queued_sent_and_copied(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    calls: list[list[str]] = []

    def protect(data: bytes, recipients: list[str]) -> bytes:
        calls.append(recipients)
        return (
            b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\nU0VDUkVU\r\n"
        )

    delivery = await send(Outbox(profile), server, sent, protect=protect)
    assert calls == [["confrere@hopital.exemple.fr"]]
    [wire] = server.delivered
    assert b"U0VDUkVU" in wire and b"Bonjour" not in wire
    assert header_value(wire, "Message-ID") == delivery.message_id
    assert sent.messages == [wire]


async def test_crash_after_acceptance_before_removal_never_sends_twice(
    profile: Profile, server: FakeServer, sent: FakeSent, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Outbox.mark_accepted

    def accepted_then_die(self: Outbox, entry_id: str) -> None:
        original(self, entry_id)
        raise Crash("killed right after recording the acceptance")

    monkeypatch.setattr(Outbox, "mark_accepted", accepted_then_die)
    with pytest.raises(Crash):
        await send(Outbox(profile), server, sent)
    monkeypatch.setattr(Outbox, "mark_accepted", original)
    after = reopen(profile)
    [entry] = after.list()
    assert entry.state == "accepted"  # recorded before anything else could fail
    assert sent.messages == []
    report = await flush_outbox(after, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent)
    assert report.sent == 1
    assert server.copies_of(entry.message_id) == 1
    assert len(sent.messages) == 1 and after.list() == []


async def test_crash_after_the_sent_copy_before_removal_makes_no_second_copy(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    sent.crash_after_append = True
    with pytest.raises(Crash):
        await send(Outbox(profile), server, sent)
    after = reopen(profile)
    await flush_outbox(after, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent)
    assert len(server.delivered) == 1 and len(sent.messages) == 1 and after.list() == []


async def test_entry_left_sending_is_checked_against_sent_before_it_is_sent_again(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    """A crash with the letter on the wire: if Sent has it (the server or another desk copied it), no resend."""
    outbox = Outbox(profile)

    async def die_on_the_wire(account, data, sender, rcpts):
        server.delivered.append(data)
        sent.messages.append(data)  # e.g. an operator that files submitted mail in Sent itself
        raise Crash("killed before the 250 was read")

    with pytest.raises(Crash):
        await send_draft(DRAFT, ACCOUNT, outbox, submit=die_on_the_wire, sent_for=lambda a: sent)
    after = reopen(profile)
    [entry] = after.list()
    assert entry.state == "sending"
    # the Sent folder cannot be asked: wait, do not gamble on a second copy
    sent.down = True
    report = await flush_outbox(after, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent)
    assert report.queued == 1 and len(server.delivered) == 1
    sent.down = False
    [entry] = after.list()
    report = await flush_outbox(
        after, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent, now=entry.next_try + 1
    )
    assert report.sent == 1 and report.deliveries[0].resent is False
    assert server.copies_of(entry.message_id) == 1 and len(sent.messages) == 1 and after.list() == []


async def test_entry_left_sending_and_absent_from_sent_is_sent_again(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    async def die_before_data(account, data, sender, rcpts):
        raise Crash("killed while connecting")

    with pytest.raises(Crash):
        await send_draft(DRAFT, ACCOUNT, Outbox(profile), submit=die_before_data, sent_for=lambda a: sent)
    after = reopen(profile)
    report = await flush_outbox(after, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent)
    assert report.sent == 1 and len(server.delivered) == 1 and after.list() == []


async def test_an_entry_being_sent_by_a_live_task_is_not_taken_by_another(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    outbox = Outbox(profile)
    gate = asyncio.Event()
    started = asyncio.Event()

    async def slow(account, data, sender, rcpts):
        started.set()
        await gate.wait()
        return await server.submit(account, data, sender, rcpts)

    task = asyncio.create_task(send_draft(DRAFT, ACCOUNT, outbox, submit=slow, sent_for=lambda a: sent))
    await started.wait()
    other = Outbox(Profile.open(profile.path, PASS))  # e.g. the daemon, same profile
    report = await flush_outbox(other, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent)
    assert report.sent == 0 and server.delivered == []
    gate.set()
    await task
    assert len(server.delivered) == 1 and outbox.list() == []


def _die_while_sending(path: str) -> None:
    """Child process: claims the letter, then dies hard on the wire."""
    outbox = Outbox(Profile.open(Path(path), PASS))

    async def die(account, data, sender, rcpts):
        os._exit(9)

    asyncio.run(send_draft(DRAFT, ACCOUNT, outbox, submit=die, sent_for=lambda a: FakeSent()))


async def test_an_entry_of_a_killed_process_is_recovered(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    child = multiprocessing.get_context("fork").Process(target=_die_while_sending, args=(str(profile.path),))
    child.start()
    child.join(30)
    assert child.exitcode == 9
    outbox = reopen(profile)
    [entry] = outbox.list()
    assert entry.state == "sending" and str(child.pid) in entry.owner
    report = await flush_outbox(outbox, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent)
    assert report.sent == 1 and len(server.delivered) == 1


async def test_sent_copy_failure_reports_sent_and_retries_only_the_copy(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    outbox = Outbox(profile)
    sent.down = True

    async def submit_then_break_sent(account, data, sender, rcpts):
        return await server.submit(account, data, sender, rcpts)

    delivery = await send_draft(
        DRAFT, ACCOUNT, outbox, submit=submit_then_break_sent, sent_for=lambda a: sent
    )
    assert delivery.outcome == "sent" and delivery.error
    [entry] = outbox.list()
    assert entry.state == "accepted"
    sent.down = False
    await flush_outbox(
        outbox, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent, force=True
    )
    assert len(server.delivered) == 1 and len(sent.messages) == 1 and outbox.list() == []


async def test_an_entry_whose_account_was_removed_is_marked_failed(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    outbox = Outbox(profile)
    server.fail_with = [SmtpError("x:587: connection lost")]
    with pytest.raises(NotSent):
        await send(outbox, server, sent)
    report = await flush_outbox(outbox, {}, submit=server.submit, sent_for=lambda a: sent, force=True)
    assert report.failed == 1
    assert (
        outbox.list()[0].state == "failed"
        and "le compte cabinet n'existe plus" in outbox.list()[0].last_error
    )


async def test_maildir_account_files_the_letter_in_its_sent_folder(profile: Profile, tmp_path: Path) -> None:
    account = Account(name="demo", email="demo@exemple.fr", kind="maildir", maildir=str(tmp_path / "Mail"))
    outbox = Outbox(profile)
    delivery = await send_draft(DRAFT, account, outbox)
    files = list((tmp_path / "Mail" / ".Sent" / "cur").iterdir())
    assert len(files) == 1 and files[0].name.endswith(":2,S")
    assert header_value(files[0].read_bytes(), "Message-ID") == delivery.message_id
    assert await MaildirSent.for_account(account).contains(delivery.message_id)
    assert outbox.list() == []


async def test_deliver_of_an_unknown_entry_is_a_clear_error(profile: Profile) -> None:
    from core.errors import NotFound

    with pytest.raises(NotFound):
        await deliver(Outbox(profile), "nope", ACCOUNT)


async def test_link_lost_during_data_makes_the_retry_look_in_sent_first(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    outbox = Outbox(profile)
    server.fail_with = [SmtpError("x:587: connection lost while sending the letter", maybe_accepted=True)]
    with pytest.raises(NotSent):
        await send(outbox, server, sent)
    [entry] = outbox.list()
    assert entry.state == "queued" and entry.check_sent
    sent.messages.append(
        b"Message-ID: " + entry.message_id.encode() + b"\r\n\r\nx"
    )  # it did arrive after all
    report = await flush_outbox(
        outbox, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent, force=True
    )
    assert report.sent == 1 and server.delivered == [] and outbox.list() == []


async def test_a_crash_during_data_stays_in_doubt_even_when_sent_could_not_be_asked_first(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    """Killed after DATA began (the server may have the letter): a recovery that cannot reach the Sent folder
    waits, and the next one still knows DATA had begun: never resent on its own."""
    from core.mail.smtp import BEFORE_DATA

    async def die_after_data_began(account, data, sender, rcpts):
        hook = BEFORE_DATA.get()
        assert hook is not None  # the pipeline records DATA before it starts
        hook()
        server.delivered.append(data)  # the server committed it...
        raise Crash("killed before the 250 was recorded")  # ...and missive never knew

    with pytest.raises(Crash):
        await send_draft(
            DRAFT, ACCOUNT, Outbox(profile), submit=die_after_data_began, sent_for=lambda a: sent
        )
    after = reopen(profile)
    [entry] = after.list()
    assert entry.state == "sending" and entry.data_started
    sent.down = True
    report = await flush_outbox(after, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent)
    assert report.queued == 1 and len(server.delivered) == 1
    sent.down = False
    [entry] = after.list()
    report = await flush_outbox(
        after, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent, now=entry.next_try + 1
    )
    assert report.sent == 0 and report.failed == 1
    [entry] = after.list()
    assert entry.state == "failed" and entry.uncertain and server.copies_of(entry.message_id) == 1
    # the doctor checked with the colleague and asks again: sent (here the fake server counts a second copy)
    report = await flush_outbox(
        after, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent, force=True
    )
    assert report.sent == 1 and after.list() == []


def test_the_doctors_resend_of_a_failed_letter_is_never_taken_for_a_crash_recovery(profile: Profile) -> None:
    """A letter given up on while its recovery was pending (DATA had begun, Sent unreachable for days): the
    doctor's `outbox flush --all` sends it, instead of putting it back in doubt."""
    from core.mail.compose import compose

    outbox = Outbox(profile)
    entry = outbox.enqueue(compose(DRAFT, ACCOUNT), ACCOUNT.name, subject=DRAFT.subject)
    outbox.claim(entry.id)
    outbox.mark_data_started(entry.id)
    outbox.release(entry.id)
    outbox.mark_retry(entry.id, "Envoyés injoignable", check_sent=True, data_started=True)
    outbox.mark_failed(entry.id, "non acceptée depuis 3 jours")
    assert outbox.get(entry.id).data_started
    forced = outbox.claim(entry.id, force=True)
    assert forced is not None and not forced.data_started and not forced.uncertain


async def test_a_letter_kept_in_the_outbox_is_said_in_english_under_lang_en(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    """'… the letter is kept in the outbox (…); elle sera renvoyée automatiquement': what happens next was a
    French phrase inside the English line (the app's toast, `missive send`)."""
    from core import text

    outbox = Outbox(profile)
    server.fail_with = [
        SmtpError("x:587: connection lost"),
        SmtpError("x:587: the server refused the letter (552 too big)", permanent=True, code=552),
        SmtpError("x:587: connection lost"),
    ]
    text.set_language("en")
    try:
        for expected in ("it will be sent again by itself", "fix the problem, then send it again"):
            with pytest.raises(NotSent) as info:
                await send(outbox, server, sent)
            said = str(info.value)
            assert "kept in the outbox" in said and expected in said, said
            assert "elle" not in said and "renvoyez" not in said
    finally:
        text.set_language("fr")
    with pytest.raises(NotSent) as info:
        await send(outbox, server, sent)
    assert "elle sera renvoyée automatiquement" in str(info.value)  # French as before


def test_a_letter_given_up_on_reads_in_the_readers_language_old_entries_too(profile: Profile) -> None:
    """'non acceptée depuis 3 jours ; dernière erreur : …' was stored as French text, and read so under English:
    it is stored as a code and its values now, and an entry stored by an older version reads in English too."""
    import time

    from core import text
    from core.mail.compose import compose
    from core.mail.outbox import GIVE_UP_AFTER

    outbox = Outbox(profile)
    entry = outbox.enqueue(compose(DRAFT, ACCOUNT), ACCOUNT.name, subject=DRAFT.subject)
    given_up = outbox.mark_retry(entry.id, "421 4.3.2 busy", now=time.time() + GIVE_UP_AFTER + 60)
    assert given_up.state == "failed"
    stored = outbox._docs.get(entry.id)["last_error"]
    assert stored["code"] == "mail.outbox.gave-up" and stored["params"]["error"] == "421 4.3.2 busy"
    assert outbox.get(entry.id).last_error == "non acceptée depuis 3 jours ; dernière erreur : 421 4.3.2 busy"
    older = outbox.enqueue(compose(DRAFT, ACCOUNT), ACCOUNT.name, subject=DRAFT.subject)
    doc = outbox._docs.get(older.id)
    outbox._docs.put(older.id, {**doc, "state": "failed",
                                "last_error": "non acceptée depuis 3 jours ; dernière erreur : 450 plein"})  # fmt: skip
    text.set_language("en")
    try:
        assert outbox.get(entry.id).last_error == "not accepted for 3 days; last error: 421 4.3.2 busy"
        assert outbox.get(entry.id).to_json()["last_error"].startswith("not accepted for 3 days")
        assert outbox.get(older.id).last_error == "not accepted for 3 days; last error: 450 plein"
    finally:
        text.set_language("fr")
    # a server's words stay as they were said, and a later error replaces the code
    outbox.mark_retry(older.id, "451 try later")
    assert outbox._docs.get(older.id)["last_error"] == "451 try later"


async def test_a_letter_being_sent_or_accepted_is_never_withdrawn_nor_taken_twice(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    """À envoyer's withdraw and send-one against a letter another process (the daemon) is delivering: refused in one
    line, nothing changed, never a second copy; once that process is done, the letter is gone from the outbox."""
    from core.errors import BadInput

    outbox = Outbox(profile)
    gate = asyncio.Event()
    started = asyncio.Event()

    async def slow(account, data, sender, rcpts):
        started.set()
        await gate.wait()
        return await server.submit(account, data, sender, rcpts)

    task = asyncio.create_task(send_draft(DRAFT, ACCOUNT, outbox, submit=slow, sent_for=lambda a: sent))
    await started.wait()
    other = Outbox(Profile.open(profile.path, PASS))  # the app, while the daemon has the letter on the wire
    [entry] = other.list()
    assert other.busy(entry)
    kept: list[str] = []
    with pytest.raises(BadInput, match="en cours d'envoi"):
        other.withdraw(entry.id, lambda e, data: kept.append(e.id))
    assert kept == [] and [e.id for e in other.list()] == [entry.id]
    report = await flush_outbox(
        other, {"cabinet": ACCOUNT}, submit=server.submit, sent_for=lambda a: sent, force=True, only={entry.id}
    )
    assert (report.sent, report.busy) == (0, 1) and server.delivered == []
    gate.set()
    await task
    assert len(server.delivered) == 1 and other.list() == []


async def test_a_letter_refused_for_good_is_withdrawn_whole_and_only_once_kept(
    profile: Profile, server: FakeServer, sent: FakeSent
) -> None:
    """Withdrawn: the letter is handed over (entry and bytes) before the outbox forgets it; a keeper that fails
    leaves it where it was."""
    outbox = Outbox(profile)
    server.fail_with.append(SmtpError("554 5.7.1 refused", permanent=True, code=554))
    with pytest.raises(NotSent):
        await send(outbox, server, sent)
    [entry] = outbox.list()
    assert entry.state == "failed" and not outbox.busy(entry)

    def broken(e, data):
        raise OSError("disk full")

    with pytest.raises(OSError):
        outbox.withdraw(entry.id, broken)
    assert [e.id for e in reopen(profile).list()] == [entry.id]  # nothing lost
    got = outbox.withdraw(entry.id, lambda e, data: (e.message_id, data))
    assert got[0] == entry.message_id and b"Bonjour" in got[1]
    assert reopen(profile).list() == []
