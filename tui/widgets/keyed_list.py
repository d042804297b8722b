"""An option list that also moves with j/k, as the message list does (Réception's folders, À classer's lists)."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import OptionList


class KeyedList(OptionList):
    """An option list that also moves with j/k, as the message list does."""

    BINDINGS = [Binding("j", "cursor_down", show=False), Binding("k", "cursor_up", show=False)]
    # a click selects the row, as Entrée does (Réception's folders: the folder opens). A list whose Entrée
    # decides (À classer's documents: file to the candidate) only moves there on a click: a click to look at a
    # document filed it, or asked to (gp9 on the installed wheel)
    select_on_click = True

    async def _on_click(self, event: events.Click) -> None:
        if self.select_on_click:
            return  # OptionList's own handler, next in the class order, selects
        event.prevent_default()  # Textual calls each class's handler in turn: OptionList's would select
        clicked = event.style.meta.get("option")
        if isinstance(clicked, int) and not self.get_option_at_index(clicked).disabled:
            self.highlighted = clicked
