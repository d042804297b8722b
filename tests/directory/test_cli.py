"""The directory commands, run in-process through tui.cli.main."""

from __future__ import annotations

import json
import os

from tests.directory import gen


def test_import_then_search_json(cli, files, monkeypatch) -> None:
    monkeypatch.delenv("MISSIVE_PASSPHRASE")  # public data: no passphrase needed
    code, out, err = cli("directory", "import", str(files["rpps56"]), str(files["mss"]))
    assert code == 0, err
    assert out.startswith("600 lignes RPPS, ") and "200 adresses MSSanté, 0 lignes rejetées" in out

    code, out, err = cli("directory", "search", "lefevre", "cardio", "pau", "--json", "--limit", "2")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["given_name"] for r in rows] == ["Anne", "Jean"]
    assert set(rows[0]) == {
        "rpps",
        "family_name",
        "given_name",
        "profession",
        "specialty",
        "organisation",
        "city",
        "postcode",
        "mssante",
    }
    assert rows[1]["mssante"] == ["jean.lefevre@medecin.mssante.fr"] and rows[1]["postcode"] == "64000"

    code, out, _ = cli("directory", "search", "LEFÈVRE", "Jean")
    assert code == 0 and "LEFÈVRE Jean" in out and "jean.lefevre@medecin.mssante.fr" in out


def test_bad_lines_are_summarised(cli, tmp_path) -> None:
    lines = list(gen.rpps_lines(10, 52))
    lines.insert(3, "garbage\n")
    path = gen.write(tmp_path / "r.txt", lines)
    code, out, err = cli("directory", "import", str(path))
    assert code == 0 and "1 lignes rejetées" in out and "r.txt:4: 1 colonne(s) au lieu de 52" in err


def test_errors_are_one_line(cli, tmp_path) -> None:
    code, _out, err = cli("directory", "search", "martin")
    assert code == 1 and err.count("\n") == 1 and "directory import" in err
    junk = tmp_path / "junk.csv"
    junk.write_bytes(os.urandom(300))
    code, _out, err = cli("directory", "import", str(junk))
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    code, _out, err = cli("directory", "import", str(tmp_path / "absent.txt"))
    assert code == 2 and "absent.txt" in err
