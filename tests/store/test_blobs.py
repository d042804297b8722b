"""Blobs: one file each, or a batch in one pack; read back whole, encrypted, never swapped, deleted member by
member, the pack going with its last member."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from core.errors import NotFound, StoreCorrupted
from core.store.atomic import write_many
from core.store.profile import Profile

MESSAGES = [f"Résultat {i} : hémoglobine {i}".encode() * (1 + i * 40) for i in range(7)]


def test_a_pack_gives_back_each_message_and_holds_no_plaintext(profile: Profile) -> None:
    blobs = profile.blobs
    ids = blobs.put_many(MESSAGES)
    assert len(set(ids)) == len(ids) and len({i.split(".")[0] for i in ids}) == 1
    assert [blobs.get(i) for i in reversed(ids)] == list(reversed(MESSAGES))
    files = [f for f in (profile.path / "blobs").rglob("*") if f.is_file()]
    assert len(files) == 1  # one file, one folder to fsync, for the whole batch
    assert "hémoglobine".encode() not in files[0].read_bytes()
    (single,) = blobs.put_many([b"seul"])
    assert "." not in single and blobs.get(single) == b"seul"


def test_members_cannot_be_swapped_or_read_past_the_pack(profile: Profile) -> None:
    blobs = profile.blobs
    ids = blobs.put_many(MESSAGES[:3])
    pack = blobs._path(ids[0])
    data = bytearray(pack.read_bytes())
    # swap the offsets of members 0 and 1: each now points at the other's bytes
    o0, o1, o2 = struct.unpack_from("<QQQ", data, 8)
    struct.pack_into("<QQQ", data, 8, o1, o1 + (o1 - o0), o2)
    pack.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupted):
        blobs.get(ids[1])
    with pytest.raises(NotFound):
        blobs.get(ids[0].split(".")[0] + ".9")
    with pytest.raises(NotFound):
        blobs.get("../../etc/passwd")


def test_the_pack_goes_with_its_last_member(profile: Profile) -> None:
    blobs = profile.blobs
    ids = blobs.put_many(MESSAGES[:3])
    pack = blobs._path(ids[0])
    assert blobs.delete(ids[1]) and not blobs.delete(ids[1])
    assert not blobs.exists(ids[1]) and blobs.exists(ids[0])
    assert blobs.get(ids[2]) == MESSAGES[2]
    again = Profile.open(
        profile.path, "correct horse battery staple"
    ).blobs  # the record of deletions is on disk
    assert again.delete_many([ids[0], ids[2], ids[1]]) == 2
    assert not pack.exists() and not list(pack.parent.glob("*.dead"))
    with pytest.raises(NotFound):
        blobs.get(ids[0])


def test_clean_removes_what_a_crash_left(profile: Profile) -> None:
    blobs = profile.blobs
    ids = blobs.put_many(MESSAGES[:2])
    blobs.delete(ids[0])
    pack = blobs._path(ids[0])
    pack.unlink()  # as if the crash came after the pack went, before its record of deletions did
    (pack.parent / ".half.part").write_bytes(b"x")
    blobs.clean()
    assert not (profile.path / "blobs" / pack.parent.name).exists()


def test_write_many_writes_every_file_or_says_why(tmp_path: Path) -> None:
    files = [(tmp_path / f"d{i % 3}" / f"f{i}", os.urandom(100 + i)) for i in range(12)]
    write_many(files)
    assert all(path.read_bytes() == data for path, data in files)
    (tmp_path / "plain").write_bytes(b"")
    with pytest.raises(OSError):
        write_many([(tmp_path / "ok", b"1"), (tmp_path / "plain" / "under-a-file", b"2")])
    assert not list(tmp_path.rglob("*.part"))


def test_write_many_reads_a_generator_as_it_writes(tmp_path: Path) -> None:
    """A docstore split hands its shards one at a time: every one is written, and a failure reading them
    is raised once the writes already started are done."""
    wanted = {tmp_path / "g" / f"s{i}": os.urandom(50 + i) for i in range(30)}
    write_many(iter(wanted.items()))
    assert all(path.read_bytes() == data for path, data in wanted.items())

    def broken():
        yield tmp_path / "h" / "first", b"1"
        raise OSError("disque")

    with pytest.raises(OSError, match="disque"):
        write_many(broken())
    assert (tmp_path / "h" / "first").read_bytes() == b"1"
    assert not list(tmp_path.rglob("*.part"))


def test_a_pack_is_written_from_its_pieces(profile: Profile) -> None:
    """The pack is written member after member, never joined: each reads back, and its file is the pack
    layout (magic, count, offsets) followed by the members in order."""
    sealed = profile.blobs.seal_many(MESSAGES)
    assert len(sealed.chunks) == 2 * len(MESSAGES) + 1  # the head, then each member's prefix and ciphertext
    profile.blobs.put_sealed(sealed)
    assert sealed.path is not None and sealed.path.read_bytes() == b"".join(sealed.chunks)
    assert [profile.blobs.get(i) for i in sealed.ids] == MESSAGES


def test_pieces_cut_short_by_the_kernel_are_written_whole(tmp_path, monkeypatch) -> None:
    """A write of pieces goes on where a short write stopped, inside a piece or between two."""
    import os

    from core.store import atomic

    real = os.writev

    def short(fd: int, buffers) -> int:
        return real(fd, [bytes(buffers[0])[:7]])  # at most 7 bytes of the first piece per call

    monkeypatch.setattr(atomic.os, "writev", short)
    pieces = [b"abc", b"", b"defghijklmnop", b"q" * 20, b"r"]
    path = tmp_path / "f"
    atomic.atomic_write(path, pieces)
    assert path.read_bytes() == b"".join(pieces)
