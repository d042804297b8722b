"""HPRIM Net: two patients in one file are never read as one report (STANDARDS.md §2.1: a file may chain
several reports, each ended by ****FIN****; ****FINFICHIER**** ends a file).

Reports cut by ****FIN**** (or by ****FINFICHIER****, two files glued together) are read one by one, each with
its own bytes; two reports glued with no ****FIN**** between them cannot be cut where nothing says they end,
so the file is refused with one French line: read as one, the second patient's results went to the first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clinical.readers import read_document
from core.errors import ParseError

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"
LAB = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()  # LEFÈVRE, 4 results, ****FIN**** ****FINFICHIER****
TEXT = (DATA / "hprim_net_text_only.hpr").read_bytes()  # PETIT, text only, ****FIN****
OTHER = (
    LAB.decode("cp1252")
    .replace("LEFÈVRE NEE MÜLLER", "ROUX")
    .replace("JEAN-PIERRE MARIE", "ANNE")
    .replace("1968-04-12", "03/06/1955")
    .replace("1680475123456 17", "")
    .replace("|1,32|", "|9,99|")
    .encode("cp1252")
)
ENDS = b"****FIN****\r\n****FINFICHIER****\r\n"


def _names(data: bytes) -> list[tuple[str, int]]:
    return [(d.identity.family_name, len(d.observations)) for d in read_document(data, "r.hpr").documents]


def test_two_whole_files_glued_give_each_report_with_its_own_bytes() -> None:
    """The first file's ****FINFICHIER**** ended the reading: one document, LEFÈVRE, whose bytes (the
    whole attachment, one report) carried ROUX's results into LEFÈVRE's record."""
    data = LAB + OTHER
    first, second = read_document(data, "r.hpr").documents
    assert (first.identity.family_name, second.identity.family_name) == ("LEFÈVRE", "ROUX")
    assert b"ROUX" not in first.raw and b"LEF" not in second.raw
    assert [o.value for o in second.observations][:1] == ["9.99"]


@pytest.mark.parametrize(
    "data",
    [
        LAB.replace(ENDS, b"") + OTHER,  # two LAB reports, no ****FIN**** between
        TEXT.replace(b"****FIN****", b"") + LAB,  # a text report, then another patient's with results
        LAB.replace(ENDS, b"") + TEXT,  # results, then another patient's header and text
    ],
    ids=["lab-lab", "text-lab", "lab-text"],
)
def test_two_reports_without_fin_between_are_refused(data: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        read_document(data, "r.hpr")
    message = str(caught.value)
    assert "****FIN****" in message and "\n" not in message
    assert "ROUX" not in message and "PETIT" not in message


def test_a_signature_after_the_end_of_file_is_no_report() -> None:
    signature = "\r\n".join(
        ["--", "Dr Claire TESTARD", "Cabinet médical", *["Ce message est confidentiel."] * 12]
    )
    assert _names(LAB + signature.encode("cp1252")) == [("LEFÈVRE", 4)]


def test_one_report_with_dates_in_its_text_is_read() -> None:
    """A report's own text (dates, names of the doctors) is no second header."""
    text = "\r\n".join(["Prélevé le", "MARTIN", "Dr", "", "", "", "02/01/2026", "Validé."])
    data = LAB.replace(b"****LAB****", text.encode("cp1252") + b"\r\n****LAB****")
    assert _names(data) == [("LEFÈVRE", 4)]
