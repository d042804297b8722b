"""`missive daemon` as a user runs it, against the real Postfix and Dovecot.

One daemon, one profile: a lab result arriving in the INBOX is filed into the practice software's folder with
its original bytes and the phone gets a count; a report dropped with its sidecar into the watched folder
reaches the colleague with its XDM package and lands in ``sent/``; a bad sidecar lands in ``failed/`` with a
reason; SIGTERM stops it cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from email import message_from_bytes, policy
from io import BytesIO
from pathlib import Path

import pytest

from tests.send.webhook import WebhookServer

pytestmark = pytest.mark.servers
PASS = "correct horse battery staple"
DATA = Path(__file__).resolve().parent.parent / "data" / "filing"
RESULT = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()
PDF = (DATA / "letter.pdf").read_bytes()
# the patient named in RESULT (fictitious), and one other
PATIENTS = (
    "id,birth_name,used_name,given_names,birth_date,sex,ins\n"
    "P-1,MÜLLER,LEFÈVRE,Jean-Pierre Marie,1968-04-12,M,\n"
    "P-2,DURAND,,Claire,1971-02-03,F,\n"
)


def _wait(condition, what: str, timeout: float = 40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def _published(folder: Path) -> list[Path]:
    """What the practice software polling ``folder`` would import: its files, and never a temporary one (the
    filing writes those in a hidden sub-folder, so a file in the folder itself is a published, whole one)."""
    files = _files(folder)
    assert not [p.name for p in files if p.name.endswith(".tmp")], "a temporary file in the import folder"
    return files


def _maildir_files(maildir: Path) -> list[Path]:
    return [p for sub in ("new", "cur") for p in _files(maildir / sub)]


def test_the_daemon_files_results_sends_dropped_reports_and_stops_on_sigterm(
    mail_servers, tmp_path: Path
) -> None:
    me, colleague = mail_servers.add_user("doctor"), mail_servers.add_user("colleague")
    profile, lgc, watch = tmp_path / "profile", tmp_path / "lgc", tmp_path / "watch"
    lgc.mkdir()
    watch.mkdir()
    env = {
        **os.environ,
        "MISSIVE_PASSPHRASE": PASS,
        "MISSIVE_ACCOUNT_PASSWORD": mail_servers.password,
        "MISSIVE_KDF_LOG2N": "14",
    }
    missive = [sys.executable, "-m", "tui.cli", "--profile", str(profile)]

    def run(*args: str) -> str:
        done = subprocess.run([*missive, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("init")
    csv = tmp_path / "patients.csv"
    csv.write_text(PATIENTS, "utf-8")
    run("patients", "import", str(csv))
    run(
        "account", "add", "cabinet", "--email", me,
        "--imap", f"127.0.0.1:{mail_servers.imap_port}", "--smtp", f"127.0.0.1:{mail_servers.submission_port}",
        "--user", me, "--ca-file", str(mail_servers.ca_file),
    )  # fmt: skip
    run("sync")
    with WebhookServer() as hook:
        settings = profile / "profile.toml"
        text = settings.read_text("utf-8")
        text = text.replace("allow = []", 'allow = ["missive.test"]', 1)
        text = text.replace('[filing]\npreset = "generic"         # see `missive filing presets`\nfolder = ""',
                            f'[filing]\npreset = "generic"\nfolder = "{lgc}"', 1)  # fmt: skip
        text = text.replace('[watch]\nfolder = ""', f'[watch]\nfolder = "{watch}"', 1)
        text = text.replace('kind = "none"', 'kind = "webhook"', 1).replace(
            'url = ""', f'url = "{hook.url}"', 1
        )
        text = text.replace('rpps = ""', 'rpps = "10001234567"', 1)
        settings.write_text(text, "utf-8")
        assert f'folder = "{lgc}"' in text and f'folder = "{watch}"' in text and hook.url in text

        daemon = subprocess.Popen(
            [*missive, "daemon", "--every", "0.5"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            time.sleep(2.0)  # the daemon is in IDLE on the INBOX
            letter = (
                (
                    f"From: labo@missive.test\r\nTo: {me}\r\nSubject: Resultats\r\n"
                    "Message-ID: <daemon-result@missive.test>\r\nMIME-Version: 1.0\r\n"
                    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                    "Content-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n--b\r\n"
                    'Content-Type: application/octet-stream; name="res.hpr"\r\n'
                    'Content-Disposition: attachment; filename="res.hpr"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
                ).encode()
                + _b64(RESULT)
                + b"\r\n--b--\r\n"
            )
            mail_servers.deliver(me, letter)

            [filed] = _wait(lambda: _published(lgc), "the result filed into the practice software's folder")
            assert filed.read_bytes() == RESULT  # the original bytes, original encoding
            assert "P-1" in filed.name
            _wait(lambda: hook.requests, "the phone notification")
            note = hook.requests[0].body.decode("utf-8")
            assert "1" in note
            for secret in ("LEFÈVRE", "MÜLLER", "Jean", "1968", "GLYCEMIE", "1,32", "Resultats"):
                assert secret not in note

            # a report dropped by the practice software, with its sidecar
            old = time.time() - 60
            (watch / "CR_42.pdf").write_bytes(PDF)
            sidecar = {"to": [colleague], "subject": "Compte rendu", "body": "Cher confrère.", "patient_id": "P-1",
                       "xdm": True}  # fmt: skip
            (watch / "CR_42.pdf.json").write_text(json.dumps(sidecar), "utf-8")
            (watch / "bad.pdf").write_bytes(PDF)
            (watch / "bad.pdf.json").write_text('{"to": ["x@missive.test"]}', "utf-8")
            for name in ("CR_42.pdf", "CR_42.pdf.json", "bad.pdf", "bad.pdf.json"):
                os.utime(watch / name, (old, old))

            [arrived] = _wait(
                lambda: _maildir_files(mail_servers.maildir_of(colleague)), "the report delivered"
            )
            _wait(lambda: len(_files(watch / "sent")) == 2, "the report moved to sent/")
            msg = message_from_bytes(arrived.read_bytes(), policy=policy.default)
            assert msg["X-MSS-CODECDA"]
            names = [part.get_filename() for part in msg.iter_attachments()]
            assert "CR_42.pdf" in names
            package = next(p for p in msg.iter_attachments() if p.get_content_type() == "application/zip")
            with zipfile.ZipFile(BytesIO(package.get_content())) as zf:
                assert "IHE_XDM/SUBSET01/METADATA.XML" in zf.namelist()

            _wait(lambda: (watch / "failed" / "bad.pdf.error.txt").exists()
                  or any(p.name.endswith(".error.txt") for p in _files(watch / "failed")), "bad sidecar failed")  # fmt: skip
            reason = next(p for p in _files(watch / "failed") if p.name.endswith(".error.txt")).read_text(
                "utf-8"
            )
            assert "subject" in reason
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                out, err = daemon.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                daemon.kill()
                out, err = daemon.communicate()
                raise AssertionError("the daemon did not stop on SIGTERM") from None
    assert daemon.returncode == 0, err
    assert b"Traceback" not in err
    documents = [json.loads(line) for line in run("documents", "list", "--json").splitlines()]
    assert [(d["state"], d["patient_id"]) for d in documents] == [("filed", "P-1")]
    records = run("audit", "verify")
    assert records is not None


def _b64(data: bytes) -> bytes:
    import base64

    encoded = base64.b64encode(data)
    return b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
