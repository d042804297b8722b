"""Filing a document into the practice software (the LGC): its import folder, atomically, never overwriting.

Every practice program named in issue 7 takes lab results the same way: it polls a folder and imports
the HPRIM files it finds there. So one mechanism serves all of them; a *preset* only records the defaults
we ship (folder, file name, extension, encoding). None is verified against the closed software
(``verified=False``): the doctor points the program's "dossier d'import HPRIM" setting at the folder.

Publication, in three steps the caller can record between (``core.practice.documents`` keeps an intent):

1. ``stage``: the bytes are written under ``<import folder>/.missive-tmp/.missive-<doc>-<random>.tmp``
   (mode 0600), flushed and fsynced. The temporary lives in a hidden sub-folder of the import folder: the same
   file system (so publishing is one atomic step), but not *in* the folder the practice software polls, so
   even a program that imports every file it finds, whatever its name or extension, never sees a partial file.
   The sub-folder is removed again once empty: the import folder holds published files only.
2. ``publish``: the first free final name gets the file with ``os.link`` (fails if the name exists: nothing is
   ever overwritten), then the temporary name is removed. On a share without hard links, a rename under a lock
   shared by missive processes (``.missive-tmp/.lock``) with a check that the name is free.
3. ``settle`` (after a crash): a temporary that is gone was published; one with a second link was published
   and only its temporary name is left to remove; one with a single link was never published. The verdict is
   recorded before the temporary is removed, so a crash while settling never changes it.

A polling reader therefore sees either no file or the whole file, and two results for the same patient on the
same day get distinct names (a sequence number).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import logging
import os
import re
import secrets
import stat
import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from core.errors import BadInput, ConfigError, NotFound, StoreError, os_reason
from core.frozen import Frozen
from core.store.atomic import FileLock, fsync_dir
from core.text import T, Text, one_of

log = logging.getLogger("missive.filing")

Layout = Literal["drop-folder", "patient-folders"]
LAYOUTS: tuple[str, ...] = ("drop-folder", "patient-folders")
TEMPLATE_FIELDS = ("date", "time", "patient", "sender", "doc", "seq")
DEFAULT_TEMPLATE = "{date}_{sender}_{patient}_{doc}"
MAX_NAME = 96  # final file name, extension included: leaves room under Windows' 260-character paths
MAX_FIELD = 32
MAX_SEQUENCE = 9999
TEMP_DIR = ".missive-tmp"  # hidden sub-folder of the import folder holding files not yet published
_LOCK_NAME = ".lock"  # in TEMP_DIR: guards check-then-rename where there are no hard links
PATIENT_HASH = 12  # hex characters of the hash that tells apart patient ids a folder name had to change
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# POSIX: below the import folder every name is looked up relative to a descriptor of its folder, each folder
# opened without following a link (as the watched folder does), so a patient's folder or the temporary folder
# swapped for a link after a check is never written through. Windows (no dir_fd) goes by paths with checks.
_AT = (
    bool(_NOFOLLOW and _DIRECTORY)
    and {
        os.open,
        os.mkdir,
        os.link,
        os.rename,
        os.unlink,
        os.stat,
        os.rmdir,
    }
    <= os.supports_dir_fd
)
# Windows refuses these as file names whatever the extension (CON.txt is the console).
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")
}
# Extensions for formats other than HPRIM (HPRIM takes the preset's extension).
_FORMAT_EXTENSIONS = {"hl7v2": ".hl7", "cda": ".xml", "xdm": ".zip", "pdf": ".pdf"}
_TEXT_FORMATS = ("hprim-net", "hprim-2", "hl7v2")


@dataclass(frozen=True, repr=False, eq=False)
class Preset(Frozen):
    """Documented defaults for one practice program. ``verified`` is False for all: see the module doc."""

    key: str
    name: str
    folder: str  # suggested import folder (``~`` is the user's home); set the same one in the LGC
    template: str = DEFAULT_TEMPLATE
    extension: str = ".hpr"
    encoding: str = "original"  # "original" keeps the lab's bytes; else a codec such as "cp1252"
    layout: Layout = "drop-folder"
    temp_prefix: str = "."
    temp_suffix: str = ".tmp"
    verified: bool = False
    note: str = "generic HPRIM import folder; not verified against this software"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "folder": self.folder,
            "template": self.template,
            "extension": self.extension,
            "encoding": self.encoding,
            "layout": self.layout,
            "verified": self.verified,
            "note": self.note,
        }


def _preset(key: str, name: str, **kw: Any) -> Preset:
    return Preset(key=key, name=name, folder=kw.pop("folder", f"~/HPRIM/{key}"), **kw)


# The 13 programs of the issue, plus "generic". Same mechanism for all (the issue's seed: "principe de
# fonctionnement identique pour tous les logiciels"); their own conventions are not public.
PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        _preset("generic", "Générique (dossier d'import HPRIM)", folder="~/HPRIM/import"),
        _preset("aatlantide", "AAtlantide"),
        _preset("almapro", "AlmaPro"),
        _preset("axisante", "Axisanté"),
        _preset("crossway", "Crossway"),
        _preset("hellodoc", "HelloDoc"),
        _preset("docware", "Docware"),
        _preset("medi4000", "medi 4000"),
        _preset("medicalnet", "MedicalNet"),
        _preset("medicawin", "Medicawin"),
        _preset("mediclick", "Mediclick"),
        _preset(
            "medycis",
            "Medycis",
            note="generic HPRIM import folder; this software is reported to rename files to its own "
            "convention and to use line 1 as the title; not verified",
        ),
        _preset("monlogicielmedical", "Mon logiciel médical"),
        _preset("xmed", "Xmed"),
    )
}


def preset(key: str) -> Preset:
    """The preset called ``key`` (case, spaces and accents ignored); ConfigError listing the known ones."""
    wanted = re.sub(r"[^a-z0-9]", "", _ascii(key).lower())
    if wanted in PRESETS:  # by its key (the settings' usual way): no name folded
        return PRESETS[wanted]
    for p in PRESETS.values():
        if wanted == re.sub(r"[^a-z0-9]", "", _ascii(p.name).lower()):
            return p
    raise ConfigError(
        T("clinical.filing.filing-preset-inconnu-prereglages", key=key, join=", ".join(PRESETS))
    )


@dataclass(frozen=True, repr=False, eq=False)
class FilingFields(Frozen):
    """What a file name may be made of: ids and codes only, never a patient's name."""

    patient_id: str
    document_id: str
    sender: str = ""  # lab or sender code
    date: dt.datetime | None = None  # the document's date (now when unknown)
    format: str = "hprim-net"


@dataclass(frozen=True, repr=False, eq=False)
class FilingProfile(Frozen):
    """Where and how documents are filed: a preset plus the ``[filing]`` settings that override it."""

    preset: Preset
    folder: Path | None
    template: str = DEFAULT_TEMPLATE
    layout: Layout = "drop-folder"
    extension: str = ".hpr"
    encoding: str = "original"
    auto: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, section: Mapping[str, Any] | None) -> FilingProfile:
        """Build from the ``[filing]`` section of profile.toml (a plain dict); ConfigError when wrong."""
        section = dict(section or {})
        base = preset(str(section.get("preset") or "generic"))
        folder_text = str(section.get("folder") or "").strip()
        template = str(section.get("template") or "").strip() or base.template
        check_template(template)
        layout = str(section.get("layout") or base.layout)
        if layout not in LAYOUTS:
            raise ConfigError(T("clinical.filing.filing-layout-doit-valoir", join=one_of(LAYOUTS)))
        extension = str(section.get("extension") or base.extension)
        if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", extension):
            raise ConfigError(T("clinical.filing.filing-extension-doit-ressembler"))
        encoding = str(section.get("encoding") or base.encoding)
        if encoding != "original":
            try:
                "é".encode(encoding)
            except LookupError:
                raise ConfigError(
                    T("clinical.filing.filing-encoding-encodage-connu", encoding=encoding)
                ) from None
        return cls(
            preset=base,
            folder=Path(folder_text).expanduser() if folder_text else None,
            template=template,
            layout=layout,  # type: ignore[arg-type]  # one of LAYOUTS, checked above
            extension=extension,
            encoding=encoding,
            auto=bool(section.get("auto", True)),
        )

    @property
    def configured(self) -> bool:
        return self.folder is not None

    @property
    def root(self) -> Path:
        """The import folder; ConfigError naming the preset's suggestion when none is set."""
        if self.folder is None:
            raise ConfigError(
                T(
                    "clinical.filing.aucun-dossier-classement-reglez",
                    name=self.preset.name,
                    folder=self.preset.folder,
                )
            )
        return self.folder

    def target_folder(self, patient_id: str) -> Path:
        """The folder a document for ``patient_id`` goes into. A patient's folder that is a symbolic link
        (put there by whoever writes the import folder: to another patient's folder, or anywhere) is refused:
        what went through it would be filed by the practice software where the link points."""
        if self.layout == "patient-folders":
            folder = self.root / patient_folder(patient_id)
            if folder.is_symlink():
                raise StoreError(T("clinical.filing.dossier-patient-lien", folder=folder))
            return folder
        return self.root

    def payload(self, data: bytes, fields: FilingFields) -> bytes:
        """The bytes filed for ``data``: the original, or re-encoded when ``[filing] encoding`` asks for it."""
        if not data:
            raise BadInput(T("clinical.filing.document-vide-rien-classer", document_id=fields.document_id))
        return self._encode(data, fields.format)

    def names(self, fields: FilingFields) -> Callable[[int], str]:
        """The candidate file names for ``fields``: ``names(1)``, then ``names(2)``... when one is taken."""
        extension = self.extension if fields.format in ("hprim-net", "hprim-2") else ""
        extension = extension or _FORMAT_EXTENSIONS.get(fields.format, ".dat")
        return lambda seq: render_name(self.template, fields, seq, extension)

    def stage(self, data: bytes, fields: FilingFields) -> Path:
        """Step 1 of a publication: ``data`` (already ``payload``) in a durable temporary file; its path."""
        return write_temp(self.root, data, tag=fields.document_id)

    def publish(self, temp: Path, fields: FilingFields, before: Callable[[Path], None] | None = None) -> Path:
        """Step 2: give the staged ``temp`` the first free name for ``fields``; the final path.

        ``before(path)`` is called with each name about to be taken (the caller records it as its intent).
        """
        return publish(temp, self.target_folder(fields.patient_id), self.names(fields), before=before)

    def file(self, data: bytes, fields: FilingFields) -> Path:
        """Write ``data`` for ``fields`` into the import folder atomically; the final path.

        No record is kept between the steps: ``core.practice.documents`` files with an intent instead.
        """
        payload = self.payload(data, fields)
        self.target_folder(fields.patient_id)  # a configuration error before anything is written
        temp = self.stage(payload, fields)
        try:
            return self.publish(temp, fields)
        finally:
            discard_temp(temp)

    def _encode(self, data: bytes, fmt: str) -> bytes:
        if self.encoding == "original" or fmt not in _TEXT_FORMATS:
            return data
        from core.clinical.encoding import decode_text

        return decode_text(data).encode(self.encoding, errors="replace")


def check_template(template: str) -> None:
    """ConfigError when ``template`` names an unknown field or has no field that tells files apart."""
    names = re.findall(r"\{([^{}]*)\}", template)
    unknown = [n for n in names if n not in TEMPLATE_FIELDS]
    if unknown:
        raise ConfigError(
            T(
                "clinical.filing.template-unknown-field",
                field="{" + unknown[0] + "}",
                known=", ".join("{" + f + "}" for f in TEMPLATE_FIELDS),
            )
        )
    if re.sub(r"\{[^{}]*\}", "", template).count("{") or "}" in re.sub(r"\{[^{}]*\}", "", template):
        raise ConfigError(T("clinical.filing.filing-template-accolade-mal"))
    if not names:
        raise ConfigError(T("clinical.filing.filing-template-doit-contenir"))


def render_name(template: str, fields: FilingFields, seq: int, extension: str) -> str:
    """The file name for ``fields``; ``seq`` > 1 tells apart files that would otherwise collide."""
    when = fields.date or dt.datetime.now()
    values = {
        "date": when.strftime("%Y%m%d"),
        "time": when.strftime("%H%M%S"),
        "patient": sanitise(fields.patient_id, limit=MAX_FIELD),
        "sender": sanitise(fields.sender or "XX", limit=MAX_FIELD),
        "doc": sanitise(fields.document_id, limit=MAX_FIELD),
        "seq": f"{seq:03d}",
    }
    stem = re.sub(r"\{([^{}]*)\}", lambda m: values[m.group(1)], template)
    if "{seq}" not in template and seq > 1:
        stem = f"{stem}_{seq}"
    return sanitise(stem + extension, limit=MAX_NAME, keep_extension=True)


def _ascii(text: str) -> str:
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def sanitise(text: str, limit: int = MAX_NAME, keep_extension: bool = False) -> str:
    """A portable file name: ASCII letters, digits, ``-_.``; no separator, no Windows reserved name.

    Never empty, never starting with ``.`` (that would hide it, or make the LGC take it for a temporary),
    never ending with a dot or space (Windows drops them), at most ``limit`` characters.
    """
    stem, ext = text, ""
    if keep_extension:
        m = re.search(r"(\.[A-Za-z0-9]{1,8})$", text)
        if m:
            stem, ext = text[: m.start()], m.group(1)
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", _ascii(stem))
    clean = re.sub(r"_{2,}", "_", clean).strip("._ -")
    clean = clean or "x"
    if clean.split(".", 1)[0].upper() in _RESERVED:
        clean = "_" + clean
    clean = clean[: max(1, limit - len(ext))].rstrip(". ")
    return (clean or "x") + ext


def patient_folder(patient_id: str) -> str:
    """The folder name of a patient in the ``patient-folders`` layout: distinct ids never share a folder.

    An id that is already a portable name (and has no lower-case letter, which a case-blind file system
    would fold) is used as it is; any other gets a hash of the raw id appended (``2024/001`` becomes
    ``2024_001_<hash>``, never ``2024_001``; ``é1`` is not ``e1``; two long ids cut to the same 32 characters
    differ by their hashes). Plain, so that two desks filing into one folder agree on every name.
    """
    raw = patient_id or ""
    name = sanitise(raw, limit=MAX_FIELD)
    plain = (
        name == raw
        and not any(c.islower() for c in raw)
        and not re.search(rf"_[0-9a-f]{{{PATIENT_HASH}}}$", raw)
    )
    if plain:
        return name
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:PATIENT_HASH]
    return f"{name}_{digest}"


def temp_folder(root: Path) -> Path:
    return root / TEMP_DIR


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            T("clinical.filing.impossible-creer-dossier-classement", folder=folder, os_reason=os_reason(exc))
        ) from None


def _write_failed(folder: Path, exc: OSError) -> StoreError:
    return StoreError(
        T("clinical.filing.impossible-ecrire-dossier-classement", folder=folder, os_reason=os_reason(exc))
    )


def _open_folder(folder: Path) -> int:
    """The import folder itself, as a descriptor. Its path is the doctor's own setting (``[filing] folder``,
    a link there included, as for the watched folder); what lies below it is opened with ``_open_sub``."""
    try:
        return os.open(folder, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except OSError as exc:
        raise _write_failed(folder, exc) from None


def _open_sub(parent: int, name: str, path: Path, linked: Text, *, create: bool = False) -> int:
    """The folder ``name`` of the folder open as ``parent``, as a descriptor, never through a link: a link
    there (put by whoever writes the import folder) is refused with the line ``linked``. ``create``: made first when missing (mode as ``Path.mkdir``). FileNotFoundError when missing."""
    if create:
        try:
            os.mkdir(name, dir_fd=parent)
        except FileExistsError:
            pass
        except OSError as exc:
            raise StoreError(
                T(
                    "clinical.filing.impossible-creer-dossier-classement",
                    folder=path,
                    os_reason=os_reason(exc),
                )
            ) from None
    try:
        return os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=parent)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # Linux says ENOTDIR for a link with O_DIRECTORY
            with contextlib.suppress(OSError):
                if stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode):
                    raise StoreError(linked) from None
        raise _write_failed(path, exc) from None


def _close(*fds: int | None) -> None:
    for fd in fds:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


def _fsync_fd(fd: int) -> None:
    # The file is already in place: a share that cannot sync a folder must not turn that into a failure.
    with contextlib.suppress(OSError):
        os.fsync(fd)


def _taken(name: str, folder: int) -> bool:
    """Whether ``name`` exists in the folder open as ``folder`` (a link, even a broken one, counts)."""
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def write_temp(root: Path, data: bytes, tag: str = "") -> Path:
    """``data`` in a new file of ``root``'s hidden temporary folder, fsynced (file and folder); its path.

    POSIX: written relative to the temporary folder opened without following a link, so that folder swapped
    for a link at any moment gets nothing (``clinical.filing.dossier-temporaire-lien``)."""
    folder = temp_folder(root)
    label = re.sub(r"[^A-Za-z0-9-]", "", tag)[:MAX_FIELD]
    if not _AT:
        return _write_temp_by_path(root, folder, data, label)
    _make_folder(root)
    root_fd = _open_folder(root)
    try:
        for _attempt in range(20):
            try:
                dir_fd = _open_sub(
                    root_fd,
                    TEMP_DIR,
                    folder,
                    T("clinical.filing.dossier-temporaire-lien", folder=folder),
                    create=True,
                )
            except FileNotFoundError:
                continue  # made and removed again by another missive meanwhile
            try:
                name = f".missive-{label}-{secrets.token_hex(6)}.tmp"
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
                try:
                    fd = os.open(name, flags, 0o600, dir_fd=dir_fd)
                except FileNotFoundError:
                    continue  # another missive removed the empty folder meanwhile: make it again
                except OSError as exc:
                    raise _write_failed(root, exc) from None
                try:
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(data)
                        fh.flush()
                        os.fsync(fh.fileno())
                except OSError as exc:
                    with contextlib.suppress(OSError):
                        os.unlink(name, dir_fd=dir_fd)
                    raise _write_failed(root, exc) from None
                _fsync_fd(dir_fd)
                return folder / name
            finally:
                _close(dir_fd)
    finally:
        _close(root_fd)
    raise StoreError(T("clinical.filing.dossier-temporaire-disparait-sans", folder=folder))


def _write_temp_by_path(root: Path, folder: Path, data: bytes, label: str) -> Path:
    """``write_temp`` where folders cannot be held open (Windows): by paths, a link refused just before."""
    for _attempt in range(20):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            continue  # made and removed again by another missive meanwhile
        except OSError as exc:
            raise StoreError(
                T(
                    "clinical.filing.impossible-creer-dossier-classement",
                    folder=folder,
                    os_reason=os_reason(exc),
                )
            ) from None
        if folder.is_symlink():  # put there by whoever writes the import folder: the bytes would go elsewhere
            raise StoreError(T("clinical.filing.dossier-temporaire-lien", folder=folder))
        if sys.platform == "win32":
            _hide(folder)
        tmp = folder / f".missive-{label}-{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        except FileNotFoundError:
            continue  # another missive removed the empty folder meanwhile: make it again
        except OSError as exc:
            raise _write_failed(root, exc) from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            _fsync_dir(folder)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise _write_failed(root, exc) from None
        return tmp
    raise StoreError(T("clinical.filing.dossier-temporaire-disparait-sans", folder=folder))


def _hide(folder: Path) -> None:
    """Windows does not hide dot-names: set the hidden attribute (best effort)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.windll.kernel32.SetFileAttributesW(str(folder), 0x2)  # type: ignore[attr-defined]  # Windows only


def publish(
    temp: Path,
    folder: Path,
    name_for: Callable[[int], str],
    *,
    before: Callable[[Path], None] | None = None,
) -> Path:
    """Give the file ``temp`` the first free name ``folder/name_for(n)``, never replacing a file; the path.

    The temporary name is removed once the file is published (``settle`` finishes that after a crash).
    POSIX: ``folder`` (a patient's folder under the import folder) and the temporary folder are opened without
    following a link and the file is linked from one descriptor to the other: either swapped for a link at any
    moment fails with one line and nothing is published through it. Just before the file is given its name
    (after ``before``, which records the intent), the folders held open are checked to be still the ones the
    configured path names: the import folder renamed or replaced meanwhile (the practice software's own
    settings moved it), the file goes into the folder the path names now, never into the renamed one where the
    practice software no longer looks; a path that no longer leads to a real folder fails with one line, and
    the staged bytes are removed from the folder it left.
    """
    if not _AT:
        return _publish_by_path(temp, folder, name_for, before=before)
    temps = temp.parent
    root = temps.parent  # the import folder: ``temp`` is <root>/.missive-tmp/<name>
    below: tuple[str, ...] = ()
    try:
        below = folder.relative_to(root).parts
    except ValueError:  # not under the import folder: a folder of its own, as the caller named it
        root = folder
    _make_folder(root)
    fds: list[int] = []
    chain: list[int] = []  # the import folder and the patient's folder below it, as opened
    moved = False  # the configured path names another folder than the one opened first
    try:
        chain = _open_chain(root, below)
        target = chain[-1]
        base = chain[0]
        if root != temps.parent:
            base = _open_folder(temps.parent)
            fds.append(base)
        temp_fd = _open_sub(
            base, temps.name, temps, T("clinical.filing.dossier-temporaire-lien", folder=temps)
        )
        fds.append(temp_fd)
        for seq in range(1, MAX_SEQUENCE + 1):
            name = name_for(seq)
            final = folder / name
            if _taken(name, target):
                continue
            if before is not None:
                before(final)
            now = _still_named(root, below, chain, folder)
            if now is not chain:
                moved = True
                log.warning(
                    "import folder renamed or replaced during a filing: filed where its path leads now"
                )
                fds.extend(chain)  # closed at the end: the first one may be the staged copy's ``base``
                chain, target = now, now[-1]
                if _taken(name, target):
                    continue
            if _publish(temp, final, (temp_fd, target)):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp.name, dir_fd=temp_fd)
                _fsync_fd(target)
                _fsync_fd(temp_fd)
                if moved:  # the staged copy's emptied folder, left in the renamed one
                    with contextlib.suppress(OSError):
                        os.rmdir(temps.name, dir_fd=base)
                return final
        raise StoreError(
            T("clinical.filing.fichiers-portent-deja-nom", MAX_SEQUENCE=MAX_SEQUENCE, folder=folder)
        )
    except (OSError, StoreError) as exc:
        if not (moved or isinstance(exc, NotPublished)):
            if isinstance(exc, StoreError):
                raise
            raise _write_failed(folder, exc) from None
        # the staged copy is in the folder the path no longer names, where the caller cannot reach it: removed
        # here, and the caller told it was never published (its path, looked at now, would say 'gone')
        with contextlib.suppress(OSError):
            os.unlink(temp.name, dir_fd=temp_fd)
        with contextlib.suppress(OSError):
            os.rmdir(temps.name, dir_fd=base)
        reason = exc.text if isinstance(exc, StoreError) else _write_failed(folder, exc).text
        raise NotPublished(reason) from None
    finally:
        _close(*fds, *chain)


class NotPublished(StoreError):
    """A publication that failed with the staged file certainly not published, and already removed: the import
    folder was renamed or replaced during it (``publish``). The caller must not judge by the temporary's path,
    which leads elsewhere now."""


def _open_chain(root: Path, below: tuple[str, ...]) -> list[int]:
    """The import folder (its configured path, a link there followed as the doctor set it) and each folder
    ``below`` it, opened without following a link (made when missing), as descriptors, the import folder first."""
    fds = [_open_folder(root)]
    path = root
    try:
        for part in below:
            path = path / part
            fds.append(
                _open_sub(
                    fds[-1], part, path, T("clinical.filing.dossier-patient-lien", folder=path), create=True
                )
            )
    except BaseException:
        _close(*fds)
        raise
    return fds


def _still_named(root: Path, below: tuple[str, ...], chain: list[int], folder: Path) -> list[int]:
    """``chain`` when the configured path still names the folders it holds (same device and inode, looked up
    afresh as ``_open_chain`` does); else the folders it names now, opened (the caller closes ``chain``).
    NotPublished when the path no longer leads to a folder (renamed away): nothing is filed anywhere."""
    try:
        os.stat(root)  # followed, as ``_open_folder`` opens it
    except OSError:
        raise NotPublished(T("clinical.filing.dossier-import-deplace", folder=root)) from None
    try:
        fresh = _open_chain(root, below)
    except StoreError as exc:  # not a folder, a link in a patient's folder's place, a folder not made
        raise NotPublished(exc.text) from None
    held = [os.fstat(fd) for fd in chain]
    now = [os.fstat(fd) for fd in fresh]
    if [(s.st_dev, s.st_ino) for s in held] == [(s.st_dev, s.st_ino) for s in now]:
        _close(*fresh)
        return chain
    return fresh


def _publish_by_path(
    temp: Path,
    folder: Path,
    name_for: Callable[[int], str],
    *,
    before: Callable[[Path], None] | None = None,
) -> Path:
    """``publish`` where folders cannot be held open (Windows): by paths."""
    _make_folder(folder)
    try:
        for seq in range(1, MAX_SEQUENCE + 1):
            final = folder / name_for(seq)
            if os.path.lexists(final):
                continue
            if before is not None:
                before(final)
            if _publish(temp, final):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
                _fsync_dir(folder)
                _fsync_dir(temp.parent)
                return final
    except OSError as exc:
        raise _write_failed(folder, exc) from None
    raise StoreError(T("clinical.filing.fichiers-portent-deja-nom", MAX_SEQUENCE=MAX_SEQUENCE, folder=folder))


def _temp_folder_fd(temp: Path) -> int | None:
    """The temporary folder of ``temp``, opened without following a link; None when it (or the import
    folder) is gone. POSIX only."""
    try:
        root_fd = os.open(temp.parent.parent, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _write_failed(temp.parent.parent, exc) from None
    try:
        return _open_sub(
            root_fd,
            temp.parent.name,
            temp.parent,
            T("clinical.filing.dossier-temporaire-lien", folder=temp.parent),
        )
    except FileNotFoundError:
        return None
    finally:
        _close(root_fd)


def settle(temp: Path) -> bool:
    """After a crash: was the staged ``temp`` published? Nothing is removed: the caller records the verdict
    first, then ``discard_temp`` (a crash in between must not turn "never published" into "gone, so published").

    Gone: published (the file is at its final name, or the practice software already took it). Two links:
    published, the crash came before the temporary name was removed. One link: never published. A temporary
    folder swapped for a link gives no verdict (StoreError): what it points to says nothing of ours.
    """
    if not _AT:
        try:
            return os.lstat(temp).st_nlink >= 2
        except FileNotFoundError:
            return True
    folder = _temp_folder_fd(temp)
    if folder is None:
        return True
    try:
        return os.stat(temp.name, dir_fd=folder, follow_symlinks=False).st_nlink >= 2
    except FileNotFoundError:
        return True
    except OSError as exc:
        raise _write_failed(temp.parent, exc) from None
    finally:
        _close(folder)


def discard_temp(temp: Path) -> None:
    """Remove a temporary (if still there) and its folder once empty; never through a link put in the
    temporary folder's place (POSIX)."""
    if not _AT:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        with contextlib.suppress(OSError):
            temp.parent.rmdir()  # only when empty: another desk's temporary keeps it
        return
    try:
        folder = _temp_folder_fd(temp)
    except StoreError:
        return  # a link in its place: nothing of ours to remove there
    if folder is None:
        return
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp.name, dir_fd=folder)
    finally:
        _close(folder)
    with contextlib.suppress(OSError):
        root_fd = os.open(temp.parent.parent, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        try:
            os.rmdir(temp.parent.name, dir_fd=root_fd)  # only when empty: another desk's temporary keeps it
        finally:
            os.close(root_fd)


def stale_temps(root: Path) -> list[Path]:
    """Temporaries found in ``root``'s hidden folder (for the caller to settle or discard)."""
    folder = temp_folder(root)
    try:
        return sorted(p for p in folder.iterdir() if p.name.endswith(".tmp"))
    except OSError:
        return []


def write_new_file(
    folder: Path,
    name_for: Any,
    data: bytes,
    *,
    temp_prefix: str = ".",
    temp_suffix: str = ".tmp",
) -> Path:
    """Write ``data`` into ``folder`` under the first free name ``name_for(1)``, ``name_for(2)``...

    Temporary file in the hidden folder, fsync, then publish without overwriting. Returns the final path.
    (``temp_prefix`` and ``temp_suffix`` are kept for callers; the temporary is always hidden.)
    """
    _make_folder(folder)
    temp = write_temp(folder, data)
    try:
        return publish(temp, folder, name_for)
    finally:
        discard_temp(temp)


def _publish(tmp: Path, final: Path, at: tuple[int, int] | None = None) -> bool:
    """Give ``tmp`` the name ``final`` unless it exists: True when done, False when the name is taken.

    ``at``: the descriptors of ``tmp``'s folder and ``final``'s (POSIX): both names are taken relative to them.
    """
    try:
        # atomic and exclusive: the whole file appears at once, or nothing
        if at is None:
            os.link(tmp, final)
        else:
            os.link(tmp.name, final.name, src_dir_fd=at[0], dst_dir_fd=at[1], follow_symlinks=False)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
    # No hard links here (some network shares, FAT): rename instead. Windows' rename never replaces;
    # POSIX rename does, so a lock shared by missive processes guards the check-then-rename.
    if sys.platform == "win32":
        try:
            os.rename(tmp, final)
            return True
        except FileExistsError:
            return False
    if at is not None:
        with _held_lock(at[0]):
            if _taken(final.name, at[1]):
                return False
            os.rename(tmp.name, final.name, src_dir_fd=at[0], dst_dir_fd=at[1])
            return True
    with FileLock(tmp.parent / _LOCK_NAME).held():
        if os.path.lexists(final):
            return False
        os.rename(tmp, final)
        return True


@contextlib.contextmanager
def _held_lock(folder: int) -> Iterator[None]:
    """The lock file of the temporary folder open as ``folder`` (``FileLock``'s, flock), held: opened relative
    to that folder without following a link, so a link planted there is neither followed nor chmodded."""
    import fcntl

    fd = os.open(
        _LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_APPEND | _NOFOLLOW | _CLOEXEC, 0o600, dir_fd=folder
    )
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _fsync_dir(folder: Path) -> None:
    # The file is already in place: a share that cannot sync a folder must not turn that into a failure.
    with contextlib.suppress(OSError):
        fsync_dir(folder)


def _filed_folder(filed_path: Path, root: Path | None) -> int | None:
    """The folder of a filed file, opened as a descriptor (POSIX): the import folder by its configured path,
    a patient's folder below it without following a link. None where it goes by paths (Windows, or a file
    outside today's import folder); NotFound when the folder is gone."""
    if not _AT or root is None:
        return None
    try:
        below = filed_path.parent.relative_to(root).parts
    except ValueError:
        return None
    gone = NotFound(T("clinical.filing.plus-dossier-import-logiciel", filed_path_name=filed_path.name))
    try:
        fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        raise gone from None
    except OSError as exc:
        raise _write_failed(root, exc) from None
    path = root
    for part in below:
        path = path / part
        try:
            inner = _open_sub(fd, part, path, T("clinical.filing.dossier-patient-lien", folder=path))
        except FileNotFoundError:
            raise gone from None
        finally:
            os.close(fd)
        fd = inner
    return fd


def withdraw(filed_path: Path, root: Path | None = None) -> bytes:
    """Take a filed file out of the LGC folder in one step (unlink); the bytes it held.

    Nothing is left behind in clear: the caller keeps the bytes encrypted (the profile's blob store). NotFound
    when the LGC has already taken it (programs often move imported files). ``root``: the import folder; below
    it, a patient's folder swapped for a link is neither read nor emptied through (POSIX).
    """
    filed_path = Path(filed_path)
    folder = _filed_folder(filed_path, root)
    name: Any = filed_path if folder is None else filed_path.name
    try:
        return _withdraw(filed_path, name, folder)
    finally:
        _close(folder)


def _withdraw(filed_path: Path, name: Any, folder: int | None) -> bytes:
    # whoever writes the import folder may have put a link (to another patient's file, a key) or a FIFO in
    # the file's place: opened without following a link nor waiting, read only when it is a regular file
    flags = (
        os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    )
    not_a_file = NotFound(T("clinical.filing.plus-fichier-ordinaire", filed_path_name=filed_path.name))
    try:
        fd = os.open(name, flags, dir_fd=folder)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound(
            T("clinical.filing.plus-dossier-import-logiciel", filed_path_name=filed_path.name)
        ) from None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR):
            raise not_a_file from None
        raise StoreError(
            T("clinical.filing.impossible-lire", filed_path_name=filed_path.name, os_reason=os_reason(exc))
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise not_a_file
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read()
    except OSError as exc:
        raise StoreError(
            T("clinical.filing.impossible-lire", filed_path_name=filed_path.name, os_reason=os_reason(exc))
        ) from None
    finally:
        os.close(fd)
    try:
        os.unlink(name, dir_fd=folder)
    except FileNotFoundError:
        raise NotFound(
            T("clinical.filing.ete-integre-logiciel-metier", filed_path_name=filed_path.name)
        ) from None
    except OSError as exc:
        raise StoreError(
            T(
                "clinical.filing.impossible-retirer-dossier-import",
                filed_path_name=filed_path.name,
                os_reason=os_reason(exc),
            )
        ) from None
    if folder is None:
        _fsync_dir(filed_path.parent)
    else:
        _fsync_fd(folder)
    return data


__all__ = [
    "DEFAULT_TEMPLATE",
    "PRESETS",
    "FilingFields",
    "FilingProfile",
    "Preset",
    "check_template",
    "preset",
    "render_name",
    "sanitise",
    "patient_folder",
    "publish",
    "settle",
    "withdraw",
    "write_new_file",
    "write_temp",
]
