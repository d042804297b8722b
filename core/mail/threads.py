"""Conversations: messages grouped by their In-Reply-To and References headers (JWZ's threading algorithm).

Pure: it reads a list of (Message-ID, references, subject, date) and gives an order and a tree mark per
message, nothing else. The rules, as jwz.org/doc/threading.html describes them, and what was decided here:

- A message's parent is the last id of its references (In-Reply-To counted last); the ids before it link
  its ancestors in that order, unless they are linked already or the link would make a loop.
- A message not in the list (deleted, in another folder, never received) leaves no row: its replies are
  drawn one level down under nothing (``├─``/``└─`` at the left edge), so the gap shows; a missing message
  in the middle of a chain hands its replies to its own parent.
- The subject alone joins a message to a conversation only when the message has no reference at all, its
  subject is a reply or forward (``Re:``, ``RE :``, ``Réf :``, ``AW:``, ``Tr:``, ``Fwd:``...), and an older
  message of the list that is not itself a reply has that same subject: it then goes under the newest such
  message. Two messages that merely share a subject ("Résultats d'analyses", "Compte rendu") are never
  joined: for a doctor that would put two patients' mail in one conversation.
- Conversations come in the order of their first message in the given list (newest first: the most recent
  activity first); inside one, replies follow their parent oldest first, as the conversation went.
- A tree mark is two cells per level (``│ ``, ``├─``, ``└─``), at most ``MAX_LEVELS`` levels: deeper
  replies are drawn at that depth behind ``…``, so a row still fits 80 columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.frozen import Frozen

MAX_LEVELS = 6
_ID = re.compile(r"<[^<>\s]+>")
_REPLY = re.compile(r"^\s*(?:(?:re|r[ée]f|aw|sv|tr|fwd?|wg|antw)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True, repr=False, eq=False)
class ThreadItem(Frozen):
    """One message: its Message-ID, its references oldest first (In-Reply-To last), subject, date order."""

    message_id: str
    references: tuple[str, ...] = ()
    subject: str = ""
    when: int = 0  # any increasing measure of its date


def ids_in(text: str | None) -> tuple[str, ...]:
    """The message ids (``<...>``) of a References or In-Reply-To header, in order."""
    return tuple(_ID.findall(text or ""))


def reference_chain(references: str | None, in_reply_to: str | None) -> tuple[str, ...]:
    """References' ids then In-Reply-To's first id when it is not already the last (RFC 5322 3.6.4)."""
    chain = list(dict.fromkeys(ids_in(references)))
    parent = ids_in(in_reply_to)
    if parent and (not chain or chain[-1] != parent[0]):
        if parent[0] in chain:
            chain.remove(parent[0])
        chain.append(parent[0])
    return tuple(chain)


def normal_id(message_id: str | None) -> str:
    """A Message-ID as compared here: its ``<...>`` part, else the text without spaces."""
    found = _ID.search(message_id or "")
    return found.group(0) if found else "".join((message_id or "").split())


def base_subject(subject: str) -> tuple[str, bool]:
    """(the subject without reply/forward prefixes, folded for comparison; whether it had one)."""
    from core.clinical.identity import fold

    stripped = _REPLY.sub("", subject or "")
    return " ".join(fold(stripped).split()), len(stripped) != len(subject or "")


@dataclass(eq=False)
class _Node:
    item: int | None = None
    parent: _Node | None = None
    children: list[_Node] = field(default_factory=list)
    when: int = 0

    def is_ancestor_of(self, other: _Node) -> bool:
        node: _Node | None = other
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False


def _link(parent: _Node, child: _Node) -> None:
    if child.parent is not None:
        child.parent.children.remove(child)
    child.parent = parent
    parent.children.append(child)


def thread(items: Sequence[ThreadItem]) -> list[tuple[int, str]]:
    """Every item once, as (its index in ``items``, its tree mark), conversation by conversation."""
    table: dict[str, _Node] = {}
    nodes: list[_Node] = []
    for i, it in enumerate(items):
        mid = normal_id(it.message_id)
        node = table.get(mid) if mid else None
        if node is None or node.item is not None:  # no id, or the same id twice: a message of its own
            node = _Node()
            if mid and mid not in table:
                table[mid] = node
        node.item, node.when = i, it.when
        nodes.append(node)
        parent: _Node | None = None
        for ref in it.references:
            ref = normal_id(ref)
            if not ref or ref == mid:
                continue
            ref_node = table.setdefault(ref, _Node())
            if (
                parent is not None
                and ref_node.parent is None
                and not ref_node.is_ancestor_of(parent)
                and ref_node is not node
            ):
                _link(parent, ref_node)
            parent = ref_node
        # the message itself: its last reference is its parent, whatever an earlier reference presumed
        if parent is not None and parent is not node and not node.is_ancestor_of(parent):
            _link(parent, node)
        # without references, a parent presumed from another message's references is kept
    roots = _prune([n for n in (*table.values(), *nodes) if n.parent is None])
    roots = _join_by_subject(roots, items)
    first = {id(r): _first_position(r) for r in roots}
    roots.sort(key=lambda r: first[id(r)])
    out: list[tuple[int, str]] = []
    for root in roots:
        _walk(root, "", 0, True, out)
    return out


def _prune(roots: list[_Node]) -> list[_Node]:
    """Missing messages out of the tree: in a chain, their replies go to their parent; at the top, with one
    reply, that reply becomes the top; with several, the empty top stays (drawn as nothing)."""
    seen: set[int] = set()
    kept: list[_Node] = []
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        _prune_below(root)
        if root.item is None and not root.children:
            continue
        if root.item is None and len(root.children) == 1:
            child = root.children[0]
            child.parent = None
            root.children = []
            kept.append(child)
            continue
        kept.append(root)
    return kept


def _prune_below(node: _Node) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        children: list[_Node] = []
        for child in current.children:
            if child.item is None:  # missing: its replies come up a level (their own children checked below)
                for grandchild in child.children:
                    grandchild.parent = current
                pending = list(child.children)
                while pending:  # a chain of missing messages comes up whole
                    c = pending.pop(0)
                    if c.item is None:
                        for g in c.children:
                            g.parent = current
                        pending[:0] = c.children
                    else:
                        children.append(c)
            else:
                children.append(child)
        current.children = children
        stack.extend(children)
    _set_when(node)


def _set_when(node: _Node) -> int:
    """A missing message's date: its earliest reply's (for ordering siblings)."""
    if node.item is None:
        node.when = min((_set_when(c) for c in node.children), default=0)
    else:
        for c in node.children:
            _set_when(c)
    return node.when


def _join_by_subject(roots: list[_Node], items: Sequence[ThreadItem]) -> list[_Node]:
    originals: dict[str, list[_Node]] = {}
    for root in roots:
        if root.item is None:
            continue
        base, reply = base_subject(items[root.item].subject)
        if base and not reply:
            originals.setdefault(base, []).append(root)
    if not originals:
        return roots
    kept: list[_Node] = []
    for root in roots:
        it = items[root.item] if root.item is not None else None
        if it is not None and not it.references:
            base, reply = base_subject(it.subject)
            older = (
                [o for o in originals.get(base, ()) if o is not root and o.when <= it.when] if reply else []
            )
            if older:
                _link(max(older, key=lambda o: o.when), root)
                continue
        kept.append(root)
    return kept


def _first_position(node: _Node) -> int:
    stack = list(node.children)
    best = node.item if node.item is not None else 1 << 62
    while stack:
        current = stack.pop()
        if current.item is not None and current.item < best:
            best = current.item
        stack.extend(current.children)
    return best


def _walk(node: _Node, lead: str, depth: int, last: bool, out: list[tuple[int, str]]) -> None:
    """Depth first, replies oldest first; ``lead``: the marks of the levels above this one."""
    stack: list[tuple[_Node, str, int, bool]] = [(node, lead, depth, last)]
    while stack:
        current, above, level, is_last = stack.pop()
        if level == 0:
            mark, below = "", ""
        else:
            mark = above + ("└─" if is_last else "├─")
            below = above + ("  " if is_last else "│ ")
        if current.item is None:  # an empty top: its replies drawn one level down, under nothing
            below = ""
            children = sorted(current.children, key=lambda c: (c.when, c.item or 0))
            for n, child in reversed(list(enumerate(children))):
                stack.append((child, below, level + 1, n == len(children) - 1))
            continue
        out.append((current.item, _fit(mark)))
        children = sorted(current.children, key=lambda c: (c.when, c.item or 0))
        for n, child in reversed(list(enumerate(children))):
            stack.append((child, below, level + 1, n == len(children) - 1))


def _fit(mark: str) -> str:
    if len(mark) <= 2 * MAX_LEVELS:
        return mark
    return "…" + mark[-(2 * MAX_LEVELS - 1) :]
