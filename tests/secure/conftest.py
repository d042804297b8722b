"""Fixtures of the S/MIME tests: one throwaway PKI per session, messages, and an openssl runner."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from core.secure.smime import StaticKeys
from core.store.collection import MemoryCollection
from tests.secure.pki import PKI, build_pki

DATA = Path(__file__).resolve().parent.parent / "data" / "secure"

MESSAGE = (
    b"From: Dr Alice Martin <alice@hopital.test>\r\n"
    b"To: Dr Bob Durand <bob@clinique.test>\r\n"
    b"Subject: Compte rendu\r\n"
    b"Date: Mon, 02 Mar 2026 10:00:00 +0100\r\n"
    b"Message-ID: <cr-0001@hopital.test>\r\n"
    b"X-MSS-NIL: DEV0000001\r\n"
    b"X-MSS-INS: N\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Cher confr=C3=A8re,\r\n"
    b"Veuillez trouver le compte rendu de consultation.\r\n"
    b"Bien confraternellement.\r\n"
)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return build_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def bob_keys(pki: PKI) -> StaticKeys:
    """What Bob's profile holds: his key, the test root as anchor."""
    return StaticKeys([(pki.bob.key, pki.bob.cert)], [pki.root.cert])


@pytest.fixture
def message() -> bytes:
    return MESSAGE


class StandIn:
    """A profile stand-in: collections in memory, an audit list."""

    def __init__(self) -> None:
        self.collections: dict[str, MemoryCollection] = {}
        self.audit = self
        self.records: list[tuple[str, str, dict]] = []

    def collection(self, name: str) -> MemoryCollection:
        return self.collections.setdefault(name, MemoryCollection(name))

    def append(self, action: str, object_id: str, actor: str | None = None, **details: object) -> None:
        self.records.append((action, object_id, details))


@pytest.fixture
def standin() -> StandIn:
    return StandIn()


@pytest.fixture
def openssl(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[bytes]]:
    if shutil.which("openssl") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("openssl missing under CI: `make sysdeps` installs it", pytrace=False)
        pytest.skip(reason="the openssl command is not installed")

    def run(*args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run(["openssl", *args], input=input, capture_output=True, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"openssl {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
        return proc

    return run
