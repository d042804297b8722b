"""A Pro Santé Connect stand-in: a small OpenID provider over HTTPS on 127.0.0.1, for the tests.

What it serves (paths under ``issuer``):
- ``/.well-known/openid-configuration`` (discovery), ``/jwks`` (its RS256 public key);
- ``/bc-authorize``: CIBA backchannel authentication request (poll mode), answers ``auth_req_id``, ``expires_in``,
  ``interval``;
- ``/token``: grants ``urn:openid:params:grant-type:ciba`` (``authorization_pending``, ``slow_down`` when polled
  faster than the interval, ``access_denied``, ``expired_token``) and ``refresh_token`` (rotated at each use;
  ``invalid_grant`` once revoked);
- ``/introspect`` (RFC 7662, HTTP Basic auth of the mail servers): the JWT's signature, expiry and revocation.

Clients authenticate by ``client_secret_basic``/``client_secret_post`` or by mutual TLS (``tls_client_auth``,
RFC 8705: the certificate's subject CN is the client id). Access tokens are RS256 JWTs (signed with
``cryptography``: a JWS is two base64url parts and a PKCS#1 v1.5 signature, no JWT library needed).

The "phone" answers on command: ``phone = "approve" | "deny" | "never"``. Counters (``grants``) let tests check
that a client does not hammer the provider.
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CIBA_GRANT = "urn:openid:params:grant-type:ciba"
INTROSPECTION_USER = "mailservers"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uint(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


@dataclass
class _Request:
    auth_req_id: str
    client_id: str
    email: str
    binding_message: str
    expires_at: float
    interval: float
    last_poll: float = 0.0


@dataclass
class Client:
    client_id: str
    secret: str | None = None  # None: mutual TLS only


@dataclass
class PscStandIn:
    """Start with ``start()``; ``stop()`` at the end. Thread-safe enough for one test process."""

    folder: Path
    server_cert: Path
    server_key: Path
    ca_file: Path
    users: dict[str, str] = field(default_factory=dict)  # national id (login_hint) -> mailbox address
    clients: dict[str, Client] = field(default_factory=dict)
    phone: str = "approve"  # approve | deny | never
    interval: int = 1  # seconds between polls the client is asked to keep
    request_lifetime: int = 3  # expires_in of a CIBA request
    access_lifetime: int = 300
    introspection_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    slow_down_once: bool = False  # answer the next CIBA poll with slow_down, whatever its timing

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(4)
        self.port = 0
        self.grants: dict[str, int] = {}
        self.slow_downs = 0
        self.binding_messages: list[str] = []
        self.refresh_tokens: dict[str, tuple[str, str]] = {}  # token -> (client_id, email)
        self.revoked_jti: set[str] = set()
        self.issued_jti: list[str] = []
        self.issued: list[
            str
        ] = []  # every access, refresh and id token handed out (tests grep disks for them)
        self._requests: dict[str, _Request] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control
    @property
    def issuer(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def introspection_url(self) -> str:
        return f"https://{INTROSPECTION_USER}:{self.introspection_password}@127.0.0.1:{self.port}/introspect"

    def add_user(self, national_id: str, email: str) -> None:
        self.users[national_id] = email

    def add_client(self, client_id: str, secret: str | None = None) -> None:
        self.clients[client_id] = Client(client_id, secret)

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token becomes invalid (the user revoked the product, or it lapsed)."""
        with self._lock:
            self.refresh_tokens.clear()

    def revoke_access_tokens(self) -> None:
        """Every access token issued so far is refused by introspection (as if it had expired)."""
        with self._lock:
            self.revoked_jti.update(self.issued_jti)

    def start(self, port: int = 0) -> PscStandIn:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.server_cert), str(self.server_key))
        ctx.load_verify_locations(cafile=str(self.ca_file))
        ctx.verify_mode = ssl.CERT_OPTIONAL  # mutual TLS for the clients that use it
        stand_in = self

        class Handler(_Handler):
            psc = stand_in

        httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        httpd.daemon_threads = True
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, name="psc-stand-in", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    # ------------------------------------------------------------------ tokens
    def sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"

    def verify(self, token: str) -> dict[str, Any] | None:
        try:
            head, body, sig = token.split(".")
            signature = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
            self.key.public_key().verify(
                signature, f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except Exception:  # noqa: BLE001 - any malformed or forged token is simply inactive
            return None

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.kid,
                    "n": _uint(numbers.n),
                    "e": _uint(numbers.e),
                }
            ]
        }

    def _tokens(self, client_id: str, email: str) -> dict[str, Any]:
        now = int(time.time())
        jti = secrets.token_hex(8)
        national_id = next((k for k, v in self.users.items() if v == email), "")
        claims = {
            "iss": self.issuer,
            "sub": f"psc-{national_id}",
            "aud": client_id,
            "iat": now,
            "exp": now + self.access_lifetime,
            "jti": jti,
            "email": email,
            "preferred_username": national_id,
        }
        refresh = secrets.token_urlsafe(24)
        self.issued_jti.append(jti)
        self.refresh_tokens[refresh] = (client_id, email)
        id_token = self.sign({**claims, "jti": secrets.token_hex(8)})
        access = self.sign(claims)
        self.issued.extend((access, refresh, id_token))
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_lifetime,
            "refresh_token": refresh,
            "id_token": id_token,
            "scope": "openid scope_all",
        }

    def introspect(self, token: str) -> dict[str, Any]:
        claims = self.verify(token)
        if claims is None or claims.get("jti") in self.revoked_jti or claims.get("exp", 0) <= time.time():
            return {"active": False}
        return {"active": True, **claims, "username": claims["email"]}


class _Handler(BaseHTTPRequestHandler):
    psc: PscStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _error(self, error: str, status: int = 400) -> None:
        self._send(status, {"error": error, "error_description": error})

    def do_GET(self) -> None:  # noqa: N802
        psc = self.psc
        if self.path == "/.well-known/openid-configuration":
            base = psc.issuer
            self._send(
                200,
                {
                    "issuer": base,
                    "token_endpoint": f"{base}/token",
                    "backchannel_authentication_endpoint": f"{base}/bc-authorize",
                    "introspection_endpoint": f"{base}/introspect",
                    "jwks_uri": f"{base}/jwks",
                    "backchannel_token_delivery_modes_supported": ["poll"],
                    "grant_types_supported": [CIBA_GRANT, "refresh_token"],
                    "token_endpoint_auth_methods_supported": [
                        "client_secret_basic",
                        "client_secret_post",
                        "tls_client_auth",
                    ],
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        elif self.path == "/jwks":
            self._send(200, psc.jwks())
        else:
            self._error("not_found", 404)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        return {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}

    def _client(self, form: dict[str, str]) -> str | None:
        """The authenticated client id, by Basic auth, form secret or TLS certificate; None if none holds."""
        psc = self.psc
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            user, password = urllib.parse.unquote(user), urllib.parse.unquote(password)
            client = psc.clients.get(user)
            return (
                user if client and client.secret and secrets.compare_digest(client.secret, password) else None
            )
        client_id = form.get("client_id", "")
        client = psc.clients.get(client_id)
        if client is None:
            return None
        if "client_secret" in form:
            ok = client.secret is not None and secrets.compare_digest(client.secret, form["client_secret"])
            return client_id if ok else None
        cert = self.connection.getpeercert()  # type: ignore[attr-defined]
        if cert:
            cn = next((v for rdn in cert.get("subject", ()) for k, v in rdn if k == "commonName"), None)
            return client_id if cn == client_id else None
        return None

    def do_POST(self) -> None:  # noqa: N802
        psc = self.psc
        form = self._form()
        if self.path == "/introspect":
            auth = self.headers.get("Authorization", "")
            expected = base64.b64encode(
                f"{INTROSPECTION_USER}:{psc.introspection_password}".encode()
            ).decode()
            if auth != f"Basic {expected}":
                self._error("invalid_client", 401)
                return
            with psc._lock:
                self._send(200, psc.introspect(form.get("token", "")))
            return
        client_id = self._client(form)
        if client_id is None:
            self._error("invalid_client", 401)
            return
        with psc._lock:
            if self.path == "/bc-authorize":
                self._bc_authorize(client_id, form)
            elif self.path == "/token":
                self._token(client_id, form)
            else:
                self._error("not_found", 404)

    def _bc_authorize(self, client_id: str, form: dict[str, str]) -> None:
        psc = self.psc
        if "openid" not in form.get("scope", "").split():
            self._error("invalid_scope")
            return
        email = psc.users.get(form.get("login_hint", ""))
        if email is None:
            self._error("unknown_user_id")
            return
        request = _Request(
            auth_req_id=secrets.token_urlsafe(16),
            client_id=client_id,
            email=email,
            binding_message=form.get("binding_message", ""),
            expires_at=time.monotonic() + psc.request_lifetime,
            interval=psc.interval,
        )
        psc._requests[request.auth_req_id] = request
        psc.binding_messages.append(request.binding_message)
        self._send(
            200,
            {
                "auth_req_id": request.auth_req_id,
                "expires_in": psc.request_lifetime,
                "interval": psc.interval,
            },
        )

    def _token(self, client_id: str, form: dict[str, str]) -> None:
        psc = self.psc
        grant = form.get("grant_type", "")
        psc.grants[grant] = psc.grants.get(grant, 0) + 1
        if grant == "refresh_token":
            held = psc.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if held is None or held[0] != client_id:
                self._error("invalid_grant")
                return
            self._send(200, psc._tokens(client_id, held[1]))
            return
        if grant != CIBA_GRANT:
            self._error("unsupported_grant_type")
            return
        request = psc._requests.get(form.get("auth_req_id", ""))
        if request is None or request.client_id != client_id:
            self._error("invalid_grant")
            return
        now = time.monotonic()
        if now >= request.expires_at:
            del psc._requests[request.auth_req_id]
            self._error("expired_token")
            return
        if psc.slow_down_once and request.last_poll == 0.0:
            psc.slow_down_once = False
            request.last_poll = now
            request.interval += 5
            psc.slow_downs += 1
            self._error("slow_down")
            return
        # Polled sooner than asked (a little slack for the scheduler): slow down, 5 s more from now on.
        if request.last_poll and now - request.last_poll < request.interval - 0.2:
            request.last_poll = now
            request.interval += 5
            psc.slow_downs += 1
            self._error("slow_down")
            return
        request.last_poll = now
        if psc.phone == "deny":
            del psc._requests[request.auth_req_id]
            self._error("access_denied", 403)
        elif psc.phone == "approve":
            del psc._requests[request.auth_req_id]
            self._send(200, psc._tokens(client_id, request.email))
        else:
            self._error("authorization_pending")
