"""The help screen (F1, ?): every binding with its key and description, and the list markers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import keymap
from tui.i18n import t


def key_names(keys: str) -> str:
    """Textual's key names as a keyboard shows them: "f1,question_mark" is "f1, ?"."""
    names = {"question_mark": "?", "slash": "/", "escape": "esc"}
    return ", ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    """Aide: closes with escape, q or F1."""

    BINDINGS = [Binding("escape,q,f1", "dismiss", t("help.close"))]

    def __init__(self, remap: dict[str, str]) -> None:
        super().__init__()
        self.remap = remap

    def compose(self) -> ComposeResult:
        lines: list[str | tuple[str, str]] = []
        scope = ""
        for spec in keymap.KEYS:
            if spec.scope != scope:
                scope = spec.scope
                lines.append((f"\n{t('scope.' + scope)}\n", "bold underline"))
            lines.append(
                f"  {key_names(keymap.keys_for(spec, self.remap)):<18} {spec.description} — {spec.tooltip}\n"
            )
        lines.append((f"\n{t('help.fields_title')}\n", "bold underline"))
        lines.append(t("help.fields") + "\n")
        lines.append((f"\n{t('help.patients_title')}\n", "bold underline"))
        lines.append(t("help.patients") + "\n")
        lines.append((f"\n{t('help.markers')}\n", "bold underline"))
        lines.append(t("help.legend") + "\n")
        with VerticalScroll(id="help-body") as body:
            body.border_title = t("help.title")
            yield Static(Content.assemble(*lines))
