"""A mail account's settings (stored inside the encrypted profile, password included)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from core.frozen import Frozen, fill

Security = Literal["starttls", "tls"]
AccountKind = Literal["imap", "maildir"]
AUTH_KINDS = ("password", "psc", "certificate", "command")
SECRET_FIELDS = (
    "password",
    "client_cert_password",
    "psc_client_secret",
    "psc_client_p12_password",
    "psc_refresh_token",
)


@dataclass(init=False, repr=False, eq=False)
class Account(Frozen):
    """One mailbox: IMAP+SMTP (MSSanté operator) or a local Maildir (demo, offline use)."""

    name: str
    email: str
    kind: AccountKind = "imap"
    imap_host: str = ""
    imap_port: int = 143
    imap_security: Security = "starttls"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: Security = "starttls"
    user: str = ""
    password: str = ""  # secret: never logged, never printed
    ca_file: str | None = None  # PEM of trust anchors for the servers (IGC-Santé chain), else system store
    client_cert_p12: str | None = None  # base64 of a PKCS#12 (client certificate login), kept in the vault
    client_cert_password: str = ""
    xoauth2_command: str | None = None  # a command printing an access token (Pro Santé Connect)
    maildir: str | None = None  # for kind == "maildir": the Maildir root folder
    mss_nil: str | None = None  # X-MSS-NIL product reference to stamp on outgoing mail
    # The largest letter the sync downloads, in MB (0: no limit). A larger one keeps only its headers and is
    # listed as too big, to be read in the operator's webmail: MSSanté operators take letters of some tens of
    # MB at most (their limits differ), and a server that announces more cannot make a sync hold gigabytes.
    max_message_mb: int = 50
    # How to log in: "" (guessed: command, else password, else certificate), "password", "certificate",
    # "command" (xoauth2_command) or "psc" (Pro Santé Connect, CIBA: core.auth.psc).
    auth: str = ""
    sasl: str = (
        ""  # bearer-token mechanism: "xoauth2", "oauthbearer", or "" (XOAUTH2 when offered, else OAUTHBEARER)
    )
    psc_issuer: str = (
        ""  # https://... of the OpenID provider (discovery at /.well-known/openid-configuration)
    )
    psc_client_id: str = ""  # the product's id registered at PSC (a setting: missive ships none)
    psc_client_secret: str = ""  # secret: client_secret_basic
    psc_client_p12: str | None = None  # base64 PKCS#12 for mutual TLS to PSC (tls_client_auth), in the vault
    psc_client_p12_password: str = ""  # secret
    psc_ca_file: str | None = None  # PEM of trust anchors for the PSC endpoints, else the system store
    psc_login_hint: str = ""  # the practitioner's national id (8 + RPPS)
    psc_scope: str = ""  # default "openid scope_all"
    psc_refresh_token: str = (
        ""  # secret: the only PSC token kept (encrypted profile); access tokens stay in memory
    )

    def __init__(
        self,
        name: str,
        email: str,
        kind: AccountKind = "imap",
        imap_host: str = "",
        imap_port: int = 143,
        imap_security: Security = "starttls",
        smtp_host: str = "",
        smtp_port: int = 587,
        smtp_security: Security = "starttls",
        user: str = "",
        password: str = "",
        ca_file: str | None = None,
        client_cert_p12: str | None = None,
        client_cert_password: str = "",
        xoauth2_command: str | None = None,
        maildir: str | None = None,
        mss_nil: str | None = None,
        max_message_mb: int = 50,
        auth: str = "",
        sasl: str = "",
        psc_issuer: str = "",
        psc_client_id: str = "",
        psc_client_secret: str = "",
        psc_client_p12: str | None = None,
        psc_client_p12_password: str = "",
        psc_ca_file: str | None = None,
        psc_login_hint: str = "",
        psc_scope: str = "",
        psc_refresh_token: str = "",
    ) -> None:
        fill(self, locals())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Account:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def public_json(self) -> dict[str, Any]:
        """What ``account list`` may show: everything but secrets."""
        d = self.to_json()
        for key in SECRET_FIELDS:
            d.pop(key, None)
        d["client_cert_p12"] = bool(self.client_cert_p12)
        d["psc_client_p12"] = bool(self.psc_client_p12)
        d["psc_logged_in"] = bool(self.psc_refresh_token)
        return d

    def with_changes(self, **changes: Any) -> Account:
        return replace(self, **changes)

    @property
    def auth_kind(self) -> str:
        """The login actually used: the ``auth`` setting, or guessed from what older profiles stored."""
        if self.auth:
            return self.auth
        if self.xoauth2_command:
            return "command"
        if self.password:
            return "password"
        return "certificate" if self.client_cert_p12 else "password"

    @property
    def uses_bearer(self) -> bool:
        return self.auth_kind in ("psc", "command")
