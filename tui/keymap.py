"""Every key binding as data: an id, a default key, an action and the pane (scope) that owns it.

Descriptions and tooltips live in the catalogues under ``key.<id>`` and ``tip.<id>`` (French first), so the
footer, the help screen and the command palette all read the same words. Users remap a binding by id in
``profile.toml`` (``[keys] "compose.send" = "f10"``); F-keys are given as alternatives for old terminals.

The panes answer to F2-F5 everywhere, text fields included (1-4 are typed there): every terminal sends
F1-F12, over SSH and in tmux too, while alt+1 arrives as ESC 1, which Textual reads as a macOS "¡".
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from tui.i18n import t


@dataclass(frozen=True)
class KeySpec:
    """One binding: ``scope`` is the pane (or ``app``) whose ``BINDINGS`` hold it."""

    id: str
    key: str
    action: str
    scope: str
    show: bool = True
    priority: bool = False
    display: str | None = None  # how the footer shows the key, when not the key itself
    footer: str | None = None  # catalogue key of the footer's word, when not the description

    @property
    def description(self) -> str:
        return t(f"key.{self.id}")

    @property
    def tooltip(self) -> str:
        return t(f"tip.{self.id}")

    @property
    def footer_word(self) -> str:
        return t(self.footer) if self.footer else self.description


# At 80 columns the footer holds about 67 characters: it shows what a pane is for, the pane keys and help;
# the rest (quit, forward, discard, next candidate...) is in help (F1) and the command palette (ctrl+p).
KEYS: tuple[KeySpec, ...] = (
    # anywhere
    # one footer entry, "F2-F5 Volets", stands for the four pane keys
    KeySpec("app.inbox", "f2,1", "app.show_pane('inbox')", "app", display="F2-F5", footer="footer.panes"),
    KeySpec("app.review", "f3,2", "app.show_pane('review')", "app", show=False),
    KeySpec("app.compose", "f4,3", "app.show_pane('compose')", "app", show=False),
    KeySpec("app.directory", "f5,4", "app.show_pane('directory')", "app", show=False),
    KeySpec("app.help", "f1,question_mark", "app.help", "app"),
    # priority: the modal screens (help, a question, the patient search, the palette) leave the app's keys out
    KeySpec("app.lock", "ctrl+l,f12", "app.lock", "app", show=False, priority=True),
    KeySpec("app.sync", "ctrl+r", "app.sync_now", "app", show=False),
    KeySpec("app.outbox", "f7", "app.outbox", "app", show=False),
    KeySpec("app.quit", "ctrl+q", "app.quit", "app", show=False, priority=True),
    # Réception
    KeySpec("inbox.open", "enter", "open_message", "inbox", show=False),
    KeySpec("inbox.compose", "c", "compose", "inbox"),
    KeySpec("inbox.reply", "r", "reply", "inbox"),
    KeySpec("inbox.reply_all", "g", "reply_all", "inbox", show=False),
    KeySpec("inbox.forward", "f", "forward", "inbox", show=False),
    KeySpec("inbox.search", "slash", "search", "inbox"),
    KeySpec("inbox.folders", "f6", "focus_folders", "inbox", show=False),
    KeySpec("inbox.save", "s", "save_attachments", "inbox", show=False),
    KeySpec("inbox.view", "o", "open_attachment", "inbox", show=False),
    KeySpec("inbox.read_receipt", "a", "read_receipt", "inbox", show=False),
    # neomutt's keys where they are free: N unread, F flag, d delete, u undo; m move, A archive (aerc)
    KeySpec("inbox.unread", "N", "toggle_unread", "inbox", show=False),
    KeySpec("inbox.flag", "F", "toggle_flag", "inbox", show=False),
    KeySpec("inbox.delete", "d", "delete", "inbox", show=False),
    KeySpec("inbox.undo", "u", "undo_move", "inbox", show=False),
    KeySpec("inbox.move", "m", "move", "inbox", show=False),
    KeySpec("inbox.archive", "A", "archive", "inbox", show=False),
    KeySpec("inbox.quit", "q", "close_or_quit", "inbox", show=False),
    KeySpec("inbox.full_view", "v", "full_view", "inbox", show=False),
    KeySpec("inbox.sort", "t", "sort", "inbox", show=False),
    KeySpec("inbox.threads", "T", "threads", "inbox", show=False),
    # the reader over the whole screen (Réception: enter twice, or v)
    KeySpec("reader.page_down", "space", "page_down", "reader", show=False),
    KeySpec("reader.page_up", "minus,b", "page_up", "reader", show=False),
    KeySpec("reader.back", "q,escape", "back", "reader"),
    KeySpec("reader.next", "j", "next_message(1)", "reader", show=False),
    KeySpec("reader.previous", "k", "next_message(-1)", "reader", show=False),
    # À classer
    KeySpec("review.file", "enter", "file_document", "review"),
    KeySpec("review.patient", "p", "find_patient", "review"),
    KeySpec("review.new", "n", "new_patient", "review", show=False),
    KeySpec("review.reject", "x", "reject", "review"),
    KeySpec("review.next", "tab", "next_candidate", "review", show=False),
    KeySpec("review.undo", "u", "undo", "review"),
    KeySpec("review.search", "slash", "search", "review", show=False),
    KeySpec("review.quit", "q", "app.quit", "review", show=False),
    # Rédaction
    KeySpec("compose.send", "ctrl+s,f9", "send", "compose"),
    KeySpec("compose.attach", "ctrl+o", "attach", "compose"),
    KeySpec("compose.end_conversation", "ctrl+t", "toggle_end", "compose", show=False),
    KeySpec("compose.editor", "ctrl+g", "external_editor", "compose", show=False),
    KeySpec("compose.discard", "f8", "discard", "compose", show=False),
    KeySpec("compose.leave", "escape", "leave", "compose"),
    # À envoyer (F7): the outbox, letter by letter
    KeySpec("outbox.read", "enter", "read", "outbox", priority=True),  # before the list's own Entrée
    KeySpec("outbox.send", "e", "send_one", "outbox"),
    KeySpec("outbox.send_all", "E", "send_all", "outbox", show=False),
    KeySpec("outbox.withdraw", "b", "withdraw", "outbox"),
    KeySpec("outbox.back", "escape,q", "back", "outbox"),
    # Annuaire
    KeySpec("directory.letter", "enter", "letter", "directory"),
    KeySpec("directory.search", "slash", "search", "directory"),
    KeySpec("directory.leave", "escape", "leave_search", "directory"),
    KeySpec("directory.quit", "q", "app.quit", "directory", show=False),
)

BY_ID = {spec.id: spec for spec in KEYS}


def bindings(scope: str) -> list[BindingType]:
    """The ``BINDINGS`` of one scope (descriptions filled in at instance time by :func:`localise`)."""
    return [
        Binding(
            spec.key,
            spec.action,
            spec.id,
            show=spec.show,
            priority=spec.priority,
            key_display=spec.display,
            id=spec.id,
        )
        for spec in KEYS
        if spec.scope == scope
    ]


def localise(node: DOMNode) -> None:
    """Put the current language's descriptions and tooltips on a node's bindings (call in ``__init__``).

    Bindings are class attributes built at import; the language is chosen later, so each instance gets
    translated copies.
    """
    bindings_map = node._bindings
    for key, key_bindings in bindings_map.key_to_bindings.items():
        bindings_map.key_to_bindings[key] = [
            dataclasses.replace(b, description=BY_ID[b.id].footer_word, tooltip=BY_ID[b.id].tooltip)
            if b.id in BY_ID
            else b
            for b in key_bindings
        ]


def relabel(node: DOMNode, spec_id: str, label_id: str) -> None:
    """Show the binding ``spec_id`` under the words of ``key.<label_id>`` (its tooltip ``tip.<label_id>``): a key
    whose meaning follows what is selected (call before ``refresh_bindings``)."""
    bindings_map = node._bindings
    for key, key_bindings in bindings_map.key_to_bindings.items():
        bindings_map.key_to_bindings[key] = [
            dataclasses.replace(b, description=t(f"key.{label_id}"), tooltip=t(f"tip.{label_id}"))
            if b.id == spec_id
            else b
            for b in key_bindings
        ]


def show_in_footer(node: DOMNode, words: dict[str, str]) -> None:
    """Show a dialog's own keys on the keys line (the footer reads the dialog on top): each binding whose
    action is in ``words`` gets that description, in the current language (call in ``__init__``)."""
    bindings_map = node._bindings
    for key, key_bindings in bindings_map.key_to_bindings.items():
        bindings_map.key_to_bindings[key] = [
            dataclasses.replace(b, description=words[b.action], show=True) if b.action in words else b
            for b in key_bindings
        ]


def check_remap(remap: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Split a user's ``[keys]`` table into known ids and unknown ones (reported, not fatal)."""
    known = {k: v for k, v in remap.items() if k in BY_ID and isinstance(v, str) and v.strip()}
    unknown = [k for k in remap if k not in known]
    return known, unknown


# Textual's key names a keyboard writes otherwise: the words from the catalogues (Entrée, Échap, Espace…)
_NAMED = ("enter", "escape", "space", "tab", "minus", "question_mark", "slash")
_MODIFIERS = ("ctrl", "shift", "alt")
_FUNCTION_KEY = re.compile(r"f\d{1,2}")


def key_name(key: str) -> str:
    """One of Textual's key names as the keyboard says it, in the interface's language: "escape" is
    "Échap", "ctrl+s" is "Ctrl+s" (the letter as typed: "N" is shift+n), "f1" is "F1" as printed on the
    key, "c" stays as it is. The footer, the help screen and Textual's own widgets
    (``MissiveApp.get_key_display``) name keys through it."""
    *modifiers, base = key.strip().split("+") if key.strip() != "+" else ["+"]
    if base in _NAMED:
        base = t(f"keyname.{base}")
    elif _FUNCTION_KEY.fullmatch(base):
        base = base.upper()
    return "+".join([*(t(f"keyname.{m}") if m in _MODIFIERS else m for m in modifiers), base])


def key_names(keys: str) -> str:
    """Several keys ("f1,question_mark") as :func:`key_name` names them: "F1, ?", "q, Échap"."""
    return ", ".join(key_name(k) for k in keys.split(","))


def keys_for(spec: KeySpec, remap: dict[str, str]) -> str:
    """The key(s) a binding answers to after the user's remap, for the help screen."""
    return remap.get(spec.id, spec.key)
