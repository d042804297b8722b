"""Bytes to text for clinical files whose encoding nobody declares.

Order (as hprimtool does, STANDARDS.md §2.4): UTF-16 when a BOM says so, else strict UTF-8 (BOM stripped),
else Windows-1252, else Latin-1 (which never fails). Every decoding here round-trips: ``encode_back`` of a
slice of the text gives back the exact original bytes of that slice, which is how multi-report files keep
each report's raw bytes.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from itertools import islice

# Only CR and LF end a line: str.splitlines would also split on \x85, \x0c, \u2028... which Latin-1 text
# and lab free text legitimately contain.
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_LONE_CR = re.compile(r"\r(?!\n)")  # a CR that does not begin a CRLF


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from bytes, with what is needed to turn a slice back into the original bytes."""

    text: str
    encoding: str  # python codec name: utf-8, cp1252, latin-1, utf-16-le, utf-16-be
    bom: bytes = b""

    def encode_back(self, part: str, at_start: bool = False) -> bytes:
        """The original bytes of ``part`` (a slice of ``text``): the BOM is added for UTF-16 (which
        needs it to be read) and for a UTF-8 slice taken at the start of the file (``at_start``)."""
        raw = part.encode(self.encoding)
        if self.bom and (at_start or self.encoding.startswith("utf-16")):
            return self.bom + raw
        return raw


def decode(data: bytes) -> DecodedText:
    """Decode clinical bytes: UTF-16 (BOM), UTF-8 (BOM stripped), Windows-1252, then Latin-1."""
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        bom = data[:2]
        codec = "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be"
        body = data[2:]
        if len(body) % 2:
            body = body[:-1]  # a truncated last code unit: drop it rather than refuse the file
        return DecodedText(body.decode(codec, errors="replace"), codec, bom)
    bom = b""
    if data.startswith(codecs.BOM_UTF8):
        data, bom = data[3:], codecs.BOM_UTF8
    for codec in ("utf-8", "cp1252"):
        try:
            return DecodedText(data.decode(codec), codec, bom if codec == "utf-8" else b"")
        except UnicodeDecodeError:
            continue
    return DecodedText(data.decode("latin-1"), "latin-1")


def decode_text(data: bytes) -> str:
    """Just the text of :func:`decode`."""
    return decode(data).text


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """Split on CRLF, LF or lone CR (all three occur in real lab files)."""
    lines = _LINE_RE.findall(text)
    if keepends:
        return lines
    return [line.rstrip("\r\n") for line in lines]


def first_lines(text: str, count: int) -> list[str]:
    """``split_lines(text)[:count]`` without splitting the rest."""
    pieces = text.split("\n", count)
    # what those lines span (up to the LF that ends the last of them): a lone CR further on does not move them
    end = len(text) - len(pieces[-1]) if len(pieces) > count else len(text)
    if _LONE_CR.search(text, 0, end) is None:  # no lone CR: LF ends every line (the common case, faster)
        if len(pieces) > count:
            pieces = pieces[:count]
        elif not pieces[-1]:
            pieces.pop()
        return [piece.rstrip("\r") for piece in pieces]
    return [m.group().rstrip("\r\n") for m in islice(_LINE_RE.finditer(text), count)]


def strip_eol(line: str) -> str:
    """A line without its CR/LF ending."""
    return line.rstrip("\r\n")


__all__ = ["DecodedText", "decode", "decode_text", "first_lines", "split_lines", "strip_eol"]
