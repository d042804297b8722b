"""HPRIM Net as open-source lab software writes it (FreeMedForms' tests), and HPRIM's own rules on small inputs."""

from __future__ import annotations

import datetime as dt

from core.clinical.readers import read_document
from tests.conformance.test_clinical_corpus import DATA

HPRIM = DATA / "hprim"


def _read(name: str):
    path = HPRIM / name
    return read_document(path.read_bytes(), path.name).documents


def test_freemedforms_test1_header_with_a_right_aligned_code_and_notes_after_the_result():
    (doc,) = _read("freemedforms_tst_hprim_test1.hpr")
    ident = doc.identity
    assert (ident.family_name, ident.given_names, ident.birth_date) == (
        "FAKENAME",
        ("FAKEFIRSTNAME",),
        dt.date(2009, 12, 18),
    )
    # lines 11-12: "         C LabFake" and "     FAKFAK FAKE.NAME": trimmed, then cut at the first blank run
    assert (doc.author, doc.recipient) == ("LabFake", "FAKE.NAME")
    ige = doc.observations[0]
    assert (ige.label, ige.value, ige.unit, ige.low, ige.high, ige.status) == (
        "I.G.E Totales",
        "164",
        "UI/ml",
        "0",
        "3000",
        "F",
    )
    assert "Valeurs normales" in doc.text and "adultes" in doc.text


def test_freemedforms_test2_tex_lines_before_their_result_are_not_the_previous_results_comment():
    (doc,) = _read("freemedforms_tst_hprim_test2_abridged.hpr")
    assert (doc.identity.family_name, doc.identity.given_names) == ("NEWFAKE", ("GLOUBGLOUB",))
    red, hb = doc.observations[:2]
    assert (red.label, red.value, red.unit, red.low, red.high) == (
        "HEMATIES",
        "4450000",
        "/mm3",
        "3800000",
        "5400000",
    )
    assert (hb.label, hb.value, hb.unit, hb.low, hb.high) == ("Hémoglobine", "13.3", "g/dl", "12.5", "15.5")
    assert red.comment == "" and "Hémoglobine" not in red.comment
    assert all(o.comment == "" for o in doc.observations)
    # section titles and free notes stay as the report's text, in order
    assert doc.text.index("H E M A T O L O G I E") < doc.text.index("Formule controlée sur lame.")
    assert "B I O C H I M I E" in doc.text and "4450000" not in doc.text


def test_freemedforms_test2_second_unit_and_its_bounds_are_kept():
    (doc,) = _read("freemedforms_tst_hprim_test2_abridged.hpr")
    by_code = {o.code: o for o in doc.observations}
    pn = by_code["pn"]
    assert (pn.value, pn.unit, pn.value2, pn.unit2, pn.low2, pn.high2) == (
        "54.0",
        "%",
        "1577",
        "/mm3",
        "1500",
        "7500",
    )
    creat = by_code["C33"]
    assert (creat.value, creat.unit, creat.low, creat.high) == ("8.3", "mg/l", "6.0", "11.0")
    assert (creat.value2, creat.unit2, creat.low2, creat.high2) == ("73.5", "umol/l", "53.1", "97.4")
    assert (by_code["pe"].low2, by_code["pe"].high2) == ("", "400")  # "inf. à 400"
    assert by_code["CRPS33"].value == "< 0.12 mg/l"  # type A: kept as written
    assert (by_code["gb"].flag, by_code["K33"].flag) == ("L", "H")


HEADER = "\r\n".join(
    [
        "A1",
        "MARTIN",
        "MARIE",
        "",
        "",
        "75001 PARIS",
        "05/03/1970",
        "",
        "D1",
        "10/01/2026",
        "LAB1 LABO TEST",
        "DR01       Dr Test",
    ]
)


def _hpr(lab: str, after: str = "") -> bytes:
    return (
        HEADER + "\r\nTexte.\r\n****LAB****\r\n" + lab + "****FIN****\r\n" + after + "****FINFICHIER****\r\n"
    ).encode()


def test_a_stray_line_after_fin_is_not_a_second_document():
    data = _hpr("RES|Glycemie|GLY|N|5.1|mmol/l|4.1|6.1|N|F\r\n", after="Signature du biologiste\r\n\r\n")
    (doc,) = read_document(data, "x.hpr").documents
    assert doc.identity.family_name == "MARTIN" and len(doc.observations) == 1


def test_res_status_corrected_and_types():
    data = _hpr(
        "RES|Glycemie|GLY|N|5.1|mmol/l|4.1|6.1|N|C\r\n"
        "RES|Aspect|ASP|A|Trouble|||||R\r\n"
        "RES|Groupe|GRP|C|A+||||N|F\r\n"
    )
    glucose, aspect, group = read_document(data, "x.hpr").documents[0].observations
    assert (glucose.status, glucose.status_words) == ("C", "résultat corrigé")
    assert (aspect.value, aspect.status_words) == ("Trouble", "non validé")
    assert (group.value, group.status_words) == ("A+", "")


def test_cli_read_says_a_result_was_corrected(cli, tmp_path):
    path = tmp_path / "r.hpr"
    path.write_bytes(_hpr("RES|Glycemie|GLY|N|5.1|mmol/l|4.1|6.1|N|C\r\n"))
    code, out, err = cli("parse", str(path))
    assert code == 0, err
    assert "1 résultat, 1 corrigé par le laboratoire" in out


def test_libhprim_hprim_sante_2_1():
    """HPRIM Santé 2.1 (H|~^\\&|, component '~' and repetition '^', an A| continuation inside OBR-16)."""
    (doc,) = _read("hprim2.1_ORU_libhprim_test.hpr")
    ident = doc.identity
    assert (ident.family_name, ident.given_names, ident.birth_date, ident.sex) == (
        "GAULLE",
        ("MARECHAL",),
        dt.date(1937, 3, 25),
        "F",
    )
    assert (doc.author, doc.recipient) == ("LABM", "TESTE")
    tgo, hct = doc.observations  # the FIC line names a file sent beside the message: not a result
    assert (tgo.label, tgo.value, tgo.unit, tgo.low, tgo.high, tgo.comment) == (
        "TGO ADVIA",
        "16",
        "UI/l",
        "10",
        "40",
        "Anemie macrocytaire",
    )
    assert (hct.label, hct.value, hct.unit, hct.low, hct.high) == ("Hematocrite", "38.2", "%", "35", "48")
    assert "AL213202.j1" in doc.text
