"""After `missive demo --no-tui`, no file under the profile nor $HOME holds a demo patient's name or birth date
in clear, and the demo's results were filed or queued."""

from __future__ import annotations

import subprocess
import sys

from core.demo.people import make_patients
from tests.demo.conftest import PATIENTS, BuiltDemo


def test_demo_leaves_no_health_data_in_clear(built_demo: BuiltDemo) -> None:
    home, profile = built_demo.home, built_demo.profile
    assert (profile / "vault.json").exists()
    people = make_patients(PATIENTS)
    needles = set()
    for dp in people[:PATIENTS]:
        p = dp.patient
        needles.add(f"{p.birth_name}\r\n{' '.join(p.given_names)}".encode("cp1252", "replace"))
        if p.birth_date:
            needles.add(p.birth_date.strftime("%d/%m/%Y").encode())
            needles.add(p.birth_date.isoformat().encode())
        needles.add(f"{p.birth_name} {p.given_names[0] if p.given_names else ''}".encode())
    files = [f for f in home.rglob("*") if f.is_file()]
    assert len(files) > 10
    for f in files:
        data = f.read_bytes()
        for needle in needles:
            if len(needle) >= 8:
                assert needle not in data, f"{f} holds health data in clear"
    docs = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--profile", str(profile), "documents", "list", "--json"],
        env=built_demo.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert docs.returncode == 0, docs.stderr
    assert '"state": "filed"' in docs.stdout and '"decision": "review"' in docs.stdout
