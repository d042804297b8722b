"""What `missive sync` loads at start-up is what a sync needs (issue 18: every command imports only what it
uses; a standalone no-change resync pays its imports every time). Each check runs the command in a fresh
interpreter against the suite's Dovecot: what it imported is what it shows, and the letters are stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mail.helpers import letter

ROOT = Path(__file__).resolve().parents[2]
PASS = "correct horse battery staple"

# Modules a resync that finds nothing new never needs. core.model_rest: the dataclasses of core.model a sync
# never builds (drafts, clinical documents, the reader's views), each ~0.5 ms to create. secrets, tempfile and
# shutil (with bz2 and lzma): a client certificate's files and blob ids needed them, a connection does not.
# core.events: the nine event classes (new mail, progress, documents filed...), built only where one is emitted.
# argparse, the command line's parser and the other mail commands: a plain sync runs its handler without them
# (tui.clirun.run_plain_sync); getpass (with termios): the audit log's default actor, a resync writes no record.
# shlex: an account's token command is split only for an account that has one. The readers of reports, the
# S/MIME machinery and the practice's documents: nothing new, nothing to read, verify or file.
NOT_FOR_A_RESYNC = (
    "core.model_rest", "core.events", "secrets", "tempfile", "shutil", "bz2", "lzma", "argparse", "tui.cliparse",
    "tui.commands.mail", "getpass", "termios", "shlex", "core.clinical.readers", "core.secure.smime",
    "core.secure.keystore", "core.practice.documents",
)  # fmt: skip
# xml.etree (with expat) reads a trust whitelist and html decodes entities in a report's text: not a sniffer's.
# email.policy (with its header registry) parses a whole message: the summaries are made by the fast reader.
NOT_FOR_A_FIRST_SYNC = (
    "core.model_rest", "core.clinical.matching", "core.clinical.identity", "xml.etree.ElementTree", "html",
    "email.policy", "email.headerregistry",
)  # fmt: skip
NOT_BUILT_BY_A_RESYNC = (  # core.model's classes that a resync finding nothing new never builds
    "Identity", "Observation", "ClinicalDocument", "Patient", "Candidate", "MatchResult", "DirectoryEntry",
    "AddressChoice", "Attachment", "Draft", "FolderCount", "MoveResult", "ReviewItem", "MessageDocument",
    "MessageView", "SavedDraft", "ReadResult",
)  # fmt: skip


def _sync_in_a_fresh_interpreter(profile: Path) -> tuple[int, set[str]]:
    script = (
        "import io, json, sys, contextlib\n"
        "from tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['--profile', {str(profile)!r}, 'sync'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('core', 'tui', *sys.argv[2].split(',')))\n"
        "built = sorted(n for n in getattr(sys.modules.get('core.model'), '__dict__', {}) if n in sys.argv[1].split(','))\n"
        "print(json.dumps([code, loaded, built]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, ",".join(NOT_BUILT_BY_A_RESYNC), ",".join(NOT_FOR_A_RESYNC + NOT_FOR_A_FIRST_SYNC)],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_KDF": "floor", "MISSIVE_PASSPHRASE": PASS},
        capture_output=True,
        text=True,
        check=True,
    )
    code, loaded, built = json.loads(done.stdout.strip().splitlines()[-1])
    return code, set(loaded) | {f"core.model.{name}" for name in built}


def _profile_with_account(cli, mail_servers, monkeypatch, user: str) -> None:
    """A new profile with one account, "cabinet", on the suite's Dovecot and Postfix for ``user``."""
    monkeypatch.setenv("MISSIVE_ACCOUNT_PASSWORD", mail_servers.password)
    assert cli("init")[0] == 0
    code, _out, err = cli(
        "account", "add", "cabinet", "--email", user,
        "--imap", f"127.0.0.1:{mail_servers.imap_port}", "--smtp", f"127.0.0.1:{mail_servers.submission_port}",
        "--user", user, "--ca-file", str(mail_servers.ca_file),
    )  # fmt: skip
    assert code == 0, err


@pytest.mark.servers
def test_a_sync_and_a_resync_load_only_what_a_sync_needs(cli, profile_dir: Path, mail_servers, monkeypatch) -> None:
    user = mail_servers.add_user("imports")
    mail_servers.deliver(user, letter("Compte rendu", body="Tension normale.\n"))
    mail_servers.deliver(user, letter("Rendez-vous", body="Mardi 10 h.\n", attachment=os.urandom(3000)))
    _profile_with_account(cli, mail_servers, monkeypatch, user)
    # the first sync sniffs the new letters and their attachment (the clinical readers' sniffers): none is a
    # report, so no document is built (core.model_rest) and no patient is matched (core.clinical.matching)
    code, loaded = _sync_in_a_fresh_interpreter(profile_dir)
    assert code == 0 and {"core.mail.sync", "core.clinical.readers"} <= loaded
    assert not loaded & set(NOT_FOR_A_FIRST_SYNC), sorted(loaded & set(NOT_FOR_A_FIRST_SYNC))
    code, loaded = _sync_in_a_fresh_interpreter(profile_dir)  # the no-change resync
    assert code == 0
    # it did ask the server, and found nothing to do without the sync engine (core.mail.nochange)
    assert "core.mail.nochange" in loaded and "core.mail.sync" not in loaded
    unneeded = {*NOT_FOR_A_RESYNC, *(f"core.model.{name}" for name in NOT_BUILT_BY_A_RESYNC)}
    assert not loaded & unneeded, sorted(loaded & unneeded)
    code, out, _err = cli("messages", "list", "--json")
    assert sorted(json.loads(line)["subject"] for line in out.splitlines()) == ["Compte rendu", "Rendez-vous"]


def test_every_name_of_core_model_is_there_and_the_rest_loads_on_first_use() -> None:
    """core.model alone loads neither core.model_rest nor core.events; each name of its ``__all__`` still
    resolves, the classes being those modules' own (one class, whichever way it is imported)."""
    script = (
        "import sys, core.model as m\n"
        "print('core.model_rest' in sys.modules, 'core.events' in sys.modules)\n"
        "from core.model import Draft, NewMail\n"
        "import core.model_rest as r, core.events as e\n"
        "print(Draft is r.Draft, NewMail is e.NewMail, all(getattr(m, n) is not None for n in m.__all__))\n"
        "print(sorted(n for n in m._REST if getattr(m, n) is not getattr(r, n)))\n"
        "print(sorted(n for n in m._EVENTS if getattr(m, n) is not getattr(e, n)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[:4] == ["False False", "True True True", "[]", "[]"]


def _sync_watching_the_derivation(profile: Path, passphrase: str) -> tuple[int, str, dict[str, list[str]]]:
    """`missive sync` in a fresh interpreter; which of the sync engine's modules were loaded when the key
    derivation began and when the caller's work beside it was done."""
    script = (
        "import io, json, sys, contextlib\n"
        "import core.store.vault as v\n"
        "engine = ('core.store.profile', 'core.settings', 'core.mail.sync', 'core.mail.imap', 'core.mail.accounts',"
        " 'core.mail.mailops', 'asyncio')\n"
        "seen = {}\n"
        "real = v._beside\n"
        "def beside(derive, meanwhile):\n"
        "    seen['begun'] = [m for m in engine if m in sys.modules]\n"
        "    def watched():\n"
        "        meanwhile()\n"
        "        seen['meanwhile'] = [m for m in engine if m in sys.modules]\n"
        "    return real(derive, watched)\n"
        "v._beside = beside\n"
        "from tui.cli import main\n"
        "err = io.StringIO()\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):\n"
        f"    code = main(['--profile', {str(profile)!r}, 'sync'])\n"
        "print(json.dumps([code, err.getvalue(), seen]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_KDF": "floor", "MISSIVE_PASSPHRASE": passphrase},
        capture_output=True,
        text=True,
        check=True,
    )
    code, err, seen = json.loads(done.stdout.strip().splitlines()[-1])
    return code, err, seen


@pytest.mark.servers
def test_a_standalone_sync_imports_its_engine_while_the_key_derives(
    cli, profile_dir: Path, mail_servers, monkeypatch
) -> None:
    """The Argon2id derivation leaves the interpreter free: `missive sync` starts it first and imports the
    profile's modules, its settings and what its check of the server needs (the accounts, ssl) meanwhile, on
    the other core; a resync that finds nothing new never imports the sync engine (core.mail.nochange). A wrong
    passphrase is still refused before the server is asked anything, and a resync finds the same folder state."""
    user = mail_servers.add_user("beside")
    mail_servers.deliver(user, letter("Compte rendu", body="Tension normale.\n"))
    _profile_with_account(cli, mail_servers, monkeypatch, user)
    assert cli("sync")[0] == 0
    listed = cli("messages", "list", "--json")[1]
    logins = mail_servers.log().count(f"Login: user=<{user}>")
    assert logins >= 1

    code, err, seen = _sync_watching_the_derivation(profile_dir, "not the passphrase")
    assert code == 1 and "phrase de passe" in err.lower(), err
    assert mail_servers.log().count(f"Login: user=<{user}>") == logins  # nothing sent to the server

    code, err, seen = _sync_watching_the_derivation(profile_dir, PASS)  # the no-change resync
    assert code == 0, err
    # the derivation began before the profile's own modules and settings and the engine were imported...
    assert seen["begun"] == []
    assert set(seen["meanwhile"]) == {"core.store.profile", "core.settings", "core.mail.accounts"}  # ...while it ran
    assert mail_servers.log().count(f"Login: user=<{user}>") == logins + 1
    assert cli("messages", "list", "--json")[1] == listed  # the same folder state


def _sync_as_the_program(profile: Path, passphrase: str, marks: Path) -> subprocess.CompletedProcess[str]:
    """`missive sync` run as the program (``main()`` reading sys.argv), with an atexit handler and an object
    that writes a mark when the interpreter is torn down."""
    script = (
        "import atexit, os, sys\n"
        f"fd = os.open({str(marks)!r}, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)\n"
        "atexit.register(os.write, fd, b'atexit\\n')\n"
        "import gc\n"
        "atexit.register(lambda: os.write(fd, f'collector {gc.isenabled()} {gc.get_freeze_count() > 0}\\n'.encode()))\n"
        "class TornDown:\n"
        "    def __del__(self, write=os.write, fd=fd):\n"
        "        write(fd, b'teardown\\n')\n"
        "kept = TornDown()\n"
        f"sys.argv = ['missive', '--profile', {str(profile)!r}, 'sync']\n"
        "from tui.cli import main\n"
        "raise SystemExit(main())\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_KDF": "floor", "MISSIVE_PASSPHRASE": passphrase},
        capture_output=True,
        text=True,
    )


@pytest.mark.servers
def test_a_finished_sync_ends_without_tearing_the_interpreter_down_and_says_the_same(
    cli, profile_dir: Path, mail_servers, monkeypatch, tmp_path: Path
) -> None:
    """A finished `missive sync` ends at once (no teardown of every module: a tenth of a resync's work), after
    what an exit must do: its output and its exit code are the same, the atexit handlers ran (the log's
    flush), the letters are stored. A failed one says its line and its exit code the same way."""
    user = mail_servers.add_user("leave")
    mail_servers.deliver(user, letter("Compte rendu", body="Tension normale.\n"))
    _profile_with_account(cli, mail_servers, monkeypatch, user)
    marks = tmp_path / "marks"

    done = _sync_as_the_program(profile_dir, PASS, marks)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "cabinet: 1 nouveaux, 0 drapeaux reçus, 0 envoyés, 0 supprimés\n"
    # the handlers ran; the teardown did not; the collector, paused while the modules loaded, works again
    # (what start-up made frozen out of its way)
    assert marks.read_text() == "collector True True\natexit\n"
    listed = cli("messages", "list", "--json")[1]
    assert [json.loads(line)["subject"] for line in listed.splitlines()] == ["Compte rendu"]

    marks.unlink()
    again = _sync_as_the_program(profile_dir, PASS, marks)  # the no-change resync: the same words
    assert (again.returncode, again.stdout) == (0, "cabinet: 0 nouveaux, 0 drapeaux reçus, 0 envoyés, 0 supprimés\n")
    assert marks.read_text() == "collector True True\natexit\n"
    assert cli("messages", "list", "--json")[1] == listed

    marks.unlink()
    refused = _sync_as_the_program(profile_dir, "not the passphrase", marks)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("missive : ") and "phrase de passe" in refused.stderr
    assert "atexit" in marks.read_text()


def _sync_as_the_program_watching_the_key(profile: Path, passphrase: str, marks: Path) -> subprocess.CompletedProcess[str]:
    """`missive sync` run as the program; writes which of the sync's modules were loaded when a derivation was
    begun ahead (core.store.kdf.begin), and whether it was begun."""
    script = (
        "import atexit, json, os, sys\n"
        "import core.store.kdf as kdf\n"
        "seen = {}\n"
        "real = kdf.begin\n"
        "def begin(folder, passphrase):\n"
        "    seen['loaded'] = [m for m in sys.argv[1].split(',') if m in sys.modules]\n"
        "    seen['begun'] = real(folder, passphrase)\n"
        "    return seen['begun']\n"
        "kdf.begin = begin\n"
        f"atexit.register(lambda: open({str(marks)!r}, 'w').write(json.dumps(seen)))\n"
        f"sys.argv = ['missive', '--profile', {str(profile)!r}, 'sync']\n"
        "from tui.cli import main\n"
        "raise SystemExit(main())\n"
    )
    later = "tui.clirun,core.logs,core.mailroom,core.store.vault,core.settings,asyncio,ssl,core.mail.sync"
    return subprocess.run(
        [sys.executable, "-c", script, later],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_KDF": "floor", "MISSIVE_PASSPHRASE": passphrase},
        capture_output=True,
        text=True,
    )


@pytest.mark.servers
def test_a_standalone_sync_begins_its_key_before_loading_the_sync(
    cli, profile_dir: Path, mail_servers, monkeypatch, tmp_path: Path
) -> None:
    """Run as the program with MISSIVE_PASSPHRASE, a plain `missive sync` that no daemon answers begins the
    Argon2id derivation before it loads the command's runner, the façade, the vault and the engine (as `missive
    tui` does): on two cores the derivation then overlaps all of them. The opening takes that key (it says so
    in the profile's log), a wrong passphrase is still refused before the server is asked anything, and the
    words and exit codes are the same."""
    user = mail_servers.add_user("ahead")
    mail_servers.deliver(user, letter("Compte rendu", body="Tension normale.\n"))
    _profile_with_account(cli, mail_servers, monkeypatch, user)
    assert cli("sync")[0] == 0
    logins = mail_servers.log().count(f"Login: user=<{user}>")
    log = profile_dir / "missive.log"
    ahead_before = log.read_text().count("passphrase key derived ahead")
    marks = tmp_path / "marks"

    done = _sync_as_the_program_watching_the_key(profile_dir, PASS, marks)
    assert (done.returncode, done.stdout, done.stderr) == (
        0, "cabinet: 0 nouveaux, 0 drapeaux reçus, 0 envoyés, 0 supprimés\n", ""
    )  # fmt: skip
    seen = json.loads(marks.read_text())
    assert seen == {"loaded": [], "begun": True}
    assert log.read_text().count("passphrase key derived ahead") == ahead_before + 1
    assert mail_servers.log().count(f"Login: user=<{user}>") == logins + 1

    refused = _sync_as_the_program_watching_the_key(profile_dir, "not the passphrase", marks)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("missive : ") and "phrase de passe" in refused.stderr
    assert json.loads(marks.read_text())["begun"] is True
    assert mail_servers.log().count(f"Login: user=<{user}>") == logins + 1  # nothing sent to the server
