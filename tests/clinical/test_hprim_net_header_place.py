"""HPRIM Net: the identity is read from the header's own lines, at the start of the file, or not at all.

A helper found an HPRIM file read from the bytes of the winmail.dat that carried it: the header, found
behind other lines, gave the family name 'RESULTAT.HPR  T  A2008' and the given names 'LEFÈVRE NEE MÜLLER',
a plausible identity from the wrong lines. Any prefix does the same (a forwarded letter's heading, a BOM and
junk, the end of another file): such a file is refused with one French line, never read shifted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.clinical import hprim_net
from core.clinical.readers import read_document
from core.errors import ParseError

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"
# LEFÈVRE NEE MÜLLER, JEAN-PIERRE MARIE, born 1968-04-12
SAMPLE = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()


def test_the_sample_reads_its_true_identity() -> None:
    (doc,) = read_document(SAMPLE, "r.hpr").documents
    ident = doc.identity
    assert (ident.family_name, ident.given_names, ident.birth_date) == (
        "LEFÈVRE",
        ("JEAN-PIERRE", "MARIE"),
        dt.date(1968, 4, 12),
    )


@pytest.mark.parametrize(
    "prefix",
    [
        b"RESULTAT.HPR  T  A2008\r\n",  # what the TNEF stream left before the header
        b"---------- Message transf\xe9r\xe9 ----------\r\n",
        b"\xef\xbb\xbfjunk\r\n",
        b"De : labo@example.org\r\nObjet : r\xe9sultats\r\n",
        b"X\r\nY\r\nZ\r\n",
        b"\x78\x9f\x3e\x22\x01\x06\x90\x08\x00\r\n",
    ],
)
def test_lines_before_the_header_refuse_the_file_in_one_french_line(prefix: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        hprim_net.parse(prefix + SAMPLE)  # the reader itself (read_document turns down a TNEF stream first)
    message = str(caught.value)
    assert "\n" not in message and "en-tête HPRIM" in message and "ligne" in message
    assert "LEF" not in message and "JEAN" not in message  # no health data in the reason


@pytest.mark.parametrize(
    ("line", "value"),
    [
        (2, "RESULTAT.HPR"),  # a file name
        (2, "DUPONT 2"),  # digits where a name is
        (3, "A2008"),
        (2, "D|UPONT"),  # a record's separator
        (3, "MARIE\x07"),  # a control character
        (2, "D" * 150),  # far longer than a name
        (7, "75012 PARIS"),  # the birth date's line is no date
        (7, "LEFEVRE"),
        (8, "JEAN-PIERRE"),  # the NIR's line is no number
        (4, "****LAB****"),  # a header cut short: the LAB block inside its 12 lines
    ],
)
def test_identity_lines_that_are_not_identity_lines_refuse_the_file(line: int, value: str) -> None:
    lines = SAMPLE.decode("cp1252").split("\r\n")
    lines[line - 1] = value
    with pytest.raises(ParseError) as caught:
        hprim_net.parse("\r\n".join(lines).encode("cp1252"))
    assert f"la ligne {line} " in str(caught.value)


@pytest.mark.parametrize(
    "birth", ["", ".", "12/04/1968", "1968-04-12", "19680412", "12.04.1968", "31/02/1968"]
)
def test_a_birth_date_line_of_a_date_shape_is_read(birth: str) -> None:
    """Only the line's shape is judged: a date that cannot be (31/02) is read as none, and a person decides."""
    lines = SAMPLE.decode("cp1252").split("\r\n")
    lines[6] = birth
    (doc,) = hprim_net.parse("\r\n".join(lines).encode("cp1252"))
    assert doc.identity.family_name == "LEFÈVRE"
    readable = birth[:1].isdigit() and birth[:2] != "31"
    assert doc.identity.birth_date == (dt.date(1968, 4, 12) if readable else None)


def test_a_second_report_with_lines_before_its_header_refuses_the_file() -> None:
    first = SAMPLE.replace(b"****FINFICHIER****\r\n", b"")
    second = b"Suite du fax\r\n" + SAMPLE
    with pytest.raises(ParseError) as caught:
        read_document(first + b"\r\n" + second, "r.hpr")
    assert "compte rendu 2" in str(caught.value)
