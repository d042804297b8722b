"""Filing checks that the chosen patient exists by reading that patient, not the whole list, and a document
matching nobody says why without reading it either (issue 18: the paths of the sync hook and of `missive match`
flat in the patient count).

Every automatic or hand filing asks whether the patient is known; that check counted the patients first (to let
a practice with no list imported file on the doctor's word), which decrypts every shard of the patient
collection: 28 ms a document at 3,000 patients in the demo's sync (27 % of it), growing with the list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clinical.readers import read_document
from core.errors import NotFound
from core.mailroom import Mailroom
from core.model import Candidate, MatchResult
from core.text import T
from tests.shards import shards_read

PASS = "phrase de passe du test"
RAW = (Path(__file__).resolve().parent.parent / "data" / "filing" / "hprim_net_cp1252_crlf.hpr").read_bytes()


def _practice(tmp_path: Path, patients: int) -> Mailroom:
    profile = tmp_path / "profile"
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace('folder = ""', f'folder = "{tmp_path / "lgc"}"', 1), "utf-8"
    )
    mr = Mailroom.open(profile, PASS)
    if patients:
        rows = "".join(f"P-{n},NOM{n},,Prénom,19{n % 90 + 10:02d}-01-0{n % 9 + 1},F,\n" for n in range(patients))
        mr.patients.import_csv(f"id,birth_name,used_name,given_names,birth_date,sex,ins\n{rows}".encode(), name="p.csv")
    return mr


def _patient_shards_read(mr: Mailroom, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return shards_read(mr, "patients", monkeypatch)


def _waiting(mr: Mailroom):
    document = read_document(RAW, "res.hpr").documents[0]
    review = MatchResult("review", None, (Candidate("P-7", 0.8),))
    return mr.documents.ingest(document, review, message_id="m-1", attachment="res.hpr", raw=RAW)


def test_filing_for_a_known_patient_reads_one_shard_of_a_long_list(tmp_path: Path, monkeypatch) -> None:
    mr = _practice(tmp_path, 1500)
    shards = {p.name for p in (mr.profile.path / "db" / "patients").iterdir() if p.name.startswith("g")}
    assert len(shards) >= 16  # more than a collection keeps in memory: a look at every patient decrypts again
    waiting = _waiting(mr)
    mr.profile.db.collection("patients")._shards.clear()  # as after a sync that read other patients
    read = _patient_shards_read(mr, monkeypatch)
    filed = mr.documents.file(waiting.id, "P-7", actor="dr")
    assert filed.state == "filed" and filed.patient_id == "P-7"
    assert len(read) <= 1, f"{len(read)} patient shards decrypted to check one patient"


def test_an_unknown_patient_is_still_refused_and_no_list_still_files_on_the_doctors_word(tmp_path: Path) -> None:
    mr = _practice(tmp_path / "a", 20)
    waiting = _waiting(mr)
    with pytest.raises(NotFound):
        mr.documents.file(waiting.id, "P-404", actor="dr")
    assert mr.documents.get(waiting.id).state == "waiting"
    bare = _practice(tmp_path / "b", 0)
    filed = bare.documents.file(_waiting(bare).id, "P-404", actor="dr")
    assert filed.state == "filed" and filed.patient_id == "P-404"


def test_a_document_matching_nobody_says_why_without_reading_every_patient(tmp_path: Path, monkeypatch) -> None:
    """`missive match` and À classer say why nobody is proposed (« aucun patient né le … »); telling an empty
    list from a long one counted the patient collection: 0.55 s a document at 30,000 patients (bench.clinical
    --cli: 100k/1k ratio 15 where the target is 1.5)."""
    mr = _practice(tmp_path, 1500)
    stranger = read_document(RAW, "res.hpr").documents[0]  # its patient is not among the 1,500
    mr.patients.index()  # the matching index ready, as after the first match of a command
    mr.profile.db.collection("patients")._shards.clear()
    read = _patient_shards_read(mr, monkeypatch)
    found = mr.match_document(stranger)
    assert not found.candidates and found.no_candidate and "liste des patients est vide" not in found.no_candidate
    assert len(read) <= 1, f"{len(read)} patient shards decrypted to say why nobody matched"
    bare = _practice(tmp_path / "bare", 0)
    assert bare.match_document(stranger).no_candidate == str(T("mailroom.review.no-patients"))
