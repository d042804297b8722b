"""A letter stored by an older version (no ``sig_basis``) is judged at the time missive stored it, not now.

71fdf02 takes "now" as when missive had such a letter: a colleague's letter synced months ago, whose certificate
the authority revoked last week (a renewed card, a retirement), read "certificat révoqué" at the first list that
changed, and went to Quarantaine in strict mode. missive's own record of when it stored the letter is the file of
its raw copy (written at that sync, by missive's clock, never the sender's word)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from core.text import set_language
from tests.secure.pki import make_ca, make_user
from tests.secure.test_crl_recheck import DAY, NOW, crl_of, synced_letters
from tests.servers.files import FileServer


@pytest.fixture(autouse=True)
def french() -> None:
    set_language("fr")


@pytest.fixture
def crl_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = FileServer(tmp_path / "crl-files", tls=False).start()
    yield server
    server.stop()


async def test_an_older_versions_letter_is_judged_at_the_time_it_was_stored(tmp_path: Path, crl_server) -> None:
    ca = make_ca("CA Santé de test")
    alice = make_user("Alice Martin", ["alice@hopital.test"], ca)
    bob = make_user("Bob Durand", ["bob@hopital.test"], ca)
    mr = await synced_letters(tmp_path, ca, [(alice, "alice"), (bob, "bob")])
    rows: dict[str, Any] = {s.subject: s for s in mr.messages.list()}
    for row in rows.values():  # as an older version stored them: the verdict, no chain
        doc = mr.messages.doc(row.id)
        del doc["sig_basis"]
        mr.messages.docs.put(row.id, doc)
    # the letters were stored ten days ago (the file of their raw copy says so)
    for row in rows.values():
        blob = mr.messages.blobs._path(mr.messages.doc(row.id)["blob"])
        ten_days_ago = (NOW - 10 * DAY).timestamp()
        os.utime(blob, (ten_days_ago, ten_days_ago))

    # Alice revoked two days ago (after her letter was stored), Bob's key compromised since twelve days ago
    crl_server.serve("/ca.crl", crl_of(ca, [(alice.cert, NOW - 2 * DAY, None), (bob.cert, NOW - DAY, NOW - 12 * DAY)]))
    update = mr.update_crls([crl_server.url("/ca.crl")])
    assert update.failures == []
    verdicts = {s: (r.signature.verdict, r.signature.reason) for s, r in ((r.subject, r) for r in mr.messages.list())}
    assert verdicts == {
        "alice": ("good", ""),  # signed while her certificate held: valid, and now checked
        "bob": ("bad", "sig.cert-revoked"),  # untrustworthy since before missive had it
    }
    seen = {s: mr.messages.doc(r.id)["sig_basis"]["seen"] for s, r in rows.items()}
    assert all(when.startswith((NOW - 10 * DAY).date().isoformat()) for when in seen.values()), seen
