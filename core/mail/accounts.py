"""The profile's mail accounts: add, list, get, remove, with validation; and XOAUTH2 tokens from a command."""

from __future__ import annotations

import builtins
import re
from pathlib import Path
from typing import Any

from core.childenv import child_environment
from core.errors import BadInput, NotFound, TransportError
from core.mail.account import AUTH_KINDS, Account
from core.store.collection import Collection
from core.text import T

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOST = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$"
)


def parse_host_port(text: str, default_port: int, what: str) -> tuple[str, int]:
    """``host:port`` (or ``host``, or ``[v6]:port``) to a checked (host, port)."""
    text = (text or "").strip()
    if not text:
        raise BadInput(T("mail.accounts.indiquez-serveur-sous-forme", what=what))
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
        raise BadInput(T("mail.accounts.port-doit-etre-nombre-2", what=what, port_text=port_text))
    _check_host(what, host, port)
    return host, port


def _check_host(what: str, host: str, port: int) -> None:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST.match(host or ""):
            raise BadInput(T("mail.accounts.nom-serveur-valide-indiquez", what=what, host=host)) from None
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise BadInput(T("mail.accounts.port-doit-etre-nombre", what=what, port=port))


def validate(account: Account) -> Account:
    """Check an account's settings; returns it unchanged or raises BadInput naming the faulty setting."""
    if not _NAME.match(account.name or ""):
        raise BadInput(T("mail.accounts.nom-compte-utilisez-lettres"))
    if not _EMAIL.match(account.email or ""):
        raise BadInput(T("mail.accounts.compte-email-doit-etre", account_name=account.name))
    if account.kind == "maildir":
        if not account.maildir:
            raise BadInput(T("mail.accounts.compte-compte-maildir-demande", account_name=account.name))
        return account
    if account.kind != "imap":
        raise BadInput(
            T("mail.accounts.compte-type-inconnu-imap", account_name=account.name, kind=account.kind)
        )
    for label, host, port, security in (
        ("--imap", account.imap_host, account.imap_port, account.imap_security),
        ("--smtp", account.smtp_host, account.smtp_port, account.smtp_security),
    ):
        _check_host(label, host, port)
        if security not in ("starttls", "tls"):
            raise BadInput(
                T("mail.accounts.compte-security-doit-valoir", account_name=account.name, label=label)
            )
    if not account.user:
        raise BadInput(T("mail.accounts.compte-user-obligatoire", account_name=account.name))
    if account.auth and account.auth not in AUTH_KINDS:
        raise BadInput(T("mail.accounts.compte-auth-doit-valoir", account_name=account.name))
    if account.sasl not in ("", "xoauth2", "oauthbearer"):
        raise BadInput(T("mail.accounts.compte-sasl-doit-valoir", account_name=account.name))
    if account.auth == "psc":
        _check_psc(account)
        return account
    if not (account.password or account.xoauth2_command or account.client_cert_p12):
        raise BadInput(T("mail.accounts.compte-mot-passe-commande", account_name=account.name))
    if account.ca_file and not Path(account.ca_file).expanduser().is_file():
        raise BadInput(
            T(
                "mail.accounts.compte-fichier-autorite-introuvable",
                account_name=account.name,
                ca_file=account.ca_file,
            )
        )
    if account.xoauth2_command:
        import shlex  # here: only an account that gets its token from a command needs it

        try:
            if not shlex.split(account.xoauth2_command):
                raise ValueError
        except ValueError:
            raise BadInput(
                T("mail.accounts.compte-xoauth2-command-ligne", account_name=account.name)
            ) from None
    return account


def _check_psc(account: Account) -> None:
    """The settings a Pro Santé Connect login needs (issuer, client id, a client secret or certificate, id)."""
    name = account.name
    if not account.psc_issuer.startswith("https://"):
        raise BadInput(T("mail.accounts.compte-psc-issuer-doit", name=name))
    if not account.psc_client_id:
        raise BadInput(T("mail.accounts.compte-psc-client-manquant", name=name))
    if not (account.psc_client_secret or account.psc_client_p12):
        raise BadInput(T("mail.accounts.compte-donnez-secret-logiciel", name=name))
    if not re.fullmatch(r"\d{6,20}", account.psc_login_hint or ""):
        raise BadInput(T("mail.accounts.compte-psc-doit-etre", name=name))
    if account.psc_ca_file and not Path(account.psc_ca_file).expanduser().is_file():
        raise BadInput(
            T("mail.accounts.compte-fichier-autorite-psc", name=name, psc_ca_file=account.psc_ca_file)
        )


class Accounts:
    """Accounts kept in the profile's ``accounts`` collection (encrypted, passwords included)."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def add(self, account: Account, replace: bool = False) -> Account:
        validate(account)
        if account.name in self.collection and not replace:
            raise BadInput(T("mail.accounts.compte-nomme-existe-deja", account_name=account.name))
        self.collection.put(account.name, account.to_json())
        return account

    def get(self, name: str | None = None) -> Account:
        """The named account, or the only/first one when ``name`` is None."""
        if name is None:
            names = self.names()
            if not names:
                raise NotFound(T("mail.accounts.aucun-compte-messagerie-ajoutez"))
            name = names[0]
        doc = self.collection.get(name)
        if doc is None:
            raise NotFound(T("mail.accounts.aucun-compte-nomme-voir", name=name))
        return Account.from_json(doc)

    def list(self) -> list[Account]:
        return [Account.from_json(doc) for _, doc in sorted(self.collection.items())]

    def names(self) -> builtins.list[str]:
        return sorted(self.collection.keys())

    def set_refresh_token(self, name: str, refresh_token: str) -> None:
        """Keep (or forget, with "") an account's Pro Santé Connect refresh token, encrypted in the profile."""
        doc = self.collection.get(name)
        if doc is None:
            return
        if doc.get("psc_refresh_token", "") != refresh_token:
            self.collection.put(name, {**doc, "psc_refresh_token": refresh_token})

    def forget_refresh_token(self, name: str, refused: str) -> str:
        """The provider refused the refresh token ``refused``: forget it, unless another process of the profile
        stored a newer one meanwhile (the provider hands a new one at each renewal and refuses the old one);
        that newer one, else ''. Read and written under the collection's lock."""
        import contextlib

        lock = getattr(self.collection, "lock", None)
        with lock.held() if lock is not None else contextlib.nullcontext():
            doc = self.collection.get(name)
            if doc is None:
                return ""
            stored = str(doc.get("psc_refresh_token") or "")
            if stored and stored != refused:
                return stored
            if stored:
                self.collection.put(name, {**doc, "psc_refresh_token": ""})
            return ""

    def remove(self, name: str) -> None:
        if not self.collection.delete(name):
            raise NotFound(T("mail.accounts.aucun-compte-nomme-voir", name=name))

    def public(self) -> builtins.list[dict[str, Any]]:
        return [a.public_json() for a in self.list()]


def access_token(account: Account, timeout: float = 60.0) -> str:
    """Run the account's XOAUTH2 command (no shell, no missive secret in its environment); the token."""
    if not account.xoauth2_command:
        raise BadInput(T("mail.accounts.compte-xoauth2-command", account_name=account.name))
    import shlex
    import subprocess  # here: only an account with a token command runs one (a resync reads the accounts)

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
            T("mail.accounts.compte-commande-jeton-introuvable", account_name=account.name, argv=argv[0]),
            permanent=True,
        ) from None
    except subprocess.TimeoutExpired:
        raise TransportError(
            T("mail.accounts.compte-commande-jeton-rien", account_name=account.name, timeout=timeout)
        ) from None
    token = done.stdout.strip()
    if done.returncode != 0 or not token or "\n" in token:
        raise TransportError(
            T(
                "mail.accounts.compte-commande-jeton-echoue",
                account_name=account.name,
                returncode=done.returncode,
            ),
            permanent=True,
        )
    return token
