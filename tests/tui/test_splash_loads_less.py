"""The unlock screen's first frame (tui/splash.py) is drawn before the façade and the store are loaded:
``missive tui`` finds its profile through core.config (its vault file), not through core.mailroom and the vault
module (the core's model, its texts, the encryption library), which the app and the opening load afterwards
(issue 18: the first frame comes first)."""

from __future__ import annotations

from pathlib import Path

from core.config import profile_exists
from core.mailroom import Mailroom
from core.store.vault import VAULT_FILE, Vault
from tests.fresh import fresh_json

_AT_THE_SPLASH = """
import json, sys
import tui.splash

def show(checking):
    print(json.dumps(sorted(m for m in sys.modules if m.startswith(("core", "cryptography")))))
    raise SystemExit(0)

tui.splash.show = show
from tui.cli import main

main(["--profile", sys.argv[1], "tui"])
"""


def test_the_first_frame_waits_for_neither_the_facade_nor_the_vault(tmp_path: Path) -> None:
    Mailroom.create(tmp_path / "p", "cheval agrafe batterie").close()
    loaded = fresh_json(_AT_THE_SPLASH, str(tmp_path / "p"))
    assert "core.config" in loaded  # the splash was reached
    assert "core.mailroom" not in loaded and "core.store.vault" not in loaded
    assert not any(name.startswith("cryptography") for name in loaded)


def test_the_light_look_finds_what_the_vault_finds(tmp_path: Path) -> None:
    assert VAULT_FILE == "vault.json"
    assert not profile_exists(tmp_path / "p") and not Vault.exists(tmp_path / "p")
    Mailroom.create(tmp_path / "p", "cheval agrafe batterie").close()
    assert profile_exists(tmp_path / "p") and Vault.exists(tmp_path / "p")
    assert profile_exists(str(tmp_path / "p"))
    (tmp_path / "q" / VAULT_FILE).mkdir(parents=True)  # a folder by that name is no profile
    assert not profile_exists(tmp_path / "q") and not Vault.exists(tmp_path / "q")
