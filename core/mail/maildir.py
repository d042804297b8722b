"""A local Maildir (Maildir++ sub-folders) served through the same interface as IMAP, for the demo and
offline use.

UIDs are kept in ``missive-uidlist`` at the Maildir root (UIDVALIDITY, next UID, file base name -> UID);
keywords use Dovecot's ``dovecot-keywords`` letters so a Maildir shared with Dovecot keeps ``$Filed``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncGenerator, Iterable, Sequence
from pathlib import Path

from core.errors import BadInput, MailboxMissing
from core.mail.account import Account
from core.mail.imap import Fetched
from core.mail.imapwire import MAX_SMALL_LITERAL, FolderStatus
from core.store.atomic import atomic_write
from core.text import T

_SYSTEM = {"S": "\\Seen", "R": "\\Answered", "F": "\\Flagged", "T": "\\Deleted", "D": "\\Draft"}
_LETTER = {v: k for k, v in _SYSTEM.items()}
log = logging.getLogger("missive.maildir")


def _base(name: str) -> str:
    return name.split(":", 1)[0]


def _mtime(path: Path) -> float:
    """When a new file arrived; one another program moved (new/ to cur/) or removed meanwhile sorts last and
    gets its UID now: the fetch skips it if gone, the next scan finds it under its new name (same base)."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def _names(folder: Path) -> list[str]:
    """The files of a folder; none when it is gone (moved away: the next select says the Maildir is missing)."""
    try:
        return os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []


class MaildirSource:
    """``MailSource`` over a Maildir folder tree."""

    def __init__(self, account: Account) -> None:
        if not account.maildir:
            raise BadInput(T("mail.maildir.compte-dossier-maildir-ajoutez", account_name=account.name))
        self.account = account
        self.root = Path(account.maildir).expanduser()
        self.current: Path | None = None
        self._files: dict[int, Path] = {}
        try:  # the largest letter read whole (0: no limit), as an IMAP account's (``ImapClient.max_message``)
            self.max_message = max(0, int(account.max_message_mb)) << 20
        except (TypeError, ValueError):
            self.max_message = Account.max_message_mb << 20

    async def connect(self) -> None:
        if not (self.root / "cur").is_dir() and not (self.root / "new").is_dir():
            raise MailboxMissing(T("mail.maildir.maildir-dossier-cur-new", root=self.root))

    async def close(self) -> None:
        self.current = None

    async def enable_condstore(self) -> bool:
        return False

    async def folders(self) -> list[str]:
        names = ["INBOX"]
        for p in sorted(self.root.iterdir()):
            if p.is_dir() and p.name.startswith(".") and (p / "cur").is_dir():
                names.append(p.name[1:].replace(".", "/"))
        return names

    def _folder_path(self, folder: str) -> Path:
        if folder.upper() == "INBOX":
            return self.root
        if ".." in folder or folder.startswith("/"):
            raise BadInput(T("mail.maildir.nom-dossier-invalide", folder=folder))
        return self.root / ("." + folder.replace("/", "."))

    def _uidlist_path(self, path: Path) -> Path:
        return path / "missive-uidlist"

    def _scan(self, path: Path) -> dict[int, Path]:
        """Assign UIDs to new files (in arrival order) and return UID -> current file."""
        listing = self._uidlist_path(path)
        try:
            data = json.loads(listing.read_text())
        except (OSError, ValueError):
            data = {"uidvalidity": int(time.time()), "next": 1, "uids": {}}
        files: dict[str, Path] = {}
        for sub in ("new", "cur"):
            d = path / sub
            if d.is_dir():
                for entry in os.scandir(d):
                    if entry.is_file() and not entry.name.startswith("."):
                        files[_base(entry.name)] = Path(entry.path)
        uids: dict[str, int] = {k: v for k, v in data["uids"].items() if k in files}
        changed = len(uids) != len(data["uids"])
        for base in sorted(set(files) - set(uids), key=lambda b: (_mtime(files[b]), b)):
            uids[base] = data["next"]
            data["next"] += 1
            changed = True
        if changed or not listing.exists():
            data["uids"] = uids
            atomic_write(listing, json.dumps(data).encode())
        self._uidvalidity = int(data["uidvalidity"])
        self._next = int(data["next"])
        return {uid: files[base] for base, uid in uids.items()}

    async def select(self, folder: str) -> FolderStatus:
        path = self._folder_path(folder)
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise MailboxMissing(T("mail.maildir.dossier-maildir-introuvable", path=path))
        self.current = path
        try:
            self._files = await asyncio.to_thread(self._scan, path)
        except (FileNotFoundError, NotADirectoryError):  # the folder moved away while it was read
            self.current = None
            raise MailboxMissing(T("mail.maildir.dossier-maildir-introuvable", path=path)) from None
        return FolderStatus(folder, self._uidvalidity, self._next, len(self._files), None)

    async def uids(self) -> list[int]:
        return sorted(self._files)

    def _keywords(self) -> list[str]:
        try:
            lines = (self.root / "dovecot-keywords").read_text().splitlines()
        except OSError:
            return []
        out: list[str] = []
        for line in lines:
            num, _, word = line.partition(" ")
            if num.isdigit() and word:
                while len(out) <= int(num):
                    out.append("")
                out[int(num)] = word
        return out

    def _flags_of(self, path: Path, keywords: list[str]) -> tuple[str, ...]:
        _, _, info = path.name.partition(":2,")
        flags = []
        for ch in info:
            if ch in _SYSTEM:
                flags.append(_SYSTEM[ch])
            elif "a" <= ch <= "z" and ord(ch) - 97 < len(keywords) and keywords[ord(ch) - 97]:
                flags.append(keywords[ord(ch) - 97])
        return tuple(sorted(flags))

    async def flags(self, uids: Sequence[int], changedsince: int | None = None) -> dict[int, tuple[str, ...]]:
        keywords = self._keywords()
        return {u: self._flags_of(self._files[u], keywords) for u in uids if u in self._files}

    async def fetch(self, uids: Sequence[int], batch: int = 100) -> AsyncGenerator[list[Fetched], None]:
        keywords = self._keywords()
        ordered = [u for u in sorted(uids) if u in self._files]
        for i in range(0, len(ordered), batch):
            out = []
            for uid in ordered[i : i + batch]:
                path = self._files[uid]
                try:
                    raw, size, too_big = self._read(path)
                except FileNotFoundError:
                    continue  # removed meanwhile: the next sync sees it gone
                if too_big:
                    log.warning(
                        "a letter over the account's size limit kept without its body (uid %d, %d bytes)",
                        uid,
                        size,
                    )
                out.append(Fetched(uid, self._flags_of(path, keywords), raw, size, too_big=too_big))
            yield out

    def _read(self, path: Path) -> tuple[bytes, int, bool]:
        """The letter's bytes, its size, and whether it is over the account's limit: then its header only (up
        to the blank line that ends it, 4 MB at most, as an IMAP server's header answer), listed as too big."""
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if not self.max_message or size <= self.max_message:
                return fh.read(), size, False
            head = bytearray()
            while len(head) < MAX_SMALL_LITERAL and (chunk := fh.read(65536)):
                start = max(0, len(head) - 3)  # a blank line across two reads
                head += chunk
                found = [i for i in (head.find(b"\r\n\r\n", start), head.find(b"\n\n", start)) if i >= 0]
                if found:
                    end = min(found)
                    return bytes(head[: end + (4 if head.startswith(b"\r\n\r\n", end) else 2)]), size, True
            del head[MAX_SMALL_LITERAL:]
            return (
                bytes(head[: head.rfind(b"\n") + 1]) + b"\r\n",
                size,
                True,
            )  # no blank line within the bound

    async def store_flags(self, uid: int, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        path = self._files.get(uid)
        if path is None:
            return
        keywords = self._keywords()
        flags = (set(self._flags_of(path, keywords)) | set(add)) - set(remove)
        letters = []
        for flag in flags:
            if flag in _LETTER:
                letters.append(_LETTER[flag])
                continue
            if flag not in keywords:
                if "" in keywords:
                    keywords[keywords.index("")] = flag
                else:
                    keywords.append(flag)
                if len(keywords) > 26:
                    continue
                text = "".join(f"{i} {w}\n" for i, w in enumerate(keywords) if w)
                atomic_write(self.root / "dovecot-keywords", text.encode())
            letters.append(chr(97 + keywords.index(flag)))
        target = path.parent.parent / "cur" / f"{_base(path.name)}:2,{''.join(sorted(letters))}"
        if target != path:
            os.rename(path, target)
            self._files[uid] = target

    # -- moving and removing (the same operations as ImapClient's) ------------------------------------------
    async def special_folders(self) -> dict[str, str]:
        return {}  # a Maildir has no SPECIAL-USE: the folders are found by their usual names

    async def create_folder(self, name: str) -> None:
        path = self._folder_path(name)
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(mode=0o700, parents=True, exist_ok=True)

    async def has_uid(self, uid: int) -> bool:
        path = self._files.get(uid)
        return path is not None and path.exists()

    async def move(self, uid: int, folder: str) -> tuple[int, int] | None:
        """Move message ``uid`` of the selected folder to ``folder``; (UIDVALIDITY, UID) it has there."""
        path = self._files.get(uid)
        if path is None or not path.exists():
            raise MailboxMissing(T("mail.maildir.dossier-maildir-introuvable", path=path))
        dest = self._folder_path(folder)
        if not (dest / "cur").is_dir():
            raise MailboxMissing(T("mail.maildir.dossier-maildir-introuvable", path=dest))
        sub = "cur" if path.parent.name == "cur" else "new"
        os.rename(path, dest / sub / path.name)
        del self._files[uid]
        kept = self._uidvalidity, self._next
        try:
            moved = await asyncio.to_thread(self._scan, dest)
            uidvalidity = self._uidvalidity
        finally:
            self._uidvalidity, self._next = kept
        new = next((u for u, p in moved.items() if _base(p.name) == _base(path.name)), None)
        return None if new is None else (uidvalidity, new)

    async def expunge_uid(self, uid: int) -> None:
        path = self._files.pop(uid, None)
        if path is not None:
            path.unlink(missing_ok=True)

    async def idle(self, timeout: float = 60.0) -> list[bytes]:
        """Wait until a message arrives in or leaves the folder: woken by the kernel (inotify) where it can,
        else by looking once a second. An idle app uses no CPU."""
        if self.current is None:
            return []
        from core.mail.dirwatch import DirWatch

        deadline = time.monotonic() + timeout
        # compared with what select() saw: a message delivered between select() and now counts too
        known = {_base(p.name) for p in self._files.values()}
        folders = [self.current / sub for sub in ("new", "cur") if (self.current / sub).is_dir()]
        # opened before listing: a message delivered while we list wakes it; the folder and the Maildir's root
        # are watched too, so a Maildir moved away is said at once (offline), as the listing would
        watch = DirWatch.open([*folders, self.current, *([self.root] if self.root != self.current else [])])
        try:
            while (left := deadline - time.monotonic()) > 0:
                now = {_base(name) for folder in folders for name in _names(folder)}
                if now - known:
                    return [b"EXISTS"]
                if known - now:
                    return [b"EXPUNGE"]
                if watch is None:
                    await asyncio.sleep(min(1.0, left))
                else:
                    await watch.wait(left)
        finally:
            if watch is not None:
                watch.close()
        return []
        deadline = time.monotonic() + timeout
        # compared with what select() saw: a message delivered between select() and now counts too
        known = {_base(p.name) for p in self._files.values()}
        while time.monotonic() < deadline:
            now = {
                _base(name)
                for sub in ("new", "cur")
                if (self.current / sub).is_dir()
                for name in os.listdir(self.current / sub)
            }
            if now - known:
                return [b"EXISTS"]
            if known - now:
                return [b"EXPUNGE"]
            await asyncio.sleep(1.0)
        return []
