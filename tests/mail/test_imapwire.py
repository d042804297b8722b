"""FETCH literal assembly and the other IMAP answer readers, on lines shaped as aioimaplib returns them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import TransportError
from core.mail.imapwire import (
    ResponseStream,
    Tagged,
    _fetch_fast,
    parse_fetch,
    parse_fetch_group,
    parse_list,
    parse_search,
    parse_status,
    uid_set,
)


def test_fetch_literals_are_assembled_per_message() -> None:
    body1 = b"Subject: a\r\n\r\nline {5}\r\n)\r\n"
    body2 = b"Subject: b\r\n\r\nx\r\n"
    lines = [
        b"1 FETCH (UID 7 FLAGS (\\Seen $Filed) RFC822.SIZE 30 BODY[] {%d}" % len(body1),
        bytearray(body1),
        b")",
        b"2 FETCH (UID 9 MODSEQ (44) FLAGS () BODY[] {%d}" % len(body2),
        bytearray(body2),
        b")",
        b"Fetch completed (0.001 + 0.000 secs).",
    ]
    first, second = parse_fetch(lines)
    assert first["UID"] == 7 and first["FLAGS"] == ("\\Seen", "$Filed") and first["BODY[]"] == body1
    assert first["RFC822.SIZE"] == 30
    assert (
        second["UID"] == 9 and second["MODSEQ"] == 44 and second["BODY[]"] == body2 and second["FLAGS"] == ()
    )


def test_fetch_with_flags_after_the_literal() -> None:
    body = b"x" * 10
    lines = [b"3 FETCH (UID 3 BODY[] {10}", bytearray(body), b" FLAGS (\\Answered))", b"done"]
    (msg,) = parse_fetch(lines)
    assert msg["BODY[]"] == body and msg["FLAGS"] == ("\\Answered",)


def test_a_literal_of_the_wrong_size_is_a_transport_error() -> None:
    with pytest.raises(TransportError):
        parse_fetch([b"1 FETCH (UID 1 BODY[] {10}", bytearray(b"short"), b")", b"done"])


def test_fetch_numbers_from_a_hostile_server() -> None:
    # MODSEQ (NIL) once raised a TypeError, a UID that is not a number a ValueError, out of the sync
    (msg,) = parse_fetch([b"1 FETCH (UID 5 MODSEQ (NIL) FLAGS ())", b"done"])
    assert msg["UID"] == 5 and msg["MODSEQ"] == 0
    for bad in (b"UID abc", b"UID -1", b"UID 5 RFC822.SIZE 1e3", b"UID 5 MODSEQ (x7)"):
        with pytest.raises(TransportError):
            parse_fetch([b"1 FETCH (" + bad + b" FLAGS ())", b"done"])


def test_a_body_or_flags_of_another_kind_is_a_transport_error() -> None:
    # BODY[] as an atom or a list, FLAGS as an atom: the atom's text (or the list) went into the sync as the
    # letter, which failed with a TypeError ("erreur interne") at every sync of the account
    for bad in (b"BODY[] abc", b"BODY[] (a b)", b"FLAGS \\Seen BODY[] NIL", b"BODY[] 12"):
        with pytest.raises(TransportError):
            parse_fetch([b"1 FETCH (UID 5 " + bad + b")", b"done"])
        (group,) = ResponseStream().feed(b"* 1 FETCH (UID 5 " + bad + b")\r\n")
        with pytest.raises(TransportError):
            parse_fetch_group(group)
    (msg,) = parse_fetch([b"1 FETCH (UID 5 FLAGS () BODY[] NIL)", b"done"])
    assert msg["BODY[]"] is None and msg["FLAGS"] == ()
    (msg,) = parse_fetch([b'1 FETCH (UID 5 BODY[] "a\\"b")', b"done"])
    assert msg["BODY[]"] == b'a"b'


def test_list_and_search() -> None:
    lines = [
        b'(\\HasNoChildren \\Sent) "/" Sent',
        b'(\\Noselect) "/" "Dossiers partag\\"s"',
        b"List completed.",
    ]
    assert parse_list(lines) == [
        (("\\HasNoChildren", "\\Sent"), "Sent"),
        (("\\Noselect",), 'Dossiers partag"s'),
    ]
    assert parse_search([b"3 1 2", b"Search completed"]) == [1, 2, 3]
    assert parse_search([b"Search completed"]) == []


def test_list_status_lines_give_each_folders_numbers() -> None:
    lines = [
        b'(\\HasNoChildren) "/" INBOX',
        b"STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 1700 HIGHESTMODSEQ 12)",
        b'STATUS "Pi\\"ces jointes" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 1701 HIGHESTMODSEQ 1)',
        b"STATUS Sent (MESSAGES x UIDNEXT 1)",  # not a number: left out of that folder's numbers
        b"STATUS Broken (MESSAGES 1",  # cut: the folder is left out (it is selected as before)
        b"List completed.",
    ]
    assert parse_status(lines) == {
        "INBOX": {"MESSAGES": 3, "UIDNEXT": 4, "UIDVALIDITY": 1700, "HIGHESTMODSEQ": 12},
        'Pi"ces jointes': {"MESSAGES": 0, "UIDNEXT": 1, "UIDVALIDITY": 1701, "HIGHESTMODSEQ": 1},
        "Sent": {"UIDNEXT": 1},
    }
    assert [name for _, name in parse_list(lines)] == ["INBOX"]  # the LIST lines read as before


@given(st.sets(st.integers(min_value=1, max_value=5000), min_size=1, max_size=300))
def test_uid_set_round_trips(uids: set[int]) -> None:
    text = uid_set(sorted(uids))
    back: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.partition(":")
        back.update(range(int(lo), int(hi or lo) + 1))
    assert back == uids


@given(st.binary(max_size=300))
def test_fetch_parser_never_crashes_on_garbage(blob: bytes) -> None:
    lines = [b"1 FETCH (UID 1 BODY[] {%d}" % len(blob), bytearray(blob), b")", b"done"]
    (msg,) = parse_fetch(lines)
    assert msg["BODY[]"] == blob


# -- the raw response stream of a bulk FETCH ------------------------------------------------------------------
def _wire(bodies: list[bytes], tag: str = "A7") -> bytes:
    out = bytearray()
    for n, body in enumerate(bodies, 1):
        out += b"* %d FETCH (UID %d MODSEQ (%d) FLAGS (\\Seen) RFC822.SIZE %d BODY[] {%d}\r\n" % (
            n,
            100 + n,
            5 + n,
            len(body),
            len(body),
        )
        out += body + b")\r\n"
        if n == 1:
            out += b"* 9 EXISTS\r\n"
    out += tag.encode() + b" OK Fetch completed.\r\n"
    return bytes(out)


def _read(stream: ResponseStream, data: bytes, cuts: list[int]) -> list:
    out: list = []
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        out += stream.feed(data[start:cut])
        start = cut
    return out


BODIES = [b"Subject: a\r\n\r\nline {5}\r\n)\r\n", b"", b"x\r\n* 2 FETCH (UID 9 BODY[] {3}\r\n", b"\r\n" * 40]


def test_the_stream_gives_whole_responses_and_the_tagged_end() -> None:
    out = _read(ResponseStream(), _wire(BODIES), [])
    fetches = [parse_fetch_group(g) for g in out if not isinstance(g, Tagged) and b"FETCH" in g[0]]
    assert [f["BODY[]"] for f in fetches] == BODIES
    assert [f["UID"] for f in fetches] == [101, 102, 103, 104]
    assert fetches[0]["FLAGS"] == ("\\Seen",) and fetches[0]["MODSEQ"] == 6
    assert [b"9 EXISTS"] in out
    assert out[-1] == Tagged("A7", "OK", "Fetch completed.")


@given(st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_the_stream_reads_the_same_however_the_network_cuts_it(cuts: list[int]) -> None:
    data = _wire(BODIES)
    assert _read(ResponseStream(), data, [c for c in cuts if c < len(data)]) == _read(
        ResponseStream(), data, []
    )


def test_the_stream_reads_the_same_byte_by_byte_and_split_inside_every_crlf() -> None:
    data = _wire(BODIES)
    whole = _read(ResponseStream(), data, [])
    assert _read(ResponseStream(), data, list(range(1, len(data)))) == whole
    inside_crlf = [i + 1 for i in range(len(data) - 1) if data[i : i + 2] == b"\r\n"]
    assert _read(ResponseStream(), data, inside_crlf) == whole


def test_a_literal_that_arrives_whole_is_not_kept_and_an_unfinished_one_is() -> None:
    stream = ResponseStream()
    data = _wire(BODIES[:1])
    cut = data.index(b"line")  # inside the first literal
    assert stream.feed(data[:cut]) == []
    assert stream.pending == data[data.index(b"}\r\n") + 3 : cut]  # the literal's first bytes, kept
    out = stream.feed(data[cut:])
    assert stream.pending == b""
    assert parse_fetch_group(out[0])["BODY[]"] == BODIES[0]


def test_bytes_after_the_last_response_stay_pending() -> None:
    stream = ResponseStream()
    out = stream.feed(_wire(BODIES[:1]) + b"* 3 EXPUNGE\r\n* 4 FE")
    assert out[-1] == [b"3 EXPUNGE"]
    assert stream.pending == b"* 4 FE"


flag = st.sampled_from(["\\Seen", "\\Recent", "\\Flagged", "\\Deleted", "\\Draft", "$Filed", "$Label1"])


@given(
    st.lists(flag, unique=True, max_size=4),
    st.one_of(st.none(), st.integers(min_value=1, max_value=2**40)),
    st.permutations(["uid", "flags", "size", "modseq"]),
    st.binary(max_size=60),
)
def test_the_fast_reading_of_a_fetch_is_the_general_one(flags, modseq, order, body) -> None:
    items = {
        "uid": b"UID 42",
        "flags": b"FLAGS (" + " ".join(flags).encode() + b")",
        "size": b"RFC822.SIZE %d" % len(body),
        "modseq": b"MODSEQ (%d)" % modseq if modseq is not None else b"",
    }
    head = b"3 FETCH (" + b" ".join(items[k] for k in order if items[k]) + b" BODY[] {%d}" % len(body)
    group = [head, body, b")"]
    (general,) = parse_fetch(group)
    assert _fetch_fast(group) == general  # not only equal through its fallback: the fast reading itself
    assert general["UID"] == 42 and general["BODY[]"] == body and general["FLAGS"] == tuple(flags)


@pytest.mark.parametrize(
    "head",
    [
        b"1 FETCH (UID 1 FLAGS () RFC822.SIZE 6391 BODY[] {3}",  # the shape of Dovecot's own line
        b"7 FETCH (UID 12 MODSEQ (5) FLAGS (\\Seen $Filed) RFC822.SIZE 3 BODY[] {3}",
        b"7 FETCH (UID 12 FLAGS (\\Seen) MODSEQ (5) RFC822.SIZE 3 BODY[] {3}",
    ],
)
def test_the_usual_fetch_line_is_read_by_one_pattern(head: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """The items in the order the bulk FETCH asks them are read by one pattern, as the general reader reads
    them (the two-pattern reading of any order, 3 us a letter, is not needed for them)."""
    import core.mail.imapwire as imapwire

    group = [head, b"abc", b")"]
    (general,) = parse_fetch(group)
    monkeypatch.setattr(imapwire, "_FAST_HEAD", re.compile(rb"(?!)"))  # the any-order reading finds nothing
    assert _fetch_fast(group) == general


def test_a_fetch_of_another_shape_is_read_by_the_general_reader() -> None:
    group = [b"5 FETCH (UID 8 BODY[] {3}", b"abc", b' FLAGS (\\Seen) X-GM-LABELS ("a b"))']
    assert parse_fetch_group(group) == {
        "SEQ": 5,
        "UID": 8,
        "BODY[]": b"abc",
        "FLAGS": ("\\Seen",),
        "X-GM-LABELS": [b"a b"],
    }
    assert parse_fetch_group([b"5 EXPUNGE"]) is None
