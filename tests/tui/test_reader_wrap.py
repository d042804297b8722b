"""The reader's letter text (WrappedText) is wrapped once per width, yet draws and copies exactly what
Textual's own Static draws and copies: the same lines, cell for cell, and the same selected text."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Static

from tui.panes.reader import WrappedText

TEXTS = [
    "",
    "a",
    "Cher confrère, voici le compte rendu de votre patient. " * 9,
    "ligne\n\nautre ligne   \n\ttabulation\tlà\n",
    "x" * 250,  # a word longer than the line is folded
    "mot " + "y" * 90 + " fin",
    "   espaces   devant et derrière   ",
    "Résultats : HbA1c\t7,2 %\t(4,0–6,0)\n" * 3,
    "日本語のテキスト" * 12,  # two cells a character
    "a\r\nb\x07c",  # control characters dropped as Textual drops them
    "fin avec saut\n",
]


class Side(App[None]):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def compose(self) -> ComposeResult:
        with Horizontal():
            for i, text in enumerate(TEXTS):
                yield Static(Content(text), id=f"static-{i}")
                yield WrappedText(Content(text), id=f"wrapped-{i}")

    def on_mount(self) -> None:
        for widget in self.query("Static"):
            widget.styles.width = self.width
            widget.styles.height = "auto"


def cells(widget: Static) -> list[list[tuple[str, str]]]:
    strips: list[Strip] = [widget.render_line(y) for y in range(widget.size.height)]
    return [[(ch, str(seg.style)) for seg in strip for ch in seg.text] for strip in strips]


async def test_the_letter_is_drawn_as_textual_draws_it_at_every_width() -> None:
    for width in (10, 37, 74, 96, 98):
        app = Side(width)
        async with app.run_test(size=(2 * width * len(TEXTS), 300)) as pilot:
            await pilot.pause()
            for i in range(len(TEXTS)):
                static, wrapped = app.query_one(f"#static-{i}", Static), app.query_one(f"#wrapped-{i}", Static)
                assert wrapped.size == static.size, (width, TEXTS[i][:20])
                assert cells(wrapped) == cells(static), (width, TEXTS[i][:20])


async def test_a_selection_copies_the_letter_as_textual_copies_it() -> None:
    text = "Cher confrère, voici le compte rendu\tde votre patient née le 12/03/1950, HbA1c 7,2 %.\n\nBien à vous."

    class Two(App[None]):
        CSS = "Static { width: 24; height: auto; }"

        def compose(self) -> ComposeResult:
            with Horizontal():
                yield Static(Content(text), id="static")
                yield WrappedText(Content(text), id="wrapped")

    app = Two()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        for start, end in (((3, 0), (6, 2)), ((0, 1), (20, 1)), ((5, 1), (2, 4)), ((0, 3), (10, 5))):
            copied = []
            for selector in ("#static", "#wrapped"):
                await pilot.mouse_down(selector, offset=start)
                await pilot.hover(selector, offset=end)
                await pilot.mouse_up(selector, offset=end)
                await pilot.pause()
                copied.append(app.screen.get_selected_text())
                app.screen.clear_selection()
            assert copied[0] and copied[1] == copied[0], (start, end, copied)
            if start == (3, 0):  # over three lines of the screen, one line of the letter: no line break added
                assert copied[1] == "r confrère, voici le compte rendu\tde votre patient né"


def test_a_plain_letter_is_cut_as_strings_into_the_lines_content_gives() -> None:
    """A letter's text (no styles) is wrapped as strings, 3 to 4 times faster than one Content per line (a
    150,000-line letter: 47 s on a loaded machine): the same lines and origins as Content's own operations,
    which stay for a text with styles."""
    import random

    from tui.panes.reader import _wrap_plain

    words = ["a", "mot", "très", "long" * 20, "\t", "  ", "日本語の", "émoji😀", "x" * 200, "  fin  ", "é" * 70, ""]
    rng = random.Random(3)
    for _ in range(60):
        lines = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 30))) for _ in range(rng.randint(1, 6))]
        text = "\n".join(lines) + rng.choice(["", "\n", "  \n\n"])
        for width in (3, 37, 76):
            styled = WrappedText(Content(text))._wrap_content(width)
            plain = _wrap_plain(Content(text).plain, width)
            assert (plain[0].plain, plain[1]) == (styled[0].plain, styled[1]), (text, width)


async def test_a_letter_too_long_for_the_screen_says_how_much_is_not_shown() -> None:
    """A 150,000-line letter froze the app for a minute and took 1 GB while every line was laid out: the reader
    draws its first MAX_LINES lines and says how many more there are, and that r and f take the whole text."""
    from dataclasses import replace

    from tests.tui.conftest import settle
    from tests.tui.fakes import FakeMailroom
    from tui.app import MissiveApp
    from tui.panes.reader import MAX_LINES

    body = "".join(f"Ligne {i} du compte rendu.\n" for i in range(12_000))

    class Huge(FakeMailroom):
        def read_message(self, message_id, actor=None):  # type: ignore[no-untyped-def]
            return replace(super().read_message(message_id, actor), body=body)

    app = MissiveApp(mailroom=Huge())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        shown = app.screen.query_one("#reader-body", WrappedText)._text.plain
        lines = shown.split("\n")
        assert lines[0] == "Ligne 0 du compte rendu." and lines[MAX_LINES - 1] == f"Ligne {MAX_LINES - 1} du compte rendu."
        assert f"Ligne {MAX_LINES} du" not in shown
        assert lines[-1] == (
            "[Lettre trop longue pour l'écran : 5000 lignes affichées sur 12000, 7000 lignes non affichées. "
            "r et f reprennent le texte entier.]"
        )
        await pilot.press("f")  # the forward takes the whole letter
        await settle(app, pilot)
        from textual.widgets import TextArea

        assert "Ligne 11999 du compte rendu." in app.screen.query_one("#compose-body", TextArea).text


async def test_each_line_is_drawn_as_textual_draws_the_whole_text() -> None:
    """The reader draws a line of the letter when it is first shown, not the whole letter: each strip is the one
    Textual's own drawing of the whole wrapped text gives (segments, styles and the places a mouse selection
    reads), with and without styles in the text."""
    from textual.visual import Visual

    styled = Content.assemble(("Patient ", "bold"), "né le\n", ("HbA1c", "$error"))
    long = Content.assemble(*(part for i in range(250) for part in (("HbA1c ", "bold"), f"ligne {i}\t7,2 %\n")))
    texts = [*(Content(text) for text in TEXTS), styled, long]

    class Many(App[None]):
        CSS = "WrappedText { width: 37; height: auto; }"  # every line of the longest text laid out

        def compose(self) -> ComposeResult:
            with Horizontal():
                for i, text in enumerate(texts):
                    yield WrappedText(text, id=f"wrapped-{i}")

    app = Many()
    async with app.run_test(size=(40 * len(texts), 300)) as pilot:
        await pilot.pause()
        for i in range(len(texts)):
            widget = app.query_one(f"#wrapped-{i}", WrappedText)
            width, height = widget.size
            whole = Visual.to_strips(widget, widget._render(), width, height, widget.visual_style)
            assert len(whole) == height
            for y in [*range(0, height, 7), *reversed(range(height))]:  # down the text, then anywhere
                assert list(widget.render_line(y)) == list(whole[y]), (i, y)


async def test_the_first_screen_of_a_long_letter_draws_only_what_it_shows() -> None:
    """Opening a letter of 5,000 lines drew all 5,000 (Textual draws a text whole whenever it changes) for a
    screen that shows 19 of them: now the lines from the top as far as they are shown, a screen and more."""
    from dataclasses import replace

    from textual.visual import Visual

    from tests.tui.conftest import settle
    from tests.tui.fakes import FakeMailroom
    from tui.app import MissiveApp
    from tui.panes.reader import FIRST_DRAWN

    body = "".join(f"Ligne {i} du compte rendu, avec assez de mots pour la remplir.\n" for i in range(5000))

    class Long(FakeMailroom):  # a letter alone: its text right under its headers
        def read_message(self, message_id, actor=None):  # type: ignore[no-untyped-def]
            return replace(super().read_message(message_id, actor), body=body, documents=(), attachments=())

    drawn: list[int] = []
    to_strips = Visual.to_strips.__func__  # type: ignore[attr-defined]

    def counted(cls, widget, visual, width, height, style, **kwargs):  # type: ignore[no-untyped-def]
        strips = to_strips(cls, widget, visual, width, height, style, **kwargs)
        if isinstance(widget, WrappedText):
            drawn.append(len(strips))
        return strips

    app = MissiveApp(mailroom=Long())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        Visual.to_strips = classmethod(counted)  # type: ignore[method-assign,assignment]
        try:
            await pilot.press("enter")
            await settle(app, pilot)
        finally:
            Visual.to_strips = classmethod(to_strips)  # type: ignore[method-assign,assignment]
        reader_rows = app.screen.query_one("#reader").size.height
        assert "Ligne 0 du compte rendu" in app.screen.query_one("#reader-body", WrappedText)._text.plain
        assert drawn, "the letter was not drawn"
        # drawn again once the scrollbar has taken its column (Textual drew the 5,000 lines each time)
        assert FIRST_DRAWN >= reader_rows and sum(drawn) <= 2 * FIRST_DRAWN, (sum(drawn), reader_rows)
