"""Format detection and dispatch: bytes (and maybe a file name) to the right clinical reader.

Content decides, the file name only breaks ties: labs name files freely (.txt after Apicrypt, .dat...).
Every failure is a :class:`core.errors.ParseError` with a one-line reason; no other exception leaves here.
"""

from __future__ import annotations

import codecs
import importlib
import re
from typing import TYPE_CHECKING, Any

from core.clinical import hl7v2, hprim2, hprim_net, limits, pdf

# The CDA and XDM readers (xml.etree, expat, zipfile) are imported when content asks for them: an XML
# document or a zip. A sync sniffs every attachment, and most are neither (PDF files, images).
from core.clinical.encoding import decode
from core.errors import ParseError
from core.model import SourceFormat
from core.text import T

if TYPE_CHECKING:
    from core.model_rest import ReadResult

_HPRIM_EXTENSIONS = (".hpr", ".hpm", ".hpm1", ".hpm2", ".hpm3", ".hprim")
_HL7_EXTENSIONS = (".hl7", ".er7", ".oru")
_CLINICAL_TYPES = (
    "application/hl7-v2",
    "x-application/hl7-v2",
    "application/x-hl7",
    "application/x-hprim",
    "text/x-hprim",
    "application/hl7-cda+xml",
    "application/x-hprim-net",
)
MAX_INPUT = 200 * 1024 * 1024


def detect_format(data: bytes, filename: str = "") -> SourceFormat | None:
    """The format of ``data`` from its content (the name's extension only as a tie-breaker), or None."""
    name = filename.lower()
    if data.startswith(b"PK\x03\x04"):
        return "xdm"
    if pdf.looks_like(data):
        return "pdf"
    head = decode(data[:16384]).text
    stripped = head.lstrip("\ufeff \t\r\n\x0b")
    if stripped.startswith(("MSH", "FHS", "BHS")) and len(stripped) > 3 and not stripped[3].isalnum():
        return "hl7v2"
    if hprim2.looks_like(stripped):
        return "hprim-2"
    if stripped.startswith("<"):
        if b"ClinicalDocument" not in data:  # what cda.looks_like looks for (no import for other XML)
            return None
        from core.clinical import cda

        return "cda" if cda.looks_like(data.lstrip(b"\xef\xbb\xbf \t\r\n")) else None
    if hprim_net.looks_like(head):
        return "hprim-net"
    if name.endswith(_HPRIM_EXTENSIONS) and len(stripped) > 0:
        return "hprim-net"
    return None


_REPORT_STARTS = (b"MSH", b"FHS", b"BHS", b"H")  # HL7 v2, then HPRIM 2's H record
_ASCII_LETTER = re.compile(rb"[A-Za-z]")


def may_be_text_report(data: bytes) -> bool:
    """False when ``detect_format(data)`` (no file name) cannot be a text report (``hl7v2``, ``hprim-2`` or
    ``hprim-net``), found from the bytes without decoding them; True when it may be (or when unsure).

    The text is decoded as UTF-8, Windows-1252 or Latin-1, which all read an ASCII byte as that character
    and no other byte as an ASCII character: so an HL7 or HPRIM 2 file starts with its ASCII record name
    after blanks and byte order marks, HPRIM Net's markers and RES lines are in the bytes, and the header
    test of ``hprim_net.looks_like`` needs a 7th line that is a date or a dot, which a line holding an ASCII
    letter is not. UTF-16 (a BOM), and a lone CR (a line end to the readers) in the first 7 lines, are
    left to ``detect_format``.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    head = data[:SNIFFED]
    if head.lstrip(b"\xef\xbb\xbf \t\r\n\x0b").startswith(_REPORT_STARTS):
        return True
    # a byte looked for first (memchr): a letter's prose has neither, and two searches of 4 bytes through
    # 16 KB cost 12 us a letter where these cost 1
    if (b"*" in head and b"****" in head) or (b"|" in head and b"RES|" in head):
        return True
    lines = head.split(b"\n", 7)
    if len(lines) < 8:
        return True  # fewer than 8 lines, or a lone CR could make more: left to detect_format
    span = len(head) - len(lines[7])  # the first 7 lines and their line ends
    if head.count(b"\r", 0, span) != head.count(b"\r\n", 0, span):
        return True  # a lone CR: the readers' lines are not these
    # (a 7th line that ends past the 8,192 characters looks_like reads leaves it fewer than 12 lines)
    return _ASCII_LETTER.search(lines[6]) is None


def read_document(data: bytes, filename: str = "", *, _depth: int = 0) -> ReadResult:
    """Detect the format of ``data`` and read every document in it; ParseError when unreadable."""
    from core.model_rest import ReadResult

    if not data or not data.strip():
        raise ParseError(T("clinical.readers.vide", label=_label(filename)))
    if len(data) > MAX_INPUT:
        raise ParseError(T("clinical.readers.depasse-200-document-clinique", label=_label(filename)))
    if data.startswith(_TNEF_SIGNATURE):
        # Outlook's winmail.dat: an HPRIM file stored inside it would be found by its lines, behind the
        # stream's own bytes, and its identity read from the wrong lines (a name on the birth date's line)
        raise ParseError(T("clinical.readers.winmail-dat", label=_label(filename)))
    kind = detect_format(data, filename)
    if kind is None:
        raise ParseError(T("clinical.readers.format-non-reconnu-hprim", label=_label(filename)))
    if kind == "xdm" and _depth > 0:
        raise ParseError(T("clinical.readers.paquet-xdm-paquet-xdm", label=_label(filename)))
    refused: list[tuple[str, bytes, ParseError]] = []
    try:
        if kind == "xdm":  # a package: its documents that cannot be read are said, not only counted
            documents = _reader("xdm").parse(data, refused=refused)
        else:
            documents = _READERS[kind](data, filename)
    except ParseError:
        raise
    except RecursionError:
        raise ParseError(
            T("clinical.readers.structure-trop-profondement-imbriquee", label=_label(filename))
        ) from None
    except (ValueError, IndexError, KeyError, TypeError, LookupError, OverflowError, AttributeError) as exc:
        # A reader bug on odd input must still end as one clear line, never a traceback.
        raise ParseError(
            T(
                "clinical.readers.contenu-illisible-demandez-expediteur",
                label=_label(filename),
                kind=kind,
                name=type(exc).__name__,
            )
        ) from None
    for doc in documents:  # every reader, the embedded and packaged documents included
        limits.check_identity(doc.identity, _label(filename))
        limits.check_observations(len(doc.observations), _label(filename))
    return ReadResult(format=kind, documents=documents, refused=tuple(refused))


_TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"  # 0x223E9F78, little-endian: a TNEF stream (core/mail/tnef.py)


def _label(filename: str) -> str:
    return repr(filename.rsplit("/", 1)[-1]) if filename else "document"


def _reader(name: str) -> Any:
    """A reader module imported when first used (``cda``, ``xdm``)."""
    return importlib.import_module(f"core.clinical.{name}")


_READERS = {
    "hprim-net": lambda data, name: hprim_net.parse(data),
    "hprim-2": lambda data, name: hprim2.parse(data),
    "hl7v2": lambda data, name: hl7v2.parse(data),
    "cda": lambda data, name: _reader("cda").parse(data),
    "xdm": lambda data, name: _reader("xdm").parse(data),
    "pdf": lambda data, name: pdf.parse(data, title=name.rsplit("/", 1)[-1] if name else ""),
}


SNIFFED = 16384  # what looks_clinical reads of anything but a zip: its first bytes


def looks_clinical(data: bytes, filename: str = "", content_type: str = "") -> bool:
    """Cheap sniffing for the mail pipeline: is this attachment or body worth giving to the readers?

    PDF files count (letters and reports travel as PDF); a plain zip counts only when it is an XDM package.
    Reads at most the first ``SNIFFED`` bytes (plus the zip directory): for anything that does not start as a
    zip, ``data[:SNIFFED]`` gets the same answer as ``data``. Never raises.
    """
    name = filename.lower()
    ctype = content_type.lower().split(";", 1)[0].strip()
    if ctype in _CLINICAL_TYPES or name.endswith(_HPRIM_EXTENSIONS + _HL7_EXTENSIONS):
        return True
    try:
        if data.startswith(b"PK\x03\x04"):
            from core.clinical import xdm

            return xdm.looks_like(data) or name.startswith("ihe_xdm")
        return detect_format(data[:SNIFFED], filename) is not None
    except Exception:  # noqa: BLE001 - a sniffer must never break mail reading
        return False


_TYPE_FORMATS: dict[str, SourceFormat] = {
    "application/hl7-v2": "hl7v2",
    "x-application/hl7-v2": "hl7v2",
    "application/x-hl7": "hl7v2",
    "application/x-hprim": "hprim-net",
    "text/x-hprim": "hprim-net",
    "application/x-hprim-net": "hprim-net",
    "application/hl7-cda+xml": "cda",
}


def claimed_format(data: bytes, filename: str = "", content_type: str = "") -> SourceFormat | None:
    """The clinical format a file claims to be, by its content (as ``detect_format`` reads it), else its
    extension or MIME type: what a reader that refuses it was meant to read. None for a file that is not a
    clinical one by itself: a PDF (a letter as often as a report), a zip that is no XDM package, an image, a
    signature. Never raises."""
    name = filename.lower()
    ctype = content_type.lower().split(";", 1)[0].strip()
    try:
        if data.startswith(b"PK\x03\x04"):
            from core.clinical import xdm

            return "xdm" if xdm.looks_like(data) or name.startswith("ihe_xdm") else None
        if data.startswith(_TNEF_SIGNATURE) or pdf.looks_like(data):
            return None
        kind = detect_format(data, filename)
    except Exception:  # noqa: BLE001 - a sniffer must never break mail reading
        kind = None
    if kind is not None and kind != "pdf":
        return kind
    if name.endswith(_HPRIM_EXTENSIONS):
        return "hprim-net"
    if name.endswith(_HL7_EXTENSIONS):
        return "hl7v2"
    return _TYPE_FORMATS.get(ctype)


__all__ = [
    "ReadResult",
    "claimed_format",
    "detect_format",
    "looks_clinical",
    "may_be_text_report",
    "read_document",
]
