"""The S/MIME machinery (X.509, CMS, asn1crypto: some 5 MB resident in the app) is loaded for a letter that has an
S/MIME layer, or ahead of the first read for a profile that holds S/MIME keys or certificates; a plain letter in
a profile without any is read without it. Each case in a fresh interpreter: what it imported is what it shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SMIME = ROOT / "tests" / "data" / "conformance" / "smime"
PASSPHRASE = "correct horse battery staple"
HEAVY = ("asn1crypto", "cryptography.x509", "core.secure.smime", "core.secure.keystore", "core.auth.psc")

STORE = """
import sys
from email.message import EmailMessage
from pathlib import Path
from core.mailroom import Mailroom
room = Mailroom.create(Path(sys.argv[1]), sys.argv[2])
msg = EmailMessage()
msg["From"], msg["To"], msg["Subject"] = "labo@labo.mssante.fr", "dr@cabinet.mssante.fr", "Compte rendu"
msg["Message-ID"] = "<plain@labo>"
msg.set_content("Voici le compte rendu de la consultation.")
letters = {"plain": msg.as_bytes(), "signed": Path(sys.argv[3]).read_bytes()}
for uid, (key, raw) in enumerate(letters.items(), start=1):
    room.messages.docs.put(key, {"account": "a", "folder": "INBOX", "uid": uid, "blob": room.profile.blobs.put(raw),
                                "from": "alice@example.com", "subject": key, "message_id": f"<{key}@x>", "flags": []})
room.close()
"""

READ = """
import json, sys
from pathlib import Path
from core.mailroom import Mailroom, preload
heavy = sys.argv[3].split(",")
loaded = lambda: sorted(n for n in sys.modules if any(n == h or n.startswith(h + ".") for h in heavy))
preload(Path(sys.argv[1]))
after_preload = loaded()
room = Mailroom.open(Path(sys.argv[1]), sys.argv[2])
room.prepare_reading()
views = {}
for key in sys.argv[4].split(","):
    before = set(sys.modules)
    view = room.read_message(key, actor="tui")
    imported = sorted(set(sys.modules) - before)
    views[key] = {"body": view.body, "signed": view.signed, "heavy": loaded(), "imported": imported}
room.close()
print(json.dumps({"after_preload": after_preload, "views": views}))
"""


def _run(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _read(profile: Path, keys: str) -> dict:
    return json.loads(_run(READ, str(profile), PASSPHRASE, ",".join(HEAVY), keys).splitlines()[-1])


def test_a_plain_letter_is_read_without_the_smime_machinery_a_signed_one_with_it(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    _run(STORE, str(profile), PASSPHRASE, str(SMIME / "alice.dsig.SHA256.multipart.eml"))
    seen = _read(profile, "plain,signed")
    assert seen["after_preload"] == []  # a profile without any S/MIME key nor certificate
    plain, signed = seen["views"]["plain"], seen["views"]["signed"]
    assert "Voici le compte rendu" in plain["body"] and not plain["signed"]
    assert plain["heavy"] == []  # the plain letter opened, nothing of S/MIME loaded
    assert signed["signed"] and "core.secure.smime" in signed["heavy"]  # the signed one still is S/MIME


def test_a_profile_holding_a_trust_anchor_loads_the_smime_machinery_before_the_first_read(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    _run(STORE, str(profile), PASSPHRASE, str(SMIME / "alice.dsig.SHA256.multipart.eml"))
    _run(
        "import sys\nfrom pathlib import Path\nfrom core.mailroom import Mailroom\n"
        "from core.secure.certs import load_certificate\n"
        "room = Mailroom.open(Path(sys.argv[1]), sys.argv[2])\n"
        "room.keys.trust(load_certificate(Path(sys.argv[3]).read_bytes()))\nroom.close()\n",
        str(profile),
        PASSPHRASE,
        str(SMIME / "TestCA.pem"),
    )
    seen = _read(profile, "plain")
    assert {"core.secure.smime", "core.secure.keystore", "asn1crypto"} <= set(seen["after_preload"])
    assert "Voici le compte rendu" in seen["views"]["plain"]["body"]


def test_a_first_plain_letter_waits_on_no_import_once_the_reading_modules_are_loaded(tmp_path: Path) -> None:
    """The app loads the reading modules while the passphrase is derived (``preload``) and opens the services
    after the unlock (``prepare_reading``): the first letter opened then imports nothing (an import on the read
    path runs while the screen draws, in the time the doctor waits for the letter)."""
    profile = tmp_path / "profile"
    _run(STORE, str(profile), PASSPHRASE, str(SMIME / "alice.dsig.SHA256.multipart.eml"))
    seen = _read(profile, "plain")
    assert "Voici le compte rendu" in seen["views"]["plain"]["body"]
    assert seen["views"]["plain"]["imported"] == [], seen["views"]["plain"]["imported"]
