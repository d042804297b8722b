"""core never loads the UI: importing every core module in a fresh interpreter loads no textual or rich."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_core_modules_load_no_ui() -> None:
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "core").rglob("*.py")
        if p.name != "__init__.py"
    )
    assert len(modules) > 5
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich', 'tui'))\n"
        "print(' '.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# What tui/ may import of core: the façade, its values, its errors, the profile location (issue 12).
UI_MAY_IMPORT = {"core", "core.mailroom", "core.model", "core.errors", "core.config"}


def test_the_ui_contract_forbids_every_other_core_module() -> None:
    """The import-linter contract lists forbidden modules: a new core module must not slip past it."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"][
        "contracts"
    ]
    [ui] = [c for c in contracts if c.get("source_modules") == ["tui"]]
    forbidden = set(ui["forbidden_modules"])
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in (ROOT / "core").rglob("*.py")
    }
    uncovered = sorted(
        m for m in modules - UI_MAY_IMPORT if not any(m == f or m.startswith(f + ".") for f in forbidden)
    )
    assert uncovered == [], (
        f"add these to the UI contract in pyproject.toml (or to UI_MAY_IMPORT): {uncovered}"
    )
    assert not any(m in forbidden for m in UI_MAY_IMPORT)
    assert not ui.get("ignore_imports"), "the interface imports no core module but the four, without exception"
