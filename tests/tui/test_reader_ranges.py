"""The reader's results table writes a reference interval as labs do: the core's words (Observation.reference)."""

from __future__ import annotations

from core.model import ClinicalDocument, Identity, Observation, reference_text
from tui.panes.reader import results_table


def test_one_sided_bounds_and_written_norms_read_as_labs_write_them():
    assert reference_text("2.20", "2.60") == "2.20–2.60"
    assert reference_text("", "5.0") == "< 5.0"  # '–5.0' would read as minus five
    assert reference_text("60", "") == "> 60"
    assert reference_text("négatif", "") == "négatif"  # not 'négatif–'
    assert reference_text("", "") == ""


def test_results_table_shows_the_cores_interval():
    doc = ClinicalDocument(
        format="cda",
        identity=Identity(family_name="DUPONT"),
        observations=(
            Observation(label="CRP", value="≤1.0", unit="mg/L", high="5.0", flag="N"),
            Observation(label="Sérologie", value="négative", low="négatif"),
            Observation(label="Glycémie", value="5.1", unit="mmol/L", low="3.9", high="6.1",
                        value2="0.92", unit2="g/L", high2="1.10"),
        ),
    )  # fmt: skip
    lines = results_table(doc).plain.splitlines()
    assert lines[1].split()[-1] == "5.0" and "< 5.0" in lines[1] and "–5.0" not in lines[1]
    assert lines[2].rstrip().endswith("négatif") and "négatif–" not in lines[2]
    assert "3.9–6.1" in lines[3] and "(< 1.10)" in lines[3]
