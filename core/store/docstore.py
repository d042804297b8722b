"""Encrypted, sharded TinyDB collections.

TinyDB keeps a whole database in memory and rewrites the whole file at each write (shared/STACK.md), so one
collection is spread over many small TinyDB files ("shards"), each encrypted by the vault and replaced
atomically. A key's shard is given by the low bits of a hash of the key; when shards grow past
``SPLIT_AT`` documents on average, the collection is rewritten with twice as many shards into a new
generation and the manifest is switched atomically. So adding one document rewrites one small file,
whatever the size of the collection.

A collection may place keys by their last few characters only (``place_by_tail``, recorded in the manifest):
keys made to end alike (the messages of one folder and UID range, see ``core.mail.messages``) then share a
shard, and a batch of them rewrites one or two files instead of one per document.

Writes that touch several shards go through a journal written (atomically) before the shards: after a
crash the journal is replayed on open, so a batch is all or nothing and the store holds a consistent prefix
of what was written. The shards of a batch are written side by side and their folder fsynced once
(``atomic.write_many``); a write is durable, renames included, when it returns. Several processes may share
a profile: writes hold an inter-process lock, and a cached shard is re-read when its file changed. Threads
of one process may share a collection (the TUI reads while a sync writes): each call holds its lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

try:  # hashlib's own blake2b (it never takes OpenSSL's), without hashlib's import: OpenSSL's digests probed one
    from _blake2 import blake2b  # by one, some 3 ms of a no-change resync, which reads and hashes only keys
except ImportError:  # an interpreter without CPython's module
    from hashlib import blake2b

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from core.errors import StoreCorrupted
from core.store.atomic import FileLock, atomic_write, clean_temp_files, fsync_dir, private_dir, write_many
from core.store.vault import Vault
from core.text import T

Doc = dict[str, Any]
Stamp = tuple[int, int]  # (mtime_ns, size) of a shard file; a shard write always moves mtime forward
SUFFIX = ".mdb"
SPLIT_AT = 48  # average documents per shard before the collection doubles its shard count
TABLE = "_default"


class ShardsMoved(Exception):
    """The collection changed generation (its shards were split) while it was being read."""


def _shard_of(key: str, bits: int, tail: int = 0) -> int:
    """The shard of ``key`` among ``2**bits``: a hash of the key, or of its last ``tail`` characters."""
    return _placement(key[-tail:] if tail else key) & ((1 << bits) - 1)


@lru_cache(maxsize=4096)
def _placement(placed: str) -> int:
    """The 64-bit hash that places a key; remembered, since keys placed by their tail share it by the hundred
    (a first sync of 10,000 messages asks it about 34,000 times for about 100 tails)."""
    return int.from_bytes(blake2b(placed.encode("utf-8"), digest_size=8).digest(), "big")


class _KeyedTable(Table):
    """A TinyDB table whose document ids are the collection's string keys."""

    document_id_class = str  # type: ignore[assignment]  # TinyDB types document ids as int


class _KeyedDB(TinyDB):
    table_class = _KeyedTable


class EncryptedStorage(Storage):
    """A TinyDB storage: one encrypted file, written atomically, cached while unchanged on disk.

    In ``deferred`` mode writes stay in memory until ``flush()``, so a batch costs one file write.
    """

    def __init__(self, path: Path, vault: Vault, name: str) -> None:
        self.path = path
        self.vault = vault
        self.name = name
        self._data: dict[str, dict[str, Any]] | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._dirty = False
        self.deferred = False

    def _disk_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._dirty:
            return self._data
        stamp = self._disk_stamp()
        if self._data is not None and stamp == self._stamp:
            return self._data
        if stamp is None:
            self._data, self._stamp = {TABLE: {}}, None
            return self._data
        try:
            with open(self.path, "rb") as fh:
                st = os.fstat(fh.fileno())  # the stamp of the very file read, even if replaced meanwhile
                raw = fh.read()
        except FileNotFoundError:
            self._data, self._stamp = {TABLE: {}}, None
            return self._data
        plain = self.vault.unseal(raw, self.name, self.path)
        try:
            data = json.loads(plain)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise StoreCorrupted(T("store.docstore.does-not-parse-was", path=self.path)) from exc
        self._data, self._stamp = data, (st.st_mtime_ns, st.st_size, st.st_ino)
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data
        self._dirty = True
        if not self.deferred:
            self.flush()

    def flush(self) -> None:
        if not self._dirty or self._data is None:
            return
        atomic_write(self.path, self.sealed(), advance_mtime=True)
        self.committed()

    def sealed(self) -> bytes:
        """The file content for the data in memory (written by the caller, then ``committed()``)."""
        payload = json.dumps(self._data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self.vault.seal(payload, self.name)

    def committed(self) -> None:
        self._stamp = self._disk_stamp()
        self._dirty = False

    def forget(self) -> None:
        self._data, self._stamp, self._dirty = None, None, False

    def close(self) -> None:
        pass


class _Shard:
    def __init__(self, path: Path, vault: Vault, name: str) -> None:
        self.storage = EncryptedStorage(path, vault, name)
        self.db = _KeyedDB(storage=_Passthrough, wrapped=self.storage)
        self.table: _KeyedTable = self.db.table(TABLE)  # type: ignore[assignment]  # _KeyedDB.table_class
        self.table.clear_cache()

    def docs(self) -> dict[str, Doc]:
        data = self.storage.read() or {}
        return data.get(TABLE, {})

    def size(self) -> int:
        """Documents in the version in memory (just written or read: no look at the file)."""
        data = self.storage._data or {}
        return len(data.get(TABLE, {}))

    def stage(self, changes: Mapping[str, Doc | None], former: dict[str, Doc] | None = None) -> bytes:
        """Set or delete (None) documents in memory; the new file content, to write then ``committed()``.
        ``former``: receives a copy of each document replaced.

        On failure, or if the file is not written, the caller calls ``storage.forget()``.
        """
        self.storage.deferred = True
        try:
            present = self.docs()
            gone = [k for k, v in changes.items() if v is None and k in present]
            replaced = [k for k, v in changes.items() if v is not None and k in present]
            if former is not None:
                for key in replaced:
                    former[key] = dict(present[key])
            if gone or replaced:
                # _KeyedTable's document ids are the collection's string keys; TinyDB types them as int
                self.table.remove(doc_ids=gone + replaced)  # type: ignore[arg-type]  # str ids, see above
            fresh = [Document(v, doc_id=k) for k, v in changes.items() if v is not None]  # type: ignore[arg-type]  # str ids
            if fresh:
                self.table.insert_multiple(fresh)
            return self.storage.sealed()
        except BaseException:
            self.storage.forget()
            raise
        finally:
            self.storage.deferred = False


class _Passthrough(Storage):
    """Lets TinyDB use an already built EncryptedStorage instance."""

    def __init__(self, wrapped: EncryptedStorage) -> None:
        self.wrapped = wrapped

    def read(self) -> dict[str, dict[str, Any]] | None:
        return self.wrapped.read()

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.wrapped.write(data)


CACHED_SHARDS = 16  # shards whose documents a collection keeps in memory (the least recently used go first)


class ShardedCollection:
    """A ``core.store.collection.Collection`` over encrypted TinyDB shards."""

    def __init__(self, root: Path, name: str, vault: Vault, lock: FileLock) -> None:
        if not name or any(c in name for c in "/\\.:") or name.startswith("_"):
            raise ValueError(f"bad collection name {name!r}")
        self.name = name
        self.folder = root / name
        self.vault = vault
        self.lock = lock
        self._mutex = threading.RLock()  # taken after ``lock`` when both are held
        self._shards: dict[str, _Shard] = {}
        # documents per shard file, with the stamp of the file counted: a split is decided without reading
        # shards unchanged since (a first sync of 10,000 messages asked it of every shard at each batch)
        self._counts: dict[str, tuple[tuple[int, int, int], int]] = {}
        self._manifest_stamp: tuple[int, int] | None = None
        self.gen, self.bits, self.tail = 0, 2, 0
        self._wanted_tail: int | None = None  # asked by place_by_tail, for the next generation
        self.split_at = SPLIT_AT
        self.cached_shards = CACHED_SHARDS  # a collection read in a few places may keep fewer
        private_dir(self.folder)
        with self.lock.held(), self._mutex:
            clean_temp_files(self.folder)
            self._load_manifest()
            self._replay_journal()

    # -- layout ------------------------------------------------------------------------------------------
    def _logical(self, filename: str) -> str:
        return f"db/{self.name}/{filename}"

    def _manifest_path(self) -> Path:
        return self.folder / f"manifest{SUFFIX}"

    def _load_manifest(self) -> None:
        path = self._manifest_path()
        try:
            st = path.stat()
        except FileNotFoundError:
            self.gen, self.bits, self.tail, self._manifest_stamp = 0, 2, 0, None
            return
        stamp = (st.st_mtime_ns, st.st_ino)
        if stamp == self._manifest_stamp:
            return
        plain = self.vault.unseal(path.read_bytes(), self._logical(path.name), path)
        try:
            meta = json.loads(plain)
            self.gen, self.bits = int(meta["gen"]), int(meta["bits"])
            self.tail = int(meta.get("tail", 0))  # manifests written before placement by tail have none
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreCorrupted(T("store.docstore.does-not-parse-was", path=path)) from exc
        self._manifest_stamp = stamp
        self._shards.clear()
        self._counts.clear()

    def _write_manifest(self, gen: int, bits: int, tail: int) -> None:
        path = self._manifest_path()
        meta: dict[str, int] = {"gen": gen, "bits": bits}
        if tail:
            meta["tail"] = tail
        atomic_write(path, self.vault.seal(json.dumps(meta).encode(), self._logical(path.name)))
        self.gen, self.bits, self.tail = gen, bits, tail
        st = path.stat()
        self._manifest_stamp = (st.st_mtime_ns, st.st_ino)
        self._shards.clear()
        self._counts.clear()

    def _shard_name(self, gen: int, index: int) -> str:
        return f"g{gen}-{index:05d}{SUFFIX}"

    def _shard(self, index: int, gen: int | None = None) -> _Shard:
        gen = self.gen if gen is None else gen
        fname = self._shard_name(gen, index)
        shard = self._shards.pop(fname, None)
        if shard is None:
            shard = _Shard(self.folder / fname, self.vault, self._logical(fname))
            self._evict()
        self._shards[fname] = shard  # the most recently used last
        return shard

    def _peek(self, index: int) -> Mapping[str, Doc]:
        """The documents of shard ``index`` of this generation: from the cache, else read from its file
        without keeping them (a split reads every shard once: it must not fill the cache with them)."""
        shard = self._shards.get(self._shard_name(self.gen, index))
        if shard is not None:
            return shard.docs()
        return self.read_shard(self.gen, index)[1]

    def _evict(self) -> None:
        """Keep at most ``cached_shards`` shards' documents in memory: a first sync of a large mailbox
        writes one shard after another, and memory is bounded by a batch, not by the mailbox. A shard
        dropped here is read again from its file when next used; one with unwritten changes is kept."""
        if len(self._shards) < self.cached_shards:
            return
        for name in list(self._shards):
            if len(self._shards) < self.cached_shards:
                break
            if not self._shards[name].storage._dirty:
                del self._shards[name]

    def _shard_of(self, key: str) -> int:
        return _shard_of(key, self.bits, self.tail)

    def _refresh(self) -> None:
        """Notice a split or a journal made by another process."""
        self._load_manifest()

    def _shard_files(self, gen: int) -> Iterator[tuple[int, os.DirEntry[str]]]:
        prefix = f"g{gen}-"
        with os.scandir(self.folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(prefix) and name.endswith(SUFFIX):
                    try:
                        index = int(name[len(prefix) : -len(SUFFIX)])
                    except ValueError:
                        continue
                    yield index, entry

    def place_by_tail(self, chars: int, shard_size: int = SPLIT_AT) -> None:
        """Choose each key's shard by its last ``chars`` characters, so that keys ending alike share a shard,
        and aim at ``shard_size`` documents a shard (a few of the caller's groups of keys ending alike).

        Takes effect at once in a collection that holds no document yet, otherwise at its next split (when
        every document is rewritten anyway): until then the collection keeps its placement.
        """
        if chars < 0 or shard_size < 1:
            raise ValueError("chars and shard_size must be positive")
        with self.lock.held(), self._mutex:
            self._wanted_tail = chars
            self.split_at = shard_size
            self._refresh()
            if self.tail == chars or self._journal_path().exists():
                return
            if next(self._shard_files(self.gen), None) is None:
                self._write_manifest(self.gen, self.bits, chars)

    def expect(self, count: int) -> None:
        """``count`` documents are about to be written: a collection that holds none yet takes at once the
        shards it would reach by splitting as they come (placed as ``place_by_tail`` asked). A first sync
        of 10,000 messages split the messages four times, rewriting and reading back about 12,000 documents,
        and its last split was the sync's peak of memory. A collection holding documents keeps its shards: it
        splits as it grows.
        """
        if count <= 0:
            return
        with self.lock.held(), self._mutex:
            self._refresh()
            if self._journal_path().exists() or next(self._shard_files(self.gen), None) is not None:
                return
            bits = self.bits
            while count > self.split_at * (1 << bits):
                bits += 1
            tail = self.tail if self._wanted_tail is None else self._wanted_tail
            if (bits, tail) != (self.bits, self.tail):
                self._write_manifest(self.gen, bits, tail)

    # -- journal -----------------------------------------------------------------------------------------
    def _journal_path(self) -> Path:
        return self.folder / f"journal{SUFFIX}"

    def _replay_journal(self) -> None:
        path = self._journal_path()
        if not path.exists():
            return
        plain = self.vault.unseal(path.read_bytes(), self._logical(path.name), path)
        try:
            changes = json.loads(plain)
        except ValueError as exc:
            raise StoreCorrupted(T("store.docstore.does-not-parse-was", path=path)) from exc
        self._apply(self._by_shard(changes))
        path.unlink()
        fsync_dir(self.folder)

    def _by_shard(self, changes: Mapping[str, Doc | None]) -> dict[int, dict[str, Doc | None]]:
        by_shard: dict[int, dict[str, Doc | None]] = {}
        for key, doc in changes.items():
            by_shard.setdefault(self._shard_of(key), {})[key] = doc
        return by_shard

    def _apply(
        self, by_shard: Mapping[int, Mapping[str, Doc | None]], former: dict[str, Doc] | None = None
    ) -> int:
        """Write the changes, one file per shard, side by side; return the size of the largest shard."""
        staged: list[tuple[_Shard, bytes]] = []
        try:
            for index, part in by_shard.items():
                shard = self._shard(index)
                staged.append((shard, shard.stage(part, former)))
            write_many([(shard.storage.path, data) for shard, data in staged], advance_mtime=True)
        except BaseException:
            for shard, _ in staged:
                shard.storage.forget()
            raise
        largest = 0
        for shard, _ in staged:
            shard.storage.committed()
            largest = max(largest, shard.size())
            self._remember_count(shard)
        return largest

    def _remember_count(self, shard: _Shard) -> None:
        stamp = shard.storage._stamp
        if stamp is not None and not shard.storage._dirty:
            self._counts[shard.storage.path.name] = (stamp, shard.size())

    def _count(self, index: int, entry: os.DirEntry[str]) -> int:
        """The documents in shard file ``entry``: remembered by the file's (mtime, size, inode), which any
        write moves (``advance_mtime``), so the file is read only when it changed since it was counted."""
        try:
            st = entry.stat()
        except FileNotFoundError:
            return 0
        known = self._counts.get(entry.name)
        if known is not None and known[0] == (st.st_mtime_ns, st.st_size, st.st_ino):
            return known[1]
        shard = self._shard(index)
        count = len(shard.docs())
        self._remember_count(shard)
        return count

    def _write(self, changes: Mapping[str, Doc | None], former: dict[str, Doc] | None = None) -> None:
        with self.lock.held(), self._mutex:
            self._refresh()
            by_shard = self._by_shard(changes)
            if len(by_shard) > 1:
                path = self._journal_path()
                payload = json.dumps(changes, ensure_ascii=False, separators=(",", ":")).encode()
                atomic_write(path, self.vault.seal(payload, self._logical(path.name)))
                largest = self._apply(by_shard, former)
                path.unlink()
                fsync_dir(self.folder)  # a journal that came back after a crash would undo later writes
            else:
                largest = self._apply(by_shard, former)
            # a full shard is the cheap signal; only then count the whole collection
            if largest > 2 * self.split_at:
                self._maybe_split()

    def _maybe_split(self) -> None:
        nshards = 1 << self.bits
        present = list(self._shard_files(self.gen))
        total = sum(self._count(i, entry) for i, entry in present)
        old = sorted(i for i, _ in present)
        if total <= self.split_at * nshards:
            return
        new_bits = self.bits
        while total > self.split_at * (1 << new_bits):
            new_bits += 1
        new_tail = self.tail if self._wanted_tail is None else self._wanted_tail
        new_gen = self.gen + 1
        # a crash before a manifest switch leaves a partial generation: never build on top of it
        for _index, entry in list(self._shard_files(new_gen)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)

        def seal(index: int, part: dict[str, Doc]) -> tuple[Path, bytes]:
            fname = self._shard_name(new_gen, index)
            payload = json.dumps({TABLE: part}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            return self.folder / fname, self.vault.seal(payload, self._logical(fname))

        def files() -> Iterator[tuple[Path, bytes]]:
            # Placed as before with more bits, the keys of one old shard go to new shards of their own (the
            # new index keeps the old one in its low bits): old shards are read and rewritten one at a time,
            # so a split holds one shard's documents, not the collection's (6,400 messages at the last split
            # of a 10,000-message first sync, about 7 MB of a sync's peak that the C library kept after).
            # A new placement (``place_by_tail``) mixes every shard: the whole collection is read first.
            groups: Iterable[list[int]] = [[i] for i in old] if new_tail == self.tail else [old]
            for group in groups:
                buckets: dict[int, dict[str, Doc]] = {}
                for i in group:
                    for key, doc in self._peek(i).items():
                        buckets.setdefault(_shard_of(key, new_bits, new_tail), {})[key] = doc
                while buckets:
                    yield seal(*buckets.popitem())

        write_many(files(), advance_mtime=True)
        old_gen = self.gen
        self._write_manifest(new_gen, new_bits, new_tail)
        for f in self.folder.glob(f"g{old_gen}-*{SUFFIX}"):
            with contextlib.suppress(OSError):
                f.unlink()
        # left by a crash between the manifest switch and the removal above
        for f in self.folder.glob(f"g*-*{SUFFIX}"):
            if not f.name.startswith(f"g{self.gen}-"):
                with contextlib.suppress(OSError):
                    f.unlink()

    # -- shard-level reads, for indexes derived from the collection (core.store.listindex) ----------------
    def shard_stamps(self) -> tuple[int, int, dict[int, Stamp]]:
        """(generation, bits, {shard number: (mtime_ns, size)}) of the shard files on disk now.

        A shard write always moves its file's mtime forward, so an unchanged stamp means unchanged content.
        (No inode: ``os.scandir`` gives none on Windows, and the mtime is enough.)
        """
        with self._mutex:
            self._refresh()
            gen, bits = self.gen, self.bits
            stamps: dict[int, Stamp] = {}
            for index, entry in self._shard_files(gen):
                try:
                    st = entry.stat()
                except FileNotFoundError:
                    continue
                stamps[index] = (st.st_mtime_ns, st.st_size)
            return gen, bits, stamps

    def read_shard(self, gen: int, index: int) -> tuple[Stamp | None, Mapping[str, Doc]]:
        """One shard's documents and the stamp of the very file they were read from (None: no file).

        Read straight from disk, not through the shards cached for writes, so a write in progress in another
        thread is never seen half done. Raises ``ShardsMoved`` when generation ``gen`` is no longer the
        current one (a split happened).
        """
        with self._mutex:
            self._refresh()
            if gen != self.gen:
                raise ShardsMoved(self.name)
        fname = self._shard_name(gen, index)
        path = self.folder / fname
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                raw = fh.read()
        except FileNotFoundError:
            with self._mutex:
                self._refresh()
                if gen != self.gen:
                    raise ShardsMoved(self.name) from None
            return None, {}
        plain = self.vault.unseal(raw, self._logical(fname), path)
        try:
            data = json.loads(plain)
            docs = data.get(TABLE, {})
            if not isinstance(docs, dict):
                raise ValueError("not an object")
        except (ValueError, AttributeError) as exc:
            raise StoreCorrupted(T("store.docstore.does-not-parse-was", path=path)) from exc
        return (st.st_mtime_ns, st.st_size), docs

    # -- Collection API ----------------------------------------------------------------------------------
    def get(self, key: str) -> Doc | None:
        with self._mutex:
            self._refresh()
            doc = self._shard(self._shard_of(key)).docs().get(key)
            return dict(doc) if doc is not None else None

    def get_many(self, keys: Iterable[str]) -> dict[str, Doc]:
        """The documents of ``keys`` that exist (each shard looked at once)."""
        with self._mutex:
            self._refresh()
            out: dict[str, Doc] = {}
            for index, part in self._by_shard(dict.fromkeys(keys)).items():
                docs = self._shard(index).docs()
                for key in part:
                    doc = docs.get(key)
                    if doc is not None:
                        out[key] = dict(doc)
            return out

    def put(self, key: str, doc: Doc) -> None:
        self._write({key: dict(doc)})

    def put_many(self, items: Mapping[str, Doc], former: dict[str, Doc] | None = None) -> None:
        """Set documents (all or none). ``former``: receives what the documents replaced were, read in the
        same pass (a sync storing a batch learns so which stored letters it replaces, without a lookup
        of its own)."""
        if items:
            self._write({k: dict(v) for k, v in items.items()}, former)

    def delete(self, key: str) -> bool:
        with self.lock.held(), self._mutex:
            if self.get(key) is None:
                return False
            self._write({key: None})
            return True

    def delete_many(self, keys: Iterable[str]) -> int:
        with self.lock.held(), self._mutex:
            present = list(self.get_many(keys))
            if present:
                self._write(dict.fromkeys(present))
            return len(present)

    def _all_docs(self) -> list[tuple[str, Doc]]:
        """Every (key, document), read under the lock (a list: no lock is held while the caller iterates)."""
        with self._mutex:
            self._refresh()
            out: list[tuple[str, Doc]] = []
            for index in sorted(i for i, _ in self._shard_files(self.gen)):
                out.extend(self._shard(index).docs().items())
            return out

    def keys(self) -> list[str]:
        return [k for k, _ in self._all_docs()]

    def items(self) -> Iterator[tuple[str, Doc]]:
        for key, doc in self._all_docs():
            yield key, dict(doc)

    def find(self, predicate: Callable[[Doc], bool]) -> list[tuple[str, Doc]]:
        return [(k, dict(d)) for k, d in self._all_docs() if predicate(d)]

    def __len__(self) -> int:
        return len(self._all_docs())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None


def has_files(root: Path, name: str) -> bool:
    """Whether collection ``name`` under ``root`` was ever written (a shard, manifest or journal file in its
    folder). Reads the folder's file names only: nothing encrypted, nor the key, is needed."""
    try:
        with os.scandir(root / name) as entries:
            return any(entry.name.endswith(SUFFIX) for entry in entries)
    except OSError:
        return False


class DocStore:
    """The profile's collections, under ``<profile>/db/``."""

    def __init__(self, root: Path, vault: Vault) -> None:
        self.root = root
        self.vault = vault
        self.lock = FileLock(root / ".lock")
        self._collections: dict[str, ShardedCollection] = {}
        private_dir(root)

    def collection(self, name: str) -> ShardedCollection:
        coll = self._collections.get(name)
        if coll is None:
            coll = ShardedCollection(self.root, name, self.vault, self.lock)
            self._collections[name] = coll
        return coll
