"""What kind of report a document is: biology, imaging, pathology, a letter.

The seed names biology, radiology and anatomo-pathology; all three are read, matched and filed the same way,
and the kind is shown beside them. A CDA says it by its LOINC type code (CI-SIS CR-BIO 11502-2, CR-IMAGERIE
18748-4, CR-ANAPATH 11526-1...); an HPRIM Net text report, an HL7 MDM or a PDF only by its words, so the
title and the first lines are looked at. Pure: a ClinicalDocument in, a code out.
"""

from __future__ import annotations

import re

from core.model import ClinicalDocument

BIOLOGY, IMAGING, PATHOLOGY, LETTER, OTHER = (
    "biologie",
    "imagerie",
    "anatomopathologie",
    "courrier",
    "document",
)
KINDS = (BIOLOGY, IMAGING, PATHOLOGY, LETTER, OTHER)

_CODES = {
    "11502-2": BIOLOGY,  # CR d'examens biologiques (CR-BIO)
    "18748-4": IMAGING,  # Diagnostic imaging study (CR-IMAGERIE)
    "18782-3": IMAGING,  # Radiology study observation
    "18747-6": IMAGING,  # CT study
    "18755-9": IMAGING,  # MRI study
    "18760-9": IMAGING,  # Ultrasound study
    "24627-2": IMAGING,  # Chest CT
    "11525-3": IMAGING,  # US pelvis (obstetric)
    "11526-1": PATHOLOGY,  # Pathology study (CR-ANAPATH)
    "60568-3": PATHOLOGY,  # Pathology synoptic report
    "22637-3": PATHOLOGY,  # Pathology report final diagnosis
    "11529-5": PATHOLOGY,  # Surgical pathology study
    "11488-4": LETTER,  # Consult note
    "11490-0": LETTER,  # Discharge summary (lettre de liaison)
    "34133-9": LETTER,  # Summary of episode note
}
_IMAGING = re.compile(
    r"radiolog|radiograph|imagerie|[ée]chograph|scanner|tomodensitom|\bIRM\b|mammograph|doppler|scintigraph|"
    r"\bTDM\b|\bTEP\b|angiograph|ost[ée]odensitom",
    re.IGNORECASE,
)
_PATHOLOGY = re.compile(
    r"anatomo|anapath|cytolog|histolog|biopsie|pi[èe]ce op[ée]ratoire|frottis|immunohistochim|"
    r"anatomie\s+(?:et\s+)?cytolog|pathologi(?:e|que)\s+(?:cellulaire|tissulaire)",
    re.IGNORECASE,
)


def document_kind(doc: ClinicalDocument) -> str:
    """``biologie``, ``imagerie``, ``anatomopathologie``, ``courrier`` or ``document``."""
    by_code = _CODES.get(doc.code.strip())
    if by_code:
        return by_code
    for words in (f"{doc.title}\n{doc.author}", doc.text[:3000]):  # the title and sender say it best
        path, imaging = _PATHOLOGY.search(words), _IMAGING.search(words)
        if path and (not imaging or path.start() < imaging.start()):
            return PATHOLOGY  # the first one named wins: a scan report may advise a biopsy
        if imaging:
            return IMAGING
    if doc.observations:
        return BIOLOGY
    if doc.format == "pdf" or doc.code:
        return LETTER
    return OTHER


__all__ = ["BIOLOGY", "IMAGING", "KINDS", "LETTER", "OTHER", "PATHOLOGY", "document_kind"]
