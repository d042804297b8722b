"""Keys typed ahead: keys that arrive together (one terminal read) reach the widget the previous key left the
focus on, never a text field the focus was leaving. Each burst is queued at once, as the terminal driver does, not
key by key with a pause as Pilot's press."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, OptionList, TextArea

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import text_of
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList


def burst(app: MissiveApp, *keys: str) -> None:
    """Queue keys all at once, as one read of the terminal brings them."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_enter_then_j_typed_together_move_in_the_list_not_in_the_search_field() -> None:
    app = MissiveApp(mailroom=FakeMailroom(extra_messages=5))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        search = app.screen.query_one("#inbox-search", Input)
        burst(app, "slash", *"courrier")  # the search opened by / gets every letter typed after it
        await settle(app, pilot)
        assert search.has_focus and search.value == "courrier"
        assert len(msg_list.rows) == 5
        burst(app, "enter", "j")  # Entrée leaves the search for the list, j moves there
        await settle(app, pilot)
        assert search.value == "courrier"
        assert msg_list.has_focus and msg_list.cursor == 1

        burst(app, "escape")
        await settle(app, pilot)
        assert not search.display and msg_list.current is not None
        msg_list.cursor = 0
        burst(app, "enter", "j")  # open the highlighted message and go down at once
        await settle(app, pilot)
        assert "Résultats DUPONT Jeanne" in text_of(app, "#reader-headers")  # the first one opened
        assert msg_list.cursor == 1 and msg_list.has_focus
        assert search.value == "" and not search.display


async def test_a_letter_typed_in_one_go_lands_field_by_field() -> None:
    mailroom = FakeMailroom()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        burst(app, "c", *"claire.martin@chu-test.mssante.fr", "tab", "tab", *"Avis", "tab", *"Bonjour")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-to", Input).value == "claire.martin@chu-test.mssante.fr"
        assert app.screen.query_one("#compose-cc", Input).value == ""
        assert app.screen.query_one("#compose-subject", Input).value == "Avis"
        assert app.screen.query_one("#compose-body", TextArea).text == "Bonjour"


class SlowReadMailroom(FakeMailroom):
    """A message read from a slow disk: r's reply is written once the reading thread is done."""

    def read_message(self, message_id: str, actor: str | None = None):  # type: ignore[no-untyped-def]
        import time

        time.sleep(0.3)  # a loaded machine; not asserted, only makes the read outlast the keys typed after r
        return super().read_message(message_id, actor)


async def test_r_then_the_letter_typed_at_once_writes_the_letter_and_deletes_nothing() -> None:
    mailroom = SlowReadMailroom(extra_messages=3)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        before = [s.id for s in msg_list.rows]
        # r, then the doctor types at once: in the list d deletes, u undoes, c writes, t sorts, q quits
        burst(app, "r", *"Merci docteur")
        await settle(app, pilot)
        body = app.screen.query_one("#compose-body", TextArea)
        assert body.text.startswith("Merci docteur"), body.text[:40]
        assert [s.id for s in msg_list.rows] == before


async def test_going_back_to_a_field_adds_to_it_never_replaces_it() -> None:
    """Shift+Tab back to the subject of a reply and type: the words go after the subject (Textual's Input selects
    all on focus, so 'urgent' replaced 'Re: …' whole: seen by hand in tmux)."""
    app = MissiveApp(mailroom=FakeMailroom())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        burst(app, "c", *"claire.martin@chu-test.mssante.fr", "tab", "tab", *"Avis", "tab", *"Bonjour")
        await settle(app, pilot)
        burst(app, "shift+tab", *" urgent", "shift+tab", "shift+tab", *", x@y.fr")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-subject", Input).value == "Avis urgent"
        assert app.screen.query_one("#compose-to", Input).value == "claire.martin@chu-test.mssante.fr, x@y.fr"


class SlowReviewMailroom(FakeMailroom):
    """À classer's list read from a slow disk."""

    def review_items(self):  # type: ignore[no-untyped-def]
        import time

        time.sleep(0.3)  # not asserted: only makes the first read outlast the keys typed after 2
        return super().review_items()


async def test_keys_typed_after_2_wait_for_the_documents_to_be_listed() -> None:
    mailroom = SlowReviewMailroom()
    mailroom.documents.add_unread_letter()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        burst(app, "2", "j", "x")  # to the second waiting document and reject it: the question is asked
        await settle(app, pilot)
        assert app.screen.query("#confirm-question"), "x was lost while the list loaded"
        docs = app.screen_stack[-2].query_one("#review-docs", OptionList)
        assert docs.highlighted == 1
