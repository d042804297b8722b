"""The text of an RTF document (a CDA non-structured body may be text/rtf, as CI-SIS allows).

Only what a reader needs: paragraphs, tabs, accented letters (``\\'e9`` in the declared ANSI code page,
``\\u233?``); font tables, styles, pictures and every ignorable destination (``{\\*...}``) are skipped.
"""

from __future__ import annotations

import codecs
import re

# control word (with its optional numeric parameter and the one space that ends it), control symbol,
# hex byte, group braces, or a run of plain text
_TOKEN = re.compile(
    r"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([^\\{}\r\n]+)|[\r\n]+", re.DOTALL
)
_SKIPPED = {
    "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "themedata", "colorschememapping",
    "latentstyles", "datastore", "listtable", "listoverridetable", "rsidtbl", "generator", "xmlnstbl",
    "header", "footer", "headerl", "headerr", "footerl", "footerr", "fldinst", "filetbl", "revtbl",
}  # fmt: skip
_BREAKS = {"par": "\n", "line": "\n", "sect": "\n\n", "page": "\n\n", "tab": "\t", "cell": "\t", "row": "\n"}
_SYMBOLS = {"~": "\u00a0", "_": "-", "-": "", "\\": "\\", "{": "{", "}": "}", "\n": "\n", "\r": "\n"}


def looks_like(data: bytes) -> bool:
    return data.lstrip()[:5] == b"{\\rtf"


def to_text(data: bytes) -> str:
    """Plain text of RTF bytes; lines stripped of trailing blanks, runs of blank lines kept to one."""
    source = data.decode("latin-1")  # RTF is 7-bit; anything else is carried byte for byte
    codepage = "cp1252"
    skip_depth: int | None = None  # the depth of the group being skipped
    depth = 0
    pending_skip = 0  # characters to drop after a \uN (its ANSI fallback)
    unicode_skip = 1
    out: list[str] = []
    star = False  # the group began with \* (an ignorable destination)
    for match in _TOKEN.finditer(source):
        word, param, hexbyte, symbol, brace, text = match.groups()
        if brace == "{":
            depth += 1
            star = False
            continue
        if brace == "}":
            if skip_depth is not None and depth <= skip_depth:
                skip_depth = None
            depth -= 1
            continue
        if symbol == "*":
            star = True
            continue
        if skip_depth is not None:
            continue
        if word is not None:
            if word in _SKIPPED or star:
                skip_depth = depth
                star = False
            elif word == "ansicpg" and param:
                try:
                    codepage = codecs.lookup(f"cp{param}").name
                except LookupError:
                    pass
            elif word == "uc" and param:
                unicode_skip = max(0, int(param))
            elif word == "u" and param:
                # a signed 16-bit UTF-16 unit: a character beyond the basic plane comes as its two halves,
                # joined below; anything else out of range is a replacement character
                value = int(param)
                value = value + 65536 if value < 0 else value
                out.append(chr(value) if 0 <= value <= 0xFFFF else "\ufffd")
                pending_skip = unicode_skip
            elif word in _BREAKS:
                out.append(_BREAKS[word])
            continue
        if hexbyte is not None:
            if pending_skip:
                pending_skip -= 1
            else:
                out.append(bytes([int(hexbyte, 16)]).decode(codepage, errors="replace"))
            continue
        if symbol is not None:
            if pending_skip:
                pending_skip -= 1
            else:
                out.append(_SYMBOLS.get(symbol, ""))
            continue
        if text:
            if pending_skip:
                dropped = min(pending_skip, len(text))
                text = text[dropped:]
                pending_skip -= dropped
            out.append(text)
    # the two halves of a character written as \uN\uN are joined; a lone half is a replacement character
    joined = "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    lines = [line.rstrip() for line in joined.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


__all__ = ["looks_like", "to_text"]
