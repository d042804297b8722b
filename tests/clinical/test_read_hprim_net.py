"""HPRIM Net: the public samples and our own variants (encodings, line endings, several reports, names)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.clinical import hprim_net
from core.clinical.readers import read_document
from core.errors import ParseError

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"


def read(name: str):
    return read_document((DATA / name).read_bytes(), name)


def test_solabio_sample_identity_and_results() -> None:
    result = read("hprimnet_header-solabio_yokoinc.hpm")
    assert result.format == "hprim-net"
    (doc,) = result.documents
    ident = doc.identity
    assert (ident.family_name, ident.given_names, ident.birth_date) == (
        "DUPONT",
        ("JEAN",),
        dt.date(1950, 1, 1),
    )
    # "1500176000000 00": a NIR with an impossible key: kept as a NIR, never an INS, and no sex guessed.
    assert ident.nir == "150017600000000" and ident.ins is None and ident.sex == "U"
    assert ident.source_id == "260624HE0103"  # line 1 is a long banner here: the request number is used
    assert doc.author == "SOLABIO" and doc.recipient == "MARTIN PAUL"
    assert doc.date == dt.datetime(2026, 6, 24)
    assert [(o.label, o.value, o.unit, o.low, o.high, o.flag) for o in doc.observations] == [
        ("HEMOGLOBINE", "14.8", "g/dL", "12.9", "16.7", "N"),
        ("Cond. Rbt", "Diabète", "", "", "", "N"),
    ]
    assert "Compte-rendu d'examens biologiques" in doc.text
    assert "****LAB****" not in doc.text and "RES|" not in doc.text


def test_lab_section_sample_without_header() -> None:
    (doc,) = read("hprimnet_lab-section_yokoinc.hpr").documents
    assert doc.identity.family_name == "" and doc.identity.birth_date is None
    glucose, sodium, calcium = doc.observations
    # a free TEX line is the report's text, never the comment of the RES before it: in real lab files TEX
    # lines come before the result they describe (STANDARDS.md §2.3, corrected)
    assert glucose.comment == "" and sodium.comment == ""
    assert "Hyperglycémie modérée." in doc.text
    assert (sodium.value, sodium.low, sodium.high) == ("140", "136", "145")
    assert (calcium.low, calcium.high) == ("2.20", "2.60")  # whole range in the low field


def test_bare_res_lines_sample() -> None:
    (doc,) = read("hprimnet_res-lines_yokoinc.hpr").documents
    assert [o.code for o in doc.observations] == ["GLU", "HGB", "TSH", "CREA", "BE"]
    base_excess = doc.observations[-1]
    assert (base_excess.value, base_excess.low, base_excess.high) == ("-8", "-2", "2")
    assert base_excess.comment == "" and "Contrôle conseillé à distance." in doc.text
    assert doc.observations[2].flag == "L" and doc.observations[2].abnormal


def test_windows_1252_crlf_with_nee_name_comma_decimals_and_entities() -> None:
    data = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the fixture really is Windows-1252
    (doc,) = read_document(data, "x.hpr").documents
    ident = doc.identity
    assert (ident.family_name, ident.birth_name) == ("LEFÈVRE", "MÜLLER")
    assert ident.given_names == ("JEAN-PIERRE", "MARIE")  # the composite given name stays whole
    assert ident.birth_date == dt.date(1968, 4, 12)  # AAAA-MM-JJ accepted
    assert ident.nir == "168047512345617" and ident.sex == "M"  # valid key: sex from the first digit
    assert ident.ins is None
    glucose, calcium, potassium, comment = doc.observations
    assert (glucose.label, glucose.value, glucose.low, glucose.high, glucose.flag) == (
        "GLYCEMIE",
        "1.32",
        "0.74",
        "1.06",
        "H",
    )
    assert glucose.comment == "" and "Contrôle à jeun conseillé.\nRésultat vérifié." in doc.text
    assert (calcium.low, calcium.high) == ("2.20", "2.60")
    assert (potassium.value, potassium.unit, potassium.flag) == ("4.1", "", "")  # short RES line padded
    assert comment.label == "COMMENTAIRE" and comment.value == ""
    assert "Compte rendu d'analyses établi" in doc.text and "Médecin : Dr TESTARD" in doc.text
    assert "4°C’" in doc.text and "&deg;" not in doc.text and "<br" not in doc.text
    assert "BIOCHIMIE" in doc.text  # a TEX line before any RES is text
    assert doc.raw == data[: len(doc.raw)] and doc.raw.endswith(b"****FIN****\r\n")


def test_two_reports_cr_only_with_ep_and_epouse_notations() -> None:
    data = (DATA / "hprim_net_multi_cr.hpr").read_bytes()
    assert b"\n" not in data
    first, second = read_document(data).documents
    assert (first.identity.family_name, first.identity.birth_name) == ("DURAND", "MARTIN")
    assert first.identity.sex == "F" and first.identity.birth_date == dt.date(1955, 6, 3)
    assert [o.code for o in first.observations] == ["CHOL", "HDL"]
    assert (first.observations[0].low, first.observations[0].high) == ("", "2.00")  # one-sided range
    assert (second.identity.family_name, second.identity.birth_name) == ("ROUX", "BERNARD")
    assert second.identity.given_names == ("ANNE-SOPHIE", "CLAIRE")
    assert second.identity.nir is None and second.observations == ()
    assert "Sérologie" in second.text
    # each report keeps its own bytes, and together they are the file up to ****FINFICHIER****
    assert first.raw.startswith(b"P001\r") and first.raw.endswith(b"****FIN****\r")
    assert second.raw.startswith(b"P002\r") and b"P001" not in second.raw
    assert data.startswith(first.raw) and second.raw in data


def test_text_only_latin1_report() -> None:
    (doc,) = read("hprim_net_text_only.hpr").documents
    assert doc.identity.family_name == "PETIT" and doc.identity.birth_date == dt.date(2000, 2, 29)
    assert doc.observations == ()
    assert "Pas d'anomalie visible." in doc.text


@pytest.mark.parametrize("newline", [b"\r\n", b"\n", b"\r"])
def test_line_endings_give_the_same_reading(newline: bytes) -> None:
    base = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()
    data = base.replace(b"\r\n", newline)
    (doc,) = read_document(data).documents
    assert doc.identity.family_name == "LEFÈVRE" and len(doc.observations) == 4


def test_utf16_with_bom_and_utf8_bom() -> None:
    text = (DATA / "hprim_net_text_only.hpr").read_bytes().decode("latin-1")
    for data in (b"\xff\xfe" + text.encode("utf-16-le"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        (doc,) = read_document(data).documents
        assert doc.identity.family_name == "PETIT"
        assert doc.raw == data


def test_utf8_bom_belongs_to_the_first_report_only() -> None:
    # the second report's bytes once began with the BOM too: a local variable hid the 'first report' flag
    text = (DATA / "hprim_net_multi_cr.hpr").read_bytes().decode("cp1252")
    data = b"\xef\xbb\xbf" + text.encode("utf-8")
    first, second = read_document(data).documents
    assert first.raw.startswith(b"\xef\xbb\xbfP001\r") and data.startswith(first.raw)
    assert second.raw.startswith(b"P002\r") and second.raw in data


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("DURAND NEE MARTIN", ("DURAND", "MARTIN")),
        ("DURAND née MARTIN", ("DURAND", "MARTIN")),
        ("MARTIN EP DURAND", ("DURAND", "MARTIN")),
        ("MARTIN épouse DURAND", ("DURAND", "MARTIN")),
        ("MARTIN EP. DURAND", ("DURAND", "MARTIN")),
        ("DE LA FONTAINE", ("DE LA FONTAINE", "")),
        ("NEEL", ("NEEL", "")),  # a name starting like a notation is not one
        ("LEPINE", ("LEPINE", "")),
    ],
)
def test_name_notations(line: str, expected: tuple[str, str]) -> None:
    assert hprim_net.split_name_notation(line) == expected


def test_garbage_with_hprim_extension_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        read_document(b"\r\n\r\n  \r\n", "empty.hpr")
    with pytest.raises(ParseError):
        read_document(b"bonjour, ceci est un courriel ordinaire\n")


def test_dashes_in_both_bounds_are_no_norm():
    """Real HPRIM Net files published with a French lab viewer (yokoinc/hprimtool's samples, not copied:
    they name real patients) write '-' in both bounds of a result that has no norm, 56 lines in 77 files
    ('RES|Coqueluche ... PCR : |X_1(1)|A|Voir compte-rendu ci-joint||-|-|N|F||||'). The reader showed the
    norm '-–-'; there is none. A negative bound is still one."""
    text = (
        "RES|Recherche virale PCR : |X_1(1)|A|Voir compte-rendu ci-joint||-|-|N|F||||\n"
        "RES|Sodium : |NA(1)|N|141|mmol/L|134|144|N|F||||\n"
        "RES|Excès de base : |EB(1)|N|-1.5|mmol/L|-2|2|N|F||||\n"
    )
    (doc,) = hprim_net.parse(text.encode("utf-8"))
    assert [(o.value, o.low, o.high, o.reference) for o in doc.observations] == [
        ("Voir compte-rendu ci-joint", "", "", ""),
        ("141", "134", "144", "134–144"),
        ("-1.5", "-2", "2", "-2–2"),
    ]
