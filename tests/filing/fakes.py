"""A profile made of in-memory parts, for pure tests of the document queue."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from core.errors import NotFound
from core.store.collection import MemoryCollection


class MemoryBlobs:
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        blob_id = hashlib.sha256(data).hexdigest()[:24]
        self.data[blob_id] = bytes(data)
        return blob_id

    def get(self, blob_id: str) -> bytes:
        if blob_id not in self.data:
            raise NotFound(f"no stored file with id {blob_id}")
        return self.data[blob_id]

    def delete(self, blob_id: str) -> bool:
        return self.data.pop(blob_id, None) is not None


class MemoryAudit:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def append(self, action: str, object_id: str, actor: str | None = None, **details: Any) -> None:
        self.records.append({"action": action, "object": object_id, "actor": actor, **details})


class MemoryProfile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.blobs = MemoryBlobs()
        self.audit = MemoryAudit()
        self.settings = None
        self._collections: dict[str, MemoryCollection] = {}

    def collection(self, name: str) -> MemoryCollection:
        return self._collections.setdefault(name, MemoryCollection(name))
