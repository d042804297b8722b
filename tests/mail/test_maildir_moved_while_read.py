"""Another program changes a Maildir while missive reads it: the folder moved away mid-scan is a missing Maildir
(the account goes offline, as when it was gone before), a letter moved new/ → cur/ mid-scan is not an error.

Found by the fresh-clone CI (tests/tui/test_removed_account.py, once in 2,900): the folder renamed between
select's check and the scan raised a bare FileNotFoundError, the app's sync task crashed and the account
never showed offline."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from core.errors import MailboxMissing
from core.mail import maildir as maildir_module
from core.mail.account import Account
from core.mail.maildir import MaildirSource


def maildir(root: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "cur" / "1.a.host:2,S").write_bytes(b"Subject: un\r\n\r\ncorps\r\n")
    (root / "new" / "2.b.host").write_bytes(b"Subject: deux\r\n\r\ncorps\r\n")
    return root


def source_of(root: Path) -> MaildirSource:
    return MaildirSource(
        Account(name="ancien", email="dr@ancien.mssante.fr", kind="maildir", maildir=str(root))
    )


def test_a_folder_moved_away_while_it_is_scanned_is_a_missing_maildir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = maildir(tmp_path / "ancien")
    source = source_of(root)
    real_scandir = os.scandir

    def moved_first(path):  # the secretary's rename lands between select's check and the listing
        if root.exists():
            root.rename(tmp_path / "ailleurs")
        return real_scandir(path)

    monkeypatch.setattr(maildir_module.os, "scandir", moved_first)

    async def go() -> None:
        await source.connect()
        with pytest.raises(MailboxMissing):
            await source.select("INBOX")

    asyncio.run(go())
    assert source.current is None


def test_a_letter_moved_from_new_to_cur_while_scanned_keeps_its_uid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = maildir(tmp_path / "cabinet")
    source = source_of(root)
    real_scandir = os.scandir

    def then_read_elsewhere(path):  # another client marks the new letter read once it has been listed
        entries = list(real_scandir(path))
        if Path(path).name == "cur" and (root / "new" / "2.b.host").exists():
            os.rename(root / "new" / "2.b.host", root / "cur" / "2.b.host:2,S")
        return iter(entries)

    monkeypatch.setattr(maildir_module.os, "scandir", then_read_elsewhere)

    async def go() -> dict[int, str]:
        await source.connect()
        await source.select("INBOX")
        first = {uid: p.name for uid, p in source._files.items()}
        monkeypatch.setattr(maildir_module.os, "scandir", real_scandir)
        await source.select("INBOX")
        again = {uid: p.name for uid, p in source._files.items()}
        fetched = [f.uid for batch in [b async for b in source.fetch(list(again))] for f in batch]
        return {"first": first, "again": again, "fetched": fetched}  # type: ignore[dict-item]

    seen = asyncio.run(go())
    assert sorted(seen["first"]) == [1, 2]
    assert seen["again"] == {1: "1.a.host:2,S", 2: "2.b.host:2,S"}  # same UID under its new name
    assert seen["fetched"] == [1, 2]
