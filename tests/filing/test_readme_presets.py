"""Every filing preset is documented in the README, with its folder, and marked as not verified."""

from __future__ import annotations

from pathlib import Path

from core.practice.filing import PRESETS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_each_preset_has_a_row_in_the_readme() -> None:
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in README.read_text("utf-8").splitlines()
        if line.startswith("| `") and line.count("|") >= 5
    }
    assert len(PRESETS) == 14  # the 13 programs of the issue, and "generic"
    for key, preset in PRESETS.items():
        row = rows.get(key)
        assert row is not None, f"preset {key} is missing from the README"
        assert preset.name.split(" (")[0] in row or key == "generic"
        assert f"`{preset.folder}`" in row
        assert key == "generic" or "not verified" in row
        assert not preset.verified
