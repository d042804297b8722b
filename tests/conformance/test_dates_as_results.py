"""A result whose value is a date is read as a date. The ANS's antepartum summary (CI-SIS OBP-SAP, TestContenuCDA
-3-0) gives the last menstrual period as <value xsi:type="TS" value="20221201"/>; missive listed "Date de début
des dernières règles : 20221201". FHIR-Converter's MDHHS lab order (HL7 v2.5.1) asks the date of the last rabies
vaccination as OBX|1|TS|…||20150818060605-0500: listed as written. They now read 01/12/2022 and 18/08/2015 06:06.
Thirty such lines in the ANS's 94 CDA examples (due dates, consent, update and delivery dates) read the same way.

Each goes through the reader a received attachment goes through, and ``missive parse`` as a user runs it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.clinical import cda
from core.clinical.readers import read_document
from core.clinical.values import shown_timestamp
from tests.conformance.test_clinical_corpus import DATA

OBP_SAP = DATA / "ans-cda" / "OBP-SAP_2024.01.xml"
MDHHS = DATA / "fhir-converter" / "MDHHS-OML-O21-1.hl7"
PPS = DATA / "ans-cda" / "CANCER-PPS_2022.01_feuille-de-style-externe.xml"


def _only(path):
    result = read_document(path.read_bytes(), path.name)
    (doc,) = result.documents
    return doc


def test_the_last_menstrual_period_of_an_antepartum_summary_is_a_date():
    doc = _only(OBP_SAP)
    ident = doc.identity
    assert (ident.family_name, ident.birth_name, ident.birth_date) == ("DECOURCY", "NESSI", dt.date(1977, 7, 14))
    lmp = next(o for o in doc.observations if o.code == "8665-2")
    assert (lmp.label, lmp.value, lmp.unit) == ("Date de début des dernières règles", "01/12/2022", "")
    assert not lmp.abnormal
    # the numbers around it are unchanged
    weight = next(o for o in doc.observations if o.label == "Poids à la naissance")
    assert (weight.value, weight.unit) == ("3200", "g")


def test_the_date_of_the_tumour_board_is_a_date():
    """The ANS's programme personnalisé de soins (CANCER-PPS) writes the date of the multidisciplinary meeting
    and of the handing of the document as <value xsi:type="EIVL_TS" value="20210110"/>: read '20210110'."""
    doc = _only(PPS)
    shown = {o.label: o.value for o in doc.observations if o.label.startswith("Date de")}
    assert shown == {"Date de la RCP": "10/01/2021", "Date de remise du document au patient": "13/01/2021"}


def test_a_date_asked_with_a_lab_order_is_a_date():
    doc = _only(MDHHS)
    assert (doc.identity.family_name, doc.identity.given_names) == ("Shine", ("Baby Girl",))
    (asked,) = doc.observations
    assert (asked.label, asked.value) == ("Date of Last Rabies Vaccination", "18/08/2015 06:06")


def test_the_cli_shows_the_dates(capsys: pytest.CaptureFixture[str]):
    from tui.cli import main

    assert main(["parse", str(OBP_SAP), str(MDHHS)]) == 0
    out = capsys.readouterr().out
    assert "Date de début des dernières règles : 01/12/2022" in out
    assert "Date of Last Rabies Vaccination : 18/08/2015 06:06" in out
    assert "20221201" not in out and "20150818" not in out


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("20221201", "01/12/2022"),
        ("20210416093000", "16/04/2021 09:30"),  # OPH-BRE's delivery of glasses
        ("20240228160000+0100", "28/02/2024 16:00"),
        ("202212", "12/2022"),
        ("2022", "2022"),
        ("20221301", "20221301"),  # no such month: kept as written
        ("inconnue", "inconnue"),
    ],
)
def test_a_timestamp_is_shown_as_a_date(written: str, read: str):
    assert shown_timestamp(written) == read


def _value_of(value_xml: str) -> str:
    xml = (
        '<observation xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" classCode="OBS" moodCode="EVN">'
        f'<code code="11778-8" displayName="Date estimée de l\'accouchement"/>{value_xml}</observation>'
    )
    return cda._observation(cda.parse_xml_safely(xml.encode()), {}).value


def test_a_period_given_as_the_result_reads_as_one():
    # IPS-FR writes the due date as <value xsi:type="IVL_TS" value="20240903"/>
    assert _value_of('<value xsi:type="IVL_TS" value="20240903"/>') == "03/09/2024"
    assert (
        _value_of('<value xsi:type="IVL_TS"><low value="20240903"/><high value="20240910"/></value>')
        == "du 03/09/2024 au 10/09/2024"
    )
    assert _value_of('<value xsi:type="IVL_TS"><low value="20240903"/></value>') == "depuis 03/09/2024"
