"""Bare PDF letters: the identity they print is read as suggested traits; À classer proposes the candidates
and the letter is never filed automatically, even when the traits match a patient exactly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.clinical.matching import PatientIndex
from core.clinical.pdf_identity import suggested_identity
from core.clinical.readers import read_document
from core.demo.documents import pdf_letter
from core.model import Patient
from core.practice.documents import DocumentQueue
from tests.filing.fakes import MemoryProfile

PATIENTS = [
    Patient("p-1", "MARTIN", "DUPONT", ("Jeanne", "Marie"), dt.date(1956, 3, 14), "F", "279035121518989"),
    Patient("p-2", "DUPONT", "", ("Jeannine",), dt.date(1956, 3, 14), "F"),
]


def test_printed_traits() -> None:
    ident = suggested_identity(
        "Patiente : Mme DUPONT née MARTIN Jeanne Marie\nNée le 14/03/1956\nNIR : 2 79 03 51 215 189 89\n"
    )
    assert (ident.family_name, ident.birth_name, ident.given_names) == (
        "DUPONT",
        "MARTIN",
        ("Jeanne", "Marie"),
    )
    assert ident.birth_date == dt.date(1956, 3, 14) and ident.sex == "F" and ident.nir == "279035121518989"
    fields = suggested_identity(
        "Nom de naissance : LEROY\nNom d'usage : MARTIN\nPrénoms : Louise Élise\nDate de naissance : 02/11/1948\n"
        "Sexe : F\n"
    )
    assert (fields.family_name, fields.birth_name, fields.given_names) == (
        "MARTIN",
        "LEROY",
        ("Louise", "Élise"),
    )
    assert fields.birth_date == dt.date(1948, 11, 2) and fields.sex == "F"
    assert suggested_identity("M. PETIT Paul, né le 1/2/60").birth_date == dt.date(1960, 2, 1)
    assert suggested_identity("Cher confrère, je vous adresse ce patient.") == type(fields)()
    assert suggested_identity("NIR 1 23 45 67 891 234 00").nir is None  # a wrong key is not a NIR


def test_the_ins_datamatrix_text_line() -> None:
    line = "IS0100000000000000000000S1279035121518989\x1dS21.2.250.1.213.1.4.8\x1dS3DOMINIQUE\x1dS4F\x1dS5PAT-TROIS\x1dS628-03-1979"
    ident = suggested_identity(f"Compte rendu\n{line}\n")
    assert ident.nir == "279035121518989" and ident.birth_name == "PAT-TROIS"
    assert (
        ident.given_names == ("DOMINIQUE",) and ident.birth_date == dt.date(1979, 3, 28) and ident.sex == "F"
    )


def test_a_bare_pdf_gets_candidates_and_is_never_filed_automatically(tmp_path: Path) -> None:
    letter = pdf_letter(
        "Compte rendu de consultation",
        ["Patiente : Mme DUPONT née MARTIN Jeanne Marie", "Née le 14/03/1956", "NIR : 2 79 03 51 215 189 89"],
    )
    (doc,) = read_document(letter, "courrier.pdf").documents
    assert doc.format == "pdf" and doc.identity.family_name == "DUPONT"
    index = PatientIndex(PATIENTS)
    assert index.match(doc.identity).decision == "auto"  # the traits alone would be enough...
    queue = DocumentQueue(
        MemoryProfile(tmp_path / "p"),
        {"folder": str(tmp_path / "lgc"), "auto": True},
        patient_exists=lambda _p: None,
    )
    (queued,) = queue.ingest_message("<m@x>", [("courrier.pdf", "application/pdf", letter)], index.match)
    assert queued.state == "waiting" and queued.decision == "review"  # ...but a PDF waits for a person
    assert queued.candidates[0].patient_id == "p-1"  # filing is one key: the first candidate
    assert not (tmp_path / "lgc").exists() or not any((tmp_path / "lgc").iterdir())
