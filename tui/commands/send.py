"""``missive send``, ``missive outbox list|flush`` and ``missive daemon``: thin front ends of the façade."""

from __future__ import annotations

import argparse
import mimetypes
import sys
import time
from pathlib import Path
from typing import Any

from core.errors import BadInput, NotFound
from core.model import Attachment, Draft
from tui.i18n import t


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "send",
        parents=[common],
        help="envoyer un message (texte depuis --body-file ou l'entrée standard)",
        description=(
            "Compose la lettre, la signe et la chiffre selon la politique de confiance, la met dans la "
            "boîte d'envoi, puis l'envoie en SMTP sur TLS."
        ),
    )
    p.add_argument("--to", action="append", default=[], metavar="ADDR", help="destinataire (répétable)")
    p.add_argument(
        "--patient",
        action="append",
        default=[],
        metavar="ID",
        help="un patient de votre liste : sa boîte Mon espace santé, depuis son INS qualifiée (répétable)",
    )
    p.add_argument(
        "--fin",
        dest="end_conversation",
        action="store_true",
        help="fin de la conversation : le patient ne peut pas répondre",
    )
    p.add_argument(
        "--melange-patient-confrere",
        dest="confirm_mixed",
        action="store_true",
        help="confirmer une lettre adressée à la fois à un patient et à un confrère",
    )
    p.add_argument("--cc", action="append", default=[], metavar="ADDR", help="copie (répétable)")
    p.add_argument("--subject", required=True, help="objet")
    p.add_argument("--body-file", metavar="FILE", help="texte du message (UTF-8); sinon l'entrée standard")
    p.add_argument("--attach", action="append", default=[], metavar="FILE", help="pièce jointe (répétable)")
    p.add_argument("--account", metavar="NAME", help="compte d'envoi (défaut : le premier)")
    p.add_argument("--json", action="store_true", help="résultat en JSON")
    p.add_argument(
        "--accuse-lecture",
        dest="read_receipt",
        action="store_true",
        help="demander un accusé de lecture (MDN)",
    )
    p.set_defaults(func=cmd_send)

    outbox = sub.add_parser("outbox", parents=[common], help="boîte d'envoi (messages en attente)")
    osub = outbox.add_subparsers(dest="outbox_command", metavar="COMMAND")
    lp = osub.add_parser("list", parents=[common], help="messages en attente d'envoi")
    lp.add_argument("--json", action="store_true", help="un objet JSON par ligne")
    lp.set_defaults(func=cmd_outbox_list)
    fp = osub.add_parser("flush", parents=[common], help="envoyer maintenant ce qui est dû")
    fp.add_argument(
        "--all", action="store_true", help="tout réessayer maintenant, y compris les échecs définitifs"
    )
    fp.add_argument("--json", action="store_true", help="compte rendu en JSON")
    fp.set_defaults(func=cmd_outbox_flush)
    op = osub.add_parser(
        "send", parents=[common], help="envoyer maintenant une lettre de la boîte d'envoi (en échec aussi)"
    )
    op.add_argument("id", metavar="ID", help="l'identifiant de la lettre (missive outbox list)")
    op.set_defaults(func=cmd_outbox_send)
    wp = osub.add_parser(
        "withdraw",
        parents=[common],
        help="retirer une lettre de la boîte d'envoi : elle ne part pas, elle est gardée dans Brouillons",
    )
    wp.add_argument("id", metavar="ID", help="l'identifiant de la lettre (missive outbox list)")
    wp.set_defaults(func=cmd_outbox_withdraw)
    vp = osub.add_parser("show", parents=[common], help="afficher une lettre telle qu'elle partira")
    vp.add_argument("id", metavar="ID", help="l'identifiant de la lettre (missive outbox list)")
    vp.set_defaults(func=cmd_outbox_show)
    sp = osub.add_parser(
        "sent", parents=[common], help="lettres envoyées : remis, lu, échec par destinataire"
    )
    sp.add_argument("--json", action="store_true", help="un objet JSON par lettre")
    sp.add_argument("--limit", type=int, default=50, help="nombre de lettres (défaut 50, les plus récentes)")
    sp.set_defaults(func=cmd_outbox_sent)

    dp = sub.add_parser(
        "daemon",
        parents=[common],
        help="relever en continu (IDLE), envoyer la boîte d'envoi, classer, notifier",
        description="Runs until SIGTERM or Ctrl+C.",
    )
    dp.add_argument(
        "--every",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="intervalle des tâches périodiques : dossier surveillé, classement (défaut : 10)",
    )
    dp.set_defaults(func=cmd_daemon)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(t("cli.daemon.every_number", text=repr(text))) from None
    if not 0.2 <= value <= 3600:
        raise argparse.ArgumentTypeError(t("cli.daemon.every_range"))
    return value


def _read_body(args: argparse.Namespace) -> str:
    from core.mailroom import read_input, read_standard_input  # bounded: a huge file or a FIFO is one line

    if args.body_file:
        try:
            raw = read_input(args.body_file, "message")
        except NotFound as exc:  # a bad argument, as every other one of send: exit 2
            raise BadInput(str(exc)) from None
    else:
        if sys.stdin is None or sys.stdin.isatty():
            raise BadInput(t("cli.send.no_body"))
        raw = read_standard_input(sys.stdin.buffer, "message")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(t("cli.send.not_utf8")) from None


def _read_attachments(paths: list[str]) -> tuple[Attachment, ...]:
    from core.mailroom import read_input

    out = []
    for name in paths:
        path = Path(name)
        try:
            data = read_input(path, "attachment")  # at most 25 MB, a regular file: else one line
        except NotFound as exc:
            raise BadInput(str(exc)) from None
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        out.append(Attachment(filename=path.name, content_type=ctype, data=data))
    return tuple(out)


def cmd_send(args: argparse.Namespace, ctx: Any) -> int:
    import asyncio  # in each handler: the other commands and --help do without it

    mailroom = ctx.mailroom()
    patients = tuple(mailroom.patient_mail_address(pid) for pid in getattr(args, "patient", []))
    if not args.to and not patients:
        raise BadInput(t("cli.send.no_recipient"))
    draft = Draft(
        to=(*args.to, *patients),
        cc=tuple(args.cc),
        subject=args.subject,
        body=_read_body(args),
        attachments=_read_attachments(args.attach),
        account=args.account,
        read_receipt=bool(getattr(args, "read_receipt", False)),
        end_conversation=bool(getattr(args, "end_conversation", False)),
        confirm_mixed=bool(getattr(args, "confirm_mixed", False)),
    )
    delivery = asyncio.run(mailroom.send(draft))
    if args.json:
        ctx.print_json(
            {
                "message_id": delivery.message_id,
                "outcome": delivery.outcome,
                "refused": len(delivery.refused),
                "warning": delivery.error,
            }
        )
    else:
        print(t("cli.send.sent", id=delivery.message_id))
        if delivery.refused:
            print(t("cli.send.refused", count=len(delivery.refused)), file=sys.stderr)
        if delivery.error:
            print(t("cli.send.warning", error=delivery.error), file=sys.stderr)
    return 0


def cmd_outbox_list(args: argparse.Namespace, ctx: Any) -> int:
    from core.model import printable

    entries = ctx.mailroom().outbox_entries()
    if args.json:
        for entry in entries:
            ctx.print_json(entry.to_json())
        return 0
    if not entries:
        print(t("cli.outbox.empty"))
        return 0
    for e in entries:
        when = time.strftime("%d/%m %H:%M", time.localtime(e.next_try)) if e.state == "queued" else ""
        line = (
            f"{e.id}  {e.state:<8} "
            + t(
                "cli.outbox.line",
                attempts=f"{e.attempts:<2}",
                when=f"{when:<11}",
                recipients=len(e.recipients),
                size=f"{e.size / 1024:,.0f}",
            )
            + f"  {e.subject[:50]}"
        )
        print(printable(line, one_line=True))  # the subject, and the server's words below: no terminal command
        if e.last_error:
            print(printable(f"    {e.last_error}", one_line=True))
    return 0


def cmd_outbox_sent(args: argparse.Namespace, ctx: Any) -> int:
    """Sent letters, newest first, with each recipient's delivery/read status."""
    letters = ctx.mailroom().sent_list(args.limit)
    if args.json:
        for letter in letters:
            ctx.print_json(letter.to_json())
        return 0
    if not letters:
        print(t("cli.outbox.none_sent"))
        return 0
    from core.model import printable  # a report's words are its sender's: no terminal command

    for letter in letters:
        when = letter.sent_at.astimezone().strftime("%d/%m/%Y %H:%M") if letter.sent_at else "?"
        print(printable(f"{when}  {letter.subject[:60]}", one_line=True))
        for r in letter.recipients:
            print(printable(f"    {r.address} — {r.to_json()['text']}", one_line=True))
    return 0


def cmd_outbox_flush(args: argparse.Namespace, ctx: Any) -> int:
    import asyncio

    mailroom = ctx.mailroom()
    report = asyncio.run(mailroom.flush_outbox(force=args.all))
    if args.json:
        ctx.print_json(report.to_json())
    else:
        print(
            t(
                "cli.outbox.flushed",
                sent=report.sent,
                waiting=report.queued + report.busy,
                failed=report.failed,
            )
        )
    return 1 if report.failed or report.queued else 0


def cmd_outbox_send(args: argparse.Namespace, ctx: Any) -> int:
    """One letter now, whatever its state (the doctor names it: a refused one once the cause is fixed)."""
    import asyncio

    report = asyncio.run(ctx.mailroom().send_outgoing(args.id))
    print(t("cli.outbox.flushed", sent=report.sent, waiting=report.queued + report.busy, failed=report.failed))
    if not report.sent:
        from core.model import printable

        for letter in ctx.mailroom().outbox_letters():
            if letter.id == args.id and letter.reason:  # why it did not leave, in the core's words
                print(printable(f"    {letter.reason}", one_line=True))
    return 0 if report.sent else 1


def cmd_outbox_withdraw(args: argparse.Namespace, ctx: Any) -> int:
    draft_id = ctx.mailroom().withdraw_outgoing(args.id, actor="cli")
    print(t("cli.outbox.withdrawn", draft=draft_id))
    return 0


def cmd_outbox_show(args: argparse.Namespace, ctx: Any) -> int:
    from core.model import local_time, printable

    view = ctx.mailroom().outgoing_view(args.id, actor="cli")
    print(t("cli.show.from", sender=view.sender))
    print(t("cli.show.to", to=", ".join(view.to)))
    if view.cc:
        print(t("cli.show.cc", cc=", ".join(view.cc)))
    when = local_time(view.date)
    print(t("cli.outbox.queued", date=when.strftime("%d/%m/%Y %H:%M") if when else "?"))
    print(t("cli.show.subject", subject=view.subject))
    for a in view.attachments:
        print(printable(t("cli.show.attachment", name=a.filename, type=a.content_type, size=len(a.data))))
    print()
    print(view.body)
    return 0


def cmd_daemon(args: argparse.Namespace, ctx: Any) -> int:
    import asyncio

    mailroom = ctx.mailroom()

    from core.model import PscBinding, TaskTrouble, printable

    def tell(event: Any) -> None:
        # A Pro Santé Connect login asked again by the daemon: the code to compare on the phone.
        if isinstance(event, PscBinding):
            print(f"missive daemon : {event.account} : {event.message}", file=sys.stderr, flush=True)
        elif isinstance(event, TaskTrouble):  # the watched folder missing...: said once, in the core's words
            print(f"missive daemon : {printable(event.reason, one_line=True)}", file=sys.stderr, flush=True)

    mailroom.subscribe(tell)

    def started() -> None:  # once it holds the profile (a second daemon of it stops with the core's line)
        print(t("cli.daemon.started"), file=sys.stderr, flush=True)

    try:
        asyncio.run(mailroom.run_daemon(args.every, started=started))
    except KeyboardInterrupt:  # Windows: no signal handlers, Ctrl+C arrives as an exception
        pass
    print(t("cli.daemon.stopped"), file=sys.stderr, flush=True)
    return 0
