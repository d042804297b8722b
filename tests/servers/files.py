"""A small HTTPS file server on 127.0.0.1 (test CA) for the list downloads: ETag, Last-Modified, 304, and on
command a truncated body or any bytes (an unparsable file). A server with a certificate from another CA stands
for "the wrong certificate". ``FileServer(folder, tls=False)`` serves plain http, as IGC Santé publishes its
certificate revocation lists."""

from __future__ import annotations

import hashlib
import ssl
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.servers.pki import TestCA


@dataclass
class Route:
    body: bytes
    mode: str = "ok"  # ok | truncated
    last_modified: str = field(default_factory=lambda: formatdate(usegmt=True))

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class FileServer:
    """``FileServer(folder).start()``; ``serve(path, body, mode=...)``; ``url(path)``; ``stop()``."""

    def __init__(self, folder: Path, ca: TestCA | None = None, *, tls: bool = True) -> None:
        self.tls = tls
        self.ca = ca or TestCA(folder / "pki")
        self.ca_file = self.ca.ca_file
        self.cert = self.ca.server("files", ["127.0.0.1", "localhost"])
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, int, bool]] = []  # (path, status, conditional request)
        self._httpd: ThreadingHTTPServer | None = None

    def serve(self, path: str, body: bytes, mode: str = "ok") -> None:
        self.routes[path] = Route(body, mode)

    def url(self, path: str) -> str:
        assert self._httpd is not None
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def start(self) -> FileServer:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.cert.cert), str(self.cert.key))
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                route = server.routes.get(self.path)
                conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
                if route is None:
                    server.log.append((self.path, 404, conditional))
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == route.etag:
                    server.log.append((self.path, 304, conditional))
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.end_headers()
                    return
                server.log.append((self.path, 200, conditional))
                self.send_response(200)
                self.send_header("Content-Length", str(len(route.body)))
                self.send_header("ETag", route.etag)
                self.send_header("Last-Modified", route.last_modified)
                self.end_headers()
                if route.mode == "truncated":
                    self.wfile.write(route.body[: len(route.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(route.body)

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        if self.tls:
            httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        threading.Thread(target=httpd.serve_forever, name="file-server", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
