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
    def read_message(self, message_id, actor=None, words_later=False):  # type: ignore[no-untyped-def]
        return replace(super().read_message(message_id, actor, words_later), body=BODY, documents=(), attachments=())


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


WIDE = "".join(f"Ligne {i} : " + " ".join(f"mot{i}x{j}" for j in range(24)) + "\n" for i in range(400))


class Wide(FakeMailroom):  # a letter of long lines: each takes more screen lines at 80 columns than at 120
    def read_message(self, message_id, actor=None, words_later=False):  # type: ignore[no-untyped-def]
        return replace(super().read_message(message_id, actor, words_later), body=WIDE, documents=(), attachments=())


async def test_a_resized_terminal_keeps_the_line_read_at_the_top() -> None:
    """Reading far down a letter at 80 columns, the doctor widens the terminal to 120 (or narrows it): the same
    sentence stays at the top of the reader. The reader kept its screen row, which, the lines wrapped again for
    the new width, was another place in the letter (further down when wider, back up when narrower)."""
    app = MissiveApp(mailroom=Wide())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", "enter")  # the letter over the whole screen
        await settle(app, pilot)
        reader = app.screen.query_one(Reader)
        for _ in range(40):  # page down until a line of the letter begins at the top, far down
            await pilot.press("space")
            await settle(app, pilot)
            top = shown(reader)[0]
            if top.startswith("Ligne ") and int(top.split()[1]) >= 60:
                break
        marker = " ".join(top.split()[:3])  # "Ligne 63 :"
        assert marker.startswith("Ligne ") and int(marker.split()[1]) >= 60, top
        for width, height in ((120, 24), (60, 30), (80, 24)):
            await pilot.resize_terminal(width, height)
            await settle(app, pilot)
            assert reader._laid_out_for == reader.container_size  # wrapped again for the new size
            assert shown(reader)[0].startswith(marker + " "), (width, marker, shown(reader)[:2])
        mid = reader.scroll_offset.y + 1  # the line's second screen line at the top: the same words stay there
        await pilot.press("down")
        await settle(app, pilot)
        assert reader.scroll_offset.y == mid
        words = shown(reader)[0].split()[0]
        await pilot.resize_terminal(100, 24)
        await settle(app, pilot)
        assert words in shown(reader)[0].split(), (words, shown(reader)[:2])


async def test_a_first_letter_needing_the_scrollbar_lays_nothing_out_again() -> None:
    """At 120x40 the empty reader is below the list before any letter is open (4e74059): opening one changed no
    widget's place, but its scrollbar came, and with it a layout of the screen and a new column at which Textual
    cut again every line of every widget under the reader (a third of the first open's frame: 612 strips made
    instead of 194). The reader keeps its scrollbar's column from the start, blank while the text fits."""
    app = MissiveApp(mailroom=Long())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        reader = app.screen.query_one(Reader)
        bar = reader.vertical_scrollbar
        background = reader.rich_style.bgcolor
        cells = [seg for strip in bar.render_lines(bar.region.reset_offset) for seg in strip]
        assert cells and all(not seg.text.strip() and seg.style and seg.style.bgcolor == background for seg in cells)
        regions = {widget: widget.region for widget in app.screen.walk_children(with_self=True)}
        layouts: list[Any] = []
        refresh_layout = app.screen._refresh_layout

        def counted(*args: Any, **kwargs: Any) -> Any:
            layouts.append(args)
            return refresh_layout(*args, **kwargs)

        app.screen._refresh_layout = counted  # type: ignore[method-assign]
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Ligne 0 du compte rendu" in "\n".join(shown(reader))
        assert not layouts, "the screen was laid out again for the first letter"
        assert {widget: widget.region for widget in app.screen.walk_children(with_self=True)} == regions
        assert bar.window_size < bar.window_virtual_size  # the scrollbar says there is more below
        cells = [seg for strip in bar.render_lines(bar.region.reset_offset) for seg in strip]
        assert any(seg.style and (seg.style.reverse or seg.text.strip()) for seg in cells)  # its thumb is drawn
