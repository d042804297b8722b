"""Bad input on the command line: one line saying what is wrong and what to do, a failing exit code, never an
empty success. The CLI runs as a separate process, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASS = "correct horse battery staple"


def missive(*args: str, profile: Path | None = None) -> tuple[int, str, str]:
    where = ["--profile", str(profile)] if profile else []
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", *where, *args],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_PASSPHRASE": PASS, "MISSIVE_KDF": "floor"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def test_a_mistyped_command_or_option_says_what_was_meant_and_where_to_look(tmp_path: Path) -> None:
    """A secretary's typos: the command she most likely meant, and the --help of the command she typed (it said
    'missive --help', which does not list `messages list`'s options)."""
    profile = tmp_path / "profil"
    code, out, err = missive("mesages", "list", profile=profile)
    assert (code, out) == (2, "")
    assert "vouliez-vous dire « messages » ?" in err and err.count("\n") == 1
    code, _, err = missive("messages", "lsit", profile=profile)
    assert code == 2 and "vouliez-vous dire « list » ? (voir : missive messages --help)" in err
    code, _, err = missive("messages", "list", "--dossier", "INBOX", profile=profile)
    assert (code, err) == (
        2,
        "missive : arguments non reconnus : --dossier INBOX (voir : missive messages list --help)\n",
    )
    code, _, err = missive("--lang", "en", "mesages", "list", profile=profile)
    assert code == 2 and "; did you mean 'messages'? (see: missive --help)" in err
    code, _, err = missive("xyzzy", profile=profile)  # nothing close: no guess
    assert code == 2 and "vouliez-vous" not in err


def test_a_global_option_left_without_its_value_says_so() -> None:
    """`missive --profile` (the folder forgotten) said "missive None : sous-commande manquante (voir : missive
    None --help)": the app's command was taken as the folder."""
    code, out, err = missive("--profile")
    assert (code, out, err) == (2, "", "missive : argument --profile : une valeur attendue (voir : missive --help)\n")
    code, _, err = missive("--lang", "en", "--prof")
    assert code == 2 and err == "missive : argument --profile: expected one argument (see: missive --help)\n"
    code, _, err = missive("--lang")
    assert code == 2 and "argument --lang : une valeur attendue" in err and "None" not in err


def test_parse_on_an_empty_folder_says_there_is_nothing_to_read(tmp_path: Path) -> None:
    (tmp_path / "vide").mkdir()
    code, out, err = missive("parse", str(tmp_path / "vide"))
    assert code == 1, (out, err)
    assert out.splitlines() == [
        f"{tmp_path / 'vide'} : illisible — dossier sans aucun fichier à lire : "
        "indiquez le dossier où sont les comptes rendus"
    ]
    code, out, _ = missive("--lang", "en", "parse", "--json", str(tmp_path / "vide"))
    assert code == 1 and '"error": "folder with no file to read' in out


@pytest.fixture
def demo(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile_dir: Path) -> Path:
    """A small demo profile (its Maildir under this test's temporary folder)."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code, _, err = cli("demo", "--no-tui", "--patients", "10")
    assert code == 0, err
    return profile_dir


def test_listing_a_folder_that_does_not_exist_says_so_and_names_the_folders(demo: Path) -> None:
    code, out, err = missive("messages", "list", "--folder", "Boite", profile=demo)
    assert (code, out) == (1, "")
    assert (
        err
        == "missive : pas de dossier « Boite » ; dossiers : INBOX, Archive, Sent, Trash (ou Quarantaine, Brouillons)\n"
    )
    # a folder that exists but is empty (Archive, before anything is archived) lists nothing, successfully
    assert missive("messages", "list", "--folder", "Archive", profile=demo) == (0, "", "")
    code, out, _ = missive("messages", "list", "--folder", "INBOX", profile=demo)
    assert code == 0 and len(out.splitlines()) > 5


def test_the_apps_drafts_are_listed_under_brouillons_as_the_app_names_them(demo: Path) -> None:
    """A secretary looking for the letters being written asks for the folder she sees in the app."""
    from core.mailroom import Mailroom
    from core.model import Draft

    assert missive("messages", "list", "--folder", "Brouillons", profile=demo) == (0, "", "")
    mr = Mailroom.open(demo, PASS)
    kept = mr.save_draft(Draft(to=("dr.lefevre@exemple.mssante.fr",), subject="Courrier", body="..."))
    mr.close()
    for name in ("Brouillons", "brouillons", "Drafts"):
        code, out, err = missive("messages", "list", "--folder", name, profile=demo)
        assert (code, err) == (0, ""), (name, err)
        [line] = out.splitlines()
        assert line.split()[0] == kept[:12] and "→ dr.lefevre@exemple.mssante" in line and "Courrier" in line
    # with no account of its own, a draft leaves from the default account: listed under it
    code, out, _ = missive("messages", "list", "--folder", "Brouillons", "--account", "cabinet", profile=demo)
    assert code == 0 and kept[:12] in out
    code, out, _ = missive("messages", "list", "--folder", "Brouillons", "--json", profile=demo)
    assert code == 0 and '"subject": "Courrier"' in out and "dr.lefevre@exemple.mssante.fr" in out
    # the draft's id is not a message's: said, never "no message with this id"
    code, out, err = missive("messages", "show", kept[:12], profile=demo)
    assert (code, out) == (1, "") and "est un brouillon" in err and "dossier Brouillons" in err, err
    code, out, _ = missive("messages", "list", "--folder", "INBOX", profile=demo)
    assert code == 0 and kept[:12] not in out


def test_a_huge_file_given_as_the_patient_list_is_refused_before_it_is_read(tmp_path: Path) -> None:
    profile = tmp_path / "profil"
    assert missive("init", profile=profile)[0] == 0
    good = tmp_path / "patients.csv"
    good.write_text(
        "id,birth_name,used_name,given_names,birth_date,sex,ins\nP1,DUPONT,,Jean,1970-01-01,M,\n",
        encoding="utf-8",
    )
    assert missive("patients", "import", str(good), profile=profile)[0] == 0
    huge = tmp_path / "export.csv"
    with huge.open("wb") as file:
        file.truncate(300 << 20)  # 300 MB of zeros (sparse): one "line" a CSV reader would take whole
    code, out, err = missive("patients", "import", str(huge), profile=profile)
    assert (code, out) == (2, "")
    assert err == (
        "missive : export.csv dépasse 64 Mo : ce n'est pas une liste de patients ; "
        "exportez-la à nouveau depuis le logiciel métier (CSV UTF-8)\n"
    )
    code, out, _ = missive("patients", "list", profile=profile)
    assert code == 0 and "DUPONT" in out  # nothing stored is lost


# A profile file this user may not read (made by another user, sudo, a chmod): the CLI runs in a fresh process
# whose operating system refuses that one file, as it would for a non-root user (the suite may run as root,
# who is never refused).
_DENIED = r"""
import errno, os, pathlib, sys
denied = sys.argv[1]
real_open = os.open
def refusing_open(path, *args, **kwargs):
    if os.fspath(path).endswith(denied):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
    return real_open(path, *args, **kwargs)
os.open = refusing_open
import io
real_io_open = io.open
def refusing_io_open(file, *args, **kwargs):
    if isinstance(file, (str, os.PathLike)) and os.fspath(file).endswith(denied):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(file))
    return real_io_open(file, *args, **kwargs)
io.open = refusing_io_open
import builtins
builtins.open = refusing_io_open
from tui.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_a_profile_file_this_user_may_not_read_is_one_line_naming_it(tmp_path: Path) -> None:
    profile = tmp_path / "profil"
    assert missive("init", profile=profile)[0] == 0
    for name in ("vault.json", "profile.toml", "missive.log"):
        done = subprocess.run(
            [sys.executable, "-c", _DENIED, name, "--profile", str(profile), "messages", "list"],
            cwd=ROOT,
            env={**os.environ, "MISSIVE_PASSPHRASE": PASS, "MISSIVE_KDF": "floor"},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 1 and done.stdout == "", (name, done.stderr)
        [line] = done.stderr.splitlines()  # one line, no "internal error … at …" before it
        assert line.startswith(f"missive : {profile / name} : "), (name, line)
        assert "le profil doit appartenir à l'utilisateur qui lance missive" in line, (name, line)
        assert "endommagé" not in line and "erreur interne" not in line
    assert missive("messages", "list", profile=profile)[0] == 0  # nothing was changed


def test_an_error_line_writes_no_terminal_command(cli) -> None:
    """An error says its words on one line of stderr without a control character: a core error may quote a
    server's refusal ('a1 NO \\x1b]52;c;…\\x07'), or here the folder the command was given."""
    assert cli("init")[0] == 0
    code, _out, err = cli("messages", "list", "--folder", "\x1b]0;PWNED\x07\x9b2J")
    assert code != 0 and "PWNED" in err
    assert err.count("\n") == 1 and not any(ord(c) < 0x20 and c != "\n" or 0x7F <= ord(c) <= 0x9F for c in err)


# A profile on a disk mounted read-only (a USB key's lock switch, a file system remounted read-only after an
# error): every write the operating system refuses with EROFS, as it would (the suite cannot mount one).
_READ_ONLY = r"""
import errno, os, sys
root = os.path.realpath(sys.argv[1])
def refused(path):
    return os.path.realpath(os.fspath(path)).startswith(root)
real_open, real_mkdir = os.open, os.mkdir
WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
def read_only_open(path, flags, *args, **kwargs):
    if flags & WRITES and refused(path):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))
    return real_open(path, flags, *args, **kwargs)
def read_only_mkdir(path, *args, **kwargs):
    if refused(path):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))
    return real_mkdir(path, *args, **kwargs)
os.open, os.mkdir = read_only_open, read_only_mkdir
from tui.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("words", [("messages", "list"), ("patients", "list"), ("init",)])
def test_a_profile_on_a_read_only_disk_is_one_line_naming_it(tmp_path: Path, words: tuple[str, ...]) -> None:
    profile = tmp_path / "profil"
    where = profile if words != ("init",) else tmp_path / "nouveau"
    if words != ("init",):
        assert missive("init", profile=profile)[0] == 0
    before = sorted((p.name, p.stat().st_size) for p in profile.rglob("*")) if profile.exists() else []
    done = subprocess.run(
        [sys.executable, "-c", _READ_ONLY, str(tmp_path), "--profile", str(where), *words],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_PASSPHRASE": PASS, "MISSIVE_KDF": "floor"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and done.stdout == "", done.stderr
    [line] = done.stderr.splitlines()  # one line: no "internal error OSError at …" before it
    assert line.startswith(f"missive : {where}"), line
    assert "disque en lecture seule" in line and "missive ne peut pas y écrire" in line, line
    assert "erreur interne" not in line
    if before:
        assert sorted((p.name, p.stat().st_size) for p in profile.rglob("*")) == before  # nothing changed
