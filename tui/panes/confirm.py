"""A yes/no question before anything typed could be lost (quitting, replacing a letter: it stays in the drafts),
and before a decision that cannot be taken back by accident (filing despite a differing trait, rejecting a
document, deleting for good, throwing a letter away, writing to a patient and a colleague at once).

| Key | Action |
| --- | --- |
| o, enter | yes (a deliberate question: o only) |
| n, escape | no |

A deliberate question is never answered by Entrée: the Entrée that filed a document, pressed twice in a hurry
(or typed ahead before the question was on screen), must not also say yes to "file it despite the differing
birth date". Only the letter of the answer does.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import keymap
from tui.i18n import t


class ConfirmScreen(ModalScreen[bool]):
    """Asks one question; dismissed with True (o, enter) or False (n, escape)."""

    BINDINGS = [
        Binding("o,y", "answer(True)", show=False),
        Binding("enter", "enter", show=False),
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

    def __init__(self, question: str, *, deliberate: bool = False) -> None:
        super().__init__()
        self.question = question
        self.deliberate = deliberate  # yes only with the letter o (y), never with Entrée
        keymap.show_in_footer(self, {"answer(True)": t("footer.yes"), "answer(False)": t("footer.no")})

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box") as box:
            box.border_title = t("confirm.title")
            yield Static(self.question, id="confirm-question", markup=False)
            keys = t("confirm.keys_deliberate") if self.deliberate else t("confirm.keys")
            yield Static(keys, id="confirm-keys", markup=False)

    def action_enter(self) -> None:
        if self.deliberate:
            self.app.bell()  # the keys line already says: o for yes
            return
        self.dismiss(True)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
