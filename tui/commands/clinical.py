"""``missive parse PATH... [--json]``: read clinical files (HPRIM, HL7, CDA, XDM, PDF) without a profile."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from core.errors import BadInput, NotFound, ParseError
from core.model import ClinicalDocument, Identity, ReadResult
from tui.i18n import t

_FORMAT_NAMES = {
    "hprim-net": "HPRIM Net",
    "hprim-2": "HPRIM Santé 2",
    "hl7v2": "HL7 v2",
    "cda": "CDA R2",
    "xdm": "IHE XDM",
    "pdf": "PDF",
}


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
    for given in args.paths:
        if Path(given).is_dir() and next(walk([given]), None) is None:
            failed += 1  # nothing read: said, never an empty success
            if args.json:
                ctx.print_json({"file": given, "error": t("cli.parse.empty_dir", folder=given)})
            else:
                sys.stdout.write(
                    t("cli.parse.unreadable", path=given, reason=t("cli.parse.empty_dir", folder=given))
                    + "\n"
                )
    for path in walk(args.paths):
        try:
            result = read_clinical_file(_read(path), path.name)
        except ParseError as exc:
            failed += 1
            if args.json:
                ctx.print_json({"file": str(path), "error": str(exc)})
            else:
                sys.stdout.write(t("cli.parse.unreadable", path=path, reason=exc) + "\n")
            continue
        if args.json:
            ctx.print_json({"file": str(path), "format": result.format, "documents": documents_json(result)})
        else:
            sys.stdout.write(text(path, result) + "\n")
    return 1 if failed else 0


def _read(path: Path) -> bytes:
    """The file's bytes: a regular file of at most 200 MB (``/dev/zero``, a FIFO, a huge file: one line)."""
    from core.mailroom import read_input

    try:
        return read_input(path, "clinical")
    except (BadInput, NotFound) as exc:
        raise ParseError(str(exc)) from None


def summary(file: str, fmt: str, documents: list[ClinicalDocument]) -> str:
    """One French line per file, then one indented line per document (and one more for a document whose
    container names another patient: the core's reason and that patient)."""
    from core.model import printable  # an identity or a title holds no terminal command

    count = len(documents)
    head = t(_plural("cli.parse.file", count), file=file, format=_FORMAT_NAMES.get(fmt, fmt), count=count)
    lines = [printable(head, one_line=True)]
    for doc in documents:
        lines.append(f"  - {printable(_document_line(doc), one_line=True)}")
        conflict = envelope_line(doc)
        if conflict:
            lines.append(f"    {conflict}")
        lines.extend(f"      {line}" for line in result_lines(doc))
    return "\n".join(lines)


def result_lines(doc: ClinicalDocument) -> list[str]:
    """One line per result, as the reader's table shows it (the core's verdict and interval)."""
    from tui.results import result_line

    return [result_line(obs) for obs in doc.observations]


def envelope_line(doc: ClinicalDocument) -> str:
    """'' or one French line: the core's reason why the document is never filed automatically, and the
    patient its container names."""
    from core.mailroom import envelope_conflict

    reason = envelope_conflict(doc)
    if not reason or doc.envelope is None:
        return ""
    from core.model import printable  # a name holds no terminal command

    other = _identity_text(doc.envelope)
    return printable(t("cli.parse.envelope", reason=reason, identity=other), one_line=True)


def _plural(key: str, count: int) -> str:
    return f"{key}_{'many' if count > 1 else 'one'}"


def _identity_text(ident: Identity) -> str:
    name = " ".join(p for p in (ident.family_name, " ".join(ident.given_names)) if p) or t(
        "cli.parse.unknown"
    )
    if ident.birth_name and ident.birth_name != ident.family_name:
        name += t("cli.parse.birth_name", name=ident.birth_name)
    parts = [name]
    if ident.birth_date:
        parts.append(t("cli.parse.born", date=f"{ident.birth_date:%d/%m/%Y}"))
    if ident.sex in ("M", "F"):
        parts.append(t("cli.parse.male" if ident.sex == "M" else "cli.parse.female"))
    if ident.ins:
        parts.append(f"INS {ident.ins}")
    return ", ".join(parts)


def _document_line(doc: ClinicalDocument) -> str:
    parts = [_identity_text(doc.identity)]
    if doc.format != "hl7v2" or doc.observations:
        abnormal = sum(1 for o in doc.observations if o.abnormal)
        results = t(_plural("cli.parse.results", len(doc.observations)), count=len(doc.observations))
        if abnormal:
            results += t(_plural("cli.parse.abnormal", abnormal), count=abnormal)
        corrected = sum(1 for o in doc.observations if o.status.upper() == "C")
        if corrected:
            results += t(_plural("cli.parse.corrected", corrected), count=corrected)
        parts.append(results)
    if doc.title:
        parts.append(f"« {doc.title[:60]} »")
    if doc.date:
        parts.append(t("cli.parse.dated", date=f"{doc.date:%d/%m/%Y}"))
    return ", ".join(parts)
