"""The practice's patient registry: CSV import from the practice software, listing, and the match index.

CSV format (UTF-8, a BOM is tolerated, or Windows-1252; comma or semicolon separated), canonical header::

    id,birth_name,used_name,given_names,birth_date,sex,ins,ins_status

given names space-separated, first one first (a composite name keeps its hyphen); birth_date ``YYYY-MM-DD``
or ``DD/MM/YYYY``; sex ``M``/``F``/``U`` (``H`` is read as ``M``, empty as ``U``); ins the 15-character
matricule with a valid key, or empty; ins_status ``qualifiee`` when the practice software qualified that INS
(INSi), anything else (or empty) when not: only a qualified INS gives the patient's Mon espace santé address
(``<INS>@patient.mssante.fr``). Columns may be renamed with a mapping (``--map NOM=birth_name``);
other columns are ignored. A blank birth_name beside a used_name is that name (the practice software leaves
"Nom de naissance" blank when it is the name used). A re-import updates patients by id. When any row is bad, the whole import is
refused and every bad row is reported by line number (values are never echoed: they are health data).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.clinical.identity import (
    clean_nir,
    compact,
    is_valid_nir,
    sexes_conflict,
    split_family_name,
    split_given_names,
)
from core.errors import BadInput, NotFound, ParseError, StoreCorrupted
from core.frozen import Frozen
from core.model import Patient
from core.store.collection import Collection
from core.text import T

if TYPE_CHECKING:
    from core.clinical.matching import PatientIndex
    from core.store.atomic import FileLock
    from core.store.patientindex import StoredPatientIndex

COLUMNS = ("id", "birth_name", "used_name", "given_names", "birth_date", "sex", "ins", "ins_status")
_QUALIFIED = {"qualifiee", "qualifié", "qualifiée", "qualifie", "q", "vali", "oui", "o", "1", "true"}
REQUIRED = ("id", "birth_name", "given_names", "birth_date")
# A practice's whole list is a few MB (about 300 bytes a patient): above this, a wrong file, refused before it
# is decoded (a 300 MB file took 2 GB of memory to be found unreadable).
MAX_CSV_BYTES = 64 << 20
MAX_REPORTED = 10  # bad rows named in the one-line error; the rest are counted
_SEXES = {"M": "M", "H": "M", "F": "F", "U": "U", "": "U", "I": "U"}
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_FR = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class ImportRefused(ParseError):
    """The CSV has bad rows: nothing was imported. ``problems`` lists (line, message) for each."""

    def __init__(self, source: str, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        # each row's reason in the catalogues' words, like the line around them
        shown = str(T("clinical.patients.row.separator")).join(
            str(T("clinical.patients.row.problem", line=line, problem=msg))
            for line, msg in problems[:MAX_REPORTED]
        )
        more = len(problems) - MAX_REPORTED if len(problems) > MAX_REPORTED else 0
        super().__init__(
            T(
                "clinical.patients.import-refused-more" if more else "clinical.patients.import-refused",
                source=source,
                count=len(problems),
                shown=shown,
                more=more,
            )
        )


@dataclass(frozen=True, repr=False, eq=False)
class ImportReport(Frozen):
    """What an import did: counts, and the pairs of records that look like one person (ids only)."""

    added: int
    updated: int
    unchanged: int
    # (id, other id, the other absent from this file: imported before) for two records with the same traits
    same_person: tuple[tuple[str, str, bool], ...] = ()

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "total": self.total,
            "same_person": [[a, b] for a, b, _ in self.same_person],
        }

    def counts(self) -> dict[str, int]:
        """What the audit records: counts, never ids of a pair (nor any name)."""
        out = {"added": self.added, "updated": self.updated, "unchanged": self.unchanged, "total": self.total}
        if self.same_person:
            out["same_person"] = len(self.same_person)
        return out

    def warnings(self) -> list[str]:
        """One line per pair of records that look like one person, in the catalogues' words: the two ids and
        what to do (no name, no birth date: only what the user's own file shows)."""
        return [
            str(
                T(
                    "clinical.patients.same-person-before" if before else "clinical.patients.same-person",
                    first=first,
                    second=second,
                )
            )
            for first, second, before in self.same_person
        ]


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``["NOM=birth_name", ...]`` → {"NOM": "birth_name"}; targets must be canonical column names."""
    mapping: dict[str, str] = {}
    for pair in pairs or ():
        source, sep, target = pair.partition("=")
        source, target = source.strip(), target.strip()
        if not sep or not source or not target:
            raise BadInput(T("clinical.patients.map-attendu-source-target", pair=pair))
        if target not in COLUMNS:
            raise BadInput(
                T(
                    "clinical.patients.map-colonne-cible-inconnue",
                    pair=pair,
                    target=target,
                    join=", ".join(COLUMNS),
                )
            )
        mapping[source] = target
    return mapping


def parse_birth_date(text: str, column: str = "birth_date") -> dt.date:
    """``YYYY-MM-DD`` or ``DD/MM/YYYY``; raises ValueError otherwise (or for a future date), its message naming
    ``column`` (the file's own name for the birth-date column)."""
    text = text.strip()
    m = _ISO.match(text) or _FR.match(text)
    if not m:
        raise ValueError(str(T("clinical.patients.row.birth-date-format", column=column)))
    year, month, day = (m[1], m[2], m[3]) if m.re is _ISO else (m[3], m[2], m[1])
    try:
        date = dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(str(T("clinical.patients.row.birth-date-invalid", column=column))) from None
    if date > dt.date.today() or date.year < 1850:
        raise ValueError(str(T("clinical.patients.row.birth-date-impossible", column=column)))
    return date


# A UTF-8 sequence for a letter of Latin-1's upper half (é is C3 A9): found in a file that is not UTF-8 as a
# whole, the file mixes two encodings and reading it as Windows-1252 would make "Ã©" of its é.
_UTF8_LETTER = re.compile(rb"[\xc2-\xc3][\x80-\xbf]")


def _decode(data: bytes, source: str) -> str:
    """UTF-8 (a BOM tolerated), else Windows-1252 for the whole file: the practice software and Excel's
    « CSV (séparateur : point-virgule) » export in it. A file that is neither (bytes Windows-1252 does not
    define, or UTF-8 letters beside Windows-1252 ones) is refused, naming the first line in doubt."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if not _UTF8_LETTER.search(data):
            try:
                return data.decode("cp1252")
            except UnicodeDecodeError:
                pass
        raise ParseError(
            T("clinical.patients.ligne-utf-exportez-fichier", source=source, line=line)
        ) from None


def _row_to_patient(row: dict[str, str], shown: Mapping[str, str] | None = None) -> Patient:
    """One CSV row (canonical keys) to a Patient; ValueError with a value-free message when bad, naming each
    column as ``shown`` names it (the file's own header, before --map: « Date de naissance », not birth_date)."""

    def col(name: str) -> str:
        return (shown or {}).get(name, name)

    pid = row.get("id", "").strip()
    if not pid:
        raise ValueError(str(T("clinical.patients.row.empty", column=col("id"))))
    birth_name = " ".join(row.get("birth_name", "").split())
    used_name = " ".join(row.get("used_name", "").split())
    if used_name and not compact(birth_name):
        # the practice software leaves "Nom de naissance" blank when it is the name used: that name is the
        # birth name as far as the practice knows (a result naming another birth name waits for a person)
        birth_name, used_name = used_name, ""
    if birth_name and not used_name:
        # "DUPONT EP MARTIN" typed in the birth-name column: keep the birth name, move the used one.
        used, birth = split_family_name(birth_name)
        if birth:
            birth_name, used_name = birth, used
    if not compact(birth_name):
        if "used_name" in (shown or {}) and col("used_name") != col("birth_name"):
            both = T("clinical.patients.row.empty-names", birth=col("birth_name"), used=col("used_name"))
            raise ValueError(str(both))
        raise ValueError(str(T("clinical.patients.row.empty", column=col("birth_name"))))
    given = split_given_names(row.get("given_names", ""))
    if not any(compact(g) for g in given):
        raise ValueError(str(T("clinical.patients.row.empty", column=col("given_names"))))
    raw_date = row.get("birth_date", "")
    if not raw_date.strip():  # a short line of the export: said as empty, not as a wrong format
        raise ValueError(str(T("clinical.patients.row.empty", column=col("birth_date"))))
    birth_date = parse_birth_date(raw_date, col("birth_date"))
    sex = _SEXES.get(row.get("sex", "").strip().upper())
    if sex is None:
        raise ValueError(str(T("clinical.patients.row.sex", column=col("sex"))))
    ins = clean_nir(row.get("ins", ""))
    if ins and not is_valid_nir(ins):
        raise ValueError(str(T("clinical.patients.row.ins", column=col("ins"))))
    qualified = row.get("ins_status", "").strip().lower() in _QUALIFIED
    if qualified and not ins:
        raise ValueError(str(T("clinical.patients.row.ins-status", column=col("ins_status"), ins=col("ins"))))
    return Patient(
        id=pid,
        birth_name=birth_name,
        used_name=used_name,
        given_names=given,
        birth_date=birth_date,
        sex=sex,  # type: ignore[arg-type]  # a value of _SEXES
        ins=ins or None,
        ins_qualified=qualified,
    )


class _Folded(dict[int, str]):
    """``compact`` one character at a time, for ``str.translate``: compact folds each character on its own (case,
    accents, ligatures, punctuation dropped), so a name translated through this table is its compact form, at C
    speed (a list of 100,000 patients: 0.06 s, where compact took 2.7 s)."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = compact(chr(code))
        return folded


_FOLDED = _Folded()


def same_person_pairs(
    imported: list[Patient], others: Iterable[tuple[str, Mapping[str, Any]]]
) -> list[tuple[str, str, bool]]:
    """Pairs of records that the practice's list gives the same traits (birth name and given names folded as
    the matcher folds them, the same birth date, a sex that does not differ, not two different INS): one person
    under two ids, whose every result then waits as a homonym. Each pair holds at least one patient of
    ``imported`` (the file); ``others`` are the registry's records (id, stored document), those of the file
    among them taken from the file. (id, other, other absent from the file), sorted."""

    in_file = {p.id for p in imported}
    # by birth date and birth name first (most records share neither), then by given names where they agree
    groups: dict[tuple[str, str], list[tuple[str, Any, Any, Any]]] = {}
    for p in imported:
        if p.birth_date is not None:
            key = (p.birth_date.isoformat(), p.birth_name.translate(_FOLDED))
            groups.setdefault(key, []).append((p.id, p.given_names, p.sex, p.ins))
    for pid, doc in others:
        if pid not in in_file and doc.get("birth_date"):
            key = (str(doc["birth_date"]), str(doc.get("birth_name") or "").translate(_FOLDED))
            groups.setdefault(key, []).append(
                (pid, doc.get("given_names") or (), doc.get("sex"), doc.get("ins"))
            )
    alike: dict[tuple[str, ...], list[tuple[str, Any, Any]]] = {}
    for (born, name), members in groups.items():
        if name and len(members) > 1:
            for pid, given, sex, ins in members:
                folded = (born, name, " ".join(given).translate(_FOLDED))  # Jean-Pierre = Jean Pierre
                alike.setdefault(folded, []).append((pid, sex, ins))
    pairs: list[tuple[str, str, bool]] = []
    for found in alike.values():
        if len(found) < 2:
            continue
        # the file's first: « a of this file and b, imported before »
        ranked = sorted(
            ((pid, str(sex or "U"), clean_nir(ins or "")) for pid, sex, ins in found),
            key=lambda m: (m[0] not in in_file, m[0]),
        )
        for n, (first, first_sex, first_ins) in enumerate(ranked):
            for second, second_sex, second_ins in ranked[n + 1 :]:
                if (
                    first not in in_file
                    or sexes_conflict(first_sex, second_sex)
                    or (first_ins and second_ins and first_ins != second_ins)
                ):
                    continue
                pairs.append((first, second, second not in in_file))
    return sorted(pairs)


def read_patients_csv(
    data: bytes, source: str = "patients.csv", mapping: Mapping[str, str] | None = None
) -> list[Patient]:
    """Parse a whole CSV; raise ImportRefused listing every bad row, or ParseError for a bad file."""
    import csv  # an import's own: a list naming its patients does not load it

    text = _decode(data, source)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error:
        raise ParseError(T("clinical.patients.ligne-illisible-csv-verifiez", source=source)) from None
    if not header or not any(h.strip() for h in header):
        raise ParseError(
            T("clinical.patients.fichier-vide-tete-attendu", source=source, join=",".join(COLUMNS))
        )
    mapping = dict(mapping or {})
    names = [h.strip() for h in header]
    for src in mapping:
        if src not in names:
            raise BadInput(T("clinical.patients.colonne-source-map-tete", source=source, src=src))
    columns = [mapping.get(h, h) for h in names]
    dupes = sorted({c for c in columns if c in COLUMNS and columns.count(c) > 1})
    if dupes:  # each with the file's own columns that became it (« Nom, NOM → birth_name »)
        said = [f"{', '.join(n for n, c in zip(names, columns, strict=True) if c == d)} → {d}" for d in dupes]
        raise ParseError(
            T("clinical.patients.colonne-double-tete-apres", source=source, join=" ; ".join(said))
        )
    missing = [c for c in REQUIRED if c not in columns]
    if missing and not mapping:
        # the practice software's own header (« N° dossier;Nom;Prénom;Date de naissance »): the wizard's guess,
        # given as the options to type (never applied unasked: a wrong guess would file under wrong names)
        from core.setup import guess_patient_columns

        guess = guess_patient_columns(names)
        if guess and all(c in guess.values() for c in missing):
            raise ParseError(
                T(
                    "clinical.patients.colonnes-logiciel-map",
                    source=source,
                    join=", ".join(missing),
                    options=" ".join(f"--map '{k}={v}'" for k, v in guess.items()),
                )
            )
    if missing:
        raise ParseError(
            T(
                "clinical.patients.colonne-absente-tete-attendu",
                source=source,
                join=", ".join(missing),
                join2=",".join(COLUMNS),
            )
        )
    wanted = [(i, c) for i, c in enumerate(columns) if c in COLUMNS]
    shown = {c: names[i] for i, c in wanted}  # each column as the file's header names it
    patients: list[Patient] = []
    problems: list[tuple[int, str]] = []
    seen_ids: dict[str, int] = {}
    seen_ins: dict[str, int] = {}
    line = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error:
            problems.append((reader.line_num, str(T("clinical.patients.row.csv"))))
            break  # the csv module cannot resynchronise after a broken quote
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue  # blank lines are common at the end of exports
        if len(values) > len(names):
            problems.append(
                (line, str(T("clinical.patients.row.fields", fields=len(values), columns=len(names))))
            )
            continue
        row = {c: (values[i] if i < len(values) else "") for i, c in wanted}
        try:
            patient = _row_to_patient(row, shown)
        except ValueError as exc:
            problems.append((line, str(exc)))
            continue
        if patient.id in seen_ids:
            twice = T("clinical.patients.row.id-twice", column=shown["id"], first=seen_ids[patient.id])
            problems.append((line, str(twice)))
            continue
        seen_ids[patient.id] = line
        if patient.ins:
            if patient.ins in seen_ins:
                twice = T("clinical.patients.row.ins-twice", column=shown["ins"], first=seen_ins[patient.ins])
                problems.append((line, str(twice)))
                continue
            seen_ins[patient.ins] = line
        patients.append(patient)
    if problems:
        raise ImportRefused(source, problems)
    return patients


class PatientRegistry:
    """The patients of the practice, persisted in a Collection keyed by patient id."""

    def __init__(
        self,
        collection: Collection,
        audit: Any = None,
        stored: StoredPatientIndex | None = None,
        state: Collection | None = None,
        lock: FileLock | None = None,
    ) -> None:
        """``stored`` (with ``state``, where its generation is recorded, and the profile's ``lock``): the
        matching index kept on disk; without it the index is built in memory (tests, small tools)."""
        self._collection = collection
        self._audit = audit  # optional: an object with append(action, object_id, **details)
        self._index: PatientIndex | None = None
        self._stored = stored
        self._state = state
        self._lock = lock

    def import_csv(
        self, source: bytes | str | Path, mapping: Mapping[str, str] | None = None, name: str | None = None
    ) -> ImportReport:
        """Import (or update by id) the patients of a CSV file or its bytes; all rows or none."""
        if isinstance(source, (str, Path)):
            from core.inputfile import read_input

            path = Path(source)
            name = name or path.name
            # a regular file of at most 64 MB: a huge file, /dev/zero or a FIFO is one line, never a hang
            data = read_input(path, "patients")
        else:
            data = source
        name = name or "patients.csv"
        if len(data) > MAX_CSV_BYTES:
            raise BadInput(T("clinical.patients.too-big", source=name, mb=MAX_CSV_BYTES >> 20))
        patients = read_patients_csv(data, name, mapping)
        with self._held():
            added = updated = unchanged = 0
            changes: dict[str, dict[str, Any]] = {}
            before: dict[str, Patient | None] = {}
            for p in patients:
                doc = p.to_json()
                old = self._collection.get(p.id)
                if old is None:
                    added += 1
                elif old == doc:
                    unchanged += 1
                    continue
                else:
                    updated += 1
                changes[p.id] = doc
                before[p.id] = self._load(p.id, old) if old is not None else None
            if changes:
                if (
                    self._stored is not None
                    and self._state is not None
                    and len(changes) > max(1000, len(self._collection) // 4)
                ):  # most of the list is new: one rebuild is cheaper than updating block by block
                    self._collection.put_many(changes)  # one write: all rows or none
                    self._state.delete("state")
                    self._index_ready()
                elif self._stored is not None and self._state is not None:
                    self._index_ready()
                    generation = secrets.token_hex(8)
                    by_id = {p.id: p for p in patients}
                    self._stored.apply({i: (before[i], by_id[i]) for i in changes}, generation)
                    self._collection.put_many(changes)  # one write: all rows or none
                    self._state.put("state", {"generation": generation})
                else:
                    self._collection.put_many(changes)
            self._index = None
            # one person under two ids: both imported (the practice software has both; which one her results go
            # to is a person's choice), each pair said, since all her results will wait as homonyms
            pairs = same_person_pairs(patients, self._collection.items())
        report = ImportReport(added, updated, unchanged, tuple(pairs))
        if self._audit is not None:
            self._audit.append("patients.import", name, **report.counts())
        return report

    def remove(self, patient_ids: Iterable[str]) -> list[str]:
        """Remove patients by id (a record the practice software deleted, or merged into another): all of them or
        none (NotFound naming the first unknown id, nothing removed). The stored matching index is set aside
        before the records go (rebuilt from the collection at its next use: a crash in between leaves it whole,
        never naming a removed patient as a candidate). Documents already filed for them keep their id; a result
        for them now waits for a person. Audited by id."""
        ids = list(dict.fromkeys(patient_ids))
        with self._held():
            unknown = [i for i in ids if self._collection.get(i) is None]
            if unknown:
                raise NotFound(T("clinical.patients.patient-introuvable-voir-missive", patient_id=unknown[0]))
            if self._state is not None:
                self._state.delete("state")
            self._collection.delete_many(ids)
            self._index = None
        if self._audit is not None:
            for patient_id in ids:
                self._audit.append("patients.remove", patient_id)
        return ids

    def list(self) -> list[Patient]:
        """Every patient, sorted by id."""
        return listed(self._collection)

    def get(self, patient_id: str) -> Patient:
        """One patient by id; NotFound when absent."""
        doc = self._collection.get(patient_id)
        if doc is None:
            raise NotFound(T("clinical.patients.patient-introuvable-voir-missive", patient_id=patient_id))
        return self._load(patient_id, doc)

    def __len__(self) -> int:
        return len(self._collection)

    def index(self) -> PatientIndex:
        """The matching index. Stored on disk: checked against the collection (rebuilt once when they
        disagree) and read live, so an import by another process is seen at the next match. In memory:
        built on first use and after each import."""
        if self._stored is not None and self._state is not None:
            self._index_ready()
            return self._stored
        if self._index is None:
            from core.clinical.matching import PatientIndex

            self._index = PatientIndex(self._load(k, d) for k, d in self._collection.items())
        return self._index

    def _index_ready(self) -> None:
        """Rebuild the stored index from the collection when its generation is not the collection's."""
        assert self._stored is not None and self._state is not None
        wanted = (self._state.get("state") or {}).get("generation", "")
        if wanted and self._stored.generation() == wanted:
            return
        with self._held():
            wanted = (self._state.get("state") or {}).get("generation", "")
            if wanted and self._stored.generation() == wanted:
                return
            generation = secrets.token_hex(8)
            self._stored.rebuild((self._load(k, d) for k, d in self._collection.items()), generation)
            self._state.put("state", {"generation": generation})

    def _held(self) -> Any:
        from contextlib import nullcontext

        return self._lock.held() if self._lock is not None else nullcontext()

    @staticmethod
    def _load(key: str, doc: dict[str, Any]) -> Patient:
        try:
            return Patient.from_json({**doc, "id": doc.get("id", key)})
        except (KeyError, TypeError, ValueError):
            raise StoreCorrupted(T("clinical.patients.fiche-patient-illisible-importez", key=key)) from None


def stored(collection: Collection, patient_id: str) -> Patient | None:
    """The patient ``patient_id`` of a registry's ``collection`` (``PatientRegistry.get``), or None: without the
    registry's matching index (its SQLite file, sqlite3 and core.clinical.matching: about 0.9 MB) nor its CSV
    reader loaded (the inbox names the patients its letters' documents were filed for with it)."""
    doc = collection.get(patient_id)
    return None if doc is None else PatientRegistry._load(patient_id, doc)


def _label_row(key: str, doc: dict[str, Any]) -> tuple[str, str, str, str]:
    """A patient's row in the labels index: (INS or '', the lists' label, the name the inbox's filed column
    gives, the names the inbox's search finds)."""
    from core.clinical.patient_mail import filed_name, patient_label

    patient = PatientRegistry._load(key, doc)
    words = " ".join(w for w in (patient.birth_name, patient.used_name, *patient.given_names) if w)
    return (patient.ins or "", patient_label(patient), filed_name(patient), words)


_LABEL_INDEXES: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _label_table(collection: Collection) -> Any:
    """The labels index's table, in step with the shards on disk now; None for a collection in memory."""
    if not hasattr(collection, "shard_stamps"):
        return None
    index = _LABEL_INDEXES.get(collection)
    if index is None:
        from core.store.listindex import TEXT, Column, Layout, ListIndex

        layout = Layout(
            name="labels",
            version=3,  # 2: every patient, with the filed column's name; 3: the names the inbox's search finds
            columns=(Column("ins", TEXT), Column("label", TEXT), Column("name", TEXT), Column("words", TEXT)),
            sort=(),
            project=_label_row,
        )
        index = _LABEL_INDEXES[collection] = ListIndex(collection, layout)  # type: ignore[arg-type]
    return index.table()


def filed_names(collection: Collection) -> dict[str, str] | None:
    """Patient id -> the name the inbox's filed column gives (``core.clinical.patient_mail.filed_name``), from
    the labels index (see ``labelled``); None for a collection in memory."""
    table = _label_table(collection)
    if table is None:
        return None
    return dict(zip(table.keys.all(), table.texts("name").all(), strict=True))


def searched_names(collection: Collection) -> dict[str, str] | None:
    """Patient id -> the patient's names (birth, used, given), as the inbox's search finds a letter by them, from
    the labels index (see ``labelled``); None for a collection in memory."""
    table = _label_table(collection)
    if table is None:
        return None
    return dict(zip(table.keys.all(), table.texts("words").all(), strict=True))


def labelled(collection: Collection) -> list[tuple[str, str]] | None:
    """(INS, label) of every patient of ``collection`` with an INS, by id, from the labels index (core.store.listindex,
    ``index-labels.mdb`` beside the shards: each use compares every shard file's stamp and reads again only the
    shards written since, whichever process wrote them); None for a collection in memory. The inbox names
    patients' mailboxes with it at each load: reading every patient there decrypted every shard, 0.9 s at
    30,000 patients."""
    table = _label_table(collection)
    if table is None:
        return None
    rows = zip(table.keys.all(), table.texts("ins").all(), table.texts("label").all(), strict=True)
    return [(ins, label) for _key, ins, label in sorted(rows) if ins]  # by id, as ``listed`` gives them


def listed(collection: Collection) -> list[Patient]:
    """Every patient of a registry's ``collection``, sorted by id: ``PatientRegistry.list`` without the
    registry, its matching index (core.clinical.matching, the SQLite file) nor its CSV reader loaded (the
    inbox names the patients of its list with it)."""
    return [PatientRegistry._load(k, d) for k, d in sorted(collection.items(), key=lambda kv: kv[0])]


__all__ = [
    "COLUMNS",
    "ImportRefused",
    "ImportReport",
    "PatientRegistry",
    "parse_birth_date",
    "parse_mapping",
    "read_patients_csv",
]
