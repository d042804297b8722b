"""Names are found in the directory however their punctuation and particles are typed (the rule of
core.clinical.search, the inbox's and the patient search's): "lhote" finds L'Hôte, "legoff" Le Goff,
"dupont aignan" Dupont-Aignan, "lafontaine" De La Fontaine; an index built before the glued names is
rebuilt from itself on first use."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.directory import importer, search
from core.directory.search import Directory
from core.errors import StoreError
from core.text import T
from tests.directory import gen


def _extractions(folder: Path) -> list[Path]:
    n_rows = 120
    return [
        gen.write(
            folder / "PS_LibreAcces_Personne_activite.txt",
            gen.rpps_lines(n_rows, 56, extra=gen.PUNCTUATION_CASE),
        ),
        gen.write(
            folder / "Extraction_Correspondance_MSSante.txt",
            gen.mss_lines(40, gen.practitioners_for(n_rows), extra=gen.PUNCTUATION_CASE),
        ),
    ]


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Directory:
    d = Directory(tmp_path_factory.mktemp("profile") / "directory")
    d.import_files(_extractions(tmp_path_factory.mktemp("extractions")))
    return d


CASES = [
    ("lhote", "19999991001"),
    ("l'hote", "19999991001"),
    ("l hote", "19999991001"),
    ("L’HÔTE marie", "19999991001"),
    ("legoff", "19999991002"),
    ("le goff", "19999991002"),
    ("legoff brest", "19999991002"),
    ("dupont aignan", "19999991003"),
    ("dupontaignan", "19999991003"),
    ("dupont-aignan nicolas", "19999991003"),
    ("lafontaine", "19999991004"),
    ("delafontaine", "19999991004"),
    ("de la fontaine", "19999991004"),
    ("jeanpierre lafontaine", "19999991004"),
    ("lafontaine cardio paris", "19999991004"),
]


@pytest.mark.parametrize(("query", "rpps"), CASES)
def test_a_name_is_found_however_its_punctuation_is_typed(
    directory: Directory, query: str, rpps: str
) -> None:
    assert directory.search(query, 5)[0].rpps == rpps


@pytest.mark.parametrize(("query", "rpps"), CASES)
def test_completion_offers_the_same_practitioner(directory: Directory, query: str, rpps: str) -> None:
    person = next(p for p in gen.PUNCTUATION_CASE if p.id_pp == rpps)
    assert person.mssante[0] in [address for _name, address in directory.complete(query, 5)]


def test_glued_forms_never_match_what_the_name_does_not_hold(directory: Directory) -> None:
    assert directory.search("hotele") == []  # no word starts so, glued or not
    assert not [e for e in directory.search("goffle", 20) if e.family_name == "LE GOFF"]


def test_an_index_built_before_the_glued_names_is_rebuilt_from_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _extractions(tmp_path)
    folder = tmp_path / "directory"
    with monkeypatch.context() as old:  # what the previous version built: schema 1, no glued names
        old.setattr(importer, "SCHEMA_VERSION", "1")
        old.setattr(importer, "glued", lambda text: "")
        importer.import_files(folder, files)
    for f in files:
        f.unlink()  # the rebuild needs no extraction file
    with sqlite3.connect(importer.index_path(folder)) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("1",)

    directory = Directory(folder)
    assert directory.search("lafontaine", 3)[0].rpps == "19999991004"
    stats = directory.stats()
    assert stats["schema"] == importer.SCHEMA_VERSION
    assert stats["files"] == "PS_LibreAcces_Personne_activite.txt;Extraction_Correspondance_MSSante.txt"
    assert directory.by_address("yann.legoff@medecin.mssante.fr").family_name == "LE GOFF"
    assert len(directory.search("medecin", 1000)) >= 4
    assert not list(folder.glob(".index-*"))  # no building file left behind


def test_an_old_index_that_cannot_be_rebuilt_still_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "directory"
    with monkeypatch.context() as old:
        old.setattr(importer, "SCHEMA_VERSION", "1")
        old.setattr(importer, "glued", lambda text: "")
        importer.import_files(folder, _extractions(tmp_path))

    def disk_full(folder: Path) -> None:
        raise StoreError(T("directory.importer.index-annuaire-etre-construit", sqlite_why="disque plein"))

    monkeypatch.setattr(search, "rebuild", disk_full)
    directory = Directory(folder)
    assert directory.search("legoff", 3)[0].rpps == "19999991002"  # the surname key was there already
    assert directory.stats()["schema"] == "1"
    assert directory.search("lafontaine") == []  # what the rebuild brings: the glued names
