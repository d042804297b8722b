"""profile.toml: defaults, every section read, and errors that name the key and its line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.config import DEFAULT_TOML, load_settings
from core.errors import ConfigError


def write(folder: Path, text: str) -> Path:
    (folder / "profile.toml").write_text(text, "utf-8")
    return folder


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.language == "fr"
    assert settings.trust.mode == "trust-space"
    assert settings.filing.folder == ""


def test_default_file_parses_to_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, DEFAULT_TOML))
    assert settings.idle_lock_minutes == 10
    assert settings.notifications.kind == "none"
    assert settings.keys == {}


def test_every_section_is_read(tmp_path: Path) -> None:
    text = """language = "en"
theme = "ansi16"
[trust]
mode = "strict"
allow = ["CH-Exemple.fr"]
[filing]
preset = "medistory"
"""
    with pytest.raises(ConfigError, match=r"profile.toml ligne 7 : filing.preset 'medistory' est inconnu"):
        load_settings(write(tmp_path, text))
    text = text.replace("medistory", "crossway") + (
        'folder = "/srv/lgc"\nlayout = "patient-folders"\nextension = ".hp2"\nencoding = "cp1252"\n'
        '[watch]\nfolder = "/srv/out"\n[keys]\n"app.quit" = "ctrl+x"\n'
    )
    settings = load_settings(write(tmp_path, text))
    assert settings.language == "en" and settings.theme == "ansi16"
    assert settings.trust.mode == "strict" and settings.trust.allow == ("ch-exemple.fr",)
    assert settings.filing.preset == "crossway"
    assert settings.filing.layout == "patient-folders"
    assert settings.filing.extension == ".hp2"
    assert settings.filing.encoding == "cp1252"
    assert settings.watch.folder == "/srv/out"
    assert settings.keys == {"app.quit": "ctrl+x"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('mode = "paranoid"', "ligne 3 : trust.mode doit valoir open, trust-space ou strict"),
        ("allow = 3", "ligne 3 : trust.allow doit être une liste de textes"),
        ('layout = "flat"', "ligne 3 : filing.layout doit valoir drop-folder ou patient-folders"),
        ('extension = "hpr"', "ligne 3 : filing.extension doit ressembler à .hpr"),
        ('encoding = "klingon"', "ligne 3 : filing.encoding 'klingon' n'est pas un encodage connu"),
        ('template = "{name}"', "ligne 3 : filing.template"),
        ("colour = 1", "ligne 3 : trust.colour n'est pas un réglage connu"),
    ],
)
def test_errors_name_the_key_and_the_line(tmp_path: Path, line: str, expected: str) -> None:
    section = "filing" if line.split()[0] in ("layout", "extension", "encoding", "template") else "trust"
    write(tmp_path, f'language = "fr"\n[{section}]\n{line}\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_unknown_section_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ligne 2 : colours n'est pas une section connue"):
        load_settings(write(tmp_path, 'language = "fr"\n[colours]\nx = 1\n'))
    with pytest.raises(ConfigError, match="profile.toml ligne 1, colonne 12 : syntaxe incorrecte"):
        load_settings(write(tmp_path, "language = \n"))


def test_the_cli_reports_a_bad_setting_in_one_line(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    env = {"MISSIVE_PASSPHRASE": "pass phrase", "MISSIVE_KDF_LOG2N": "14", "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "tui.cli", "--profile", str(profile)]
    subprocess.run([*run, "init"], env=env, check=True, capture_output=True)
    write(profile, '[filing]\nlayout = "flat"\n')
    done = subprocess.run([*run, "documents", "list"], env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "filing.layout" in done.stderr and "ligne 2" in done.stderr
    assert "Traceback" not in done.stderr


def test_practitioner_section(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path, '[practitioner]\nrpps = "10001234567"\nfamily_name = "MARTIN"\n')
    )
    assert settings.practitioner.rpps == "10001234567"
    assert settings.practitioner.family_name == "MARTIN"
    with pytest.raises(
        ConfigError, match="ligne 2 : practitioner.rpps doit être votre numéro RPPS à 11 chiffres"
    ):
        load_settings(write(tmp_path, '[practitioner]\nrpps = "1234"\n'))


@pytest.mark.parametrize(
    "env",
    [
        {"HOME": "/home/dr"},
        {"HOME": "/home/dr", "XDG_DATA_HOME": "/srv/data"},
        {"HOME": "/home/dr", "XDG_DATA_HOME": "relative/data"},  # not absolute: XDG says ignore it
        {"HOME": "/home/dr", "XDG_DATA_HOME": ""},
        {"HOME": "/home/dr/", "XDG_DATA_HOME": "/srv/data/"},
    ],
)
def test_the_profile_is_where_platformdirs_puts_it(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """core.config finds the default profile without loading platformdirs on Linux: the same folder."""
    import platformdirs

    from core import config

    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    expected = Path(platformdirs.user_data_dir("missive", appauthor=False))
    assert config.default_profile_dir() == expected / "profile"
    assert config.default_demo_dir() == expected / "demo"
    assert Path(config.profile_folder()) == expected / "profile"
    assert config.profile_folder("~/cabinet") == str(Path("~/cabinet").expanduser())


def test_a_sync_asking_the_daemon_loads_neither_the_settings_nor_the_parser(tmp_path: Path) -> None:
    """`missive sync` with no daemon to answer: what it loaded before taking the ordinary path is little."""
    import json

    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "from tui.daemonsync import answer\n"
        f"assert answer(['--profile', {str(tmp_path)!r}, 'sync']) is None\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout))
    assert "core.config" in loaded and "core.agent" in loaded  # it did look for the daemon's socket
    heavy = {"argparse", "core.settings", "core.mailroom", "tomllib", "dataclasses", "logging", "typing"}
    assert loaded & heavy == set(), loaded & heavy


def test_default_filing_settings_load_no_filing_module_and_a_wrong_preset_is_still_refused(tmp_path: Path) -> None:
    write(tmp_path, DEFAULT_TOML)
    code = (
        "import sys\n"
        "from core.config import load_settings\n"
        f"load_settings(__import__('pathlib').Path({str(tmp_path)!r}))\n"
        "print('core.practice.filing' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"  # nothing set but the defaults: nothing to check at start
    write(tmp_path, DEFAULT_TOML.replace('preset = "generic"', 'preset = "inconnu"'))
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert "filing.preset" in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[trust]\nmode = "paranoid"\n', "profile.toml line 2: trust.mode must be open, trust-space or strict"),
        ('[filing]\nlayout = "flat"\n', "profile.toml line 2: filing.layout must be drop-folder or patient-folders"),
        ("[trust]\nallow = 3\n", "line 2: trust.allow must be a list of texts"),
        ("[trust]\ncolour = 1\n", "line 2: trust.colour is not a known setting (known settings: "),
        ("[colours]\nx = 1\n", "profile.toml line 1: colours is not a known section"),
        ('[keys]\n"app.quit" = 3\n', 'line 2: keys.app.quit must be a key name such as "f5" or "ctrl+s"'),
        ("idle_lock_minutes = -1\n", "line 1: idle_lock_minutes must be a whole number, zero or more"),
        ("theme = 3\n", "line 1: theme must be"),
        ("[notifications]\nurgent = 1\n", "line 2: notifications.urgent must be true or false"),
        ('[practitioner]\nrpps = "12"\n', "line 2: practitioner.rpps must be your 11-digit RPPS number"),
        ("language = \n", "profile.toml line 1, column 12: wrong syntax"),
    ],
)
def test_a_bad_setting_reads_in_english_under_lang_en(tmp_path: Path, text: str, expected: str) -> None:
    """The composed phrases (where, what is wrong, "a, b ou c") come from the catalogues like every core error:
    nothing French is left in an English line."""
    from core.text import set_language

    write(tmp_path, text)
    set_language("en")
    try:
        with pytest.raises(ConfigError) as caught:
            load_settings(tmp_path)
        message = str(caught.value)
    finally:
        set_language(None)
    assert expected in message, message
    assert not [w for w in (" ligne ", " colonne ", " ou ", " doit ", " connue", " : ") if w in message], message
