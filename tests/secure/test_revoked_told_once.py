"""Filed documents put back for a check (their letter's signer turned out revoked) are said once to a running app,
whichever process found them: this process (the app's own ``update_crls``, or the daemon it follows, whose news come
through ``emit``) or another (``missive trust update`` in a terminal: the watch on the documents' folder). The
façade's RevokedFiled, counted by documents not said yet; a real profile, a real CRL on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.events import MailroomEvent, RevokedFiled
from core.mailroom import Mailroom
from tests.secure.pki import make_ca, make_user
from tests.secure.test_crl_recheck import DAY, NOW, PASS
from tests.secure.test_crl_revoked_filed import crl_of, filed_practice
from tests.servers.files import FileServer


@pytest.fixture
def crl_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = FileServer(tmp_path / "crl-files", tls=False).start()
    yield server
    server.stop()


async def _until(reached, what: str, deadline: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline  # only turns a hang into a failure
    while not reached():
        assert loop.time() < end, f"never reached: {what}"
        await asyncio.sleep(0.05)


async def test_each_revocation_is_said_once_whichever_process_finds_it(tmp_path: Path, crl_server) -> None:
    ca = make_ca("CA Santé de test")
    alice = make_user("Labo Alice", ["alice@labo.test"], ca)
    bob = make_user("Labo Bob", ["bob@labo.test"], ca)
    mr, _lgc = await filed_practice(tmp_path, ca, [(alice, "alice@labo.test"), (bob, "bob@labo.test")])
    heard: list[MailroomEvent] = []
    mr.subscribe(heard.append)
    told = lambda: [e for e in heard if isinstance(e, RevokedFiled)]  # noqa: E731
    stop = asyncio.Event()
    kept = asyncio.ensure_future(mr.keep_synced("cabinet", stop))
    try:
        await _until(lambda: mr._revoked_told is not None, "the watch on the documents")
        # this process finds Alice revoked: said once (its emit, then the watch waking on its own writes)
        crl_server.serve("/a.crl", crl_of(ca, [alice.cert], NOW - 2 * DAY, NOW - DAY / 12))
        await asyncio.to_thread(mr.update_crls, [crl_server.url("/a.crl")])
        await _until(lambda: len(told()) >= 1, "Alice's news")
        await asyncio.sleep(1.5)  # the watch has woken and looked meanwhile
        assert [(e.count, e.pending) for e in told()] == [(1, 1)]
        # another process (its own façade on the profile: nothing it emits reaches this one) finds Bob revoked
        crl_server.serve("/b.crl", crl_of(ca, [alice.cert, bob.cert], NOW - 2 * DAY, NOW - DAY / 24))
        other = Mailroom.open(tmp_path / "profile", PASS)
        await asyncio.to_thread(other.update_crls, [crl_server.url("/b.crl")])
        await _until(lambda: len(told()) >= 2, "Bob's news, from the other process")
        await asyncio.sleep(1.5)
        assert [(e.count, e.pending) for e in told()] == [(1, 1), (1, 2)]  # Alice's not said again
    finally:
        stop.set()
        await asyncio.wait_for(kept, 30)


def test_a_store_that_cannot_be_read_while_news_are_counted_still_says_them(tmp_path: Path, monkeypatch) -> None:
    """Counting the filed documents already said reads the store: a failure there (a damaged document file) made
    the CRL update itself fail after its work was done (sec9). The news are said as they come, and logged."""
    from core.errors import StoreError

    Mailroom.create(tmp_path / "p", PASS)
    mr = Mailroom.open(tmp_path / "p", PASS)
    heard: list[MailroomEvent] = []
    mr.subscribe(heard.append)
    mr._revoked_told = frozenset()  # an app watches the documents

    def unreadable() -> frozenset[str]:
        raise StoreError("documents illisibles")

    monkeypatch.setattr(mr.documents, "revoked_checks", unreadable)
    news = RevokedFiled(1, 1, "1 document classé à vérifier")
    mr.emit(news)
    assert heard == [news]
