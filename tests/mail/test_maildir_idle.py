"""A Maildir account waits for new mail without polling: the kernel wakes it (inotify), so an app kept in sync
with the demo's Maildir uses no CPU while nothing arrives; where inotify is missing it looks once a second."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from core.mail import dirwatch
from core.mail.account import Account
from core.mail.maildir import MaildirSource


def maildir(root: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "cur" / "1.a.host:2,S").write_bytes(b"Subject: un\r\n\r\ncorps\r\n")
    return root


async def opened(root: Path) -> MaildirSource:
    source = MaildirSource(
        Account(name="demo", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(root))
    )
    await source.connect()
    await source.select("INBOX")
    return source


def count_listings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = os.listdir

    def listdir(path):  # noqa: ANN001, ANN202
        calls.append(str(path))
        return real(path)

    monkeypatch.setattr("core.mail.maildir.os.listdir", listdir)
    return calls


async def test_a_delivery_wakes_the_idle_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = maildir(tmp_path / "Maildir")
    source = await opened(root)
    calls = count_listings(monkeypatch)

    async def deliver() -> None:
        await asyncio.sleep(2.5)
        (root / "tmp" / "2.b.host").write_bytes(b"Subject: deux\r\n\r\ncorps\r\n")
        os.rename(root / "tmp" / "2.b.host", root / "new" / "2.b.host")

    delivery = asyncio.ensure_future(deliver())
    assert await source.idle(timeout=30) == [b"EXISTS"]
    await delivery
    # listed when the wait began and when the kernel said something changed: not once a second meanwhile
    assert len(calls) <= 2 * 2, calls


async def test_nothing_arrives_the_wait_ends_at_its_timeout(tmp_path: Path) -> None:
    source = await opened(maildir(tmp_path / "Maildir"))
    assert await source.idle(timeout=0.5) == []


async def test_without_inotify_it_looks_again_each_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = maildir(tmp_path / "Maildir")
    source = await opened(root)
    monkeypatch.setattr(dirwatch.DirWatch, "open", classmethod(lambda cls, folders: None))

    async def deliver() -> None:
        await asyncio.sleep(1.5)
        (root / "new" / "2.b.host").write_bytes(b"Subject: deux\r\n\r\ncorps\r\n")

    delivery = asyncio.ensure_future(deliver())
    assert await source.idle(timeout=30) == [b"EXISTS"]
    await delivery


async def test_a_message_removed_elsewhere_wakes_it_too(tmp_path: Path) -> None:
    root = maildir(tmp_path / "Maildir")
    source = await opened(root)

    async def remove() -> None:
        await asyncio.sleep(0.3)
        (root / "cur" / "1.a.host:2,S").unlink()

    removal = asyncio.ensure_future(remove())
    assert await source.idle(timeout=30) == [b"EXPUNGE"]
    await removal
