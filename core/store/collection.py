"""The document-collection interface every part of core persists through.

A collection maps string keys to JSON-able dicts. The encrypted, sharded implementation lives in
``core.store.docstore``; ``MemoryCollection`` serves pure unit tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

Doc = dict[str, Any]


class Collection(Protocol):
    """A named set of JSON documents, each under a unique string key."""

    name: str

    def get(self, key: str) -> Doc | None: ...

    def get_many(self, keys: Iterable[str]) -> dict[str, Doc]:
        """The documents of ``keys`` that exist."""

    def put(self, key: str, doc: Doc) -> None:
        """Insert or replace one document (durable when this returns)."""

    def put_many(self, items: Mapping[str, Doc]) -> None:
        """Insert or replace many documents with as few file writes as possible."""

    def delete(self, key: str) -> bool: ...

    def delete_many(self, keys: Iterable[str]) -> int: ...

    def keys(self) -> list[str]: ...

    def items(self) -> Iterator[tuple[str, Doc]]: ...

    def find(self, predicate: Callable[[Doc], bool]) -> list[tuple[str, Doc]]: ...

    def __len__(self) -> int: ...

    def __contains__(self, key: object) -> bool: ...


class MemoryCollection:
    """An in-memory ``Collection`` for tests of pure logic."""

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self._docs: dict[str, Doc] = {}

    def get(self, key: str) -> Doc | None:
        doc = self._docs.get(key)
        return dict(doc) if doc is not None else None

    def get_many(self, keys: Iterable[str]) -> dict[str, Doc]:
        return {k: dict(self._docs[k]) for k in keys if k in self._docs}

    def put(self, key: str, doc: Doc) -> None:
        self._docs[key] = dict(doc)

    def put_many(self, items: Mapping[str, Doc]) -> None:
        for key, doc in items.items():
            self._docs[key] = dict(doc)

    def delete(self, key: str) -> bool:
        return self._docs.pop(key, None) is not None

    def delete_many(self, keys: Iterable[str]) -> int:
        return sum(self.delete(k) for k in list(keys))

    def keys(self) -> list[str]:
        return list(self._docs)

    def items(self) -> Iterator[tuple[str, Doc]]:
        for key, doc in list(self._docs.items()):
            yield key, dict(doc)

    def find(self, predicate: Callable[[Doc], bool]) -> list[tuple[str, Doc]]:
        return [(k, dict(d)) for k, d in self._docs.items() if predicate(d)]

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, key: object) -> bool:
        return key in self._docs
