"""Radiology and pathology reports: HPRIM Net text reports without ****LAB****, CDA CR-IMAGERIE and
CR-ANAPATH, HL7 MDM with an embedded PDF are read, matched and filed like lab results, with their kind."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from core.clinical.kinds import document_kind
from core.clinical.matching import PatientIndex
from core.clinical.readers import read_document
from core.demo.documents import pdf_letter
from core.model import ClinicalDocument, Identity, Patient
from core.practice.documents import DocumentQueue
from tests.filing.fakes import MemoryProfile

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"
PETIT = Patient("p-9", "PETIT", "", ("Louis",), dt.date(2000, 2, 29), "M")


def _cda(code: str, title: str, text: str) -> bytes:
    small = (DATA / "cda_small.xml").read_text("utf-8")
    small = small.replace('code="11502-2"', f'code="{code}"', 1)
    return (
        small.replace("<title>Compte rendu de biologie</title>", f"<title>{title}</title>", 1)
        .replace(
            "<title>Biochimie</title>",
            f"<title>Conclusion</title><text><paragraph>{text}</paragraph></text>",
            1,
        )
        .encode("utf-8")
    )


def test_hprim_net_text_report_is_an_imaging_report_filed_like_a_result(tmp_path: Path) -> None:
    raw = (DATA / "hprim_net_text_only.hpr").read_bytes()
    (doc,) = read_document(raw, "cr.hpr").documents
    assert doc.format == "hprim-net" and not doc.observations and "Radiographie du thorax" in doc.text
    assert document_kind(doc) == "imagerie"
    queue = DocumentQueue(
        MemoryProfile(tmp_path / "p"),
        {"folder": str(tmp_path / "lgc"), "auto": True},
        patient_exists=lambda _p: None,
    )
    index = PatientIndex([PETIT])
    (queued,) = queue.ingest_message("<r@x>", [("cr.hpr", "text/plain", raw)], index.match)
    assert queued.state == "filed" and queued.patient_id == "p-9" and queued.kind == "imagerie"
    assert Path(queued.filed_path).read_bytes() == raw
    assert queued.to_json()["kind"] == "imagerie"


def test_cda_imaging_and_pathology_reports() -> None:
    (imaging,) = read_document(_cda("18748-4", "CR d'imagerie", "Pas d'anomalie."), "DOC0001.XML").documents
    (pathology,) = read_document(
        _cda("11526-1", "CR d'anatomopathologie", "Adénome tubuleux."), "x.xml"
    ).documents
    assert document_kind(imaging) == "imagerie" and document_kind(pathology) == "anatomopathologie"
    assert "Pas d'anomalie." in imaging.text and "Adénome tubuleux." in pathology.text
    assert imaging.identity.family_name == "GARNIER"  # matched on the header like a CR-BIO


def test_hl7_mdm_with_an_embedded_pdf_report() -> None:
    pdf = pdf_letter(
        "Compte rendu d'échographie abdominale", ["Foie de taille normale.", "Conclusion : normal."]
    )
    b64 = base64.b64encode(pdf).decode()
    mdm = (
        "MSH|^~\\&|RIS|CABINET RADIO|LGC|CABINET|20260110120000||MDM^T02^MDM_T02|42|P|2.5\r"
        "EVN|T02|20260110120000\r"
        "PID|1||IPP-5^^^RIS||PETIT^LOUIS||20000229|M\r"
        "PV1|1|O\r"
        "TXA|1|CR^Compte rendu|AP|20260110||||||||DOC-1||||||AU\r"
        f"OBX|1|ED|CR^Compte rendu||^application^pdf^Base64^{b64}||||||F\r"
    ).encode()
    (doc,) = read_document(mdm, "cr.hl7").documents
    assert doc.identity.family_name == "PETIT" and doc.identity.birth_date == dt.date(2000, 2, 29)
    assert "Foie de taille normale." in doc.text
    assert document_kind(doc) == "imagerie"


def test_kind_from_words_when_there_is_no_code() -> None:
    def kind(title: str, text: str = "", **kw) -> str:
        return document_kind(ClinicalDocument("hprim-net", Identity(), title=title, text=text, **kw))

    assert kind("", "Examen anatomo-pathologique d'une biopsie colique") == "anatomopathologie"
    assert kind("Échographie pelvienne", "Une biopsie pourra être discutée.") == "imagerie"
    assert kind("", "IRM du genou droit : lésion méniscale. Biopsie non indiquée.") == "imagerie"
