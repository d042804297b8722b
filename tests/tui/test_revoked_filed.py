"""The app says it when a result it filed came from a signer that turns out revoked: a toast as the revocation
list arrives, the À classer count, a row « signataire révoqué après classement » naming the patient's id and the
file in the import folder, x to mark it checked (the file stays), and the reader of the letter. A real profile (a
signed lab letter auto-filed from a Maildir, a real CRL served on 127.0.0.1), the app at 80x24."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from tests.secure.pki import make_ca, make_user
from tests.secure.test_crl_recheck import DAY, NOW
from tests.secure.test_crl_revoked_filed import crl_of, filed_practice
from tests.servers.files import FileServer
from tests.tui.conftest import settle
from tests.tui.test_flows import text_of, until
from tui.app import MissiveApp
from tui.widgets.footer import KeyFooter
from tui.widgets.message_list import MessageList
from tui.widgets.status_bar import StatusBar


@pytest.fixture
def crl_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = FileServer(tmp_path / "crl-files", tls=False).start()
    yield server
    server.stop()


def _counts(app: MissiveApp) -> str:
    return str(app.screen.query_one(StatusBar).query_one("#status-counts", Static).render())


async def test_a_filed_result_from_a_revoked_signer_is_said_and_waits_for_a_check(
    tmp_path: Path, crl_server
) -> None:
    ca = make_ca("CA Santé de test")
    alice = make_user("Labo Alice", ["alice@labo.test"], ca)
    mr, lgc = await filed_practice(tmp_path, ca, [(alice, "alice@labo.test")])
    mr.accounts.remove("cabinet")  # synced once: no background sync while the test drives the app
    [doc] = mr.documents.list()
    filed = Path(doc.filed_path or "")
    assert doc.state == "filed" and filed.is_file()
    crl_server.serve("/ca.crl", crl_of(ca, [alice.cert], NOW - 2 * DAY, NOW - DAY / 24))

    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "À classer : 0" in _counts(app)
        # the daemon's daily fetch (here: the same call, from another thread, as the daemon's task runs it)
        await asyncio.to_thread(mr.update_crls, [crl_server.url("/ca.crl")])
        toast = "1 document(s) classé(s) d'après une lettre dont le signataire est révoqué"
        await until(pilot, lambda: any(toast in n.message for n in app._notifications), "the toast")
        await until(pilot, lambda: "À classer : 1" in _counts(app), "the count")

        await pilot.press("2")
        await settle(app, pilot)
        docs = app.screen.query_one("#review-docs", OptionList)
        row = docs.render_line(0).text
        assert "✗" in row and "signataire révoqué après classement" in row, row
        assert "1 à classer" in str(docs.border_subtitle)
        candidates = app.screen.query_one("#review-candidates", OptionList)
        said = " ".join(
            candidates.render_line(y).text.strip() for y in range(candidates.size.height)
        )
        assert f"classé pour le patient P-1 : fichier {filed.name} du dossier d'import" in said, said
        assert "le fichier n'a pas été retiré" in said, said  # the whole note shows at 80x24
        assert "À vérifier dans le logiciel métier" in str(candidates.border_title)
        assert "x Marquer vérifié" in app.screen.query_one(KeyFooter).render_line(0).text
        compare = app.screen.query_one("#review-compare", Static)
        assert "Signataire révoqué après classement" in str(compare.border_title)

        await pilot.press("x")
        await settle(app, pilot)
        question = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "Marquer vérifié ce document classé pour le patient P-1" in question, question
        await pilot.press("o")
        await settle(app, pilot)
        await until(pilot, lambda: "À classer : 0" in _counts(app), "the count after x")
        assert any(n.message == "Document marqué vérifié (il reste classé)" for n in app._notifications)
        assert mr.documents.get(doc.id).signer_revoked == "checked" and filed.is_file()  # never taken out
        await pilot.press("ctrl+q")

    mr.documents.docs.put(doc.id, {**mr.documents.docs.get(doc.id), "signer_revoked": "check"})  # not checked yet
    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "À classer : 1" in _counts(app)  # counted at start, as the other waiting documents
        msg_list = app.screen.query_one(MessageList)
        msg_list.cursor = 0
        await pilot.press("enter")
        reader = "#reader-documents"
        await until(pilot, lambda: "révoqué" in text_of(app, reader), "the reader")
        text = " ".join(text_of(app, reader).split())  # the lines as wrapped at 80 columns, joined
        assert "✗ Signataire révoqué après classement : classé pour le patient P-1 : fichier" in text, text
        await pilot.press("ctrl+q")
