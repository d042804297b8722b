"""Textual's binding chain without a Unicode name lookup for the key names bound in the app.

Textual builds a screen's binding chain (``Screen._binding_chain``) at each focus change and key, and asks
``key_to_character`` (cached per key) of every key bound above the focused widget, which tries
``unicodedata.lookup(key.upper())``: for "enter", "slash", "f1"... the lookup fails only after probing the
Unicode name database, whose pages (about 0.4 MB of unicodedata's tables) then stay in the app's memory for
nothing. Those names are answered here (None, what the failing lookup gives). The names that do name a
character ("tab", "question_mark", "space"...: found by the same lookup, through the database's aliases for
the control characters) probe the same tables: the inbox's keys "tab" and "?" alone left about 0.38 MB of them
resident at the painted inbox. They are answered from ``CHARACTERS``; every other key goes to Textual's own
function. tests/tui/test_textual_keys.py holds the answers equal to Textual's.
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


# Textual's names of the ASCII punctuation, the space and the control keys that key_to_character finds a
# character for (by a successful lookup), with that character
CHARACTERS = {
    "exclamation_mark": "!",
    "quotation_mark": '"',
    "number_sign": "#",
    "dollar_sign": "$",
    "percent_sign": "%",
    "ampersand": "&",
    "apostrophe": "'",
    "left_parenthesis": "(",
    "right_parenthesis": ")",
    "asterisk": "*",
    "comma": ",",
    "full_stop": ".",
    "colon": ":",
    "semicolon": ";",
    "less_than_sign": "<",
    "equals_sign": "=",
    "greater_than_sign": ">",
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "circumflex_accent": "^",
    "grave_accent": "`",
    "left_curly_bracket": "{",
    "vertical_line": "|",
    "right_curly_bracket": "}",
    "tilde": "~",
    "space": " ",
    "tab": "\t",
    "backspace": "\x08",
    "delete": "\x7f",
    "escape": "\x1b",
}


def install() -> None:
    """Answer the key names of ``NOT_CHARACTERS`` and ``CHARACTERS`` before Textual's ``key_to_character``
    (once)."""
    import textual.screen

    textual_own = getattr(textual.screen, "key_to_character", None)  # Textual does not export it
    if textual_own is None or getattr(textual_own, "__module__", None) == __name__:
        return  # a Textual that asks no such question, or installed already

    def key_to_character(key: str) -> str | None:
        if key in NOT_CHARACTERS:
            return None
        character = CHARACTERS.get(key)
        if character is not None:
            return character
        return textual_own(key)

    setattr(textual.screen, "key_to_character", key_to_character)  # noqa: B010 - as read above
