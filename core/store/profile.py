"""A profile: one folder holding everything missive keeps for a practice, encrypted under its passphrase.

Layout: ``profile.toml`` (settings, no secrets), ``vault.json`` (wrapped data key), ``db/`` (encrypted TinyDB
shards), ``blobs/`` (encrypted raw messages and attachments), ``audit/`` (hash-chained log), ``directory/``
(the public practitioner directory: public data, not encrypted), ``missive.log``.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from core.config import Settings, load_settings, write_default_settings
from core.errors import BadInput
from core.store import kdf
from core.store.atomic import DIR_MODE, FILE_MODE
from core.store.audit import AuditLog
from core.store.blobs import BlobStore
from core.store.docstore import DocStore, ShardedCollection, has_files
from core.store.vault import Vault
from core.text import T


class Profile:
    def __init__(self, path: Path, vault: Vault, settings: Settings | None = None) -> None:
        """``settings``: profile.toml as the opening has just read it (else it is read here)."""
        self.path = path
        self.vault = vault
        # (folders, files) found open to others and made private at this open; the façade logs it
        self.tightened: tuple[int, int] = tighten(path)
        self.settings: Settings = load_settings(path) if settings is None else settings
        self.db = DocStore(path / "db", vault)
        self.blobs = BlobStore(path / "blobs", vault, lock=self.db.lock)
        self.audit = AuditLog(path / "audit", vault)

    @classmethod
    def create(cls, path: Path, passphrase: str) -> Profile:
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise BadInput(T("store.profile.file-give-folder-for", path=path))
        vault = Vault.create(path, passphrase)
        write_default_settings(path)
        profile = cls(path, vault)
        profile.audit.append("config", "profile", created=True)
        return profile

    @classmethod
    def open(cls, path: Path, passphrase: str, meanwhile: Callable[[], object] | None = None) -> Profile:
        """Unlock the profile in ``path``; ``meanwhile`` runs while its key derives (``Vault.open``)."""
        path = Path(path)
        try:
            settings = load_settings(path)  # a broken profile.toml is reported before the slow key derivation
        except BaseException:
            kdf.drop()  # a derivation begun ahead (core.store.kdf) is not kept for an opening that did not happen
            raise
        return cls(path, Vault.open(path, passphrase, meanwhile), settings)

    @staticmethod
    def exists(path: Path) -> bool:
        return Vault.exists(Path(path))

    def collection(self, name: str) -> ShardedCollection:
        return self.db.collection(name)

    def reload_settings(self) -> Settings:
        self.settings = load_settings(self.path)
        return self.settings

    def change_passphrase(self, new_passphrase: str) -> None:
        self.vault.change_passphrase(new_passphrase)
        self.audit.append("config", "passphrase")


def collection_has_files(path: Path, name: str) -> bool:
    """Whether the profile in ``path`` ever wrote its collection ``name`` (file names only: before an unlock)."""
    return has_files(Path(path) / "db", name)


# What a profile folder holds (missive's own); anything else a user keeps beside it is left as it is, so that
# a profile made in a folder of theirs never changes the modes of their files.
PROFILE_ENTRIES = frozenset(
    {"profile.toml", "vault.json", ".missive-demo", "db", "blobs", "audit", "directory", "index", "downloads",
     "quarantine", "themes", "drafts", "outbox", "daemon.sock", "resume-frame"}
)  # fmt: skip


def _ours(name: str) -> bool:
    return name in PROFILE_ENTRIES or name.startswith("missive.log") or name.endswith((".part", ".lock"))


def tighten(root: Path) -> tuple[int, int]:
    """Make a profile that group or others can reach private again (folders 0700, files 0600).

    A profile is checked through its folder and its vault: once both are private the tree is left alone, so
    an open stays cheap; a profile made by an older version, copied or restored with open modes is walked
    once (missive's own entries only: see PROFILE_ENTRIES). Returns how many (folders, files) were changed.
    """
    if sys.platform == "win32":
        return (0, 0)
    open_bits = stat.S_IRWXG | stat.S_IRWXO
    try:
        if not any(os.stat(p).st_mode & open_bits for p in (root, root / "vault.json") if p.exists()):
            return (0, 0)
    except OSError:
        return (0, 0)
    changed = [0, 0]

    def make_private(path: str, is_dir: bool) -> None:
        try:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode) or not st.st_mode & open_bits:
                return
            os.chmod(path, DIR_MODE if is_dir else FILE_MODE)
        except OSError:
            return
        changed[0 if is_dir else 1] += 1

    make_private(str(root), True)
    for entry in os.scandir(root):
        if not _ours(entry.name):
            continue
        if not entry.is_dir(follow_symlinks=False):
            make_private(entry.path, False)
            continue
        for here, _dirs, names in os.walk(entry.path):
            make_private(here, True)
            for name in names:
                make_private(os.path.join(here, name), False)
    return (changed[0], changed[1])
