"""Recipient completion (core.mail.addressbook) over a real directory index: past correspondents first, found
by the names the letters gave and by the directory's specialty and town for them, then the directory."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from core.directory.search import Directory, display_name
from core.mail import addressbook
from tests.directory import gen

OWN = frozenset({"dr.medecin@cabinet.mssante.fr"})


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Directory:
    folder = tmp_path_factory.mktemp("extractions")
    n_rows = 200
    rpps = gen.write(
        folder / "PS_LibreAcces_Personne_activite.txt", gen.rpps_lines(n_rows, extra=gen.LEFEVRE_CASE)
    )
    mss = gen.write(
        folder / "Extraction_Correspondance_MSSante.txt",
        gen.mss_lines(60, gen.practitioners_for(n_rows), extra=gen.LEFEVRE_CASE),
    )
    d = Directory(tmp_path_factory.mktemp("profile") / "directory")
    d.import_files([rpps, mss])
    return d


def _label_of(directory: Directory):  # noqa: ANN202
    def label_of(address: str) -> tuple[str, str]:
        entry = directory.by_address(address)
        if entry is None:
            return "", ""
        return display_name(entry), directory.words_of(address)  # as the façade does

    return label_of


def test_a_past_correspondent_comes_before_the_directory_for_the_same_words(directory: Directory) -> None:
    seen = Counter(
        {
            "Dr Anne Lefèvre <a.lefevre@medecin.mssante.fr>": 3,
            "dr.medecin@cabinet.mssante.fr": 40,  # our own: never offered
            "Secrétariat de cardiologie <secretariat@clinique-pau.mssante.fr>": 1,
        }
    )
    past = addressbook.correspondents(seen, OWN, _label_of(directory))
    choices = addressbook.complete("lefevre cardio pau", past, directory.complete, 10)
    assert (
        choices[0].address == "a.lefevre@medecin.mssante.fr" and choices[0].past and choices[0].letters == 3
    )
    # she practises in Bordeaux and in Pau: found by either town
    assert choices[0].label.startswith("LEFÈVRE Anne — Cardiologie et maladies vasculaires")
    rest = [c.address for c in choices[1:]]
    assert "jean.lefevre@medecin.mssante.fr" in rest and "a.lefevre@medecin.mssante.fr" not in rest
    assert not any(c.past for c in choices[1:])
    # not in the directory: found by the name the letter gave, punctuation blind
    [secretariat] = addressbook.complete("secretariat cardio", past, directory.complete, 10)[:1]
    assert secretariat.address == "secretariat@clinique-pau.mssante.fr" and secretariat.past
    assert addressbook.complete("medecin@cab", past, directory.complete, 10) == []
    offered = addressbook.complete("dr medecin", past, lambda text, n: [], 10)
    assert [c.address for c in offered] == ["a.lefevre@medecin.mssante.fr"]  # never our own address


def test_more_letters_rank_first_and_the_limit_holds(directory: Directory) -> None:
    seen = Counter({"jean.lefevre@medecin.mssante.fr": 1, "Luc <luc.lefevre@medecin.mssante.fr>": 5})
    past = addressbook.correspondents(seen, OWN, _label_of(directory))
    choices = addressbook.complete("lefevre", past, directory.complete, 3)
    assert [c.address for c in choices[:2]] == [
        "luc.lefevre@medecin.mssante.fr",
        "jean.lefevre@medecin.mssante.fr",
    ]
    assert len(choices) == 3 and not choices[2].past


def test_a_damaged_directory_still_leaves_the_past_correspondents(tmp_path: Path) -> None:
    def broken(text: str, n: int) -> list[tuple[str, str]]:
        raise OSError("disque illisible")

    past = addressbook.correspondents(Counter({"Dr X <x@ch.mssante.fr>": 1}), OWN, lambda a: ("", ""))
    assert [c.address for c in addressbook.complete("dr x", past, broken, 5)] == ["x@ch.mssante.fr"]
