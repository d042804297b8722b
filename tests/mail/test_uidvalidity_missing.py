"""A SELECT answer without UIDVALIDITY (RFC 3501 requires it: a broken server or proxy) changes nothing stored.

It was read as UIDVALIDITY 0, taken for a change: the folder's cache was dropped with the flags set here and
not yet pushed, every letter fetched again under ids made with 0; at the next answer with the true UIDVALIDITY
the ids were made with it again, so those letters were never removed when the server expunged them, nor did
they take the server's flag changes.
"""

from __future__ import annotations

import pytest

from core.errors import TransportError
from core.mail.imap import FolderStatus
from core.mail.sync import SyncEngine
from tests.mail.helpers import MemoryProfile
from tests.mail.test_message_store import ACCOUNT, ListSource


class Forgetful(ListSource):
    """ListSource whose SELECT can leave UIDVALIDITY out (0, as the parser reads it then)."""

    uidvalidity = 7

    async def select(self, folder: str) -> FolderStatus:
        return FolderStatus(folder, self.uidvalidity, max(self.messages, default=0) + 1, len(self.messages))


async def test_a_select_without_uidvalidity_changes_nothing_stored() -> None:
    from core.mail.messages import MessageStore

    store = MessageStore(MemoryProfile())
    source = Forgetful(3)
    engine = SyncEngine(store, source_factory=lambda account: source)
    await engine.sync(ACCOUNT)
    before = {m.uid: m.id for m in store.list()}
    assert sorted(before) == [1, 2, 3]
    store.set_flags(before[2], ["\\Seen"])  # read here, not yet on the server

    source.uidvalidity = 0
    with pytest.raises(TransportError, match="UIDVALIDITY"):
        await engine.sync(ACCOUNT)
    assert {m.uid: m.id for m in store.list()} == before  # nothing dropped, nothing fetched again
    assert store.folder_state("cab", "INBOX").pending == {2: ["\\Seen"]}

    source.uidvalidity = 7
    del source.messages[1]  # expunged on the server
    await engine.sync(ACCOUNT)
    assert {m.uid: m.id for m in store.list()} == {2: before[2], 3: before[3]}
