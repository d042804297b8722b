"""S/MIME, key and trust commands: `missive smime ...`, `missive keys ...`, `missive trust ...`."""

from __future__ import annotations

import argparse
import email.utils
import sys
from pathlib import Path
from typing import Any

from core.errors import BadInput, NotFound, PolicyRefused, os_reason


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
        "update", help="télécharger la liste blanche MSSanté (TLS vérifié, seulement si elle a changé)"
    )
    q.add_argument("--url", help="adresse de la liste (défaut : [lists] whitelist_url)")
    q.add_argument("--ca-file", metavar="PEM", help="autorités du serveur (IGC Santé), sinon le système")
    q.set_defaults(func=cmd_trust_update)
    q = tsub.add_parser("show", help="afficher le mode et la liste de confiance")
    q.add_argument("--json", action="store_true", help="sortie JSON")
    q.set_defaults(func=cmd_trust_show)


# -- helpers ----------------------------------------------------------------------------------------------


def _read(file: str | None) -> bytes:
    if file is None or file == "-":
        data = sys.stdin.buffer.read()
        if not data:
            raise BadInput(
                "rien sur l'entrée standard : donnez un FILE ou envoyez un message par un tube (|)"
            )
        return data
    path = Path(file)
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise NotFound(f"{file} : fichier introuvable ; vérifiez le chemin") from exc
    except IsADirectoryError as exc:
        raise BadInput(f"{file} est un dossier : donnez un fichier") from exc
    except OSError as exc:
        raise BadInput(f"impossible de lire {file} ({os_reason(exc)})") from exc


def _write(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _from_address(message: bytes) -> str | None:
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(message).get("From")
    except (ValueError, TypeError):
        return None
    address = email.utils.parseaddr(str(value or ""))[1].strip().lower()
    return address or None


# -- smime --------------------------------------------------------------------------------------------------


def cmd_encrypt(args: argparse.Namespace, ctx: Any) -> int:
    from core.secure import smime

    # `--to A B FILE`: argparse hands FILE to --to; an address always has an @, a file name rarely does
    if args.file is None and len(args.to) > 1 and "@" not in args.to[-1]:
        args.file = args.to.pop()
    message = _read(args.file)
    mr = ctx.mailroom()
    for address in args.to:
        if not mr.trust.may_encrypt_to(address):
            from core.secure.trust import shown

            raise PolicyRefused(
                f"refusé : un message S/MIME vers {shown(address.strip().lower())} est illisible dans "
                "Mon espace santé ; réglez trust.encrypt_to_patients = true pour le forcer"
            )
    recipients = mr.keys.recipient_certs(args.to, include_self=not args.no_self)
    _write(smime.encrypt(message, recipients, oaep=args.oaep))
    return 0


def cmd_decrypt(args: argparse.Namespace, ctx: Any) -> int:
    from core.secure import smime

    message = _read(args.file)
    _write(smime.decrypt(message, ctx.mailroom().keys.decryption_identities()))
    note = smime.cipher_note(message)
    if note:
        print(f"Attention : {note} ; demandez à l'expéditeur de passer à AES", file=sys.stderr)
    return 0


def cmd_sign(args: argparse.Namespace, ctx: Any) -> int:
    from core.secure import smime
    from core.secure.keystore import require_identity

    message = _read(args.file)
    key, cert, chain = require_identity(ctx.mailroom().keys, _from_address(message))
    _write(smime.sign(message, key, cert, chain, detached=not args.opaque))
    return 0


def cmd_verify(args: argparse.Namespace, ctx: Any) -> int:
    from core.model import SignatureStatus
    from core.secure import smime

    message = _read(args.file)
    keys = ctx.mailroom().keys
    opened = smime.open_message(message, keys)
    status = opened.signature
    if status is None:
        reason = (
            (smime.foreign_signature(opened.inner_mime_bytes) or "le message n'est pas signé")
            if opened.decrypted
            else f"message illisible : {opened.problem}"
        )
        status = SignatureStatus(False, "", "", reason)
    elif status.valid and opened.signer_cert:
        keys.harvest(opened.signer_cert)
    if args.json:
        ctx.print_json(
            {
                "valid": status.valid,
                "signer": status.signer,
                "subject": status.subject,
                "reason": status.reason,
            }
        )
    elif status.valid:
        print(f"Signature valide : {status.signer} ({status.subject})")
    else:
        who = f" ({status.signer})" if status.signer else ""
        print(f"Signature non valide{who} : {status.reason}")
    return 0 if status.valid else 1


# -- keys ---------------------------------------------------------------------------------------------------


def cmd_keys_import(args: argparse.Namespace, ctx: Any) -> int:
    data = _read(args.file)
    password = ctx.secret("MISSIVE_P12_PASSWORD", "Mot de passe du fichier .p12 : ")
    info = ctx.mailroom().keys.import_p12(data, password)
    print(
        f"Identité importée : {', '.join(info['emails']) or info['subject']} (expire le {info['not_after'][:10]})"
    )
    return 0


def cmd_keys_add_cert(args: argparse.Namespace, ctx: Any) -> int:
    keys = ctx.mailroom().keys
    # An attached chain is left out: authorities go through `keys trust`, on purpose.
    only_authorities = (
        f"{args.file} ne contient que des certificats d'autorité : utilisez 'missive keys trust' pour ceux-là"
    )
    for cert in _certificates(args.file, False, only_authorities):
        info = keys.add_cert(cert)
        print(f"Certificat ajouté : {', '.join(info['emails'])} (expire le {info['not_after'][:10]})")
    return 0


def cmd_keys_trust(args: argparse.Namespace, ctx: Any) -> int:
    keys = ctx.mailroom().keys
    no_authority = (
        f"{args.file} ne contient aucun certificat d'autorité : "
        "utilisez 'missive keys add-cert' pour celui d'une personne"
    )
    for cert in _certificates(args.file, True, no_authority):
        info = keys.trust(cert)
        print(f"Autorité de confiance : {info['subject']}")
    return 0


def _certificates(file: str, authorities: bool, none_found: str) -> list[Any]:
    """The certificates in ``file`` that are authorities (or that are not); BadInput when there is none."""
    from core.secure.certs import is_ca, load_certificates

    found = [cert for cert in load_certificates(_read(file)) if is_ca(cert) == authorities]
    if not found:
        raise BadInput(none_found)
    return found


def cmd_keys_list(args: argparse.Namespace, ctx: Any) -> int:
    listing = ctx.mailroom().keys.listing()
    if args.json:
        ctx.print_json(listing)
        return 0
    titles = {"own": "Vos certificats", "certificates": "Correspondants", "anchors": "Autorités de confiance"}
    for section, title in titles.items():
        print(f"{title} ({len(listing[section])})")
        for item in listing[section]:
            label = ", ".join(item["emails"]) or item["subject"]
            print(f"  {item['fingerprint'][:16]}  {label}  expire le {item['not_after'][:10]}")
    return 0


def cmd_keys_remove(args: argparse.Namespace, ctx: Any) -> int:
    if not ctx.mailroom().keys.remove(args.fingerprint):
        raise NotFound(f"aucun certificat d'empreinte {args.fingerprint} : voir 'missive keys list'")
    print("Certificat retiré.")
    return 0


# -- trust --------------------------------------------------------------------------------------------------


def cmd_trust_import(args: argparse.Namespace, ctx: Any) -> int:
    result = ctx.mailroom().trust.import_whitelist(_read(args.file))
    print(
        f"Liste blanche importée : {result['domains']} domaines (générée le {result['generated'] or 'inconnu'})"
    )
    return 0


def cmd_trust_update(args: argparse.Namespace, ctx: Any) -> int:
    print(ctx.mailroom().update_whitelist(args.url, args.ca_file).message)
    return 0


def cmd_trust_show(args: argparse.Namespace, ctx: Any) -> int:
    mr = ctx.mailroom()
    info = mr.trust.describe()
    lists = mr.lists_info()["whitelist"]
    if args.json:
        ctx.print_json(info | {"whitelist_download": lists})
        return 0
    print(f"Mode : {info['mode']}")
    print(
        f"Liste blanche MSSanté : {info['whitelist_domains']} domaines (générée le {info['whitelist_generated'] or '-'})"
    )
    print(
        f"Mise à jour : {lists['updated_age']} ; dernière vérification : {lists['checked_age']}"
        + (f" ; dernier échec : {lists['error']}" if lists["error"] else "")
    )
    print(f"Autorisés en plus : {', '.join(info['allow']) or '-'}")
    print(f"Chiffrement vers les patients : {'oui' if info['encrypt_to_patients'] else 'non'}")
    return 0
