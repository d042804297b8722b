"""A CDA's human-readable body as plain text at a fixed width (80 columns for the reader).

Pure: an ElementTree (names without namespace, as :func:`core.clinical.cda.parse_xml_safely` builds it) in,
text out. Sections give titled blocks (nested sections indented titles), ``<paragraph>`` wrapped paragraphs,
``<list>`` bullets or numbers with a hanging indent, ``<table>`` aligned columns whose cells wrap so the
table fits the width, ``<br/>`` a line break. Images (``renderMultiMedia``) are left out.
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

WIDTH = 80
_INLINE = {"content", "linkHtml", "sub", "sup", "footnote", "footnoteRef"}
_SKIP = {"renderMultiMedia"}
_GAP = "  "  # between table columns
_BREAK = "\u2028"  # a <br/> or the end of a paragraph inside inline text (source newlines are spaces)
_MIN_COLUMN = 8


def render_sections(component: ET.Element, width: int = WIDTH) -> str:
    """Every section under ``component`` (a CDA ``structuredBody`` or ``component``) as text."""
    blocks: list[list[str]] = []
    for section in _top_sections(component):
        blocks.extend(_section(section, 0, width))
    return "\n\n".join("\n".join(b) for b in blocks if b).strip("\n")


def render_block(text: ET.Element, width: int = WIDTH) -> str:
    """One narrative ``<text>`` element as text."""
    return "\n\n".join("\n".join(b) for b in _blocks(text, width, "") if b)


def _top_sections(el: ET.Element) -> Iterator[ET.Element]:
    """The outermost sections under ``el`` (nested ones are reached through their parent)."""
    for child in el:
        if child.tag == "section":
            yield child
        else:
            yield from _top_sections(child)


def _section(section: ET.Element, depth: int, width: int) -> list[list[str]]:
    out: list[list[str]] = []
    title = _inline(section.find("title"))
    indent = "  " * min(depth, 4)
    if title:
        lines = textwrap.wrap(title, width - len(indent)) or [title]
        rule = "=" if depth == 0 else "-"
        out.append(
            [indent + line for line in lines] + [indent + rule * min(len(lines[0]), width - len(indent))]
        )
    text = section.find("text")
    if text is not None:
        out.extend(_blocks(text, width, indent))
    for component in section.findall("component"):
        for sub in component.findall("section"):
            out.extend(_section(sub, depth + 1, width))
    return out


def _blocks(el: ET.Element, width: int, indent: str) -> list[list[str]]:
    """Blocks (lists of lines) of a narrative element: loose text and inline runs become paragraphs."""
    blocks: list[list[str]] = []
    run: list[str] = []

    def flush() -> None:
        text = "".join(run)
        run.clear()
        lines = _wrap(text, width, indent)
        if lines:
            blocks.append(lines)

    if el.text:
        run.append(el.text)
    for child in el:
        if child.tag in _SKIP:
            pass
        elif child.tag in _INLINE:
            run.append(_inline_raw(child))
        elif child.tag == "br":
            run.append(_BREAK)
        else:
            flush()
            if child.tag == "paragraph":
                blocks.extend(b for b in [_wrap(_inline_raw(child), width, indent)] if b)
            elif child.tag == "list":
                blocks.extend(b for b in [_list(child, width, indent)] if b)
            elif child.tag == "table":
                blocks.extend(b for b in [_table(child, width, indent)] if b)
            elif child.tag == "caption":
                blocks.extend(b for b in [_wrap(_inline_raw(child), width, indent)] if b)
            else:  # an element a renderer does not know: its text, as a paragraph
                blocks.extend(_blocks(child, width, indent))
        if child.tail:
            run.append(child.tail)
    flush()
    return blocks


def _inline_raw(el: ET.Element | None) -> str:
    """The text of an element, with ``<br/>`` kept as breaks and whitespace otherwise collapsed later."""
    if el is None:
        return ""
    parts: list[str] = [el.text or ""]
    for child in el:
        if child.tag == "br":
            parts.append(_BREAK)
        elif child.tag not in _SKIP:
            parts.append(_inline_raw(child))
            if child.tag in ("paragraph", "item", "tr"):
                parts.append(_BREAK)
            elif child.tag in ("td", "th"):
                parts.append(" ")
        parts.append(child.tail or "")
    return "".join(parts)


def _inline(el: ET.Element | None) -> str:
    return " ".join(_inline_raw(el).split())


def _wrap(text: str, width: int, indent: str, first: str = "", rest: str = "") -> list[str]:
    """Lines of ``text`` (line breaks kept) wrapped at ``width``; ``first``/``rest`` prefix them."""
    out: list[str] = []
    for piece in text.split(_BREAK):
        words = " ".join(piece.split())
        if not words:
            continue
        lead = first if not out else rest
        out.extend(
            textwrap.wrap(
                words,
                max(width, len(indent) + len(lead) + 10),
                initial_indent=indent + lead,
                subsequent_indent=indent + (rest or " " * len(lead)),
                break_on_hyphens=False,
            )
        )
    return out


def _list(el: ET.Element, width: int, indent: str) -> list[str]:
    ordered = el.get("listType", "").lower() == "ordered"
    lines: list[str] = []
    number = 0
    for item in el.findall("item"):
        number += 1
        mark = f"{number}. " if ordered else "- "
        nested = [child for child in item if child.tag in ("list", "table", "paragraph")]
        text = _inline_raw(_without(item, nested))
        item_lines = _wrap(text, width, indent, mark, " " * len(mark))
        if not item_lines:
            item_lines = [indent + mark.rstrip()] if nested else []
        lines.extend(item_lines)
        for child in nested:
            deeper = indent + " " * len(mark)
            if child.tag == "list":
                lines.extend(_list(child, width, deeper))
            elif child.tag == "table":
                lines.extend(_table(child, width, deeper))
            else:
                lines.extend(_wrap(_inline_raw(child), width, deeper))
    return lines


def _without(el: ET.Element, children: list[ET.Element]) -> ET.Element:
    """A shallow copy of ``el`` without ``children`` (their tails kept as text)."""
    copy = ET.Element(el.tag, el.attrib)
    copy.text = el.text
    for child in el:
        if any(child is c for c in children):
            if child.tail:
                filler = ET.SubElement(copy, "content")
                filler.text = child.tail
        else:
            copy.append(child)
    return copy


Cell = tuple[str, int, int]  # text, first column, columns spanned


def _rows(table: ET.Element) -> list[tuple[bool, list[Cell]]]:
    """(header row?, cells placed on the grid) for every row in document order; ``rowspan`` leaves its
    columns free in the rows below, ``colspan`` spans columns."""
    rows: list[tuple[bool, list[Cell]]] = []
    held: dict[int, int] = {}  # column -> rows still covered by a rowspan from above
    for part in table:
        if part.tag == "tr":
            trs, head = [part], False
        elif part.tag in ("thead", "tbody", "tfoot"):
            trs, head = part.findall("tr"), part.tag == "thead"
        else:
            continue
        for tr in trs:
            cells: list[Cell] = []
            col = 0
            tags = [c for c in tr if c.tag in ("td", "th")]
            for cell in tags:
                while held.get(col, 0) > 0:
                    col += 1
                span = _number(cell.get("colspan"))
                down = _number(cell.get("rowspan"))
                cells.append((_inline(cell), col, span))
                if down > 1:
                    for c in range(col, col + span):
                        held[c] = down  # decremented below, this row included
                col += span
            held = {c: n - 1 for c, n in held.items() if n > 1}
            if tags:
                rows.append((head or all(c.tag == "th" for c in tags), cells))
    return rows


def _number(value: str | None) -> int:
    try:
        return max(1, min(int(value or "1"), 50))
    except ValueError:
        return 1


def _table(table: ET.Element, width: int, indent: str) -> list[str]:
    lines: list[str] = []
    caption = _inline(table.find("caption"))
    if caption:
        lines.extend(_wrap(caption, width, indent))
    rows = [(head, cells) for head, cells in _rows(table) if any(text for text, _, _ in cells)]
    if not rows:
        return lines
    ncols = max(col + span for _, cells in rows for _, col, span in cells)
    room = max(width - len(indent), _MIN_COLUMN)
    # body cells set a column's width; a header wider than its column wraps (down to its longest word)
    body = [0] * ncols
    head_words = [0] * ncols
    words = [0] * ncols
    for head, cells in rows:
        for text, col, span in cells:
            longest = max((len(w) for w in text.split()), default=0)
            if span == 1:
                words[col] = max(words[col], longest)
                if head:
                    head_words[col] = max(head_words[col], longest)
                else:
                    body[col] = max(body[col], len(text))
    widths = [max(b, h, 1) for b, h in zip(body, head_words, strict=True)]
    for head, cells in rows:  # a header alone in its column (no body below) keeps its width
        for text, col, span in cells:
            if span == 1 and head and not body[col]:
                widths[col] = max(widths[col], len(text))
    widths = _fit(widths, room - len(_GAP) * (ncols - 1), words)
    rule = indent + "-" * min(room, sum(widths) + len(_GAP) * (ncols - 1))
    previous_head = False
    for head, cells in rows:
        if previous_head and not head:
            lines.append(rule)
        previous_head = head
        lines.extend(indent + line for line in _row_lines(cells, widths))
    if previous_head:
        lines.append(rule)
    return lines


def _fit(widths: list[int], room: int, words: list[int]) -> list[int]:
    """Column widths that sum to at most ``room``: the widest columns give way first, keeping whole words
    while they can, then down to a few characters (narrower still when there are too many columns)."""
    widths = [max(w, 1) for w in widths]
    floors = [max(min(w, _MIN_COLUMN), min(word, w)) for w, word in zip(widths, words, strict=True)]
    stages: tuple[Callable[[int], int], ...] = (
        lambda i: floors[i],
        lambda i: min(widths[i], _MIN_COLUMN),
        lambda i: 1,
    )
    for floor_of in stages:
        while sum(widths) > room:
            slack = [w - floor_of(i) for i, w in enumerate(widths)]
            i = max(range(len(widths)), key=lambda k: (slack[k] > 0, widths[k]))
            if slack[i] <= 0:
                break
            widths[i] -= 1
    return widths


def _row_lines(cells: list[Cell], widths: list[int]) -> list[str]:
    columns: list[tuple[list[str], int]] = []
    col = 0
    for text, start, span in cells:
        while col < start and col < len(widths):
            columns.append(([""], widths[col]))
            col += 1
        span = min(span, len(widths) - col)
        if span <= 0:
            break
        w = sum(widths[col : col + span]) + len(_GAP) * (span - 1)
        columns.append((textwrap.wrap(text, w, break_on_hyphens=False) or [""], w))
        col += span
    while col < len(widths):
        columns.append(([""], widths[col]))
        col += 1
    height = max(len(lines) for lines, _ in columns)
    out = []
    for i in range(height):
        out.append(_GAP.join(f"{lines[i] if i < len(lines) else '':<{w}}" for lines, w in columns).rstrip())
    return out


__all__ = ["WIDTH", "render_block", "render_sections"]
