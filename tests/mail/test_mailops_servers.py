"""Read/unread, flag, move, archive, delete and undo, on the suite's real Dovecot and the encrypted copy
together; offline, the operation waits in the store and the next sync does it once."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import BadInput, NotFound, ServerRefused
from core.mail.imap import ImapClient
from core.mailroom import Mailroom
from tests.mail.helpers import imap_account, letter

pytestmark = pytest.mark.servers
PASS = "correct horse battery staple"


@pytest.fixture(autouse=True)
def french():
    """The core's words are checked in French, whatever language an earlier test left chosen."""
    from core.text import set_language

    set_language("fr")
    yield
    set_language("fr")


async def _mailroom(tmp_path: Path, mail_servers, *subjects: str) -> tuple[Mailroom, str]:
    user = mail_servers.add_user("ops")
    for subject in subjects:
        mail_servers.deliver(user, letter(subject))
    Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace('mode = "trust-space"', 'mode = "open"', 1), "utf-8"
    )
    mr = Mailroom.open(tmp_path / "profile", PASS)
    account = imap_account(mail_servers, user).with_changes(name="cab")
    mr.accounts.add(account)
    await mr.sync("cab")
    return mr, user


def _id(mr: Mailroom, subject: str, folder: str | None = None) -> str:
    [found] = [m.id for m in mr.messages.list(folder) if m.subject == subject]
    return found


async def _server(mail_servers, user: str, folder: str) -> dict[str, tuple[str, ...]]:
    """What a second IMAP session sees in ``folder``: subject -> flags."""
    from email import message_from_bytes, policy

    async with ImapClient(imap_account(mail_servers, user)) as imap:
        await imap.select(folder)
        uids = await imap.uids()
        flags = await imap.flags(uids)
        out = {}
        async for batch in imap.fetch(uids):
            for msg in batch:
                out[str(message_from_bytes(msg.raw, policy=policy.default)["Subject"])] = tuple(
                    sorted(flags[msg.uid])
                )
        return out


def _actions(mr: Mailroom) -> list[tuple[str, str]]:
    return [(r["action"], r["object"]) for r in mr.audit.records()]


async def test_read_unread_and_flag_are_seen_from_a_second_session(tmp_path: Path, mail_servers) -> None:
    mr, user = await _mailroom(tmp_path, mail_servers, "Bilan")
    mid = _id(mr, "Bilan")
    summary = await mr.set_flagged(mid, True)
    assert summary.flagged
    summary = await mr.set_seen(mid, True)
    assert not summary.unread
    assert set((await _server(mail_servers, user, "INBOX"))["Bilan"]) >= {"\\Flagged", "\\Seen"}
    await mr.set_seen(mid, False)
    await mr.set_flagged(mid, False)
    assert "\\Seen" not in (await _server(mail_servers, user, "INBOX"))["Bilan"]
    assert "\\Flagged" not in (await _server(mail_servers, user, "INBOX"))["Bilan"]
    assert mr.messages.get(mid).unread and not mr.messages.get(mid).flagged
    # nothing left to push: a sync changes no flag
    [report] = await mr.sync("cab")
    assert report.flags_out == 0 and report.flags_in == 0


async def test_delete_goes_to_the_trash_with_its_flags_and_undo_brings_it_back(
    tmp_path: Path, mail_servers
) -> None:
    mr, user = await _mailroom(tmp_path, mail_servers, "Compte rendu", "Autre")
    mid = _id(mr, "Compte rendu")
    await mr.set_flagged(mid, True)
    assert mr.delete_question(mid) == ""  # not in the Trash yet: no question
    result = await mr.delete_message(mid, actor="test")
    assert (result.folder, result.role, result.queued) == ("Trash", "trash", False)
    assert "Compte rendu" not in await _server(mail_servers, user, "INBOX")
    assert "\\Flagged" in (await _server(mail_servers, user, "Trash"))["Compte rendu"]
    # here: listed in the Trash at once, under the id the Trash's sync gives it (no second copy after sync)
    assert [m.subject for m in mr.messages.list("Trash")] == ["Compte rendu"]
    assert [m.subject for m in mr.messages.list("INBOX")] == ["Autre"]
    await mr.sync("cab")
    assert [m.subject for m in mr.messages.list("Trash")] == ["Compte rendu"]
    assert mr.messages.get(result.message_id).flagged
    assert ("delete", mid) in _actions(mr)
    async with ImapClient(imap_account(mail_servers, user)) as imap:  # Dovecot names its Trash by SPECIAL-USE
        assert (await imap.special_folders())["trash"] == "Trash"
    records = [r for r in mr.audit.records() if r["action"] == "delete"]
    assert records[-1]["details"] == {"to": result.message_id, "queued": False}  # ids only

    back = await mr.undo_move(actor="test")
    assert (back.folder, back.origin) == ("INBOX", "Trash")
    assert sorted(await _server(mail_servers, user, "INBOX")) == ["Autre", "Compte rendu"]
    assert await _server(mail_servers, user, "Trash") == {}
    await mr.sync("cab")
    assert sorted(m.subject for m in mr.messages.list("INBOX")) == ["Autre", "Compte rendu"]
    assert mr.messages.list("Trash") == []
    with pytest.raises(NotFound):
        await mr.undo_move()


async def test_in_the_trash_a_delete_asks_then_removes_for_good(tmp_path: Path, mail_servers) -> None:
    mr, user = await _mailroom(tmp_path, mail_servers, "Publicité", "Garder")
    first = await mr.delete_message(_id(mr, "Publicité"))
    await mr.delete_message(_id(mr, "Garder"))
    assert mr.delete_question(first.message_id).startswith("Supprimer définitivement")
    with pytest.raises(BadInput):
        await mr.delete_message(first.message_id)
    gone = await mr.delete_message(first.message_id, for_good=True)
    assert gone.expunged and not gone.undoable
    assert sorted(await _server(mail_servers, user, "Trash")) == ["Garder"]  # only that one
    assert [m.subject for m in mr.messages.list("Trash")] == ["Garder"]
    await mr.sync("cab")
    assert [m.subject for m in mr.messages.list("Trash")] == ["Garder"]
    assert ("expunge", first.message_id) in _actions(mr)


async def test_archive_creates_the_folder_and_a_filed_message_keeps_its_keyword(
    tmp_path: Path, mail_servers
) -> None:
    mr, user = await _mailroom(tmp_path, mail_servers, "Résultat classé")
    mid = _id(mr, "Résultat classé")
    mr.messages.add_flags(mid, "$Filed", "\\Seen")  # filed by the practice, not yet pushed
    result = await mr.archive_message(mid)
    assert (result.folder, result.role) == ("Archive", "archive")
    flags = (await _server(mail_servers, user, "Archive"))["Résultat classé"]
    assert {"$Filed", "\\Seen"} <= set(flags)
    moved = await mr.move_message(result.message_id, "INBOX")
    assert (await _server(mail_servers, user, "INBOX"))["Résultat classé"] == flags
    assert mr.messages.get(moved.message_id).filed
    assert "Archive" in mr.move_targets(moved.message_id)


async def test_offline_the_move_waits_in_the_store_and_the_next_sync_does_it_once(
    tmp_path: Path, mail_servers
) -> None:
    mr, user = await _mailroom(tmp_path, mail_servers, "Hors ligne", "Reste")
    real = mr.accounts.get("cab")
    mr.accounts.add(real.with_changes(imap_port=1), replace=True)  # nothing listens there
    mid = _id(mr, "Hors ligne")
    await mr.set_flagged(mid, True)
    result = await mr.delete_message(mid)
    assert result.queued and result.message_id == mid
    assert [m.subject for m in mr.messages.list("Trash")] == ["Hors ligne"]  # the view changed at once
    assert mr.messages.get(mid).flagged
    assert mr.waiting_operations() == 1
    # the operation is in the store: a new session (the app restarted) still has it
    mr2 = Mailroom.open(tmp_path / "profile", PASS)
    assert mr2.waiting_operations() == 1
    mr2.accounts.add(real, replace=True)
    await mr2.sync("cab")
    assert mr2.waiting_operations() == 0
    assert "\\Flagged" in (await _server(mail_servers, user, "Trash"))["Hors ligne"]
    assert sorted(await _server(mail_servers, user, "INBOX")) == ["Reste"]
    await mr2.sync("cab")
    assert sorted(await _server(mail_servers, user, "Trash")) == ["Hors ligne"]
    assert [m.subject for m in mr2.messages.list("Trash")] == ["Hors ligne"]
    assert [m.subject for m in mr2.messages.list("INBOX")] == ["Reste"]


async def test_a_waiting_move_done_meanwhile_elsewhere_is_not_done_twice(
    tmp_path: Path, mail_servers
) -> None:
    mr, user = await _mailroom(tmp_path, mail_servers, "Déjà rangé")
    real = mr.accounts.get("cab")
    mr.accounts.add(real.with_changes(imap_port=1), replace=True)
    mid = _id(mr, "Déjà rangé")
    uid = mr.messages.get(mid).uid
    assert (await mr.delete_message(mid)).queued
    # meanwhile (another desk, or this one before a crash) the message went to the Trash on the server
    async with ImapClient(imap_account(mail_servers, user)) as imap:
        await imap.select("INBOX")
        await imap.move(uid, "Trash")
    mr.accounts.add(real, replace=True)
    await mr.sync("cab")
    assert mr.waiting_operations() == 0
    assert sorted(await _server(mail_servers, user, "Trash")) == ["Déjà rangé"]
    assert [m.subject for m in mr.messages.list()] == ["Déjà rangé"]
    assert [m.folder for m in mr.messages.list()] == ["Trash"]


async def test_the_server_refusing_a_move_leaves_the_message_where_it_was(
    tmp_path: Path, mail_servers
) -> None:
    mr, user = await _mailroom(tmp_path, mail_servers, "Refusé")
    mid = _id(mr, "Refusé")
    with pytest.raises(ServerRefused) as refused:
        await mr.move_message(mid, "Nom/invalide/\x7f")
    assert "refusé de déplacer" in str(refused.value)
    assert [m.folder for m in mr.messages.list()] == ["INBOX"]
    assert mr.waiting_operations() == 0
    assert sorted(await _server(mail_servers, user, "INBOX")) == ["Refusé"]


async def test_counts_per_folder(tmp_path: Path, mail_servers) -> None:
    mr, _ = await _mailroom(tmp_path, mail_servers, "Un", "Deux", "Trois")
    await mr.set_seen(_id(mr, "Un"), True)
    await mr.delete_message(_id(mr, "Deux"))
    counts = mr.folder_counts()
    assert (counts["INBOX"].unread, counts["INBOX"].total) == (1, 2)
    assert (counts["Trash"].unread, counts["Trash"].total) == (1, 1)


async def test_without_move_a_copy_then_expunge_of_that_message_only(mail_servers) -> None:
    user = mail_servers.add_user("nomove")
    for subject in ("Partir", "Rester", "Marqué ailleurs"):
        mail_servers.deliver(user, letter(subject))
    async with ImapClient(imap_account(mail_servers, user)) as imap:
        imap._imap.protocol.capabilities.discard("MOVE")  # a server without MOVE (UIDPLUS kept)
        await imap.select("INBOX")
        uids = await imap.uids()
        # someone marked the third: an EXPUNGE of all would lose it
        await imap.store_flags(uids[2], add=["\\Deleted"])
        moved = await imap.move(uids[0], "Trash")
        assert moved is not None and moved[1] >= 1
        assert await imap.uids() == uids[1:]
        assert not await imap.has_uid(uids[0]) and await imap.has_uid(uids[2])
    assert sorted(await _server(mail_servers, user, "Trash")) == ["Partir"]


async def test_offline_undo_cancels_the_waiting_move_and_a_removal_waits_too(
    tmp_path: Path, mail_servers
) -> None:
    mr, user = await _mailroom(tmp_path, mail_servers, "Annulé", "Effacé")
    real = mr.accounts.get("cab")
    await mr.delete_message(_id(mr, "Effacé"))  # online: in the Trash on the server
    mr.accounts.add(real.with_changes(imap_port=1), replace=True)
    moved = await mr.delete_message(_id(mr, "Annulé"))
    assert moved.queued and mr.waiting_operations() == 1
    back = await mr.undo_move()
    assert back.folder == "INBOX" and mr.waiting_operations() == 0  # nothing left for the server to do
    gone = await mr.delete_message(_id(mr, "Effacé", "Trash"), for_good=True)
    assert gone.queued and mr.waiting_operations() == 1
    assert [m.subject for m in mr.messages.list()] == ["Annulé"]
    mr.accounts.add(real, replace=True)
    await mr.sync("cab")
    assert mr.waiting_operations() == 0
    assert sorted(await _server(mail_servers, user, "INBOX")) == ["Annulé"]
    assert await _server(mail_servers, user, "Trash") == {}
    assert [(m.subject, m.folder) for m in mr.messages.list()] == [("Annulé", "INBOX")]
