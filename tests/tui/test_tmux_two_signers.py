"""A letter two people signed, read as a person reads it: the installed ``missive`` under tmux at 80x24, on a
profile that synced (a real Mailroom, a Maildir) letters made by `openssl cms -sign` with two `-signer`. The list
marks the letter a stranger co-signed ✗ (the letter is trusted no more than its least trusted signer) and the
one a colleague co-signed ~ (valid, revocation not checked); the reader says each signer's verdict on a line."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.tui.test_tmux_demo import MISSIVE, Tmux, pytestmark  # noqa: F401 - same skips

PASS = "correct horse battery staple"
BUILD = """
import asyncio, subprocess, sys
from pathlib import Path
from core.mail.account import Account
from core.mailroom import Mailroom
from tests.secure.pki import make_ca, make_user

profile, maildir, made = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
for sub in ("cur", "new", "tmp"):
    (maildir / sub).mkdir(parents=True)
made.mkdir()
ca = make_ca("CA Sante de test")
parties = {
    "alice": make_user("Labo Alice", ["alice@labo.test"], ca),
    "carol": make_user("Labo Carol", ["carol@labo.test"], ca),
    "sam": make_user("Sam Stranger", ["sam@ailleurs.test"], make_ca("Unknown Root CA")),
}
for name, party in parties.items():
    (made / f"{name}.crt").write_bytes(party.cert_pem)
    (made / f"{name}.key").write_bytes(party.key_pem)
for n, (co, subject, hour) in enumerate([("carol", "Cosigne confrere", "08"), ("sam", "Cosigne inconnu", "09")]):
    src = made / f"{n}.eml"
    src.write_bytes(
        f"From: alice@labo.test\\r\\nTo: dr@cabinet.mssante.fr\\r\\nSubject: {subject}\\r\\n"
        f"Message-ID: <two-{n}@labo.test>\\r\\nDate: Mon, 07 Dec 2026 {hour}:00:00 +0000\\r\\nMIME-Version: 1.0\\r\\n"
        "Content-Type: text/plain; charset=utf-8\\r\\n\\r\\nCompte rendu cosigne.\\r\\n".encode()
    )
    signed = subprocess.run(
        ["openssl", "cms", "-sign", "-in", str(src), "-signer", str(made / "alice.crt"), "-inkey", str(made / "alice.key"),
         "-signer", str(made / f"{co}.crt"), "-inkey", str(made / f"{co}.key"), "-from", "alice@labo.test",
         "-to", "dr@cabinet.mssante.fr", "-subject", subject],
        check=True, capture_output=True, timeout=60,
    ).stdout
    (maildir / "new" / f"{n}.host").write_bytes(signed)
mr = Mailroom.create(profile, sys.argv[4])
mr.keys.trust(ca.cert)
mr.save_settings({"trust": {"mode": "open"}})
mr = Mailroom.open(profile, sys.argv[4])
mr.accounts.add(Account(name="cabinet", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(maildir)))
asyncio.run(mr.sync())
mr.accounts.remove("cabinet")  # nothing kept synced while the app runs: the letters stay
mr.close()
"""


def test_each_signer_is_said_in_the_reader_and_the_list_marks_the_least_trusted(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    kdf = os.environ.get("MISSIVE_KDF_LOG2N", "14")
    env = {**os.environ, "MISSIVE_KDF_LOG2N": kdf}
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-c", BUILD, str(profile), str(tmp_path / "Maildir"), str(tmp_path / "made"), PASS],
        check=True, cwd=root, env=env, timeout=120,
    )  # fmt: skip
    session = f"missive-test-{uuid.uuid4().hex[:8]}"
    command = (
        f"env MISSIVE_PASSPHRASE='{PASS}' MISSIVE_KDF_LOG2N={kdf} HOME={tmp_path} LANG=C.UTF-8 "
        f"{MISSIVE} --profile {profile} --theme ansi16 tui; echo EXITED $?; sleep 30"
    )
    tmux = Tmux(session)
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True)
    try:
        tmux.wait_for("Réception", "Cosigne inconnu", "Cosigne confrere", timeout=120)
        assert "✗" in tmux.wait_for_line("Cosigne inconnu")
        confrere = tmux.wait_for_line("Cosigne confrere")
        assert "~" in confrere and "✗" not in confrere, confrere
        tmux.keys("Enter")  # the newest letter: the one the stranger co-signed
        screen = tmux.wait_for("Signé par 2 signataires — signature NON valide :")
        tmux.wait_for_line("alice@labo.test — certificat valide")
        tmux.wait_for_line("sam@ailleurs.test — signature NON valide")
        assert "Signé par alice@labo.test — certificat valide" not in screen, screen
        tmux.keys("C-q")
        assert "EXITED 0" in tmux.wait_for("EXITED")
    finally:
        tmux.run("kill-session", "-t", session)
