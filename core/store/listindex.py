"""A sorted, columnar, encrypted index of a collection's rows: a long list opens from one file.

Painting 20 rows of a 50,000-message folder must not decode 50,000 documents. A ``ListIndex`` keeps, for
each document its projection accepts, a few columns (integers, texts, and texts with few distinct values),
every row sorted newest first, sealed in one file beside the collection's shards. Opening it is one read
and one decryption; a row is decoded only when asked for.

The index is derived data and never trusted over the shards. It records the (mtime, size) stamp of every
shard it was built from; each use compares them with the shard files (one ``stat`` per shard)
and re-reads only the shards that changed, whoever wrote them (another process, a crashed write, a
journal replay). Shard writes always move the file's mtime forward, so a stamp never comes back. A
missing, damaged or outdated index file is rebuilt from the shards.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import accumulate, repeat
from operator import add
from pathlib import Path
from typing import Any

from core.errors import StoreCorrupted
from core.frozen import Frozen, fill
from core.store.atomic import atomic_write
from core.store.docstore import Doc, ShardedCollection, ShardsMoved, Stamp

log = logging.getLogger("missive.store")

# 2: shard stamps are (mtime_ns, size); 3: enum codes as narrow as their values allow; 4: keys of 32 hexadecimal
# digits (every message's) packed as their 16 bytes
FORMAT = 4
# rows read and merged at a time in a rebuild (the shards giving them, whole): a first sync's refresh of
# 10,000 messages held them all at once, about 10 MB of short-lived tuples and texts at the sync's peak
BATCH_ROWS = 2000
MAGIC = b"MLX1"
INT, TEXT, ENUM = "int", "text", "enum"
_INT_CODE, _OFF_CODE = "q", "I"  # 8-byte integers; 4-byte offsets and enum codes
if array(_INT_CODE).itemsize != 8 or array(_OFF_CODE).itemsize != 4:  # pragma: no cover - exotic platforms
    _OFF_CODE = "L" if array("L").itemsize == 4 else "I"


# An enum column's codes take one byte a row while it has at most 256 values (an account, a folder, the flags:
# nearly always), two up to 65,536: four bytes a row for columns that are mostly 0 was, at 50,000 messages,
# some 750 KB of a list's memory for nothing.
def _code_type(values: int) -> str:
    """The array type of the codes of an enum column with ``values`` distinct values."""
    return "B" if values <= 1 << 8 else "H" if values <= 1 << 16 else _OFF_CODE


# In memory an integer column (and the rows' shard numbers) takes the narrowest unsigned array type that holds
# all its values: the file keeps 8 bytes a value, but a UID, a size, the flags' bits and a shard number were
# 8 bytes a row each for values that fit in 1 to 4 (some 210 KB of a 10,000-message list, 1 MB at 50,000).
_NARROW = (("B", 1), ("H", 2), ("I", 4))
_LOW = 0 if sys.byteorder == "little" else 1  # where an 8-byte integer's low half is, in 4-byte units


def _narrow(values: array[int]) -> array[int]:
    """``values`` (8-byte integers) in the narrowest of B, H, I that holds every one; as they are when one is
    negative or needs more than 4 bytes. Only C loops: 50,000 values in well under a millisecond."""
    if values.typecode != _INT_CODE or not values:
        return values
    raw = memoryview(values).cast("B")
    count = len(values)
    for code, size in _NARROW:
        # the bytes above ``size`` must all be zero (unsigned, and no more than ``size`` bytes)
        high = range(size, 8) if _LOW == 0 else range(0, 8 - size)
        if all(bytes(raw[b::8]).count(0) == count for b in high):
            narrow = array(code)
            if size == 4:
                narrow.frombytes(bytes(raw.cast("I")[_LOW::2]))
            elif size == 2:
                narrow.frombytes(bytes(raw.cast("H")[(0 if _LOW == 0 else 3) :: 4]))
            else:
                narrow.frombytes(bytes(raw[(0 if _LOW == 0 else 7) :: 8]))
            return narrow
    return values


def _wide(values: array[int]) -> array[int]:
    """``values`` as 8-byte integers (the file's width)."""
    return values if values.typecode == _INT_CODE else array(_INT_CODE, values.tolist())


def _same_kind(part: array[int], into: array[int]) -> array[int] | list[int]:
    """``part`` as ``into.extend`` takes it (an array of another type is refused)."""
    return part if part.typecode == into.typecode else part.tolist()


@dataclass(init=False, repr=False, eq=False)
class Column(Frozen):
    """``kind``: ``int`` (64-bit), ``text``, or ``enum`` (a text with few distinct values, stored once)."""

    name: str
    kind: str

    def __init__(self, name: str, kind: str) -> None:
        fill(self, locals())


@dataclass(init=False, repr=False, eq=False)
class Layout(Frozen):
    """What an index holds. ``project(key, doc)`` gives one value per column, or None to leave a document out.

    Rows are sorted by the ``sort`` integer columns, largest first, then by key. Change ``version`` whenever
    ``project`` changes: index files of another version are rebuilt.
    """

    name: str
    version: int
    columns: tuple[Column, ...]
    sort: tuple[str, ...]
    project: Callable[[str, Doc], tuple[Any, ...] | None]

    def __init__(
        self,
        name: str,
        version: int,
        columns: tuple[Column, ...],
        sort: tuple[str, ...],
        project: Callable[[str, Doc], tuple[Any, ...] | None],
    ) -> None:
        fill(self, locals())


class _Ints:
    __slots__ = ("values",)

    def __init__(self, values: array[int]) -> None:
        self.values = values

    def get(self, i: int) -> int:
        return self.values[i]


class _Texts:
    """Texts packed in one UTF-8 blob, each followed by a NUL: ``offsets[i]`` is where text ``i`` starts."""

    __slots__ = ("offsets", "blob")

    def __init__(self, offsets: array[int], blob: bytes | memoryview) -> None:
        self.offsets, self.blob = offsets, blob

    def get(self, i: int) -> str:
        o = self.offsets
        return str(self.blob[o[i] : o[i + 1] - 1], "utf-8")

    def all(self) -> list[str]:
        """Every text, decoded in one pass (for a walk over the whole list)."""
        return str(self.blob, "utf-8").split("\0")[:-1] if len(self.blob) else []


class _Keys:
    """Document keys of 32 lowercase hexadecimal digits (the message store's), packed as 16 bytes each: a
    tenth of a list's memory at 50,000 messages was its keys as texts (37 bytes a row, now 16)."""

    __slots__ = ("blob",)
    SIZE = 16

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def get(self, i: int) -> str:
        return self.blob[16 * i : 16 * i + 16].hex()

    def all(self) -> list[str]:
        text = self.blob.hex()
        return [text[i : i + 32] for i in range(0, len(text), 32)]

    def find(self, key: str) -> int | None:
        packed = _pack([key])
        if packed is None:
            return None
        start = 0
        while (found := self.blob.find(packed, start)) >= 0:
            if found % 16 == 0:
                return found // 16
            start = found + 1
        return None


def _pack(keys: list[str]) -> bytes | None:
    """``keys`` as 16 bytes each, or None if one of them is not 32 lowercase hexadecimal digits."""
    if not all(len(k) == 32 for k in keys):
        return None
    joined = "".join(keys)
    try:
        packed = bytes.fromhex(joined)
    except ValueError:
        return None
    # fromhex also takes capitals and spaces: only keys it gives back the same are packed
    return packed if len(packed) == 16 * len(keys) and packed.hex() == joined else None


class _Enum:
    __slots__ = ("codes", "values")

    def __init__(self, codes: array[int], values: list[str]) -> None:
        self.codes, self.values = codes, values

    def get(self, i: int) -> str:
        return self.values[self.codes[i]]


class Table:
    """An immutable snapshot of an index: ``len(table)`` rows, read by position (0 is the newest)."""

    def __init__(
        self,
        layout: Layout,
        gen: int,
        bits: int,
        stamps: dict[int, Stamp],
        keys: _Keys | _Texts,
        shards: array[int],
        columns: dict[str, _Ints | _Texts | _Enum],
    ) -> None:
        self.layout = layout
        self.gen, self.bits, self.stamps = gen, bits, stamps
        self.keys, self.shards, self.columns = keys, shards, columns
        self._sort = [columns[name] for name in layout.sort]

    def __len__(self) -> int:
        return len(self.shards)

    def key(self, i: int) -> str:
        return self.keys.get(i)

    def column(self, name: str) -> _Ints | _Texts | _Enum:
        """Direct access for readers that build their own objects from a row (see core.mail.messages)."""
        return self.columns[name]

    def ints(self, name: str) -> array[int]:
        """The values of an ``int`` column, one a row (for readers that build their own objects)."""
        col = self.columns[name]
        if not isinstance(col, _Ints):
            raise TypeError(f"{name} is not an int column")
        return col.values

    def texts(self, name: str) -> _Texts:
        """A ``text`` column (``get(row)``, or ``all()`` decoded in one pass)."""
        col = self.columns[name]
        if not isinstance(col, _Texts):
            raise TypeError(f"{name} is not a text column")
        return col

    def codes(self, name: str) -> array[int]:
        """The codes of an ``enum`` column, one a row: indexes into ``enum_values(name)``."""
        col = self.columns[name]
        if not isinstance(col, _Enum):
            raise TypeError(f"{name} is not an enum column")
        return col.codes

    def value(self, name: str, i: int) -> Any:
        return self.columns[name].get(i)

    def position(self, key: str) -> int | None:
        """The row of document ``key`` (a scan of the packed keys, not a Python loop)."""
        if isinstance(self.keys, _Keys):
            return self.keys.find(key)
        needle, blob, offsets = key.encode("utf-8") + b"\0", self.keys.blob, self.keys.offsets
        if isinstance(blob, memoryview):  # _decode already makes the keys bytes, once
            blob = self.keys.blob = bytes(blob)
        start = 0
        while (found := blob.find(needle, start)) >= 0:
            # a match must be a whole key: the row whose text starts at ``found``
            row = bisect_right(offsets, found) - 1
            if offsets[row] == found:
                return row
            start = found + 1
        return None

    def rows_where(self, name: str, value: str) -> array[int]:
        """Positions (in order) of the rows whose ``enum`` column equals ``value``."""
        col = self.columns[name]
        if not isinstance(col, _Enum):
            raise TypeError(f"{name} is not an enum column")
        if value not in col.values:
            return array(_OFF_CODE)
        code = col.values.index(value)
        codes = col.codes
        if len(col.values) == 1:
            return array(_OFF_CODE, range(len(codes)))
        return array(_OFF_CODE, (i for i, c in enumerate(codes) if c == code))

    def enum_values(self, name: str) -> list[str]:
        """The distinct values an ``enum`` column holds (some may no longer be used by any row)."""
        col = self.columns[name]
        if not isinstance(col, _Enum):
            raise TypeError(f"{name} is not an enum column")
        return list(col.values)

    def sort_key(self, i: int) -> tuple[Any, ...]:
        return (*(c.get(i) for c in self._sort), self.keys.get(i))


def _empty(layout: Layout, gen: int, bits: int) -> Table:
    columns: dict[str, _Ints | _Texts | _Enum] = {}
    for col in layout.columns:
        if col.kind == INT:
            columns[col.name] = _Ints(array(_INT_CODE))
        elif col.kind == TEXT:
            columns[col.name] = _Texts(array(_OFF_CODE, [0]), b"")
        else:
            columns[col.name] = _Enum(array(_code_type(0)), [])
    return Table(layout, gen, bits, {}, _Keys(b""), array(_INT_CODE), columns)


# -- building: kept runs of the old table, plus fresh rows ---------------------------------------------------
# A fresh row: (*sort values, key, shard, values in column order). Rows sort as plain tuples: keys are unique,
# so comparing two rows never reaches the shard or the values.
_Fresh = tuple[Any, ...]
# A segment of the new table: a run (start, stop) of the old table's rows, or a list of fresh rows
_Segment = tuple[int, int] | list[_Fresh]


def _build(
    layout: Layout, old: Table, segments: list[_Segment], gen: int, bits: int, stamps: dict[int, Stamp]
) -> Table:
    """A new table from ``segments`` taken in order."""
    # fresh rows, column by column (one transposition per segment)
    transposed = {
        id(seg): list(zip(*(r[-1] for r in seg), strict=True)) for seg in segments if isinstance(seg, list)
    }
    shards = array(_INT_CODE)
    for seg in segments:
        shards.extend(
            _same_kind(old.shards[seg[0] : seg[1]], shards)
            if isinstance(seg, tuple)
            else [r[-2] for r in seg]
        )
    shards = _narrow(shards)
    keys = _build_keys(old.keys, segments)
    columns: dict[str, _Ints | _Texts | _Enum] = {}
    for index, col in enumerate(layout.columns):
        src = old.columns[col.name]
        if isinstance(src, _Ints):
            ints = array(_INT_CODE)
            for seg in segments:
                if isinstance(seg, tuple):
                    ints.extend(_same_kind(src.values[seg[0] : seg[1]], ints))
                else:
                    ints.extend(transposed[id(seg)][index])
            columns[col.name] = _Ints(_narrow(ints))
        elif isinstance(src, _Texts):
            texts = _TextBuilder()
            for seg in segments:
                if isinstance(seg, tuple):
                    texts.copy(src, *seg)
                else:
                    texts.extend(transposed[id(seg)][index])
            columns[col.name] = texts.done()
        else:
            values = list(src.values)
            lookup = {v: c for c, v in enumerate(values)}
            for seg in segments:  # the new values first: they decide how wide the codes are
                if isinstance(seg, list):
                    for value in dict.fromkeys(transposed[id(seg)][index]).keys() - lookup.keys():
                        lookup[value] = len(values)
                        values.append(value)
            codes = array(_code_type(len(values)))
            for seg in segments:
                if isinstance(seg, list):
                    codes.extend(map(lookup.__getitem__, transposed[id(seg)][index]))
                elif src.codes.typecode == codes.typecode:
                    codes.extend(src.codes[seg[0] : seg[1]])
                else:  # the column has just grown past 256 (or 65,536) values: its old codes widen
                    codes.extend(iter(src.codes[seg[0] : seg[1]]))
            columns[col.name] = _Enum(codes, values)
    return Table(layout, gen, bits, stamps, keys, shards, columns)


def _build_keys(old: _Keys | _Texts, segments: list[_Segment]) -> _Keys | _Texts:
    """The new table's keys: packed while every key is 32 hexadecimal digits, as texts otherwise."""
    fresh = {id(seg): _pack([r[-3] for r in seg]) for seg in segments if isinstance(seg, list)}
    if isinstance(old, _Keys) and None not in fresh.values():
        pieces: list[bytes | memoryview] = []
        for seg in segments:
            if isinstance(seg, tuple):
                pieces.append(memoryview(old.blob)[16 * seg[0] : 16 * seg[1]])
            else:
                pieces.append(fresh[id(seg)] or b"")
        return _Keys(b"".join(pieces))
    texts = _TextBuilder()
    for seg in segments:
        if isinstance(seg, list):
            texts.extend([r[-3] for r in seg])
        elif isinstance(old, _Texts):
            texts.copy(old, *seg)
        else:  # a key that is not hexadecimal joins a packed list: its keys become texts
            texts.extend(map(old.get, range(*seg)))
    return texts.done()


class _TextBuilder:
    def __init__(self) -> None:
        self.pieces: list[bytes | memoryview] = []
        self.offsets = array(_OFF_CODE, [0])
        self.size = 0

    def extend(self, texts: Iterable[str]) -> None:
        encoded = list(map(str.encode, texts))
        blob = b"\0".join(encoded) + b"\0"
        if blob.count(0) != len(encoded):  # a NUL ends a text here: NULs inside a text become U+FFFD
            encoded = [e.replace(b"\0", "\ufffd".encode()) for e in encoded]
            blob = b"\0".join(encoded) + b"\0"
        if not encoded:
            return
        self.pieces.append(blob)
        # each text ends one byte (its NUL) after the sum of the lengths so far: all in C iterators
        base = self.size + 1
        self.offsets.extend(map(add, accumulate(map(len, encoded)), range(base, base + len(encoded))))
        self.size = self.offsets[-1]

    def copy(self, src: _Texts, a: int, b: int) -> None:
        if a >= b:
            return
        o = src.offsets
        start = o[a]
        self.pieces.append(memoryview(src.blob)[start : o[b]])  # copied once, by ``done``
        self.offsets.extend(map(add, o[a + 1 : b + 1], repeat(self.size - start)))
        self.size += o[b] - start

    def done(self) -> _Texts:
        return _Texts(self.offsets, b"".join(self.pieces))


# -- the file ----------------------------------------------------------------------------------------------
def _encode(table: Table) -> list[bytes | memoryview]:
    """The file's plaintext, in pieces (never joined: ``Vault.seal_pieces`` encrypts them one by one)."""
    sections: list[bytes | memoryview] = []
    cols: list[dict[str, Any]] = []

    def add(*parts: bytes | memoryview) -> list[int]:
        sections.extend(parts)
        return [len(p) for p in parts]

    keys = table.keys
    keys_len = add(keys.blob) if isinstance(keys, _Keys) else add(keys.offsets.tobytes(), keys.blob)
    shards_len = add(_wide(table.shards).tobytes())
    for col in table.layout.columns:
        data = table.columns[col.name]
        if isinstance(data, _Ints):
            cols.append({"name": col.name, "kind": INT, "len": add(_wide(data.values).tobytes())})
        elif isinstance(data, _Texts):
            cols.append({"name": col.name, "kind": TEXT, "len": add(data.offsets.tobytes(), data.blob)})
        else:
            cols.append(
                {
                    "name": col.name,
                    "kind": ENUM,
                    "len": add(data.codes.tobytes()),
                    "values": data.values,
                    "code": data.codes.typecode,
                }
            )
    header = {
        "format": FORMAT,
        "layout": [table.layout.name, table.layout.version],
        "byteorder": sys.byteorder,
        "gen": table.gen,
        "bits": table.bits,
        "n": len(table),
        "stamps": [[i, *s] for i, s in sorted(table.stamps.items())],
        "keys": keys_len,
        "packed_keys": isinstance(keys, _Keys),
        "shards": shards_len,
        "columns": cols,
    }
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return [MAGIC, len(head).to_bytes(4, "little"), head, *sections]


def _decode(layout: Layout, plain: bytes) -> Table:
    """Raise ValueError/KeyError/TypeError on anything unexpected: the caller rebuilds."""
    if plain[:4] != MAGIC:
        raise ValueError("not an index")
    size = int.from_bytes(plain[4:8], "little")
    header = json.loads(plain[8 : 8 + size])
    if (
        header["format"] != FORMAT
        or header["layout"] != [layout.name, layout.version]
        or header["byteorder"] != sys.byteorder
        or [(c["name"], c["kind"]) for c in header["columns"]] != [(c.name, c.kind) for c in layout.columns]
    ):
        raise ValueError("another index version")
    pos = 8 + size
    n = int(header["n"])

    # every column is copied out of the decrypted file, which is then let go: texts kept as views of it kept
    # the whole file alive, its integer columns (already copied into arrays) a second time: at 50,000
    # messages some 5 MB for as long as the list is open
    view = memoryview(plain)

    def take(length: int) -> memoryview:
        nonlocal pos
        chunk = view[pos : pos + length]
        if len(chunk) != length:
            raise ValueError("truncated index")
        pos += length
        return chunk

    def numbers(code: str, length: int, count: int) -> array[int]:
        values = array(code)
        values.frombytes(take(length))
        if len(values) != count:
            raise ValueError("column length")
        return values

    def texts(lengths: list[int]) -> _Texts:
        offsets = numbers(_OFF_CODE, lengths[0], n + 1)
        blob = bytes(take(lengths[1]))
        if offsets[-1] != len(blob) or (blob and blob[-1] != 0):
            raise ValueError("text column length")
        return _Texts(offsets, blob)

    keys: _Keys | _Texts
    if header["packed_keys"] is True:
        keys = _Keys(bytes(take(header["keys"][0])))
        if len(keys.blob) != 16 * n:
            raise ValueError("keys length")
    else:
        keys = texts(header["keys"])
    shards = _narrow(numbers(_INT_CODE, header["shards"][0], n))
    columns: dict[str, _Ints | _Texts | _Enum] = {}
    for col in header["columns"]:
        if col["kind"] == INT:
            columns[col["name"]] = _Ints(_narrow(numbers(_INT_CODE, col["len"][0], n)))
        elif col["kind"] == TEXT:
            columns[col["name"]] = texts(col["len"])
        else:
            values = [str(v) for v in col["values"]]
            if col["code"] != _code_type(len(values)):
                raise ValueError("enum code width")
            codes = numbers(_code_type(len(values)), col["len"][0], n)
            if codes and max(codes) >= len(values):
                raise ValueError("enum code out of range")
            columns[col["name"]] = _Enum(codes, values)
    if pos != len(plain):
        raise ValueError("trailing bytes")
    stamps = {int(i): (int(m), int(s)) for i, m, s in header["stamps"]}
    return Table(layout, int(header["gen"]), int(header["bits"]), stamps, keys, shards, columns)


class ListIndex:
    """The ``layout`` index of one sharded collection, stored as ``index-<name>.mdb`` in its folder."""

    def __init__(self, collection: ShardedCollection, layout: Layout) -> None:
        self.collection = collection
        self.layout = layout
        self.vault = collection.vault
        self.path: Path = collection.folder / f"index-{layout.name}.mdb"
        self._logical = f"db/{collection.name}/{self.path.name}"
        self._table: Table | None = None
        self._lock = threading.Lock()
        self._shared_texts: dict[str, str] = {}

    def table(self) -> Table:
        """The index, in step with the shards as they are on disk now."""
        with self._lock:
            if self._table is None:
                self._table = self._load()
            for _ in range(5):
                try:
                    return self._refresh(self._table)
                except ShardsMoved:
                    continue  # a split happened while reading: start again on the new generation
            with self.collection.lock.held():  # splits keep coming: read with writers held off
                return self._refresh(self._table)

    def _load(self) -> Table | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("list index %s unreadable (%s): rebuilt", self._logical, type(exc).__name__)
            return None
        try:
            return _decode(self.layout, self.vault.unseal(raw, self._logical, self.path))
        except (StoreCorrupted, ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("list index %s not usable (%s): rebuilt", self._logical, type(exc).__name__)
            return None

    def _refresh(self, table: Table | None) -> Table:
        gen, bits, disk = self.collection.shard_stamps()
        if table is None or (table.gen, table.bits) != (gen, bits):
            old, changed = _empty(self.layout, gen, bits), set(disk)
        else:
            old = table
            changed = {i for i in disk.keys() | table.stamps.keys() if disk.get(i) != table.stamps.get(i)}
            if not changed:
                return table
        # Shards are taken a batch at a time, each batch merged into the table built so far: a rebuild from
        # 50,000 documents then never holds more than a batch's rows besides the table.
        batch: list[int] = []
        fresh: list[_Fresh] = []
        read: dict[int, Stamp] = {}
        for n, index in enumerate(sorted(changed), 1):
            batch.append(index)
            if index in disk:  # else the shard file is gone: its rows go with it
                stamp, docs = self.collection.read_shard(gen, index)
                if stamp is not None:
                    read[index] = stamp
                fresh.extend(self._project(index, docs.items()))
                del docs
            if len(fresh) < BATCH_ROWS and n < len(changed):
                continue
            stamps = {i: s for i, s in old.stamps.items() if i not in batch}
            stamps.update(read)
            fresh.sort(reverse=True)
            old = _build(self.layout, old, self._segments(old, set(batch), fresh), gen, bits, stamps)
            batch, fresh, read = [], [], {}
        self._shared_texts.clear()
        self._table = old
        self._save(old)
        return old

    def _project(self, shard: int, docs: Iterable[tuple[str, Doc]]) -> list[_Fresh]:
        out: list[_Fresh] = []
        names = [c.name for c in self.layout.columns]
        sort_at = [names.index(n) for n in self.layout.sort]
        # a rebuild holds every row at once: texts with few values (folders, flags) are kept once, not per row
        shared = [i for i, c in enumerate(self.layout.columns) if c.kind == ENUM]
        seen = self._shared_texts
        project = self.layout.project
        add = out.append
        for key, doc in docs:
            values = project(key, doc)
            if values is None:
                continue
            if shared:
                row = list(values)
                for i in shared:
                    text = row[i]
                    row[i] = seen.setdefault(text, text)
                values = tuple(row)
            else:
                values = tuple(values)
            if len(sort_at) == 2:  # the usual (the list's date and UID): no generator a row
                add((values[sort_at[0]], values[sort_at[1]], key, shard, values))
            else:
                add((*(values[i] for i in sort_at), key, shard, values))
        return out

    @staticmethod
    def _segments(old: Table, changed: set[int], fresh: list[_Fresh]) -> list[_Segment]:
        """Old rows not from a changed shard, in runs, with the fresh rows placed by their sort key."""
        segments: list[_Segment] = []
        n = len(old)
        shards = old.shards
        keeps_all = changed.isdisjoint(old.stamps)  # rows only come from shards the table has a stamp for

        def kept(a: int, b: int) -> None:
            if keeps_all:
                if a < b:
                    segments.append((a, b))
                return
            run = a
            for i in range(a, b):
                if shards[i] in changed:
                    if run < i:
                        segments.append((run, i))
                    run = i + 1
            if run < b:
                segments.append((run, b))

        def place(row: _Fresh) -> None:
            if segments and isinstance(segments[-1], list):
                segments[-1].append(row)
            else:
                segments.append([row])

        # the first sort column's integers, compared without building a row's sort key (its tuple is
        # only needed on a tie): a first sync's refresh made about 86,000 of them for 10,000 messages
        first = old._sort[0] if old._sort else None
        firsts = first.values if isinstance(first, _Ints) else None
        cursor = 0
        for row in fresh:
            # first old row that sorts after ``row`` (rows are in decreasing order)
            lo, hi = cursor, n
            target = row[:-2]
            while lo < hi:
                mid = (lo + hi) // 2
                if firsts is not None and firsts[mid] != target[0]:
                    after = firsts[mid] > target[0]
                else:
                    after = old.sort_key(mid) > target
                if after:
                    lo = mid + 1
                else:
                    hi = mid
            kept(cursor, lo)
            place(row)
            cursor = lo
        kept(cursor, n)
        return segments

    def _save(self, table: Table) -> None:
        """Best effort: the index is a cache of the shards, so a failed write only costs a rebuild later."""
        try:
            atomic_write(self.path, self.vault.seal_pieces(_encode(table), self._logical), durable=False)
        except OSError as exc:
            log.warning("list index %s not saved (%s)", self._logical, type(exc).__name__)
