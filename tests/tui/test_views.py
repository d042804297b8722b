"""Pilot tests of how Réception shows mail at 80x24: the list's height, the full-screen reader, the sort, the
conversations (threads) and the filed patient's column."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from textual.widgets import OptionList

from tests.tui.conftest import settle
from tests.tui.fakes import BASE, DOCTOR, FakeMailroom, plain_message
from tui.app import MissiveApp
from tui.panes.inbox import InboxPane
from tui.panes.reader import Reader
from tui.widgets.message_list import MessageList

LONG_BODY = "".join(f"Ligne {i} du compte rendu de consultation.\n" for i in range(1, 121))


def _with_long_letter(mailroom: FakeMailroom) -> FakeMailroom:
    when = BASE - dt.timedelta(days=5)
    sender = "dr.long@chu-test.mssante.fr"
    raw = plain_message(sender, "Compte rendu détaillé", when, LONG_BODY)
    mailroom.messages.add("m-long", raw, sender, "Compte rendu détaillé", when)
    return mailroom


async def test_the_list_takes_the_height_and_the_reader_goes_full_screen_and_back() -> None:
    """At 80x24 the list shows more than six rows while no message is open; Enter opens the message below
    the list, Enter again shows it over the whole screen, space and -/b page it, q and Échap go back to the
    list on the same row (the app does not quit); v goes full screen at once."""
    app = MissiveApp(mailroom=_with_long_letter(FakeMailroom(extra_messages=40)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        pane = app.screen.query_one(InboxPane)
        msg_list = app.screen.query_one(MessageList)
        reader = app.screen.query_one(Reader)
        assert msg_list.scrollable_content_region.height >= 15 and not reader.display
        while msg_list.current.id != "m-long":
            await pilot.press("down")
        row = msg_list.cursor
        await pilot.press("enter")
        await settle(app, pilot)
        assert pane.mode == "split" and reader.display and msg_list.display
        assert msg_list.has_focus and msg_list.cursor == row
        await pilot.press("enter")  # Enter on the open message: the reader alone
        await settle(app, pilot)
        assert pane.mode == "full" and reader.has_focus
        assert not msg_list.display and not app.screen.query_one("#folders").display
        assert reader.size.height >= 18 and reader.size.width >= 76
        assert reader.scroll_y == 0
        await pilot.press("space")
        await settle(app, pilot)
        paged = reader.scroll_y
        assert paged >= 15  # one page, not one line
        await pilot.press("space")
        await settle(app, pilot)
        assert reader.scroll_y > paged
        await pilot.press("minus")
        await settle(app, pilot)
        assert reader.scroll_y == paged
        await pilot.press("b")
        await settle(app, pilot)
        assert reader.scroll_y == 0
        await pilot.press("q")  # back, not quit
        await settle(app, pilot)
        assert app.is_running and pane.mode == "list"
        assert msg_list.display and msg_list.has_focus and msg_list.cursor == row and not reader.display
        assert msg_list.scrollable_content_region.height >= 15
        await pilot.press("home", "down", "v")  # another message, straight to full screen
        await settle(app, pilot)
        assert pane.mode == "full" and pane.view.summary.id == msg_list.current.id == "m-letter"
        await pilot.press("k")  # over the whole screen, k and j read the previous and next message
        await settle(app, pilot)
        assert pane.mode == "full" and pane.view.summary.id == msg_list.current.id == "m-lab"
        await pilot.press("k")  # the first: nothing before it
        await settle(app, pilot)
        assert pane.view.summary.id == "m-lab" and reader.has_focus
        await pilot.press("j")
        await settle(app, pilot)
        assert pane.mode == "full" and pane.view.summary.id == msg_list.current.id == "m-letter"
        await pilot.press("escape")
        await settle(app, pilot)
        assert pane.mode == "list" and msg_list.has_focus and msg_list.current.id == "m-letter"
        await pilot.press("enter")
        await settle(app, pilot)
        assert pane.mode == "split"
        await pilot.press("escape")  # below the list too, Échap closes the reader
        await settle(app, pilot)
        assert pane.mode == "list" and not reader.display
        await pilot.press("enter")
        await settle(app, pilot)
        assert pane.mode == "split"
        await pilot.press("q")  # a message open below the list: q closes it, the app stays
        await settle(app, pilot)
        assert app.is_running and pane.mode == "list" and not reader.display
        await pilot.press("q")  # in the list, q still quits
        await settle(app, pilot)
        assert not app.is_running


async def test_reply_from_the_full_screen_reader_answers_the_message_shown(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "v")
        await settle(app, pilot)
        assert app.screen.query_one(InboxPane).mode == "full"
        await pilot.press("r")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-to").value == "dr.durand@chu-test.mssante.fr"


async def test_back_from_a_reply_begun_full_screen_the_keys_go_to_the_letter_shown() -> None:
    """gp8, on the installed app: r in the full-screen reader, then Échap in Rédaction: the letter was over the
    whole screen again but the focus went to the hidden list. Space and the arrows did nothing on screen and
    moved the list's cursor unseen (d would then have thrown away another letter than the one shown)."""
    app = MissiveApp(mailroom=_with_long_letter(FakeMailroom(extra_messages=40)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        pane = app.screen.query_one(InboxPane)
        msg_list = app.screen.query_one(MessageList)
        reader = app.screen.query_one(Reader)
        while msg_list.current.id != "m-long":
            await pilot.press("down")
        row = msg_list.cursor
        await pilot.press("v")
        await settle(app, pilot)
        assert pane.mode == "full" and reader.has_focus
        await pilot.press("r")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-to").value == "dr.long@chu-test.mssante.fr"
        await pilot.press("escape")  # back, the draft kept
        await settle(app, pilot)
        assert pane.mode == "full" and reader.display and not msg_list.display
        assert reader.has_focus
        await pilot.press("space")
        await settle(app, pilot)
        assert reader.scroll_y >= 15  # the letter shown turned a page
        assert msg_list.cursor == row  # and the hidden list did not move
        await pilot.press("q")
        await settle(app, pilot)
        assert pane.mode == "list" and msg_list.has_focus and msg_list.cursor == row


def _with_a_conversation(mailroom: FakeMailroom) -> FakeMailroom:
    """The colleague's letter (m-letter) answered twice: the doctor's reply, then the colleague's."""
    day = BASE - dt.timedelta(days=1)
    letter = "<m-letter@test>"
    mailroom.messages.add(
        "m-reply", plain_message("dr.medecin@cabinet.mssante.fr", "Re: Compte rendu de consultation",
        day + dt.timedelta(hours=2), "Merci.\n"), "dr.medecin@cabinet.mssante.fr",
        "Re: Compte rendu de consultation", day + dt.timedelta(hours=2), references=(letter,), flags=("\\Seen",),
    )  # fmt: skip
    mailroom.messages.add(
        "m-reply2", plain_message("dr.durand@chu-test.mssante.fr", "Re: Re: Compte rendu de consultation",
        day + dt.timedelta(hours=3), "Avec plaisir.\n"), "dr.durand@chu-test.mssante.fr",
        "Re: Re: Compte rendu de consultation", day + dt.timedelta(hours=3),
        references=(letter, "<m-reply@test>"), flags=("\\Seen",),
    )  # fmt: skip
    return mailroom


def _shown(msg_list: MessageList) -> list[str]:
    return [" ".join(msg_list.render_line(y).text.split()) for y in range(len(msg_list.rows))]


async def test_t_sorts_by_date_sender_subject_and_the_title_says_so() -> None:
    """t cycles the order (the store's sort), the list's title says it, the highlight stays on its message."""
    mailroom = FakeMailroom(extra_messages=3)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert msg_list.border_title == "Réception"  # by date, newest first: the usual order
        dates = [s.date for s in msg_list.rows]
        assert dates == sorted(dates, reverse=True)
        await pilot.press("down")  # the colleague's letter
        await pilot.press("t")
        await settle(app, pilot)
        assert msg_list.border_title == "Réception · par expéditeur"
        senders = [s.sender for s in msg_list.rows]
        assert senders == sorted(senders) and senders[0] == "biologie@labo-test.mssante.fr"
        assert msg_list.current.id == "m-letter"  # the highlight followed its message
        await pilot.press("t")
        await settle(app, pilot)
        assert msg_list.border_title == "Réception · par objet"
        assert [s.subject for s in msg_list.rows][:2] == ["Compte rendu de consultation", "Courrier numéro 0"]
        assert msg_list.current.id == "m-letter"
        await pilot.press("t")
        await settle(app, pilot)
        assert msg_list.border_title == "Réception"
        assert [s.date for s in msg_list.rows] == dates


async def test_T_shows_conversations_with_tree_marks_that_fit_80_columns() -> None:
    app = MissiveApp(mailroom=_with_a_conversation(FakeMailroom()))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        flat = [s.id for s in msg_list.rows]
        assert flat == ["m-lab", "m-reply2", "m-reply", "m-letter"]  # newest first
        await pilot.press("T")
        await settle(app, pilot)
        assert msg_list.border_title == "Réception · conversations"
        assert [s.id for s in msg_list.rows] == ["m-lab", "m-letter", "m-reply", "m-reply2"]
        rows = _shown(msg_list)
        assert "└─Re: Compte rendu" in rows[2] and "  └─Re: Re: Compte" in msg_list.render_line(3).text
        assert all(
            msg_list.render_line(y).cell_length == msg_list.scrollable_content_region.width for y in range(4)
        )
        assert msg_list.current.id == "m-lab"
        await pilot.press("down", "down", "enter")  # a reply in the conversation opens as any message
        await settle(app, pilot)
        assert app.screen.query_one(InboxPane).view.summary.id == "m-reply"
        await pilot.press("T")  # flat again, on the same message
        await settle(app, pilot)
        assert [s.id for s in msg_list.rows] == flat and msg_list.current.id == "m-reply"
        assert msg_list.border_title == "Réception"


async def test_each_folder_keeps_its_own_order_and_conversations() -> None:
    """t and T in Réception change Réception's view only: Envoyés still lists by date, flat (sorted 'par
    expéditeur' it was ordered on the doctor's own address, a column it does not even show), and Réception
    is found again as it was left."""
    mailroom = _with_a_conversation(FakeMailroom())
    for mid, day in (("m-sent1", 3), ("m-sent2", 2)):
        when = BASE - dt.timedelta(days=day)
        mailroom.messages.add(
            mid, plain_message(DOCTOR, f"Courrier {mid}", when, "Texte.\n"), DOCTOR, f"Courrier {mid}", when
        )
        mailroom.messages.items[mid] = replace(mailroom.messages.items[mid], folder="Sent")
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        await pilot.press("T", "t")
        await settle(app, pilot)
        assert msg_list.border_title == "Réception · par expéditeur · conversations"
        await pilot.press("f6")
        folders = app.screen.query_one("#folders", OptionList)
        folders.highlighted = [o.id for o in folders.options].index("Sent")
        await pilot.press("enter")
        await settle(app, pilot)
        assert msg_list.border_title == "Envoyés"
        assert [s.id for s in msg_list.rows] == ["m-sent2", "m-sent1"] and not msg_list.rows.conversations
        await pilot.press("f6")
        folders.highlighted = [o.id for o in folders.options].index("INBOX")
        await pilot.press("enter")
        await settle(app, pilot)
        assert msg_list.border_title == "Réception · par expéditeur · conversations"
        assert msg_list.rows.conversations


async def test_the_filed_patient_is_a_column_when_the_width_allows_never_at_80x24() -> None:
    """Wider than 80 columns, a column says whom the message's documents were filed for (the queue's
    decision: the lab result filed automatically for DUPONT Jeanne); at 80x24 the column is left out."""
    for size, shown in (((120, 40), True), ((80, 24), False)):
        app = MissiveApp(mailroom=FakeMailroom())
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            msg_list = app.screen.query_one(MessageList)
            lab, letter = msg_list.render_line(0).text, msg_list.render_line(1).text
            assert ("» DUPONT Jeanne" in lab) is shown, lab
            assert "»  " not in letter and "DUPONT" not in letter  # the colleague's letter: filed for nobody
            if shown:  # the columns stay aligned: the subjects start at the same cell
                assert lab.index("Résultats") == letter.index("Compte rendu")


async def test_a_tall_terminal_keeps_the_reader_below_a_list_of_fourteen_rows() -> None:
    """At 120x40 the list has 14 rows with the empty reader below it, so opening a message changes
    no layout (the list keeps its height); the reader still goes full screen and back."""
    app = MissiveApp(mailroom=FakeMailroom(extra_messages=40))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.screen.query_one(InboxPane)
        msg_list = app.screen.query_one(MessageList)
        reader = app.screen.query_one(Reader)
        rows = msg_list.scrollable_content_region.height
        assert rows >= 14 and reader.display and pane.mode == "list"
        await pilot.press("enter")
        await settle(app, pilot)
        assert pane.mode == "split" and msg_list.scrollable_content_region.height == rows
        await pilot.press("enter")
        await settle(app, pilot)
        assert pane.mode == "full" and not msg_list.display and reader.size.height >= 34
        await pilot.press("q")
        await settle(app, pilot)
        assert (
            pane.mode == "list" and msg_list.has_focus and msg_list.scrollable_content_region.height == rows
        )
