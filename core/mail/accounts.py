"""The profile's mail accounts: add, list, get, remove, with validation; and XOAUTH2 tokens from a command."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

from core.childenv import child_environment
from core.errors import BadInput, NotFound, TransportError
from core.mail.account import AUTH_KINDS, Account
from core.store.collection import Collection

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOST = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$"
)


def parse_host_port(text: str, default_port: int, what: str) -> tuple[str, int]:
    """``host:port`` (or ``host``, or ``[v6]:port``) to a checked (host, port)."""
    text = (text or "").strip()
    if not text:
        raise BadInput(f"{what} : indiquez le serveur sous la forme HOST:PORT")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    if port_text == "":
        port = default_port
    elif port_text.isdigit():
        port = int(port_text)
    else:
        raise BadInput(f"{what} : le port {port_text!r} doit être un nombre de 1 à 65535")
    _check_host(what, host, port)
    return host, port


def _check_host(what: str, host: str, port: int) -> None:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST.match(host or ""):
            raise BadInput(
                f"{what} : {host!r} n'est pas un nom de serveur valide (indiquez HOST:PORT)"
            ) from None
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise BadInput(f"{what} : le port {port!r} doit être un nombre de 1 à 65535")


def validate(account: Account) -> Account:
    """Check an account's settings; returns it unchanged or raises BadInput naming the faulty setting."""
    if not _NAME.match(account.name or ""):
        raise BadInput(
            "nom du compte : utilisez des lettres, des chiffres, '.', '_' ou '-' (64 au plus, sans espace)"
        )
    if not _EMAIL.match(account.email or ""):
        raise BadInput(f"compte {account.name} : --email doit être une adresse comme nom@domaine.fr")
    if account.kind == "maildir":
        if not account.maildir:
            raise BadInput(f"compte {account.name} : un compte maildir demande --maildir DIR")
        return account
    if account.kind != "imap":
        raise BadInput(f"compte {account.name} : type {account.kind!r} inconnu (imap ou maildir)")
    for label, host, port, security in (
        ("--imap", account.imap_host, account.imap_port, account.imap_security),
        ("--smtp", account.smtp_host, account.smtp_port, account.smtp_security),
    ):
        _check_host(label, host, port)
        if security not in ("starttls", "tls"):
            raise BadInput(f"compte {account.name} : {label}-security doit valoir starttls ou tls")
    if not account.user:
        raise BadInput(f"compte {account.name} : --user est obligatoire")
    if account.auth and account.auth not in AUTH_KINDS:
        raise BadInput(f"compte {account.name} : --auth doit valoir password, psc, certificate ou command")
    if account.sasl not in ("", "xoauth2", "oauthbearer"):
        raise BadInput(f"compte {account.name} : --sasl doit valoir xoauth2 ou oauthbearer")
    if account.auth == "psc":
        _check_psc(account)
        return account
    if not (account.password or account.xoauth2_command or account.client_cert_p12):
        raise BadInput(
            f"compte {account.name} : ni mot de passe, ni commande de jeton, ni certificat client : "
            "définissez MISSIVE_ACCOUNT_PASSWORD"
        )
    if account.ca_file and not Path(account.ca_file).expanduser().is_file():
        raise BadInput(f"compte {account.name} : fichier d'autorité (CA) {account.ca_file} introuvable")
    if account.xoauth2_command:
        try:
            if not shlex.split(account.xoauth2_command):
                raise ValueError
        except ValueError:
            raise BadInput(
                f"compte {account.name} : --xoauth2-command n'est pas une ligne de commande valide"
            ) from None
    return account


def _check_psc(account: Account) -> None:
    """The settings a Pro Santé Connect login needs (issuer, client id, a client secret or certificate, id)."""
    name = account.name
    if not account.psc_issuer.startswith("https://"):
        raise BadInput(f"compte {name} : --psc-issuer doit être l'adresse https:// de Pro Santé Connect")
    if not account.psc_client_id:
        raise BadInput(f"compte {name} : --psc-client-id manquant (l'identifiant du logiciel chez PSC)")
    if not (account.psc_client_secret or account.psc_client_p12):
        raise BadInput(
            f"compte {name} : donnez le secret du logiciel (MISSIVE_PSC_CLIENT_SECRET) ou son certificat "
            "(--psc-client-cert FICHIER.p12)"
        )
    if not re.fullmatch(r"\d{6,20}", account.psc_login_hint or ""):
        raise BadInput(
            f"compte {name} : --psc-id doit être votre identifiant national (8 suivi de votre RPPS, chiffres "
            "seulement)"
        )
    if account.psc_ca_file and not Path(account.psc_ca_file).expanduser().is_file():
        raise BadInput(f"compte {name} : fichier d'autorité PSC {account.psc_ca_file} introuvable")


class Accounts:
    """Accounts kept in the profile's ``accounts`` collection (encrypted, passwords included)."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def add(self, account: Account, replace: bool = False) -> Account:
        validate(account)
        if account.name in self.collection and not replace:
            raise BadInput(
                f"un compte nommé {account.name} existe déjà : supprimez-le d'abord "
                "ou choisissez un autre nom"
            )
        self.collection.put(account.name, account.to_json())
        return account

    def get(self, name: str | None = None) -> Account:
        """The named account, or the only/first one when ``name`` is None."""
        if name is None:
            names = self.names()
            if not names:
                raise NotFound("aucun compte de messagerie : ajoutez-en un avec `missive account add`")
            name = names[0]
        doc = self.collection.get(name)
        if doc is None:
            raise NotFound(f"aucun compte nommé {name} (voir `missive account list`)")
        return Account.from_json(doc)

    def list(self) -> list[Account]:
        return [Account.from_json(doc) for _, doc in sorted(self.collection.items())]

    def names(self) -> list[str]:
        return sorted(self.collection.keys())

    def set_refresh_token(self, name: str, refresh_token: str) -> None:
        """Keep (or forget, with "") an account's Pro Santé Connect refresh token, encrypted in the profile."""
        doc = self.collection.get(name)
        if doc is None:
            return
        if doc.get("psc_refresh_token", "") != refresh_token:
            self.collection.put(name, {**doc, "psc_refresh_token": refresh_token})

    def remove(self, name: str) -> None:
        if not self.collection.delete(name):
            raise NotFound(f"aucun compte nommé {name} (voir `missive account list`)")

    def public(self) -> list[dict[str, Any]]:
        return [a.public_json() for a in self.list()]


def access_token(account: Account, timeout: float = 60.0) -> str:
    """Run the account's XOAUTH2 command (no shell, no missive secret in its environment); the token."""
    if not account.xoauth2_command:
        raise BadInput(f"le compte {account.name} n'a pas de --xoauth2-command")
    argv = shlex.split(account.xoauth2_command)
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env=child_environment(),  # never the passphrase or missive's other secrets
        )
    except FileNotFoundError:
        raise TransportError(
            f"compte {account.name} : commande de jeton {argv[0]} introuvable", permanent=True
        ) from None
    except subprocess.TimeoutExpired:
        raise TransportError(
            f"compte {account.name} : la commande de jeton n'a rien donné en {timeout:.0f} s"
        ) from None
    token = done.stdout.strip()
    if done.returncode != 0 or not token or "\n" in token:
        raise TransportError(
            f"compte {account.name} : la commande de jeton a échoué (code {done.returncode}) ; lancez-la à "
            "la main pour voir pourquoi",
            permanent=True,
        )
    return token
