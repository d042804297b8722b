"""HPRIM Santé 2.x: the libHprim sample and our own variant (two patients, continuation, escapes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.clinical.readers import read_document
from core.errors import ParseError

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"


def test_libhprim_sample() -> None:
    result = read_document((DATA / "hprim2.1_ORU_libhprim_test.hpr").read_bytes())
    assert result.format == "hprim-2"
    (doc,) = result.documents
    ident = doc.identity
    assert (ident.family_name, ident.given_names, ident.birth_name) == ("GAULLE", ("MARECHAL",), "PIT")
    assert ident.birth_date == dt.date(1937, 3, 25) and ident.sex == "F" and ident.source_id == "398"
    tgo, hematocrit = doc.observations  # OBX type FIC names a file sent beside: text, not a result
    assert (tgo.code, tgo.label, tgo.value, tgo.unit, tgo.low, tgo.high, tgo.flag, tgo.status) == (
        "OT1",
        "TGO ADVIA",
        "16",
        "UI/l",
        "10",
        "40",
        "N",
        "F",
    )
    assert tgo.comment == "Anemie macrocytaire"  # the C record after the OBX
    assert (hematocrit.label, hematocrit.value) == ("Hematocrite", "38.2")
    assert doc.author == "LABM" and doc.date == dt.datetime(2012, 4, 28, 14, 12)


def test_two_patients_continuation_and_escapes() -> None:
    data = (DATA / "hprim2_multi.hpr").read_bytes()
    first, second = read_document(data).documents
    assert (first.identity.family_name, first.identity.birth_name) == ("DUBOIS", "LEROY")
    assert first.identity.given_names == ("ÉLODIE", "MARIE")  # Latin-1 decoded
    hb, group, glucose = first.observations
    assert (hb.value, hb.low, hb.high, hb.flag) == ("11.2", "12", "16", "L")
    # \S\ is the HPRIM component separator (~), \T\ the sub-component (&), \F\ the field separator (|)
    assert hb.comment == "Contr~le & suivi conseill|s"
    assert group.value == "A ^ positif"  # \R\ is the repetition separator (^ in HPRIM 2)
    # the A| line continues the OBX record in the middle of its label
    assert (glucose.label, glucose.value, glucose.low, glucose.high) == (
        "Glycemie a jeun",
        "0.95",
        "0.70",
        "1.10",
    )
    assert glucose.comment == "Interpretation normale"
    assert second.identity.family_name == "MOREAU" and second.identity.sex == "M"
    assert second.identity.birth_date is None
    (crp,) = second.observations
    assert (crp.value, crp.high) == ("<5", "5")
    assert b"DUBOIS" in first.raw and b"MOREAU" not in first.raw and b"MOREAU" in second.raw


def test_header_only_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        read_document(b"H|~^\\&|X.HPR||A~B||ORU\r\nL|1\r\n")
