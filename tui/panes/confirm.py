"""A yes/no question before anything typed could be lost (quitting, replacing or discarding a letter).

| Key | Action |
| --- | --- |
| o, enter | yes |
| n, escape | no |
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.i18n import t


class ConfirmScreen(ModalScreen[bool]):
    """Asks one question; dismissed with True (o, enter) or False (n, escape)."""

    BINDINGS = [
        Binding("o,y,enter", "answer(True)", show=False),
        Binding("n,escape", "answer(False)", show=False),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    #confirm-box {
        width: 64; max-width: 100%; height: auto; border: round $warning; background: $surface; padding: 0 1;
    }
    #confirm-question { height: auto; text-style: bold; }
    #confirm-keys { height: auto; color: $text-muted; margin-top: 1; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box") as box:
            box.border_title = t("confirm.title")
            yield Static(self.question, id="confirm-question", markup=False)
            yield Static(t("confirm.keys"), id="confirm-keys", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
