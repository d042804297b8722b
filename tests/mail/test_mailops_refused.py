"""A flag change the server refuses leaves nothing behind: the copy here as it was, nothing for the next sync
to send again (a refusal sent again at every sync would keep the account from syncing)."""

from __future__ import annotations

from core.errors import ServerRefused
from core.mail.imap import FolderStatus
from core.mail.mailops import MailOps
from core.mail.messages import FolderState, MessageStore
from tests.mail.helpers import MemoryProfile, letter


class RefusingSource:
    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def select(self, folder: str) -> FolderStatus:
        return FolderStatus(folder, 7, 2, 1)

    async def store_flags(self, uid: int, add=(), remove=()) -> None:  # noqa: ANN001
        raise ServerRefused("UID STORE refused (NO [CANNOT] read-only mailbox)")


async def test_a_refused_flag_change_is_taken_back_here_and_not_sent_again() -> None:
    profile = MemoryProfile()
    store = MessageStore(profile)
    state = FolderState("cab", "INBOX", uidvalidity=7, uids={}, pending={})
    [mid] = store.store_new(state, [(1, ["\\Seen"], letter("Lu"), {})])
    ops = MailOps(
        store, profile.collection("mailops"), profile.collection("roles"), lambda _a: RefusingSource()
    )
    try:
        await ops.set_flag(None, mid, "\\Flagged", True)  # type: ignore[arg-type]
    except ServerRefused:
        pass
    else:
        raise AssertionError("the refusal was not said")
    assert store.get(mid).flags == ("\\Seen",)
    assert store.folder_state("cab", "INBOX").pending == {}
