"""The reader is one Line-API widget: a letter is wrapped and drawn only as far as the screen shows it, and the next
letter replaces the text in place (nothing mounted, the screen not laid out again). What a person sees and does
stays: the letter's end reached with Fin, pages with space, the scrollbar's length."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MissiveApp
from tui.panes.reader import Reader

BODY = "".join(f"Ligne {i} du compte rendu, avec assez de mots pour la remplir.\n" for i in range(5000))


class Long(FakeMailroom):  # a letter alone: its text right under its headers
    def read_message(self, message_id, actor=None):  # type: ignore[no-untyped-def]
        return replace(super().read_message(message_id, actor), body=BODY, documents=(), attachments=())


def shown(reader: Reader) -> list[str]:
    return ["".join(seg.text for seg in reader.render_line(y)).rstrip() for y in range(reader.size.height)]


async def test_a_long_letter_is_wrapped_and_drawn_only_as_far_as_the_screen_shows() -> None:
    """Opening a letter of 5,000 lines wrapped and drew all of them (Textual lays out and draws a text whole) for a
    screen showing 36: now the lines on screen, and the rest when scrolled to; Fin still reaches the last line."""
    app = MissiveApp(mailroom=Long())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", "enter")  # the letter over the whole screen
        await settle(app, pilot)
        reader = app.screen.query_one(Reader)
        rows = reader.size.height
        assert "Ligne 0 du compte rendu" in "\n".join(shown(reader))
        assert len(reader._rows) <= rows + 10, len(reader._rows)  # wrapped: the first screen, not 5,000 lines
        assert reader.drawn <= 3 * rows, reader.drawn  # drawn: the lines on screen (again when the focus moved)
        assert reader.show_vertical_scrollbar and reader.virtual_size.height >= 5000 + 6
        await pilot.press("space")  # a page down draws the next page
        await settle(app, pilot)
        assert reader.scroll_y > 0 and any("Ligne" in line for line in shown(reader))
        await pilot.press("end")
        await settle(app, pilot)
        assert shown(reader)[-1].startswith("Ligne 4999 du compte rendu"), shown(reader)[-3:]
        await pilot.press("home")
        await settle(app, pilot)
        assert reader.scroll_y == 0


async def test_the_next_letter_is_shown_in_place_without_laying_the_screen_out() -> None:
    """The reader was six widgets of their own height: each letter changed their heights and the whole screen was
    laid out again (a reflow and a repaint of every widget that moved). Now the next letter's lines replace the
    last one's in the same widget: no widget mounted or removed, no layout of the screen."""
    app = MissiveApp(mailroom=FakeMailroom(extra_messages=5))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        reader = app.screen.query_one(Reader)
        first = reader.section_text("headers")
        widgets = list(app.screen.walk_children(with_self=True))
        layouts: list[Any] = []
        refresh_layout = app.screen._refresh_layout

        def counted(*args: Any, **kwargs: Any) -> Any:
            layouts.append(args)
            return refresh_layout(*args, **kwargs)

        app.screen._refresh_layout = counted  # type: ignore[method-assign]
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert reader.section_text("headers") != first  # the next letter is shown
        assert list(app.screen.walk_children(with_self=True)) == widgets
        assert not layouts, "the screen was laid out again for the next letter"
