"""``missive parse PATH... [--json]``: read clinical files (HPRIM, HL7, CDA, XDM, PDF) without a profile."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from core.errors import ParseError, os_reason
from core.model import ClinicalDocument, ReadResult

_FORMAT_NAMES = {
    "hprim-net": "HPRIM Net",
    "hprim-2": "HPRIM Santé 2",
    "hl7v2": "HL7 v2",
    "cda": "CDA R2",
    "xdm": "IHE XDM",
    "pdf": "PDF",
}
MAX_FILE = 200 * 1024 * 1024


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``parse`` subcommand."""
    p = sub.add_parser(
        "parse",
        parents=[common],
        help="lire des comptes rendus (HPRIM, HL7, CDA, XDM, PDF) et afficher identité et résultats",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="fichier ou dossier (parcouru récursivement)")
    p.add_argument("--json", action="store_true", help="un objet JSON par fichier et par ligne")
    p.set_defaults(func=parse_command)


def walk(paths: list[str]) -> Iterator[Path]:
    """Each given file, and every file under each given folder (sorted, hidden files skipped)."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and not any(part.startswith(".") for part in relative):
                    yield child
        else:
            yield path


def parse_command(args: argparse.Namespace, ctx: Any) -> int:
    """Read each file; one line (JSON or French summary) per file; exit 1 when any file failed."""
    return report_files(
        args,
        ctx,
        lambda result: [d.to_json() for d in result.documents],
        lambda path, result: summary(str(path), result.format, result.documents),
    )


def report_files(
    args: argparse.Namespace,
    ctx: Any,
    documents_json: Callable[[ReadResult], list[dict[str, Any]]],
    text: Callable[[Path, ReadResult], str],
) -> int:
    """Read every file under ``args.paths`` and print each (JSON or French text); exit 1 when any failed.

    ``documents_json`` and ``text`` say what a command shows of a file read; an unreadable file gives one
    error line whatever the command, and the walk goes on.
    """
    from core.mailroom import read_clinical_file

    failed = 0
    for path in walk(args.paths):
        try:
            result = read_clinical_file(_read(path), path.name)
        except ParseError as exc:
            failed += 1
            if args.json:
                ctx.print_json({"file": str(path), "error": str(exc)})
            else:
                sys.stdout.write(f"{path} : illisible — {exc}\n")
            continue
        if args.json:
            ctx.print_json({"file": str(path), "format": result.format, "documents": documents_json(result)})
        else:
            sys.stdout.write(text(path, result) + "\n")
    return 1 if failed else 0


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE:
            raise ParseError(f"{path.name} dépasse 200 Mo : ce n'est pas un document clinique")
        return path.read_bytes()
    except FileNotFoundError:
        raise ParseError(f"{path.name} : fichier introuvable ; vérifiez le chemin") from None
    except IsADirectoryError:
        raise ParseError(f"{path.name} est un dossier : donnez un fichier") from None
    except PermissionError:
        raise ParseError(f"{path.name} : accès refusé ; vérifiez les droits du fichier") from None
    except OSError as exc:
        raise ParseError(f"{path.name} : lecture impossible ({os_reason(exc)})") from None


def summary(file: str, fmt: str, documents: list[ClinicalDocument]) -> str:
    """One French line per file, then one indented line per document."""
    count = len(documents)
    head = f"{file} : {_FORMAT_NAMES.get(fmt, fmt)}, {count} document{'s' if count > 1 else ''}"
    return "\n".join([head, *(f"  - {_document_line(doc)}" for doc in documents)])


def _document_line(doc: ClinicalDocument) -> str:
    ident = doc.identity
    name = " ".join(p for p in (ident.family_name, " ".join(ident.given_names)) if p) or "patient inconnu"
    if ident.birth_name and ident.birth_name != ident.family_name:
        name += f" (né(e) {ident.birth_name})"
    parts = [name]
    if ident.birth_date:
        parts.append(f"né(e) le {ident.birth_date:%d/%m/%Y}")
    if ident.sex in ("M", "F"):
        parts.append("homme" if ident.sex == "M" else "femme")
    if ident.ins:
        parts.append(f"INS {ident.ins}")
    if doc.format != "hl7v2" or doc.observations:
        abnormal = sum(1 for o in doc.observations if o.abnormal)
        results = f"{len(doc.observations)} résultat{'s' if len(doc.observations) > 1 else ''}"
        if abnormal:
            results += f" dont {abnormal} anorma{'ux' if abnormal > 1 else 'l'}"
        corrected = sum(1 for o in doc.observations if o.status.upper() == "C")
        if corrected:
            results += f", {corrected} corrigé{'s' if corrected > 1 else ''} par le laboratoire"
        parts.append(results)
    if doc.title:
        parts.append(f"« {doc.title[:60]} »")
    if doc.date:
        parts.append(f"du {doc.date:%d/%m/%Y}")
    return ", ".join(parts)
