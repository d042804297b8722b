"""A mail operation and the background sync on the same account never interleave (core.mail.accountlock): the
sync runs in a thread of its own, as the app's does, while the doctor deletes; whatever the order they meet in,
the copy here ends exactly as the server is, no message fetched a second time, none lost."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from core.mailroom import Mailroom
from tests.mail.helpers import letter
from tests.mail.test_mailops_servers import _mailroom, _server

pytestmark = pytest.mark.servers
ROUNDS = 12


async def test_a_sync_and_a_delete_at_the_same_time_leave_the_exact_state(
    tmp_path: Path, mail_servers
) -> None:
    from email import message_from_bytes, policy

    fetched: Counter[str] = Counter()
    mr, user = await _mailroom(tmp_path, mail_servers, "L00")
    hook = mr.on_new_message

    def counting(raw: bytes, store_id: str | None = None) -> dict[str, Any]:
        fetched[str(message_from_bytes(raw, policy=policy.default)["Subject"])] += 1
        return hook(raw, store_id)

    mr.on_new_message = counting  # type: ignore[method-assign]
    fetched["L00"] = 1  # the first sync, before the count

    def sync_in_a_thread() -> None:
        asyncio.run(mr.sync("cab"))

    for n in range(1, ROUNDS + 1):
        mail_servers.deliver(user, letter(f"L{n:02}"))  # the sync has something to fetch meanwhile
        [old] = [m.id for m in mr.messages.list("INBOX") if m.subject == f"L{n - 1:02}"]
        await asyncio.gather(asyncio.to_thread(sync_in_a_thread), mr.delete_message(old, actor="test"))
    await mr.sync("cab")

    last = f"L{ROUNDS:02}"
    trashed = [f"L{n:02}" for n in range(ROUNDS)]
    assert [m.subject for m in mr.messages.list("INBOX")] == [last]
    assert sorted(m.subject for m in mr.messages.list("Trash")) == trashed  # each once, none lost
    assert sorted(await _server(mail_servers, user, "INBOX")) == [last]
    assert sorted(await _server(mail_servers, user, "Trash")) == trashed
    assert fetched == Counter(
        {f"L{n:02}": 1 for n in range(ROUNDS + 1)}
    )  # a moved message is never fetched again
    assert mr.waiting_operations() == 0
    assert isinstance(mr, Mailroom)
