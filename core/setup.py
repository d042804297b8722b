"""What the set-up assistant decides, kept out of the UI: passphrase strength, settings written to profile.toml,
the import folder check, the patients CSV preview with its guessed column mapping, the test notification.

Each value the assistant saves is also a setting of profile.toml or a CLI command (noted at each function).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import BadInput, ConfigError, os_reason
from core.text import T

MIN_SCORE = 2  # "moyenne": below, the assistant refuses the passphrase

_LABELS = ("très faible", "faible", "moyenne", "bonne", "très bonne")


def passphrase_strength(text: str) -> tuple[int, str]:
    """(score 0..4, French label): an estimate of the guesses needed (length x alphabet, repetitions down)."""
    if not text:
        return 0, _LABELS[0]
    pools = 0
    if re.search(r"[a-z]", text):
        pools += 26
    if re.search(r"[A-Z]", text):
        pools += 26
    if re.search(r"\d", text):
        pools += 10
    if re.search(r"[^A-Za-z0-9]", text):
        pools += 33
    distinct = len(set(text))
    effective = min(len(text), distinct * 2)  # "aaaaaaaaaa" is not ten letters of entropy
    bits = effective * math.log2(max(pools, 2))
    words = len([w for w in re.split(r"[\s\-_.]+", text) if len(w) >= 3])
    if words >= 4:
        bits = max(bits, 44.0)  # four words or more: a diceware-like phrase
    score = 0 if bits < 35 else 1 if bits < 45 else 2 if bits < 60 else 3 if bits < 80 else 4
    if pools <= 26 and len(text) < 12 and words < 4:
        score = min(score, 1)  # one short word of one case: a dictionary attack finds it
    return score, _LABELS[score]


def check_passphrase(first: str, second: str) -> None:
    """BadInput with one French line when the two differ or the phrase is too weak."""
    if first != second:
        raise BadInput(T("setup.deux-phrases-passe-different"))
    score, label = passphrase_strength(first)
    if score < MIN_SCORE:
        raise BadInput(T("setup.phrase-passe-allongez-quatre", label=label))


# ------------------------------------------------------------------------------------------- profile.toml
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def update_settings(profile_dir: Path, changes: dict[str, dict[str, Any]]) -> None:
    """Set ``section.key = value`` in profile.toml, keeping its comments and layout; the new text is
    validated in full before it replaces the old one (atomic), so a bad value changes nothing.
    Same effect as editing profile.toml by hand."""
    from core.config import SETTINGS_FILE, parse_settings, write_default_settings
    from core.store.atomic import atomic_write

    path = write_default_settings(profile_dir)
    lines = path.read_text("utf-8").splitlines()
    for section, values in changes.items():
        for key, value in values.items():
            lines = _set_line(lines, section, key, _toml_value(value))
    text = "\n".join(lines) + "\n"
    try:
        parse_settings(tomllib.loads(text), Path(SETTINGS_FILE), text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(T("setup.reglage-illisible-rien-ete", name=exc.__class__.__name__)) from None
    atomic_write(path, text.encode("utf-8"))


def _set_line(lines: list[str], section: str, key: str, value: str) -> list[str]:
    current = ""
    start = end = None
    for number, line in enumerate(lines):
        header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            if current == section and end is None:
                end = number
            current = header.group(1).strip()
            if current == section:
                start = number
            continue
        if current == section and re.match(rf'^\s*"?{re.escape(key)}"?\s*=', line):
            comment = ""
            found = re.search(r"\s+#.*$", line.split("=", 1)[1]) if "#" in line else None
            if found and not _inside_string(line.split("=", 1)[1], found.start()):
                comment = "  " + found.group(0).strip()
            # A multi-line array: the lines up to its closing bracket go with it.
            last = number
            depth = _depth(line.split("=", 1)[1])
            while depth > 0 and last + 1 < len(lines):
                last += 1
                depth += _depth(lines[last])
            return [*lines[:number], f"{key} = {value}{comment}", *lines[last + 1 :]]
    if start is None:
        return [*lines, "", f"[{section}]", f"{key} = {value}"]
    insert_at = end if end is not None else len(lines)
    while insert_at > start + 1 and not lines[insert_at - 1].strip():
        insert_at -= 1
    return [*lines[:insert_at], f"{key} = {value}", *lines[insert_at:]]


def _depth(text: str) -> int:
    """Brackets opened minus closed outside strings and comments."""
    depth, quoted = 0, False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "#":
            break
        elif not quoted and char == "[":
            depth += 1
        elif not quoted and char == "]":
            depth -= 1
    return depth


def _inside_string(text: str, index: int) -> bool:
    return text[:index].count('"') % 2 == 1


# ------------------------------------------------------------------------------------------- filing folder
def check_import_folder(folder: str) -> str:
    """Write a test file in the practice software's import folder and remove it; the French result line.
    Raises BadInput when the folder cannot take a file (setting: [filing] folder)."""
    path = Path(folder).expanduser()
    if not folder.strip():
        raise BadInput(T("setup.indiquez-dossier-import-logiciel"))
    if not path.is_dir():
        raise BadInput(T("setup.existe-dossier-creez-corrigez", path=path))
    probe = path / f".missive-test-{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(b"missive: fichier de test, supprime aussitot\n")
        probe.unlink()
    except OSError as exc:
        probe.unlink(missing_ok=True)
        raise BadInput(
            T("setup.impossible-ecrire-verifiez-droits", path=path, os_reason=os_reason(exc))
        ) from None
    return f"dossier d'import vérifié : un fichier de test y a été écrit puis supprimé ({path})"


# ------------------------------------------------------------------------------------------- patients CSV
_GUESSES = {
    "id": ("id", "identifiant", "numero", "numéro", "n° dossier", "dossier", "num", "ipp", "code"),
    "birth_name": ("birth_name", "nom de naissance", "nom_naissance", "nomnaissance", "nom"),
    "used_name": ("used_name", "nom d'usage", "nom_usage", "nomusage", "nom marital"),
    "given_names": ("given_names", "prénoms", "prenoms", "prénom", "prenom"),
    "birth_date": ("birth_date", "date de naissance", "date_naissance", "datenaissance", "ddn", "né le"),
    "sex": ("sex", "sexe", "genre"),
    "ins": ("ins", "nir", "matricule ins", "numéro de sécurité sociale", "nss", "insee"),
}


@dataclass(frozen=True)
class CsvPreview:
    header: list[str]
    rows: list[list[str]]  # the first lines only, for the screen
    mapping: dict[str, str]  # source column -> missive column (guessed)
    missing: list[str]  # required columns the guess did not find


def preview_patients(path: str, lines: int = 3) -> CsvPreview:
    """The header, the first ``lines`` rows and a guessed mapping of a patients CSV (``missive patients import
    FILE --map SOURCE=TARGET``). Nothing is imported here."""
    from core.inputfile import read_input
    from core.practice.patients import REQUIRED, _decode

    file = Path(path).expanduser()
    data = read_input(file, "patients")  # a huge file, /dev/zero or a FIFO: one line, never a hang
    text = _decode(data, file.name)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise BadInput(T("setup.vide", file_name=file.name)) from None
    rows = []
    for row in reader:
        rows.append(row)
        if len(rows) >= lines:
            break
    mapping = guess_patient_columns(header)
    taken = set(mapping.values())
    missing = [c for c in REQUIRED if c not in taken]
    return CsvPreview(header, rows, mapping, missing)


def guess_patient_columns(header: list[str]) -> dict[str, str]:
    """Source column -> missive column, guessed from the usual French names (``_GUESSES``)."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    names = {column.strip().lower() for column in header}
    for column in header:
        name = column.strip().lower()
        for target, words in _GUESSES.items():
            if target in taken:
                continue
            if name in words:
                if name == "nom" and names & set(_GUESSES["birth_name"][:-1]):
                    # "Nom" beside "Nom de naissance" is the name used: taken first as the birth name, the
                    # birth-name column went unmapped and a married woman was filed under her husband's name
                    target = "used_name"
                    if target in taken or names & set(_GUESSES["used_name"]):
                        break
                mapping[column] = target
                taken.add(target)
                break
    return mapping


# ------------------------------------------------------------------------------------------- notifications
def test_notification(kind: str, url: str) -> str:
    """Send one test push (setting: [notifications] kind/url); the French result line, BadInput on failure."""
    from core.notify import Notifier

    notifier = Notifier(kind, url)
    if not notifier.enabled:
        raise BadInput(T("setup.choisissez-ntfy-webhook-donnez"))
    if not notifier.send_text("missive : notification de test (rien à faire)"):
        raise BadInput(T("setup.notification-test-arrivee-verifiez", url=url))
    return "notification de test envoyée : vérifiez votre téléphone"
