"""Directory commands: import the public RPPS / MSSanté extractions, search practitioners.

The directory is public reference data kept unencrypted in ``<profile>/directory/``: these commands need the
profile folder only, never the passphrase.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tui.i18n import t

if TYPE_CHECKING:
    from core.mailroom import PublicDirectory


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("directory", help="annuaire des professionnels de santé (RPPS, MSSanté)")
    dsub = p.add_subparsers(dest="directory_command", metavar="ACTION")

    q = dsub.add_parser(
        "import",
        help="importer les extractions publiques RPPS et/ou MSSanté (.txt, .csv ou .zip)",
    )
    q.add_argument(
        "files", nargs="+", metavar="FILE", help="PS_LibreAcces…, Extraction_Correspondance_MSSante…"
    )
    q.add_argument("--json", action="store_true", help="bilan en JSON")
    q.set_defaults(func=cmd_import)

    q = dsub.add_parser(
        "search", help="chercher un praticien (nom, prénom, spécialité, ville, code postal, RPPS)"
    )
    q.add_argument("text", nargs="+", metavar="TEXT", help="nom, spécialité, ville ou RPPS")
    q.add_argument("--json", action="store_true", help="un tableau JSON")
    q.add_argument("--limit", type=int, default=20, help="nombre maximal de réponses (défaut 20)")
    q.set_defaults(func=cmd_search)

    q = dsub.add_parser("info", help="ce que contient l'annuaire importé")
    q.set_defaults(func=cmd_info)

    q = dsub.add_parser(
        "update", help="télécharger les extractions publiques (TLS vérifié, seulement si elles ont changé)"
    )
    q.add_argument(
        "--url",
        action="append",
        metavar="URL",
        help="adresse d'une extraction (répétable ; défaut : [lists])",
    )
    q.add_argument("--ca-file", metavar="PEM", help="autorités du serveur (IGC Santé), sinon le système")
    q.set_defaults(func=cmd_update)


def _directory(ctx: Any) -> PublicDirectory:
    from core.mailroom import PublicDirectory

    return PublicDirectory(ctx.profile_dir)


class _Bar:
    """A one-line progress bar on stderr (only when stderr is a terminal)."""

    def __init__(self) -> None:
        self.last = -1

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "index":
            sys.stderr.write("\r" + t("cli.directory.indexing") + " " * 40 + "\r")
        else:
            pct = int(100 * done / total) if total else 100
            if pct == self.last:
                return
            self.last = pct
            filled = pct * 30 // 100
            sys.stderr.write(
                f"\r{t('cli.directory.reading')} [{'#' * filled}{'.' * (30 - filled)}] {pct:3d} %"
            )
        sys.stderr.flush()

    def end(self) -> None:
        sys.stderr.write("\r" + " " * 50 + "\r")
        sys.stderr.flush()


def cmd_import(args: argparse.Namespace, ctx: Any) -> int:
    bar = _Bar() if sys.stderr.isatty() else None
    try:
        report = _directory(ctx).import_files(args.files, progress=bar)
    finally:
        if bar is not None:
            bar.end()
    if args.json:
        ctx.print_json(report.to_json())
        return 0
    print(report.summary())
    for sample in report.bad_samples[:5]:
        print(t("cli.directory.rejected_line", sample=sample), file=sys.stderr)
    if report.bad_lines > len(report.bad_samples[:5]):
        print(t("cli.directory.rejected_total", count=report.bad_lines), file=sys.stderr)
    for member in report.skipped_members:
        print(t("cli.directory.skipped", member=member), file=sys.stderr)
    return 0


def cmd_search(args: argparse.Namespace, ctx: Any) -> int:
    entries = _directory(ctx).search(" ".join(args.text), limit=args.limit)
    if args.json:
        ctx.print_json([e.to_json() for e in entries])
        return 0
    if not entries:
        print(t("cli.directory.none_found"), file=sys.stderr)
        return 0
    for e in entries:
        rpps = f"[{e.rpps}] " if e.rpps else ""
        print(f"{rpps}{e.display_name()}")
        for address in e.mssante:
            print(f"    {address}")
    return 0


def cmd_update(args: argparse.Namespace, ctx: Any) -> int:
    bar = _Bar() if sys.stderr.isatty() else None
    try:
        result = _directory(ctx).update(args.url, args.ca_file, bar)
    finally:
        if bar is not None:
            bar.end()
    print(result.message)
    return 0


def cmd_info(args: argparse.Namespace, ctx: Any) -> int:
    directory = _directory(ctx)
    stats = directory.stats()
    age = directory.download_info()
    if not stats:
        print(t("cli.directory.empty"))
        return 0
    if age["checked"]:
        print(t("cli.directory.downloaded", updated=age["updated_age"], checked=age["checked_age"]))
    print(
        t(
            "cli.directory.imported",
            at=stats.get("imported_at", "?"),
            files=stats.get("files", "?"),
            practitioners=stats.get("practitioners", "?"),
            addresses=stats.get("addresses", "?"),
        )
    )
    return 0
