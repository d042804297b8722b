"""Encrypted blobs: raw messages and attachments, under random names that reveal nothing.

``put`` writes one file per blob. ``put_many`` (a sync's batch of new messages) writes one *pack*: a single
file holding every blob of the batch, each encrypted on its own, so a batch costs two fsyncs instead of two
per message (a first sync of 10,000 messages would otherwise spend most of its time waiting for the disk).
A pack member's id is ``<pack id>.<n>``; it is read without reading the rest of the pack. Deleting members
records them in a ``<pack id>.dead`` file beside the pack; the pack goes when its last member does.

Pack layout: ``MPK1``, the member count (4 bytes), then count + 1 offsets (8 bytes each, from the start of the
file), then the members, each sealed by the vault with ``blob/<member id>`` as associated data: a member
cannot be swapped for another, and a damaged offset table only makes a read fail its integrity check.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import struct
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import NotFound, StoreCorrupted
from core.frozen import Frozen, fill
from core.store.atomic import FileLock, atomic_write, clean_temp_files, private_dir
from core.store.vault import Vault
from core.text import T

_ID = re.compile(r"^([0-9a-f]{32})(?:\.(\d{1,6}))?$")
PACK_MAGIC = b"MPK1"
DEAD_SUFFIX = ".dead"


def _random_id() -> str:
    """32 hex digits from the system's random source: what ``secrets.token_hex(16)`` gives, without loading
    secrets (and random with it) on every command that opens a profile."""
    return os.urandom(16).hex()


@dataclass(init=False, repr=False, eq=False)
class Sealed(Frozen):
    """Blobs encrypted by ``BlobStore.seal_many``, not yet written: their ids and the one file holding them.

    ``chunks`` are the file's bytes in order (a pack's head, then each member in two parts), written one after
    the other:
    a pack is never joined into one buffer (a batch of 100 letters is about 2 MB, and the C library would
    then keep heap of that size for the rest of the sync).
    """

    ids: list[str]
    path: Path | None
    chunks: list[bytes]

    def __init__(self, ids: list[str], path: Path | None, chunks: list[bytes]) -> None:
        fill(self, locals())


class BlobStore:
    """``put(bytes) -> id``; files live in ``blobs/<2 hex>/<32 hex>``, encrypted with the id as AAD.

    ``lock`` (the profile's inter-process lock) guards the records of deleted pack members.
    """

    def __init__(self, root: Path, vault: Vault, lock: FileLock | None = None) -> None:
        self.root = root
        self.vault = vault
        self._lock = lock
        self._thread_lock = threading.RLock()
        private_dir(root)

    def _parse(self, blob_id: str) -> tuple[str, int | None]:
        m = _ID.match(blob_id) if isinstance(blob_id, str) else None
        if not m:
            raise NotFound(T("store.blobs.stored-file-with", blob_id=str(blob_id)[:40]))
        return m.group(1), (int(m.group(2)) if m.group(2) is not None else None)

    def _file(self, name: str) -> Path:
        return self.root / name[:2] / name

    def _path(self, blob_id: str) -> Path:
        """The file holding ``blob_id`` (its pack, for a pack member)."""
        return self._file(self._parse(blob_id)[0])

    # -- writing -----------------------------------------------------------------------------------------
    def put(self, data: bytes) -> str:
        blob_id = _random_id()
        atomic_write(self._file(blob_id), self.vault.seal(data, f"blob/{blob_id}"))
        return blob_id

    def put_many(self, datas: Sequence[bytes]) -> list[str]:
        """Store several blobs in one pack, durably when this returns; their ids, in order."""
        sealed = self.seal_many(datas)
        self.put_sealed(sealed)
        return sealed.ids

    def seal_many(self, datas: Sequence[bytes]) -> Sealed:
        """Encrypt blobs for ``put_sealed`` (CPU only: a caller may do this in one thread, the write in another)."""
        if not datas:
            return Sealed([], None, [])
        if len(datas) == 1:
            blob_id = _random_id()
            return Sealed([blob_id], self._file(blob_id), [self.vault.seal(datas[0], f"blob/{blob_id}")])
        pack = _random_id()
        # each member in its two parts (prefix, ciphertext), written as they are: never copied into one
        members = [self.vault.seal_parted(d, f"blob/{pack}.{n}") for n, d in enumerate(datas)]
        offsets = [8 + 8 * (len(members) + 1)]
        for prefix, body in members:
            offsets.append(offsets[-1] + len(prefix) + len(body))
        head = PACK_MAGIC + struct.pack(f"<I{len(offsets)}Q", len(members), *offsets)
        chunks = [head]
        for member in members:
            chunks.extend(member)
        return Sealed([f"{pack}.{n}" for n in range(len(members))], self._file(pack), chunks)

    def put_sealed(self, sealed: Sealed) -> None:
        """Write what ``seal_many`` made, durably when this returns."""
        if sealed.path is not None:
            atomic_write(sealed.path, sealed.chunks)

    # -- reading -----------------------------------------------------------------------------------------
    def written_at(self, blob_id: str) -> float | None:
        """When the file holding ``blob_id`` was last written (its mtime, missive's own clock): no earlier than
        when the blob was stored (a pack rewritten since only makes it later); None when it cannot be told."""
        try:
            return self._path(blob_id).stat().st_mtime
        except (OSError, NotFound):
            return None

    def get(self, blob_id: str) -> bytes:
        name, member = self._parse(blob_id)
        path = self._file(name)
        try:
            if member is None:
                raw = path.read_bytes()
            else:
                raw = self._read_member(path, member, blob_id)
        except FileNotFoundError as exc:
            raise NotFound(
                T("store.blobs.stored-file-missing-from", blob_id=blob_id, root=self.root)
            ) from exc
        return self.vault.unseal(raw, f"blob/{blob_id}", path)

    def _read_member(self, path: Path, member: int, blob_id: str) -> bytes:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) != 8 or head[:4] != PACK_MAGIC:
                raise StoreCorrupted(T("store.blobs.not-pack-stored-files", path=path))
            (count,) = struct.unpack("<I", head[4:])
            if member >= count:
                raise NotFound(T("store.blobs.stored-file-missing-from", blob_id=blob_id, root=self.root))
            fh.seek(8 + 8 * member)
            bounds = fh.read(16)
            if len(bounds) != 16:
                raise StoreCorrupted(T("store.blobs.truncated-was-left-untouched", path=path))
            start, end = struct.unpack("<QQ", bounds)
            if end < start:
                raise StoreCorrupted(T("store.blobs.has-damaged-table-was", path=path))
            fh.seek(start)
            return fh.read(end - start)

    def exists(self, blob_id: str) -> bool:
        name, member = self._parse(blob_id)
        path = self._file(name)
        if member is None:
            return path.is_file()
        return path.is_file() and member < self._count(path) and member not in self._dead(name)

    # -- deleting ----------------------------------------------------------------------------------------
    def delete(self, blob_id: str) -> bool:
        return self.delete_many([blob_id]) == 1

    def delete_many(self, blob_ids: Iterable[str]) -> int:
        """Delete blobs; a pack goes with its last member. Returns how many were there."""
        gone = 0
        members: dict[str, set[int]] = {}
        for blob_id in blob_ids:
            name, member = self._parse(blob_id)
            if member is None:
                with contextlib.suppress(FileNotFoundError):
                    self._file(name).unlink()
                    gone += 1
            else:
                members.setdefault(name, set()).add(member)
        if members:
            with self._held():
                for name, dead in members.items():
                    gone += self._bury(name, dead)
        return gone

    def _bury(self, pack: str, members: set[int]) -> int:
        path = self._file(pack)
        try:
            count = self._count(path)
        except FileNotFoundError:
            return 0
        dead = self._dead(pack)
        fresh = {m for m in members if m < count} - dead
        if not fresh:
            return 0
        dead |= fresh
        tomb = path.with_name(pack + DEAD_SUFFIX)
        if len(dead) >= count:
            path.unlink()
            with contextlib.suppress(FileNotFoundError):
                tomb.unlink()
        else:
            payload = json.dumps(sorted(dead)).encode()
            atomic_write(tomb, self.vault.seal(payload, f"blob/{pack}{DEAD_SUFFIX}"))
        return len(fresh)

    def _count(self, path: Path) -> int:
        with open(path, "rb") as fh:
            head = fh.read(8)
        if len(head) != 8 or head[:4] != PACK_MAGIC:
            raise StoreCorrupted(T("store.blobs.not-pack-stored-files", path=path))
        return int(struct.unpack("<I", head[4:])[0])

    def _dead(self, pack: str) -> set[int]:
        tomb = self._file(pack).with_name(pack + DEAD_SUFFIX)
        try:
            raw = tomb.read_bytes()
        except FileNotFoundError:
            return set()
        plain = self.vault.unseal(raw, f"blob/{pack}{DEAD_SUFFIX}", tomb)
        try:
            return {int(m) for m in json.loads(plain)}
        except (ValueError, TypeError) as exc:
            raise StoreCorrupted(T("store.blobs.does-not-parse-was", tomb=tomb)) from exc

    @contextlib.contextmanager
    def _held(self) -> Iterator[None]:
        with self._thread_lock:
            if self._lock is None:
                yield
            else:
                with self._lock.held():
                    yield

    def clean(self) -> None:
        for sub in self.root.iterdir():
            if sub.is_dir():
                clean_temp_files(sub)
                for tomb in sub.glob(f"*{DEAD_SUFFIX}"):  # its pack went, the crash came before it
                    if not tomb.with_name(tomb.name[: -len(DEAD_SUFFIX)]).exists():
                        with contextlib.suppress(OSError):
                            tomb.unlink()
                with contextlib.suppress(OSError):
                    if not any(sub.iterdir()):
                        sub.rmdir()
