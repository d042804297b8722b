"""The built wheel is whole: installed with pip in a fresh venv (no checkout beside it), it builds the demo and
starts the app with each of the four themes, with no warning on screen."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
THEMES = ("dark", "light", "high-contrast", "ansi16")
pytestmark = pytest.mark.slow

# Run by the installed interpreter: the app started headless on the demo profile with each theme; prints what
# a user would have seen (the theme in use, the toasts that are not plain information, the themes found).
HEADLESS_START = r"""
import asyncio, json, sys
from pathlib import Path
import tui.app
from tui.app import MissiveApp

async def start(profile, theme):
    app = MissiveApp(profile, passphrase="demo", theme=theme)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(400):
            await pilot.pause(0.05)
            if app.mailroom is not None and type(app.screen).__name__ == "MainScreen":
                break
        await pilot.pause(0.2)
        shown = [n.message for n in app._notifications if n.severity != "information"]
        return {"theme": app.theme, "screen": type(app.screen).__name__, "shown": shown}

profile = Path(sys.argv[1])
themes, problems = tui.app.discover_themes(None)
result = {"themes_dir": str(tui.app.THEMES_DIR), "found": sorted(t.name for t in themes), "problems": problems}
result["starts"] = {name: asyncio.run(start(profile, name)) for name in sys.argv[2:]}
print(json.dumps(result))
"""


def _source_files() -> list[str]:
    """The files of core/, tui/ and themes/ (git's list in a clone; the folders' content otherwise)."""
    listed = subprocess.run(
        ["git", "ls-files", "core", "tui", "themes"], cwd=ROOT, capture_output=True, text=True
    )
    if listed.returncode == 0 and listed.stdout.strip():
        return listed.stdout.split()
    return [
        p.relative_to(ROOT).as_posix()
        for top in ("core", "tui", "themes")
        for p in (ROOT / top).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]


def test_the_wheel_installed_alone_runs_the_demo_with_every_theme(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    # a user's `pip install .` shows the build's warnings: setuptools' "Package would be ignored" wall of text
    # for a data folder left out of the packages (core/locale, tui/locale) scared a first installer
    assert "would be ignored" not in built.stdout + built.stderr, "the build warns about an unlisted package"
    (wheel,) = wheels.glob("missive-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = _source_files()
    # every module (a new one such as tui/driver.py or tui/splash.py in a package the build forgets) and every
    # data file: themes, catalogues, styles
    shipped = {f"tui/{f}" if f.startswith("themes/") else f for f in tracked}
    assert shipped <= names, f"missing from the wheel: {sorted(shipped - names)}"

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(tmp_path),
        "LANG": "C.UTF-8",
        "MISSIVE_PASSPHRASE": "demo",
        "MISSIVE_KDF": "floor",
        "PYTHONWARNINGS": "always",  # a warning would show, were it not kept off the screen
    }
    run = {"cwd": tmp_path, "env": env, "capture_output": True, "text": True, "timeout": 300}
    profile = home / "demo"
    demo = subprocess.run(
        [str(venv / "bin" / "missive"), "--profile", str(profile), "demo", "--no-tui", "--patients", "10"],
        **run,
    )
    assert demo.returncode == 0, demo.stderr
    assert demo.stderr == "" and "Profil de démonstration" in demo.stdout

    started = subprocess.run([str(python), "-c", HEADLESS_START, str(profile), *THEMES], **run)
    assert started.returncode == 0, started.stderr
    assert "Warning" not in started.stderr, started.stderr
    seen = json.loads(started.stdout.strip().splitlines()[-1])
    assert Path(seen["themes_dir"]).is_relative_to(venv)  # from the installed package, not a checkout
    assert set(THEMES) <= set(seen["found"]) and seen["problems"] == []
    for name in THEMES:
        assert seen["starts"][name] == {"theme": name, "screen": "MainScreen", "shown": []}, name
