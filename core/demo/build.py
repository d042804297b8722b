"""Build the demo profile: fictitious patients, directory, a Maildir account full of mail, synced once.

The Maildir plays the operator's server and the filing folder the practice software's import folder: both
hold health data in clear by nature, so they live in the temporary folder, never under the profile or $HOME.
"""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.demo.documents import directory_extractions
from core.demo.mail import COLLEAGUE, DOCTOR, LAB, LAB2, REPLACEMENT, DemoMail, build_mailbox
from core.demo.people import make_patients, make_practitioners, patients_csv
from core.demo.pki import DemoPKI, make_crl, make_demo_pki
from core.errors import BadInput
from core.store.atomic import atomic_write, private_dir, write_private
from core.text import T

MARKER = ".missive-demo"
CERTIFIED = {
    DOCTOR: "Dr Paul MARTIN",
    LAB: "Laboratoire BIODEMO",
    LAB2: "Biologie CH de démonstration",
    COLLEAGUE: "Dr Claire LEFÈVRE",
    REPLACEMENT: "Dr Julien ROUX",
}


BUILDING = b"building\n"  # the marker while the demo is being built (ctrl+c, a crash: built again next time)


def _unfinished(folder: Path) -> bool:
    try:
        return (folder / MARKER).read_bytes() == BUILDING
    except OSError:
        return False


def demo_server_dir(profile: Path) -> Path:
    """The folder standing for the operator's server and the practice software, one per demo profile.

    Named after the profile's path so that two demos (``make run`` and a test under a temporary folder)
    never share it; in the temporary folder, never in the profile nor under $HOME.
    """
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001
        user = "user"
    tag = hashlib.sha256(str(Path(profile).expanduser().resolve()).encode("utf-8")).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"missive-demo-{user}-{tag}"


def _set_toml(text: str, section: str, key: str, literal: str) -> str:
    """``key = literal`` in ``[section]`` of the default profile.toml (a key it lacks is left alone)."""
    match = re.search(rf"(?ms)^\[{re.escape(section)}\]\n(.*?)(?=^\[|\Z)", text)
    if match is None:
        return text
    body = re.sub(
        rf"(?m)^{re.escape(key)} = [^#\n]*?(\s*#|$)",
        lambda m: f"{key} = {literal}{m.group(1) if m.group(1).strip() else ''}",
        match.group(1),
        count=1,
    )
    return text[: match.start(1)] + body + text[match.end(1) :]


def _settings(text: str, lgc: Path) -> str:
    text = _set_toml(text, "filing", "folder", f'"{lgc.as_posix()}"')
    # every MSSanté domain is in the demo's trust space (a real profile imports the published whitelist)
    text = _set_toml(text, "trust", "allow", '["*.mssante.fr"]')
    for key, value in (
        ("rpps", "10100000041"),
        ("family_name", "MARTIN"),
        ("given_name", "Paul"),
        ("organisation", "Cabinet médical des Tilleuls"),
    ):
        text = _set_toml(text, "practitioner", key, f'"{value}"')
    return text


def _import_keys(keys: Any, pki: DemoPKI) -> None:
    """The doctor's own key, the demo root as trust anchor, the colleague's certificate (letters to her
    are encrypted); the labs' certificates arrive with their signed mail, as in real life. The demo CA's
    revocation list, as 'missive trust update' would fetch it: the replacement's certificate is revoked."""
    doctor = pki[DOCTOR]
    keys.set_identity(doctor.key, doctor.cert, [pki.ca.cert])
    keys.trust(pki.ca.cert)
    keys.add_cert(pki[COLLEAGUE].cert, source="import")
    keys.crls.keep(make_crl(pki.ca, [pki[REPLACEMENT].cert]), [pki.ca.cert])


def protect(mail: DemoMail, pki: DemoPKI) -> bytes:
    """The message as it reaches the doctor: signed by ``sign_as``, then encrypted to the doctor."""
    from core.secure import smime

    raw = mail.raw
    if mail.sign_as:
        signer = pki[mail.sign_as]
        raw = smime.sign(raw, signer.key, signer.cert, [pki.ca.cert])
    if mail.encrypt:
        raw = smime.encrypt(raw, [pki[DOCTOR].cert])
    return raw


def _write_maildir(root: Path, mails: list[DemoMail], pki: DemoPKI) -> None:
    for folder in (root, root / ".Sent"):
        for sub in ("cur", "new", "tmp"):
            private_dir(folder / sub)
    for i, mail in enumerate(mails):
        name = f"{1764000000 + i}.demo{i}.missive"
        raw = protect(mail, pki)
        if mail.flags:
            write_private(root / "cur" / f"{name}:2,{mail.flags}", raw)
        else:
            write_private(root / "new" / name, raw)


def build_demo(
    folder: Path,
    passphrase: str,
    *,
    reset: bool = False,
    patients: int = 3000,
    progress: Callable[[str], None] | None = None,
) -> str:
    from core.mail.account import Account
    from core.mailroom import Mailroom
    from core.store.profile import Profile

    folder = Path(folder)
    server = demo_server_dir(folder)
    if Profile.exists(folder) and not reset and not _unfinished(folder):
        return f"Profil de démonstration déjà construit : {folder} (--reset pour le reconstruire)"
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise BadInput(T("demo.build.profil-demonstration-missive-refuse", folder=folder))
        shutil.rmtree(folder)
    shutil.rmtree(server, ignore_errors=True)
    if os.path.lexists(server):  # not ours to remove: another user's folder made first in /tmp, or a link
        raise BadInput(T("demo.build.server-dir-taken", folder=server))
    say = progress or (lambda _text: None)
    # the profile and the folders standing for the server and the practice software: the user's only
    write_private(folder / MARKER, BUILDING)  # "demo" once built: an interrupted build is built again
    private_dir(server)
    lgc = private_dir(server / "lgc-import")
    say("profil")
    mr = Mailroom.create(folder, passphrase)
    toml = (folder / "profile.toml").read_text("utf-8")
    atomic_write(folder / "profile.toml", _settings(toml, lgc).encode("utf-8"))
    mr = Mailroom.open(folder, passphrase)
    say("certificats")
    pki = make_demo_pki(CERTIFIED)
    _import_keys(mr.keys, pki)
    say("patients")
    people = make_patients(patients)
    mr.patients.import_csv(patients_csv(people), name="demo-patients.csv")
    say("annuaire")
    rpps, mss = directory_extractions(make_practitioners(2000))
    ext = server / "annuaire"
    write_private(ext / "PS_LibreAcces_Personne_activite_202611280000.txt", rpps)
    write_private(ext / "Extraction_Correspondance_MSSante_202611280000.txt", mss)
    mr.directory.import_files(sorted(ext.iterdir()))
    say("courrier")
    mails = build_mailbox(people)
    maildir = server / "maildir"
    _write_maildir(maildir, mails, pki)
    mr.accounts.add(Account(name="cabinet", email=DOCTOR, kind="maildir", maildir=str(maildir)))
    say("synchronisation")
    # the longest step (each letter read, its results matched and filed): said as it goes, letter by letter
    asyncio.run(mr.sync(progress=lambda p: say(f"synchronisation {p.done}/{p.total}")))
    count = len(mr.messages.list())
    write_private(folder / MARKER, b"demo\n")
    return (
        f"Profil de démonstration : {folder} ({len(people)} patients, {count} messages; "
        f"boîte Maildir et dossier d'import du logiciel métier dans {server})"
    )
