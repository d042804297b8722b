"""Write a minimal CDA R2 document (CI-SIS header) for a letter: patient with INS, author with RPPS, body.

The body is the letter's text as a structured section, or a PDF carried whole as a ``nonXMLBody``.
Header fields follow STANDARDS.md §7: ``recordTarget/patientRole/id`` with the INS OID, name parts with
their qualifiers (BR = birth, SP = usage), ``author/assignedAuthor/id`` = ``8`` + RPPS under the IDNPS OID.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from core.errors import BadInput
from core.model import Identity
from core.text import T

INS_OIDS = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11")
IDNPS_OID = "1.2.250.1.71.4.2.1"
IDNST_OID = "1.2.250.1.71.4.2.2"
LOINC_OID = "2.16.840.1.113883.6.1"
# A letter from one doctor to another: LOINC "Note de consultation" unless the caller says otherwise.
LETTER_CODE = ("11488-4", "Note de consultation")


@dataclass(frozen=True)
class CdaAuthor:
    """The practitioner signing the document. ``rpps``: 11 digits (the IDNPS is ``8`` + RPPS)."""

    rpps: str
    family_name: str = ""
    given_name: str = ""
    organisation: str = ""
    organisation_id: str = ""  # IDNST (type digit + FINESS/SIRET...), optional

    @property
    def idnps(self) -> str:
        digits = re.sub(r"\s", "", self.rpps)
        if re.fullmatch(r"\d{11}", digits):
            return "8" + digits
        if re.fullmatch(r"8\d{11}", digits):
            return digits
        raise BadInput(T("clinical.cda_writer.rpps-auteur-doit-avoir"))


def has_qualified_ins(identity: Identity) -> bool:
    """An INS with its OID and the strict traits (birth name, given name, birth date, sex): X-MSS-INS=O."""
    return bool(
        identity.ins
        and identity.ins_oid in INS_OIDS
        and (identity.birth_name or identity.family_name)
        and identity.given_names
        and identity.birth_date
        and identity.sex in ("M", "F")
    )


def _hl7_time(when: dt.datetime) -> str:
    if when.tzinfo is None:
        when = when.astimezone()
    offset = when.strftime("%z") or "+0000"
    return when.strftime("%Y%m%d%H%M%S") + offset


def new_oid() -> str:
    """A globally unique OID from a random UUID (ISO/IEC 9834-8, arc 2.25)."""
    return f"2.25.{uuid.uuid4().int}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def write_cda(
    patient: Identity,
    author: CdaAuthor,
    *,
    title: str,
    text: str = "",
    pdf: bytes | None = None,
    code: tuple[str, str] = LETTER_CODE,
    effective: dt.datetime | None = None,
    document_id: str | None = None,
) -> bytes:
    """The CDA R2 XML (UTF-8) of one document about ``patient`` by ``author``."""
    if not (patient.family_name or patient.birth_name):
        raise BadInput(T("clinical.cda_writer.patient-nom-document-cda"))
    if pdf is not None and not pdf.startswith(b"%PDF"):
        raise BadInput(T("clinical.cda_writer.compte-rendu-joint-pdf"))
    when = effective or dt.datetime.now().astimezone()
    root = ET.Element("ClinicalDocument", {"xmlns": "urn:hl7-org:v3"})
    _sub(root, "realmCode", code="FR")
    _sub(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    _sub(root, "templateId", root="2.16.840.1.113883.2.8.2.1")
    _sub(root, "templateId", root="1.2.250.1.213.1.1.1.1")
    _sub(root, "id", root=document_id or new_oid())
    _sub(root, "code", code=code[0], codeSystem=LOINC_OID, codeSystemName="LOINC", displayName=code[1])
    _sub(root, "title", title)
    _sub(root, "effectiveTime", value=_hl7_time(when))
    _sub(root, "confidentialityCode", code="N", codeSystem="2.16.840.1.113883.5.25")
    _sub(root, "languageCode", code="fr-FR")
    _sub(root, "setId", root=new_oid())
    _sub(root, "versionNumber", value="1")
    _record_target(root, patient)
    _author(root, author, when)
    _custodian(root, author)
    component = _sub(root, "component")
    if pdf is not None:
        body = _sub(component, "nonXMLBody")
        _sub(
            body,
            "text",
            base64.b64encode(pdf).decode("ascii"),
            mediaType="application/pdf",
            representation="B64",
        )
    else:
        section = _sub(_sub(_sub(component, "structuredBody"), "component"), "section")
        _sub(section, "title", title)
        narrative = _sub(section, "text")
        for paragraph in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) or [""]:
            para = _sub(narrative, "paragraph")
            lines = paragraph.split("\n")
            para.text = lines[0]
            for line in lines[1:]:
                _sub(para, "br").tail = line
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _record_target(root: ET.Element, patient: Identity) -> None:
    role = _sub(_sub(root, "recordTarget"), "patientRole")
    if patient.ins:
        if patient.ins_oid not in INS_OIDS:
            raise BadInput(T("clinical.cda_writer.ins-patient-oid-ins"))
        _sub(role, "id", root=patient.ins_oid, extension=patient.ins)
    person = _sub(role, "patient")
    name = _sub(person, "name")
    if patient.given_names:
        # CI-SIS: plain <given> = every first name of the birth certificate, qualifier BR = the first one
        _sub(name, "given", " ".join(patient.given_names))
        _sub(name, "given", patient.given_names[0], qualifier="BR")
    birth = patient.birth_name or patient.family_name
    _sub(name, "family", birth, qualifier="BR")
    if patient.family_name and patient.family_name != birth:
        _sub(name, "family", patient.family_name, qualifier="SP")
    _sub(person, "administrativeGenderCode", code=patient.sex, codeSystem="2.16.840.1.113883.5.1")
    if patient.birth_date:
        _sub(person, "birthTime", value=patient.birth_date.strftime("%Y%m%d"))
    if patient.birth_place:
        addr = _sub(_sub(_sub(person, "birthplace"), "place"), "addr")
        _sub(addr, "county", patient.birth_place)


def _author(root: ET.Element, author: CdaAuthor, when: dt.datetime) -> None:
    element = _sub(root, "author")
    _sub(element, "time", value=_hl7_time(when))
    assigned = _sub(element, "assignedAuthor")
    _sub(assigned, "id", root=IDNPS_OID, extension=author.idnps)
    person = _sub(assigned, "assignedPerson")
    name = _sub(person, "name")
    if author.given_name:
        _sub(name, "given", author.given_name)
    if author.family_name:
        _sub(name, "family", author.family_name)
    if author.organisation:
        org = _sub(assigned, "representedOrganization")
        if author.organisation_id:
            _sub(org, "id", root=IDNST_OID, extension=author.organisation_id)
        _sub(org, "name", author.organisation)


def _custodian(root: ET.Element, author: CdaAuthor) -> None:
    org = _sub(_sub(_sub(root, "custodian"), "assignedCustodian"), "representedCustodianOrganization")
    if author.organisation_id:
        _sub(org, "id", root=IDNST_OID, extension=author.organisation_id)
    else:
        _sub(org, "id", root=IDNPS_OID, extension=author.idnps)
    _sub(
        org, "name", author.organisation or " ".join(p for p in (author.given_name, author.family_name) if p)
    )


__all__ = ["LETTER_CODE", "CdaAuthor", "has_qualified_ins", "new_oid", "write_cda"]
