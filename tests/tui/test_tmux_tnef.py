"""The reader at 80x24 (the installed app under tmux) lists the files an Outlook winmail.dat carries, as
attachments of the letter, and says in one line when a winmail.dat cannot be read."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

from tests.mail.tnef_build import letter_with_winmail, winmail
from tests.tui.test_tmux_demo import MISSIVE, Tmux, pytestmark  # noqa: F401 - same skips

PASS = "correct horse battery staple"
HPRIM = (Path(__file__).resolve().parents[1] / "data" / "clinical" / "hprim_net_cp1252_crlf.hpr").read_bytes()


def _shown(tmux: Tmux, *texts: str) -> str:
    """The screen once it holds every one of ``texts``, paging the open letter down (space) until then."""
    screen = ""
    for _ in range(8):
        try:
            return tmux.wait_for(*texts, timeout=5)
        except AssertionError:
            screen = tmux.screen()
            tmux.keys("Space")
    raise AssertionError(f"{texts!r} never shown; screen was:\n{screen}")


def test_the_reader_lists_the_files_inside_a_winmail_dat(cli, profile_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    tnef = winmail([("RESULTAT.HPR", HPRIM), ("Lettre de sortie.pdf", b"%PDF-1.4 lettre")])
    (root / "new" / "1.a.host").write_bytes(letter_with_winmail(tnef, subject="Compte rendu CHU"))
    (root / "cur" / "2.b.host:2,S").write_bytes(
        letter_with_winmail(tnef[:-3], subject="Envoi abime", number=2, text="Voir la piece jointe.\n")
    )
    assert cli("init")[0] == 0
    toml = profile_dir / "profile.toml"  # the hospital's secretariat is a correspondent: its letters in Réception
    toml.write_text(toml.read_text("utf-8").replace("allow = []", 'allow = ["chu.mssante.fr"]', 1), "utf-8")
    assert cli("account", "add", "local", "--email", "dr@cabinet.mssante.fr", "--maildir", str(root))[0] == 0
    assert cli("sync")[0] == 0

    session = f"missive-test-{uuid.uuid4().hex[:8]}"
    tmux = Tmux(session)
    env = f"MISSIVE_PASSPHRASE='{PASS}' MISSIVE_KDF=floor HOME={tmp_path} LANG=C.UTF-8 TZ=UTC"
    command = f"env {env} {MISSIVE} --profile {profile_dir} tui; echo EXITED $?; sleep 30"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True)
    try:
        tmux.wait_for("Compte rendu CHU", "Envoi abime", timeout=90)
        # the newest first: the letter whose winmail.dat cannot be read (it is on top, dated later)
        tmux.keys("Enter")
        tmux.wait_for("Voir la piece jointe", timeout=30)
        tmux.keys("v")
        screen = _shown(tmux, "winmail.dat", "pièce winmail.dat illisible")
        assert "RESULTAT.HPR" not in screen
        tmux.keys("j")  # the next letter: the one whose winmail.dat holds the result and the letter
        # its HPRIM result read from inside the winmail.dat, shown with the letter as any attachment's
        tmux.wait_for("Objet : Compte rendu CHU", "GLYCEMIE", timeout=30)
        screen = _shown(tmux, "+ RESULTAT.HPR", "+ Lettre de sortie.pdf")
        assert "winmail.dat" not in screen
        for line in screen.splitlines():
            assert len(line) <= 80
        tmux.keys("C-q")
        assert "EXITED 0" in tmux.wait_for("EXITED", timeout=30)
    finally:
        tmux.run("kill-session", "-t", session)
