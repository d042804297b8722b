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
from dataclasses import dataclass

from core.errors import TransportError
from core.mail.account import Account

TokenProvider = Callable[[], Awaitable[str]]
TIMEOUT = 60.0  # seconds for each SMTP exchange (a 30 MB DATA is one exchange of its own)

_ADDRESS = re.compile(r"<?[\w.+=-]+@[\w-]+(?:\.[\w-]+)+>?")


class SmtpError(TransportError):
    """A submission failed; ``permanent`` when the server refused the letter itself (5xx)."""

    def __init__(
        self, message: str, *, permanent: bool = False, code: int | None = None, maybe_accepted: bool = False
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
    text = _ADDRESS.sub("[address]", " ".join(str(message).split()))
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
        raise SmtpError(f"account {account.name} has no SMTP server: set one with `missive account add`")
    if account.smtp_security not in ("starttls", "tls"):
        raise SmtpError(f"{_where(account)}: SMTP security must be starttls or tls, never plain")
    context = tls_context if tls_context is not None else _tls_context(account)
    implicit = account.smtp_security == "tls"
    smtp = aiosmtplib.SMTP(
        hostname=account.smtp_host,
        port=account.smtp_port,
        use_tls=implicit,
        start_tls=not implicit,  # True: STARTTLS or an error, never a plaintext fallback
        tls_context=context,
        timeout=timeout,
    )
    where = _where(account)
    try:
        try:
            await smtp.connect()
        except aiosmtplib.SMTPException as exc:
            if "STARTTLS" in str(exc):
                raise SmtpError(
                    f"{where}: the server does not offer STARTTLS; nothing was sent "
                    "(missive never sends a password or a letter without TLS)"
                ) from None
            raise
        if smtp.transport is None or smtp.transport.get_extra_info("ssl_object") is None:
            raise SmtpError(f"{where}: the connection is not encrypted; nothing was sent")
        await _authenticate(smtp, account, token_provider, where)
        _check_size(smtp, len(data), where)
        return await _transmit(smtp, data, sender, recipients, where)
    except SmtpError:
        raise
    except ssl.SSLError as exc:
        raise SmtpError(f"{where}: {_tls_words(exc)}") from None
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise SmtpError(
            f"{where}: login refused ({exc.code} {_server_text(exc.message)}); check the user name and password"
        ) from None
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = sorted({e.code for e in exc.recipients})
        permanent = all(500 <= c < 600 for c in codes)
        first = exc.recipients[0]
        raise SmtpError(
            f"{where}: every recipient was refused ({first.code} {_server_text(first.message)})",
            permanent=permanent,
            code=first.code,
        ) from None
    except aiosmtplib.SMTPResponseException as exc:
        # Sender refused, DATA refused, HELO refused: 5xx will not change by retrying the same letter.
        # Checked after authentication errors, which are response exceptions too but not the letter's fault.
        permanent = 500 <= exc.code < 600
        raise SmtpError(
            f"{where}: the server refused the letter ({exc.code} {_server_text(exc.message)})",
            permanent=permanent,
            code=exc.code,
        ) from None
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as exc:
        raise SmtpError(
            f"{where}: connection lost ({_server_text(str(exc)) or 'closed by the server'})"
        ) from None
    except aiosmtplib.SMTPConnectError as exc:
        raise SmtpError(
            f"{where}: cannot connect ({_reason(exc)}); check the server name, port and network"
        ) from None
    except aiosmtplib.SMTPException as exc:
        raise SmtpError(f"{where}: SMTP failed ({_server_text(str(exc))})") from None
    except OSError as exc:
        raise SmtpError(
            f"{where}: cannot connect ({_reason(exc)}); check the server name, port and network"
        ) from None
    finally:
        if smtp.is_connected:
            try:
                await smtp.quit(timeout=5)
            except Exception:  # noqa: BLE001 - the letter's fate is already decided; just drop the link
                smtp.close()


async def _transmit(
    smtp: object, data: bytes, sender: str, recipients: Sequence[str], where: str
) -> Submitted:
    """MAIL, RCPT each, DATA: done by hand to know whether a broken link happened during DATA."""
    import aiosmtplib

    assert isinstance(smtp, aiosmtplib.SMTP)
    options = [f"SIZE={len(data)}"] if smtp.supports_extension("size") else []
    await smtp.mail(sender, options=options)
    refused: list[aiosmtplib.SMTPRecipientRefused] = []
    for recipient in recipients:
        try:
            await smtp.rcpt(recipient)
        except aiosmtplib.SMTPRecipientRefused as exc:
            refused.append(exc)
    if len(refused) == len(recipients):
        raise aiosmtplib.SMTPRecipientsRefused(refused)
    try:
        await smtp.data(data)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
        raise SmtpError(
            f"{where}: connection lost while sending the letter ({_reason(exc)})", maybe_accepted=True
        ) from None
    return Submitted(refused=tuple(e.recipient for e in refused))


def _reason(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    text = getattr(cause, "strerror", None) or getattr(exc, "strerror", None) or str(exc)
    return _server_text(text) or exc.__class__.__name__


async def _authenticate(
    smtp: object, account: Account, token_provider: TokenProvider | None, where: str
) -> None:
    """XOAUTH2 when a token source is configured, else PLAIN (or LOGIN) with the password; TLS is checked."""
    import aiosmtplib

    assert isinstance(smtp, aiosmtplib.SMTP)
    if smtp.is_ehlo_or_helo_needed:
        await smtp.ehlo()  # after STARTTLS the capabilities must be asked again (RFC 3207)
    methods = {m.lower() for m in smtp.server_auth_methods}
    if token_provider is None and account.xoauth2_command:
        token_provider = _command_token(account)
    if token_provider is not None:
        if "xoauth2" not in methods:
            raise SmtpError(f"{where}: the server does not offer XOAUTH2 login")
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
        raise SmtpError(f"{where}: the server offers no PLAIN or LOGIN login over TLS")


def _check_size(smtp: object, size: int, where: str) -> None:
    """Refuse early (permanently) a letter larger than the server's announced SIZE limit."""
    limit_text = getattr(smtp, "esmtp_extensions", {}).get("size", "")
    if limit_text and limit_text.strip().isdigit():
        limit = int(limit_text.strip())
        if 0 < limit < size:
            raise SmtpError(
                f"{where}: the letter ({size / 1e6:.1f} MB) exceeds the server's limit ({limit / 1e6:.1f} MB); "
                "send smaller attachments",
                permanent=True,
                code=552,
            )


def _tls_context(account: Account) -> ssl.SSLContext:
    """The verified client context of core.mail.tls (TLS 1.2 minimum, account CA, client certificate)."""
    from core.mail import tls

    return tls.context_for(account)


def _tls_words(exc: BaseException) -> str:
    from core.mail import tls

    return tls.describe(exc)


def _command_token(account: Account) -> TokenProvider:
    async def provider() -> str:
        import asyncio

        from core.mail import accounts

        # The token command may take a while (Pro Santé Connect): never block the event loop on it.
        return await asyncio.to_thread(accounts.access_token, account)

    return provider
