"""The inbox names the patients of its list (``patient_labels``) from the patients' collection alone: the
matching index (SQLite, core.clinical.matching) and the CSV reader load for a match or an import, not to paint a
list. In a fresh interpreter: what it imported is what it shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PASS = "correct horse battery staple"
NIR = "2710203123456"
INS = NIR + f"{97 - int(NIR) % 97:02d}"
PATIENTS = f"id,birth_name,used_name,given_names,birth_date,sex,ins\nP-1,DURAND,,Claire,1971-02-03,F,{INS}\n"

CODE = """
import json, sys
from pathlib import Path
import datetime as dt
from core.mailroom import Mailroom
from core.model import Identity
room = Mailroom.open(Path(sys.argv[1]), sys.argv[2])
heavy = ("sqlite3", "csv", "core.clinical.matching", "core.store.patientindex")
labels = room.patient_labels()
listed = sorted(n for n in heavy if n in sys.modules)
match = room.match_identity(Identity("DURAND", given_names=("Claire",), birth_date=dt.date(1971, 2, 3), sex="F"))
matched = sorted(n for n in heavy if n in sys.modules)
room.close()
print(json.dumps({"labels": labels, "listed": listed, "matched": matched, "candidates": [
    c.patient_id if hasattr(c, "patient_id") else str(c) for c in match.candidates] + [match.patient_id or ""]}))
"""


def test_a_list_names_its_patients_without_the_matching_index(tmp_path: Path) -> None:
    from core.mailroom import Mailroom

    profile = tmp_path / "profile"
    room = Mailroom.create(profile, PASS)
    (tmp_path / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    room.import_patients(tmp_path / "patients.csv")
    room.close()
    done = subprocess.run(
        [sys.executable, "-c", CODE, str(profile), PASS],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert list(seen["labels"]) == [f"{INS}@patient.mssante.fr"]
    assert seen["labels"][f"{INS}@patient.mssante.fr"].startswith("◆ DURAND Claire")
    assert seen["listed"] == []  # the list is named, nothing of the matching loaded
    assert "core.clinical.matching" in seen["matched"]  # a match still uses the index, and finds her
    assert any("P-1" in c for c in seen["candidates"])
