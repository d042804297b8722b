"""Push notifications (ntfy or a generic webhook) that carry no health data.

The only thing ever sent is a count: "3 nouveaux messages sécurisés". No name, subject, sender or result can
reach the phone, because the API takes nothing but an integer. Configured in profile.toml::

    [notifications]
    kind = "ntfy"                       # none | ntfy | webhook
    url = "https://ntfy.example/cabinet-durand"
    token_env = "MISSIVE_NTFY_TOKEN"     # optional: a bearer token read from this environment variable

HTTPS only (plain http is accepted for 127.0.0.1 alone, for tests and local relays); redirects are not
followed (they could downgrade to http). The POST runs in a thread with a timeout; a failure is logged as a
count and never stops the caller. What a failing service did not take is owed, not lost: the next push says
it too ("3 nouveaux messages" for 2 announced during an outage and 1 after), and ``retry`` (the daemon, every
minute) says it once the service answers again, with no new letter needed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from core.errors import ConfigError
from core.text import T

log = logging.getLogger("missive.notify")

TIMEOUT = 10.0


def message_for(count: int, urgent: int = 0) -> str:
    """The whole text of a notification (French, the product's language): counts, nothing else."""
    text = "1 nouveau message sécurisé" if count == 1 else f"{count} nouveaux messages sécurisés"
    if urgent > 0:
        text += f", dont {min(urgent, count)} urgent" + ("s" if min(urgent, count) > 1 else "")
    return text


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx becomes an HTTPError: never follow it, it could lead to plain http


class Notifier:
    """Sends "N nouveaux messages sécurisés" to the configured ntfy topic or webhook."""

    def __init__(
        self,
        kind: str = "none",
        url: str = "",
        token_env: str = "",
        urgent: bool = False,
        *,
        timeout: float = TIMEOUT,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if kind not in ("none", "ntfy", "webhook"):
            raise ConfigError(T("notify.profile-toml-notifications-kind"))
        self.kind = kind if url or kind == "none" else "none"
        if kind != "none" and not url:
            raise ConfigError(T("notify.profile-toml-notifications-url-2"))
        self.url = url
        self.urgent = urgent
        self.timeout = timeout
        self.sent = 0
        self.failures = 0
        self.owed = 0  # new letters a failing service was not told of (said with the next push, or by retry)
        self.owed_urgent = 0
        self._token = ""
        if self.kind != "none":
            _check_url(url)
            if token_env:
                env = os.environ if environ is None else environ
                self._token = env.get(token_env, "")
                if not self._token:
                    raise ConfigError(T("notify.profile-toml-notifications-token", token_env=token_env))
        self._opener = urllib.request.build_opener(
            _NoRedirect(), urllib.request.HTTPSHandler(context=_tls_context())
        )

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> Notifier:
        """Build from ``profile.settings.notifications`` (kind, url, token_env, urgent)."""
        return cls(
            settings.kind,
            settings.url,
            settings.token_env,
            bool(getattr(settings, "urgent", False)),
            **kwargs,
        )

    @property
    def enabled(self) -> bool:
        return self.kind != "none"

    async def new_mail(self, count: int, urgent: int = 0) -> bool:
        """Tell the phone that ``count`` new messages arrived (``urgent`` of them with a critical result,
        said only when the setting asks); True when the service took it."""
        if not self.enabled or count <= 0:
            return False
        return await self._announce(int(count), int(urgent))

    async def retry(self) -> bool:
        """Tell the phone what a failing service was not told (``owed``); True when it took it. Nothing owed,
        nothing sent."""
        if not self.enabled or self.owed <= 0:
            return False
        return await self._announce(0, 0)

    async def _announce(self, count: int, urgent: int) -> bool:
        # what is owed is taken before the POST and given back if it fails: two accounts announcing at once
        # never count it twice nor lose it
        total, urgent_total = count + self.owed, urgent + self.owed_urgent
        self.owed = self.owed_urgent = 0
        ok = await asyncio.to_thread(self._post, total, urgent_total if self.urgent else 0)
        if not ok:
            self.owed += total
            self.owed_urgent += urgent_total
        elif count == 0:
            log.info("notification delivered after the service came back")
        return ok

    def _post(self, count: int, urgent: int = 0) -> bool:
        return self._send(message_for(count, urgent), count, urgent)

    def send_text(self, text: str) -> bool:
        """Send a fixed text (the set-up assistant's test push); never health data. Blocking."""
        return self.enabled and self._send(text, 0)

    def _send(self, text: str, count: int, urgent: int = 0) -> bool:
        headers = {"User-Agent": "missive"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if self.kind == "ntfy":
            body = text.encode("utf-8")
            headers.update(
                {"Content-Type": "text/plain; charset=utf-8", "Title": "missive", "Tags": "envelope"}
            )
        else:
            payload: dict[str, Any] = {"text": text, "count": count}
            if urgent:
                payload["urgent"] = min(urgent, count)
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(1024)
                ok = 200 <= response.status < 300
        except (urllib.error.URLError, OSError, ValueError) as exc:
            ok = False
            reason = exc.code if isinstance(exc, urllib.error.HTTPError) else type(exc).__name__
            log.warning("notification not delivered (%s); %d failures so far", reason, self.failures + 1)
        if ok:
            self.sent += 1
        else:
            self.failures += 1
        return ok


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    raise ConfigError(T("notify.profile-toml-notifications-url"))


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
