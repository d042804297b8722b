"""What the flat-path tests count: the shard files of a collection decrypted while a path runs (issue 18: a daily
path must not read a whole growing collection). Counted, never timed."""

from __future__ import annotations

from typing import Any

import pytest


def shards_read(mr: Any, collection: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of ``collection``'s shard files decrypted by ``mr``'s vault from now on (its indexes and
    manifest not counted)."""
    read: list[str] = []
    vault = mr.profile.vault
    unseal = vault.unseal
    prefix = f"db/{collection}/g"

    def counting(raw: bytes, name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith(prefix):
            read.append(name)
        return unseal(raw, name, *args, **kwargs)

    monkeypatch.setattr(vault, "unseal", counting)
    return read
