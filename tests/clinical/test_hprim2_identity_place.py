"""HPRIM Santé 2: the identity is read from its own message's P record, where the format puts it, or not at all.

The H record is a file's first (STANDARDS.md §3): the reader looked for the first 'H' anywhere in the text.
A message ends with its L record: two files glued together were read up to the first L only, one document
whose bytes (the whole file) carried the second file's patient into the first's record. P-7 (birth date) and
P-8 (sex) hold their types, or a field is missing or added before them and the identity is shifted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clinical import hprim2
from core.clinical.readers import read_document
from core.errors import ParseError

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"
LIBHPRIM = (DATA / "hprim2.1_ORU_libhprim_test.hpr").read_bytes()  # GAULLE, 2 results, ends 'L|1\r\n'
MULTI = (DATA / "hprim2_multi.hpr").read_bytes()  # DUBOIS, MOREAU


def test_two_files_glued_give_each_patient_with_its_own_bytes() -> None:
    documents = read_document(LIBHPRIM + MULTI, "r.hpr").documents
    assert [d.identity.family_name for d in documents] == ["GAULLE", "DUBOIS", "MOREAU"]
    gaulle, dubois, _ = documents
    assert b"DUBOIS" not in gaulle.raw and b"GAULLE" not in dubois.raw
    assert dubois.raw.startswith(b"H|~^\\&|RES0001.HPR") and dubois.author == "LABO TEST"


@pytest.mark.parametrize(
    "prefix", [b"P|1||X9||AUTRE~PATIENT||19500101|M\r\n", b"Fwd: resultats\r\n", b"\xef\xbb\xbfjunk\r\n"]
)
def test_lines_before_the_h_record_refuse_the_file(prefix: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        hprim2.parse(prefix + MULTI)
    assert "enregistrement H" in str(caught.value)


@pytest.mark.parametrize("prefix", [b"", b"\r\n\r\n", b"\xef\xbb\xbf", b"  \t"])
def test_an_h_record_after_blanks_or_a_bom_is_read(prefix: bytes) -> None:
    assert [d.identity.family_name for d in hprim2.parse(prefix + MULTI)] == ["DUBOIS", "MOREAU"]


@pytest.mark.parametrize(
    "data",
    [
        LIBHPRIM.rstrip(b"\r\n") + MULTI,  # glued after 'L|1' with no line end
        LIBHPRIM + MULTI[MULTI.index(b"P|") :],  # the second file without its H record
    ],
    ids=["glued-inside-l", "no-second-h"],
)
def test_what_follows_an_l_record_without_its_own_header_refuses_the_file(data: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        hprim2.parse(data)
    assert "(L)" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ("P|1|1001|X1|DUBOIS~ELODIE|LEROY|19900115|F", "P-7"),  # a '|' missing: P-7 is 'F'
        ("P|1|1001|X1|||DUBOIS~ELODIE|LEROY|19900115|F", "P-7"),  # one added: P-7 is the birth name
        ("P|1|1001|X1||DUBOIS~ELODIE|LEROY|19900115|19900115|F", "P-8"),  # P-8 a date
    ],
)
def test_p_fields_not_of_their_type_refuse_the_file(record: str, field: str) -> None:
    data = "\r\n".join(["H|~^\\&|R.HPR||LAB~LABO||ORU|||MED~DR||P|H2.2~C|202601051030", record, "L|1", ""])
    with pytest.raises(ParseError) as caught:
        hprim2.parse(data.encode())
    assert field in str(caught.value)
