"""À envoyer as a person uses it: the installed ``missive`` under tmux at 80x24 in 16 colours, keyboard only, on a
profile whose letter could not reach its server. The status bar names the key, F7 lists the letter with the reason
in the core's words, b and o put it back in Brouillons, Échap returns to Réception with nothing left to send."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.tui.test_tmux_demo import MISSIVE, Tmux, pytestmark  # noqa: F401 - same skips

PASS = "correct horse battery staple"
BUILD = """
import asyncio, sys
from pathlib import Path
from core.errors import KeptInOutbox
from core.mail.account import Account
from core.mailroom import Mailroom
from core.model import Draft

profile, maildir = Path(sys.argv[1]), Path(sys.argv[2])
for sub in ("cur", "new", "tmp"):
    (maildir / sub).mkdir(parents=True)
Mailroom.create(profile, sys.argv[3])
settings = profile / "profile.toml"
settings.write_text(settings.read_text("utf-8").replace("allow = []", 'allow = ["*.mssante.fr"]', 1), "utf-8")
mr = Mailroom.open(profile, sys.argv[3])
mr.accounts.add(Account(name="cabinet", email="dr.medecin@cabinet.mssante.fr", kind="maildir",
                        maildir=str(maildir), smtp_host="127.0.0.1", smtp_port=1))
try:
    asyncio.run(mr.send(Draft(to=("claire.martin@chu-test.mssante.fr",), subject="Avis cardio", body="Merci.\\n")))
except KeptInOutbox:
    pass
mr.close()
"""


def test_a_letter_that_could_not_leave_is_listed_with_why_and_withdrawn_to_drafts(tmp_path: Path) -> None:
    profile, maildir = tmp_path / "profile", tmp_path / "Maildir"
    kdf = os.environ.get("MISSIVE_KDF_LOG2N", "14")
    env = {**os.environ, "MISSIVE_KDF_LOG2N": kdf}
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-c", BUILD, str(profile), str(maildir), PASS], check=True, cwd=root, env=env, timeout=120
    )
    session = f"missive-test-{uuid.uuid4().hex[:8]}"
    command = (
        f"env MISSIVE_PASSPHRASE='{PASS}' MISSIVE_KDF_LOG2N={kdf} HOME={tmp_path} LANG=C.UTF-8 "
        f"{MISSIVE} --profile {profile} --theme ansi16 tui; echo EXITED $?; sleep 30"
    )
    tmux = Tmux(session)
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True)
    try:
        tmux.wait_for("Réception", "Envoi : 1 (F7)", timeout=120)
        tmux.keys("F7")
        screen = tmux.wait_for("À envoyer", "Avis cardio", "Raison :")
        line = tmux.wait_for_line("en attente", "claire.martin@chu-test.mssante.fr", "Avis cardio")
        assert line.startswith(" · en attente"), line
        assert "127.0.0.1:1" in screen and "connexion impossible" in screen, screen  # the core's reason
        tmux.wait_for_footer("Retirer")
        tmux.keys("b")
        tmux.wait_for("Retirer « Avis cardio » de la boîte d'envoi ?")
        tmux.keys("o")
        tmux.wait_for("Aucune lettre dans la boîte d'envoi")
        tmux.keys("Escape")
        tmux.wait_for("Envoi : 0", "Brouillons")  # the letter kept, listed in Brouillons
        tmux.keys("C-q")
        assert "EXITED 0" in tmux.wait_for("EXITED")
    finally:
        tmux.run("kill-session", "-t", session)
