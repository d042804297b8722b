"""A mail account's settings (stored inside the encrypted profile, password included)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

Security = Literal["starttls", "tls"]
AccountKind = Literal["imap", "maildir"]


@dataclass(frozen=True)
class Account:
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Account:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def public_json(self) -> dict[str, Any]:
        """What ``account list`` may show: everything but secrets."""
        d = self.to_json()
        d.pop("password", None)
        d.pop("client_cert_password", None)
        d["client_cert_p12"] = bool(self.client_cert_p12)
        return d

    def with_changes(self, **changes: Any) -> Account:
        return replace(self, **changes)
