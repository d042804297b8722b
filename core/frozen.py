"""``Frozen``: what ``@dataclass(frozen=True)`` generates for a class (repr, ==, hash, no assignment nor
deletion), written once here for the classes on a command's start-up path.

Python 3.11's dataclasses write six methods per frozen class as source text and compile each on its own at
import: about 0.6 ms a class, paid by every command that opens a profile (a standalone `missive sync` builds
some thirty such classes). A class keeps ``@dataclass`` for its fields (``dataclasses.fields``, ``asdict``,
``replace`` work as before) but says ``init=False, repr=False, eq=False``, derives from ``Frozen`` and writes
its own ``__init__`` ending in ``fill(self, locals())``. tests/store/test_frozen_classes.py holds each such
class equal in behaviour to the frozen dataclass made from its own fields. Keep ``@dataclass(frozen=True)`` for
classes made by the thousand (a message's summary): its generated ``__init__`` is quicker than ``fill``.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from typing import Any, ClassVar


class Frozen:
    """repr, ==, hash and immutability as ``@dataclass(frozen=True)`` gives them (fields in order; those with
    ``repr=False``, ``compare=False`` or ``hash=False`` left out as it leaves them out)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _compared(self) == _compared(other)

    def __hash__(self) -> int:
        hashed = (f for f in fields(self) if (f.compare if f.hash is None else f.hash))
        return hash(tuple(getattr(self, f.name) for f in hashed))

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


def _compared(record: Any) -> tuple[Any, ...]:
    return tuple(getattr(record, f.name) for f in fields(record) if f.compare)


def fill(record: Frozen, values: dict[str, Any]) -> None:
    """Set ``record``'s fields from its ``__init__``'s arguments (``locals()``)."""
    for name in record.__dataclass_fields__:
        object.__setattr__(record, name, values[name])
