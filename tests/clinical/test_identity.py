"""Identity normalisation, NIR keys and the phonetic key."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.clinical.identity import (
    GivenLevel,
    Level,
    compact,
    compare_given_names,
    compare_names,
    core_name,
    fold,
    is_valid_nir,
    nir_key,
    phonetic_key,
    sex_from_nir,
    split_family_name,
    split_given_names,
    within_one_edit,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Lefèvre", "LEFEVRE"),
        ("  jean-pierre  ", "JEAN PIERRE"),
        ("D'Almeida", "D ALMEIDA"),
        ("N’Diaye", "N DIAYE"),
        ("Œuvray", "OEUVRAY"),
        ("Müller", "MULLER"),
        ("Le   Gall", "LE GALL"),
        ("Fontaine (de la)", "FONTAINE DE LA"),
        ("", ""),
    ],
)
def test_fold_removes_case_accents_and_punctuation(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_compact_and_particles_make_spellings_agree() -> None:
    assert compact("Martin-Dupont") == compact("MARTIN DUPONT") == compact("martindupont")
    assert core_name("de La Fontaine") == core_name("FONTAINE (DE LA)") == core_name("Fontaine")
    assert core_name("Le Gall") == "GALL" and compact("Le Gall") == compact("LEGALL")
    assert core_name("De La") == "DELA"  # a name made only of particles is kept


@pytest.mark.parametrize(
    ("raw", "used", "birth"),
    [
        ("DUPONT EP MARTIN", "MARTIN", "DUPONT"),
        ("Dupont ép. Martin", "MARTIN", "DUPONT"),
        ("Dupont épouse Martin", "MARTIN", "DUPONT"),
        ("MARTIN NEE DUPONT", "MARTIN", "DUPONT"),
        ("Martin née Dupont", "MARTIN", "DUPONT"),
        ("DURAND VVE LEROY", "LEROY", "DURAND"),
        ("MARTIN", "MARTIN", ""),
        ("EP MARTIN", "EP MARTIN", ""),  # a notation needs a name on both sides
    ],
)
def test_split_family_name_reads_ep_and_nee_notations(raw: str, used: str, birth: str) -> None:
    assert split_family_name(raw) == (used, birth)


def test_given_names_keep_composite_names_whole() -> None:
    assert split_given_names("Jean-Pierre Marie  Louis") == ("Jean-Pierre", "Marie", "Louis")
    assert split_given_names("Anne, Sophie") == ("Anne", "Sophie")
    assert split_given_names("") == ()


def test_nir_key_matches_the_ans_test_ins_and_corsica() -> None:
    assert nir_key("2790351215189") == 89
    assert is_valid_nir("279035121518989")
    assert is_valid_nir("2 79 03 51 215 189 89")
    assert not is_valid_nir("279035121518988")
    assert not is_valid_nir("27903512151898")  # 14 characters
    # Corsica: 2A counts as 19 and 2B as 18 in the key.
    body_a = "18503" + "2A" + "123456"
    assert nir_key(body_a) == 97 - int("18503" + "19" + "123456") % 97
    assert is_valid_nir(body_a + f"{nir_key(body_a):02d}")
    body_b = "28503" + "2B" + "654321"
    assert nir_key(body_b) == 97 - int("28503" + "18" + "654321") % 97
    assert not is_valid_nir(body_b + f"{(nir_key(body_b) + 1) % 100:02d}")


def test_nir_months_outside_1_12_are_accepted() -> None:
    body = "1852075123456"  # month 20: civil month unknown
    assert is_valid_nir(body + f"{nir_key(body):02d}")


def test_sex_from_nir() -> None:
    assert sex_from_nir("279035121518989") == "F"
    assert sex_from_nir("1 85 03 75 123 456 00") == "M"
    assert sex_from_nir("") == "U"
    assert sex_from_nir("9") == "U"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Dupont", "DUPOND"),
        ("Laurent", "Lorand"),
        ("Giraud", "Giraux"),
        ("Gauthier", "Gautier"),
        ("Philippe", "Filipe"),
        ("Barre", "Bare"),
        ("Lefèvre", "LEFEVRE"),
        ("Schmitt", "Schmit"),
    ],
)
def test_phonetic_key_groups_french_homophones(a: str, b: str) -> None:
    assert phonetic_key(a) == phonetic_key(b)


@pytest.mark.parametrize(("a", "b"), [("Martin", "Bernard"), ("Dupont", "Durand"), ("Moreau", "Morel")])
def test_phonetic_key_separates_different_names(a: str, b: str) -> None:
    assert phonetic_key(a) != phonetic_key(b)


def test_name_levels() -> None:
    assert compare_names("Le Gall", "LEGALL") == Level.EXACT
    assert compare_names("de la Fontaine", "Fontaine") == Level.PARTICLE
    assert compare_names("DUPONT", "DUPOMT") == Level.TYPO
    assert compare_names("Dupont", "Dupond") == Level.TYPO  # one letter apart beats phonetics
    assert compare_names("Giraud", "Giraux") == Level.TYPO
    assert compare_names("Gauthier", "Gautier") == Level.TYPO
    assert compare_names("Laurent", "Lorand") == Level.PHONETIC
    assert compare_names("Martin Dupont", "Martin") == Level.PARTIAL
    assert compare_names("Bernard", "Bertin") == Level.PREFIX
    assert compare_names("Martin", "Durand") == Level.DIFFERENT
    assert compare_names("", "Martin") == Level.DIFFERENT


def test_given_name_levels() -> None:
    assert compare_given_names(("JEAN-PIERRE",), ("Jean-Pierre",)) == GivenLevel.EXACT
    assert compare_given_names(("JEAN PIERRE",), ("Jean-Pierre",)) == GivenLevel.EXACT
    assert compare_given_names(("Jean-Pierre",), ("Jean", "Pierre")) == GivenLevel.COMPOSITE
    assert compare_given_names(("JEAN", "PIERRE"), ("Jean-Pierre",)) == GivenLevel.COMPOSITE
    assert compare_given_names(("MARIE ANNE LOUISE",), ("Marie", "Anne", "Louise")) == GivenLevel.COMPOSITE
    assert compare_given_names(("Jean",), ("Jean-Pierre",)) == GivenLevel.PARTIAL
    assert compare_given_names(("MARIE ANNE",), ("Marie", "Claire")) == GivenLevel.PARTIAL
    assert compare_given_names(("Stephane",), ("Stéphanie",)) == GivenLevel.TYPO
    assert compare_given_names(("Paul",), ("Marie",)) == GivenLevel.DIFFERENT
    assert compare_given_names((), ("Marie",)) == GivenLevel.DIFFERENT


def test_within_one_edit() -> None:
    assert within_one_edit("MARTIN", "MARTNI")  # transposition
    assert within_one_edit("MARTIN", "MARTN")
    assert within_one_edit("MARTIN", "MARTINE")
    assert within_one_edit("MARTIN", "MORTIN")
    assert not within_one_edit("MARTIN", "MORTIM")
    assert not within_one_edit("MARTIN", "MARTINEZ")


# ------------------------------------------------------------------------------------ properties

names = st.text(
    alphabet=st.sampled_from(string.ascii_letters + "éèêëàâäîïôöûüùçÉÈÀÇŒœæ -'’."), min_size=0, max_size=30
)


@given(names)
def test_fold_is_idempotent_and_plain(name: str) -> None:
    folded = fold(name)
    assert fold(folded) == folded
    assert folded == folded.strip() and "  " not in folded
    assert all(c in string.ascii_uppercase + string.digits + " " for c in folded)


@given(names)
def test_spelling_variants_compare_exact(name: str) -> None:
    if not compact(name):
        return
    variants = [name.upper(), name.lower(), name.replace("-", " "), name.replace(" ", "-"), fold(name)]
    for v in variants:
        assert compare_names(name, v) == Level.EXACT
        assert phonetic_key(v) == phonetic_key(name)


@given(st.text(max_size=40))
def test_normalisation_is_total(text: str) -> None:
    # Any text, including control characters and other scripts, gives strings and never raises.
    assert isinstance(fold(text), str)
    assert isinstance(phonetic_key(text), str)
    assert isinstance(split_family_name(text), tuple)
    assert compare_names(text, text) in (Level.EXACT, Level.DIFFERENT)
    assert isinstance(is_valid_nir(text), bool)
    assert sex_from_nir(text) in ("M", "F", "U")


@given(st.from_regex(r"[12][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{6}", fullmatch=True))
def test_computed_key_always_validates_and_a_wrong_key_never(body: str) -> None:
    key = nir_key(body)
    assert 1 <= key <= 97
    assert is_valid_nir(f"{body}{key:02d}")
    assert not is_valid_nir(f"{body}{(key % 97) + 1:02d}")
