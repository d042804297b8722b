"""XDM written by missive: STANDARDS.md §8 layout, ebRIM metadata, X-MSS headers, read back by missive."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from core.clinical.cda_writer import CdaAuthor, write_cda
from core.clinical.readers import read_document
from core.clinical.xdm_writer import XdmDocument, letter_package, write_xdm
from core.errors import BadInput
from core.model import Identity

RIM = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"
PATIENT = Identity(
    family_name="DUPONT",
    birth_name="MARTIN",
    given_names=("Jeanne", "Marie"),
    birth_date=dt.date(1956, 3, 14),
    sex="F",
    ins="279035121518989",
    ins_oid="1.2.250.1.213.1.4.10",
)
AUTHOR = CdaAuthor("10001234567", "MEDECIN", "Paul", "Cabinet du Parc")
PDF = (Path(__file__).resolve().parent.parent / "data" / "filing" / "letter.pdf").read_bytes()


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def test_layout_matches_standards_section_8() -> None:
    package = letter_package(PATIENT, AUTHOR, title="Courrier", text="Cher confrère,\nVoici.")
    names = _zip(package.data).namelist()
    assert package.filename == "IHE_XDM.ZIP"
    assert {"INDEX.HTM", "README.TXT", "IHE_XDM/SUBSET01/METADATA.XML"} <= set(names)
    for name in names:  # ISO 9660 level 1: at most 8 upper-case characters, a dot, at most 3
        assert re.fullmatch(r"[A-Z0-9_]{1,8}(\.[A-Z0-9]{1,3})?", name.rsplit("/", 1)[-1]), name
    assert "IHE_XDM/SUBSET01/DOC0001.XML" in names
    zf = _zip(package.data)
    assert b"README.TXT" in zf.read("INDEX.HTM")
    assert "missive" in zf.read("README.TXT").decode("utf-8")


def test_metadata_is_an_ebrim_submission_with_hash_size_and_uri() -> None:
    cda = write_cda(PATIENT, AUTHOR, title="Courrier", text="Bonjour")
    package = write_xdm(
        PATIENT,
        AUTHOR,
        [XdmDocument(cda, "text/xml", "Courrier", "11488-4"), XdmDocument(PDF, "application/pdf", "CR")],
    )
    zf = _zip(package.data)
    root = ET.fromstring(zf.read("IHE_XDM/SUBSET01/METADATA.XML"))
    assert root.tag == "{urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0}SubmitObjectsRequest"
    assert len(root.findall(f".//{RIM}RegistryPackage")) == 1
    entries = root.findall(f".//{RIM}ExtrinsicObject")
    assert len(entries) == 2
    for entry in entries:
        slots = {s.get("name"): [v.text for v in s.iter(f"{RIM}Value")] for s in entry.findall(f"{RIM}Slot")}
        content = zf.read(f"IHE_XDM/SUBSET01/{slots['URI'][0]}")
        assert slots["hash"] == [hashlib.sha1(content).hexdigest()]
        assert slots["size"] == [str(len(content))]
        assert slots["sourcePatientId"] == ["279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"]
        assert "PID-7|19560314" in slots["sourcePatientInfo"]
    assert {e.get("mimeType") for e in entries} == {"text/xml", "application/pdf"}
    associations = root.findall(f".//{RIM}Association")
    assert len(associations) == 2


def test_round_trip_through_missive_reader_keeps_identity_and_document() -> None:
    package = letter_package(
        PATIENT, AUTHOR, title="Courrier de sortie", text="Cher confrère,\n\nTout va bien."
    )
    result = read_document(package.data, "IHE_XDM.ZIP")
    assert result.format == "xdm"
    [doc] = result.documents
    assert doc.format == "cda" and doc.code == "11488-4" and doc.title == "Courrier de sortie"
    assert doc.identity.ins == PATIENT.ins and doc.identity.ins_oid == PATIENT.ins_oid
    assert doc.identity.family_name == "DUPONT" and doc.identity.birth_name == "MARTIN"
    assert doc.identity.given_names == ("Jeanne", "Marie")
    assert doc.identity.birth_date == PATIENT.birth_date and doc.identity.sex == "F"
    assert "Tout va bien." in doc.text and "Paul MEDECIN" in doc.author


def test_pdf_letter_travels_as_non_xml_body() -> None:
    package = letter_package(PATIENT, AUTHOR, title="CR", pdf=PDF)
    cda = _zip(package.data).read("IHE_XDM/SUBSET01/DOC0001.XML")
    assert b'mediaType="application/pdf"' in cda and b"nonXMLBody" in cda
    [doc] = read_document(package.data, "IHE_XDM.ZIP").documents
    assert doc.identity.ins == PATIENT.ins


def test_mss_headers() -> None:
    assert letter_package(PATIENT, AUTHOR, title="t", text="x").headers == (
        ("X-MSS-CODECDA", "11488-4"),
        ("X-MSS-INS", "O"),
    )
    unqualified = Identity(
        family_name="DUPONT", given_names=("Jeanne",), birth_date=dt.date(1956, 3, 14), sex="F"
    )
    assert dict(letter_package(unqualified, AUTHOR, title="t", text="x").headers)["X-MSS-INS"] == "N"
    pdf_only = write_xdm(PATIENT, AUTHOR, [XdmDocument(PDF, "application/pdf")])
    assert pdf_only.headers == ()  # no CDA in the archive: neither header


def test_bad_inputs_are_one_line_errors() -> None:
    with pytest.raises(BadInput, match="RPPS"):
        letter_package(PATIENT, CdaAuthor("123"), title="t", text="x")
    with pytest.raises(BadInput, match="OID"):
        letter_package(Identity(family_name="X", ins="279035121518989"), AUTHOR, title="t", text="x")
    with pytest.raises(BadInput, match="n'est pas un PDF"):
        letter_package(PATIENT, AUTHOR, title="t", pdf=b"hello")
    with pytest.raises(BadInput, match="n'a pas de nom"):
        letter_package(Identity(), AUTHOR, title="t", text="x")


def test_xml_special_characters_are_escaped() -> None:
    package = letter_package(PATIENT, AUTHOR, title="A < B & C", text="x < y & <script>")
    [doc] = read_document(package.data, "IHE_XDM.ZIP").documents
    assert doc.title == "A < B & C" and "x < y & <script>" in doc.text
