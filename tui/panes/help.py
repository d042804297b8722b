"""The help screen (F1, ?): every binding with its key and description, and the list markers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import keymap
from tui.i18n import t


class HelpScreen(ModalScreen[None]):
    """Aide: closes with escape, q or F1. One row a binding: the keys, then what they do, wrapped under the
    description (at 80 columns most descriptions take two lines)."""

    BINDINGS = [Binding("escape,q,f1", "dismiss", t("help.close"))]
    DEFAULT_CSS = """
    #help-keys { grid-size: 2; grid-columns: 16 1fr; grid-rows: auto; height: auto; grid-gutter: 0 1; }
    #help-keys .help-section { column-span: 2; text-style: bold underline; padding-top: 1; }
    #help-keys .help-key { padding-left: 2; }
    #help-body .help-title { text-style: bold underline; margin-top: 1; }
    #help-markers { grid-size: 3; grid-columns: 1fr; grid-rows: 1; height: auto; }
    """

    def __init__(self, remap: dict[str, str]) -> None:
        super().__init__()
        self.remap = remap

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = t("help.title")
            # how to leave it, where the eye looks: the keys line below is the pane's, whose keys do nothing here
            body.border_subtitle = t("help.close_keys", keys=keymap.key_names("escape,q,f1"))
            with Grid(id="help-keys"):
                scope = ""
                for spec in keymap.KEYS:
                    if spec.scope != scope:
                        scope = spec.scope
                        yield Static(t("scope." + scope), classes="help-section", markup=False)
                    yield Static(keymap.key_names(keymap.keys_for(spec, self.remap)), classes="help-key", markup=False)
                    yield Static(f"{spec.description} — {spec.tooltip}", classes="help-what", markup=False)
            for title, text in (("help.fields_title", "help.fields"), ("help.patients_title", "help.patients")):
                yield Static(t(title), classes="help-title", markup=False)
                yield Static(t(text), markup=False)
            yield Static(t("help.markers"), classes="help-title", markup=False)
            markers, *rest = t("help.legend").split("\n")
            with Grid(id="help-markers"):  # one marker a cell: never cut between a marker and its meaning
                for marker in markers.split("   "):
                    yield Static(marker.strip(), markup=False)
            for line in rest:
                yield Static(line, markup=False)
