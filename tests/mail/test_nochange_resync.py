"""A `missive sync` with nothing new ends after one short IMAP exchange, without the sync's machinery (issue 18:
a standalone no-change resync), and every doubt hands the opened profile over to the full sync
(core.mail.nochange). Against the suite's Dovecot (implicit TLS): what the check decides, what a resync in a
fresh interpreter loads and writes, and the error lines, which stay the full sync's own."""

from __future__ import annotations

import imaplib
import json
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.errors import TransportError
from core.mail import nochange
from core.mail.account import Account
from core.mail.accounts import Accounts
from core.mail.folderstate import ANALYSIS_MARK, HELD_MARK, REFS_MARK, ROLES_MARK, folder_key
from core.mailroom import Mailroom, run
from tests.mail.helpers import letter

ROOT = Path(__file__).resolve().parents[2]
PASS = "correct horse battery staple"
# what the full sync loads and the check never needs
MACHINERY = ("asyncio", "aioimaplib", "core.mail.sync", "core.mail.imap", "core.mailroom", "core.mail.messages")

pytestmark = pytest.mark.servers


def _account(mail_servers, user: str, **changes: object) -> Account:
    account = Account(
        name="cabinet",
        email=user,
        imap_host="127.0.0.1",
        imap_port=mail_servers.imaps_port,
        imap_security="tls",
        smtp_host="127.0.0.1",
        smtp_port=mail_servers.submission_port,
        user=user,
        password=mail_servers.password,
        ca_file=str(mail_servers.ca_file),
    )
    return account.with_changes(**changes) if changes else account


@pytest.fixture
def synced(profile_dir: Path, mail_servers) -> str:
    """A profile whose one account (implicit TLS on the suite's Dovecot) holds two letters, synced once in full."""
    user = mail_servers.add_user("calme")
    mail_servers.deliver(user, letter("Compte rendu", body="Tension normale.\n"))
    mail_servers.deliver(user, letter("Rendez-vous", body="Mardi 10 h.\n"))
    mr = Mailroom.create(profile_dir, PASS)
    mr.accounts.add(_account(mail_servers, user))
    assert run(mr.sync())[0].new == 2
    return user


def _check(profile_dir: Path, account: str | None = None) -> nochange.Checked:
    return nochange.resync(profile_dir, PASS, account)


def _resync_in_a_fresh_interpreter(profile: Path, also: tuple[str, ...] = ()) -> tuple[int, str, str, list[str]]:
    """`missive sync` in a fresh interpreter: exit code, output, error, the machinery's modules it loaded (and
    those of ``also``)."""
    script = (
        "import io, json, sys, contextlib\n"
        "from tui.cli import main\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        f"    code = main(['--profile', {str(profile)!r}, 'sync'])\n"
        f"loaded = [m for m in {(*MACHINERY, *also)!r} if m in sys.modules]\n"
        "print(json.dumps([code, out.getvalue(), err.getvalue(), loaded]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_KDF": "floor", "MISSIVE_PASSPHRASE": PASS},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    code, out, err, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    return code, out, err, loaded


def _files(profile: Path) -> dict[str, tuple[int, int]]:
    """Every file of the profile but its log: (size, modification time)."""
    return {
        str(p.relative_to(profile)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in profile.rglob("*")
        if p.is_file() and not p.name.startswith("missive.log")
    }


def test_a_resync_with_nothing_new_ends_without_the_sync_machinery_and_writes_nothing(
    profile_dir: Path, synced: str, mail_servers
) -> None:
    before = _files(profile_dir)
    logins = mail_servers.log().count(f"user=<{synced}>")
    # nor the store's writer pool (concurrent.futures): it writes nothing; nor the idna codec (an ASCII host); nor
    # hashlib and hmac (OpenSSL's digests probed): it makes no message id, no keyed name, no audit line
    also = ("concurrent.futures", "encodings.idna", "hashlib", "_hashlib", "hmac")
    code, out, err, loaded = _resync_in_a_fresh_interpreter(profile_dir, also=also)
    assert (code, err, loaded) == (0, "", [])
    assert out == "cabinet: 0 nouveaux, 0 drapeaux reçus, 0 envoyés, 0 supprimés\n"
    assert _files(profile_dir) == before  # nothing written (a folder state, a mark, a shard)
    log = (profile_dir / "missive.log").read_text()
    assert "handed the sync over" not in log
    # one connection: one login more in Dovecot's log
    assert mail_servers.log().count(f"user=<{synced}>") - logins in (1, 2)  # its Login line (and its Logged out)
    checked = _check(profile_dir)
    assert checked.reports == [
        {"account": "cabinet", "new": 0, "flags_in": 0, "flags_out": 0, "expunged": 0, "undelivered": 0}
    ]


def test_a_new_letter_hands_the_opened_profile_over_to_the_full_sync(
    profile_dir: Path, synced: str, mail_servers
) -> None:
    mail_servers.deliver(synced, letter("Résultats", body="Glycémie 1,02 g/L.\n"))
    assert _check(profile_dir).why == "folder changed"
    code, out, err, loaded = _resync_in_a_fresh_interpreter(profile_dir)
    assert (code, err) == (0, "")
    assert out == "cabinet: 1 nouveaux, 0 drapeaux reçus, 0 envoyés, 0 supprimés\n"
    assert "core.mail.sync" in loaded
    assert "no-change check handed the sync over (folder changed)" in (profile_dir / "missive.log").read_text()
    # and the next resync is a no-change one again
    assert _resync_in_a_fresh_interpreter(profile_dir)[3] == []


def test_a_flag_changed_on_the_server_is_a_change(profile_dir: Path, synced: str, mail_servers) -> None:
    context = ssl.create_default_context(cafile=str(mail_servers.ca_file))
    with imaplib.IMAP4_SSL("127.0.0.1", mail_servers.imaps_port, ssl_context=context) as imap:
        imap.login(synced, mail_servers.password)
        imap.select("INBOX")
        imap.store("1", "+FLAGS", "\\Flagged")
    assert _check(profile_dir).why == "folder changed"
    mr = Mailroom.open(profile_dir, PASS)
    assert run(mr.sync())[0].flags_in == 1


def test_a_flag_set_here_and_not_yet_sent_is_a_change(profile_dir: Path, synced: str) -> None:
    mr = Mailroom.open(profile_dir, PASS)
    mr.messages.set_flags(mr.messages.list()[0].id, ["\\Flagged"])
    assert _check(profile_dir).why == "folder changed"
    assert run(mr.sync())[0].flags_out == 1


def _set_filing_folder(profile_dir: Path) -> None:
    settings = profile_dir / "profile.toml"
    text = settings.read_text().replace('folder = ""', f'folder = "{profile_dir.parent / "lgc"}"', 1)
    settings.write_text(text)


def _waiting_auto_document() -> dict[str, object]:
    """A queued document as the queue stores it (core.practice.documents._to_doc's fields that matter here):
    waiting, decided ``auto`` for patient P1 (a filing that failed, to be tried again)."""
    return {"message_id": "m1", "decision": "auto", "patient_id": "P1", "state": "waiting", "blob_id": "b1"}


@pytest.mark.parametrize(
    ("doubt", "why"),
    [
        ("operation", "operations"),
        ("references", "references"),
        ("held", "held"),
        ("analyses", "analyses"),
        ("roles", "roles"),
        ("folder gone", "folder gone"),
        ("filing", "filing"),
        ("filing interrupted", "filing"),
        ("open profile", "tightened"),
    ],
)
def test_each_thing_left_to_do_here_hands_over(profile_dir: Path, synced: str, doubt: str, why: str) -> None:
    assert _check(profile_dir).reports is not None  # nothing to do before the doubt
    mr = Mailroom.open(profile_dir, PASS)
    folders = mr.messages.folders
    if doubt == "operation":  # a move the server has not heard of yet
        mr.profile.collection("mailops").put("op1", {"account": "cabinet", "kind": "move", "folder": "INBOX"})
    elif doubt == "references":
        folders.delete(REFS_MARK)
    elif doubt == "held":
        folders.put(HELD_MARK, {"held": True})
    elif doubt == "analyses":
        folders.put(ANALYSIS_MARK, {"rules": 1})
    elif doubt == "roles":
        folders.put(folder_key(ROLES_MARK, "cabinet"), {"roles": {"INBOX": "sent"}})
    elif doubt == "folder gone":
        state = mr.messages.folder_state("cabinet", "INBOX")
        folders.put(folder_key("cabinet", "Ancien"), {**state.to_json(), "folder": "Ancien"})
    elif doubt.startswith("filing"):
        _set_filing_folder(profile_dir)
        assert _check(profile_dir).reports is not None  # a filing folder with nothing waiting: nothing to do
        mr = Mailroom.open(profile_dir, PASS)
        if doubt == "filing":  # a result decided ``auto`` for a known patient, still waiting to be filed
            mr.profile.collection("documents").put("d1", _waiting_auto_document())
        else:  # a temporary file of this desk left in the import folder by a filing a crash cut short
            from core.practice import filing

            temps = filing.temp_folder(profile_dir.parent / "lgc")
            temps.mkdir(parents=True)
            (temps / f".missive-{mr.documents.desk}-cr.hpr.tmp").write_bytes(b"")
    elif doubt == "open profile":
        profile_dir.chmod(0o755)
    checked = _check(profile_dir)
    assert (checked.reports, checked.why) == (None, why)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"kind": "maildir", "maildir": "/nulle/part"}, "not IMAP"),
        ({"auth": "command", "xoauth2_command": "true"}, "bearer"),
        ({"password": "mot de passe\x7f"}, "credentials"),
    ],
)
def test_an_account_the_check_does_not_log_in_as_the_full_client_hands_over(
    profile_dir: Path, synced: str, mail_servers, change: dict[str, object], why: str
) -> None:
    mr = Mailroom.open(profile_dir, PASS)
    Accounts(mr.profile.collection("accounts")).add(_account(mail_servers, synced, **change), replace=True)
    checked = _check(profile_dir)
    assert (checked.reports, checked.why) == (None, why)


def test_an_account_on_starttls_is_checked_over_the_upgraded_connection(
    profile_dir: Path, synced: str, mail_servers
) -> None:
    mr = Mailroom.open(profile_dir, PASS)
    starttls = _account(mail_servers, synced, imap_security="starttls", imap_port=mail_servers.imap_port)
    Accounts(mr.profile.collection("accounts")).add(starttls, replace=True)
    checked = _check(profile_dir)
    assert checked.reports is not None, checked.why
    code, out, err, loaded = _resync_in_a_fresh_interpreter(profile_dir)
    assert (code, err, loaded) == (0, "", [])
    mail_servers.deliver(synced, letter("Résultats", body="Glycémie 1,02 g/L.\n"))
    assert _check(profile_dir).why == "folder changed"


def _full_sync_error(profile_dir: Path) -> str:
    """The line the full sync's failure makes (tui.clirun.failed: one line, 'missive : ...')."""
    mr = Mailroom.open(profile_dir, PASS)
    with pytest.raises(TransportError) as failure:
        run(mr.sync())
    return f"missive : {' '.join(str(failure.value).split())}\n"


@pytest.mark.parametrize(
    "trouble", ["wrong password", "other host's certificate", "untrusted authority", "no STARTTLS"]
)
def test_a_failure_says_the_full_syncs_own_line(
    profile_dir: Path, synced: str, mail_servers, tmp_path: Path, trouble: str
) -> None:
    mr = Mailroom.open(profile_dir, PASS)
    if trouble == "wrong password":
        change: dict[str, object] = {"password": "pas-le-bon"}
    elif trouble == "other host's certificate":
        change = {"imap_port": mail_servers.imaps_wronghost_port}
    elif trouble == "no STARTTLS":  # a server in clear: the password is never sent
        change = {"imap_security": "starttls", "imap_port": mail_servers.imap_plain_port}
    else:
        other = tmp_path / "autre-autorite.pem"
        other.write_text(ssl.get_server_certificate(("127.0.0.1", mail_servers.smtps_port)))  # not a CA of it
        change = {"ca_file": str(other)}
    Accounts(mr.profile.collection("accounts")).add(_account(mail_servers, synced, **change), replace=True)
    assert _check(profile_dir).why in ("refused", "connection", "no STARTTLS")
    expected = _full_sync_error(profile_dir)
    code, out, err, _loaded = _resync_in_a_fresh_interpreter(profile_dir)
    assert (code, out, err) == (1, "", expected)


def test_a_server_that_does_not_answer_is_given_up_at_the_connection_wait(
    profile_dir: Path, synced: str, mail_servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that takes the connection and says nothing (a hung server, a filtering firewall): the look
    waited the answers' 30 s before handing over, and the full sync waited its own 30 s again. It now gives
    up at its shorter connection wait (here 0.2 s instead of 8), and the full sync says what is wrong."""
    import socket
    import threading

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # the kernel completes the connection; nothing is ever written
    try:
        mr = Mailroom.open(profile_dir, PASS)
        account = _account(mail_servers, synced, imap_port=silent.getsockname()[1])
        Accounts(mr.profile.collection("accounts")).add(account, replace=True)
        monkeypatch.setattr(nochange, "CONNECT_WAIT", 0.2)
        got: list[nochange.Checked] = []
        look = threading.Thread(target=lambda: got.append(_check(profile_dir)), daemon=True)
        look.start()
        look.join(20)  # far under the answers' wait (TIMEOUT, 30 s): only the connection wait ends it this soon
        assert got and got[0].why == "connection"
    finally:
        silent.close()


def _failed_logins(mail_servers, user: str, at_least: int) -> int:
    """LOGINs Dovecot refused for ``user``: its line for a connection closed after a failed login, written once
    the client has gone (waited for, up to 10 s, until there are ``at_least``)."""
    deadline = time.monotonic() + 10
    while True:
        lines = mail_servers.log().splitlines()
        found = sum("auth failed" in line and f"user=<{user}>" in line for line in lines)
        if found >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_refused_password_is_tried_once_and_the_full_sync_says_the_same_line(
    profile_dir: Path, synced: str, mail_servers
) -> None:
    """The check's refused LOGIN is handed over: the full sync says its own line about that answer without
    logging in again (a second failed LOGIN cost another of the server's failure delays, and counts against
    the account on servers that lock it after a few)."""
    mr = Mailroom.open(profile_dir, PASS)
    Accounts(mr.profile.collection("accounts")).add(_account(mail_servers, synced, password="pas-le-bon"), replace=True)
    expected = _full_sync_error(profile_dir)  # the full sync's own line, alone: one failed LOGIN
    assert _failed_logins(mail_servers, synced, 1) == 1
    checked = _check(profile_dir)
    assert checked.why == "refused" and checked.refused is not None
    assert checked.refused[1] == "[AUTHENTICATIONFAILED] Authentication failed."  # what the full client says
    assert _failed_logins(mail_servers, synced, 2) == 2
    code, out, err, _loaded = _resync_in_a_fresh_interpreter(profile_dir)
    assert (code, out, err) == (1, "", expected)
    assert _failed_logins(mail_servers, synced, 4) == 3  # the resync's check only: 4 would be a second LOGIN
    assert "login was refused at the no-change check; not tried again" in (profile_dir / "missive.log").read_text()


def test_a_refusal_handed_over_is_not_used_for_other_credentials(profile_dir: Path, synced: str, mail_servers) -> None:
    """The account changed between the check and the sync (the password corrected): the sync logs in."""
    mr = Mailroom.open(profile_dir, PASS)
    accounts = Accounts(mr.profile.collection("accounts"))
    accounts.add(_account(mail_servers, synced, password="pas-le-bon"), replace=True)
    checked = _check(profile_dir)
    assert checked.refused is not None
    Accounts(checked.profile.collection("accounts")).add(_account(mail_servers, synced), replace=True)
    adopted = Mailroom.adopt(checked)
    assert run(adopted.sync())[0].new == 0


@pytest.mark.parametrize(
    "record",
    [
        {"state": "waiting", "decision": "auto", "patient_id": "P1"},
        {"state": "filing", "decision": "auto", "patient_id": "P1"},
        {"state": "filing", "decision": "review"},
        {"state": "filed", "decision": "auto", "patient_id": "P1", "replacement": {"id": "d0"}},
        {"state": "waiting", "decision": "auto", "patient_id": "P1", "critical": 1},
    ],
)
def test_a_document_auto_file_would_take_keeps_the_queue_looked_at(profile_dir: Path, record: dict) -> None:
    """The check reads the queue's records without loading the queue (core.mail.nochange._documents_idle):
    whatever DocumentQueue.auto_file_waiting would take, it sends to it."""
    from core.practice.documents import DocumentQueue

    Mailroom.create(profile_dir, PASS)
    _set_filing_folder(profile_dir)
    mr = Mailroom.open(profile_dir, PASS)
    mr.profile.collection("documents").put("d1", {"message_id": "m1", "blob_id": "b1", **record})
    assert DocumentQueue(mr.profile).auto_file_waiting()
    assert not nochange._documents_idle(mr.profile)


def test_filed_documents_and_those_waiting_for_a_person_leave_the_queue_unloaded(profile_dir: Path) -> None:
    """A doctor's profile holds filed results and some waiting for a decision: nothing for auto_file, which the
    check tells without the queue's modules; a temporary file left in the import folder (this desk's or
    another's) is looked at by the queue, as is a folder it cannot read."""
    from core.practice import filing
    from core.practice.documents import DocumentQueue

    Mailroom.create(profile_dir, PASS)
    _set_filing_folder(profile_dir)
    mr = Mailroom.open(profile_dir, PASS)
    docs = mr.profile.collection("documents")
    docs.put("d1", {"message_id": "m1", "blob_id": "b1", "state": "filed", "decision": "auto", "patient_id": "P1"})
    docs.put("d2", {"message_id": "m2", "blob_id": "b2", "state": "waiting", "decision": "review"})
    docs.put("d3", {"message_id": "m3", "blob_id": "b3", "state": "waiting", "decision": "auto"})  # no patient
    docs.put("d4", {"message_id": "m4", "blob_id": "b4", "state": "rejected", "decision": "auto", "patient_id": "P2"})
    assert not DocumentQueue(mr.profile).auto_file_waiting()
    assert nochange._documents_idle(mr.profile)
    temps = filing.temp_folder(profile_dir.parent / "lgc")
    temps.mkdir(parents=True)
    assert nochange._documents_idle(mr.profile)  # the hidden folder, empty
    (temps / ".missive-autrebureau-cr.hpr.tmp").write_bytes(b"")  # another desk's: not this one's to settle
    assert not nochange._documents_idle(mr.profile)
    assert not DocumentQueue(mr.profile).auto_file_waiting()


def test_a_resync_with_a_filing_folder_and_nothing_to_file_leaves_the_queue_unloaded(
    profile_dir: Path, synced: str
) -> None:
    _set_filing_folder(profile_dir)
    mr = Mailroom.open(profile_dir, PASS)
    mr.profile.collection("documents").put(
        "d1", {"message_id": "m1", "blob_id": "b1", "state": "filed", "decision": "auto", "patient_id": "P1"}
    )
    script_loaded = _resync_in_a_fresh_interpreter(profile_dir, also=("core.practice.documents",))
    code, out, err, loaded = script_loaded
    assert (code, err, loaded) == (0, "", [])
    assert out == "cabinet: 0 nouveaux, 0 drapeaux reçus, 0 envoyés, 0 supprimés\n"


def _store_folder(tmp_path: Path, ca_file: Path, name: str | None = None) -> Path:
    """A system store's hashed folder holding ``ca_file`` under its subject's hash (``name``: another name)."""
    folder = tmp_path / "certs"
    folder.mkdir()
    if name is None:
        said = subprocess.run(
            ["openssl", "x509", "-subject_hash", "-noout", "-in", str(ca_file)],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        name = f"{said.stdout.strip()}.0"
    (folder / name).write_bytes(ca_file.read_bytes())
    return folder


@pytest.mark.parametrize("store", ["hashed folder", "system bundle named", "wrong name", "own bundle"])
def test_an_account_on_the_system_store_is_checked_without_loading_the_whole_store(
    profile_dir: Path, synced: str, mail_servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: str
) -> None:
    """A doctor's account names no CA file: its server chains to one of the system's authorities. The check
    finds it in the store's hashed folder at the handshake instead of loading the whole bundle first (some
    30-60 ms of CPU at each standalone resync); it trusts nothing more (an authority not found there hands
    over), and a bundle of one's own (SSL_CERT_FILE, other than the system's) is loaded as the full client
    loads it."""
    from core.mail import tls

    mr = Mailroom.open(profile_dir, PASS)
    Accounts(mr.profile.collection("accounts")).add(_account(mail_servers, synced, ca_file=None), replace=True)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    folder = _store_folder(tmp_path, mail_servers.ca_file, "0badcafe.0" if store == "wrong name" else None)
    monkeypatch.setenv("SSL_CERT_DIR", str(folder))
    if store == "own bundle":
        monkeypatch.setenv("SSL_CERT_FILE", str(mail_servers.ca_file))
    elif store == "system bundle named":  # as many images set it: the system's own bundle, named
        monkeypatch.setenv("SSL_CERT_FILE", ssl.get_default_verify_paths().openssl_cafile)
    loaded: list[str] = []
    whole = ssl.SSLContext.set_default_verify_paths

    def whole_store(ctx: ssl.SSLContext) -> None:
        loaded.append("bundle")
        whole(ctx)

    monkeypatch.setattr(ssl.SSLContext, "set_default_verify_paths", whole_store)
    monkeypatch.setattr(tls, "_CONTEXTS", {})  # nothing made by the full sync above is taken
    checked = _check(profile_dir)
    if store == "wrong name":  # the authority is not where OpenSSL looks: not trusted, the full sync decides
        assert (checked.reports, checked.why, loaded) == (None, "connection", [])
    else:
        assert checked.reports is not None, checked.why
        assert loaded == (["bundle"] if store == "own bundle" else [])
