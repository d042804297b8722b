"""dnsmasq on 127.0.0.1 (a free port) serving SRV records of test domains, for the autoconfiguration tests.

Point missive at it with ``MISSIVE_DNS_SERVER=127.0.0.1:<port>`` (read only by core.mail.autoconfig).
Debian: ``apt-get install dnsmasq-base`` (the program without the system service; ``make sysdeps`` does it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


class DnsUnavailable(RuntimeError):
    pass


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestDns:
    """``TestDns(folder, srv=[(name, target, port, priority, weight)]).start()``; ``stop()`` at the end."""

    __test__ = False

    def __init__(self, folder: Path, srv: list[tuple[str, str, int, int, int]]) -> None:
        self.folder = folder
        self.srv = srv
        self.port = _free_udp_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> TestDns:
        program = shutil.which("dnsmasq") or (
            "/usr/sbin/dnsmasq" if Path("/usr/sbin/dnsmasq").exists() else None
        )
        if program is None:
            raise DnsUnavailable("dnsmasq not installed: apt-get install dnsmasq-base (make sysdeps)")
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [
            program,
            "--keep-in-foreground",
            f"--port={self.port}",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            f"--pid-file={self.folder / 'dnsmasq.pid'}",
            "--log-facility=-",
        ]
        args += [
            f"--srv-host={name},{target},{port},{prio},{weight}"
            for name, target, port, prio, weight in self.srv
        ]
        log = (self.folder / "dnsmasq.log").open("wb")
        self._process = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise DnsUnavailable(f"dnsmasq stopped: {(self.folder / 'dnsmasq.log').read_text()[-300:]}")
            if self._answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise DnsUnavailable("dnsmasq did not answer within 10 s")

    def _answers(self) -> bool:
        import dns.exception
        import dns.message
        import dns.query

        try:
            dns.query.udp(
                dns.message.make_query("probe.invalid.", "A"), "127.0.0.1", timeout=0.3, port=self.port
            )
            return True
        except (dns.exception.DNSException, OSError):
            return False

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
