"""FETCH literal assembly and the other IMAP answer readers, on lines shaped as aioimaplib returns them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import TransportError
from core.mail.imapwire import parse_fetch, parse_list, parse_search, uid_set


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
