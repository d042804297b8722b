"""Search: prefix, accent-, case- and hyphen-blind; ranking; completion; lookup by address."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.directory.search import Directory
from core.errors import BadInput, NotFound


def test_lefevre_cardio_pau_finds_the_pau_cardiologists_first_with_their_addresses(
    directory: Directory,
) -> None:
    hits = directory.search("lefevre cardio pau")
    top = hits[:3]
    # exact surname first (alphabetical by given name), then the surname prefix, then other matches
    assert [(e.family_name, e.given_name) for e in top] == [
        ("LEFÈVRE", "Anne"),
        ("LEFÈVRE", "Jean"),
        ("LEFEVRE-DUPONT", "Claire"),
    ]
    assert all(e.city == "PAU" and e.specialty.startswith("Cardiologie") for e in top)
    assert top[1].mssante == ("jean.lefevre@medecin.mssante.fr",)
    assert set(top[0].mssante) == {"anne.lefevre@ch-pau.mssante.fr", "a.lefevre@medecin.mssante.fr"}
    # the cardiologist of "CLINIQUE LEFEVRE" matches every word but is no Lefèvre: after them
    assert ("MARTIN", "Paul") in [(e.family_name, e.given_name) for e in hits[3:]]
    # the general practitioner in Pau and the cardiologist in Lyon do not match every word
    assert not {"Marc", "Luc"} & {e.given_name for e in hits if e.family_name == "LEFÈVRE"}


@pytest.mark.parametrize("query", ["LEFÈVRE JEAN", "lefevre jean", "Lefév Je", "lÉfÈvRe   j", "lef jea"])
def test_names_match_by_prefix_blind_to_case_and_accents(directory: Directory, query: str) -> None:
    assert directory.search(query)[0].rpps == "19999990001"


@pytest.mark.parametrize("query", ["lefevre-dupont", "lefevre dupont", "lefevredupont", "LEFÈVRE-DUP claire"])
def test_hyphens_are_ignored(directory: Directory, query: str) -> None:
    assert directory.search(query)[0].rpps == "19999990003"


def test_apostrophes_and_compound_names(directory: Directory) -> None:
    for query in ("d'almeida", "dalmeida", "D’ALMEIDA", "almeida"):
        hits = directory.search(query, 5)
        assert hits and all(e.family_name == "D'ALMEIDA" for e in hits), query
    assert all(e.family_name == "LE GALL" for e in directory.search("le gall", 3))


def test_profession_specialty_town_postcode_and_rpps(directory: Directory) -> None:
    assert all("Cardiologie" in e.specialty for e in directory.search("cardio", 50))
    assert all(e.profession == "Infirmier" for e in directory.search("infirmier", 50))
    assert all(
        e.city == "PAU" or "Pau" in e.given_name or e.family_name.startswith("PAU")
        for e in directory.search("pau", 50)
    )
    in_64000 = directory.search("64000", 50)
    assert in_64000 and all(e.postcode == "64000" for e in in_64000)
    assert [e.family_name for e in directory.search("19999990006")] == ["MARTIN"]
    assert directory.search("8" + "19999990006")[0].rpps == "19999990006"  # the national identifier too


def test_exact_surname_ranks_before_prefix_and_other_matches(directory: Directory) -> None:
    hits = directory.search("martin", 200)
    classes = [
        0 if e.family_name == "MARTIN" else 1 if e.family_name.startswith("MARTIN") else 2 for e in hits
    ]
    assert classes == sorted(classes) and classes[0] == 0
    assert 2 in classes or len(hits) < 200  # others (given names, towns) come after, if any


def test_limit_and_empty_queries(directory: Directory) -> None:
    assert len(directory.search("a", 7)) == 7
    assert directory.search("   ") == [] and directory.search("'-!") == []
    with pytest.raises(BadInput):
        directory.search("martin", 0)
    assert directory.search("zzzzzzzz") == []
    # FTS5 query syntax typed by the user is taken as plain words, never as operators
    assert directory.search('"lefevre" jean*)')[0].rpps == "19999990001"


def test_complete_offers_addresses_of_matching_practitioners(directory: Directory) -> None:
    pairs = directory.complete("lefèvre j", 10)
    assert (
        "LEFÈVRE Jean — Cardiologie et maladies vasculaires, PAU",
        "jean.lefevre@medecin.mssante.fr",
    ) in pairs
    assert all(address for _display, address in directory.complete("m", 10))
    assert len(directory.complete("m", 10)) == 10
    by_address = directory.complete("ANNE.LEF", 5)
    assert [a for _d, a in by_address] == ["anne.lefevre@ch-pau.mssante.fr"]
    assert directory.complete("", 5) == []


def test_by_address(directory: Directory) -> None:
    assert directory.by_address("Jean.Lefevre@medecin.mssante.fr").rpps == "19999990001"
    assert directory.by_address("nobody@nowhere.fr") is None


def test_missing_index(tmp_path: Path) -> None:
    d = Directory(tmp_path / "nothing")
    with pytest.raises(NotFound, match="pas encore d'annuaire des praticiens.*directory import"):
        d.search("martin")
    assert d.complete("mar") == [] and d.by_address("a@b.fr") is None and d.stats() == {}


def test_damaged_index_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "directory"
    folder.mkdir()
    (folder / "index.sqlite3").write_bytes(b"this is not a database" * 100)
    from core.errors import StoreCorrupted

    with pytest.raises(StoreCorrupted, match="illisible : importez à nouveau les fichiers d'extraction"):
        Directory(folder).search("martin")


def test_generaliste_finds_the_gps_whatever_their_specialty_label(directory: Directory) -> None:
    """The table says "Qualifié en Médecine générale" (SM26) or "Médecine Générale" (SM54), never the word a
    doctor types."""
    hits = directory.search("généraliste", 200)
    labels = {e.specialty for e in hits}
    assert "Qualifié en Médecine générale" in labels and "Médecine Générale" in labels
    assert labels <= {"Qualifié en Médecine générale", "Médecine Générale"}
    assert directory.search("medecin generaliste", 5)


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("cardiologue", "Cardiologie et maladies vasculaires"),
        ("dermatologue", "Dermatologie et vénéréologie"),
        ("pédiatre", "Pédiatrie"),
        ("gynécologue", "Gynécologie-obstétrique"),
        ("radiologue", "Radio-diagnostic"),
        ("anesthésiste", "Anesthésie-réanimation"),
        ("ophtalmologiste", "Ophtalmologie"),
        ("gastro-entérologue", "Gastro-entérologie et hépatologie"),
        ("pneumologues", "Pneumologie"),
    ],
)
def test_the_practitioners_name_of_a_specialty_finds_it(directory: Directory, typed: str, label: str) -> None:
    """The secretary types « cardiologue », « pédiatre »: the table says « Cardiologie », « Pédiatrie », and
    nothing was found (only « cardio » was)."""
    hits = directory.search(typed, 50)
    assert hits and all(e.specialty == label for e in hits), typed


def test_a_title_before_the_name_is_not_a_word_to_find(directory: Directory) -> None:
    """« dr martin », « Docteur Lefèvre »: the directory holds no title, and every such search found nobody."""
    martins = directory.search("martin", 5)
    assert martins and directory.search("dr martin", 5) == martins
    assert directory.search("Docteur Lefèvre Jean")[0].rpps == "19999990001"
    assert directory.search("pr lefevre jean")[0].rpps == "19999990001"
