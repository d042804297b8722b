"""The list's signature mark is the core's verdict (SignatureStatus.verdict): a valid signature whose revocation
could not be checked reads "~", not "✓"; once `trust update` brings the authority's revocation list, the stored
letters are judged again and the same list reads "✓" for a certificate the list clears and "✗" for one revoked
before the letter came, the reader saying "certificat révoqué". A real profile (Maildir account, real
certificates and a real CRL served over http on 127.0.0.1), the app at 80x24."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from tests.secure.pki import make_ca, make_user
from tests.secure.test_crl_recheck import DAY, NOW, crl_of, synced_letters
from tests.servers.files import FileServer
from tests.tui.conftest import settle
from tests.tui.test_flows import text_of, until
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList


@pytest.fixture
def crl_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = FileServer(tmp_path / "crl-files", tls=False).start()
    yield server
    server.stop()


def _marks(app: MissiveApp) -> dict[str, str]:
    """Each row on screen: its subject's first word -> its signature mark (the second cell of the row)."""
    msg_list = app.screen.query_one(MessageList)
    out = {}
    for y in range(len(msg_list.rows)):
        text = msg_list.render_line(y).text
        for word in ("alice", "carol"):
            if word in text:
                out[word] = text[1]
    return out


async def test_the_list_marks_unchecked_revocation_apart_and_follows_a_later_crl(
    tmp_path: Path, crl_server
) -> None:
    ca = make_ca("CA Santé de test")
    alice = make_user("Alice Martin", ["alice@hopital.test"], ca)
    carol = make_user("Carol Roux", ["carol@hopital.test"], ca)
    mr = await synced_letters(tmp_path, ca, [(alice, "alice compte rendu"), (carol, "carol compte rendu")])
    mr.accounts.remove("cabinet")  # synced once: no background sync while the test drives the app

    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        # no revocation list in the profile: valid, not checked — "~" for both, not "✓"
        assert _marks(app) == {"alice": "~", "carol": "~"}
        await pilot.press("f1")
        await settle(app, pilot)
        legend = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "~ révoc. non vérifiée" in legend and "✓ signé, vérifié" in legend
        await pilot.press("ctrl+q")

    crl_server.serve("/ca.crl", crl_of(ca, [(alice.cert, NOW - 2 * DAY, None)]))
    update = mr.update_crls([crl_server.url("/ca.crl")])
    assert update.failures == [] and any("2 lettres reçues" in line for line in update.lines)

    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert _marks(app) == {"alice": "✗", "carol": "✓"}
        msg_list = app.screen.query_one(MessageList)
        alice_row = next(i for i, s in enumerate(msg_list.rows) if "alice" in s.subject)
        msg_list.cursor = alice_row
        await pilot.press("enter")
        sig = "#reader-signature"
        await until(pilot, lambda: "révoqué" in text_of(app, sig), "the reader")
        assert "certificat révoqué le " in text_of(app, sig)
        await pilot.press("ctrl+q")
