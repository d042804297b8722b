"""The reader (one Line-API widget) draws and copies a letter exactly as Textual's own Static draws and copies it:
the same lines, cell for cell, styles and the places a mouse selection reads, and the same selected text; and it
wraps and draws only what the screen shows."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Static

from tui.panes.reader import Reader, _wrap_line

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
STYLED = [
    Content.assemble(("Patient ", "bold"), "né le\n", ("HbA1c", "$error")),
    Content.assemble(*(part for i in range(12) for part in (("HbA1c ", "bold"), f"ligne {i}\t7,2 % " * (i % 4) + "\n"))),
    Content("Certificat valide : biologie@labo-test.mssante.fr " * 3).stylize("$success bold"),
]


def reader_with(text: str | Content, **kwargs: str) -> Reader:
    reader = Reader(**kwargs)
    reader._set_text([(text, 0)], {"body": 0})
    return reader


class Side(App[None]):
    CSS = "Horizontal > * { height: 1fr; } Reader { scrollbar-size-vertical: 1; }"

    def __init__(self, width: int, texts: list[str | Content]) -> None:
        super().__init__()
        self.width = width
        self.texts = texts

    def compose(self) -> ComposeResult:
        with Horizontal():
            for i, text in enumerate(self.texts):
                yield Static(Content(text) if isinstance(text, str) else text, id=f"static-{i}")
                # the reader keeps its scrollbar's column (one cell here): its text is as wide as the Static
                yield reader_with(text).set_styles(f"width: {self.width + 1};")

    def on_mount(self) -> None:
        for widget in self.query("Static"):
            widget.styles.width = self.width
            widget.styles.height = "auto"


def cells(strips: list[Strip]) -> list[list[tuple[str, str, object]]]:
    return [[(ch, str(seg.style), seg.style and seg.style.meta.get("offset")) for seg in strip for ch in seg.text] for strip in strips]


async def test_the_letter_is_drawn_as_textual_draws_it_at_every_width() -> None:
    texts: list[str | Content] = [*TEXTS, *STYLED]
    for width in (10, 37, 96):
        app = Side(width, texts)
        async with app.run_test(size=(2 * width * len(texts), 120)) as pilot:
            await pilot.pause()
            readers = list(app.query(Reader))
            for i, reader in enumerate(readers):
                static = app.query_one(f"#static-{i}", Static)
                assert reader.scrollable_content_region.width == width
                height = static.size.height
                assert reader.virtual_size.height == height, (width, str(texts[i])[:20])
                drawn = [reader.render_line(y) for y in range(height)]
                assert cells(drawn) == cells([static.render_line(y) for y in range(height)]), (width, str(texts[i])[:20])


async def test_a_selection_copies_the_letter_as_textual_copies_it() -> None:
    text = "Cher confrère, voici le compte rendu\tde votre patient née le 12/03/1950, HbA1c 7,2 %.\n\nBien à vous."

    class Two(App[None]):
        # the reader's text as wide as the Static, beside its scrollbar's column
        CSS = "Static, Reader { width: 24; height: 12; } Reader { width: 26; scrollbar-size-vertical: 2; }"

        def compose(self) -> ComposeResult:
            with Horizontal():
                yield Static(Content(text), id="static")
                yield reader_with(text, id="wrapped")

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

    words = ["a", "mot", "très", "long" * 20, "\t", "  ", "日本語の", "émoji😀", "x" * 200, "  fin  ", "é" * 70, ""]
    rng = random.Random(3)
    for _ in range(60):
        lines = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 30))) for _ in range(rng.randint(1, 6))]
        text = "\n".join(lines) + rng.choice(["", "\n", "  \n\n"])
        for width in (3, 37, 76):
            for line in text.split("\n"):
                styled = [(start, taken, piece.plain) for start, taken, piece in _wrap_line(Content(line), width)]  # type: ignore[union-attr]
                assert _wrap_line(line, width) == styled, (line, width)


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
        def read_message(self, message_id, actor=None, words_later=False):  # type: ignore[no-untyped-def]
            return replace(super().read_message(message_id, actor, words_later), body=body)

    app = MissiveApp(mailroom=Huge())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        shown = app.screen.query_one(Reader).section_text("body")
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


