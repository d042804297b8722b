"""A letter started from a reply, Annuaire or Brouillons: going back to a filled field and typing adds after
what is there. Seen by hand in tmux: after a first letter whose À field was typed then erased, a letter from
Annuaire put the caret at the start of À, and the words typed there went before the colleague's address."""

from __future__ import annotations

from textual.widgets import Input

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_typeahead import burst
from tui.app import MissiveApp
from tui.messages import LetterRequested


async def test_a_second_letter_filled_for_the_user_takes_typing_after_its_address() -> None:
    app = MissiveApp(mailroom=FakeMailroom())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        burst(app, "c", "4", "ctrl+u", "escape")  # a first letter: a stray key in À, erased, left
        await settle(app, pilot)
        # what Annuaire's Entrée (and r) asks for
        app.post_message(LetterRequested(("claire.lefevre@cardio-pau.mssante.fr",), "Avis"))
        await settle(app, pilot)
        burst(app, "shift+tab", "shift+tab", "shift+tab", *", x@y.fr")  # body → Objet → Cc → À
        await settle(app, pilot)
        to = app.screen.query_one("#compose-to", Input)
        assert to.has_focus
        assert to.value == "claire.lefevre@cardio-pau.mssante.fr, x@y.fr"
        burst(app, "tab", "tab", *" urgent")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-subject", Input).value == "Avis urgent"
