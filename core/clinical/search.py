"""How a typed search meets names and words: one rule for the directory, the patient search and the inbox.

Blind to case and accents, and to how punctuation and particles are typed: "lhote" finds L'Hôte, "legoff" finds
Le Goff, "dupont aignan" finds Dupont-Aignan, "lefevre" finds Lefèvre. A text is turned once into its
searchable form (:func:`searchable`); a query matches when every word of it starts a word of that form, or
the whole query with its spaces and punctuation removed does (:func:`matches`): "299" finds "2990", not
"1299".
"""

from __future__ import annotations

from core.clinical.identity import fold


def searchable(text: str | None) -> str:
    """``text`` folded (upper case, no accents, punctuation as spaces) and again with the spaces removed
    between neighbouring words, so a name typed without its apostrophe, hyphen or space still meets it."""
    words = fold(text).split()
    glued = ["".join(words[i : i + n]) for n in (2, 3) for i in range(len(words) - n + 1)]
    return " " + " ".join(words + glued)


def query_terms(query: str | None) -> tuple[str, ...]:
    """The words of a query in the searchable form (empty: matches nothing)."""
    return tuple(fold(query).split())


def matches(query: str | tuple[str, ...], form: str) -> bool:
    """Whether every word of ``query`` (or the query glued together) starts a word of ``form``."""
    terms = query_terms(query) if isinstance(query, str) else query
    if not terms:
        return False
    return all(f" {term}" in form for term in terms) or f" {''.join(terms)}" in form


BODY_CHARS = 200_000  # a letter's text beyond this is not searched (a pasted log, a base64 left in clear)


def searchable_text(text: str | None) -> str:
    """A letter's text in the form :func:`matches` reads, each word and each glued pair or triple of
    neighbouring words kept once: the same answers as :func:`searchable`, smaller for long texts."""
    words = fold((text or "")[:BODY_CHARS]).split()
    kept = dict.fromkeys(words)
    for n in (2, 3):
        kept.update(dict.fromkeys("".join(words[i : i + n]) for i in range(len(words) - n + 1)))
    return " " + " ".join(kept)
