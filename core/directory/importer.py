"""Streamed import of the public RPPS and MSSanté extractions into a SQLite/FTS5 index.

Either extraction is accepted, plain (``.txt``/``.csv``) or zipped (one or more members), and recognised by
its header. Lines are decoded as UTF-8, falling back to Windows-1252/Latin-1 line by line, so a file in either
encoding (or a mix) imports. Rows go to staging tables in chunks (bounded memory whatever the file size);
practitioners are then merged in SQL (one entry per practitioner, all activities searchable) and MSSanté
addresses joined to them by their national identifier. The index is built in a new file beside the current
one and swapped in with ``os.replace``: readers keep working on the old file and a failed import changes
nothing.
"""

from __future__ import annotations

import functools
import io
import os
import re
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from core.directory.columns import Kind, Layout, glued, recognise, search_key, split_header
from core.errors import BadInput, StoreError, os_reason
from core.store.atomic import fsync_dir, private_dir
from core.text import T

INDEX_NAME = "index.sqlite3"
SCHEMA_VERSION = "2"  # 2: glued names in the full-text index (an index of 1 is rebuilt from itself)
CHUNK = 10_000  # rows per executemany: big enough to amortise, small enough to bound memory
MAX_BAD_SAMPLES = 20

# progress(phase, done, total): phase "read" counts bytes of input; "index" marks the final SQL build.
Progress = Callable[[str, int, int], None]

_POSTCODE_PREFIX = re.compile(r"^\s*\d{4,5}\s+")


@dataclass
class ImportReport:
    """What an import did, for the summary line (counts and file names only: public data, but no rows)."""

    files: list[str] = field(default_factory=list)
    rpps_rows: int = 0
    practitioners: int = 0
    mss_rows: int = 0
    addresses: int = 0
    entries: int = 0
    bad_lines: int = 0
    bad_samples: list[str] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)
    skipped_members: list[str] = field(default_factory=list)
    kept_from_previous: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line a doctor can read, in the language chosen."""
        text = str(
            T(
                "directory.import.summary",
                rpps=self.rpps_rows,
                practitioners=self.practitioners,
                addresses=self.addresses,
                bad=self.bad_lines,
            )
        )
        if self.kept_from_previous:
            text += str(T("directory.import.kept", lists=", ".join(self.kept_from_previous)))
        return text

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE activity(
    idnat TEXT NOT NULL, rpps TEXT, family TEXT, given TEXT, profession TEXT, specialty TEXT,
    organisation TEXT, city TEXT, postcode TEXT);
CREATE TABLE mss(
    key TEXT NOT NULL, address TEXT NOT NULL, addr_key TEXT NOT NULL, bal_type TEXT, idnat TEXT, rpps TEXT,
    family TEXT, given TEXT, profession TEXT, specialty TEXT, organisation TEXT, city TEXT, postcode TEXT);
CREATE TABLE entry(
    id INTEGER PRIMARY KEY, key TEXT NOT NULL, rpps TEXT, family TEXT, given TEXT, profession TEXT,
    specialty TEXT, organisation TEXT, city TEXT, postcode TEXT, fam_key TEXT,
    n_act INTEGER NOT NULL DEFAULT 1, has_mss INTEGER NOT NULL DEFAULT 0);
"""

# FTS5: the tokenizer folds case and accents and splits on hyphens and apostrophes (and `names` also holds the
# glued forms of neighbouring name words, see columns.glued: "lafontaine" finds DE LA FONTAINE, "jeanpierre"
# Jean-Pierre); the prefix indexes make
# one- to three-letter prefix queries (typed while completing) cheap. Contentless: the text lives in `entry`.
# `flags` holds the word "mss" for entries with an MSSanté address (completion only offers those).
_FTS = (
    "CREATE VIRTUAL TABLE fts USING fts5(names, other, flags, content='', "
    "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3', detail=column)"
)

_ACTIVITY_TEXT = (
    "group_concat(DISTINCT coalesce(profession,'') || ' ' || coalesce(specialty,'') || ' ' || "
    "coalesce(organisation,'') || ' ' || coalesce(city,'') || ' ' || coalesce(postcode,''))"
)

_ENTRY_COLS = "key, rpps, family, given, profession, specialty, organisation, city, postcode, fam_key, n_act"

_BUILD = [
    "CREATE INDEX activity_idnat ON activity(idnat)",
    "CREATE INDEX mss_key ON mss(key)",
    "CREATE INDEX mss_addr ON mss(addr_key)",
    """CREATE TEMP TABLE entry0(key TEXT PRIMARY KEY, rpps TEXT, family TEXT, given TEXT, profession TEXT,
        specialty TEXT, organisation TEXT, city TEXT, postcode TEXT, fam_key TEXT, n_act INTEGER)""",
    # One entry per practitioner. The bare columns come from the row holding max(specialty) (SQLite's rule),
    # so a practitioner whose specialty is given on one activity only still shows it.
    f"""INSERT INTO entry0({_ENTRY_COLS})
       SELECT idnat, rpps, family, given, profession, max(specialty), organisation, city, postcode,
              skey(family), count(*)
       FROM activity GROUP BY idnat""",
    # MSSanté boxes whose practitioner is not in the RPPS file (or organisation boxes) stay searchable;
    # an organisation box sorts and ranks by its organisation name.
    f"""INSERT INTO entry0({_ENTRY_COLS})
       SELECT key, rpps, family, given, profession, specialty, organisation, city, postcode,
              CASE WHEN coalesce(family, '') = '' THEN skey(organisation) ELSE skey(family) END, 0
       FROM mss WHERE key NOT IN (SELECT key FROM entry0) GROUP BY key""",
    # Entry ids follow (surname, given name) order, so FTS5 results, which come in rowid order, are already
    # alphabetical and all the entries of one surname (or surname prefix) form one contiguous id range:
    # search ranks by asking FTS5 for rowid ranges, without sorting the matches.
    f"""INSERT INTO entry({_ENTRY_COLS})
       SELECT {_ENTRY_COLS} FROM entry0 ORDER BY fam_key, given, key""",
    "DROP TABLE entry0",
    "CREATE UNIQUE INDEX entry_key ON entry(key)",
    "CREATE INDEX entry_fam ON entry(fam_key)",
    "UPDATE entry SET has_mss = 1 WHERE key IN (SELECT key FROM mss)",
    _FTS,
    f"""INSERT INTO fts(rowid, names, other, flags)
       SELECT e.id,
              coalesce(e.family,'') || ' ' || coalesce(e.given,'') || ' ' || coalesce(e.fam_key,'') || ' ' ||
              glued(coalesce(e.family,'')) || ' ' || glued(coalesce(e.given,'')),
              coalesce(e.rpps,'') || ' ' || CASE WHEN e.key LIKE 'bal:%' THEN '' ELSE e.key END || ' ' ||
              coalesce((SELECT {_ACTIVITY_TEXT} FROM activity a WHERE a.idnat = e.key), '') || ' ' ||
              coalesce((SELECT {_ACTIVITY_TEXT} FROM mss m WHERE m.key = e.key), ''),
              CASE WHEN e.has_mss THEN 'mss' ELSE '' END
       FROM entry e""",
    "INSERT INTO fts(fts) VALUES ('optimize')",
    # Every indexed word, so search can turn a long prefix ("medecin*") into the few words it stands for
    # ("medecin" OR "medecine"): FTS5 materialises the merged list of a prefix query, which for a word held
    # by half the directory costs tens of milliseconds, while an OR of terms is walked lazily.
    "CREATE VIRTUAL TABLE temp.fts_terms USING fts5vocab(main, fts, row)",
    "CREATE TABLE vocab(term TEXT PRIMARY KEY) WITHOUT ROWID",
    "INSERT INTO vocab SELECT term FROM temp.fts_terms",
    "DROP TABLE temp.fts_terms",
]


def index_path(folder: Path) -> Path:
    """Where the directory index of a profile folder's ``directory/`` lives."""
    return Path(folder) / INDEX_NAME


# --------------------------------------------------------------------------------------------- reading


@dataclass
class _Source:
    label: str  # file name, or "archive.zip:member.txt"
    size: int
    open: Callable[[], IO[bytes]]


# A line of an extraction is a few hundred bytes: one of 1 MiB is no extraction (a zip bomb of one endless line
# would otherwise be read whole into memory by readline). A member compressed over 200:1 is no text extraction
# either (the Annuaire Santé's are 5-30:1): refused before anything is read.
MAX_LINE = 1 << 20
MAX_RATIO = 200


def _sources(path: Path) -> tuple[list[_Source], zipfile.ZipFile | None]:
    """The readable members of ``path``: itself, or each file of a zip archive."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
        size = path.stat().st_size
    except OSError as exc:
        raise BadInput(
            T(
                "directory.importer.impossible-lire-verifiez-chemin",
                path_name=path.name,
                os_reason=os_reason(exc),
            )
        ) from None
    if magic != b"PK\x03\x04":
        return [_Source(path.name, size, lambda: open(path, "rb"))], None
    try:
        archive = zipfile.ZipFile(path)
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError):
        raise BadInput(T("directory.importer.archive-zip-lisible-telechargez", path_name=path.name)) from None
    for info in infos:
        if info.file_size > MAX_RATIO * max(info.compress_size, 1 << 16):
            archive.close()
            raise BadInput(
                T(
                    "directory.importer.archive-suspecte",
                    label=f"{path.name}:{info.filename}",
                    ratio=info.file_size // max(info.compress_size, 1),
                )
            )
    return [
        _Source(f"{path.name}:{info.filename}", info.file_size, functools.partial(archive.open, info))
        for info in infos
    ], archive


def _decode(raw: bytes) -> tuple[str, bool]:
    """(text, was_utf8). Latin-1 never fails; cp1252 first because Windows exports use its œ and ’."""
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252"), False
        except UnicodeDecodeError:
            return raw.decode("latin-1"), False


def _why(exc: BaseException) -> str:
    """Why a file could not be read, in French: the system's reason, or a damaged archive."""
    return os_reason(exc) if isinstance(exc, OSError) else "archive endommagée"


def _sqlite_why(exc: sqlite3.Error) -> str:
    """SQLite speaks English; the one case a user can act on is a full disk."""
    return "disque plein" if "full" in str(exc).lower() else "erreur SQLite"


def _guess_separator(header: str) -> str:
    for sep in ("|", ";", "\t"):
        if sep in header:
            return sep
    return "|"


class _Reader:
    """Reads one source: recognises its header, yields the cells of each good row, counts bad ones."""

    def __init__(
        self, source: _Source, report: ImportReport, progress: Progress | None, base: int, total: int
    ):
        self.source = source
        self.report = report
        self.progress = progress
        self.base = base
        self.total = total
        self.layout: Layout | None = None
        self.sep = "|"
        self.any_latin = False
        self.read_bytes = 0

    def open(self) -> tuple[IO[bytes], Layout | None]:
        try:
            # any readable binary stream will do (a file, a zip member); typeshed asks for a RawIOBase
            stream = io.BufferedReader(self.source.open(), 1 << 20)  # type: ignore[type-var]  # see above
            first = stream.readline(MAX_LINE)
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            raise BadInput(
                T(
                    "directory.importer.impossible-lire-telechargez-nouveau",
                    label=self.source.label,
                    why=_why(exc),
                )
            ) from None
        self.read_bytes += len(first)
        self._check_length(first, 1)
        if first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        header, utf8 = _decode(first)
        self.any_latin |= not utf8
        self.sep = _guess_separator(header)
        self.layout = recognise(split_header(header, self.sep))
        return stream, self.layout

    def _check_length(self, raw: bytes, line_no: int) -> None:
        """A line cut at MAX_LINE with no end: refused (no extraction has such lines)."""
        if len(raw) >= MAX_LINE and not raw.endswith(b"\n"):
            raise BadInput(
                T("directory.importer.ligne-trop-longue", label=self.source.label, line_no=line_no, mib=MAX_LINE >> 20)
            )

    def rows(self, stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
        assert self.layout is not None
        width = self.layout.width
        sep = self.sep
        step = 1 << 22
        next_tick = self.read_bytes + step
        line_no = 1
        try:
            for raw in iter(functools.partial(stream.readline, MAX_LINE), b""):
                line_no += 1
                self.read_bytes += len(raw)
                if len(raw) == MAX_LINE:
                    self._check_length(raw, line_no)
                if self.progress is not None and self.read_bytes >= next_tick:
                    next_tick = self.read_bytes + step
                    self.progress("read", self.base + self.read_bytes, self.total)
                text, utf8 = _decode(raw)
                if not utf8:
                    self.any_latin = True
                text = text.rstrip("\r\n")
                if not text.strip():
                    continue
                cells = text.split(sep)
                n = len(cells)
                if n == width + 1 and cells[-1] == "":
                    cells.pop()  # the trailing "|" of every line
                elif n != width:
                    self.bad(line_no, f"{n} colonne(s) au lieu de {width}")
                    continue
                yield line_no, cells  # the caller may still reject the row: it calls bad() itself
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            raise BadInput(
                T(
                    "directory.importer.tronque-endommage-vers-ligne",
                    label=self.source.label,
                    line_no=line_no,
                    why=_why(exc),
                )
            ) from None

    def bad(self, line_no: int, reason: str) -> None:
        self.report.bad_lines += 1
        if len(self.report.bad_samples) < MAX_BAD_SAMPLES:
            self.report.bad_samples.append(f"{self.source.label}:{line_no}: {reason}")


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index].strip() if index is not None else ""


def _rpps_rows(reader: _Reader, stream: IO[bytes]) -> Iterator[tuple[str, ...]]:
    layout = reader.layout
    assert layout is not None
    g = layout.getter
    i_type, i_id, i_nat = g("id_type"), g("id_pp"), g("idnat")
    i_fam, i_giv, i_prof = g("family_name"), g("given_name"), g("profession")
    i_spec, i_org, i_brand = g("specialty"), g("organisation"), g("brand")
    i_pc, i_city, i_cedex = g("postcode"), g("city"), g("bureau_cedex")
    for line, cells in reader.rows(stream):
        id_pp = _cell(cells, i_id)
        idnat = _cell(cells, i_nat) or (_cell(cells, i_type) + id_pp if id_pp else "")
        family = _cell(cells, i_fam)
        if not idnat or not family:
            reader.bad(line, "ni identifiant ni nom")
            continue
        city = _cell(cells, i_city) or _POSTCODE_PREFIX.sub("", _cell(cells, i_cedex))
        yield (
            idnat,
            id_pp or idnat[1:],
            family,
            _cell(cells, i_giv),
            _cell(cells, i_prof),
            _cell(cells, i_spec),
            _cell(cells, i_org) or _cell(cells, i_brand),
            city,
            _cell(cells, i_pc),
        )


def _mss_rows(reader: _Reader, stream: IO[bytes]) -> Iterator[tuple[str, ...]]:
    layout = reader.layout
    assert layout is not None
    g = layout.getter
    i_bal, i_addr, i_type, i_id, i_nat = g("bal_type"), g("address"), g("id_type"), g("id_pp"), g("idnat")
    i_fam, i_giv, i_prof, i_spec = g("family_name"), g("given_name"), g("profession"), g("specialty")
    i_org, i_brand, i_service = g("organisation"), g("brand"), g("service")
    i_line, i_pc = g("delivery_line"), g("postcode")
    for line, cells in reader.rows(stream):
        address = _cell(cells, i_addr)
        if "@" not in address or " " in address:
            reader.bad(line, "aucune adresse MSSanté valide")
            continue
        id_pp = _cell(cells, i_id)
        idnat = _cell(cells, i_nat) or (_cell(cells, i_type) + id_pp if id_pp else "")
        addr_key = address.lower()
        delivery = _cell(cells, i_line)
        postcode = _cell(cells, i_pc)
        city = _POSTCODE_PREFIX.sub("", delivery)
        organisation = _cell(cells, i_org) or _cell(cells, i_brand) or _cell(cells, i_service)
        yield (
            idnat or "bal:" + addr_key,
            address,
            addr_key,
            _cell(cells, i_bal),
            idnat,
            id_pp or (idnat[1:] if idnat else ""),
            _cell(cells, i_fam),
            _cell(cells, i_giv),
            _cell(cells, i_prof),
            _cell(cells, i_spec),
            organisation,
            city,
            postcode,
        )


def _chunks(rows: Iterable[tuple[str, ...]], size: int = CHUNK) -> Iterator[list[tuple[str, ...]]]:
    batch: list[tuple[str, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# -------------------------------------------------------------------------------------------- building


def _connect_build(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, uri=True)
    # A throw-away file until the swap: no journal, no fsync per statement; one explicit fsync at the end.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    conn.execute("PRAGMA cache_size=-65536")  # 64 MB page cache: bounds memory on a 2-million-row build
    conn.execute("PRAGMA temp_store=FILE")
    conn.create_function("skey", 1, search_key, deterministic=True)
    conn.create_function("glued", 1, glued, deterministic=True)
    return conn


def import_files(
    folder: Path, paths: Iterable[str | os.PathLike[str]], progress: Progress | None = None
) -> ImportReport:
    """Build a new directory index in ``folder`` from the given extraction files and swap it in.

    When only one kind of extraction is given, the other kind is carried over from the current index, so
    importing a fresh MSSanté file does not forget the RPPS one. Raises BadInput (nothing changed) when a
    file is unreadable, is neither extraction, or holds no usable row.
    """
    started = time.monotonic()
    folder = Path(folder)
    files = [Path(p) for p in paths]
    if not files:
        raise BadInput(T("directory.importer.aucun-fichier-donne-indiquez"))
    report = ImportReport(files=[p.name for p in files])
    opened: list[tuple[list[_Source], zipfile.ZipFile | None]] = []
    try:
        for p in files:
            opened.append(_sources(p))
        _build_and_swap(folder, opened, report, progress)
    finally:
        for _, archive in opened:
            if archive is not None:
                archive.close()
    report.seconds = round(time.monotonic() - started, 2)
    return report


def rebuild(folder: Path, progress: Progress | None = None) -> ImportReport:
    """Build the index again from the rows the current one holds (an index of an older schema gets the new
    search columns without the extraction files), and swap it in; the old one stays on any failure."""
    started = time.monotonic()
    folder = Path(folder)
    report = ImportReport(files=_imported_files(folder))
    _build_and_swap(folder, [], report, progress)
    report.seconds = round(time.monotonic() - started, 2)
    return report


def _imported_files(folder: Path) -> list[str]:
    """The file names the current index was imported from (kept by a rebuild); [] when unreadable."""
    try:
        with closing(sqlite3.connect(f"file:{index_path(folder)}?mode=ro", uri=True)) as old:
            row = old.execute("SELECT value FROM meta WHERE key = 'files'").fetchone()
    except sqlite3.Error:
        return []
    return [f for f in (row[0] if row else "").split(";") if f]


def _build_and_swap(
    folder: Path,
    opened: list[tuple[list[_Source], zipfile.ZipFile | None]],
    report: ImportReport,
    progress: Progress | None,
) -> None:
    try:
        private_dir(folder)
    except OSError as exc:
        raise StoreError(
            T(
                "directory.importer.impossible-creer-dossier-annuaire",
                folder=folder,
                os_reason=os_reason(exc),
            )
        ) from None
    fd, tmp_name = tempfile.mkstemp(prefix=".index-", suffix=".building", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _build(tmp, folder, opened, report, progress)
        try:
            _fsync(tmp)
            os.replace(tmp, index_path(folder))
            fsync_dir(folder)
        except OSError as exc:
            raise StoreError(
                T("directory.importer.nouvel-index-annuaire-remplacer", os_reason=os_reason(exc))
            ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _build(
    tmp: Path,
    folder: Path,
    opened: list[tuple[list[_Source], zipfile.ZipFile | None]],
    report: ImportReport,
    progress: Progress | None,
) -> None:
    total = sum(s.size for sources, _ in opened for s in sources)
    done = 0
    kinds_seen: set[Kind] = set()
    try:
        with closing(_connect_build(tmp)) as conn:
            conn.executescript(_SCHEMA)
            conn.execute("BEGIN")
            for sources, archive in opened:
                recognised_here = 0
                for source in sources:
                    reader = _Reader(source, report, progress, done, total)
                    stream, layout = reader.open()
                    with stream:
                        if layout is None:
                            if archive is not None:
                                report.skipped_members.append(source.label)
                                done += source.size
                                continue
                            raise BadInput(
                                T("directory.importer.tete-celui-extraction-rpps", label=source.label)
                            )
                        recognised_here += 1
                        kinds_seen.add(layout.kind)
                        _load(conn, layout.kind, reader, stream, report)
                    report.encodings[source.label] = "latin-1" if reader.any_latin else "utf-8"
                    done += source.size
                    if progress is not None:
                        progress("read", done, total)
                if archive is not None and recognised_here == 0:
                    name = sources[0].label.split(":")[0] if sources else "archive"
                    raise BadInput(T("directory.importer.aucune-extraction-rpps-mssante", name=name))
            if opened and report.rpps_rows == 0 and report.mss_rows == 0:
                raise BadInput(T("directory.importer.aucune-ligne-utilisable-ces"))
            conn.execute("COMMIT")
            _carry_over(conn, folder, kinds_seen, report)
            if report.rpps_rows == 0 and report.mss_rows == 0:  # a rebuild of an index that held nothing
                raise BadInput(T("directory.importer.aucune-ligne-utilisable-ces"))
            if progress is not None:
                progress("index", 0, 0)
            conn.execute("BEGIN")
            for statement in _BUILD:
                conn.execute(statement)
            _write_meta(conn, report)
            conn.execute("COMMIT")
            report.practitioners = conn.execute("SELECT count(*) FROM entry WHERE n_act > 0").fetchone()[0]
            report.entries = conn.execute("SELECT count(*) FROM entry").fetchone()[0]
            report.addresses = conn.execute("SELECT count(DISTINCT addr_key) FROM mss").fetchone()[0]
            conn.execute(
                "UPDATE meta SET value = ? WHERE key = 'practitioners'", (str(report.practitioners),)
            )
            conn.execute("UPDATE meta SET value = ? WHERE key = 'addresses'", (str(report.addresses),))
    except sqlite3.Error as exc:
        raise StoreError(
            T("directory.importer.index-annuaire-etre-construit", sqlite_why=_sqlite_why(exc))
        ) from None


def _load(
    conn: sqlite3.Connection, kind: Kind, reader: _Reader, stream: IO[bytes], report: ImportReport
) -> None:
    if kind is Kind.RPPS:
        sql = "INSERT INTO activity VALUES (?,?,?,?,?,?,?,?,?)"
        for batch in _chunks(_rpps_rows(reader, stream)):
            conn.executemany(sql, batch)
            report.rpps_rows += len(batch)
    else:
        sql = "INSERT INTO mss VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
        for batch in _chunks(_mss_rows(reader, stream)):
            conn.executemany(sql, batch)
            report.mss_rows += len(batch)


def _carry_over(conn: sqlite3.Connection, folder: Path, kinds_seen: set[Kind], report: ImportReport) -> None:
    """Copy the kind of rows not given this time from the current index, if there is one."""
    current = index_path(folder)
    missing = {Kind.RPPS, Kind.MSS} - kinds_seen
    if not missing or not current.exists():
        return
    try:
        conn.execute("ATTACH DATABASE ? AS old", (f"file:{current}?mode=ro",))
    except sqlite3.Error:
        return  # an unreadable old index has nothing worth keeping
    try:
        conn.execute("BEGIN")
        if Kind.RPPS in missing:
            kept = conn.execute("INSERT INTO activity SELECT * FROM old.activity").rowcount
            if kept > 0:
                report.kept_from_previous.append("RPPS")
                report.rpps_rows += kept
        if Kind.MSS in missing:
            kept = conn.execute("INSERT INTO mss SELECT * FROM old.mss").rowcount
            if kept > 0:
                report.kept_from_previous.append("MSSanté")
                report.mss_rows += kept
        conn.execute("COMMIT")
    except sqlite3.Error:
        conn.execute("ROLLBACK")  # an older schema: start afresh from the given files only
        report.kept_from_previous.clear()
    finally:
        conn.execute("DETACH DATABASE old")


def _write_meta(conn: sqlite3.Connection, report: ImportReport) -> None:
    meta = {
        "schema": SCHEMA_VERSION,
        "imported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "files": ";".join(report.files),
        "rpps_rows": str(report.rpps_rows),
        "mss_rows": str(report.mss_rows),
        "practitioners": "0",
        "addresses": "0",
    }
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())
