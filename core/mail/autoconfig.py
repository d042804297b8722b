"""Find an address's mail servers and test them before anything is saved.

1. DNS SRV records (RFC 6186): ``_imaps._tcp``, ``_imap._tcp`` and ``_submission._tcp`` (plus ``_submissions._tcp``,
   RFC 8314) of the address's domain, in priority/weight order; a target of "." means "no such service".
2. When the domain publishes none, the conventional names: ``imap.<domain>``, ``mail.<domain>``, ``<domain>`` on
   143 (STARTTLS) and 993 (TLS); ``smtp.<domain>``, ``mail.<domain>``, ``<domain>`` on 587 (STARTTLS) and 465 (TLS).
3. A connection test of each candidate in turn until one works: TLS (STARTTLS or implicit), the certificate
   verified (system store, or the CA file given: IGC-Santé), and the authentication mechanisms offered after
   TLS. Nothing logs in, nothing is written.

dnspython is imported only here, when a lookup runs. ``MISSIVE_DNS_SERVER`` (``host:port``) points the lookups
at another resolver: the tests' dnsmasq.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import BadInput, MissiveError, TransportError
from core.text import T, Text

if TYPE_CHECKING:
    from core.mail.account import Security

log = logging.getLogger("missive.autoconfig")

TIMEOUT = 10.0
DNS_TIMEOUT = 5.0


@dataclass(frozen=True)
class Candidate:
    protocol: str  # imap | smtp
    host: str
    port: int
    security: Security  # starttls | tls
    source: str  # srv | guess
    priority: int = 0
    weight: int = 0


@dataclass(frozen=True)
class Probe:
    """What the connection test saw on one candidate."""

    candidate: Candidate
    ok: bool
    mechanisms: tuple[str, ...] = ()
    error: Text | str = ""
    unresolved: bool = False  # the host name is not in DNS (no such name; not a network failure)

    def line(self) -> str:
        """What the test saw, in the language chosen."""
        c = self.candidate
        what = "IMAP" if c.protocol == "imap" else "SMTP"
        security = "STARTTLS" if c.security == "starttls" else T("mail.autoconfig.tls-direct")
        origin = "DNS SRV" if c.source == "srv" else T("mail.autoconfig.usual-name")
        if self.ok:
            mechs = ", ".join(self.mechanisms) or T("mail.autoconfig.no-mechanism")
            text = T(
                "mail.autoconfig.probe-ok",
                what=what,
                host=c.host,
                port=c.port,
                security=security,
                origin=origin,
                mechanisms=mechs,
            )
        else:
            text = T(
                "mail.autoconfig.probe-failed",
                what=what,
                host=c.host,
                port=c.port,
                security=security,
                origin=origin,
                error=self.error,
            )
        return str(text)


@dataclass
class Found:
    email: str
    imap: Probe | None = None
    smtp: Probe | None = None
    tried: list[Probe] = field(default_factory=list)
    from_srv: bool = False
    # no SRV record and none of the usual names exists in DNS: most likely a typo in the address's domain
    domain_unknown: bool = False

    def problem(self) -> str:
        """What to tell the doctor when the servers were not all found (empty when they were): the domain
        that does not exist, said first, since a typo is the likely cause; else the servers not found."""
        if self.complete:
            return ""
        domain = domain_of(self.email)
        if self.domain_unknown:
            return str(T("mail.autoconfig.domain-unknown", domain=domain))
        return ""

    @property
    def complete(self) -> bool:
        return self.imap is not None and self.smtp is not None

    def report(self) -> list[str]:
        """What the test saw, one line per server tried; then, when DNS named servers of another domain than
        the address's, the line that says to check them before giving a password."""
        lines = [p.line() for p in self.tried]
        foreign = self.foreign_servers()
        if foreign:
            lines.append(
                str(
                    T(
                        "mail.autoconfig.srv-other-domain",
                        hosts=", ".join(foreign),
                        domain=domain_of(self.email),
                    )
                )
            )
        return lines

    def foreign_servers(self) -> list[str]:
        """The servers found that DNS SRV records named in another domain than the address's (RFC 6186 §6).

        An SRV answer is not signed, and its target is checked against its own certificate only: a forged
        answer can name any server with a valid certificate of its own, and the password would go to it. A
        server of the address's domain, or of its parent (the operator's ``imap.mssante.fr`` for an address
        at ``medecin.mssante.fr``), is not one: a forged answer cannot give it a certificate for that name."""
        domain = domain_of(self.email)
        out: list[str] = []
        for probe in (self.imap, self.smtp):
            if probe is None or probe.candidate.source != "srv":
                continue
            host = probe.candidate.host.lower().rstrip(".")
            if not _same_organisation(host, domain) and host not in out:
                out.append(host)
        return out

    def bearer_only(self) -> bool:
        """The IMAP server takes nothing but bearer tokens (no PLAIN, no LOGIN)."""
        imap = self.imap
        return imap is not None and bool(imap.mechanisms) and set(imap.mechanisms) <= {
            "XOAUTH2",
            "OAUTHBEARER",
        }

    def bearer_offered(self) -> bool:
        """Both servers take a bearer token (XOAUTH2 or OAUTHBEARER): Pro Santé Connect is the way in."""
        wanted = {"XOAUTH2", "OAUTHBEARER"}
        return bool(
            self.imap
            and self.smtp
            and wanted & set(self.imap.mechanisms)
            and wanted & set(self.smtp.mechanisms)
        )


def _same_organisation(host: str, domain: str) -> bool:
    """``host`` is ``domain``, under it, or under its parent domain when that has two labels at least."""
    if host == domain or host.endswith("." + domain):
        return True
    parent = domain.split(".", 1)[1] if domain.count(".") >= 2 else ""
    return bool(parent) and (host == parent or host.endswith("." + parent))


def domain_of(email: str) -> str:
    """The domain of an address typed by the doctor; BadInput when it is not one. The same rule as an
    account's ``--email`` (one @, no space), and no empty name between dots: a typo ('dr@@cabinet.fr',
    'dr martin@cabinet.fr', 'dr@cabinet..fr') is said at once, not after a search of a mangled domain's servers."""
    text = (email or "").strip()
    local, at, domain = text.rpartition("@")
    labels = domain.rstrip(".").split(".")
    if (
        not at
        or not local
        or "@" in local
        or any(c.isspace() for c in text)
        or len(labels) < 2
        or "" in labels
    ):
        raise BadInput(T("mail.autoconfig.adresse-comme-nom-domaine", email=email))
    return domain.lower().rstrip(".")


def _resolver() -> Any:
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=not os.environ.get("MISSIVE_DNS_SERVER"))
    server = os.environ.get("MISSIVE_DNS_SERVER", "")
    if server:
        host, _, port = server.rpartition(":")
        resolver.nameservers = [host or server]
        resolver.port = int(port) if port.isdigit() else 53
    resolver.lifetime = DNS_TIMEOUT
    return resolver


def srv_candidates(domain: str) -> list[Candidate]:
    """The RFC 6186 / 8314 records of ``domain``, best first (IMAP then SMTP); [] when it publishes none."""
    import dns.exception
    import dns.resolver

    resolver = _resolver()
    found: list[Candidate] = []
    services: tuple[tuple[str, str, Security], ...] = (
        ("imap", "_imaps._tcp", "tls"),
        ("imap", "_imap._tcp", "starttls"),
        ("smtp", "_submissions._tcp", "tls"),
        ("smtp", "_submission._tcp", "starttls"),
    )
    for protocol, service, security in services:
        try:
            answer = resolver.resolve(f"{service}.{domain}", "SRV")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            continue
        except dns.exception.Timeout:
            log.info("autoconfig: SRV lookup timed out")
            continue
        except dns.exception.DNSException as exc:
            log.info("autoconfig: SRV lookup failed (%s)", type(exc).__name__)
            continue
        for record in answer:
            target = record.target.to_text().rstrip(".")
            if not target or record.port == 0:  # "." : the service is explicitly not offered
                continue
            found.append(
                Candidate(protocol, target, int(record.port), security, "srv", record.priority, record.weight)
            )
    # Within a protocol the lowest priority first, whatever the service (RFC 6186 §3.4); at equal priority the
    # heavier, then implicit TLS before STARTTLS (RFC 8314), as listed above (the sort is stable).
    found.sort(key=lambda c: (c.protocol != "imap", c.priority, -c.weight))
    return found


def guessed_candidates(domain: str) -> list[Candidate]:
    out: list[Candidate] = []
    for prefix in ("imap.", "mail.", ""):
        out += [
            Candidate("imap", f"{prefix}{domain}", 143, "starttls", "guess"),
            Candidate("imap", f"{prefix}{domain}", 993, "tls", "guess"),
        ]
    for prefix in ("smtp.", "mail.", ""):
        out += [
            Candidate("smtp", f"{prefix}{domain}", 587, "starttls", "guess"),
            Candidate("smtp", f"{prefix}{domain}", 465, "tls", "guess"),
        ]
    return out


def _context(ca_file: str | None) -> ssl.SSLContext:
    from core.mail.tls import client_context

    return client_context(ca_file)


async def probe_imap(candidate: Candidate, ca_file: str | None = None, timeout: float = TIMEOUT) -> Probe:
    from core.mail.account import Account
    from core.mail.imap import ImapClient

    account = Account(
        name="autoconfig",
        email="autoconfig@invalid.test",
        imap_host=candidate.host,
        imap_port=candidate.port,
        imap_security=candidate.security,
    )
    ctx = _context(ca_file)
    client = ImapClient(account, timeout=timeout, ssl_context=ctx)
    try:
        await client._open(ctx)  # TLS and capabilities, no login
        mechanisms = sorted(
            c.split("=", 1)[1].upper() for c in client.capabilities if c.upper().startswith("AUTH=")
        )
        return Probe(candidate, True, tuple(mechanisms))
    except MissiveError as exc:
        if _unresolved(exc):
            return Probe(candidate, False, error=T("mail.autoconfig.no-such-host"), unresolved=True)
        return Probe(candidate, False, error=_short(exc))
    finally:
        await client.close()


async def probe_smtp(candidate: Candidate, ca_file: str | None = None, timeout: float = TIMEOUT) -> Probe:
    import aiosmtplib

    from core.mail import tls

    implicit = candidate.security == "tls"
    smtp = aiosmtplib.SMTP(
        hostname=candidate.host,
        port=candidate.port,
        use_tls=implicit,
        start_tls=not implicit,
        tls_context=_context(ca_file),
        timeout=timeout,
    )
    try:
        await smtp.connect()
        if smtp.transport is None or smtp.transport.get_extra_info("ssl_object") is None:
            return Probe(candidate, False, error=T("mail.autoconfig.not-encrypted"))
        if smtp.is_ehlo_or_helo_needed:
            await smtp.ehlo()
        return Probe(candidate, True, tuple(sorted(m.upper() for m in smtp.server_auth_methods)))
    except ssl.SSLError as exc:
        return Probe(candidate, False, error=tls.describe(exc))
    except aiosmtplib.SMTPException as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ssl.SSLError):
            return Probe(candidate, False, error=tls.describe(cause))
        if "STARTTLS" in str(exc):
            return Probe(candidate, False, error=T("mail.imap.no-starttls"))
        return Probe(candidate, False, error=_connect_words(cause or exc), unresolved=_unresolved(exc))
    except OSError as exc:
        return Probe(candidate, False, error=_connect_words(exc), unresolved=_unresolved(exc))
    finally:
        if smtp.is_connected:
            smtp.close()


def _unresolved(exc: BaseException) -> bool:
    """Is a 'no such host name' from DNS behind ``exc`` (its causes walked)? A temporary DNS failure (the
    network down) is not: it says nothing about the name."""
    import socket

    names = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return current.errno in names
        current = current.__cause__ or current.__context__
    return False


def _connect_words(exc: BaseException) -> Text:
    import socket

    from core.errors import os_reason

    if isinstance(exc, socket.gaierror):
        return T("mail.autoconfig.no-such-host")
    if isinstance(exc, TimeoutError):
        return T("mail.autoconfig.timeout")
    if isinstance(exc, OSError) and exc.errno:
        return T("mail.autoconfig.cannot-connect-why", reason=os_reason(exc))
    return T("mail.autoconfig.cannot-connect")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    host_port, sep, rest = text.partition(": ")
    if sep and ":" in host_port and " " not in host_port:
        text = rest
    if text.startswith(": "):
        text = text[2:]
    text = text.lstrip(": ")
    english = {
        "connection refused": "connexion refusée",
        "the server does not offer STARTTLS": "le serveur ne propose pas STARTTLS",
    }
    for words, french in english.items():
        if words in text:
            return french
    return text


async def autoconfigure(email: str, ca_file: str | None = None, timeout: float = TIMEOUT) -> Found:
    """SRV first, the usual names after; the first IMAP and the first SMTP candidate that pass the test."""
    domain = domain_of(email)
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise BadInput(T("mail.autoconfig.fichier-autorite-introuvable", ca_file=ca_file))
    found = Found(email)
    srv = await asyncio.to_thread(srv_candidates, domain)
    found.from_srv = bool(srv)
    lists = [srv, guessed_candidates(domain)] if srv else [guessed_candidates(domain)]
    for candidates in lists:
        for protocol in ("imap", "smtp"):
            if getattr(found, protocol) is not None:
                continue
            for candidate in (c for c in candidates if c.protocol == protocol):
                check = probe_imap if protocol == "imap" else probe_smtp
                result = await check(candidate, ca_file, timeout)
                found.tried.append(result)
                if result.ok:
                    setattr(found, protocol, result)
                    break
    # no SRV record, and every usual name tried is unknown to DNS: the domain itself does not exist
    found.domain_unknown = bool(
        not found.complete and not srv and found.tried and all(p.unresolved for p in found.tried)
    )
    log.info(
        "autoconfig: %d candidates tried, imap %s, smtp %s, srv %s",
        len(found.tried),
        "found" if found.imap else "missing",
        "found" if found.smtp else "missing",
        found.from_srv,
    )
    return found


def require(found: Found) -> Found:
    """``found`` when both servers answered; otherwise one French line with what was tried."""
    if found.complete:
        return found
    if found.domain_unknown:
        raise TransportError(T("mail.autoconfig.domain-unknown", domain=domain_of(found.email)), permanent=True)
    missing = (
        "IMAP" if found.smtp else T("mail.autoconfig.both") if found.imap is None else "SMTP"
    )
    last = next((p for p in reversed(found.tried) if not p.ok), None)
    detail = T("mail.autoconfig.last-try", line=last.line()) if last else ""
    raise TransportError(
        T(
            "mail.autoconfig.aucun-serveur-utilisable-trouve",
            missing=missing,
            domain_of=domain_of(found.email),
            detail=detail,
        ),
        permanent=True,
    )
