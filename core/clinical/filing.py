"""Filing a document into the practice software (the LGC): its import folder, atomically, never overwriting.

Every practice program named in issue 7 takes lab results the same way: it polls a folder and imports
the HPRIM files it finds there. So one mechanism serves all of them; a *preset* only records the defaults
we ship (folder, file name, extension, encoding). None is verified against the closed software
(``verified=False``): the doctor points the program's "dossier d'import HPRIM" setting at the folder.

A file is written under a temporary name the LGC ignores (leading ``.`` and a ``.tmp`` suffix), flushed
and fsynced, then published under its final name with ``os.link`` (fails if the name exists, so nothing is
ever overwritten) and the temporary name removed. A polling reader therefore sees either no file or the
whole file, and two results for the same patient on the same day get distinct names (a sequence number).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import secrets
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from core.errors import BadInput, ConfigError, NotFound, StoreError, os_reason
from core.store.atomic import FileLock, fsync_dir

Layout = Literal["drop-folder", "patient-folders"]
LAYOUTS: tuple[str, ...] = ("drop-folder", "patient-folders")
TEMPLATE_FIELDS = ("date", "time", "patient", "sender", "doc", "seq")
DEFAULT_TEMPLATE = "{date}_{sender}_{patient}_{doc}"
MAX_NAME = 96  # final file name, extension included: leaves room under Windows' 260-character paths
MAX_FIELD = 32
MAX_SEQUENCE = 9999
_LOCK_NAME = ".missive-filing.lock"
# Windows refuses these as file names whatever the extension (CON.txt is the console).
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")
}
# Extensions for formats other than HPRIM (HPRIM takes the preset's extension).
_FORMAT_EXTENSIONS = {"hl7v2": ".hl7", "cda": ".xml", "xdm": ".zip", "pdf": ".pdf"}
_TEXT_FORMATS = ("hprim-net", "hprim-2", "hl7v2")


@dataclass(frozen=True)
class Preset:
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
    for p in PRESETS.values():
        if wanted in (p.key, re.sub(r"[^a-z0-9]", "", _ascii(p.name).lower())):
            return p
    raise ConfigError(f"filing.preset {key!r} est inconnu (préréglages connus : {', '.join(PRESETS)})")


@dataclass(frozen=True)
class FilingFields:
    """What a file name may be made of: ids and codes only, never a patient's name."""

    patient_id: str
    document_id: str
    sender: str = ""  # lab or sender code
    date: dt.datetime | None = None  # the document's date (now when unknown)
    format: str = "hprim-net"


@dataclass(frozen=True)
class FilingProfile:
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
            raise ConfigError(f"filing.layout doit valoir {' ou '.join(LAYOUTS)}")
        extension = str(section.get("extension") or base.extension)
        if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", extension):
            raise ConfigError(
                "filing.extension doit ressembler à .hpr (un point et 1 à 8 lettres ou chiffres)"
            )
        encoding = str(section.get("encoding") or base.encoding)
        if encoding != "original":
            try:
                "é".encode(encoding)
            except LookupError:
                raise ConfigError(
                    f"filing.encoding {encoding!r} n'est pas un encodage connu (par exemple cp1252, "
                    "iso-8859-1, utf-8)"
                ) from None
        return cls(
            preset=base,
            folder=Path(folder_text).expanduser() if folder_text else None,
            template=template,
            layout=layout,  # type: ignore[arg-type]
            extension=extension,
            encoding=encoding,
            auto=bool(section.get("auto", True)),
        )

    @property
    def configured(self) -> bool:
        return self.folder is not None

    def target_folder(self, patient_id: str) -> Path:
        """The folder a document for ``patient_id`` goes into."""
        if self.folder is None:
            raise ConfigError(
                "aucun dossier de classement : réglez [filing] folder dans profile.toml sur le dossier "
                f"d'import du logiciel métier (suggéré pour {self.preset.name} : {self.preset.folder})"
            )
        if self.layout == "patient-folders":
            return self.folder / sanitise(patient_id, limit=MAX_FIELD)
        return self.folder

    def file(self, data: bytes, fields: FilingFields) -> Path:
        """Write ``data`` for ``fields`` into the import folder atomically; the final path."""
        if not data:
            raise BadInput(f"le document {fields.document_id} est vide : rien à classer")
        folder = self.target_folder(fields.patient_id)
        payload = self._encode(data, fields.format)
        extension = self.extension if fields.format in ("hprim-net", "hprim-2") else ""
        extension = extension or _FORMAT_EXTENSIONS.get(fields.format, ".dat")
        return write_new_file(
            folder,
            lambda seq: render_name(self.template, fields, seq, extension),
            payload,
            temp_prefix=self.preset.temp_prefix,
            temp_suffix=self.preset.temp_suffix,
        )

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
            f"filing.template : le champ {{{unknown[0]}}} est inconnu (champs connus : "
            + ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
            + ")"
        )
    if re.sub(r"\{[^{}]*\}", "", template).count("{") or "}" in re.sub(r"\{[^{}]*\}", "", template):
        raise ConfigError(
            "filing.template a une accolade mal fermée : écrivez les champs ainsi : {date}, {patient}..."
        )
    if not names:
        raise ConfigError(
            "filing.template doit contenir au moins un champ, par exemple {date}_{patient}_{doc}"
        )


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


def write_new_file(
    folder: Path,
    name_for: Any,
    data: bytes,
    *,
    temp_prefix: str = ".",
    temp_suffix: str = ".tmp",
) -> Path:
    """Write ``data`` into ``folder`` under the first free name ``name_for(1)``, ``name_for(2)``...

    Temporary name, fsync, then publish without overwriting. Returns the final path.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"impossible de créer le dossier de classement {folder} ({os_reason(exc)}) : "
            "vérifiez [filing] folder"
        ) from None
    tmp = folder / f"{temp_prefix}missive-{secrets.token_hex(6)}{temp_suffix}"
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        for seq in range(1, MAX_SEQUENCE + 1):
            final = folder / name_for(seq)
            if _publish(tmp, final):
                _fsync_dir(folder)
                return final
        raise StoreError(
            f"{MAX_SEQUENCE} fichiers portent déjà ce nom dans {folder} : changez filing.template"
        )
    except OSError as exc:
        raise StoreError(
            f"impossible d'écrire dans le dossier de classement {folder} ({os_reason(exc)}) : vérifiez "
            "qu'il existe et qu'il est accessible en écriture"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _publish(tmp: Path, final: Path) -> bool:
    """Give ``tmp`` the name ``final`` unless it exists: True when done, False when the name is taken."""
    try:
        os.link(tmp, final)  # atomic and exclusive: the whole file appears at once, or nothing
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
    with FileLock(final.parent / _LOCK_NAME).held():
        if os.path.lexists(final):
            return False
        os.rename(tmp, final)
        return True


def _fsync_dir(folder: Path) -> None:
    # The file is already in place: a share that cannot sync a folder must not turn that into a failure.
    with contextlib.suppress(OSError):
        fsync_dir(folder)


def undo(filed_path: Path, quarantine_dir: Path) -> Path:
    """Move a filed file out of the LGC folder into ``quarantine_dir``; the new path.

    The file leaves the import folder in one step (a rename, or a link then an unlink), so the LGC never
    sees it half-gone. NotFound when the LGC has already taken it (programs often move imported files).
    """
    filed_path = Path(filed_path)
    if not filed_path.is_file():
        raise NotFound(
            f"{filed_path.name} n'est plus dans le dossier d'import : le logiciel métier l'a sans doute déjà "
            "intégré ; retirez-le du dossier du patient dans ce logiciel"
        )
    data_name = filed_path.name
    try:
        quarantine_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"impossible de créer le dossier de quarantaine {quarantine_dir} ({os_reason(exc)})"
        ) from None
    for seq in range(1, MAX_SEQUENCE + 1):
        name = _numbered(data_name, seq)
        target = quarantine_dir / name
        try:
            os.link(filed_path, target)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise NotFound(
                    f"{filed_path.name} a été intégré par le logiciel métier pendant l'annulation : "
                    "retirez-le du dossier du patient dans ce logiciel"
                ) from None
            # Another file system or no hard links: copy durably, then remove the original.
            target = write_new_file(
                quarantine_dir, lambda s, n=name: _numbered(n, s), filed_path.read_bytes()
            )
        try:
            os.unlink(filed_path)
        except FileNotFoundError:
            pass  # taken meanwhile by the LGC: the quarantine copy still documents what was filed
        except OSError as exc:
            raise StoreError(
                f"impossible de retirer {filed_path.name} du dossier d'import ({os_reason(exc)})"
            ) from None
        _fsync_dir(filed_path.parent)
        _fsync_dir(quarantine_dir)
        return target
    raise StoreError(
        f"trop de fichiers nommés {data_name} dans {quarantine_dir} : videz le dossier de quarantaine"
    )


def _numbered(name: str, seq: int) -> str:
    if seq == 1:
        return name
    stem, dot, ext = name.rpartition(".")
    return f"{stem}_{seq}.{ext}" if dot else f"{name}_{seq}"


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
    "undo",
    "write_new_file",
]
