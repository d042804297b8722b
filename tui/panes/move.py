"""Déplacer vers… : the folders of the message's account, Enter moves there, Escape leaves it where it is. The
same chooser lists a letter's attachments for o (Ouvrir…).

| Key | Action |
| --- | --- |
| enter | move to the highlighted folder |
| j / k, arrows | choose |
| escape, q | cancel |
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui import keymap
from tui.i18n import t


class FolderChooser(ModalScreen[str | None]):
    """Dismissed with the chosen folder's name (its server name), or None. ``title`` and ``keys`` say what the
    choice is for when it is not a move (the attachment to open: ids are then their places)."""

    BINDINGS = [
        Binding("escape,q", "cancel", show=False),
        Binding("j", "down", show=False),
        Binding("k", "up", show=False),
    ]
    DEFAULT_CSS = """
    FolderChooser { align: center middle; }
    #move-box { width: 48; max-width: 100%; height: auto; max-height: 90%; border: round $accent;
                background: $surface; padding: 0 1; }
    #move-folders { height: auto; max-height: 14; }
    #move-keys { height: auto; color: $text-muted; }
    """

    def __init__(
        self,
        folders: list[str],
        label: Callable[[str], str],
        *,
        title: str | None = None,
        keys: str | None = None,
        width: int = 48,
    ) -> None:
        super().__init__()
        self.folders = folders
        self.label = label
        self.title_words = title or t("inbox.move_title")
        self.keys_words = keys or t("inbox.move_keys")
        self.box_width = width
        keymap.show_in_footer(self, {"cancel": t("footer.cancel")})

    def compose(self) -> ComposeResult:
        with Vertical(id="move-box") as box:
            box.border_title = self.title_words
            box.styles.width = self.box_width
            yield OptionList(*(Option(Content(self.label(name)), id=name) for name in self.folders), id="move-folders")
            yield Static(self.keys_words, id="move-keys", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()
