"""``missive file``, ``missive documents list|undo|reject|dealt`` and ``missive filing presets``.

Thin front ends of the façade's document queue (``Mailroom.queued_documents``, ``file_queued``...) and of its
filing presets (``core.mailroom.filing_presets``). Listings show ids, decisions and states, never the patient's identity.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``file``, ``documents`` (list, undo, reject) and ``filing`` (presets)."""
    f = sub.add_parser(
        "file",
        parents=[common],
        help="classer un document en attente dans le dossier d'import du logiciel métier",
    )
    f.add_argument("document_id", metavar="DOCUMENT_ID", help="l'id donné par `missive documents list`")
    f.add_argument("--patient", required=True, metavar="ID", help="l'id du patient dans le logiciel métier")
    f.add_argument("--json", action="store_true", help="le résultat en JSON")
    f.set_defaults(func=file_command)

    d = sub.add_parser("documents", parents=[common], help="documents reçus : liste, annuler un classement")
    dsub = d.add_subparsers(dest="documents_command", metavar="ACTION", parser_class=type(d))
    lst = dsub.add_parser("list", parents=[common], help="documents en attente, classés et doublons")
    lst.add_argument("--all", action="store_true", help="aussi les documents écartés")
    lst.add_argument("--json", action="store_true", help="un objet JSON par document et par ligne")
    lst.set_defaults(func=list_command)
    undo = dsub.add_parser(
        "undo",
        parents=[common],
        help="retirer un document classé du dossier d'import (mis en quarantaine) et le remettre à classer",
    )
    undo.add_argument("document_id", metavar="DOCUMENT_ID", help="l'id donné par `missive documents list`")
    undo.add_argument("--json", action="store_true", help="le résultat en JSON")
    undo.set_defaults(func=undo_command)
    rej = dsub.add_parser("reject", parents=[common], help="écarter un document en attente (non classé)")
    rej.add_argument("document_id", metavar="DOCUMENT_ID", help="l'id donné par `missive documents list`")
    rej.add_argument("--json", action="store_true", help="le résultat en JSON")
    rej.set_defaults(func=reject_command)
    dealt = dsub.add_parser(
        "dealt",
        parents=[common],
        help=(
            "marquer traité un fichier illisible (ouvert dans la lettre, redemandé à l'expéditeur) : jamais classé ;"
            " ou vérifié un document classé dont le signataire s'est révélé révoqué : il reste classé"
        ),
    )
    dealt.add_argument("document_id", metavar="DOCUMENT_ID", help="l'id donné par `missive documents list`")
    dealt.add_argument("--json", action="store_true", help="le résultat en JSON")
    dealt.set_defaults(func=dealt_command)

    fl = sub.add_parser("filing", parents=[common], help="classement : préréglages des logiciels métier")
    fsub = fl.add_subparsers(dest="filing_command", metavar="ACTION", parser_class=type(fl))
    pre = fsub.add_parser("presets", parents=[common], help="lister les préréglages (dossier, nom, encodage)")
    pre.add_argument("--json", action="store_true", help="un objet JSON par préréglage et par ligne")
    pre.set_defaults(func=presets_command)


def _row(doc: Any, notes: tuple[str, ...] = ("", "")) -> str:
    from tui.i18n import t

    known = ("waiting", "filing", "filed", "rejected", "duplicate", "unreadable", "dealt")
    state = t(f"cli.state.{doc.state}") if doc.state in known else doc.state
    patient = doc.patient_id or "-"
    line = f"{doc.id}  {state:<10} {doc.decision:<7} {doc.format:<10} patient={patient}"
    # a duplicate: which document stands for it and where that one is; a new version: what it is to the earlier
    return "".join([line, *(f" — {note}" for note in notes if note)])


def _show_decision(args: argparse.Namespace, ctx: Any, doc: Any, line: str, **extra: Any) -> int:
    """What file, undo and reject print: the document as JSON (with ``extra``), or ``line``."""
    if args.json:
        ctx.print_json({**doc.to_json(), **extra})
    else:
        print(line)
    return 0


def file_command(args: argparse.Namespace, ctx: Any) -> int:
    from tui.i18n import t

    doc = ctx.mailroom().file_queued(args.document_id, args.patient, actor="cli")
    return _show_decision(
        args, ctx, doc, t("cli.file.filed", id=doc.id, name=Path(doc.filed_path or "").name)
    )


def list_command(args: argparse.Namespace, ctx: Any) -> int:
    mailroom = ctx.mailroom()
    docs = mailroom.queued_documents(include_rejected=args.all)
    if args.json:
        for doc in docs:
            ctx.print_json(doc.to_json())
        return 0
    notice = mailroom.filing_notice()  # no import folder: nothing is filed (the core's words, how to set it)
    if notice:
        print(f"⚠ {notice}", file=sys.stderr)
    if not docs:
        from tui.i18n import t

        print(t("cli.documents.none"))
        return 0
    for doc in docs:
        notes = mailroom.document_notes(doc.id) if doc.duplicate_of or doc.version_of else ("", "")
        if doc.unreadable and doc.state != "duplicate":  # what could not be read (the core's words), what to do
            from tui.i18n import t

            key = "cli.documents.unreadable_todo" if doc.hand_fileable else "cli.documents.unreadable_todo_nofile"
            todo = t(key, id=doc.id) if doc.state == "unreadable" else ""
            notes = (*notes, mailroom.unreadable_note(doc.id), todo)
        if doc.state == "filed" and doc.signer_revoked == "check":  # filed, then its signer found revoked
            from tui.i18n import t

            notes = (*notes, mailroom.revoked_note(doc.id), t("cli.documents.revoked_todo", id=doc.id))
        if doc.state == "waiting":  # why it waits, in the core's one line (what À classer shows for it)
            why = mailroom.waiting_note(doc.id)
            if why:
                notes = (*notes, f"⚠ {why}")
        print(_row(doc, notes))
    return 0


def undo_command(args: argparse.Namespace, ctx: Any) -> int:
    from tui.i18n import t

    doc, undone = ctx.mailroom().undo_queued(args.document_id, actor="cli")
    line = t("cli.file.undone" if undone == "filing" else f"cli.file.undone_{undone}", id=doc.id)
    return _show_decision(args, ctx, doc, line, undone=undone)


def reject_command(args: argparse.Namespace, ctx: Any) -> int:
    from tui.i18n import t

    doc = ctx.mailroom().reject_queued(args.document_id, actor="cli")
    # (a file that could not be read is marked dealt with, never set aside: the core's decision)
    said = "cli.file.checked" if doc.state == "filed" else "cli.file.dealt" if doc.state == "dealt" else "cli.file.rejected"
    return _show_decision(args, ctx, doc, t(said, id=doc.id))


def dealt_command(args: argparse.Namespace, ctx: Any) -> int:
    from tui.i18n import t

    doc = ctx.mailroom().dealt_queued(args.document_id, actor="cli")
    # a filed document whose letter's signer turned out revoked: checked, still filed
    return _show_decision(args, ctx, doc, t("cli.file.checked" if doc.state == "filed" else "cli.file.dealt", id=doc.id))


def presets_command(args: argparse.Namespace, ctx: Any) -> int:
    """No profile needed: the presets are part of missive."""
    from core.mailroom import filing_presets
    from tui.i18n import t

    for p in filing_presets():
        if args.json:
            ctx.print_json(p.to_json())
            continue
        verified = t("cli.presets.verified" if p.verified else "cli.presets.unverified")
        line = t(
            "cli.presets.line",
            folder=p.folder,
            name=f"{p.template}{p.extension}",
            encoding=p.encoding,
            verified=verified,
        )
        label = t("presets.generic") if p.key == "generic" else p.name  # the others are programs' names
        sys.stdout.write(f"{p.key:<20} {label:<36} {line}\n")
    if not args.json:
        sys.stdout.write("\n" + t("cli.presets.footer") + "\n")
    return 0
