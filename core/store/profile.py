"""A profile: one folder holding everything missive keeps for a practice, encrypted under its passphrase.

Layout: ``profile.toml`` (settings, no secrets), ``vault.json`` (wrapped data key), ``db/`` (encrypted TinyDB
shards), ``blobs/`` (encrypted raw messages and attachments), ``audit/`` (hash-chained log), ``directory/``
(the public practitioner directory: public data, not encrypted), ``missive.log``.
"""

from __future__ import annotations

from pathlib import Path

from core.config import Settings, load_settings, write_default_settings
from core.errors import BadInput
from core.store.audit import AuditLog
from core.store.blobs import BlobStore
from core.store.docstore import DocStore, ShardedCollection
from core.store.vault import Vault


class Profile:
    def __init__(self, path: Path, vault: Vault) -> None:
        self.path = path
        self.vault = vault
        self.settings: Settings = load_settings(path)
        self.db = DocStore(path / "db", vault)
        self.blobs = BlobStore(path / "blobs", vault, lock=self.db.lock)
        self.audit = AuditLog(path / "audit", vault)

    @classmethod
    def create(cls, path: Path, passphrase: str) -> Profile:
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise BadInput(f"{path} is a file: give a folder for the profile")
        vault = Vault.create(path, passphrase)
        write_default_settings(path)
        profile = cls(path, vault)
        profile.audit.append("config", "profile", created=True)
        return profile

    @classmethod
    def open(cls, path: Path, passphrase: str) -> Profile:
        path = Path(path)
        load_settings(path)  # a broken profile.toml is reported before the slow key derivation
        return cls(path, Vault.open(path, passphrase))

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
