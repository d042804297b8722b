"""Write an IHE XDM package (``IHE_XDM.ZIP``) as MSSanté expects it, and its X-MSS headers.

Layout (STANDARDS.md §8): ``INDEX.HTM``, ``README.TXT``, ``IHE_XDM/SUBSET01/METADATA.XML`` (ebRIM 3.0
SubmitObjectsRequest: one SubmissionSet, one DocumentEntry per document, SHA-1 ``hash``, ``size``, ``URI`` =
the file name) and the documents under ISO 9660 level-1 names (``DOC0001.XML``, ``DOC0002.PDF``).
The classification codes (class, format, facility type, practice setting) are the usual CI-SIS values for a
letter from a private practice; they are constants here, not verified against a receiving platform.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace

from core import __version__
from core.clinical.cda_writer import IDNPS_OID, IDNST_OID, INS_OIDS, CdaAuthor, has_qualified_ins
from core.errors import BadInput
from core.model import Identity
from core.text import T

XDM_FILENAME = "IHE_XDM.ZIP"
SUBSET = "SUBSET01"
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
# IHE ITI TF-3 identification and classification schemes.
SS_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
SS_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SS_CONTENT_TYPE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
SS_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
SS_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SS_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
DE_OBJECT_TYPE = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
DE_AUTHOR = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
DE_CLASS = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
DE_CONFIDENTIALITY = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
DE_FORMAT = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
DE_FACILITY = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
DE_PRACTICE = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
DE_TYPE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
DE_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DE_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
CLASSIFICATION = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification"
HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
RPLC = "urn:ihe:iti:2007:AssociationType:RPLC"  # "annule et remplace": the new entry replaces the target
EXTERNAL_ID = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier"


@dataclass(frozen=True)
class XdmDocument:
    """One file of the package: a CDA (``text/xml``) or a PDF, with its type code and title."""

    content: bytes
    mime_type: str = "text/xml"
    title: str = ""
    code: str = ""  # the CDA's ClinicalDocument/code/@code (LOINC), '' for a non-CDA file
    code_display: str = ""
    entry_uuid: str = ""  # its DocumentEntry id (urn:uuid:...); '' = a fresh one. Keep it to correct it later
    replaces: str = ""  # the entry_uuid of a document sent before that this one replaces (RPLC)


@dataclass(frozen=True)
class XdmPackage:
    """The zip's bytes, its attachment name and the MSSanté headers the mail must carry."""

    data: bytes
    headers: tuple[tuple[str, str], ...]
    filename: str = XDM_FILENAME
    entry_uuids: tuple[str, ...] = ()  # each document's DocumentEntry id, in order (to replace it later)


def mss_headers(codes: Sequence[str], qualified_ins: bool) -> tuple[tuple[str, str], ...]:
    """``X-MSS-CODECDA`` (the CDA codes, comma-separated) and ``X-MSS-INS`` (O/N); none without a CDA."""
    unique = list(dict.fromkeys(c for c in codes if c))
    if not unique:
        return ()
    return (("X-MSS-CODECDA", ",".join(unique)), ("X-MSS-INS", "O" if qualified_ins else "N"))


def _name_for(index: int, mime_type: str) -> str:
    ext = {"text/xml": "XML", "application/pdf": "PDF"}.get(mime_type, "DAT")
    return f"DOC{index:04d}.{ext}"


def _cx(identity: Identity) -> str | None:
    if identity.ins and identity.ins_oid in INS_OIDS:
        return f"{identity.ins}^^^&{identity.ins_oid}&ISO^NH"
    return None


def _ts(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")


def _slot(parent: ET.Element, name: str, *values: str) -> None:
    slot = ET.SubElement(parent, f"{{{RIM}}}Slot", name=name)
    value_list = ET.SubElement(slot, f"{{{RIM}}}ValueList")
    for value in values:
        ET.SubElement(value_list, f"{{{RIM}}}Value").text = value


def _name(parent: ET.Element, text: str) -> None:
    name = ET.SubElement(parent, f"{{{RIM}}}Name")
    ET.SubElement(name, f"{{{RIM}}}LocalizedString", value=text, charset="UTF-8", lang="fr-FR")


def _classified(parent: ET.Element, ids: _Ids, scheme: str, code: str) -> ET.Element:
    """A Classification of ``parent`` under ``scheme``, with its own id."""
    return ET.SubElement(
        parent,
        f"{{{RIM}}}Classification",
        classificationScheme=scheme,
        classifiedObject=parent.get("id", ""),
        id=ids.next(),
        nodeRepresentation=code,
        objectType=CLASSIFICATION,
    )


def _classification(
    parent: ET.Element, ids: _Ids, scheme: str, code: str, scheme_oid: str, display: str
) -> ET.Element:
    el = _classified(parent, ids, scheme, code)
    _slot(el, "codingScheme", scheme_oid)
    _name(el, display)
    return el


def _author_classification(parent: ET.Element, ids: _Ids, scheme: str, author: CdaAuthor) -> None:
    el = _classified(parent, ids, scheme, "")
    _slot(
        el,
        "authorPerson",
        f"{author.idnps}^{author.family_name}^{author.given_name}^^^^^^&{IDNPS_OID}&ISO^D^^^IDNPS",
    )
    if author.organisation:
        org = f"{author.organisation}^^^^^&{IDNST_OID}&ISO^IDNST^^^{author.organisation_id}"
        _slot(el, "authorInstitution", org)


def _external(parent: ET.Element, ids: _Ids, scheme: str, value: str, label: str) -> None:
    el = ET.SubElement(
        parent,
        f"{{{RIM}}}ExternalIdentifier",
        id=ids.next(),
        identificationScheme=scheme,
        objectType=EXTERNAL_ID,
        registryObject=parent.get("id", ""),
        value=value,
    )
    _name(el, label)


class _Ids:
    """Symbolic ids local to one METADATA.XML (``urn:uuid:`` for each object, as XDS expects)."""

    def next(self) -> str:
        return f"urn:uuid:{uuid.uuid4()}"


def _metadata(
    patient: Identity, author: CdaAuthor, docs: Sequence[tuple[str, XdmDocument]], when: dt.datetime
) -> bytes:
    ids = _Ids()
    request = ET.Element(f"{{{LCM}}}SubmitObjectsRequest")
    objects = ET.SubElement(request, f"{{{RIM}}}RegistryObjectList")
    patient_cx = _cx(patient)
    ss_id = ids.next()
    info = [f"PID-5|{(patient.birth_name or patient.family_name)}^{' '.join(patient.given_names)}^^^^^L"]
    if patient.birth_date:
        info.append(f"PID-7|{patient.birth_date.strftime('%Y%m%d')}")
    info.append(f"PID-8|{patient.sex}")
    entry_ids = []
    for name, doc in docs:
        entry = ET.SubElement(
            objects,
            f"{{{RIM}}}ExtrinsicObject",
            id=doc.entry_uuid or ids.next(),
            mimeType=doc.mime_type,
            objectType=DE_OBJECT_TYPE,
        )
        entry_ids.append(entry.get("id", ""))
        _slot(entry, "creationTime", _ts(when))
        _slot(entry, "hash", hashlib.sha1(doc.content).hexdigest())  # noqa: S324 - XDS mandates SHA-1
        _slot(entry, "size", str(len(doc.content)))
        _slot(entry, "languageCode", "fr-FR")
        _slot(entry, "URI", name)
        if patient_cx:
            _slot(entry, "sourcePatientId", patient_cx)
        _slot(entry, "sourcePatientInfo", *info)
        _name(entry, doc.title or name)
        _author_classification(entry, ids, DE_AUTHOR, author)
        _classification(entry, ids, DE_CLASS, "11", "1.2.250.1.213.1.1.4.1", "Compte rendu")
        _classification(entry, ids, DE_CONFIDENTIALITY, "N", "2.16.840.1.113883.5.25", "Normal")
        if doc.mime_type == "application/pdf":
            fmt = ("urn:ihe:iti:xds-sd:pdf:2008", "1.3.6.1.4.1.19376.1.2.3", "Document PDF")
        else:
            fmt = ("urn:asip:ci-sis:2010", "1.2.250.1.213.1.1.4.2.282", "Document à corps structuré")
        _classification(entry, ids, DE_FORMAT, *fmt)
        _classification(entry, ids, DE_FACILITY, "SA07", "1.2.250.1.71.4.2.4", "Cabinet individuel")
        _classification(entry, ids, DE_PRACTICE, "AMBULATOIRE", "1.2.250.1.213.1.1.4.9", "Ambulatoire")
        type_code = doc.code or "11488-4"
        _classification(
            entry, ids, DE_TYPE, type_code, "2.16.840.1.113883.6.1", doc.code_display or type_code
        )
        if patient_cx:
            _external(entry, ids, DE_PATIENT_ID, patient_cx, "XDSDocumentEntry.patientId")
        _external(entry, ids, DE_UNIQUE_ID, _oid(), "XDSDocumentEntry.uniqueId")
    package = ET.SubElement(objects, f"{{{RIM}}}RegistryPackage", id=ss_id)
    _slot(package, "submissionTime", _ts(when))
    _name(package, "Envoi missive")
    _author_classification(package, ids, SS_AUTHOR, author)
    first_code = next((d.code for _, d in docs if d.code), "11488-4")
    _classification(package, ids, SS_CONTENT_TYPE, first_code, "2.16.840.1.113883.6.1", first_code)
    if patient_cx:
        _external(package, ids, SS_PATIENT_ID, patient_cx, "XDSSubmissionSet.patientId")
    _external(package, ids, SS_SOURCE_ID, "1.2.250.1.213.1.1.9", "XDSSubmissionSet.sourceId")
    _external(package, ids, SS_UNIQUE_ID, _oid(), "XDSSubmissionSet.uniqueId")
    ET.SubElement(
        objects,
        f"{{{RIM}}}Classification",
        classifiedObject=ss_id,
        classificationNode=SS_NODE,
        id=ids.next(),
        objectType=CLASSIFICATION,
    )
    for entry_id in entry_ids:
        assoc = ET.SubElement(
            objects,
            f"{{{RIM}}}Association",
            associationType=HAS_MEMBER,
            sourceObject=ss_id,
            targetObject=entry_id,
            id=ids.next(),
            objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association",
        )
        _slot(assoc, "SubmissionSetStatus", "Original")
    for entry_id, (_, doc) in zip(entry_ids, docs, strict=True):
        if doc.replaces:  # IHE ITI TF-3 4.2.2: the new entry (source) replaces the earlier one (target)
            ET.SubElement(
                objects,
                f"{{{RIM}}}Association",
                associationType=RPLC,
                sourceObject=entry_id,
                targetObject=doc.replaces,
                id=ids.next(),
                objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association",
            )
    ET.register_namespace("lcm", LCM)
    ET.register_namespace("rim", RIM)
    ET.indent(request)
    return ET.tostring(request, encoding="utf-8", xml_declaration=True)


def _oid() -> str:
    return f"2.25.{uuid.uuid4().int}"


def _readme(author: CdaAuthor, names: Sequence[str], when: dt.datetime) -> bytes:
    who = " ".join(p for p in (author.given_name, author.family_name) if p) or f"RPPS {author.rpps}"
    tree = "\n".join(f"        {n}" for n in names)
    text = (
        f"Expéditeur : {who}\r\n"
        f"Organisation : {author.organisation or '-'}\r\n"
        f"Logiciel : missive {__version__} (logiciel libre)\r\n"
        f"Date : {when.strftime('%d/%m/%Y %H:%M')}\r\n\r\n"
        "Ce support contient des documents médicaux au format IHE XDM.\r\n"
        "Ouvrez INDEX.HTM, ou importez l'archive dans votre logiciel métier.\r\n\r\n"
        "INDEX.HTM\r\nREADME.TXT\r\nIHE_XDM\r\n    "
        + SUBSET
        + "\r\n        METADATA.XML\r\n"
        + tree.replace("\n", "\r\n")
    )
    return text.encode("utf-8")


def _index(author: CdaAuthor, docs: Sequence[tuple[str, XdmDocument]]) -> bytes:
    who = html.escape(" ".join(p for p in (author.given_name, author.family_name) if p) or author.rpps)
    items = "".join(
        f'<li><a href="IHE_XDM/{SUBSET}/{n}">{html.escape(d.title or n)}</a></li>' for n, d in docs
    )
    page = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="fr"><head><meta charset="UTF-8"/>'
        "<title>Documents IHE XDM</title></head><body>"
        f"<p>Envoyé par {who}.</p><ul>{items}</ul>"
        '<p><a href="README.TXT">README.TXT</a></p></body></html>\n'
    )
    return page.encode("utf-8")


def write_xdm(
    patient: Identity,
    author: CdaAuthor,
    documents: Sequence[XdmDocument],
    *,
    when: dt.datetime | None = None,
) -> XdmPackage:
    """The IHE_XDM.ZIP holding ``documents`` about ``patient``, and the headers for the mail."""
    if not documents:
        raise BadInput(T("clinical.xdm_writer.paquet-xdm-doit-contenir"))
    when = when or dt.datetime.now().astimezone()
    documents = [d if d.entry_uuid else replace(d, entry_uuid=f"urn:uuid:{uuid.uuid4()}") for d in documents]
    for d in documents:
        if d.replaces and not d.replaces.startswith("urn:uuid:"):
            raise BadInput(T("clinical.xdm_writer.document-remplace-designe-identifiant"))
    named = [(_name_for(i, d.mime_type), d) for i, d in enumerate(documents, 1)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("INDEX.HTM", _index(author, named))
        archive.writestr("README.TXT", _readme(author, [n for n, _ in named], when))
        archive.writestr(f"IHE_XDM/{SUBSET}/METADATA.XML", _metadata(patient, author, named, when))
        for name, doc in named:
            archive.writestr(f"IHE_XDM/{SUBSET}/{name}", doc.content)
    codes = [d.code for d in documents if d.mime_type == "text/xml"]
    return XdmPackage(
        buffer.getvalue(),
        mss_headers(codes, has_qualified_ins(patient)),
        entry_uuids=tuple(d.entry_uuid for d in documents),
    )


def letter_package(
    patient: Identity,
    author: CdaAuthor,
    *,
    title: str,
    text: str = "",
    pdf: bytes | None = None,
    when: dt.datetime | None = None,
    replaces: str = "",
) -> XdmPackage:
    """The usual case: one letter (text, or a PDF report) as a CDA inside an XDM package; ``replaces``: the
    entry_uuid of a letter sent before that this one corrects ("annule et remplace")."""
    from core.clinical.cda_writer import LETTER_CODE, write_cda

    cda = write_cda(patient, author, title=title, text=text, pdf=pdf, effective=when)
    return write_xdm(
        patient,
        author,
        [XdmDocument(cda, "text/xml", title, LETTER_CODE[0], LETTER_CODE[1], replaces=replaces)],
        when=when,
    )


__all__ = ["XDM_FILENAME", "XdmDocument", "XdmPackage", "letter_package", "mss_headers", "write_xdm"]
