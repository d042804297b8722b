"""Encrypted blobs: raw messages and attachments, under random names that reveal nothing."""

from __future__ import annotations

import contextlib
import re
import secrets
from pathlib import Path

from core.errors import NotFound
from core.store.atomic import atomic_write, clean_temp_files
from core.store.vault import Vault

_ID = re.compile(r"^[0-9a-f]{32}$")


class BlobStore:
    """``put(bytes) -> id``; files live in ``blobs/<2 hex>/<32 hex>``, encrypted with the id as AAD."""

    def __init__(self, root: Path, vault: Vault) -> None:
        self.root = root
        self.vault = vault
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, blob_id: str) -> Path:
        if not _ID.match(blob_id):
            raise NotFound(f"no stored file with id {blob_id[:40]!r}")
        return self.root / blob_id[:2] / blob_id

    def put(self, data: bytes) -> str:
        blob_id = secrets.token_hex(16)
        path = self._path(blob_id)
        atomic_write(path, self.vault.seal(data, f"blob/{blob_id}"))
        return blob_id

    def get(self, blob_id: str) -> bytes:
        path = self._path(blob_id)
        try:
            raw = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"stored file {blob_id} is missing from {self.root}") from exc
        return self.vault.unseal(raw, f"blob/{blob_id}", path)

    def exists(self, blob_id: str) -> bool:
        return self._path(blob_id).is_file()

    def delete(self, blob_id: str) -> bool:
        path = self._path(blob_id)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def clean(self) -> None:
        for sub in self.root.iterdir():
            if sub.is_dir():
                clean_temp_files(sub)
                with contextlib.suppress(OSError):
                    if not any(sub.iterdir()):
                        sub.rmdir()
