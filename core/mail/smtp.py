"""SMTP submission (aiosmtplib) that cannot be talked down to plaintext.

STARTTLS is always required (``start_tls=True``) or TLS is implicit (``use_tls=True``): aiosmtplib's default
is opportunistic and would send the password in clear to a server that does not offer STARTTLS
(shared/STACK.md). Credentials go out only after the channel is checked to be TLS. Each failure becomes one
``SmtpError`` line naming the host and the reason; ``permanent`` tells the outbox whether retrying the same
letter can ever succeed (a 5xx refusal of the letter) or not (network, 4xx, login, TLS: retry later).
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from core.errors import TransportError, os_reason
from core.mail.account import Account
from core.text import T, Text

TokenProvider = Callable[[], Awaitable[str]]
# Called (when set) after the recipients were accepted, just before the DATA command: the outbox records there
# that from now on a crash leaves the letter's fate unknown. A context variable keeps ``submit``'s signature.
BEFORE_DATA: ContextVar[Callable[[], None] | None] = ContextVar("missive_before_data", default=None)
TIMEOUT = 60.0  # seconds for each SMTP exchange (a 30 MB DATA is one exchange of its own)

_ADDRESS = re.compile(r"<?[\w.+=-]+@[\w-]+(?:\.[\w-]+)+>?")


class SmtpError(TransportError):
    """A submission failed; ``permanent`` when the server refused the letter itself (5xx)."""

    def __init__(
        self, message: Text | str, *, permanent: bool = False, code: int | None = None, maybe_accepted: bool = False
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        # The link broke after the letter's end may have reached the server: it might have been accepted.
        self.maybe_accepted = maybe_accepted


@dataclass(frozen=True)
class Submitted:
    """The server accepted the letter; ``refused`` lists recipients it turned down (others got it)."""

    refused: tuple[str, ...] = ()


def _server_text(message: str) -> str:
    """The server's words, without addresses (an address may carry a patient's INS), one short line."""
    text = _ADDRESS.sub("[adresse]", " ".join(str(message).split()))
    return text[:160]


def _where(account: Account) -> str:
    return f"{account.smtp_host}:{account.smtp_port}"


async def submit(
    account: Account,
    data: bytes,
    sender: str,
    recipients: Sequence[str],
    *,
    tls_context: ssl.SSLContext | None = None,
    token_provider: TokenProvider | None = None,
    timeout: float = TIMEOUT,
) -> Submitted:
    """Send ``data`` from ``sender`` to ``recipients`` through the account's submission server."""
    import aiosmtplib

    if not account.smtp_host:
        raise SmtpError(T("mail.smtp.compte-serveur-smtp-indiquez", account_name=account.name))
    if account.smtp_security not in ("starttls", "tls"):
        raise SmtpError(T("mail.smtp.securite-smtp-doit-etre", where=_where(account)))
    context = tls_context if tls_context is not None else _tls_context(account)
    implicit = account.smtp_security == "tls"
    smtp = aiosmtplib.SMTP(
        hostname=account.smtp_host,
        port=account.smtp_port,
        use_tls=implicit,
        # STARTTLS is done by _secure below, step by step, so that each refusal is worded for what it is;
        # False (not None) so aiosmtplib never tries it on its own, and nothing is sent before it succeeds.
        start_tls=False,
        tls_context=context,
        timeout=timeout,
    )
    where = _where(account)
    try:
        await _secure(smtp, implicit, where)
        if smtp.transport is None or smtp.transport.get_extra_info("ssl_object") is None:
            raise SmtpError(T("mail.smtp.connexion-chiffree-rien-ete", where=where))
        await _authenticate(smtp, account, token_provider, where)
        _check_size(smtp, len(data), where)
        return await _transmit(smtp, data, sender, recipients, where)
    except SmtpError:
        raise
    except ssl.SSLError as exc:
        raise SmtpError(T("mail.smtp.message", where=where, tls_words=_tls_words(exc))) from None
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise SmtpError(
            T(
                "mail.smtp.identification-refusee-verifiez-identifiant",
                where=where,
                exc_code=exc.code,
                server_text=_server_text(exc.message),
            )
        ) from None
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = sorted({e.code for e in exc.recipients})
        permanent = all(500 <= c < 600 for c in codes)
        first = exc.recipients[0]
        raise SmtpError(
            T(
                "mail.smtp.tous-destinataires-ont-ete",
                where=where,
                first_code=first.code,
                server_text=_server_text(first.message),
            ),
            permanent=permanent,
            code=first.code,
        ) from None
    except aiosmtplib.SMTPResponseException as exc:
        # Sender refused, DATA refused, HELO refused: 5xx will not change by retrying the same letter.
        # Checked after authentication errors, which are response exceptions too but not the letter's fault.
        permanent = 500 <= exc.code < 600
        raise SmtpError(
            T(
                "mail.smtp.serveur-refuse-lettre",
                where=where,
                exc_code=exc.code,
                server_text=_server_text(exc.message),
            ),
            permanent=permanent,
            code=exc.code,
        ) from None
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as exc:
        raise SmtpError(T("mail.smtp.connexion-perdue", where=where, lost=_lost(exc))) from None
    except aiosmtplib.SMTPConnectError as exc:
        raise SmtpError(
            T("mail.smtp.connexion-impossible-verifiez-nom", where=where, reason=_reason(exc))
        ) from None
    except aiosmtplib.SMTPException as exc:
        raise SmtpError(T("mail.smtp.echec-smtp", where=where, server_text=_server_text(str(exc)))) from None
    except OSError as exc:
        raise SmtpError(
            T("mail.smtp.connexion-impossible-verifiez-nom", where=where, reason=_reason(exc))
        ) from None
    finally:
        if smtp.is_connected:
            try:
                await smtp.quit(timeout=5)
            except Exception:  # noqa: BLE001 - the letter's fate is already decided; just drop the link
                smtp.close()


async def _secure(smtp: object, implicit: bool, where: str) -> None:
    """Connect and set TLS up (implicit, or STARTTLS which is required); a refusal at each step says which."""
    import aiosmtplib

    assert isinstance(smtp, aiosmtplib.SMTP)
    nothing = "rien n'a été envoyé"
    try:
        await smtp.connect()
    except aiosmtplib.SMTPConnectResponseError as exc:
        raise SmtpError(
            T(
                "mail.smtp.serveur-refuse-connexion",
                where=where,
                exc_code=exc.code,
                server_text=_server_text(exc.message),
                nothing=nothing,
            ),
            code=exc.code,
        ) from None
    except aiosmtplib.SMTPConnectError as exc:
        cause = exc.__cause__
        if implicit and isinstance(cause, ssl.SSLError):
            raise SmtpError(
                T("mail.smtp.message-2", where=where, tls_words=_tls_words(cause), nothing=nothing)
            ) from None
        if implicit and isinstance(cause, ConnectionResetError | ConnectionAbortedError | EOFError):
            raise SmtpError(
                T("mail.smtp.message-3", where=where, handshake_cut=_handshake_cut(), nothing=nothing)
            ) from None
        raise
    if implicit:
        return
    await smtp.ehlo()
    if not smtp.supports_extension("starttls"):
        raise SmtpError(T("mail.smtp.serveur-propose-starttls-missive", where=where, nothing=nothing))
    try:
        await smtp.starttls()
    except aiosmtplib.SMTPResponseException as exc:
        raise SmtpError(
            T(
                "mail.smtp.serveur-refuse-passer-tls",
                where=where,
                exc_code=exc.code,
                server_text=_server_text(exc.message),
                nothing=nothing,
            ),
            permanent=False,
            code=exc.code,
        ) from None
    except ssl.SSLError as exc:
        raise SmtpError(
            T("mail.smtp.message-2", where=where, tls_words=_tls_words(exc), nothing=nothing)
        ) from None
    except (aiosmtplib.SMTPServerDisconnected, ConnectionError) as exc:
        if isinstance(exc.__cause__, ssl.SSLError):
            raise SmtpError(
                T("mail.smtp.message-2", where=where, tls_words=_tls_words(exc.__cause__), nothing=nothing)
            ) from None
        raise SmtpError(
            T("mail.smtp.message-3", where=where, handshake_cut=_handshake_cut(), nothing=nothing)
        ) from None


def _handshake_cut() -> Text:
    from core.mail import tls

    return tls.HANDSHAKE_CUT


async def _transmit(
    smtp: object, data: bytes, sender: str, recipients: Sequence[str], where: str
) -> Submitted:
    """MAIL, RCPT each, DATA: done by hand to know whether a broken link happened during DATA.

    When the server offers DSN (RFC 3461), success, failure and delay reports are asked for every recipient
    (headers only, the Message-ID as envelope id): they come back at sync and mark the sent letter.
    """
    import aiosmtplib

    from core.mail import receipts
    from core.mail.compose import header_value

    assert isinstance(smtp, aiosmtplib.SMTP)
    options = [f"SIZE={len(data)}"] if smtp.supports_extension("size") else []
    dsn = smtp.supports_extension("dsn")
    if dsn:
        options += receipts.dsn_mail_options(header_value(data, "Message-ID") or "")
    await smtp.mail(sender, options=options)
    refused: list[aiosmtplib.SMTPRecipientRefused] = []
    for recipient in recipients:
        try:
            await smtp.rcpt(recipient, options=receipts.dsn_options(recipient) if dsn else None)
        except aiosmtplib.SMTPRecipientRefused as exc:
            refused.append(exc)
    if len(refused) == len(recipients):
        raise aiosmtplib.SMTPRecipientsRefused(refused)
    before_data = BEFORE_DATA.get()
    if before_data is not None:
        before_data()
    try:
        await smtp.data(data)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
        raise SmtpError(
            T("mail.smtp.connexion-perdue-pendant-envoi", where=where, reason=_reason(exc)),
            maybe_accepted=True,
        ) from None
    return Submitted(refused=tuple(e.recipient for e in refused))


def _reason(exc: BaseException) -> Text | str:
    """Why the link failed, in the catalogue's words when the system says it (its own words are English)."""
    import socket

    import aiosmtplib

    cause = exc.__cause__ or exc.__context__
    for candidate in (cause, exc):
        if isinstance(candidate, socket.gaierror):
            return T("mail.autoconfig.no-such-host")
        if isinstance(candidate, (TimeoutError, aiosmtplib.SMTPTimeoutError)):
            return T("mail.autoconfig.timeout")
        if isinstance(candidate, OSError) and candidate.errno:
            return os_reason(candidate)
    return _server_text(str(exc)) or exc.__class__.__name__


def _lost(exc: BaseException) -> Text | str:
    import aiosmtplib

    if isinstance(exc, aiosmtplib.SMTPTimeoutError):
        return T("mail.autoconfig.timeout")
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return T("mail.smtp.closed-by-server")
    return _reason(exc)


async def _authenticate(
    smtp: object, account: Account, token_provider: TokenProvider | None, where: str
) -> None:
    """XOAUTH2 when a token source is configured, else PLAIN (or LOGIN) with the password; TLS is checked."""
    import aiosmtplib

    assert isinstance(smtp, aiosmtplib.SMTP)
    if smtp.is_ehlo_or_helo_needed:
        await smtp.ehlo()  # after STARTTLS the capabilities must be asked again (RFC 3207)
    methods = {m.lower() for m in smtp.server_auth_methods}
    if token_provider is None and account.auth_kind == "psc":
        await _psc_login(smtp, account, methods, where)
        return
    if token_provider is None and account.xoauth2_command:
        token_provider = _command_token(account)
    if token_provider is not None:
        if "xoauth2" not in methods:
            raise SmtpError(T("mail.smtp.serveur-propose-connexion-xoauth2", where=where))
        token = await token_provider()
        await smtp.auth_xoauth2(account.user or account.email, token)
        return
    if not account.user:
        return  # client-certificate login: the TLS handshake was the authentication
    if "plain" in methods:
        await smtp.auth_plain(account.user, account.password)
    elif "login" in methods:
        await smtp.auth_login(account.user, account.password)
    else:
        raise SmtpError(T("mail.smtp.serveur-propose-plain-login", where=where))


async def _psc_login(smtp: object, account: Account, methods: set[str], where: str) -> None:
    """XOAUTH2 or OAUTHBEARER with a Pro Santé Connect access token; one retry with a renewed token."""
    import aiosmtplib

    from core.auth import psc

    assert isinstance(smtp, aiosmtplib.SMTP)
    offered = [m for m in ("xoauth2", "oauthbearer") if m in methods]
    mechanism = account.sasl or (offered[0] if offered else "")
    if not mechanism or mechanism not in offered:
        raise SmtpError(
            T(
                "mail.smtp.serveur-propose-connexion-jeton",
                where=where,
                upper=(mechanism or "XOAUTH2").upper(),
            )
        )
    user = account.user or account.email
    for attempt in (1, 2):
        token = await psc.bearer(account)
        if mechanism == "oauthbearer":
            initial = psc.sasl_oauthbearer(user, token, account.smtp_host, account.smtp_port)
            closing = b"AQ=="
        else:
            initial = psc.sasl_xoauth2(user, token)
            closing = b""
        response = await smtp.execute_command(b"AUTH", mechanism.upper().encode(), initial.encode())
        if response.code == 334:  # the challenge after a refused token is an error report: close the exchange
            response = await smtp.execute_command(closing)
        if response.code == 235:
            return
        if attempt == 1:
            psc.sessions.drop_access(account)
    # Not the letter's fault: a TransportError (not an SmtpError) keeps it queued for after the next login.
    raise psc.PscError(
        T(
            "mail.smtp.serveur-refuse-jeton-pro",
            where=where,
            response_code=response.code,
            account_name=account.name,
        ),
        permanent=True,
    )


def _check_size(smtp: object, size: int, where: str) -> None:
    """Refuse early (permanently) a letter larger than the server's announced SIZE limit."""
    limit_text = getattr(smtp, "esmtp_extensions", {}).get("size", "")
    if limit_text and limit_text.strip().isdigit():
        limit = int(limit_text.strip())
        if 0 < limit < size:
            raise SmtpError(
                T("mail.smtp.lettre-depasse-limite-serveur", where=where, mb=_mb(size), mb2=_mb(limit)),
                permanent=True,
                code=552,
            )


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f}".replace(".", ",")


def _tls_context(account: Account) -> ssl.SSLContext:
    """The verified client context of core.mail.tls (TLS 1.2 minimum, account CA, client certificate)."""
    from core.mail import tls

    return tls.context_for(account)


def _tls_words(exc: BaseException) -> Text | str:
    from core.mail import tls

    return tls.describe(exc)


def _command_token(account: Account) -> TokenProvider:
    async def provider() -> str:
        import asyncio

        from core.mail import accounts

        # The token command may take a while (Pro Santé Connect): never block the event loop on it.
        return await asyncio.to_thread(accounts.access_token, account)

    return provider
