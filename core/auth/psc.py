"""Pro Santé Connect login by CIBA (OpenID Connect Client-Initiated Backchannel Authentication, poll mode).

The flow, for an account whose ``auth`` is ``"psc"``:

1. discovery: ``GET <issuer>/.well-known/openid-configuration`` gives the backchannel authentication, token and
   JWKS endpoints (kept in memory per issuer);
2. ``POST bc-authorize`` with ``login_hint`` = the practitioner's national id and a short ``binding_message``
   (shown here *and* on the phone: "Validez la connexion sur votre application e-CPS : code 4F2K");
3. ``POST token`` with ``grant_type=urn:openid:params:grant-type:ciba`` every ``interval`` seconds (5 s more at
   each ``slow_down``) until the phone approves (tokens), denies (``access_denied``) or the request lapses
   (``expired_token``, or our own deadline when the provider keeps saying "pending").

The client authenticates to the provider with its secret (HTTP Basic) or by mutual TLS with its certificate
(.p12): both are settings of the account, missive ships none. Access tokens live only in this process's memory
(``PscSessions``) and are renewed with the refresh token before they expire; the refresh token is the only thing
kept, inside the account in the encrypted profile. A refresh token the provider refuses is forgotten at once and
``LoginRequired`` is raised until a new CIBA login: no retry storm against the provider.

Tokens never reach a log line, an error message or a file.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.auth import LoginRequired as LoginRequired
from core.auth import PscError as PscError
from core.errors import BadInput, SecurityError
from core.text import T

if TYPE_CHECKING:
    from core.mail.account import Account

log = logging.getLogger("missive.psc")

CIBA_GRANT = "urn:openid:params:grant-type:ciba"
DEFAULT_SCOPE = "openid scope_all"
MAX_BODY = 1_000_000  # an OpenID answer is a few kB; refuse anything huge
SLOW_DOWN_STEP = 5.0  # CIBA §11: after slow_down the interval grows by at least 5 s
DEFAULT_INTERVAL = 5.0  # CIBA §7.3: when the provider names no interval
DEFAULT_REQUEST_LIFETIME = 120.0
REFRESH_MARGIN = 60.0  # renew an access token this long before it expires (or at 80 % of a shorter life)
_CODE_LETTERS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


def binding_code() -> str:
    return "".join(secrets.choice(_CODE_LETTERS) for _ in range(4))


def binding_text(code: str) -> str:
    return f"Validez la connexion sur votre application e-CPS : code {code}"


@dataclass(frozen=True)
class PscConfig:
    """Where and how to reach Pro Santé Connect for one account (all from the account's settings)."""

    issuer: str
    client_id: str
    client_secret: str = ""
    client_p12: bytes | None = None
    client_p12_password: str = ""
    ca_file: str | None = None
    scope: str = DEFAULT_SCOPE
    account: str = ""  # the account's name, for messages

    @classmethod
    def of(cls, account: Account) -> PscConfig:
        p12 = None
        if account.psc_client_p12:
            try:
                p12 = base64.b64decode(account.psc_client_p12, validate=True)
            except ValueError:
                raise SecurityError(
                    T("auth.psc.compte-certificat-pro-sante", account_name=account.name)
                ) from None
        return cls(
            issuer=account.psc_issuer.rstrip("/"),
            client_id=account.psc_client_id,
            client_secret=account.psc_client_secret,
            client_p12=p12,
            client_p12_password=account.psc_client_p12_password,
            ca_file=account.psc_ca_file,
            scope=account.psc_scope or DEFAULT_SCOPE,
            account=account.name,
        )


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_at: float  # time.time() when the access token lapses
    refresh_token: str = ""

    def fresh(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return now < self.expires_at

    def __repr__(self) -> str:  # never print a token, even in a traceback
        return f"Tokens(expires_at={self.expires_at:.0f}, refresh={'yes' if self.refresh_token else 'no'})"


@dataclass(frozen=True)
class CibaRequest:
    auth_req_id: str
    expires_in: float
    interval: float
    code: str

    @property
    def message(self) -> str:
        return binding_text(self.code)

    def __repr__(self) -> str:
        return f"CibaRequest(code={self.code}, expires_in={self.expires_in:.0f})"


_DISCOVERY: dict[str, dict[str, Any]] = {}  # issuer -> its openid-configuration, for this process


class PscClient:
    """HTTP conversations with the provider (blocking urllib calls run in a worker thread)."""

    def __init__(self, config: PscConfig, timeout: float = 30.0) -> None:
        if not config.issuer.startswith("https://"):
            raise BadInput(T("auth.psc.compte-adresse-pro-sante", account=config.account))
        if not config.client_id:
            raise BadInput(T("auth.psc.compte-psc-client-manquant", account=config.account))
        if not (config.client_secret or config.client_p12):
            raise BadInput(T("auth.psc.compte-secret-certificat-identifier", account=config.account))
        self.config = config
        self.timeout = timeout
        self._ssl: ssl.SSLContext | None = None

    # ------------------------------------------------------------------ HTTP
    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            from core.mail.tls import client_context

            self._ssl = client_context(
                self.config.ca_file, self.config.client_p12, self.config.client_p12_password
            )
        return self._ssl

    def _where(self) -> str:
        return f"Pro Santé Connect ({urllib.parse.urlsplit(self.config.issuer).netloc})"

    def _http(
        self, url: str, form: dict[str, str] | None = None, auth: bool = False
    ) -> tuple[int, dict[str, Any]]:
        """(status, JSON body); an HTTP error status with a JSON body is returned, not raised."""
        from core.mail.tls import describe

        headers = {"Accept": "application/json"}
        data = None
        if form is not None:
            form = dict(form)
            if auth:
                if self.config.client_secret:
                    basic = f"{urllib.parse.quote(self.config.client_id, safe='')}:" + urllib.parse.quote(
                        self.config.client_secret, safe=""
                    )
                    headers["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
                else:
                    form["client_id"] = self.config.client_id  # RFC 8705 tls_client_auth
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self._context()), _NoRedirect()
        )
        try:
            try:
                response = opener.open(request, timeout=self.timeout)
            except urllib.error.HTTPError as exc:
                response = exc
            with response:
                status = response.status if hasattr(response, "status") else response.code
                body = response.read(MAX_BODY + 1)
        except ssl.SSLError as exc:
            raise PscError(
                T("auth.psc.message", where=self._where(), describe=describe(exc)), permanent=True
            ) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, ssl.SSLError):
                raise PscError(
                    T("auth.psc.message", where=self._where(), describe=describe(reason)), permanent=True
                ) from None
            raise PscError(
                T("auth.psc.injoignable-verifiez-reseau", where=self._where(), os_words=_os_words(reason))
            ) from None
        except (TimeoutError, OSError) as exc:
            raise PscError(
                T("auth.psc.injoignable-verifiez-reseau", where=self._where(), os_words=_os_words(exc))
            ) from None
        if len(body) > MAX_BODY:
            raise PscError(T("auth.psc.reponse-trop-grande-ignoree", where=self._where()))
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise PscError(T("auth.psc.reponse-illisible-http", where=self._where(), status=status))
        return status, parsed

    async def _call(
        self, url: str, form: dict[str, str] | None = None, auth: bool = False
    ) -> tuple[int, dict[str, Any]]:
        return await asyncio.to_thread(self._http, url, form, auth)

    # ------------------------------------------------------------------ endpoints
    async def discover(self) -> dict[str, Any]:
        issuer = self.config.issuer
        known = _DISCOVERY.get(issuer)
        if known is not None:
            return known
        status, doc = await self._call(f"{issuer}/.well-known/openid-configuration")
        if status != 200:
            raise PscError(
                T("auth.psc.configuration-openid-introuvable-http", where=self._where(), status=status)
            )
        if doc.get("issuer", "").rstrip("/") != issuer:
            raise PscError(T("auth.psc.configuration-openid-annonce-autre", where=self._where()))
        for key in ("token_endpoint", "backchannel_authentication_endpoint"):
            if not str(doc.get(key, "")).startswith("https://"):
                raise PscError(
                    T("auth.psc.propose-connexion-ciba-manquant", where=self._where(), key=key),
                    permanent=True,
                )
        _DISCOVERY[issuer] = doc
        return doc

    def _error(self, body: dict[str, Any], status: int, during: str) -> PscError:
        code = str(body.get("error", "")) or f"HTTP {status}"
        where = self._where()
        account = self.config.account
        if code == "invalid_client":
            return PscError(
                T("auth.psc.refuse-identification-logiciel-client", where=where, account=account),
                permanent=True,
            )
        if code in ("unknown_user_id", "invalid_request") and during == "bc-authorize":
            return PscError(
                T("auth.psc.connait-identifiant-national-donne", where=where),
                permanent=True,
            )
        if code == "access_denied":
            return PscError(T("auth.psc.connexion-refusee-application-cps"), permanent=True)
        if code == "expired_token":
            return PscError(
                T("auth.psc.application-cps-repondu-temps", account=account),
                permanent=True,
            )
        if code == "invalid_grant" and during == "refresh":
            return LoginRequired(T("auth.psc.compte-session-pro-sante", account=account))
        return PscError(T("auth.psc.refuse-demande", where=where, code=code), permanent=400 <= status < 500)

    async def start(self, login_hint: str, code: str | None = None) -> CibaRequest:
        """Ask the provider to push an approval request to the practitioner's phone."""
        if not login_hint:
            raise BadInput(T("auth.psc.compte-identifiant-national-manquant", account=self.config.account))
        doc = await self.discover()
        code = code or binding_code()
        form = {"scope": self.config.scope, "login_hint": login_hint, "binding_message": code}
        status, body = await self._call(doc["backchannel_authentication_endpoint"], form, auth=True)
        if status != 200 or not body.get("auth_req_id"):
            raise self._error(body, status, "bc-authorize")
        log.info("psc: CIBA request started for account %s", self.config.account)
        return CibaRequest(
            auth_req_id=str(body["auth_req_id"]),
            expires_in=float(body.get("expires_in") or DEFAULT_REQUEST_LIFETIME),
            interval=float(body.get("interval") or DEFAULT_INTERVAL),
            code=code,
        )

    async def poll(
        self, request: CibaRequest, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    ) -> Tokens:
        """Poll the token endpoint at the asked interval until the phone answers or the request lapses."""
        doc = await self.discover()
        interval = request.interval
        deadline = (
            time.monotonic() + request.expires_in + interval
        )  # a provider that never says expired_token
        form = {"grant_type": CIBA_GRANT, "auth_req_id": request.auth_req_id}
        while True:
            await sleep(interval)
            if time.monotonic() > deadline:
                raise PscError(
                    T("auth.psc.application-cps-repondu-temps", account=self.config.account),
                    permanent=True,
                )
            status, body = await self._call(doc["token_endpoint"], form, auth=True)
            if status == 200 and body.get("access_token"):
                tokens = await self._tokens(body, doc)
                log.info("psc: login approved for account %s", self.config.account)
                return tokens
            error = body.get("error")
            if error == "authorization_pending":
                continue
            if error == "slow_down":
                interval += SLOW_DOWN_STEP
                log.info("psc: slow_down, polling every %.0f s", interval)
                continue
            log.info("psc: CIBA ended for account %s (%s)", self.config.account, error or status)
            raise self._error(body, status, "poll")

    async def refresh(self, refresh_token: str) -> Tokens:
        doc = await self.discover()
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        status, body = await self._call(doc["token_endpoint"], form, auth=True)
        if status != 200 or not body.get("access_token"):
            raise self._error(body, status, "refresh")
        tokens = await self._tokens(body, doc, refresh_token)
        log.info("psc: access token renewed for account %s", self.config.account)
        return tokens

    async def _tokens(self, body: dict[str, Any], doc: dict[str, Any], previous_refresh: str = "") -> Tokens:
        if str(body.get("token_type", "Bearer")).lower() != "bearer":
            raise PscError(T("auth.psc.type-jeton-inattendu", where=self._where()))
        if body.get("id_token") and doc.get("jwks_uri"):
            await self._check_id_token(str(body["id_token"]), doc)
        lifetime = float(body.get("expires_in") or 300)
        return Tokens(
            access_token=str(body["access_token"]),
            expires_at=time.time() + lifetime,
            refresh_token=str(body.get("refresh_token") or previous_refresh),
        )

    async def _check_id_token(self, id_token: str, doc: dict[str, Any]) -> None:
        from core.auth import jws

        status, keys = await self._call(str(doc["jwks_uri"]))
        if status != 200:
            raise PscError(T("auth.psc.cles-signature-introuvables-http", where=self._where(), status=status))
        claims = jws.verify_rs256(id_token, keys)
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("iss", "").rstrip("/") != self.config.issuer or self.config.client_id not in audiences:
            raise SecurityError(T("auth.psc.jeton-identite-pro-sante"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # a token endpoint never redirects
        return None


def _os_words(exc: object) -> str:
    from core.errors import os_reason

    if isinstance(exc, TimeoutError):
        return str(T("mail.autoconfig.timeout"))
    if isinstance(exc, OSError):
        return os_reason(exc)
    return str(exc) or str(T("auth.psc.unknown-reason"))


class PscSessions:
    """Access tokens in memory, per account; the refresh token saved (encrypted) through ``save_refresh``.

    ``save_refresh(account_name, refresh_token)`` is set by the façade to write the account back into the
    encrypted profile; an empty token means "forget it" (revoked).
    """

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, str, str], Tokens] = {}
        # the refresh token the provider refused, per login: no request until another is stored
        self._gone: dict[tuple[str, str, str, str], str] = {}
        self._locks: dict[tuple[str, str, str, str], asyncio.Lock] = {}
        self.save_refresh: Callable[[str, str], None] | None = None
        # ``forget_refresh(account_name, refused)``: forget a refused refresh token unless another process of
        # the profile stored a newer one meanwhile; returns that newer one, or "" (set by the façade)
        self.forget_refresh: Callable[[str, str], str] | None = None

    @staticmethod
    def _key(account: Account) -> tuple[str, str, str, str]:
        return (account.name, account.psc_issuer.rstrip("/"), account.psc_client_id, account.email)

    def _lock(self, key: tuple[str, str, str, str]) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def _save(self, account: Account, refresh_token: str) -> None:
        from core import auth

        save = self.save_refresh or auth.save_refresh
        if save is not None:
            save(account.name, refresh_token)

    def _refused(self, account: Account, refused: str) -> str:
        """The provider refused ``refused``: forget it in the profile, unless another process (the daemon, a
        `missive send`, the app) renewed the login meanwhile -- the provider hands a new refresh token at each
        renewal and refuses the old one, so the token this process held is refused while the stored one is
        good. That stored one is returned (else "")."""
        from core import auth

        forget = self.forget_refresh or auth.forget_refresh
        if forget is None:
            self._save(account, "")
            return ""
        return forget(account.name, refused)

    def _dead(self, key: tuple[str, str, str, str], account: Account) -> bool:
        """This process saw the login refused, and no other process has stored a new one since."""
        refused = self._gone.get(key)
        return refused is not None and account.psc_refresh_token in ("", refused)

    def has_login(self, account: Account) -> bool:
        key = self._key(account)
        if self._dead(key, account):
            return False
        held = self._tokens.get(key)
        return bool((held and held.refresh_token) or account.psc_refresh_token)

    async def access_token(self, account: Account, client: PscClient | None = None) -> str:
        """A valid access token: from memory, else renewed with the refresh token; LoginRequired if none."""
        key = self._key(account)
        async with self._lock(key):
            held = self._tokens.get(key)
            now = time.time()
            if held is not None:
                life_left = held.expires_at - now
                if life_left > REFRESH_MARGIN:
                    return held.access_token
            refresh = (
                held.refresh_token if held is not None and held.refresh_token else account.psc_refresh_token
            )
            if self._dead(key, account) or not refresh:
                raise LoginRequired(T("auth.psc.compte-connexion-pro-sante", account_name=account.name))
            client = client or PscClient(PscConfig.of(account))
            try:
                tokens = await client.refresh(refresh)
            except LoginRequired:
                self._tokens.pop(key, None)
                newer = self._refused(account, refresh)
                if not newer:
                    self._gone[key] = refresh
                    log.warning(
                        "psc: refresh token refused for account %s; a new login is needed", account.name
                    )
                    raise
                # renewed by another process of the profile meanwhile: its token is the one (tried once)
                log.info(
                    "psc: account %s renewed by another process; its refresh token is used", account.name
                )
                try:
                    tokens = await client.refresh(newer)
                except LoginRequired:
                    self._gone[key] = newer
                    self._refused(account, newer)
                    log.warning(
                        "psc: refresh token refused for account %s; a new login is needed", account.name
                    )
                    raise
                refresh = newer
            self._gone.pop(key, None)
            self._tokens[key] = tokens
            if tokens.refresh_token and tokens.refresh_token != refresh:
                self._save(account, tokens.refresh_token)
            return tokens.access_token

    def drop_access(self, account: Account) -> None:
        """The server refused the access token: forget it (the refresh token stays)."""
        key = self._key(account)
        held = self._tokens.get(key)
        if held is not None:
            self._tokens[key] = Tokens("", 0.0, held.refresh_token)

    async def login(
        self,
        account: Account,
        show: Callable[[str], Any],
        client: PscClient | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> Tokens:
        """Run CIBA: ``show`` gets the French line with the binding code; tokens kept, refresh token saved."""
        client = client or PscClient(PscConfig.of(account))
        request = await client.start(account.psc_login_hint, binding_code())
        show(request.message)
        tokens = await client.poll(request, sleep=sleep)
        key = self._key(account)
        self._tokens[key] = tokens
        self._gone.pop(key, None)
        self._save(account, tokens.refresh_token)
        return tokens

    def forget(self, account: Account) -> None:
        key = self._key(account)
        self._tokens.pop(key, None)


sessions = PscSessions()  # this process's tokens; the façade plugs save_refresh into the profile


async def bearer(account: Account) -> str:
    """The access token for ``account`` (``auth = "psc"``), renewed when needed."""
    return await sessions.access_token(account)


def sasl_xoauth2(user: str, token: str) -> str:
    """Base64 initial response of XOAUTH2."""
    return base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode()


def sasl_oauthbearer(user: str, token: str, host: str = "", port: int = 0) -> str:
    """Base64 initial response of OAUTHBEARER (RFC 7628 §3.1): GS2 header with the authzid, then kvpairs."""
    safe_user = user.replace("=", "=3D").replace(",", "=2C")
    parts = [f"n,a={safe_user},"]
    if host:
        parts.append(f"host={host}")
    if port:
        parts.append(f"port={port}")
    parts.append(f"auth=Bearer {token}")
    return base64.b64encode(("\x01".join(parts) + "\x01\x01").encode()).decode()
