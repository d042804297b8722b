"""Search the practitioner directory: names by prefix, profession, town, postcode, RPPS; address completion.

The index (built by ``core.directory.importer``) is one SQLite file opened read-only. It is never modified in
place — a re-import swaps in a new file — so it is opened ``immutable`` (no locking) and reopened when the file
on disk changes, which lets a long-lived ``Directory`` (the TUI) see a fresh import without restarting.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from core.directory.columns import search_key, words
from core.directory.importer import SCHEMA_VERSION, ImportReport, Progress, import_files, index_path, rebuild
from core.errors import BadInput, NotFound, StoreCorrupted
from core.model import DirectoryEntry
from core.text import T

log = logging.getLogger("missive.directory")

MAX_LIMIT = 1000
_COLUMNS = (
    "e.id, e.key, e.rpps, e.family, e.given, e.profession, e.specialty, e.organisation, e.city, e.postcode"
)


# what a doctor types -> the words of the official labels (accent-free, as indexed)
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "generaliste": ("generale",),
    "generalistes": ("generale",),
    "radiologue": ("radio",),  # "Radio-diagnostic", "Radiodiagnostic et imagerie médicale"
    "anesthesiste": ("anesthesi",),
    "chirurgien": ("chirurgie",),
    "orthopediste": ("orthopedi",),
}
# The practitioner's name of a specialty and the specialty's own ("cardiologue" for "Cardiologie", "pédiatre"
# for "Pédiatrie", "ophtalmologiste" for "Ophtalmologie"): both begin with the same stem.
_PRACTITIONER_ENDINGS = (("logiste", "log"), ("logues", "log"), ("logue", "log"), ("iatres", "iatr"), ("iatre", "iatr"))
# a title typed before the name ("dr martin", "docteur lhote"): the directory does not hold it
_TITLES = frozenset({"dr", "docteur", "pr", "professeur", "mme", "madame", "mr", "monsieur"})


class Directory:
    """The practitioner directory of one profile, kept in ``folder`` (``<profile>/directory``)."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self._conn: sqlite3.Connection | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ admin

    @property
    def path(self) -> Path:
        """The index file."""
        return index_path(self.folder)

    def exists(self) -> bool:
        """True once an import has succeeded."""
        return self.path.exists()

    def import_files(
        self, paths: Iterable[str | os.PathLike[str]], progress: Progress | None = None
    ) -> ImportReport:
        """Import RPPS and/or MSSanté extractions (see ``core.directory.importer.import_files``)."""
        report = import_files(self.folder, paths, progress)
        self._reopen_if_changed()
        return report

    def stats(self) -> dict[str, str]:
        """What the current index holds (counts, date, file names); empty when nothing was imported."""
        with self._lock:
            db = self._db()
            if db is None:
                return {}
            return dict(db.execute("SELECT key, value FROM meta").fetchall())

    def close(self) -> None:
        with self._lock:
            self._close()

    # ----------------------------------------------------------------------------------------- search

    def search(self, text: str, limit: int = 20) -> list[DirectoryEntry]:
        """Practitioners matching every word of ``text``, best first.

        Words match family and given names by prefix (blind to case, accents, hyphens and apostrophes), and
        also profession, specialty, organisation, town, postcode and RPPS number. Ranking: exact surname, then
        surname prefix, then the rest; within each, those with an MSSanté address first.
        """
        _check_limit(limit)
        with self._lock:
            db = self._db()
            if db is None:
                raise NotFound(T("directory.search.encore-annuaire-praticiens-lancez"))
            with _guard():
                return self._search(db, text, limit, only_mss=False)

    def complete(self, prefix: str, limit: int = 10) -> list[tuple[str, str]]:
        """(display, address) pairs for the composer's recipient field; [] when nothing matches or no index."""
        _check_limit(limit)
        text = prefix.strip()
        if not text:
            return []
        with self._lock:
            db = self._db()
            if db is None:
                return []
            with _guard():
                if "@" in text or ("." in text and " " not in text):  # looks like the start of an address
                    found = self._complete_address(db, text.lower(), limit)
                    if found or "@" in text:
                        return found
                out: list[tuple[str, str]] = []
                for entry in self._search(db, text, limit, only_mss=True):
                    for address in entry.mssante:
                        out.append((display_name(entry), address))
                        if len(out) >= limit:
                            return out
                return out

    def by_address(self, address: str) -> DirectoryEntry | None:
        """The practitioner (or organisation) owning an MSSanté address, or None."""
        with self._lock:
            db = self._db()
            if db is None:
                return None
            with _guard():
                row = db.execute(
                    "SELECT key FROM mss WHERE addr_key = ? LIMIT 1", (address.strip().lower(),)
                ).fetchone()
                if row is None:
                    return None
                rows = db.execute(f"SELECT {_COLUMNS} FROM entry e WHERE e.key = ?", (row[0],)).fetchall()
                entries = self._entries(db, rows, [])
                return entries[0] if entries else None

    def words_of(self, address: str) -> str:
        """The names, professions, specialties, organisations, towns and postcodes of every activity of the
        owner of an MSSanté address ("" when unknown): what a search of the directory could meet them by."""
        with self._lock:
            db = self._db()
            if db is None:
                return ""
            with _guard():
                row = db.execute(
                    "SELECT key FROM mss WHERE addr_key = ? LIMIT 1", (address.strip().lower(),)
                ).fetchone()
                if row is None:
                    return ""
                cols = "family, given, profession, specialty, organisation, city, postcode"
                rows = db.execute(
                    f"SELECT {cols} FROM activity WHERE idnat = ? UNION SELECT {cols} FROM mss WHERE key = ?",
                    (row[0], row[0]),
                ).fetchall()
                return " ".join(dict.fromkeys(v for r in rows for v in r if v))

    # -------------------------------------------------------------------------------------- internals

    def _search(self, db: sqlite3.Connection, text: str, limit: int, only_mss: bool) -> list[DirectoryEntry]:
        tokens = words(text)[:12]  # a pasted paragraph is not a search; twelve words is plenty
        while len(tokens) > 1 and tokens[0] in _TITLES:
            tokens = tokens[1:]
        if not tokens:
            return []
        terms = [self._term(db, t) for t in tokens]
        if None in terms:
            return []  # a word that starts no indexed word: nothing can match every word
        # The words must match names or other details, never the `flags` column, which only serves the
        # MSSanté-only filter.
        every = " AND ".join(terms)  # type: ignore[arg-type]  # no None left: see the test above
        if len(tokens) > 1:  # or the words typed apart glued together: "l hote" meets LHOTE, "le goff" LEGOFF
            whole = self._expand(db, "".join(tokens))
            if whole is not None:
                every = f"({every}) OR {whole}"
        match = "{names other} : (" + every + ")"
        if only_mss:
            match += ' AND flags : "mss"'
        ids = self._ranked_ids(db, match, tokens, limit)
        rows = db.execute(
            f"SELECT {_COLUMNS} FROM entry e WHERE e.id IN ({','.join('?' * len(ids))})", ids
        ).fetchall()
        by_id = {r[0]: r for r in rows}
        return self._entries(db, [by_id[i] for i in ids if i in by_id], tokens)

    @classmethod
    def _term(cls, db: sqlite3.Connection, token: str) -> str | None:
        """``_expand``, or'ed with the words the directory uses for what the doctor typed: the specialty
        table says "Qualifié en Médecine générale" (SM26), "Médecine Générale" (SM54)... and never
        "généraliste", the word a doctor types."""
        if len(token) < 8:
            return cls._expand(db, token)
        written = [w for typed, ws in _SYNONYMS.items() if typed.startswith(token) for w in ws]
        written += [token[: -len(end)] + stem for end, stem in _PRACTITIONER_ENDINGS if token.endswith(end)][:1]
        if not written:
            return cls._expand(db, token)
        alternatives = [t for t in (cls._expand(db, w) for w in (token, *written)) if t is not None]
        return "(" + " OR ".join(alternatives) + ")" if alternatives else None

    @staticmethod
    def _expand(db: sqlite3.Connection, token: str) -> str | None:
        """The FTS5 query for one word typed: a prefix query, or the OR of the few words it begins.

        Short prefixes are served by FTS5's prefix indexes. For longer ones, an explicit OR of the matching
        words is walked lazily alongside the other words, where a prefix query would first merge every
        matching list in full (slow for "medecin", held by half the directory). None: no word starts so.
        """
        if len(token) <= 3:
            return f'"{token}"*'
        words_ = [
            w
            for (w,) in db.execute(
                "SELECT term FROM vocab WHERE term >= ? AND term < ? ORDER BY term LIMIT 33",
                (token, token + "{"),
            )
        ]
        if not words_:
            return None
        if len(words_) > 32:
            return f'"{token}"*'
        return "(" + " OR ".join('"' + w.replace('"', '""') + '"' for w in words_) + ")"

    def _ranked_ids(self, db: sqlite3.Connection, match: str, tokens: list[str], limit: int) -> list[int]:
        """Entry ids, best first: exact surname, then surname prefix, then any other match.

        Entry ids are in (surname, given name) order (see the importer), so each class is one or a few
        contiguous id ranges that FTS5 scans in order, stopping at ``limit``: no sort of a large match set.
        """
        out: list[int] = []
        seen: set[int] = set()

        def take(lo: int | None, hi: int | None) -> None:
            want = limit - len(out)
            if want <= 0:
                return
            sql = "SELECT rowid FROM fts WHERE fts MATCH ?"
            params: list[str | int | None] = [match]
            if lo is not None:
                sql += " AND rowid BETWEEN ? AND ?"
                params += [lo, hi]
            sql += " ORDER BY rowid LIMIT ?"
            params.append(want + len(seen))  # rows already taken may come again: skip them, still fill up
            for (rowid,) in db.execute(sql, params):
                if rowid not in seen:
                    seen.add(rowid)
                    out.append(rowid)
                    if len(out) >= limit:
                        return

        for key in sorted(_exact_candidates(tokens)):
            lo, hi = db.execute("SELECT min(id), max(id) FROM entry WHERE fam_key = ?", (key,)).fetchone()
            if lo is not None:
                take(lo, hi)
        for token in sorted(set(tokens)):
            lo, hi = db.execute(
                "SELECT min(id), max(id) FROM entry WHERE fam_key >= ? AND fam_key < ?", (token, token + "{")
            ).fetchone()  # "{" sorts right after "z": the range is every key starting with the token
            if lo is not None:
                take(lo, hi)
        take(None, None)
        return out

    def _entries(
        self, db: sqlite3.Connection, rows: list[tuple[Any, ...]], tokens: list[str]
    ) -> list[DirectoryEntry]:
        """Models for result rows, each with its MSSanté addresses and the activity that best fits the query."""
        if not rows:
            return []
        keys = [r[1] for r in rows]
        marks = ",".join("?" * len(keys))
        addresses: dict[str, list[str]] = {}
        for key, address in db.execute(
            f"SELECT DISTINCT key, address FROM mss WHERE key IN ({marks}) ORDER BY address", keys
        ):
            addresses.setdefault(key, []).append(address)
        activities: dict[str, list[tuple[str, ...]]] = {}
        if tokens:
            for row in db.execute(
                "SELECT idnat, profession, specialty, organisation, city, postcode FROM activity "
                f"WHERE idnat IN (SELECT key FROM entry WHERE key IN ({marks}) AND n_act > 1)",
                keys,
            ):
                activities.setdefault(row[0], []).append(row[1:])
        out = []
        for _id, key, rpps, family, given, profession, specialty, organisation, city, postcode in rows:
            site: tuple[str, ...] = (profession, specialty, organisation, city, postcode)
            if key in activities:
                site = _best_activity(site, activities[key], tokens)
            out.append(
                DirectoryEntry(
                    rpps=rpps or "",
                    family_name=family or "",
                    given_name=given or "",
                    profession=site[0] or "",
                    specialty=site[1] or specialty or "",
                    organisation=site[2] or "",
                    city=site[3] or "",
                    postcode=site[4] or "",
                    mssante=tuple(addresses.get(key, ())),
                )
            )
        return out

    def _complete_address(self, db: sqlite3.Connection, prefix: str, limit: int) -> list[tuple[str, str]]:
        rows = db.execute(
            "SELECT DISTINCT address, key FROM mss WHERE addr_key >= ? AND addr_key < ? ORDER BY addr_key LIMIT ?",
            (prefix, prefix + "\U0010ffff", limit),
        ).fetchall()
        out = []
        for address, key in rows:
            entry_rows = db.execute(f"SELECT {_COLUMNS} FROM entry e WHERE e.key = ?", (key,)).fetchall()
            entries = self._entries(db, entry_rows, [])
            out.append((display_name(entries[0]) if entries else address, address))
        return out

    def _db(self) -> sqlite3.Connection | None:
        """The open index, reopened when a new import has replaced the file; None when there is none."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._close()
            return None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._conn is None or stamp != self._stamp:
            self._close()
            try:
                # immutable: the file is never written after the swap, so SQLite may skip all locking.
                conn = sqlite3.connect(
                    f"file:{quote(str(self.path))}?mode=ro&immutable=1", uri=True, check_same_thread=False
                )
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            except sqlite3.DatabaseError:
                raise StoreCorrupted(
                    T("directory.search.index-annuaire-illisible-importez", name=self.path.name)
                ) from None
            if _older(row[0] if row else "") and self._upgrade():
                conn.close()
                return self._db()
            self._conn, self._stamp = conn, stamp
        return self._conn

    def _upgrade(self) -> bool:
        """An index built by an older version lacks today's search columns (glued names): build it again from
        the rows it holds, once. On failure the old index keeps serving (without them) and the log says why."""
        try:
            report = rebuild(self.folder)
        except Exception as exc:  # noqa: BLE001 - searching the old index is better than no directory
            log.warning("directory index of an older schema not rebuilt (%s)", type(exc).__name__)
            return False
        log.info("directory index rebuilt to schema %s in %.1f s", SCHEMA_VERSION, report.seconds)
        return True

    def _reopen_if_changed(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            self._stamp = None


@contextmanager
def _guard() -> Iterator[None]:
    """SQLite errors while reading become one actionable line (the index is rebuilt by a new import)."""
    try:
        yield
    except sqlite3.DatabaseError:
        raise StoreCorrupted(T("directory.search.index-annuaire-endommage-importez")) from None


def display_name(entry: DirectoryEntry) -> str:
    """How a directory entry reads in a recipient list: "LEFÈVRE Jean — Cardiologie, Pau"."""
    return entry.display_name()


def _older(schema: str) -> bool:
    """Whether an index's schema version is older than this code's (a rebuild brings it up to date)."""
    try:
        return int(schema) < int(SCHEMA_VERSION)
    except ValueError:
        return True


def _check_limit(limit: int) -> None:
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadInput(T("directory.search.limite-doit-etre-comprise", MAX_LIMIT=MAX_LIMIT))


def _exact_candidates(tokens: list[str]) -> list[str]:
    """Keys an exact surname could have: each word, and adjacent words joined ("le gall" -> "legall")."""
    out = list(dict.fromkeys(tokens))
    for size in (2, 3):
        for i in range(len(tokens) - size + 1):
            out.append("".join(tokens[i : i + size]))
    return out


def _best_activity(
    default: tuple[str, ...], sites: list[tuple[str, ...]], tokens: list[str]
) -> tuple[str, ...]:
    """Of a practitioner's activities, the one whose words match most query words (the first on a tie)."""

    def score(site: tuple[str, ...]) -> int:
        site_words = words(" ".join(s or "" for s in site))
        return sum(any(w.startswith(t) for w in site_words) for t in tokens)

    best, best_score = default, score(default)
    for site in sites:
        s = score(site)
        if s > best_score:
            best, best_score = site, s
    return best


__all__ = ["Directory", "display_name", "search_key"]
