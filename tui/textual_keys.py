"""Textual's binding chain without a Unicode name lookup for the key names that name no character.

Textual builds a screen's binding chain (``Screen._binding_chain``) at each focus change and key, and asks
``key_to_character`` (cached per key) of every key bound above the focused widget, which tries
``unicodedata.lookup(key.upper())``: for "enter", "slash", "f1"... the lookup fails only after probing the
Unicode name database, whose pages (about 0.4 MB of unicodedata's tables) then stay in the app's memory for
nothing. Those names are answered here (None, what the failing lookup gives); every other key goes to
Textual's own function. tests/tui/test_textual_keys.py holds the answers equal to Textual's.
"""

from __future__ import annotations

# Textual's key names (textual.keys.Keys, and the names it gives to ASCII punctuation) that are no character:
# key_to_character gives None for each, after a failed lookup
NOT_CHARACTERS = frozenset(
    {
        *(f"f{n}" for n in range(1, 25)),
        "enter",
        "return",
        "up",
        "down",
        "left",
        "right",
        "home",
        "end",
        "pageup",
        "pagedown",
        "insert",
        "ctrl-at",
        "at",
        "backslash",
        "minus",
        "plus",
        "slash",
        "underscore",
    }
)


def install() -> None:
    """Answer the key names that name no character before Textual's ``key_to_character`` (once)."""
    import textual.screen

    textual_own = getattr(textual.screen, "key_to_character", None)  # Textual does not export it
    if textual_own is None or getattr(textual_own, "__module__", None) == __name__:
        return  # a Textual that asks no such question, or installed already

    def key_to_character(key: str) -> str | None:
        if key in NOT_CHARACTERS:
            return None
        return textual_own(key)

    setattr(textual.screen, "key_to_character", key_to_character)  # noqa: B010 - as read above
