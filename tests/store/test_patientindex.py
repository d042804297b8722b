"""The patient matching index kept on disk: the same decisions as the in-memory index, nothing readable
without the key, an import by another process seen without a restart, a damaged or stale index rebuilt."""

from __future__ import annotations

import csv
import io
import stat
from pathlib import Path

from core.clinical.matching import PatientIndex
from core.mailroom import Mailroom
from core.model import Patient
from tests.clinical.corpus import make_corpus

PASSPHRASE = "correct horse battery staple"


def _csv(patients: list[Patient]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter=";")
    w.writerow(["id", "birth_name", "used_name", "given_names", "birth_date", "sex", "ins"])
    for p in patients:
        w.writerow(
            [p.id, p.birth_name, p.used_name, ",".join(p.given_names), p.birth_date, p.sex, p.ins]
        )
    return out.getvalue().encode()


def _index_file(profile_dir: Path) -> Path:
    return profile_dir / "index" / "patients.sqlite3"


def test_stored_index_decides_exactly_as_the_in_memory_one(profile_dir: Path) -> None:
    corpus = make_corpus(n_patients=1500, n_cases=700, seed=31)
    room = Mailroom.create(profile_dir, PASSPHRASE)
    room.patients.import_csv(_csv(corpus.patients), name="patients.csv")
    memory = PatientIndex(room.patients.list())  # the patients as the CSV import stored them
    stored = room.patients.index()
    assert len(stored) == len(memory) == len(corpus.patients)
    autos = 0
    for case in corpus.cases:
        expected = memory.match(case.identity)
        assert stored.match(case.identity) == expected, case.kind
        autos += expected.decision == "auto"
    assert autos > 100  # the comparison covered automatic decisions, not only reviews


def test_index_file_is_private_and_holds_no_name_or_birth_date(profile_dir: Path) -> None:
    corpus = make_corpus(n_patients=200, n_cases=10, seed=5)
    room = Mailroom.create(profile_dir, PASSPHRASE)
    room.patients.import_csv(_csv(corpus.patients), name="patients.csv")
    room.patients.index().match(corpus.cases[0].identity)
    path = _index_file(profile_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    raw = path.read_bytes()
    for p in corpus.patients[:50]:
        for secret in (p.birth_name.upper(), p.birth_name, p.id, str(p.birth_date), p.ins or ""):
            if len(secret) >= 4:
                assert secret.encode() not in raw, secret


def test_an_import_by_another_process_is_seen_by_a_running_one(profile_dir: Path) -> None:
    corpus = make_corpus(n_patients=300, n_cases=300, seed=9)
    first, rest = corpus.patients[:150], corpus.patients[150:]
    daemon = Mailroom.create(profile_dir, PASSPHRASE)
    daemon.patients.import_csv(_csv(first), name="a.csv")
    index = daemon.patients.index()
    newcomer = next(c for c in corpus.cases if c.clean and c.truth in {p.id for p in rest})
    assert index.match(newcomer.identity).patient_id != newcomer.truth

    other = Mailroom.open(profile_dir, PASSPHRASE)  # `missive patients import` in another process
    other.patients.import_csv(_csv(rest), name="b.csv")

    again = daemon.patients.index().match(newcomer.identity)
    assert again == PatientIndex(other.patients.list()).match(newcomer.identity)
    assert newcomer.truth in {c.patient_id for c in again.candidates}


def test_a_changed_patient_moves_to_its_new_blocks(profile_dir: Path) -> None:
    corpus = make_corpus(n_patients=100, n_cases=100, seed=13)
    room = Mailroom.create(profile_dir, PASSPHRASE)
    room.patients.import_csv(_csv(corpus.patients), name="a.csv")
    case = next(c for c in corpus.cases if c.clean and c.kind == "exact")
    assert room.patients.index().match(case.identity).patient_id == case.truth
    moved = [
        Patient(p.id, "ZYXWVUT", "", ("Quentin",), p.birth_date, p.sex, "") if p.id == case.truth else p
        for p in corpus.patients
    ]
    room.patients.import_csv(_csv(moved), name="b.csv")
    result = room.patients.index().match(case.identity)
    assert result.decision != "auto"
    assert result == PatientIndex(room.patients.list()).match(case.identity)


def test_a_missing_damaged_or_stale_index_is_rebuilt_from_the_patients(profile_dir: Path) -> None:
    corpus = make_corpus(n_patients=200, n_cases=50, seed=17)
    room = Mailroom.create(profile_dir, PASSPHRASE)
    room.patients.import_csv(_csv(corpus.patients), name="a.csv")
    case = next(c for c in corpus.cases if c.clean)
    expected = room.patients.index().match(case.identity)
    path = _index_file(profile_dir)

    path.unlink()  # deleted
    assert Mailroom.open(profile_dir, PASSPHRASE).patients.index().match(case.identity) == expected

    path.write_bytes(b"not a database at all" * 100)  # damaged
    assert Mailroom.open(profile_dir, PASSPHRASE).patients.index().match(case.identity) == expected

    # stale: an older copy of the file put back (its generation is not the collection's)
    stale = path.read_bytes()
    other = Mailroom.open(profile_dir, PASSPHRASE)
    other.patients.import_csv(_csv(corpus.patients[:10]), name="b.csv")  # unchanged rows: no new generation
    changed = [Patient(corpus.patients[0].id, "NOUVEAUNOM", "", ("Jean",), corpus.patients[0].birth_date,
                       corpus.patients[0].sex, "")]
    other.patients.import_csv(_csv(changed), name="c.csv")
    path.write_bytes(stale)
    fresh = Mailroom.open(profile_dir, PASSPHRASE)
    assert fresh.patients.index().match(case.identity) == PatientIndex(fresh.patients.list()).match(
        case.identity
    )


def test_an_index_made_by_an_older_missive_is_rebuilt(profile_dir: Path) -> None:
    """Its blocks are filed another way (version 1 filed look-alikes by birth date alone): it is rebuilt
    at the next open, and then decides as the in-memory index."""
    import sqlite3

    from core.store import patientindex

    corpus = make_corpus(n_patients=200, n_cases=50, seed=23)
    room = Mailroom.create(profile_dir, PASSPHRASE)
    room.patients.import_csv(_csv(corpus.patients), name="a.csv")
    room.patients.index()
    path = _index_file(profile_dir)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '1' WHERE name = 'version'")
        conn.execute("DELETE FROM block")  # what it filed is not what this version looks up
    conn.close()
    assert patientindex.VERSION != "1"
    fresh = Mailroom.open(profile_dir, PASSPHRASE)
    memory = PatientIndex(fresh.patients.list())
    stored = fresh.patients.index()
    assert all(stored.match(case.identity) == memory.match(case.identity) for case in corpus.cases)
    with sqlite3.connect(path) as conn:
        assert dict(conn.execute("SELECT name, value FROM meta"))["version"] == patientindex.VERSION
    conn.close()
