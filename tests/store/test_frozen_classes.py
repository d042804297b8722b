"""Classes on a command's start-up path write out what ``@dataclass(frozen=True)`` generated for each at import
(core.frozen: six methods per class compiled one by one, some 0.6 ms a class; the settings' eleven alone were
7 ms of every command that opens a profile, a standalone `missive sync` included). They must behave exactly as
the frozen dataclasses did: each is checked here against the frozen dataclass made from its own fields (same
names, order, defaults and factories), value by value."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import functools
import inspect
from pathlib import Path
from typing import Any

import pytest

from core import settings as S
from core.frozen import Frozen
from core.mail.account import Account
from core.mail.imap import FolderStatus
from core.mail.imapwire import Tagged
from core.mail.mailops import Done
from core.mail.sync import SyncProgress
from core.model import MessageSummary, SignatureStatus
from core.store.audit import AuditProblem
from core.store.blobs import Sealed
from core.store.listindex import Column, Layout
from core.store.vault import Argon2idCost, Keys

CLASSES = [
    S.TrustSettings, S.FilingSettings, S.NotificationSettings, S.WatchSettings, S.PractitionerSettings,
    S.PatientMailSettings, S.ComposeSettings, S.ReceiptSettings, S.PscSettings, S.ListsSettings, S.Settings,
    Column, Layout, AuditProblem, Sealed, Done, SyncProgress, Tagged, Argon2idCost, Keys, Account, FolderStatus,
    SignatureStatus, MessageSummary,
]  # fmt: skip


def _project(key: str, doc: Any) -> tuple[Any, ...] | None:
    return (key,)


def _other_project(key: str, doc: Any) -> tuple[Any, ...] | None:
    return None


# a value for a field without a default, then another one, by the field's annotation
VALUES: dict[str, tuple[Any, Any]] = {
    "str": ("a", "b"),
    "int": (3, 4),
    "bool": (False, True),
    "bytes": (b"k1", b"k2"),
    "list[str]": (["x"], ["x", "y"]),
    "list[bytes]": ([b"c"], [b"c", b"d"]),
    "Path | None": (None, Path("/p")),
    "int | None": (None, 9),
    "dt.datetime | None": (None, datetime.datetime(2026, 12, 7, 8, 0, tzinfo=datetime.UTC)),
    "SignatureStatus | None": (None, SignatureStatus(True, "dr@x.fr")),
    "str | None": (None, "z"),
    "AccountKind": ("imap", "maildir"),
    "Security": ("starttls", "tls"),
    "tuple[str, ...]": (("s",), ("s", "t")),
    "tuple[Column, ...]": ((Column("n", "int"),), (Column("n", "int"), Column("t", "text"))),
    "Callable[[str, Doc], tuple[Any, ...] | None]": (_project, _other_project),
}


@functools.cache
def _reference(cls: type) -> type:
    """The frozen dataclass ``cls`` was before: its fields, with their defaults and factories, as dataclasses
    declares them."""
    spec = []
    for f in dataclasses.fields(cls):
        flags = {"repr": f.repr, "hash": f.hash, "compare": f.compare}
        if f.default_factory is not dataclasses.MISSING:
            spec.append((f.name, f.type, dataclasses.field(default_factory=f.default_factory, **flags)))
        else:
            spec.append((f.name, f.type, dataclasses.field(default=f.default, **flags)))
    return dataclasses.make_dataclass(cls.__name__, spec, frozen=True)


def _as_reference(value: Any) -> Any:
    """``value`` (a settings object, or anything else) rebuilt with the reference classes."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        ref = _reference(type(value)) if type(value) in CLASSES else type(value)
        return ref(**{f.name: _as_reference(getattr(value, f.name)) for f in dataclasses.fields(value)})
    return value


def _base(cls: type) -> dict[str, Any]:
    """A value for each field of ``cls`` without a default (the defaults left as they are)."""
    return {
        f.name: VALUES[f.type][0]
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


def _base_or_default(cls: type, f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return _base(cls)[f.name] if f.default is dataclasses.MISSING else f.default


def _sample(cls: type) -> dict[str, Any]:
    """A value different from the base (or the default) for each field of ``cls``."""
    changed: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            changed[f.name] = VALUES[f.type][1]
            continue
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if default is None:
            changed[f.name] = VALUES[f.type][1]
        elif isinstance(default, bool):
            changed[f.name] = not default
        elif isinstance(default, int):
            changed[f.name] = default + 5
        elif isinstance(default, str):
            changed[f.name] = default + "-x"
        elif isinstance(default, tuple):
            changed[f.name] = ("a", "b")
        elif isinstance(default, dict):
            changed[f.name] = {"k": "v"}
        else:  # a section
            changed[f.name] = type(default)(**_sample(type(default)))
    return changed


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_each_class_behaves_as_its_frozen_dataclass(cls: type) -> None:
    ref = _reference(cls)
    mine_sig, ref_sig = inspect.signature(cls), inspect.signature(ref)
    assert list(mine_sig.parameters) == list(ref_sig.parameters)  # same names, same order (positional use)
    for name, param in ref_sig.parameters.items():
        if param.default is not dataclasses.MISSING and not repr(param.default) == "<factory>":
            assert mine_sig.parameters[name].default == param.default, name
    assert dataclasses.is_dataclass(cls) and [f.name for f in dataclasses.fields(cls)] == list(
        ref_sig.parameters
    )

    for kwargs in (_base(cls), _sample(cls)):
        mine = cls(**kwargs)
        theirs = ref(**{k: _as_reference(v) for k, v in kwargs.items()})
        assert repr(mine) == repr(theirs)
        assert _as_reference(mine) == _as_reference(theirs)
        assert dataclasses.asdict(mine) == dataclasses.asdict(theirs)
        # equal to itself rebuilt, unequal to another value, never equal to another class
        assert mine == cls(**kwargs) and not (mine != cls(**kwargs))
        assert (mine == cls(**_sample(cls))) is (kwargs == _sample(cls)) and issubclass(cls, Frozen)
        assert mine != theirs and mine != object()
        # each compared field on its own makes a difference, as in the dataclass
        for f in dataclasses.fields(cls):
            changed = {**kwargs, f.name: _sample(cls)[f.name] if kwargs != _sample(cls) else _base_or_default(cls, f)}
            if changed[f.name] == kwargs.get(f.name, _base_or_default(cls, f)):
                continue
            ref_changed = ref(**{k: _as_reference(v) for k, v in changed.items()})
            assert (cls(**changed) == mine) is (_as_reference(ref_changed) == _as_reference(theirs)), f.name
        # hashable exactly when the dataclass is (a dict field makes both unhashable)
        try:
            expected: Any = hash(theirs) is not None
        except TypeError:
            expected = TypeError
        if expected is TypeError:
            with pytest.raises(TypeError):
                hash(mine)
        else:
            assert hash(mine) == hash(cls(**kwargs))
        # frozen: no field (nor anything else) assigned or deleted, with the dataclass's own error and words
        name = dataclasses.fields(cls)[0].name
        said = []
        for obj in (mine, theirs):
            with pytest.raises(dataclasses.FrozenInstanceError) as refused:
                setattr(obj, name, 1)
            said.append(str(refused.value))
            with pytest.raises(dataclasses.FrozenInstanceError) as refused:
                delattr(obj, name)
            said.append(str(refused.value))
        assert said[:2] == said[2:]
        with pytest.raises(dataclasses.FrozenInstanceError):
            mine.not_a_field = 1  # type: ignore[attr-defined]
        # replace, copy, positional arguments
        other = _sample(cls)
        replaced = dataclasses.replace(mine, **{name: other[name]})
        assert getattr(replaced, name) == other[name] and type(replaced) is cls
        assert copy.copy(mine) == mine and copy.deepcopy(mine) == mine
        assert cls(*[getattr(mine, f.name) for f in dataclasses.fields(cls)]) == mine


def test_mutable_defaults_are_never_shared() -> None:
    first, second = S.Settings(), S.Settings()
    assert first.keys == {} and first.keys is not second.keys and first.raw is not second.raw
    first.keys["inbox.reply"] = "f9"
    assert second.keys == {}
    assert S.Settings().trust == S.TrustSettings() and S.Settings().compose == S.ComposeSettings()


def test_a_profile_toml_gives_the_same_settings_as_before() -> None:
    text = S.DEFAULT_TOML.replace('mode = "trust-space"', 'mode = "strict"').replace(
        "allow = []", 'allow = ["A.fr"]'
    )
    import tomllib

    read = S.parse_settings(tomllib.loads(text))
    assert read.trust == S.TrustSettings(mode="strict", allow=("a.fr",))
    assert _as_reference(read) == _as_reference(S.Settings(trust=read.trust, lists=read.lists, raw=read.raw))
    assert dataclasses.asdict(read.filing) == {
        "preset": "generic", "folder": "", "template": "", "auto": True, "layout": "", "extension": "", "encoding": "",
    }  # fmt: skip


def test_importing_the_settings_generates_no_method() -> None:
    """What made the settings cost 7 ms: ``@dataclass(frozen=True)`` writing six methods per class as source
    text and compiling each (dataclasses._create_fn, Python 3.11). Counted in a fresh interpreter."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import dataclasses, json\n"
        "made = []\n"
        "real = dataclasses._create_fn\n"
        "def counting(name, *args, **kwargs):\n"
        "    made.append(name)\n"
        "    return real(name, *args, **kwargs)\n"
        "dataclasses._create_fn = counting\n"
        "import core.settings\n"
        "core.settings.load_settings(core.settings.Path('.'))\n"
        "core.settings.parse_settings({'trust': {'mode': 'strict'}})\n"
        "print(json.dumps(made))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_no_method_of_these_classes_is_compiled_from_generated_source(cls: type) -> None:
    """dataclasses compile what they generate from text ("<string>"); these classes' methods are in the files."""
    for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        code = getattr(cls, name).__code__
        assert code.co_filename.endswith(".py"), (cls.__name__, name, code.co_filename)
    assert cls.__repr__ is Frozen.__repr__ and cls.__setattr__ is Frozen.__setattr__


# Frozen dataclasses built in numbers or with many fields keep their generated __init__ (and the frozen
# __setattr__ and __delattr__) but take repr, == and hash from Frozen: three methods fewer compiled per class
# (some 4.6 KB each, 0.2 MB of the app for these 47 classes)
RECORD_MODULES = (
    "core.model_rest", "core.events", "core.mail.receipts", "core.practice.filing", "core.practice.documents",
    "core.mail.mime", "core.mail.fastmime", "core.clinical.patient_mail", "core.mail.threads", "core.mail.outbox",
    "core.secure.smime_kinds", "core.practice.patients",
)  # fmt: skip


def _records() -> list[type]:
    import importlib

    found = []
    for name in RECORD_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == name and dataclasses.is_dataclass(value):
                if value.__dataclass_params__.frozen:  # type: ignore[attr-defined]
                    found.append(value)
    return found


@pytest.mark.parametrize("cls", _records(), ids=lambda c: c.__name__)
def test_records_take_repr_eq_and_hash_from_frozen_and_behave_as_the_dataclass(cls: type) -> None:
    assert issubclass(cls, Frozen)
    assert not {"__repr__", "__eq__", "__hash__"} & set(vars(cls)), "generated again for this class"
    ref = _reference(cls)

    def made(kind: type, values: dict[str, Any]) -> Any:
        obj = object.__new__(kind)  # every field set without __init__ (its checks are not what is compared)
        for name, value in values.items():
            object.__setattr__(obj, name, value)
        return obj

    names = [f.name for f in dataclasses.fields(cls)]
    values: dict[str, Any] = {n: f"v{i}" for i, n in enumerate(names)}
    mine, theirs = made(cls, values), made(ref, values)
    assert repr(mine) == repr(theirs)
    assert hash(mine) == hash(theirs)
    assert mine == made(cls, values) and not (mine != made(cls, values)) and mine != theirs and mine != object()
    for f in dataclasses.fields(cls):
        changed = {**values, f.name: "other"}
        assert (made(cls, changed) == mine) is (made(ref, changed) == theirs), f.name
        assert (hash(made(cls, changed)) == hash(mine)) is (hash(made(ref, changed)) == hash(theirs)), f.name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(mine, names[0], 1)
