"""The one search rule (core.clinical.search) the directory, the patient search and the inbox search share."""

from __future__ import annotations

import pytest

from core.clinical.search import matches, searchable, searchable_text


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("lhote", "Marie L'HÔTE"),
        ("l'hote", "Marie LHOTE"),
        ("legoff", "Yann LE GOFF"),
        ("le goff", "Yann LE-GOFF"),
        ("dupont aignan", "DUPONT-AIGNAN Paul"),
        ("dupontaignan", "Dupont Aignan Paul"),
        ("lefevre", "Claire LEFÈVRE"),
        ("LÉFÈVRE claire", "claire lefevre"),
        ("resultats", "Résultats DUPONT Jeanne"),
        ("compte rendu", "Compte rendu de consultation"),
    ],
)
def test_names_are_found_however_they_are_typed(query: str, text: str) -> None:
    assert matches(query, searchable(text))


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("martin", "DUPONT Jeanne"),
        ("", "DUPONT"),
        ("-", "DUPONT"),
        ("299", "Compte rendu 1299"),
        ("pont", "DUPONT"),
    ],
)
def test_what_is_not_there_is_not_found(query: str, text: str) -> None:
    assert not matches(query, searchable(text))


def test_a_letters_text_keeps_each_word_once_and_answers_as_the_whole_text() -> None:
    text = "Taux d'hémoglobine à 9,8 g/dL.\nHémoglobine à contrôler chez Mme L'Hôte. " * 50
    form = searchable_text(text)
    assert form.count(" HEMOGLOBINE ") == 1 and len(form) < len(searchable(text)) / 20
    for query in ("hemoglobine", "HÉMOGLOBINE", "controler", "lhote", "taux dhemoglobine", "9,8"):
        assert matches(query, form) and matches(query, searchable(text)), query
    for query in ("globine", "ferritine"):
        assert not matches(query, form)
