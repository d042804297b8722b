"""The status bar's counts (documents waiting, critical, filed documents to check) and opening a letter read the
queue's index, not every document (issue 18: daily paths flat in what grows with the years).

Each count asked ``find`` of the document collection, which decrypts every shard: with more shards than a
collection keeps in memory (16), every refresh of the app decrypted the whole queue three times, 2.7 s of CPU at
20,000 documents. The queue's index (core.store.listindex, checked against the shard files' stamps at each use,
so another process's writes are seen) gives them; only the shards written since are read again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clinical.readers import read_document
from core.mailroom import Mailroom
from core.model import Candidate, MatchResult
from core.practice.documents import REVOKED_CHECK, waits_for_a_person
from tests.shards import shards_read

PASS = "phrase de passe du test"
RAW = (Path(__file__).resolve().parent.parent / "data" / "filing" / "hprim_net_cp1252_crlf.hpr").read_bytes()
QUEUE = 1200  # 32 shards of about 48 documents: twice what a collection keeps in memory


def _profile(tmp_path: Path) -> Path:
    profile = tmp_path / "profile"
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace('folder = ""', f'folder = "{tmp_path / "lgc"}"', 1), "utf-8"
    )
    return profile


def _ingest(mr: Mailroom, message_id: str):
    document = read_document(RAW, "res.hpr").documents[0]
    review = MatchResult("review", None, (Candidate("P-7", 0.8),))
    return mr.documents.ingest(document, review, message_id=message_id, attachment="res.hpr", raw=RAW)


def _years_of_documents(mr: Mailroom) -> None:
    """A queue of ``QUEUE`` documents: mostly filed, some waiting, some critical, some filed to check."""
    first = _ingest(mr, "<m-0@labo>")
    model = mr.documents.docs.get(first.id)
    assert model is not None
    batch = {}
    for n in range(1, QUEUE):
        doc = {**model, "message_id": f"<m-{n}@labo>", "entry_id": f"e-{n}", "state": "filed"}
        if n % 10 == 0:
            doc["state"] = "waiting"
        if n % 20 == 0:
            doc["critical"] = 1
        if n % 30 == 1:
            doc["signer_revoked"] = REVOKED_CHECK
        batch[f"{n:032x}"] = doc
    mr.documents.docs.put_many(batch)


def _document_shards_read(mr: Mailroom, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return shards_read(mr, "documents", monkeypatch)


def _expected(mr: Mailroom) -> tuple[int, int, frozenset[str]]:
    docs = mr.documents.docs.find(lambda d: True)
    return (
        sum(1 for _, d in docs if waits_for_a_person(d)),
        sum(1 for _, d in docs if d.get("state") == "waiting" and d.get("critical")),
        frozenset(k for k, d in docs if d.get("state") == "filed" and d.get("signer_revoked") == REVOKED_CHECK),
    )


def _counts(mr: Mailroom) -> tuple[int, int, frozenset[str]]:
    return mr.review_count(), mr.critical_count(), mr.documents.revoked_checks()


def test_the_status_counts_read_only_the_shards_written_since_whichever_process_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = _profile(tmp_path)
    writer = Mailroom.open(profile, PASS)
    _years_of_documents(writer)
    shards = [p for p in (profile / "db" / "documents").iterdir() if p.name.startswith("g")]
    assert len(shards) > 16  # more than a collection keeps in memory: a full read decrypts them all again
    expected = _expected(writer)
    assert expected[0] > 100 and expected[1] > 10 and len(expected[2]) > 10

    app = Mailroom.open(profile, PASS)  # the app's process: its first refresh learns the queue once
    assert _counts(app) == expected
    read = _document_shards_read(app, monkeypatch)
    assert _counts(app) == expected
    assert read == [], f"{len(read)} document shards decrypted for the status bar with nothing new"

    # another process (a sync) queues a critical result and puts a filed document back for a check
    docs = writer.documents.docs
    model = docs.get(f"{1:032x}")
    docs.put("f" * 32, {**model, "message_id": "<new@labo>", "state": "waiting", "critical": 1})
    flagged = f"{2:032x}"  # filed, not to check
    assert flagged not in expected[2]
    docs.put(flagged, {**docs.get(flagged), "signer_revoked": REVOKED_CHECK})
    after = _expected(writer)
    assert after != expected
    assert _counts(app) == after  # seen at once: the index is checked against the shard files
    assert 1 <= len(read) <= 3, f"{len(read)} document shards decrypted for two documents written"


def test_opening_a_letter_reads_the_shards_of_its_documents_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = _profile(tmp_path)
    writer = Mailroom.open(profile, PASS)
    _years_of_documents(writer)
    second = "e" * 32  # the letter <m-7@labo> brought two documents
    writer.documents.docs.put(second, {**writer.documents.docs.get(f"{7:032x}"), "entry_id": "e-second"})
    reader = Mailroom.open(profile, PASS)
    reader.documents.pending_count()  # the index learnt once, as the app's first refresh does
    read = _document_shards_read(reader, monkeypatch)
    found = reader.documents.of_message("<m-7@labo>")
    assert len(read) <= 2, f"{len(read)} document shards decrypted to open a letter of two documents"
    assert [q.id for q in found] == [q.id for q in reader.documents.list() if q.message_id == "<m-7@labo>"]
    assert {q.id for q in found} == {f"{7:032x}", second}
    read.clear()
    assert [q.id for q in reader.documents.of_message("<m-9@labo>")] == [f"{9:032x}"]
    assert len(read) <= 1, f"{len(read)} document shards decrypted to open one letter"
    assert reader.documents.of_message("<nobody@labo>") == []


def test_the_inboxs_filed_column_reads_no_document_nor_patient_shard_when_nothing_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = _profile(tmp_path)
    writer = Mailroom.open(profile, PASS)
    rows = "".join(f"P-{n},NOM{n},,Prénom,19{n % 90 + 10:02d}-01-0{n % 9 + 1},F,\n" for n in range(1500))
    writer.patients.import_csv(f"id,birth_name,used_name,given_names,birth_date,sex,ins\n{rows}".encode(), name="p.csv")
    _years_of_documents(writer)
    docs = writer.documents.docs
    docs.put_many({f"{n:032x}": {**docs.get(f"{n:032x}"), "patient_id": f"P-{n % 1500}"} for n in range(1, QUEUE)})
    # a letter of two documents filed for two patients, the second filed first (its column says the first's)
    docs.put("d" * 32, {**docs.get(f"{3:032x}"), "patient_id": "P-1400", "added": "0000"})
    patient_files = [p for p in (profile / "db" / "patients").iterdir() if p.name.startswith("g")]
    assert len(patient_files) > 16

    def named(pid: str) -> str:
        p = writer.patient(pid)
        assert p is not None
        return f"{p.birth_name}"

    app = Mailroom.open(profile, PASS)
    app.filed_patients()  # the app's first load learns the queue and the patients' names once
    read: list[str] = []
    unseal = app.profile.vault.unseal

    def counting(raw: bytes, name: str, *args, **kwargs):
        read.append(name)
        return unseal(raw, name, *args, **kwargs)

    monkeypatch.setattr(app.profile.vault, "unseal", counting)
    filed = app.filed_patients()
    assert not [n for n in read if n.startswith("db/documents/g")], "document shards decrypted for the column"
    patients_read = [n for n in read if n.startswith("db/patients/g")]
    assert patients_read == [], f"{len(patients_read)} patient shards decrypted for the column"
    assert filed["<m-3@labo>"].startswith(named("P-1400")) and filed["<m-3@labo>"].endswith("+1")
    assert filed["<m-4@labo>"].startswith(named("P-4"))
    assert "<m-10@labo>" not in filed  # waiting, not filed
    assert len(filed) == sum(1 for n in range(1, QUEUE) if n % 10)
    # another process renames a patient: the column says the new name, reading that patient's shard only
    patients = writer.profile.collection("patients")
    patients.put("P-4", {**patients.get("P-4"), "birth_name": "RENOMME"})
    read.clear()
    assert app.filed_patients()["<m-4@labo>"].startswith("RENOMME")
    assert len([n for n in read if n.startswith("db/patients/g")]) == 1


def test_the_inboxs_search_finds_patients_names_from_the_indexes_as_from_every_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = _profile(tmp_path)
    writer = Mailroom.open(profile, PASS)
    rows = "".join(f"P-{n},NOM{n},USAGE{n},Prénom Second,19{n % 90 + 10:02d}-01-0{n % 9 + 1},F,\n" for n in range(1500))
    writer.patients.import_csv(f"id,birth_name,used_name,given_names,birth_date,sex,ins\n{rows}".encode(), name="p.csv")
    _years_of_documents(writer)
    docs = writer.documents.docs
    docs.put_many({f"{n:032x}": {**docs.get(f"{n:032x}"), "patient_id": f"P-{n % 1500}"} for n in range(1, QUEUE, 2)})
    docs.put("d" * 32, {**docs.get(f"{3:032x}"), "patient_id": "P-1400", "added": "0000"})  # a second, older one

    app = Mailroom.open(profile, PASS)
    first = app.patients_by_message()  # the first search learns the queue and the patients' names once
    expected: dict[str, list[str]] = {}
    for queued in app.documents.list():  # what every document and patient read gives (the former way)
        ident = queued.identity
        words = [ident.family_name, ident.birth_name, *ident.given_names]
        patient = app.patient(queued.patient_id) if queued.patient_id else None
        if patient is not None:
            words += [patient.birth_name, patient.used_name, *patient.given_names]
        expected.setdefault(queued.message_id, []).append(" ".join(w for w in words if w))
    from core.clinical.search import searchable

    assert first == {mid: searchable(" ".join(parts)) for mid, parts in expected.items()}
    assert "usage1400" in first["<m-3@labo>"].lower() and "usage3" in first["<m-3@labo>"].lower()
    read: list[str] = []
    unseal = app.profile.vault.unseal

    def counting(raw: bytes, name: str, *args, **kwargs):
        read.append(name)
        return unseal(raw, name, *args, **kwargs)

    monkeypatch.setattr(app.profile.vault, "unseal", counting)
    assert app.patients_by_message() == first
    shards = [n for n in read if n.startswith(("db/documents/g", "db/patients/g"))]
    assert shards == [], f"{len(shards)} document or patient shards decrypted for the search"


def test_a_damaged_document_record_is_still_counted(tmp_path: Path) -> None:
    mr = Mailroom.open(_profile(tmp_path), PASS)
    waiting = _ingest(mr, "<m-0@labo>")
    mr.documents.docs.put(waiting.id, {**mr.documents.docs.get(waiting.id), "identity": 5, "critical": 1})
    assert (mr.review_count(), mr.critical_count()) == (1, 1)  # as the full read counted it
