"""A folder's UIDs and their server flags, kept compactly: what a sync must remember of every message.

A dict of one list per UID costs about 150 bytes a message in Python objects (the int, the list, the dict
slot, the flag strings), all long-lived and scattered among the sync's short-lived ones, so the C library
cannot give their pages back. Here the UIDs are one sorted ``array('I')`` and each UID's flags one code in
a parallel array, the code naming a flag set kept once (a folder has a handful of distinct sets: none,
``\\Seen``, ``\\Seen \\Answered``...): about 8 bytes a message.

Saved as two zlib-compressed, base64 arrays (the steps between UIDs, the codes) and the list of flag sets: a 10,000-message folder's state is a
few kilobytes of JSON to write after each stored batch, not 10,000 lists to build, encode and parse.
"""

from __future__ import annotations

import base64
import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from itertools import accumulate
from operator import sub
from typing import Any

FORMAT = 1  # of the saved form (``to_json``)


class UidFlags(MutableMapping[int, list[str]]):
    """``{uid: flags}``, ascending by UID; a flags list read from it is a fresh copy."""

    __slots__ = ("_uids", "_codes", "_sets", "_code_of")

    def __init__(self, items: Mapping[int, Iterable[str]] | Iterable[tuple[int, Iterable[str]]] = ()) -> None:
        self._uids = array("I")
        self._codes = array("I")
        self._sets: list[tuple[str, ...]] = []
        self._code_of: dict[tuple[str, ...], int] = {}
        self.update(items)

    # -- flag sets ------------------------------------------------------------------------------------------
    def _code(self, flags: Iterable[str]) -> int:
        key = tuple(flags)
        code = self._code_of.get(key)
        if code is None:
            code = self._code_of[key] = len(self._sets)
            self._sets.append(tuple(sys.intern(f) for f in key))
        return code

    def _find(self, uid: int) -> int:
        """The position of ``uid``, or -1."""
        i = bisect_left(self._uids, uid)
        return i if i < len(self._uids) and self._uids[i] == uid else -1

    # -- mapping --------------------------------------------------------------------------------------------
    def __getitem__(self, uid: int) -> list[str]:
        i = self._find(uid) if isinstance(uid, int) else -1
        if i < 0:
            raise KeyError(uid)
        return list(self._sets[self._codes[i]])

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, int) and self._find(uid) >= 0

    def __setitem__(self, uid: int, flags: Iterable[str]) -> None:
        code = self._code(flags)
        uids = self._uids
        if not uids or uid > uids[-1]:  # a new message: after every other
            uids.append(uid)
            self._codes.append(code)
            return
        i = bisect_left(uids, uid)
        if uids[i] == uid:
            self._codes[i] = code
        else:
            uids.insert(i, uid)
            self._codes.insert(i, code)

    def __delitem__(self, uid: int) -> None:
        i = self._find(uid) if isinstance(uid, int) else -1
        if i < 0:
            raise KeyError(uid)
        del self._uids[i]
        del self._codes[i]

    def __iter__(self) -> Iterator[int]:
        return iter(self._uids[:])  # a copy: the map may change while a caller walks it

    def __len__(self) -> int:
        return len(self._uids)

    def __repr__(self) -> str:
        return f"UidFlags({dict(self.items())!r})"

    def update(self, other: Any = (), /, **kw: Any) -> None:
        """Set flags of many UIDs; new UIDs above every known one (a sync's batch) are appended in one go."""
        pairs = other.items() if isinstance(other, Mapping) else other
        for uid, flags in pairs:
            self[int(uid)] = flags
        for uid, flags in kw.items():
            self[int(uid)] = flags

    def discard_many(self, uids: Iterable[int]) -> int:
        """Drop these UIDs (those known); how many were. One pass, whatever their number."""
        gone = {u for u in uids if u in self}
        if not gone:
            return 0
        keep = [i for i, u in enumerate(self._uids) if u not in gone]
        self._uids = array("I", (self._uids[i] for i in keep))
        self._codes = array("I", (self._codes[i] for i in keep))
        return len(gone)

    # -- saved form -----------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        used = sorted(set(self._codes))  # flag sets no UID has any more are not saved
        renumber = {code: n for n, code in enumerate(used)}
        codes = (
            self._codes
            if used == list(range(len(used)))
            else array("I", map(renumber.__getitem__, self._codes))
        )
        return {
            "format": FORMAT,
            "uids": _pack(
                _deltas(self._uids)
            ),  # ascending UIDs: their steps, mostly 1, pack to almost nothing
            "codes": _pack(codes),
            "sets": [list(self._sets[code]) for code in used],
        }

    @classmethod
    def from_json(cls, saved: Any) -> UidFlags:
        """The map saved by ``to_json``, or by older versions: ``{"uid": flags}`` or ``[uids, flags]``."""
        out = cls()
        if not saved:
            return out
        if isinstance(saved, dict) and "format" in saved:
            if saved["format"] != FORMAT:
                raise ValueError("unknown format of a folder's UIDs")
            uids, codes = array("I", accumulate(_unpack(saved["uids"]))), _unpack(saved["codes"])
            sets = [tuple(sys.intern(str(f)) for f in s) for s in saved["sets"]]
            if len(uids) != len(codes) or (codes and max(codes) >= len(sets)):
                raise ValueError("inconsistent UIDs of a folder")
            out._uids, out._codes, out._sets = uids, codes, sets
            out._code_of = {s: n for n, s in enumerate(sets)}
            return out
        if isinstance(saved, dict):  # {"uid": flags}
            out.update(sorted((int(k), list(v)) for k, v in saved.items()))
            return out
        uids_list, flags = saved
        out.update(sorted(zip(map(int, uids_list), map(list, flags), strict=True)))
        return out


def _deltas(uids: array[int]) -> array[int]:
    out = array("I", uids[:1])
    out.extend(map(sub, uids[1:], uids))
    return out


def _pack(values: array[int]) -> str:
    data = values
    if sys.byteorder != "little":
        data = array("I", values)
        data.byteswap()
    return base64.b64encode(zlib.compress(data.tobytes(), 1)).decode("ascii")


def _unpack(text: str) -> array[int]:
    out = array("I")
    out.frombytes(zlib.decompress(base64.b64decode(text)))
    if sys.byteorder != "little":
        out.byteswap()
    return out
