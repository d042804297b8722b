"""What one document's match reads from the stored patient index does not grow with the patient list.

``missive match`` and the sync hook match each document through ``match_document`` (core.practice.documents; the
command calls it through ``Mailroom.match_document``) on the index kept
on disk (core.store.patientindex). Issue 18 measured the command's cost per document growing 5.3x from 1,000 to
100,000 patients; until 186363c the check of an automatic match read everyone born that day (a ``d:`` block),
which this test catches (it fails with that block put back). Here the same documents are
matched in a small practice and in the same practice with thousands more patients born on the documents' very
birth dates (and their day/month swaps) under unrelated names; the patients read and the index queries made
for each document must be the same in both, the decisions too. No timing: counts only.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from core.clinical.matching import (
    PatientIndex,
    _doc_traits,
    _lookalike_keys,
    blocking_keys,
    patient_entry,
    swap_day_month,
)
from core.mailroom import Mailroom
from core.model import ClinicalDocument, Identity, MatchResult, Patient
from core.store.patientindex import StoredPatientIndex
from tests.clinical.corpus import make_corpus

PASSPHRASE = "correct horse battery staple"
_SYLLABLES = "zu xo qwa ky vu jyx wo zab quo xyr zim yok".split()


def _strangers(identities: list[Identity], per_date: int, seed: int) -> list[Patient]:
    """``per_date`` patients born on each document's birth date and on its day/month swap, named so that no
    document looks them up: none shares a blocking key with a document (nor a look-alike key)."""
    rng = random.Random(seed)
    looked_up: set[str] = set()
    for ident in identities:
        looked_up |= PatientIndex._candidate_keys(_doc_traits(ident))
    dates = sorted(
        {d for i in identities if i.birth_date for d in (i.birth_date, swap_day_month(i.birth_date)) if d}
    )
    out: list[Patient] = []
    for number, born in enumerate(dates * per_date):
        name = "".join(rng.choice(_SYLLABLES) for _ in range(3)).capitalize()
        given = "".join(rng.choice(_SYLLABLES) for _ in range(2)).capitalize()
        p = Patient(f"Z{number:06d}", name, "", (given,), born, rng.choice("MF"), None)  # type: ignore[arg-type]
        entry = patient_entry(p)
        if not (blocking_keys(entry) | _lookalike_keys(entry)) & looked_up:
            out.append(p)
    return out


def _profile(folder: Path, patients: list[Patient]) -> Mailroom:
    room = Mailroom.create(folder, PASSPHRASE)
    room.profile.collection("patients").put_many({p.id: p.to_json() for p in patients})
    room.patients.index()  # built once, as an import leaves it
    return Mailroom.open(folder, PASSPHRASE)  # a new command: nothing cached


@contextmanager
def _reads(index: StoredPatientIndex, ids: dict[bytes, str]) -> Iterator[tuple[list[str], list[str]]]:
    """Record the patients ``index`` is asked for (by id, cached or not) and the SQL statements it runs."""
    asked: list[str] = []
    statements: list[str] = []
    entries = index._entries

    def counted(wanted: Any) -> Any:
        wanted = list(wanted)
        asked.extend(ids[w] for w in wanted)
        return entries(wanted)

    conn: sqlite3.Connection = index._connect()
    conn.set_trace_callback(statements.append)
    index._entries = counted  # type: ignore[method-assign]
    try:
        yield asked, statements
    finally:
        index._entries = entries  # type: ignore[method-assign]
        conn.set_trace_callback(None)


def _per_document(room: Mailroom, documents: list[ClinicalDocument], patients: list[Patient]) -> list[Any]:
    index = room.patients.index()
    assert isinstance(index, StoredPatientIndex)
    ids = {index._hash(p.id): p.id for p in patients}
    out = []
    for document in documents:
        with _reads(index, ids) as (asked, statements):
            # what `missive match` calls for each document
            result: MatchResult = room.match_document(document)
        out.append((result, sorted(set(asked)), len(statements)))
    return out


def test_a_match_reads_the_same_patients_and_queries_whatever_else_the_list_holds(tmp_path: Path) -> None:
    corpus = make_corpus(n_patients=400, n_cases=160, seed=18)
    documents = [ClinicalDocument(format="hprim-net", identity=case.identity) for case in corpus.cases]
    strangers = _strangers([d.identity for d in documents], per_date=12, seed=18)
    assert len(strangers) > 5 * len(corpus.patients)  # the large list is mostly patients born those days

    small = _per_document(_profile(tmp_path / "small", corpus.patients), documents, corpus.patients)
    everyone = corpus.patients + strangers
    large = _per_document(_profile(tmp_path / "large", everyone), documents, everyone)

    assert sum(r.decision == "auto" for r, _, _ in small) > 40  # automatic matches and their look-alike check
    for case, (result, asked, queries), (result_l, asked_l, queries_l) in zip(
        corpus.cases, small, large, strict=True
    ):
        assert result_l == result, case.kind  # not one decision changes
        assert [p for p in asked_l if p.startswith("Z")] == [], case.kind  # no stranger is ever read
        assert asked_l == asked, case.kind
        assert queries_l == queries, case.kind  # nor one more query to the index


@pytest.mark.parametrize("when", [dt.date(1970, 3, 4)])
def test_strangers_born_that_day_are_never_candidates(tmp_path: Path, when: dt.date) -> None:
    """The test above holds only if its strangers are invisible to the matcher: checked on the in-memory index."""
    ident = Identity(family_name="MARTIN", given_names=("JEAN",), birth_date=when, sex="M")
    strangers = _strangers([ident], per_date=50, seed=3)
    assert len(strangers) > 40
    assert PatientIndex(strangers).match(ident).decision == "new"
