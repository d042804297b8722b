"""S/MIME, key and trust commands: `missive smime ...`, `missive keys ...`, `missive trust ...`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.errors import BadInput


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("smime", help="signer, chiffrer, déchiffrer, vérifier un message MIME (S/MIME)")
    ssub = p.add_subparsers(dest="smime_command", metavar="ACTION")
    q = ssub.add_parser("encrypt", help="chiffrer pour chaque destinataire (et pour vous)")
    q.add_argument("--to", nargs="+", required=True, metavar="ADDR", help="adresses des destinataires")
    q.add_argument(
        "--no-self", action="store_true", help="ne pas chiffrer aussi pour votre propre certificat"
    )
    q.add_argument("--oaep", action="store_true", help="transport de clé RSA-OAEP (défaut : PKCS#1 v1.5)")
    q.add_argument("file", nargs="?", help="message MIME (défaut : entrée standard)")
    q.set_defaults(func=cmd_encrypt)
    q = ssub.add_parser("decrypt", help="déchiffrer avec la clé du profil")
    q.add_argument("file", nargs="?", help="message MIME (défaut : entrée standard)")
    q.set_defaults(func=cmd_decrypt)
    q = ssub.add_parser("sign", help="signer (multipart/signed, ou opaque avec --opaque)")
    q.add_argument("--opaque", action="store_true", help="signature opaque (application/pkcs7-mime)")
    q.add_argument("file", nargs="?", help="message MIME (défaut : entrée standard)")
    q.set_defaults(func=cmd_sign)
    q = ssub.add_parser("verify", help="vérifier la signature (code 0 seulement si valide et reconnue)")
    q.add_argument("--json", action="store_true", help='{"valid", "signer", "subject", "reason"}')
    q.add_argument("file", nargs="?", help="message MIME (défaut : entrée standard)")
    q.set_defaults(func=cmd_verify)

    p = sub.add_parser("keys", help="clés et certificats S/MIME")
    ksub = p.add_subparsers(dest="keys_command", metavar="ACTION")
    q = ksub.add_parser(
        "import", help="importer votre clé et certificat (.p12 ; mot de passe : MISSIVE_P12_PASSWORD)"
    )
    q.add_argument("file", help="fichier .p12 / .pfx")
    q.set_defaults(func=cmd_keys_import)
    q = ksub.add_parser("add-cert", help="ajouter le certificat d'un correspondant (.pem ou .der)")
    q.add_argument("file", help="certificat .pem, .der ou .p7b")
    q.set_defaults(func=cmd_keys_add_cert)
    q = ksub.add_parser("trust", help="faire confiance à une autorité (IGC-Santé, CA d'un hôpital)")
    q.add_argument("file", help="certificat(s) d'autorité .pem, .der ou .p7b")
    q.set_defaults(func=cmd_keys_trust)
    q = ksub.add_parser("list", help="lister vos certificats, ceux des correspondants et les autorités")
    q.add_argument("--json", action="store_true", help="sortie JSON")
    q.set_defaults(func=cmd_keys_list)
    q = ksub.add_parser("remove", help="oublier un certificat ou une autorité (empreinte SHA-256)")
    q.add_argument("fingerprint", help="empreinte ou son début (8 caractères au moins)")
    q.set_defaults(func=cmd_keys_remove)

    p = sub.add_parser("trust", help="espace de confiance MSSanté")
    tsub = p.add_subparsers(dest="trust_command", metavar="ACTION")
    q = tsub.add_parser(
        "import-whitelist", help="importer la liste blanche MSSanté (listeblanchemssante.xml)"
    )
    q.add_argument("file", help="listeblanchemssante.xml")
    q.set_defaults(func=cmd_trust_import)
    q = tsub.add_parser(
        "update",
        help="télécharger la liste blanche MSSanté (TLS vérifié, seulement si elle a changé)"
        " et les listes de révocation (CRL) des autorités",
    )
    q.add_argument("--url", help="adresse de la liste (défaut : [lists] whitelist_url)")
    q.add_argument("--ca-file", metavar="PEM", help="autorités du serveur (IGC Santé), sinon le système")
    q.add_argument(
        "--crl-url",
        action="append",
        metavar="URL",
        help="adresse d'une liste de révocation, à la place de [lists] crl_urls et des points de distribution"
        " (répétable)",
    )
    q.set_defaults(func=cmd_trust_update)
    q = tsub.add_parser("show", help="afficher le mode et la liste de confiance")
    q.add_argument("--json", action="store_true", help="sortie JSON")
    q.set_defaults(func=cmd_trust_show)


# -- helpers ----------------------------------------------------------------------------------------------


def _read(file: str | None, kind: str = "message") -> bytes:
    """The file given (or the standard input for none or '-'), no larger than ``kind``'s limit: a huge file,
    /dev/zero or a FIFO gives one line (core.inputfile)."""
    from core.mailroom import read_input, read_standard_input
    from tui.i18n import t

    if file is None or file == "-":
        data = read_standard_input(sys.stdin.buffer, kind)
        if not data:
            raise BadInput(t("cli.read.stdin_empty"))
        return data
    return read_input(file, kind)


def _write(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


# -- smime --------------------------------------------------------------------------------------------------


def cmd_encrypt(args: argparse.Namespace, ctx: Any) -> int:
    # `--to A B FILE`: argparse hands FILE to --to; an address always has an @, a file name rarely does
    if args.file is None and len(args.to) > 1 and "@" not in args.to[-1]:
        args.file = args.to.pop()
    message = _read(args.file)
    _write(ctx.mailroom().encrypt_message(message, args.to, include_self=not args.no_self, oaep=args.oaep))
    return 0


def cmd_decrypt(args: argparse.Namespace, ctx: Any) -> int:
    from tui.i18n import t

    plain, note = ctx.mailroom().decrypt_message(_read(args.file))
    _write(plain)
    if note:
        print(t("cli.smime.old_cipher", note=note), file=sys.stderr)
    return 0


def cmd_sign(args: argparse.Namespace, ctx: Any) -> int:
    _write(ctx.mailroom().sign_message(_read(args.file), opaque=args.opaque))
    return 0


def cmd_verify(args: argparse.Namespace, ctx: Any) -> int:
    from core.model import printable  # the signer's address and subject are the sender's words
    from tui.i18n import t

    status, signers = ctx.mailroom().verify_signers(_read(args.file))
    if args.json:
        said = {"valid": status.valid, "signer": status.signer, "subject": status.subject, "reason": status.reason_text()}
        if signers:  # a letter with several signers: each one's verdict (the letter's above is the least trusting)
            said["signers"] = [
                {"valid": s.valid, "signer": s.signer, "subject": s.subject, "reason": s.reason_text()} for s in signers
            ]
        ctx.print_json(said)
        return 0 if status.valid else 1
    elif status.valid and status.reason:  # valid, with a note: its revocation was not checked
        words = t("cli.smime.valid_note", signer=status.signer, subject=status.subject, reason=status.reason_text())
        print(printable(words))
    elif status.valid:
        print(printable(t("cli.smime.valid", signer=status.signer, subject=status.subject)))
    else:
        who = f" ({status.signer})" if status.signer else ""
        print(printable(t("cli.smime.invalid", who=who, reason=status.reason_text())))
    for n, each in enumerate(signers, 1):  # several signers: each one's verdict, as `messages show` says it
        if each.valid and each.reason:
            verdict = t("cli.show.sig_valid_note", reason=each.reason_text())
        elif each.valid:
            verdict = t("cli.show.sig_valid")
        else:
            verdict = t("cli.show.sig_invalid", reason=each.reason_text())
        print(printable(t("cli.show.signer", n=n, signer=each.signer or each.subject or t("reader.signer_unknown"), verdict=verdict)))
    return 0 if status.valid else 1


# -- keys ---------------------------------------------------------------------------------------------------


def cmd_keys_import(args: argparse.Namespace, ctx: Any) -> int:
    from tui.i18n import t

    data = _read(args.file, "keys")
    password = ctx.secret("MISSIVE_P12_PASSWORD", t("cli.keys.p12_password"))
    info = ctx.mailroom().import_identity_data(data, password)
    who = ", ".join(info["emails"]) or info["subject"]
    print(t("cli.keys.imported", who=who, expires=info["not_after"][:10]))
    if info.get("opened_letters"):
        print(t("cli.keys.opened_letters", count=info["opened_letters"]))
    return 0


def cmd_keys_add_cert(args: argparse.Namespace, ctx: Any) -> int:
    from tui.i18n import t

    # An attached chain is left out: authorities go through `keys trust`, on purpose.
    for info in ctx.mailroom().add_certificates(_read(args.file, "keys"), args.file):
        print(t("cli.keys.added", who=", ".join(info["emails"]), expires=info["not_after"][:10]))
    return 0


def cmd_keys_trust(args: argparse.Namespace, ctx: Any) -> int:
    from tui.i18n import t

    for info in ctx.mailroom().trust_authorities(_read(args.file, "keys"), args.file):
        print(t("cli.keys.authority", subject=info["subject"]))
    return 0


def cmd_keys_list(args: argparse.Namespace, ctx: Any) -> int:
    from core.model import printable
    from tui.i18n import t

    listing = ctx.mailroom().key_listing()
    if args.json:
        ctx.print_json(listing)
        return 0
    for section in ("own", "certificates", "anchors"):
        print(t(f"cli.keys.section.{section}", count=len(listing[section])))
        for item in listing[section]:
            label = ", ".join(item["emails"]) or item["subject"]
            line = t("cli.keys.line", fingerprint=item["fingerprint"][:16], label=label, expires=item["not_after"][:10])
            if item.get("revocation") == "revoked":
                line += t("cli.keys.revoked")
            print(printable(line, one_line=True))  # a harvested certificate's names are its sender's words
    return 0


def cmd_keys_remove(args: argparse.Namespace, ctx: Any) -> int:
    from tui.i18n import t

    ctx.mailroom().remove_key(args.fingerprint)
    print(t("cli.keys.removed"))
    return 0


# -- trust --------------------------------------------------------------------------------------------------


def cmd_trust_import(args: argparse.Namespace, ctx: Any) -> int:
    from tui.i18n import t

    result = ctx.mailroom().import_whitelist(_read(args.file, "whitelist"))
    print(
        t("cli.trust.imported", domains=result["domains"], generated=result["generated"] or t("cli.unknown"))
    )
    return 0


def cmd_trust_update(args: argparse.Namespace, ctx: Any) -> int:
    from core.errors import MissiveError

    mailroom = ctx.mailroom()
    failed: MissiveError | None = None
    try:
        print(mailroom.update_whitelist(args.url, args.ca_file).message)
    except MissiveError as exc:  # the revocation lists are fetched all the same, then the failure is said
        failed = exc
    crls = mailroom.update_crls(args.crl_url, args.ca_file)
    for line in crls.lines:
        print(line)
    for line in crls.failures:
        print(line, file=sys.stderr)
    if failed is not None:
        raise failed
    return 1 if crls.failures else 0


def cmd_trust_show(args: argparse.Namespace, ctx: Any) -> int:
    from tui.i18n import t

    info = ctx.mailroom().trust_info()
    if args.json:
        ctx.print_json(info)
        return 0
    lists = info["whitelist_download"]
    print(t("cli.trust.mode", mode=info["mode"]))
    print(
        t(
            "cli.trust.whitelist",
            domains=info["whitelist_domains"],
            generated=info["whitelist_generated"] or "-",
        )
    )
    failed = t("cli.trust.last_error", error=lists["error"]) if lists["error"] else ""
    print(t("cli.trust.updated", updated=lists["updated_age"], checked=lists["checked_age"], failed=failed))
    print(t("cli.trust.allow", allow=", ".join(info["allow"]) or "-"))
    print(t("cli.trust.patients", answer=t("cli.yes" if info["encrypt_to_patients"] else "cli.no")))
    crls = info["crls"]
    print(t("cli.trust.crls", count=len(crls)))
    names = [crl["issuer"] for crl in crls]
    for crl in crls:
        key = "cli.trust.crl_expired" if crl["expired"] else "cli.trust.crl"
        issuer = crl["issuer"]
        if names.count(issuer) > 1 and crl.get("key_id"):  # a renewed authority: a list per key, told apart
            issuer = t("cli.trust.crl_key", issuer=issuer, keyid=str(crl["key_id"])[:8].upper())
        print(
            t(
                key,
                issuer=issuer,
                this_update=_when(crl["this_update"]),
                next_update=_when(crl["next_update"]),
                entries=crl["entries"],
                age=crl["age"],
            )
        )
    download = info["crl_download"]
    if download["checked"] or download["failed"]:
        failed = t("cli.trust.last_error", error=download["error"]) if download["error"] else ""
        print(t("cli.trust.crl_checked", checked=download["checked_age"], failed=failed))
    return 0


def _when(iso: str) -> str:
    """'05/12/2026 03:00 UTC' for an ISO date ('-' when none)."""
    import datetime as dt

    if not iso:
        return "-"
    try:
        return dt.datetime.fromisoformat(iso).strftime("%d/%m/%Y %H:%M UTC")
    except ValueError:
        return iso
