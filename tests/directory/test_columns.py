"""Headers are recognised by column name, for both RPPS vintages and the MSSanté extraction."""

from __future__ import annotations

import random

import pytest

from core.directory.columns import Kind, norm_label, recognise
from tests.directory import gen


@pytest.mark.parametrize("vintage,width", [(52, 52), (56, 56)])
def test_both_rpps_sample_headers_are_recognised(vintage: int, width: int) -> None:
    labels = gen.header(vintage)
    layout = recognise(labels)
    assert layout is not None and layout.kind is Kind.RPPS and layout.width == width
    # every field the directory shows is found, at the position of its label in that vintage
    assert labels[layout.index["family_name"]] == "Nom d'exercice"
    assert labels[layout.index["idnat"]] == "Identification nationale PP"
    assert labels[layout.index["city"]].startswith("Libellé commune")
    assert labels[layout.index["specialty"]] == "Libellé savoir-faire"


def test_mss_sample_header_is_recognised() -> None:
    labels = gen.header("mss")
    layout = recognise(labels)
    assert layout is not None and layout.kind is Kind.MSS and layout.width == 31
    assert labels[layout.index["address"]] == "Adresse BAL"
    # the real extraction's spelling (the last 11 labels end with " structure BAL")
    assert labels[layout.index["delivery_line"]] == "L6LIGNEACHEMINEMENT structure BAL"
    assert labels[layout.index["postcode"]] == "Code postal structure BAL"


def test_mss_header_without_the_structure_bal_suffix_still_reads() -> None:
    """The earlier reconstruction of the header dropped the suffix: both spellings are read."""
    labels = [
        label.removesuffix(" structure BAL") if label.startswith(("L", "Code postal", "D", "Pays")) else label
        for label in gen.header("mss")
    ]
    assert "Code postal" in labels and "L6LIGNEACHEMINEMENT" in labels
    layout = recognise(labels)
    assert layout is not None and layout.kind is Kind.MSS
    assert labels[layout.index["delivery_line"]] == "L6LIGNEACHEMINEMENT"
    assert labels[layout.index["postcode"]] == "Code postal"


def test_columns_are_found_by_name_not_position() -> None:
    labels = gen.header(56)
    shuffled = labels[:]
    random.Random(3).shuffle(shuffled)
    layout = recognise(shuffled)
    assert layout is not None
    for field in ("family_name", "given_name", "postcode", "idnat"):
        assert layout.index[field] == shuffled.index(labels[recognise(labels).index[field]])


def test_label_spelling_variants_normalise_alike() -> None:
    assert norm_label("Libellé civilité d'exercice") == norm_label("LIBELLE  CIVILITE D’EXERCICE")
    assert norm_label("Indice répétition voie (coord. Structure)") == norm_label(
        "Indice répétition voie (coord. structure)"
    )
    assert norm_label("\ufeffadresse_bal") == norm_label("Adresse BAL")


def test_snake_case_mss_header_of_older_scripts() -> None:
    layout = recognise(
        ["type_bal", "adresse_bal", "identification_nationale_pp", "nom_exercice", "prenom_exercice"]
    )
    assert layout is not None and layout.kind is Kind.MSS


def test_unrelated_header_is_not_recognised() -> None:
    assert recognise(["Type d'identifiant PP", "Identifiant PP", "Code diplôme"]) is None
    assert recognise(["MSH", "PID"]) is None
