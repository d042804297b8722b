"""``missive patients import|list`` and ``missive match`` through the real CLI and an encrypted profile."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "clinical"


def test_import_then_list_json(profile, cli) -> None:
    code, out, err = cli("patients", "import", str(DATA / "patients.csv"))
    assert code == 0 and "4 ajouté(s)" in out, err
    code, out, _ = cli("patients", "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["id"] for r in rows] == ["1001", "1002", "1003", "1004"]
    assert rows[0]["given_names"] == ["Marie", "Anne"] and rows[2]["ins"] == "279035121518989"
    # Re-import: nothing new, nothing changed.
    code, out, _ = cli("patients", "import", str(DATA / "patients.csv"), "--json")
    assert json.loads(out) == {"added": 0, "updated": 0, "unchanged": 4, "total": 4}


def test_bad_csv_is_one_line_exit_2_and_imports_nothing(profile, cli) -> None:
    code, out, err = cli("patients", "import", str(DATA / "patients_bad.csv"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "ligne 3" in err and "rien n'a été importé" in err
    assert "Traceback" not in err and "Zola" not in err
    code, out, _ = cli("patients", "list", "--json")
    assert code == 0 and out == ""


def test_map_option(profile, cli, tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text("NUM;NOM;PRENOMS;DDN;SEXE\n9;Leroy;Luc;30/11/1980;M\n", encoding="utf-8")
    args = ["--map", "NUM=id", "--map", "NOM=birth_name", "--map", "PRENOMS=given_names"]
    code, _, err = cli("patients", "import", str(src), *args, "--map", "DDN=birth_date", "--map", "SEXE=sex")
    assert code == 0, err
    code, out, _ = cli("patients", "list")
    assert "Leroy" in out and "30/11/1980" in out
    code, _, err = cli("patients", "import", str(src), "--map", "NUM=numero")
    assert code == 2 and "colonne cible 'numero' inconnue" in err


def test_match_decides_per_document_and_reports_unreadable_files(profile, cli, tmp_path: Path) -> None:
    cli("patients", "import", str(DATA / "patients.csv"))
    broken = tmp_path / "broken.hpr"
    broken.write_bytes(b"")  # an empty download
    code, out, err = cli("match", str(DATA / "match_four.hpr"), str(broken), "--json")
    assert code == 1, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["file"].endswith("match_four.hpr") and first["format"] == "hprim-net"
    decisions = [(d["decision"], d["patient_id"]) for d in first["documents"]]
    # Married name of patient 1001; a day/month order that is no date; the same patient, clean; a stranger.
    assert decisions == [("auto", "1001"), ("review", None), ("auto", "1002"), ("new", None)]
    review = first["documents"][1]
    assert review["identity"]["family_name"] == "DURAND" and review["identity"]["birth_date"] is None
    assert review["candidates"][0]["patient_id"] == "1002"
    assert "date de naissance absente" in review["candidates"][0]["reasons"]
    assert set(second) == {"file", "error"} and second["file"].endswith("broken.hpr")


def test_match_walks_a_folder_and_prints_french_lines(profile, cli, tmp_path: Path) -> None:
    cli("patients", "import", str(DATA / "patients.csv"))
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "b.hpr").write_bytes((DATA / "match_four.hpr").read_bytes())
    (folder / "a.hpr").write_bytes((DATA / "match_four.hpr").read_bytes())
    code, out, _ = cli("match", str(folder))
    assert code == 0
    assert out.index("a.hpr") < out.index("b.hpr")
    assert out.count("automatique : patient 1001") == 2 and "à vérifier" in out and "nouveau" in out


def test_patients_without_action_is_a_usage_error(profile, cli) -> None:
    code, _, err = cli("patients")
    assert code == 2 and "missive patients : sous-commande manquante" in err
