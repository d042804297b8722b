"""The official lists kept fresh: the MSSanté whitelist and the Annuaire Santé extractions, downloaded from their
published addresses (defaults below, overridable in profile.toml ``[lists]`` or on the command line).

Every download is over verified HTTPS (the system store, or a CA file: the IGC-Santé chain, which public stores
do not carry), conditional (``If-None-Match`` / ``If-Modified-Since``: a 304 changes nothing), bounded in size,
and checked for truncation (fewer bytes than announced). The new list replaces the old one only once it has
been parsed in full: the whitelist through ``TrustPolicy.import_whitelist`` (one document write), the directory
through ``core.directory.importer.import_files`` (a new index swapped in with ``os.replace``). Any failure leaves
the last good copy in use, and says so in one French line. What was fetched and when (URL, ETag, dates — no
health data) is kept in the profile's ``lists`` collection; the daemon refreshes once a day.
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import os
import ssl
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import BadInput, MissiveError, TransportError, os_reason
from core.text import T, Text

log = logging.getLogger("missive.lists")

WHITELIST_URL = "https://espacedeconfiance.mssante.fr/listeblanchemssante.xml"
_ANS = "https://service.annuaire.sante.fr/annuaire-sante-webservices/V300/services/extraction"
DIRECTORY_URLS = (f"{_ANS}/PS_LibreAcces", f"{_ANS}/Extraction_Correspondance_MSSante")
MAX_WHITELIST_BYTES = 20_000_000
MAX_DIRECTORY_BYTES = 2_000_000_000  # the RPPS zip is some hundreds of MB
TIMEOUT = 60.0
DAY = 24 * 3600.0
RETRY_AFTER_FAILURE = 3600.0
_CHUNK = 1 << 20


class ListError(TransportError):
    """A download failed or did not parse: the last good copy stays in use."""


@dataclass
class Fetched:
    url: str
    status: int  # 200 (new body in ``path``) or 304 (unchanged)
    path: Path | None = None
    etag: str = ""
    last_modified: str = ""
    size: int = 0


class _HttpsOnlyRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if not newurl.lower().startswith("https://"):
            return None  # never follow a redirection to plain http
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _WebRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if not newurl.lower().startswith(("https://", "http://")):
            return None  # no ftp:// nor file:// from a server's answer
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _check_url(url: str, plain_http: bool = False) -> str:
    parts = urllib.parse.urlsplit(url or "")
    schemes = ("https", "http") if plain_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        if plain_http:
            raise BadInput(T("lists.http-or-https", url=url))
        raise BadInput(T("lists.donnez-adresse-https-missive", url=url))
    return url


def _where(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or url


def _tls_words(url: str, exc: BaseException, ca_file: str | None) -> ListError:
    from core.mail.tls import describe

    words = describe(exc)
    hint = T("lists.igc-hint") if not ca_file and isinstance(exc, ssl.SSLCertVerificationError) else ""
    return ListError(T("lists.tls", where=_where(url), words=words, hint=hint), permanent=True)


def download(
    url: str,
    folder: Path,
    *,
    ca_file: str | None = None,
    etag: str = "",
    last_modified: str = "",
    max_bytes: int = MAX_WHITELIST_BYTES,
    timeout: float = TIMEOUT,
    plain_http: bool = False,
) -> Fetched:
    """GET ``url`` into a private temporary file of ``folder`` (0600), conditionally; ListError on any failure
    (the temporary file is then removed). ``plain_http``: http is taken too (CRLs, which are signed: what
    they say is checked against their authority, not against the connection)."""
    from core.mail.tls import client_context

    _check_url(url, plain_http)
    context = client_context(ca_file)
    headers = {"User-Agent": "missive", "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    redirect = _WebRedirect() if plain_http else _HttpsOnlyRedirect()
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), redirect)
    where = _where(url)
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 304:
            return Fetched(url, 304, etag=etag, last_modified=last_modified)
        raise ListError(
            T("lists.http", where=where, code=exc.code), permanent=exc.code in (401, 403, 404, 410)
        ) from None
    except ssl.SSLError as exc:
        raise _tls_words(url, exc, ca_file) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLError):
            raise _tls_words(url, exc.reason, ca_file) from None
        import socket

        reason: Text | str
        if isinstance(exc.reason, socket.gaierror):
            reason = T("mail.autoconfig.no-such-host")
        else:
            reason = os_reason(exc.reason) if isinstance(exc.reason, OSError) else str(exc.reason)
        raise ListError(T("lists.unreachable", where=where, reason=reason)) from None
    except (TimeoutError, OSError) as exc:
        raise ListError(T("lists.unreachable", where=where, reason=os_reason(exc))) from None
    with response:
        announced = response.headers.get("Content-Length")
        if announced and announced.isdigit() and int(announced) > max_bytes:
            raise ListError(
                T(
                    "lists.announced-too-big",
                    where=where,
                    size=int(announced) // 1_000_000,
                    limit=max_bytes // 1_000_000,
                ),
                permanent=True,
            )
        fd, name = tempfile.mkstemp(prefix=".download-", dir=folder)  # 0600
        path = Path(name)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        raise ListError(
                            T("lists.too-big", where=where, limit=max_bytes // 1_000_000), permanent=True
                        )
                    out.write(chunk)
            if announced and announced.isdigit() and size != int(announced):
                raise _truncated(where)
        except http.client.IncompleteRead:
            path.unlink(missing_ok=True)
            raise _truncated(where) from None
        except (TimeoutError, OSError) as exc:
            path.unlink(missing_ok=True)
            raise ListError(T("lists.interrupted", where=where, reason=os_reason(exc))) from None
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Fetched(
            url,
            200,
            path,
            etag=response.headers.get("ETag", ""),
            last_modified=response.headers.get("Last-Modified", ""),
            size=size,
        )


def _truncated(where: str) -> ListError:
    return ListError(T("lists.truncated", where=where))


# ---------------------------------------------------------------------------------------------------- state
def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def age_words(iso: str | None, now: dt.datetime | None = None) -> str:
    """'aujourd'hui', 'il y a 3 jours'... for an ISO date; 'jamais' when None."""
    if not iso:
        return str(T("lists.never"))
    try:
        when = dt.datetime.fromisoformat(iso)
    except ValueError:
        return str(T("lists.unknown-date"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    seconds = ((now or dt.datetime.now(dt.UTC)) - when).total_seconds()
    if seconds < 3600:
        return str(T("lists.age-minutes"))
    if seconds < DAY:
        return str(T("lists.age-hours", hours=int(seconds // 3600)))
    days = int(seconds // DAY)
    return str(T("lists.age-day")) if days == 1 else str(T("lists.age-days", days=days))


@dataclass
class Updated:
    what: str  # whitelist | directory
    changed: bool
    message: str  # the summary line, in the language chosen


class JsonState:
    """A small JSON file (0600) with get/put, for the directory's download state: public data (URLs, ETags,
    dates), kept beside the directory index so `missive directory update` needs no passphrase."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _all(self) -> dict[str, Any]:
        import json

        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> Any:
        return self._all().get(key)

    def put(self, key: str, value: Any) -> None:
        import json

        from core.store.atomic import atomic_write, private_dir

        private_dir(self.path.parent)
        data = self._all()
        data[key] = value
        atomic_write(self.path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))


def directory_age(profile_dir: Path) -> str:
    """The line the directory pane shows: how old the downloaded copy is ("" when never downloaded)."""
    info = directory_lists(profile_dir).info("directory")
    if not info["updated"]:
        return ""
    if info["failed"] and (not info["checked"] or info["failed"] >= info["checked"]):
        return str(T("lists.directory-age-failed", updated=info["updated_age"]))
    return str(T("lists.directory-age", updated=info["updated_age"], checked=info["checked_age"]))


def directory_lists(profile_dir: Path) -> Lists:
    folder = Path(profile_dir) / "directory"
    return Lists(JsonState(folder / "sources.json"), folder)


class Lists:
    """Downloads and state of the lists (``state``: the profile's ``lists`` collection, or a JsonState)."""

    def __init__(self, state: Any, work_folder: Path) -> None:
        self.state = state
        self.work_folder = work_folder

    def _doc(self, key: str) -> dict[str, Any]:
        return dict(self.state.get(key) or {})

    def _save(self, key: str, doc: dict[str, Any]) -> None:
        self.state.put(key, doc)

    def info(self, key: str) -> dict[str, Any]:
        """What the screens show: last update, last check, last failure (ISO dates), and their ages in words."""
        doc = self._doc(key)
        return {
            "updated": doc.get("updated"),
            "checked": doc.get("checked"),
            "failed": doc.get("failed"),
            "error": doc.get("error", ""),
            "updated_age": age_words(doc.get("updated")),
            "checked_age": age_words(doc.get("checked")),
        }

    def due(self, key: str, now: float | None = None) -> bool:
        """A day since the last check (an hour since a failure)."""
        doc = self._doc(key)
        now = time.time() if now is None else now

        def ts(field: str) -> float:
            value = doc.get(field)
            if not value:
                return 0.0
            try:
                return dt.datetime.fromisoformat(value).timestamp()
            except ValueError:
                return 0.0

        if doc.get("failed") and ts("failed") >= ts("checked"):
            return now - ts("failed") >= RETRY_AFTER_FAILURE
        return now - ts("checked") >= DAY

    def _failed(self, key: str, exc: MissiveError) -> None:
        doc = self._doc(key)
        doc.update(failed=_now(), error=" ".join(str(exc).split()))
        self._save(key, doc)
        log.warning("lists: %s update failed (%s)", key, type(exc).__name__)

    def update_whitelist(self, trust: Any, url: str | None = None, ca_file: str | None = None) -> Updated:
        key = "whitelist"
        doc = self._doc(key)
        url = _check_url(url or doc.get("url") or WHITELIST_URL)
        same = doc.get("url") == url
        from core.store.atomic import private_dir

        private_dir(self.work_folder)
        try:
            fetched = download(
                url,
                self.work_folder,
                ca_file=ca_file,
                etag=doc.get("etag", "") if same else "",
                last_modified=doc.get("last_modified", "") if same else "",
                max_bytes=MAX_WHITELIST_BYTES,
            )
            if fetched.status == 304:
                doc.update(url=url, checked=_now(), failed=None, error="")
                self._save(key, doc)
                return Updated(key, False, str(T("lists.whitelist-current")))
            assert fetched.path is not None
            try:
                result = trust.import_whitelist(fetched.path.read_bytes())  # parses in full, then one write
            finally:
                fetched.path.unlink(missing_ok=True)
        except MissiveError as exc:
            self._failed(key, exc)
            if isinstance(exc, ListError):
                raise
            raise ListError(T("lists.kept", reason=exc), permanent=True) from None
        now = _now()
        doc.update(
            url=url, etag=fetched.etag, last_modified=fetched.last_modified, checked=now, updated=now,
            failed=None, error="",
        )  # fmt: skip
        self._save(key, doc)
        log.info("lists: whitelist updated (%d domains)", result["domains"])
        return Updated(
            key,
            True,
            str(
                T(
                    "lists.whitelist-updated",
                    domains=result["domains"],
                    generated=result["generated"] or T("lists.unknown-date"),
                )
            ),
        )

    def update_directory(
        self,
        folder: Path,
        urls: list[str] | None = None,
        ca_file: str | None = None,
        progress: Any = None,
    ) -> Updated:
        from core.directory.importer import import_files
        from core.store.atomic import private_dir

        key = "directory"
        doc = self._doc(key)
        urls = [_check_url(u) for u in (urls or doc.get("urls") or list(DIRECTORY_URLS))]
        sources: dict[str, dict[str, str]] = dict(doc.get("sources") or {})
        private_dir(folder)
        work = Path(tempfile.mkdtemp(prefix=".downloads-", dir=folder))  # 0700
        fetched: list[Fetched] = []
        try:
            for url in urls:
                seen = sources.get(url, {})
                fetched.append(
                    download(
                        url,
                        work,
                        ca_file=ca_file,
                        etag=seen.get("etag", ""),
                        last_modified=seen.get("last_modified", ""),
                        max_bytes=MAX_DIRECTORY_BYTES,
                    )
                )
            new = [f for f in fetched if f.status == 200 and f.path is not None]
            if not new:
                doc.update(urls=urls, checked=_now(), failed=None, error="")
                self._save(key, doc)
                return Updated(key, False, str(T("lists.directory-current")))
            report = import_files(folder, [f.path for f in new if f.path is not None], progress)
        except MissiveError as exc:
            self._failed(key, exc)
            if isinstance(exc, ListError):
                raise
            raise ListError(T("lists.directory-kept", reason=exc), permanent=True) from None
        finally:
            for f in fetched:
                if f.path is not None:
                    f.path.unlink(missing_ok=True)
            _remove_tree(work)
        for f in fetched:
            if f.status == 200:
                sources[f.url] = {"etag": f.etag, "last_modified": f.last_modified}
        now = _now()
        doc.update(urls=urls, sources=sources, checked=now, updated=now, failed=None, error="")
        self._save(key, doc)
        log.info("lists: directory updated from %d of %d files", len(new), len(urls))
        return Updated(key, True, str(T("lists.directory-updated", summary=report.summary())))


@dataclass
class CrlUpdate:
    """What ``Lists.update_crls`` did: one line per list (in the language chosen), the failures apart."""

    lines: list[str]
    failures: list[str]
    # the authorities (crl.name_key) whose list changed: the letters they vouched for are judged again
    authorities: list[str] = field(default_factory=list)


def update_crls(lists: Lists, keys: Any, urls: list[str], ca_file: str | None = None) -> CrlUpdate:
    """Download each CRL of ``urls`` (http or https, conditional, bounded), check it against the authorities
    in use (``keys.authorities()``) and keep it (``keys.crls.keep``); a list that fails (unreachable, not a CRL,
    a bad signature, out of date, older than the one held) leaves the one held as it was. The profile's
    ``lists`` collection keeps what was fetched and when, under "crl" (the daemon refreshes it daily)."""
    from core.secure.crl import MAX_CRL_BYTES
    from core.store.atomic import private_dir

    key = "crl"
    doc = lists._doc(key)
    sources: dict[str, dict[str, str]] = dict(doc.get("sources") or {})
    private_dir(lists.work_folder)
    lines: list[str] = []
    failures: list[str] = []
    changed = False
    changed_authorities: list[str] = []
    authorities = keys.authorities()
    if not urls and authorities:
        lines.append(str(T("lists.crl-none")))
    for url in urls:
        seen = sources.get(url, {})
        try:
            fetched = download(
                url,
                lists.work_folder,
                ca_file=ca_file,
                etag=seen.get("etag", ""),
                last_modified=seen.get("last_modified", ""),
                max_bytes=MAX_CRL_BYTES,
                plain_http=True,
            )
            if fetched.status == 304:
                lines.append(str(T("lists.crl-current", url=url)))
                continue
            assert fetched.path is not None
            try:
                data = fetched.path.read_bytes()
            finally:
                fetched.path.unlink(missing_ok=True)
            kept = keys.crls.keep(data, authorities, url=url)
        except MissiveError as exc:
            where = _where(url) if url.lower().startswith("https://") else url
            words = " ".join(str(exc).split())
            failures.append(str(T("lists.crl-kept", where=where, reason=words)))
            log.warning("lists: a CRL update failed (%s)", type(exc).__name__)
            continue
        sources[url] = {"etag": fetched.etag, "last_modified": fetched.last_modified}
        changed = changed or kept["changed"]
        if kept["changed"]:
            changed_authorities.append(kept["authority"])
        until = kept["next_update"]
        next_update = dt.datetime.fromisoformat(until).strftime("%d/%m/%Y") if until else "?"
        code = "lists.crl-updated" if kept["changed"] else "lists.crl-same"
        lines.append(str(T(code, issuer=kept["issuer"], entries=kept["entries"], next=next_update)))
    now = _now()
    doc.update(urls=urls, sources=sources, checked=now)
    if changed:
        doc["updated"] = now
    if failures:
        doc.update(failed=now, error=failures[0])
    else:
        doc.update(failed=None, error="")
    lists._save(key, doc)
    return CrlUpdate(lines, failures, list(dict.fromkeys(changed_authorities)))


def _remove_tree(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
