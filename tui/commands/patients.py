"""``missive patients import|remove|list`` and ``missive match PATH...``: the practice's patients and matching."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.model import MatchResult, Patient, ReadResult


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``patients`` (import, remove, list) and ``match``."""
    p = sub.add_parser("patients", parents=[common], help="patients du cabinet : import CSV, liste")
    psub = p.add_subparsers(dest="patients_command", metavar="ACTION", parser_class=type(p))
    imp = psub.add_parser(
        "import",
        parents=[common],
        help="importer (ou mettre à jour par id) les patients d'un CSV exporté du logiciel métier",
        description="En-tête attendu : id,birth_name,used_name,given_names,birth_date,sex,ins "
        "(UTF-8 ; prénoms séparés par des espaces ; date AAAA-MM-JJ ou JJ/MM/AAAA ; sexe M/F/U).",
    )
    imp.add_argument("file", metavar="FILE.csv", help="le fichier CSV")
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="SOURCE=TARGET",
        help="renommer une colonne du fichier, ex. --map NOM=birth_name (répétable)",
    )
    imp.add_argument("--json", action="store_true", help="le bilan en JSON")
    imp.set_defaults(func=import_command)
    rem = psub.add_parser(
        "remove",
        parents=[common],
        help="retirer des patients par id (dossier supprimé ou fusionné dans le logiciel métier)",
        description="Tous ou aucun : un id inconnu n'en retire aucun. Les documents déjà classés pour eux gardent "
        "leur id ; un résultat à leur nom attendra dans À classer. Chaque retrait est inscrit au journal d'audit.",
    )
    rem.add_argument("ids", nargs="+", metavar="ID", help="l'id du patient (celui du logiciel métier)")
    rem.set_defaults(func=remove_command)
    lst = psub.add_parser("list", parents=[common], help="lister les patients")
    lst.add_argument("--json", action="store_true", help="un objet JSON par patient et par ligne")
    lst.set_defaults(func=list_command)

    m = sub.add_parser(
        "match",
        parents=[common],
        help="lire des comptes rendus et trouver le patient de chacun (auto, à vérifier, nouveau)",
    )
    m.add_argument("paths", nargs="+", metavar="PATH", help="fichier ou dossier (parcouru, trié)")
    m.add_argument("--json", action="store_true", help="un objet JSON par fichier et par ligne")
    m.set_defaults(func=match_command)


def import_command(args: argparse.Namespace, ctx: Any) -> int:
    """Import a CSV into the profile's patients; all rows or none."""
    from core.mailroom import parse_column_mapping

    mapping = parse_column_mapping(args.map)  # checked before asking for the passphrase
    report = ctx.mailroom().import_patients(Path(args.file), mapping)
    if args.json:
        ctx.print_json(report.to_json())
    else:
        from tui.i18n import t

        line = t(
            "cli.patients.imported",
            total=report.total,
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
        )
        sys.stdout.write(line + "\n")
    for warning in report.warnings():  # one person under two ids: one line per pair, the JSON's same_person
        sys.stderr.write(f"missive : {warning}\n")
    return 0


def remove_command(args: argparse.Namespace, ctx: Any) -> int:
    """Remove patients by id; all of them or none."""
    from tui.i18n import t

    removed = ctx.mailroom().remove_patients(args.ids)
    sys.stdout.write(t("cli.patients.removed", count=len(removed), ids=", ".join(removed)) + "\n")
    return 0


def list_command(args: argparse.Namespace, ctx: Any) -> int:
    """Every patient, one per line."""
    for patient in ctx.mailroom().list_patients():
        if args.json:
            ctx.print_json(patient.to_json())
        else:
            sys.stdout.write(_patient_line(patient) + "\n")
    return 0


def match_command(args: argparse.Namespace, ctx: Any) -> int:
    """Read each file and match each of its documents; exit 1 when any file could not be read."""
    from tui.commands.clinical import envelope_line, report_files

    match = ctx.mailroom().match_document  # the filing path's decision (a container naming another patient)

    def documents_json(result: ReadResult) -> list[dict[str, Any]]:
        return [{"identity": d.identity.to_json(), **match(d).to_json()} for d in result.documents]

    def text(path: Path, result: ReadResult) -> str:
        lines = []
        for d in result.documents:
            found = match(d)
            lines.append(f"  - {_match_line(found)}")
            if found.conflict:
                lines.append(f"    {envelope_line(d)}")
        from tui.i18n import t

        return "\n".join([t("cli.match.file", path=path, count=len(result.documents)), *lines])

    return report_files(args, ctx, documents_json, text)


def _patient_line(p: Patient) -> str:
    from tui.i18n import t

    name = p.birth_name + (t("cli.patients.used_name", name=p.used_name) if p.used_name else "")
    born = f"{p.birth_date:%d/%m/%Y}" if p.birth_date else "?"
    return "  ".join(x for x in (p.id, name, " ".join(p.given_names), born, p.sex, p.ins or "") if x)


def _match_line(m: MatchResult) -> str:
    from tui.i18n import core_text, t

    if m.decision == "auto":
        return t("cli.match.auto", patient=m.patient_id, score=f"{m.candidates[0].score:.2f}")
    if not m.candidates:  # nobody proposed: the core's words, those À classer shows for the same document
        return m.no_candidate or t("cli.match.new")
    shown = ", ".join(
        f"{c.patient_id} ({c.score:.2f} : {', '.join(core_text(r) for r in c.reasons[:3])})"
        for c in m.candidates
    )
    return t("cli.match.review", candidates=shown)
