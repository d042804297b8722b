"""Limits before parsing (issue 14, item 9): each oversized input is one clear French line, with memory
bounded by a small multiple of the input, never the 500-900 MB the probe measured."""

from __future__ import annotations

import tracemalloc

import pytest

from core.clinical import limits
from core.clinical.readers import read_document
from core.errors import ParseError

MSH = "MSH|^~\\&|LAB|L|DR|D|20260101||ORU^R01|1|P|2.5\r"
PID = "PID|1||123^^^LAB^PI||DUPONT^MARIE||19800101|F\r"
HPRIM_HEADER = "A1\r\n{name}\r\nMARIE\r\n\r\n\r\n75001 PARIS\r\n05/03/1970\r\n\r\nD1\r\n10/01/2026\r\nL1 LABO\r\nD1 Dr\r\n"


def _refused(data: bytes, name: str, words: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ParseError) as caught:
            read_document(data, name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert words in message and "\n" not in message
    assert peak < 12 * len(data) + 16 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB for {len(data) / 1e6:.0f} MB"


def test_hprim_line_length():
    """The probe's 10 MB name line cost 911 MB and 11 s in matching."""
    data = HPRIM_HEADER.format(name="DUPONT" * 1_700_000).encode() + b"****FIN****\r\n"
    _refused(data, "x.hpr", "la ligne 2 dépasse 64 Ko")


def test_hprim_name_field_length():
    data = HPRIM_HEADER.format(name="D" * (limits.MAX_FIELD + 1)).encode() + b"Texte\r\n****FIN****\r\n"
    _refused(data, "x.hpr", "un champ dépasse 16 Ko")


def test_hprim2_continuation_cannot_grow_a_record_past_the_limit():
    lines = ["H|~^\\&|F.HPR|||LAB|ORU|||DR||P|H2.1~C|201204292059", "P|1||B1||DUPONT~MARIE||19800101|F"]
    lines += ["A|" + "x" * 1000] * 70
    _refused("\r\n".join(lines).encode(), "x.hpr", "prolongé par A|")


def test_hl7_field_length():
    data = (MSH + "PID|1||123^^^LAB^PI||" + "D" * (limits.MAX_FIELD + 1) + "^MARIE||19800101|F\r").encode()
    _refused(data, "x.hl7", "(champ PID-5) : un champ dépasse 16 Ko")


def test_hl7_escape_expansion():
    """An 8 MB \\X..\\ escape cost 560 MB; a text result above 1 MB is refused before it is unescaped."""
    data = (MSH + PID + "OBX|1|TX|C^Compte rendu||\\X" + "41" * 4_000_000 + "\\||||||F\r").encode()
    _refused(data, "x.hl7", "(champ OBX-5) : un champ dépasse 1 Mo")


def test_hl7_escape_within_the_limit_is_decoded_in_linear_memory():
    escaped = "\\X" + "41" * 400_000 + "\\"
    data = (MSH + PID + f"OBX|1|TX|C^Compte rendu||{escaped}||||||F\r").encode()
    tracemalloc.start()
    try:
        (doc,) = read_document(data, "x.hl7").documents
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert doc.observations[0].value == "A" * 400_000
    assert peak < 30 * 1024 * 1024


def test_observations_per_document():
    """300,000 OBX cost 15 s and 521 MB; past 2000 results in one report the file is refused."""
    obx = "".join(
        f"OBX|{n}|NM|GLU^Glucose||5.{n % 10}|mmol/l|4-6|N|||F\r" for n in range(limits.MAX_OBSERVATIONS + 1)
    )
    _refused((MSH + PID + obx).encode(), "x.hl7", "plus de 2000 résultats")
    res = "".join(
        f"RES|Glucose|GLU|N|5.{n % 10}|mmol/l|4|6|N|F\r\n" for n in range(limits.MAX_OBSERVATIONS + 1)
    )
    _refused(
        (HPRIM_HEADER.format(name="DUPONT") + "****LAB****\r\n" + res + "****FIN****\r\n").encode(),
        "x.hpr",
        "plus de 2000 résultats",
    )


def test_at_the_limits_files_still_read():
    obx = "".join(f"OBX|{n}|NM|GLU^Glucose||5.1|mmol/l|4-6|N|||F\r" for n in range(limits.MAX_OBSERVATIONS))
    (doc,) = read_document((MSH + PID + obx).encode(), "x.hl7").documents
    assert len(doc.observations) == limits.MAX_OBSERVATIONS


def test_results_per_file_are_counted_before_anything_is_split():
    """300,000 OBX once cost 15 s and 521 MB: a file past 40,000 results is refused before it is split,
    even when each patient's report stays under the per-document limit."""
    group = PID + "".join(f"OBX|{n}|NM|GLU^Glucose||5.1|mmol/l|4-6|N|||F\r" for n in range(1905))
    _refused((MSH + group * 21).encode(), "x.hl7", f"plus de {limits.MAX_OBSERVATIONS_PER_FILE} résultats")
