"""A local HTTP server that records every request it gets (stands for ntfy or a webhook receiver)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    location: str = ""
    arrived: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    recorder: Recorder

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self.recorder.requests.append(Received("POST", self.path, dict(self.headers.items()), body))
        self.send_response(self.recorder.status)
        if self.recorder.location:
            self.send_header("Location", self.recorder.location)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.recorder.arrived.set()

    def log_message(self, *args: object) -> None:
        pass


class WebhookServer:
    """``with WebhookServer() as rec: ... rec.requests``."""

    def __enter__(self) -> Recorder:
        handler = type("Handler", (_Handler,), {})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        port = self._server.server_address[1]
        handler.recorder = Recorder(url=f"http://127.0.0.1:{port}/cabinet-topic")
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return handler.recorder

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
