"""Build the demo profile: fictitious patients, directory, a Maildir account full of mail, synced once.

The Maildir plays the operator's server and the filing folder the practice software's import folder: both
hold health data in clear by nature, so they live in the temporary folder, never under the profile or $HOME.
"""

from __future__ import annotations

import asyncio
import getpass
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from core.demo.documents import directory_extractions
from core.demo.mail import DOCTOR, build_mailbox
from core.demo.people import make_patients, make_practitioners, patients_csv
from core.errors import BadInput

MARKER = ".missive-demo"


def default_demo_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("missive", appauthor=False)) / "demo"


def demo_server_dir() -> Path:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001
        user = "user"
    return Path(tempfile.gettempdir()) / f"missive-demo-{user}"


def _write_maildir(root: Path, mails: list) -> None:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i, mail in enumerate(mails):
        name = f"{1764000000 + i}.demo{i}.missive"
        if mail.flags:
            (root / "cur" / f"{name}:2,{mail.flags}").write_bytes(mail.raw)
        else:
            (root / "new" / name).write_bytes(mail.raw)


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
    server = demo_server_dir()
    if Profile.exists(folder) and not reset:
        return f"Profil de démonstration déjà construit : {folder} (--reset pour le reconstruire)"
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise BadInput(f"{folder} is not a demo profile: refusing to replace it")
        shutil.rmtree(folder)
    shutil.rmtree(server, ignore_errors=True)
    say = progress or (lambda _text: None)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("demo\n")
    lgc = server / "lgc-import"
    lgc.mkdir(parents=True, exist_ok=True)
    say("profil")
    mr = Mailroom.create(folder, passphrase)
    toml = (folder / "profile.toml").read_text("utf-8")
    toml = toml.replace(
        'folder = ""                # the practice', f'folder = "{lgc.as_posix()}"  # the practice', 1
    )
    toml = toml.replace("allow = []", 'allow = ["mssante.fr"]', 1)
    (folder / "profile.toml").write_text(toml, "utf-8")
    mr = Mailroom.open(folder, passphrase)
    say("patients")
    people = make_patients(patients)
    mr.patients.import_csv(patients_csv(people), name="demo-patients.csv")
    say("annuaire")
    rpps, mss = directory_extractions(make_practitioners(2000))
    ext = server / "annuaire"
    ext.mkdir(parents=True, exist_ok=True)
    (ext / "PS_LibreAcces_Personne_activite_202611280000.txt").write_bytes(rpps)
    (ext / "Extraction_Correspondance_MSSante_202611280000.txt").write_bytes(mss)
    mr.directory.import_files(sorted(ext.iterdir()))
    say("courrier")
    mails = build_mailbox(people)
    maildir = server / "maildir"
    _write_maildir(maildir, mails)
    mr.accounts.add(Account(name="cabinet", email=DOCTOR, kind="maildir", maildir=str(maildir)))
    say("synchronisation")
    asyncio.run(mr.sync())
    count = len(mr.messages.list())
    return (
        f"Profil de démonstration : {folder} ({len(people)} patients, {count} messages; "
        f"boîte Maildir et dossier d'import du logiciel métier dans {server})"
    )
