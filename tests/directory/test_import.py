"""Import: both vintages, Latin-1, zipped, bad lines, merging, MSSanté join, atomic re-import."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.directory.search import Directory
from core.errors import BadInput
from tests.directory import gen
from tests.directory.conftest import N_MSS, N_RPPS


def _names(entries) -> list[tuple[str, str, str]]:
    return [(e.family_name, e.given_name, e.city) for e in entries]


@pytest.mark.parametrize("key", ["rpps56", "rpps52_latin1"])
def test_each_vintage_imports_all_rows(files, tmp_path: Path, key: str) -> None:
    d = Directory(tmp_path / "directory")
    report = d.import_files([files[key]])
    assert report.rpps_rows == N_RPPS and report.bad_lines == 0
    expected = gen.practitioners_for(N_RPPS - sum(len(p.activities) for p in gen.LEFEVRE_CASE)) + len(
        gen.LEFEVRE_CASE
    )
    assert report.practitioners == expected
    assert report.encodings[files[key].name] == ("latin-1" if "latin1" in key else "utf-8")
    # accents survive whatever the file's encoding
    hit = d.search("19999990001")[0]
    assert (hit.family_name, hit.specialty, hit.city) == (
        "LEFÈVRE",
        "Cardiologie et maladies vasculaires",
        "PAU",
    )


def test_zip_with_several_members_is_recognised_member_by_member(files, tmp_path: Path) -> None:
    d = Directory(tmp_path / "directory")
    report = d.import_files([files["zip"]])
    assert report.rpps_rows == N_RPPS and report.mss_rows == N_MSS
    assert report.skipped_members == [f"{files['zip'].name}:PS_LibreAcces_Dipl_AutExerc_202608261013.txt"]
    assert d.search("lefevre cardio pau")[0].mssante


def test_practitioner_with_several_activities_is_one_entry_searchable_in_each_town(
    directory: Directory,
) -> None:
    anne = [e for e in directory.search("lefevre anne", 50) if e.rpps == "19999990002"]
    assert len(anne) == 1
    assert directory.search("lefevre anne bordeaux")[0].city == "BORDEAUX"
    assert directory.search("lefevre anne pau")[0].city == "PAU"  # the activity that fits the query is shown


def test_mss_addresses_join_practitioners_and_orphans_stay_searchable(files, tmp_path: Path) -> None:
    d = Directory(tmp_path / "directory")
    d.import_files([files["rpps56"], files["mss"]])
    assert set(d.search("19999990002")[0].mssante) == {
        "anne.lefevre@ch-pau.mssante.fr",
        "a.lefevre@medecin.mssante.fr",
    }
    # every address of the MSSanté file is reachable, including boxes whose practitioner the RPPS file lacks
    n_pract = gen.practitioners_for(N_RPPS)
    rows = [line.split("|") for line in list(gen.mss_lines(N_MSS, n_pract, extra=gen.LEFEVRE_CASE))[1:]]
    for row in rows:
        assert d.by_address(row[1]) is not None, row[1]
    orphan = next(r for r in rows if r[4] and int(r[3]) - 10**10 > n_pract)
    found = d.by_address(orphan[1])
    assert found.rpps == orphan[3] and found.family_name == orphan[9]
    org = next(r for r in rows if r[0] == "ORG")
    assert org[1] in d.search(org[18])[0].mssante or any(org[1] in e.mssante for e in d.search(org[18], 100))


def test_bad_lines_are_counted_and_reported_not_fatal(tmp_path: Path) -> None:
    lines = list(gen.rpps_lines(50, 56))
    lines.insert(5, "only|three|fields|\n")
    lines.insert(9, "8|123|\n")
    broken = lines[12].split("|")
    broken[7] = ""  # no family name
    lines[12] = "|".join(broken)
    lines.insert(20, "\n")  # blank lines are not errors
    path = gen.write(tmp_path / "rpps.txt", lines)
    report = Directory(tmp_path / "directory").import_files([path])
    assert report.bad_lines == 3
    assert report.rpps_rows == 49  # 50 generated rows, one of them broken; the two inserted lines are extra
    assert [s.split(":")[1] for s in report.bad_samples] == ["6", "10", "13"]  # file line numbers, header = 1
    assert all(s.startswith("rpps.txt:") for s in report.bad_samples)


def test_latin1_bytes_inside_an_otherwise_utf8_file(tmp_path: Path) -> None:
    body = "".join(gen.rpps_lines(20, 56, extra=gen.LEFEVRE_CASE[:1])).encode("utf-8")
    body = body.replace("LEFÈVRE".encode(), "LEFÈVRE".encode("latin-1"))
    path = tmp_path / "mixed.txt"
    path.write_bytes(body)
    d = Directory(tmp_path / "directory")
    d.import_files([path])
    assert d.search("lefèvre jean")[0].family_name == "LEFÈVRE"


def test_crlf_bom_and_mss_rows_with_or_without_trailing_bar(tmp_path: Path) -> None:
    text = "".join(gen.mss_lines(30, 10, extra=gen.LEFEVRE_CASE[:1], trailing_bar=True))
    path = tmp_path / "mss.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    report = Directory(tmp_path / "directory").import_files([path])
    assert report.mss_rows == 30 and report.bad_lines == 0 and report.addresses == 30


def test_unrecognised_or_empty_files_are_refused_with_one_line(tmp_path: Path) -> None:
    d = Directory(tmp_path / "directory")
    other = tmp_path / "notes.txt"
    other.write_text("hello|world|\n1|2|\n")
    with pytest.raises(BadInput, match="l'en-tête n'est ni celui d'une extraction RPPS"):
        d.import_files([other])
    header_only = gen.write(tmp_path / "rpps.txt", gen.rpps_lines(0, 52))
    with pytest.raises(BadInput, match="aucune ligne utilisable"):
        d.import_files([header_only])
    bad_zip = tmp_path / "x.zip"
    bad_zip.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(BadInput, match="x.zip n'est pas une archive zip lisible"):
        d.import_files([bad_zip])
    with pytest.raises(BadInput, match=r"impossible de lire missing.txt \(introuvable\)"):
        d.import_files([tmp_path / "missing.txt"])
    assert not d.exists()
    assert [p.name for p in (tmp_path / "directory").iterdir()] == []  # no temporary file left behind


def test_reimport_swaps_while_an_open_reader_keeps_working(files, tmp_path: Path) -> None:
    folder = tmp_path / "directory"
    first = gen.write(tmp_path / "a.txt", gen.rpps_lines(40, 56, extra=gen.LEFEVRE_CASE[:1]))
    Directory(folder).import_files([first])
    reader = Directory(folder)
    assert reader.search("lefevre jean")
    old_conn = sqlite3.connect(f"file:{folder / 'index.sqlite3'}?mode=ro", uri=True)
    old_count = old_conn.execute("SELECT count(*) FROM entry").fetchone()[0]

    Directory(folder).import_files([files["rpps56"]])  # another process re-imports

    # a connection opened before the swap still reads the old, complete index
    assert old_conn.execute("SELECT count(*) FROM entry").fetchone()[0] == old_count
    old_conn.close()
    # a long-lived Directory notices the new file and serves the new data
    assert reader.search("lefevre anne pau")[0].rpps == "19999990002"
    assert sorted(p.name for p in folder.iterdir()) == ["index.sqlite3"]


def test_failed_import_changes_nothing(files, tmp_path: Path) -> None:
    folder = tmp_path / "directory"
    d = Directory(folder)
    d.import_files([files["rpps56"]])
    before = (folder / "index.sqlite3").read_bytes()
    results = _names(d.search("lefevre", 50))

    def explode(phase: str, done: int, total: int) -> None:
        if phase == "index":
            raise KeyboardInterrupt  # the user gives up just before the index is built

    with pytest.raises(KeyboardInterrupt):
        d.import_files([files["mss"], files["rpps52_latin1"]], progress=explode)
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(files["zip"].read_bytes()[:-4000])
    with pytest.raises(BadInput):
        d.import_files([truncated])
    assert (folder / "index.sqlite3").read_bytes() == before
    assert _names(d.search("lefevre", 50)) == results
    assert sorted(p.name for p in folder.iterdir()) == ["index.sqlite3"]


def test_importing_one_kind_keeps_the_other(files, tmp_path: Path) -> None:
    d = Directory(tmp_path / "directory")
    d.import_files([files["rpps56"], files["mss"]])
    report = d.import_files([files["rpps52_latin1"]])  # a fresh RPPS file alone
    assert report.kept_from_previous == ["MSSanté"] and report.mss_rows == N_MSS
    assert d.search("lefevre jean pau")[0].mssante == ("jean.lefevre@medecin.mssante.fr",)


def test_progress_reports_bytes_up_to_the_total(files, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    Directory(tmp_path / "directory").import_files(
        [files["rpps56"], files["mss"]], progress=lambda *a: calls.append(a)
    )
    reads = [c for c in calls if c[0] == "read"]
    total = files["rpps56"].stat().st_size + files["mss"].stat().st_size
    assert reads[-1] == ("read", total, total)
    assert [c[1] for c in reads] == sorted(c[1] for c in reads)
    assert calls[-1][0] == "index"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300), max_size=8))
def test_any_junk_line_is_counted_never_a_crash(tmp_path: Path, junk: list[str]) -> None:
    lines = list(gen.rpps_lines(12, 56))
    junk = [t.replace("\n", " ").replace("\r", " ") for t in junk]  # one junk line each
    for k, text in enumerate(junk):
        lines.insert(2 + k * 2, text + "\n")
    folder = tmp_path / f"d{abs(hash(tuple(junk)))}"
    path = gen.write(folder.with_suffix(".txt"), lines)
    report = Directory(folder).import_files([path])
    non_blank = sum(1 for t in junk if t.strip())
    assert report.rpps_rows == 12
    assert report.bad_lines == non_blank  # none became a row, none was silently dropped


def test_an_endless_line_or_a_zip_bomb_is_refused_before_it_fills_memory(tmp_path: Path) -> None:
    """A line is read at most 1 MiB at a time (readline read an endless line whole into memory: a few MB of zip
    could hold GBs of one line), and a zip member compressed far beyond any text extraction is refused before
    anything is read; nothing is imported and the index kept is unchanged."""
    import zipfile

    folder = tmp_path / "directory"
    good = gen.write(tmp_path / "rpps.txt", gen.rpps_lines(20, 56, extra=gen.LEFEVRE_CASE[:1]))
    Directory(folder).import_files([good])
    header = "".join(gen.rpps_lines(0, 56)).encode()
    endless = tmp_path / "PS_LibreAcces_Personne_activite.txt"
    endless.write_bytes(header + b"8|" + b"A" * (3 << 20))
    packed = tmp_path / "PS_LibreAcces.zip"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(endless, endless.name)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("PS_LibreAcces_Personne_activite.txt", header + b"\0" * (40 << 20))
    d = Directory(folder)
    for path in (endless, packed):
        with pytest.raises(BadInput, match=r"la ligne 2 dépasse 1 Mo, ce n'est pas une extraction") as refused:
            d.import_files([path])
        assert "\n" not in str(refused.value)
    with pytest.raises(BadInput, match=r"bomb.zip:PS_LibreAcces_Personne_activite.txt : compressé \d+ fois"):
        d.import_files([bomb])
    assert d.search("lefevre jean")[0].family_name == "LEFÈVRE"  # the index kept is the one imported before
