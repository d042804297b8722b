"""``missive account ...``, ``missive sync``, ``missive messages list|show|receipt``, and what the doctor does
to a message: ``missive messages flag|unflag|seen|unseen|move|archive|delete``."""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import BadInput
from tui.i18n import t

if TYPE_CHECKING:
    from core.model import ReviewItem, SignatureStatus


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    acc = sub.add_parser("account", help="comptes de messagerie (MSSanté IMAP/SMTP ou Maildir local)")
    acc_sub = acc.add_subparsers(dest="account_command", metavar="ACTION")
    add = acc_sub.add_parser(
        "add", help="ajouter un compte (mot de passe : MISSIVE_ACCOUNT_PASSWORD ou demandé)"
    )
    add.add_argument("name", help="nom court du compte (cabinet, ...)")
    add.add_argument("--email", required=True, help="adresse MSSanté de la boîte")
    add.add_argument("--imap", metavar="HOST:PORT", help="serveur IMAP (défaut : trouvé par DNS)")
    add.add_argument("--smtp", metavar="HOST:PORT", help="serveur SMTP (défaut : trouvé par DNS)")
    add.add_argument("--user", help="identifiant de connexion (défaut : l'adresse)")
    add.add_argument(
        "--imap-security", choices=["starttls", "tls"], help="défaut : starttls, ou ce que trouve DNS"
    )
    add.add_argument(
        "--smtp-security", choices=["starttls", "tls"], help="défaut : starttls, ou ce que trouve DNS"
    )
    add.add_argument("--ca-file", metavar="PEM", help="autorités des serveurs (IGC Santé), sinon le système")
    add.add_argument("--client-cert", metavar="P12", help="certificat logiciel de connexion (.p12)")
    add.add_argument("--xoauth2-command", metavar="CMD", help="commande qui affiche un jeton d'accès")
    add.add_argument("--maildir", metavar="DIR", help="un Maildir local (mbsync...) au lieu d'IMAP/SMTP")
    add.add_argument(
        "--mss-nil", metavar="REF", help="référence NIL de la boîte MSSanté, si l'opérateur en donne une"
    )
    add.add_argument(
        "--max-message-mb",
        type=int,
        metavar="MO",
        help="taille maximale d'un message téléchargé (défaut : 50 ; 0 : sans limite) ; au-delà, ses en-têtes seuls",
    )
    add.add_argument(
        "--auth",
        choices=["password", "psc", "certificate", "command"],
        help="connexion : mot de passe, Pro Santé Connect (application e-CPS), certificat, commande de jeton",
    )
    add.add_argument(
        "--sasl", choices=["xoauth2", "oauthbearer"], help="mécanisme du jeton (défaut : XOAUTH2)"
    )
    add.add_argument(
        "--psc-issuer", metavar="URL", help="adresse de Pro Santé Connect (défaut : [psc] issuer)"
    )
    add.add_argument(
        "--psc-client-id", metavar="ID", help="identifiant du logiciel chez PSC (défaut : [psc])"
    )
    add.add_argument(
        "--psc-client-cert",
        metavar="P12",
        help="certificat du logiciel pour PSC (sinon MISSIVE_PSC_CLIENT_SECRET)",
    )
    add.add_argument("--psc-ca-file", metavar="PEM", help="autorités des serveurs PSC (défaut : système)")
    add.add_argument(
        "--psc-id", metavar="ID", help="votre identifiant national (défaut : 8 + [practitioner] rpps)"
    )
    add.add_argument("--no-login", action="store_true", help="ne pas lancer la connexion PSC tout de suite")
    add.set_defaults(func=account_add)
    login = acc_sub.add_parser(
        "login", help="se connecter avec Pro Santé Connect (validation sur l'application e-CPS)"
    )
    login.add_argument("name", help="nom du compte (missive account list)")
    login.set_defaults(func=account_login)
    lst = acc_sub.add_parser("list", help="lister les comptes (sans secrets)")
    lst.add_argument("--json", action="store_true", help="un objet JSON par compte et par ligne")
    lst.set_defaults(func=account_list)
    rm = acc_sub.add_parser("remove", help="supprimer un compte et son cache local")
    rm.add_argument("name", help="nom du compte (missive account list)")
    rm.set_defaults(func=account_remove)

    sync = sub.add_parser("sync", help="synchroniser les dossiers (IMAP ou Maildir)")
    sync.add_argument("--account", metavar="NAME", help="un seul compte (défaut : tous)")
    sync.set_defaults(func=sync_cmd)

    msgs = sub.add_parser("messages", help="messages reçus")
    msgs_sub = msgs.add_subparsers(dest="messages_command", metavar="ACTION")
    ml = msgs_sub.add_parser("list", help="lister les messages (une ligne JSON par message avec --json)")
    ml.add_argument(
        "--folder", help="un dossier (INBOX, ...) ou Quarantaine : le courrier hors espace de confiance"
    )
    ml.add_argument("--account", metavar="NAME", help="un seul compte (défaut : tous)")
    ml.add_argument("--json", action="store_true", help="un objet JSON par message et par ligne")
    ml.set_defaults(func=messages_list)
    ms = msgs_sub.add_parser("show", help="afficher un message (texte lisible, déchiffré si possible)")
    ms.add_argument("id", help="l'id donné par `missive messages list` (son début suffit)")
    ms.add_argument("--json", action="store_true", help="en-têtes, documents et accusés en JSON")
    ms.set_defaults(func=messages_show)
    mr_ = msgs_sub.add_parser("receipt", help="envoyer l'accusé de lecture qu'un message demande")
    mr_.add_argument("id", help="l'id donné par `missive messages list` (son début suffit)")
    mr_.set_defaults(func=messages_receipt)
    for action, words in (
        ("flag", "marquer le message important (⚑), ici et sur le serveur"),
        ("unflag", "retirer la marque « important »"),
        ("seen", "marquer le message lu"),
        ("unseen", "marquer le message non lu"),
        ("archive", "archiver le message (dossier Archives du compte, créé s'il manque)"),
    ):
        op = msgs_sub.add_parser(action, help=words)
        op.add_argument("id", help="l'id donné par `missive messages list` (son début suffit)")
        op.set_defaults(func=messages_op)
    mm = msgs_sub.add_parser("move", help="déplacer le message dans un dossier de son compte")
    mm.add_argument("id", help="l'id donné par `missive messages list` (son début suffit)")
    mm.add_argument("folder", metavar="DOSSIER", help="un dossier du compte (INBOX, Trash, Archive…)")
    mm.set_defaults(func=messages_op)
    md = msgs_sub.add_parser(
        "delete", help="mettre le message à la Corbeille ; dans la Corbeille, le supprimer définitivement"
    )
    md.add_argument("id", help="l'id donné par `missive messages list` (son début suffit)")
    md.add_argument(
        "--for-good",
        action="store_true",
        help="confirmer la suppression définitive d'un message déjà dans la Corbeille",
    )
    md.set_defaults(func=messages_op)


def account_add(args: argparse.Namespace, ctx: Any) -> int:
    from core.mailroom import check_client_certificate, host_port, new_account

    fields: dict[str, Any] = {"name": args.name, "email": args.email, "mss_nil": args.mss_nil}
    if args.max_message_mb is not None:
        if args.max_message_mb < 0:
            raise BadInput(t("cli.account.max_message_mb"))
        fields["max_message_mb"] = args.max_message_mb
    if args.maildir:
        fields.update(kind="maildir", maildir=str(Path(args.maildir).expanduser().resolve()))
    else:
        if not args.imap or not args.smtp:
            _autoconfigure(args, ctx)  # fills what the flags left out, from DNS SRV or the usual names
        imap_security = args.imap_security or "starttls"
        smtp_security = args.smtp_security or "starttls"
        imap_default = 993 if imap_security == "tls" else 143
        smtp_default = 465 if smtp_security == "tls" else 587
        imap_host, imap_port = host_port(args.imap, imap_default, "--imap")
        smtp_host, smtp_port = host_port(args.smtp, smtp_default, "--smtp")
        fields.update(
            kind="imap",
            imap_host=imap_host,
            imap_port=imap_port,
            imap_security=imap_security,
            smtp_host=smtp_host,
            smtp_port=smtp_port,
            smtp_security=smtp_security,
            user=args.user or args.email,
            ca_file=str(Path(args.ca_file).expanduser().resolve()) if args.ca_file else None,
            xoauth2_command=args.xoauth2_command,
            auth=args.auth or "",
            sasl=args.sasl or "",
        )
        if args.client_cert:
            from core.mailroom import read_input

            data = read_input(Path(args.client_cert).expanduser(), "keys")
            fields["client_cert_p12"] = base64.b64encode(data).decode()
            fields["client_cert_password"] = ctx.secret(
                "MISSIVE_CLIENT_CERT_PASSWORD", t("cli.account.cert_password")
            )
            check_client_certificate(
                data, fields["client_cert_password"]
            )  # refuse a bad file now, not at sync
        if args.auth == "psc":
            fields.update(_psc_fields(args, ctx))
        elif not args.xoauth2_command and args.auth != "certificate":
            fields["password"] = ctx.secret("MISSIVE_ACCOUNT_PASSWORD", t("cli.account.password"))
    import asyncio

    mr = ctx.mailroom()
    # A PSC account logs in before anything is saved: a refused or unanswered approval leaves no account behind.
    account = asyncio.run(mr.add_account(new_account(**fields), login=not args.no_login, show=_show))
    print(t("cli.account.added", name=account.name))
    root = Path(account.maildir or "")
    if account.kind == "maildir" and not (root / "cur").is_dir() and not (root / "new").is_dir():
        # a typo, or mbsync not run yet: said now rather than at each sync
        sys.stderr.write("missive : " + t("cli.account.not_maildir", path=root, name=account.name) + "\n")
    return 0


def _autoconfigure(args: argparse.Namespace, ctx: Any) -> None:
    """Find the servers of ``args.email`` (SRV, then usual names), test them, print what works; the flags
    given keep their value. Nothing is saved here."""
    import asyncio

    from core.mailroom import find_servers, mail_domain, require_servers

    ca_file = str(Path(args.ca_file).expanduser()) if args.ca_file else None
    print(t("cli.account.searching", domain=mail_domain(args.email)), flush=True)
    found = asyncio.run(find_servers(args.email, ca_file))
    for line in found.report():
        print(f"  {line}")
    require_servers(found)
    assert found.imap is not None and found.smtp is not None
    if not args.imap:
        args.imap = f"{found.imap.candidate.host}:{found.imap.candidate.port}"
        args.imap_security = found.imap.candidate.security
    if not args.smtp:
        args.smtp = f"{found.smtp.candidate.host}:{found.smtp.candidate.port}"
        args.smtp_security = found.smtp.candidate.security
    if args.auth is None and not args.xoauth2_command and not args.client_cert:
        # The servers take only bearer tokens and PSC is configured: log in with the e-CPS app.
        if found.bearer_offered() and ctx.mailroom().settings.psc.issuer:
            args.auth = "psc"
    print(
        t(
            "cli.account.servers",
            imap=args.imap,
            imap_security=args.imap_security,
            smtp=args.smtp,
            smtp_security=args.smtp_security,
        )
    )


def _psc_fields(args: argparse.Namespace, ctx: Any) -> dict[str, Any]:
    """The account's PSC settings: flags first, else [psc] and [practitioner] of profile.toml."""
    settings = ctx.mailroom().settings
    psc = settings.psc
    out: dict[str, Any] = {
        "psc_issuer": args.psc_issuer or psc.issuer,
        "psc_client_id": args.psc_client_id or psc.client_id,
    }
    ca = args.psc_ca_file or psc.ca_file
    if ca:
        out["psc_ca_file"] = str(Path(ca).expanduser().resolve())
    rpps = settings.practitioner.rpps.replace(" ", "")
    out["psc_login_hint"] = args.psc_id or (rpps if len(rpps) == 12 else f"8{rpps}" if rpps else "")
    cert = args.psc_client_cert or psc.client_cert
    if cert:
        from core.mailroom import read_input

        data = read_input(Path(cert).expanduser(), "keys")
        password = ctx.secret("MISSIVE_PSC_CLIENT_CERT_PASSWORD", t("cli.account.psc_cert_password"))
        from core.mailroom import check_client_certificate

        check_client_certificate(data, password)  # refuse a bad file now
        out.update(psc_client_p12=base64.b64encode(data).decode(), psc_client_p12_password=password)
    else:
        out["psc_client_secret"] = ctx.secret("MISSIVE_PSC_CLIENT_SECRET", t("cli.account.psc_secret"))
    return out


def _show(message: str) -> None:
    print(message, flush=True)


def account_login(args: argparse.Namespace, ctx: Any) -> int:
    import asyncio

    asyncio.run(ctx.mailroom().psc_login(args.name, show=_show))
    print(t("cli.account.psc_connected", name=args.name))
    return 0


def account_list(args: argparse.Namespace, ctx: Any) -> int:
    accounts = ctx.mailroom().accounts_public()
    if args.json:
        for a in accounts:
            ctx.print_json(a)
        return 0
    if not accounts:
        print(t("cli.account.none"))
    for a in accounts:
        where = (
            a["maildir"]
            if a["kind"] == "maildir"
            else f"{a['imap_host']}:{a['imap_port']} ({a['imap_security']})"
        )
        print(f"{a['name']}\t{a['email']}\t{a['kind']}\t{where}")
    return 0


def account_remove(args: argparse.Namespace, ctx: Any) -> int:
    dropped = ctx.mailroom().remove_account(args.name)
    print(t("cli.account.removed", name=args.name, dropped=dropped))
    return 0


def sync_cmd(args: argparse.Namespace, ctx: Any) -> int:
    """``missive sync`` (its handler is tui.commands.syncrun's, which a plain sync runs without this module)."""
    from tui.commands.syncrun import sync_cmd as sync

    return sync(args, ctx)


def messages_list(args: argparse.Namespace, ctx: Any) -> int:
    # The folder as the app shows it in either language ("Envoyés", "envoyes", "Quarantaine": the mail from
    # outside the trust space) or its own name: the core resolves it, as it labels the app's folders.
    items, outside = ctx.mailroom().list_messages(args.folder, args.account)
    from core.model import DRAFTS_FOLDER, local_time, printable

    for m in items:
        quarantined = m.id in outside
        if args.json:
            d = m.to_json()
            ctx.print_json(
                {
                    k: d[k]
                    for k in (
                        "id",
                        "folder",
                        "from",
                        "to",
                        "subject",
                        "date",
                        "flags",
                        "size",
                        "encrypted",
                        "signed",
                    )
                }
                | {"account": m.account, "quarantined": quarantined, "filed": m.filed, "too_big": m.too_big}
            )
        else:
            # * unread, Q outside the trust space, » filed into the practice software (here or at another desk)
            mark = (
                (" " if "\\Seen" in m.flags else "*")
                + ("Q" if quarantined else " ")
                + ("»" if m.filed else " ")
            )
            when = local_time(m.date)
            date = when.strftime("%d/%m/%Y %H:%M") if when else "?"
            # a draft (Brouillons) has no sender yet: to whom it will go, as the app's Brouillons shows it
            who = m.sender if m.folder != DRAFTS_FOLDER else "→ " + ", ".join(m.to)
            # over the account's size limit: only its headers are here (read it in the operator's webmail)
            subject = f"[{t('inbox.too_big', mb=_mb(m.size))}] {m.subject}" if m.too_big else m.subject
            # a subject or a name holds no terminal command (core.model.printable)
            print(printable(f"{mark} {m.id[:12]}  {date}  {who[:30]:30}  {subject[:60]}", one_line=True))
    if not args.json and outside and args.folder is None:
        print(t("cli.messages.quarantined", count=len(outside)))
    return 0


def _verdict(sig: SignatureStatus) -> str:
    """A signature's verdict in words: valid, valid with a note (revocation not checked), or why not."""
    if sig.valid and sig.reason:
        return t("cli.show.sig_valid_note", reason=sig.reason_text())
    if sig.valid:
        return t("cli.show.sig_valid")
    return t("cli.show.sig_invalid", reason=sig.reason_text())


def messages_show(args: argparse.Namespace, ctx: Any) -> int:
    mr = ctx.mailroom()
    message_id = mr.resolve_message_id(args.id)
    view = mr.read_message(message_id, actor="cli")
    queued = [part.queued for part in view.documents if part.queued is not None]
    if getattr(args, "json", False):
        sent = mr.receipt_status(view.summary.message_id) if view.summary.message_id else None
        ctx.print_json(
            {
                "id": message_id,
                "message_id": view.summary.message_id,
                "from": view.sender,
                "to": list(view.to),
                "cc": list(view.cc),
                "subject": view.subject,
                "date": view.date.isoformat() if view.date else None,
                "encrypted": view.encrypted,
                # an encrypted letter missive cannot read: why, in the core's words (else null)
                "unreadable": None if view.decrypted else (view.problem or None),
                "signature": view.signature.to_json() if view.signature is not None else None,
                # a letter with several signers: each one's verdict ("signature" is the least trusting)
                "signers": [status.to_json() for status in view.signers],
                "documents": [q.to_json() for q in queued],
                "attachments": [
                    {"filename": a.filename, "content_type": a.content_type} for a in view.attachments
                ],
                "receipts": [r.to_json() for r in sent.recipients] if sent is not None else [],
                "read_receipt_requested": view.read_receipt_asked,
                "notes": list(view.notes),
                "text": view.body,
            }
        )
        return 0
    print(t("cli.show.from", sender=view.sender))
    print(t("cli.show.to", to=", ".join(view.to)))
    if view.cc:
        print(t("cli.show.cc", cc=", ".join(view.cc)))
    from core.model import local_time, printable

    when = local_time(view.date)
    print(t("cli.show.date", date=when.strftime("%d/%m/%Y %H:%M") if when else "?"))
    print(t("cli.show.subject", subject=view.subject))
    if view.encrypted:
        if view.decrypted:
            note = t("cli.show.cipher_note", note=view.cipher_note) if view.cipher_note else ""
            print(t("cli.show.encrypted", note=note))
        elif view.problem:  # why it cannot be read (no key, a cipher or a recipient kind missive lacks): the core's words
            print(printable(t("cli.show.not_decrypted", problem=view.problem)))
        else:
            print(t("cli.show.no_key"))
    if view.signature is not None and len(view.signers) > 1:
        # several signers: the letter's verdict (valid only when every signer is), then each one's
        sig = view.signature
        verdict = t("cli.show.sig_valid") if sig.valid else t("cli.show.sig_invalid", reason=sig.reason_text())
        print(printable(t("cli.show.signers", count=len(view.signers), verdict=verdict)))
        for n, each in enumerate(view.signers, 1):
            print(printable(t("cli.show.signer", n=n, signer=each.signer or each.subject or t("reader.signer_unknown"), verdict=_verdict(each))))
    elif view.signature is not None:
        sig = view.signature
        print(printable(t("cli.show.signed", signer=sig.signer or sig.subject, verdict=_verdict(sig))))
    if view.outside_trust:
        print(t("cli.show.outside_trust"))
    from tui.commands.clinical import result_lines

    for part in view.documents:
        if part.queued is not None:
            print(printable(t("cli.show.document", line=_document_line(part.queued))))
        for line in result_lines(part.content):
            print(f"    {line}")
    for a in view.attachments:
        print(printable(t("cli.show.attachment", name=a.filename, type=a.content_type, size=len(a.data))))
    for note in view.notes:  # what could not be read (an unreadable winmail.dat): the core's words
        print(f"! {note}")
    for line in view.receipts:
        print(t("cli.show.receipt", line=line))
    if view.read_receipt_asked:
        print(t("cli.show.receipt_asked", id=args.id))
    print()
    print(view.body)
    return 0


def messages_receipt(args: argparse.Namespace, ctx: Any) -> int:
    """Send the read receipt a message asks for (the doctor's explicit agreement)."""
    import asyncio

    mr = ctx.mailroom()
    delivery = asyncio.run(mr.answer_read_receipt(mr.resolve_message_id(args.id), actor="cli"))
    if delivery.outcome == "sent":
        print(t("cli.receipt.sent"))
        return 0
    print(t("cli.receipt.kept", error=delivery.error), file=sys.stderr)
    return 1


def messages_op(args: argparse.Namespace, ctx: Any) -> int:
    """flag, unflag, seen, unseen, move, archive, delete: here and on the server through the façade (now, or
    at the next sync when the server is out of reach); audited like the app's, with the actor "cli"."""
    import asyncio

    mr = ctx.mailroom()
    message_id = mr.resolve_message_id(args.id)
    action = args.messages_command
    if action in ("flag", "unflag", "seen", "unseen"):
        if action in ("flag", "unflag"):
            asyncio.run(mr.set_flagged(message_id, action == "flag"))
        else:
            asyncio.run(mr.set_seen(message_id, action == "seen"))
        print(t(f"cli.ops.{action}", id=message_id[:12]))
        return 0
    if action == "move":
        from core.model import match_folder  # the folder as the app shows it, in either language, or its name

        targets = mr.move_targets(message_id)
        folder = match_folder(args.folder, targets)
        if folder is None:
            raise BadInput(t("cli.ops.unknown_folder", folder=args.folder, folders=", ".join(targets)))
        result = asyncio.run(mr.move_message(message_id, folder, actor="cli"))
    elif action == "archive":
        result = asyncio.run(mr.archive_message(message_id, actor="cli"))
    else:
        question = mr.delete_question(message_id)
        if question and not args.for_good:
            raise BadInput(t("cli.ops.for_good", question=question, id=args.id))
        result = asyncio.run(mr.delete_message(message_id, actor="cli", for_good=bool(question)))
    if result.expunged:
        done = t("cli.ops.expunged", id=message_id[:12])
    else:
        done = t("cli.ops.moved", folder=result.folder, id=result.message_id[:12])
    print(t("cli.ops.queued", done=done) if result.queued else done)
    return 0


def _document_line(doc: ReviewItem) -> str:
    """One clinical document of the message: format, results, where it stands (the ids to act on)."""
    results = t("cli.doc.results", count=doc.observations) if doc.observations else ""
    if doc.abnormal:
        results += t("cli.doc.abnormal", count=doc.abnormal)
    if doc.state == "filed":
        where = t("cli.doc.filed", patient=doc.patient_id)
    elif doc.state == "waiting":
        where = t("cli.doc.waiting", id=doc.id)
        if doc.conflict:  # its container names another patient: the core's reason
            where += f" — ⚠ {doc.conflict}"
    elif doc.state == "duplicate":  # the same file as another document: that one stands for it
        where = doc.duplicate_note
    elif doc.state == "unreadable":  # the reader refused it: what could not be read, and what to do
        todo = "cli.documents.unreadable_todo" if doc.hand_fileable else "cli.documents.unreadable_todo_nofile"
        where = f"{doc.unreadable_note} — {t(todo, id=doc.id)}"
    elif doc.state == "dealt":
        where = t("cli.state.dealt")
    else:
        where = t("cli.doc.rejected")
    if doc.version_note:  # a new version of a result: what it is to the earlier one (the core's words)
        where += f" — {doc.version_note}"
    from core.model import kind_label

    kind = f" ({kind_label(doc.kind)})" if doc.kind else ""
    return f"{doc.format}{kind}{results} — {where}"


def _mb(size: int) -> int:
    """A letter's size in whole MB, as its too-big mark says it."""
    return max(1, round(size / (1 << 20)))
