"""HPRIM Net's 8th line is the insured person's NIR, which may be a parent's: its sex is the patient's only when
the number is the patient's own (its year and month of birth are the header's birth date's).

The header has no rank nor « qualité » field saying whose number it is (STANDARDS.md §2.2, §5.2: « HPRIM line 8
carries the NIR of the insured person in some labs »); every real and public file in tests/data carries the
patient's own number (SOLABIO's DUPONT 01/01/1950 « 1500176… », 1968-04-12 « 1680475… », 03/06/1955 « 2550699… »).
A boy's result carrying his mother's NIR read « F », showed « ≠ Sexe F / M », « sexe incompatible »; his father's
ruled out his twin sister as a rival on a sex that was not his. Both directions are held here: never filed alone
where a look-alike of the other sex may be meant, filed when the identity is unambiguous without the sex.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.clinical.identity import nir_key
from core.clinical.matching import PatientIndex, differing_traits
from core.clinical.readers import read_document
from core.model import Identity, Patient


def nir(body: str) -> str:
    return body + f"{nir_key(body):02d}"


MOTHER_NIR = nir("2850375123456")  # a woman born in March 1985
FATHER_NIR = nir("1830169123789")  # a man born in January 1983
LUCAS_NIR = nir("1150275111222")  # a boy born in February 2015 (his own card, at 12 years or more)
TWINS = dt.date(2015, 2, 14)

CLAIRE = Patient("M1", "DURAND", "", ("Claire",), dt.date(1985, 3, 20), "F", MOTHER_NIR)
LUCAS = Patient("C1", "DURAND", "", ("Lucas",), TWINS, "M")
LEA = Patient("C2", "DURAND", "", ("Léa",), TWINS, "F")  # Lucas's twin sister
LOUIS = Patient("C3", "MARTIN", "", ("Louis",), TWINS, "M")
LOUISE = Patient("C4", "MARTIN", "", ("Louise",), TWINS, "F")  # Louis's twin sister: one letter apart


def hprim(name: str, given: str, born: str, nir_line: str) -> bytes:
    header = ["A1", name, given, "", "", "75012 PARIS", born, nir_line, "D1", "02/01/2026"]
    header += ["LABO01     LABORATOIRE DES ORMES", "DRTEST     Dr Claire TESTARD"]
    body = ["Compte rendu", "****LAB****", "RES|GLYCEMIE|GLY|N|1.02|g/L|0.74|1.06|N|F", "****FIN****"]
    return ("\r\n".join([*header, *body, "****FINFICHIER****"]) + "\r\n").encode("cp1252")


def identity(name: str, given: str, born: str, nir_line: str) -> Identity:
    (document,) = read_document(hprim(name, given, born, nir_line), "r.hpr").documents
    return document.identity


def index() -> PatientIndex:
    return PatientIndex([CLAIRE, LUCAS, LEA, LOUIS, LOUISE])


@pytest.mark.parametrize(
    ("born", "nir_line", "sex"),
    [
        ("14/02/2015", MOTHER_NIR, "U"),  # a child's result on his mother's card
        ("14/02/2015", FATHER_NIR, "U"),
        ("14/02/2015", LUCAS_NIR, "M"),  # his own number
        ("14/02/2015", LUCAS_NIR[:13], "U"),  # no key: not read, as before
        ("20/03/1985", MOTHER_NIR, "F"),  # the mother's own result
        ("20/04/1985", MOTHER_NIR, "U"),  # same year, another month: not hers
        ("20/03/1985", nir("2855075123456"), "F"),  # civil month unknown (50): the year agrees
        ("", MOTHER_NIR, "U"),  # no birth date to compare with
    ],
)
def test_the_sex_is_read_from_the_nir_only_when_it_is_the_patients_own(
    born: str, nir_line: str, sex: str
) -> None:
    ident = identity("DURAND", "LUCAS", born, nir_line)
    assert ident.sex == sex
    assert ident.nir == nir_line  # the number is kept and shown as it is (« NIR différent », NIR_SAME)


def test_a_boys_result_on_his_mothers_card_is_not_said_of_the_other_sex() -> None:
    """His twin sister has another first name: the identity is unambiguous without the sex, and it is filed
    as a result without NIR would be (it waited, « sexe incompatible », « ≠ Sexe F / M »)."""
    ident = identity("DURAND", "LUCAS", "14/02/2015", MOTHER_NIR)
    assert "sex" not in differing_traits(ident, LUCAS)
    found = index().match(ident)
    assert (found.decision, found.patient_id) == ("auto", "C1"), found
    reasons = found.candidates[0].reasons
    assert "sexe incompatible" not in reasons and "sexe inconnu" in reasons


def test_the_mothers_own_result_is_read_and_filed_as_before() -> None:
    ident = identity("DURAND", "CLAIRE", "20/03/1985", MOTHER_NIR)
    assert ident.sex == "F"
    found = index().match(ident)
    assert (found.decision, found.patient_id) == ("auto", "M1"), found
    assert "sexe identique" in found.candidates[0].reasons


@pytest.mark.parametrize(
    ("given", "nir_line"),
    [
        ("LOUIS", FATHER_NIR),  # was filed for Louis: the father's « M » ruled Louise out
        ("LOUISE", MOTHER_NIR),  # was filed for Louise: the mother's « F » ruled Louis out
        ("LOUIS", MOTHER_NIR),  # waited, and still does
        ("", FATHER_NIR),  # no first name: waits for both
    ],
)
def test_twins_of_different_sex_one_letter_apart_wait_unless_the_nir_is_the_childs(
    given: str, nir_line: str
) -> None:
    """Louis and Louise, twins: « LOUIS » may be a slip for « LOUISE ». Only the child's own number tells the
    sex; a parent's says nothing, so the other twin stays a rival and the result waits for a person."""
    found = index().match(identity("MARTIN", given, "14/02/2015", nir_line))
    assert found.decision == "review", found
    assert {c.patient_id for c in found.candidates} >= {"C3", "C4"}


def test_twins_of_different_sex_the_childs_own_nir_tells_them_apart() -> None:
    boy = nir("1150275111333")
    found = index().match(identity("MARTIN", "LOUIS", "14/02/2015", boy))
    assert (found.decision, found.patient_id) == ("auto", "C3"), found


def test_twins_of_different_sex_with_other_first_names_on_a_parents_card() -> None:
    """Léa's result on her father's card: filed for her (it waited, « sexe incompatible »), never for Lucas."""
    found = index().match(identity("DURAND", "LEA", "14/02/2015", FATHER_NIR))
    assert (found.decision, found.patient_id) == ("auto", "C2"), found
    found = index().match(identity("DURAND", "LEA", "14/02/2015", MOTHER_NIR))
    assert (found.decision, found.patient_id) == ("auto", "C2"), found  # as before
