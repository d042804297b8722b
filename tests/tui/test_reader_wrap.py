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
