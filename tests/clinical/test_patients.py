"""The patient registry: CSV import (all or nothing), list, get and the cached match index."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.clinical.identity import nir_key
from core.errors import BadInput, NotFound, ParseError
from core.model import Identity
from core.practice.patients import ImportRefused, PatientRegistry, parse_mapping
from core.store.collection import MemoryCollection

DATA = Path(__file__).resolve().parent.parent / "data" / "clinical"
HEADER = "id,birth_name,used_name,given_names,birth_date,sex,ins\n"
INS = "2700375123456" + f"{nir_key('2700375123456'):02d}"


class SpyCollection(MemoryCollection):
    """Counts put_many calls and refuses single puts: an import must write once."""

    def __init__(self) -> None:
        super().__init__("patients")
        self.batches = 0

    def put(self, key, doc):  # type: ignore[no-untyped-def]
        raise AssertionError("import must use put_many")

    def put_many(self, items):  # type: ignore[no-untyped-def]
        self.batches += 1
        super().put_many(items)


class Audit:
    def __init__(self) -> None:
        self.records: list[tuple] = []

    def append(self, action: str, object_id: str, actor: str | None = None, **details: object) -> None:
        self.records.append((action, object_id, details))


def registry() -> PatientRegistry:
    return PatientRegistry(MemoryCollection("patients"))


def test_import_the_sample_file_and_list_it() -> None:
    reg = registry()
    report = reg.import_csv(DATA / "patients.csv")
    assert (report.added, report.updated, report.unchanged) == (4, 0, 0)
    ids = [p.id for p in reg.list()]
    assert ids == sorted(ids) and len(ids) == 4
    marie = reg.get("1001")
    assert marie.birth_name == "Dupont" and marie.used_name == "Martin"
    assert marie.given_names == ("Marie", "Anne")
    assert marie.birth_date == dt.date(1970, 3, 5) and marie.sex == "F"
    assert reg.get("1002").given_names == ("Jean-Pierre",)
    assert reg.get("1002").birth_date == dt.date(1965, 4, 21)  # DD/MM/YYYY
    assert reg.get("1003").ins == "279035121518989"
    assert reg.get("1004").sex == "U"


def test_bom_semicolons_and_crlf_are_accepted() -> None:
    reg = registry()
    data = ("\ufeff" + HEADER.replace(",", ";") + "7;Durand;;Paul;1965-04-21;M;\r\n").encode()
    assert reg.import_csv(data).added == 1
    assert reg.get("7").birth_name == "Durand"


def test_one_write_and_an_audit_record_without_names() -> None:
    spy, audit = SpyCollection(), Audit()
    reg = PatientRegistry(spy, audit=audit)
    reg.import_csv((DATA / "patients.csv").read_bytes(), name="export.csv")
    assert spy.batches == 1 and len(spy) == 4
    assert audit.records == [
        ("patients.import", "export.csv", {"added": 4, "updated": 0, "unchanged": 0, "total": 4})
    ]


def test_reimport_updates_by_id() -> None:
    reg = registry()
    reg.import_csv(DATA / "patients.csv")
    changed = (
        HEADER + "1001,Dupont,Leroy,Marie Anne,1970-03-05,F,\n1002,Durand,,Jean-Pierre,21/04/1965,M,\n"
    ).encode()
    report = reg.import_csv(changed)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    assert reg.get("1001").used_name == "Leroy"
    assert len(reg.list()) == 4  # patients absent from the new file are kept


def test_bad_rows_refuse_the_whole_import_with_line_numbers_and_no_values() -> None:
    reg = registry()
    reg.import_csv(DATA / "patients.csv")
    before = [p.to_json() for p in reg.list()]
    with pytest.raises(ImportRefused) as info:
        reg.import_csv(DATA / "patients_bad.csv")
    problems = dict(info.value.problems)
    assert set(problems) == {3, 4, 5, 6, 7, 8, 9}
    assert "birth_date" in problems[3] and "sex" in problems[4] and "ins" in problems[5]
    assert "birth_name" in problems[6] and "id" in problems[7] and "given_names" in problems[8]
    assert "ligne 2" in problems[9]  # duplicate id
    message = str(info.value)
    assert "rien n'a été importé" in message and "ligne 3" in message
    for value in ("Zola", "Emile", "1990-13-01", "X", "Hugo"):
        assert value not in message
    assert [p.to_json() for p in reg.list()] == before  # nothing half-imported
    assert isinstance(info.value, ParseError) and info.value.exit_code == 2


def test_bad_rows_are_said_in_english_under_lang_en() -> None:
    """Each row's reason comes from the catalogues like the line around it (it was French in an English line:
    "lines ligne 3 : birth_date n'est pas…")."""
    from core.text import set_language

    set_language("en")
    try:
        with pytest.raises(ImportRefused) as info:
            registry().import_csv(DATA / "patients_bad.csv")
        message = str(info.value)
        problems = dict(info.value.problems)
    finally:
        set_language(None)
    assert 'nothing was imported — line 3: "birth_date"' in message, message
    assert '"sex" must be M, F or U' in problems[4] and '"birth_name" and "used_name" are empty' in problems[6]
    assert '"id" already used on line 2' in problems[9]
    assert not [w for w in ("ligne", " doit ", " est ", "déjà", " : ") if w in message], message


def test_map_renames_source_columns() -> None:
    data = "NUM;NOM;NOM_USAGE;PRENOMS;DDN;SEXE;INS;VILLE\n42;Leroy;;Luc;30/11/1980;H;" + INS + ";Lyon\n"
    mapping = parse_mapping(
        [
            "NUM=id",
            "NOM=birth_name",
            "NOM_USAGE=used_name",
            "PRENOMS=given_names",
            "DDN=birth_date",
            "SEXE=sex",
            "INS=ins",
        ]
    )
    reg = registry()
    assert reg.import_csv(data.encode(), mapping).added == 1
    luc = reg.get("42")
    assert luc.sex == "M" and luc.ins == INS and luc.birth_date == dt.date(1980, 11, 30)


@pytest.mark.parametrize("pair", ["NOM", "NOM=", "=birth_name", "NOM=nom"])
def test_bad_map_is_bad_input(pair: str) -> None:
    with pytest.raises(BadInput):
        parse_mapping([pair])


def test_map_of_a_missing_column_is_bad_input() -> None:
    with pytest.raises(BadInput, match="NOPE"):
        registry().import_csv(HEADER.encode(), {"NOPE": "birth_name"})


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "le fichier est vide"),
        (b"id,nom\n1,X\n", "absente.* de l'en-tête"),
        (  # UTF-8 on one line, Windows-1252 on the next: neither reading is right
            "id,birth_name,given_names,birth_date\n1,Lefèvre,A,1970-01-01\n".encode()
            + "2,Lefèvre,B,1970-01-01\n".encode("cp1252"),
            "la ligne 3 n'est pas en UTF-8",
        ),
        (  # a byte Windows-1252 does not define: not a Windows export either
            "id,birth_name,given_names,birth_date\n1,Lef\xe8vre,A\x81,1970-01-01\n".encode("latin-1"),
            "la ligne 2 n'est pas en UTF-8",
        ),
        (b"id,birth_name,birth_name,given_names,birth_date\n", "en double"),
    ],
)
def test_bad_files_give_one_clear_error(data: bytes, needle: str) -> None:
    with pytest.raises(ParseError, match=needle):
        registry().import_csv(data)


def test_a_windows_1252_export_with_crlf_imports_its_accents() -> None:
    """Excel's « CSV (séparateur : point-virgule) » and the practice software write Windows-1252: it was
    refused as « pas en UTF-8 », and a secretary cannot choose her software's encoding."""
    data = (
        "id;birth_name;used_name;given_names;birth_date;sex\r\n"
        "1;MÜLLER-SCHMIDT;;Renée Œdile;31/12/1948;F\r\n"
        "2;N’DIAYE;LEFÈVRE;Aïssatou;05/07/1990;F\r\n"
    ).encode("cp1252")
    reg = registry()
    assert reg.import_csv(data).added == 2
    one, two = reg.get("1"), reg.get("2")
    assert (one.birth_name, one.given_names) == ("MÜLLER-SCHMIDT", ("Renée", "Œdile"))
    assert (two.birth_name, two.used_name, two.given_names) == ("N’DIAYE", "LEFÈVRE", ("Aïssatou",))


def test_broken_quotes_and_extra_fields_are_reported_by_line() -> None:
    data = (HEADER + '1,Dupont,,Marie,1970-03-05,F,,extra\n2,"Durand,,Paul,1965-04-21,M,\n').encode()
    with pytest.raises(ImportRefused) as info:
        registry().import_csv(data)
    assert 2 in dict(info.value.problems)


def test_missing_file_and_folder() -> None:
    with pytest.raises(NotFound):
        registry().import_csv(DATA / "nope.csv")
    with pytest.raises(BadInput):
        registry().import_csv(DATA)


def test_get_unknown_patient_is_not_found() -> None:
    with pytest.raises(NotFound):
        registry().get("999")


def test_index_is_cached_and_rebuilt_after_import() -> None:
    reg = registry()
    reg.import_csv(DATA / "patients.csv")
    first = reg.index()
    assert reg.index() is first
    ident = Identity(family_name="BERNARD", given_names=("LUC",), birth_date=dt.date(1950, 1, 2), sex="M")
    assert first.match(ident).decision == "new"
    reg.import_csv((HEADER + "7,Bernard,,Luc,1950-01-02,M,\n").encode())
    assert reg.index() is not first
    result = reg.index().match(ident)
    assert (result.decision, result.patient_id) == ("auto", "7")


def test_ep_notation_in_the_birth_name_column_is_split() -> None:
    reg = registry()
    reg.import_csv((HEADER + "8,Dupont ép. Martin,,Marie,1970-03-05,F,\n").encode())
    p = reg.get("8")
    assert (p.birth_name, p.used_name) == ("DUPONT", "MARTIN")


def test_ins_status_says_which_ins_gives_a_patient_mailbox() -> None:
    from core.practice.patients import read_patients_csv

    csv = (
        b"id,birth_name,given_names,birth_date,sex,ins,ins_status\n"
        b"P1,DUPONT,Jeanne,1979-03-28,F,279035121518989,qualifiee\n"
        b"P2,MARTIN,Paul,1985-02-01,M,185027512345625,\n"
    )
    p1, p2 = read_patients_csv(csv)
    assert p1.ins_qualified and not p2.ins_qualified
    assert p1.to_json()["ins_status"] == "qualifiee" and "ins_status" not in p2.to_json()
    from core.model import Patient

    assert Patient.from_json(p1.to_json()) == p1
    import pytest

    from core.practice.patients import ImportRefused

    with pytest.raises(ImportRefused, match="« ins_status » dit qualifiée mais la colonne « ins » est vide"):
        read_patients_csv(
            b"id,birth_name,given_names,birth_date,ins,ins_status\nP3,X,Y,2000-01-01,,qualifiee\n"
        )


def test_a_blank_birth_name_beside_the_name_used_is_that_name() -> None:
    """The practice software leaves « Nom de naissance » blank when it is the name used (most men): every
    such row was refused « birth_name est vide », so the practice's list could not be imported at all."""
    data = (
        b"id;used_name;birth_name;given_names;birth_date\r\n"
        b"1;ROUX;;Jacques;03/04/1951\r\n"
        b"2;MARTIN;DUPONT;Marie;12/03/1985\r\n"
        b"3;;;Paul;12/03/1985\r\n"
    )
    with pytest.raises(ImportRefused) as info:
        registry().import_csv(data)
    assert [line for line, _ in info.value.problems] == [4]  # nobody's name at all is still refused
    reg = registry()
    assert reg.import_csv(data.rsplit(b"3;", 1)[0]).added == 2
    assert (reg.get("1").birth_name, reg.get("1").used_name) == ("ROUX", "")
    assert (reg.get("2").birth_name, reg.get("2").used_name) == ("DUPONT", "MARTIN")


def test_a_short_line_says_the_birth_date_is_missing() -> None:
    with pytest.raises(ImportRefused) as info:
        registry().import_csv(b"id;birth_name;given_names;birth_date;sex\r\n1;ROUX;Jacques\r\n")
    assert info.value.problems == [(2, "« birth_date » est vide")]


def test_the_wizard_takes_nom_beside_nom_de_naissance_as_the_name_used(tmp_path: Path) -> None:
    """« Nom » was guessed as the birth name even beside « Nom de naissance », which then went unmapped: a
    married woman was imported under her husband's name as her birth name."""
    from core.setup import preview_patients

    csv = tmp_path / "export.csv"
    csv.write_bytes("N° dossier;Nom;Nom de naissance;Prénom;Date de naissance;Sexe\r\n".encode("cp1252"))
    assert preview_patients(str(csv)).mapping == {
        "N° dossier": "id",
        "Nom": "used_name",
        "Nom de naissance": "birth_name",
        "Prénom": "given_names",
        "Date de naissance": "birth_date",
        "Sexe": "sex",
    }
    csv.write_bytes(b"Nom;Prenom;DDN\r\n")  # « Nom » alone is the birth name, as before
    assert preview_patients(str(csv)).mapping == {"Nom": "birth_name", "Prenom": "given_names", "DDN": "birth_date"}


def test_a_practice_software_header_is_answered_with_the_options_to_type() -> None:
    """« N° dossier;Nom;Prénom;Date de naissance » got « colonne(s) id, birth_name, given_names, birth_date
    absente(s) … renommez avec --map SOURCE=TARGET »: the secretary had to work out four options herself. The
    wizard's guess is given as the options to type; nothing is imported on a guess."""
    data = "N° dossier;Nom;Prénom;Date de naissance\r\n2001;ROUX;Jacques;03/04/1951\r\n".encode("cp1252")
    reg = registry()
    with pytest.raises(ParseError) as info:
        reg.import_csv(data, name="export.csv")
    assert str(info.value) == (
        "export.csv : colonne(s) id, birth_name, given_names, birth_date absente(s) de l'en-tête ; si ce sont "
        "celles de votre logiciel, importez avec : --map 'N° dossier=id' --map 'Nom=birth_name' "
        "--map 'Prénom=given_names' --map 'Date de naissance=birth_date'"
    )
    assert reg.list() == []
    mapping = {"N° dossier": "id", "Nom": "birth_name", "Prénom": "given_names", "Date de naissance": "birth_date"}
    assert reg.import_csv(data, mapping).added == 1


def test_each_bad_row_names_the_column_as_the_files_own_header_does() -> None:
    """Imported with --map, a practice software's export was answered in missive's column names (« birth_date
    est vide », « sex doit valoir M, F ou U »), names the secretary never typed nor sees in her file."""
    data = (
        "N° dossier;Nom;Nom de naissance;Prénom;Date de naissance;Sexe;Matricule INS\r\n"
        "2001;ROUX;;Jacques;03/04/1951;H;\r\n"
        "2002;MARTIN;DUPONT;Marie;;F;\r\n"  # a short export line: no birth date
        "2003;LEBLANC;;Paul;31/02/1950;M;\r\n"
        "2004;;;Anne;12/03/1985;F;\r\n"
        "2005;PETIT;;Luc;1985/03/12;X;\r\n"
        "2001;ROUX;;Jacques;03/04/1951;H;123\r\n"
    ).encode("cp1252")
    mapping = {
        "N° dossier": "id",
        "Nom": "used_name",
        "Nom de naissance": "birth_name",
        "Prénom": "given_names",
        "Date de naissance": "birth_date",
        "Sexe": "sex",
        "Matricule INS": "ins",
    }
    with pytest.raises(ImportRefused) as info:
        registry().import_csv(data, mapping, name="export.csv")
    assert info.value.problems == [
        (3, "« Date de naissance » est vide"),
        (4, "« Date de naissance » n'est pas une date valide"),
        (5, "« Nom de naissance » et « Nom » sont vides"),
        (6, "« Date de naissance » n'est pas au format AAAA-MM-JJ ou JJ/MM/AAAA"),
        (7, "« Matricule INS » n'est pas un matricule valide de 15 caractères (longueur ou clé fausse)"),
    ]
    message = str(info.value)
    assert "birth_date" not in message and "birth_name" not in message and "ins " not in message, message
    bad_sex = data.replace(b"1985/03/12;X", b"12/03/1985;X")
    with pytest.raises(ImportRefused) as info:
        registry().import_csv(bad_sex, mapping)
    assert (6, "« Sexe » doit valoir M, F ou U") in info.value.problems
    twice = data.split(b"\r\n2002")[0] + b"\r\n2001;ROUX;;Jacques;03/04/1951;H;\r\n"
    with pytest.raises(ImportRefused) as info:
        registry().import_csv(twice, mapping)
    assert info.value.problems == [(3, "« N° dossier » déjà utilisé ligne 2")]
    with pytest.raises(ParseError, match="colonne\\(s\\) Nom, Nom de naissance → birth_name en double"):
        registry().import_csv(data, {**mapping, "Nom": "birth_name"})


def test_the_same_person_under_two_ids_is_imported_and_each_pair_said() -> None:
    """One person under two ids (the practice software's duplicate) was imported as two records silently;
    every result for her then waited as a homonym. Both are imported (the practice software has both), and each
    pair is said with the two ids and what to do; twins, another sex or another INS are no such pair."""
    data = (
        "id;birth_name;used_name;given_names;birth_date;sex;ins\r\n"
        "2001;DUPONT;MARTIN;Marie-Hélène Françoise;12/03/1985;F;\r\n"
        "2044;Dupont;;MARIE HELENE FRANCOISE;1985-03-12;;" + INS + "\r\n"  # sex and used name left blank
        "2002;DURAND;;Léa;14/02/2015;F;\r\n"
        "2003;DURAND;;Zoé;14/02/2015;F;\r\n"  # twins: two people
        "2010;PETIT;;Camille;01/01/1990;F;\r\n"
        "2011;PETIT;;Camille;01/01/1990;M;\r\n"  # another sex: two people
        "2020;LEROY;;Luc;30/11/1980;M;" + nir("1700375123456") + "\r\n"
        "2021;LEROY;;Luc;30/11/1980;M;" + nir("1801175123456") + "\r\n"  # two INS: two people
    ).encode("cp1252")
    audit = Audit()
    reg = PatientRegistry(MemoryCollection("patients"), audit=audit)
    report = reg.import_csv(data, name="export.csv")
    assert report.added == 8 and len(reg) == 8  # both records imported
    assert report.same_person == (("2001", "2044", False),)
    [line] = report.warnings()
    assert line.startswith("dossiers 2001 et 2044 : mêmes nom de naissance, prénoms, date de naissance et sexe")
    assert "Les deux sont importés" in line and "À classer" in line
    for value in ("DUPONT", "Dupont", "Marie", "1985", "12/03"):
        assert value not in line
    assert audit.records[-1] == (
        "patients.import",
        "export.csv",
        {"added": 8, "updated": 0, "unchanged": 0, "total": 8, "same_person": 1},
    )
    assert report.to_json()["same_person"] == [["2001", "2044"]]

    # a later list without 2044 (merged in the practice software?): the record imported before still stands
    later = b"\r\n".join(data.split(b"\r\n")[:2]) + b"\r\n"  # the header and 2001
    again = reg.import_csv(later)
    assert again.same_person == (("2001", "2044", True),)
    assert "importé auparavant (absent de ce fichier)" in again.warnings()[0]


def nir(body: str) -> str:
    return body + f"{nir_key(body):02d}"
