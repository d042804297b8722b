"""IHE XDM reader (the IHE_XDM.ZIP of MSSanté): every METADATA.XML under IHE_XDM/<subset>/, each document.

Unzipped in memory and defensively: entry count, total size and per-entry compression ratio are bounded,
sizes announced by the archive are not trusted (reads stop at the limit), and no entry may be a symlink,
an absolute path or climb out with '..'. Each document named by a ``URI`` slot is read by the matching
reader (CDA, PDF, HPRIM...); a PDF gets the patient identity of its metadata entry.
"""

from __future__ import annotations

import io
import re
import stat
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import PurePosixPath

from core.clinical.cda import parse_xml_safely
from core.clinical.hl7v2 import INS_OIDS, OBSOLETE_INS_OIDS, has_identity
from core.clinical.matching import name_two_patients
from core.clinical.values import parse_birth_date, parse_sex
from core.errors import ParseError
from core.model import ClinicalDocument, Identity
from core.text import T

MAX_ENTRIES = 2000
MAX_DOCUMENTS = 50  # distinct documents one package may list: a letter carries a few, never hundreds
MAX_TOTAL = 200 * 1024 * 1024  # uncompressed bytes read from one archive
MAX_RATIO = 200  # uncompressed / compressed, per entry (beyond a small size)
RATIO_FLOOR = 1024 * 1024  # small entries may compress very well (text), do not judge them on ratio
_CHUNK = 64 * 1024


class ZipBombRefused(ParseError):
    """An entry expands beyond the size or ratio limits: the whole package is refused, not just skipped."""


# What zipfile raises on damaged archives besides BadZipFile (found by fuzzing: IndexError on extra fields).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    ValueError,
    OSError,
    EOFError,
    NotImplementedError,
    IndexError,
    KeyError,
    OverflowError,
    RuntimeError,
)

DocumentReader = Callable[[bytes, str], list[ClinicalDocument]]


def looks_like(data: bytes) -> bool:
    """A zip whose central directory names something under IHE_XDM/, or an XDM subset's METADATA.XML without
    it (the Direct Project's xdmail wrote "SUBSET01\\METADATA.xml" at the zip's root): such a package is not
    read (parse says why, in À classer), but it is not taken for an ordinary zip either, its documents unsaid."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    return re.search(rb"(?i)IHE_XDM[/\\]|SUBSET\d+[/\\]METADATA\.XML", data) is not None


class SafeZip:
    """A zip read in memory under size, ratio and path rules; entries by case-insensitive path."""

    def __init__(self, data: bytes) -> None:
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except _ZIP_ERRORS:
            raise ParseError(T("clinical.xdm.archive-zip-endommagee-zip")) from None
        if len(infos) > MAX_ENTRIES:
            raise ParseError(
                T("clinical.xdm.archive-zip-contient-fichiers", n_infos=len(infos), MAX_ENTRIES=MAX_ENTRIES)
            )
        self._entries: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename.replace("\\", "/")
            path = PurePosixPath(name)
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in path.parts:
                raise ParseError(T("clinical.xdm.archive-zip-contient-fichier"))
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ParseError(T("clinical.xdm.archive-zip-contient-lien"))
            if name and not name.endswith("/"):  # ZipInfo.is_dir() fails on an empty name
                self._entries[name.upper()] = info
        self._total = 0

    def names(self) -> list[str]:
        """Every file entry, as written in the archive."""
        return [info.filename.replace("\\", "/") for info in self._entries.values()]

    def find(self, name: str) -> zipfile.ZipInfo | None:
        return self._entries.get(name.replace("\\", "/").upper())

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """An entry's bytes, stopping as soon as a size or ratio limit is passed."""
        out = bytearray()
        limit = MAX_TOTAL - self._total
        try:
            with self._zip.open(info) as stream:
                while True:
                    chunk = stream.read(_CHUNK)
                    if not chunk:
                        break
                    out += chunk
                    if len(out) > limit:
                        raise ZipBombRefused(T("clinical.xdm.archive-zip-depasse-200"))
                    if len(out) > RATIO_FLOOR and len(out) > MAX_RATIO * max(info.compress_size, 1):
                        raise ZipBombRefused(T("clinical.xdm.fichier-archive-zip-anormalement"))
        except ParseError:
            raise
        except _ZIP_ERRORS:
            raise ParseError(
                T("clinical.xdm.fichier-archive-zip-endommage", filename=info.filename)
            ) from None
        self._total += len(out)
        return bytes(out)


def parse(
    data: bytes,
    read_document: DocumentReader | None = None,
    refused: list[tuple[str, bytes, ParseError]] | None = None,
) -> list[ClinicalDocument]:
    """Every document listed by every METADATA.XML of the package; each listed document found in the zip but
    refused by its reader is appended to ``refused`` (its file's name, its bytes, the refusal) when given."""
    if read_document is None:
        from core.clinical.readers import read_document as _read

        def read_document(content: bytes, filename: str) -> list[ClinicalDocument]:
            return _read(content, filename, _depth=1).documents

    archive = SafeZip(data)
    # IHE_XDM/ may sit inside a folder of the zip (a package zipped with its folder, "Envoi/IHE_XDM/...")
    metadata = [
        name
        for name in archive.names()
        if re.fullmatch(r"(?:[^/]+/)*IHE_XDM/[^/]+/METADATA\.XML", name, re.IGNORECASE)
    ]
    if not metadata:
        raise ParseError(T("clinical.xdm.archive-zip-paquet-ihe"))
    documents: list[ClinicalDocument] = []
    unreadable = 0
    seen: set[str] = set()  # entries already read: a URI listed twice (or 300 times) is one document
    for meta_name in sorted(metadata):
        info = archive.find(meta_name)
        assert info is not None
        subset = meta_name.rsplit("/", 1)[0]
        meta_bytes = archive.read(info)
        replaced = _replacements(meta_bytes)
        for uri, identity, entry_id in _entries(meta_bytes, limit=MAX_DOCUMENTS - len(seen)):
            entry = _locate(archive, subset, uri) if uri else _named_after(archive, subset, entry_id)
            uri = uri or (entry.filename.replace("\\", "/") if entry is not None else "")
            if entry is None:
                unreadable += 1
                continue
            key = entry.filename.replace("\\", "/").upper()
            if key in seen:
                continue
            seen.add(key)
            content = archive.read(entry)
            try:
                found = read_document(content, PurePosixPath(uri).name)
            except ZipBombRefused:
                raise
            except ParseError as exc:
                unreadable += 1
                if refused is not None:
                    refused.append((PurePosixPath(uri).name, content, exc))
                continue
            for doc in found:
                printed_only = doc.format == "pdf" and bool(identity.family_name or identity.ins)
                if printed_only or (not doc.identity.family_name and not doc.identity.ins):
                    doc = replace(doc, identity=identity)  # the metadata's identity beats a PDF's printed one
                elif has_identity(identity) and name_two_patients(doc.identity, identity):
                    # the metadata entry and the document name two patients: a person decides, seeing both
                    doc = replace(doc, envelope=identity, envelope_from="xdm")
                if entry_id:
                    doc = replace(doc, entry_id=entry_id, replaces=replaced.get(entry_id, ""))
                documents.append(doc)
    if not documents:
        raise ParseError(T("clinical.xdm.paquet-xdm-contient-aucun", unreadable=unreadable))
    return documents


def _named_after(archive: SafeZip, subset: str, entry_id: str) -> zipfile.ZipInfo | None:
    """The document of an entry that gives no URI slot (IHE requires one in XDM): the file of its subset
    named after the entry's id, whatever its extension ("Document01" -> Document01.xml, as the Direct
    Project's XDM packages name it). None when there is none, or more than one."""
    if not entry_id or "/" in entry_id or "\\" in entry_id:
        return None
    stem = entry_id.upper()
    found = [
        name
        for name in archive.names()
        if name.rsplit("/", 1)[0].upper() == subset.upper()
        and PurePosixPath(name).stem.upper() == stem
        and PurePosixPath(name).name.upper() != "METADATA.XML"
    ]
    return archive.find(found[0]) if len(found) == 1 else None


def _locate(archive: SafeZip, subset: str, uri: str) -> zipfile.ZipInfo | None:
    """The zip entry a URI names. Producers write it relative to the subset (IHE), to IHE_XDM/, to the
    zip's root, with backslashes or a leading './': each is tried, then the file name inside the subset."""
    clean = uri.replace("\\", "/")
    while clean.startswith("./"):
        clean = clean[2:]
    root = subset.rsplit("/", 1)[0]  # .../IHE_XDM
    base = root.rsplit("/", 1)[0] if "/" in root else ""  # the folder holding IHE_XDM/, if any
    candidates = [f"{subset}/{clean}", f"{root}/{clean}", f"{base}/{clean}" if base else clean]
    if clean.upper().startswith("IHE_XDM/") and base:
        candidates.append(f"{base}/{clean}")
    for name in candidates:
        entry = archive.find(name)
        if entry is not None:
            return entry
    return archive.find(f"{subset}/{PurePosixPath(clean).name}")


_REPLACING = {"urn:ihe:iti:2007:AssociationType:RPLC", "urn:ihe:iti:2007:AssociationType:XFRM_RPLC"}


def _replacements(metadata: bytes) -> dict[str, str]:
    """DocumentEntry id -> the id of the document it replaces (RPLC / XFRM_RPLC associations)."""
    root = parse_xml_safely(metadata, undeclared_prefixes=True)
    return {
        a.get("sourceObject", ""): a.get("targetObject", "")
        for a in root.iter("Association")
        if a.get("associationType", "") in _REPLACING and a.get("sourceObject") and a.get("targetObject")
    }


def _entries(metadata: bytes, limit: int = MAX_DOCUMENTS) -> list[tuple[str, Identity, str]]:
    """(URI, identity from sourcePatientInfo/patientId, entry id) for each DocumentEntry of a METADATA.XML,
    each URI once; ParseError when more than ``limit`` distinct documents are listed (before any is read)."""
    root = parse_xml_safely(metadata, undeclared_prefixes=True)
    out: list[tuple[str, Identity, str]] = []
    uris_seen: set[str] = set()
    ids_seen: set[str] = set()
    for obj in root.iter("ExtrinsicObject"):
        slots = {
            slot.get("name", ""): [v.text or "" for v in slot.iter("Value")] for slot in obj.iter("Slot")
        }
        uris = slots.get("URI") or []
        if not uris:  # no URI slot: the document is looked for by the entry's id (_named_after)
            if obj.get("id", "") in ids_seen:
                continue
            ids_seen.add(obj.get("id", ""))
            if len(uris_seen) + len(ids_seen) > limit:
                raise ParseError(T("clinical.xdm.paquet-xdm-liste-plus", MAX_DOCUMENTS=MAX_DOCUMENTS))
            out.append(("", _identity(slots, obj), obj.get("id", "")))
            continue
        # A long URI may be split over several values ("1|part", "2|part") as in XDS.
        if len(uris) > 1 and all(re.match(r"^\d+\|", u) for u in uris):
            uri = "".join(u.split("|", 1)[1] for u in sorted(uris, key=lambda u: int(u.split("|", 1)[0])))
        else:
            uri = uris[0]
        uri = uri.strip().replace("\\", "/")
        if not uri or uri.startswith("/") or ".." in PurePosixPath(uri).parts:
            continue
        if uri.upper() in uris_seen:
            continue
        uris_seen.add(uri.upper())
        if len(uris_seen) + len(ids_seen) > limit:
            raise ParseError(T("clinical.xdm.paquet-xdm-liste-plus", MAX_DOCUMENTS=MAX_DOCUMENTS))
        out.append((uri, _identity(slots, obj), obj.get("id", "")))
    return out


def _identity(slots: dict[str, list[str]], obj: ET.Element) -> Identity:
    info: dict[str, str] = {}
    for value in slots.get("sourcePatientInfo", []):
        key, _, rest = value.partition("|")
        info.setdefault(key.strip().upper(), rest)
    name = info.get("PID-5", "").split("^")
    ins = ins_oid = source_id = None
    for ident in slots.get("sourcePatientId", []) + _patient_ids(obj):
        value, _, authority = ident.partition("^^^")
        parts = re.split(r"[&^]", authority)
        if any(p in OBSOLETE_INS_OIDS for p in parts):
            continue  # the obsolete INS-C: neither an INS nor the sender's record number
        oid = next((p for p in parts if p in INS_OIDS), None)
        if oid and ins is None:
            ins, ins_oid = value.strip(), oid
        elif not oid and source_id is None and value.strip() and ident in slots.get("sourcePatientId", []):
            source_id = value.strip()
    return Identity(
        family_name=name[0].split("&", 1)[0].strip() if name else "",  # XPN.1: surname first
        given_names=tuple(name[1].split()) if len(name) > 1 else (),
        birth_date=parse_birth_date(info.get("PID-7", "")),
        sex=parse_sex(info.get("PID-8", "")),
        ins=ins,
        ins_oid=ins_oid,
        source_id=source_id,
    )


_PATIENT_ID_SCHEME = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"  # XDSDocumentEntry.patientId


def _patient_ids(obj: ET.Element) -> list[str]:
    return [
        ext.get("value", "")
        for ext in obj.iter("ExternalIdentifier")
        if ext.get("identificationScheme", "") == _PATIENT_ID_SCHEME and ext.get("value")
    ]


__all__ = ["SafeZip", "looks_like", "parse"]
