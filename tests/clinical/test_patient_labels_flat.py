"""The inbox names patients' mailboxes (patient_labels, at each load of a folder and for a letter to or from a
patient) from the patients' labels index, not by reading every patient (issue 18: daily paths flat in what grows
with the years). Reading the list decrypted every shard of the patient collection: 0.9 s of CPU at 30,000
patients, at each inbox load. The index (core.store.listindex, checked against the shard files' stamps at each
use) is read again only where a shard was written, whichever process wrote it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from core.clinical.patient_mail import PATIENT_DOMAIN, patient_label
from core.mailroom import Mailroom
from core.practice.patients import listed
from tests.clinical.corpus import make_patients
from tests.shards import shards_read

PASS = "phrase de passe du test"


def _expected(mr: Mailroom) -> dict[str, str]:
    """The labels as read from every patient (the former way)."""
    return {
        f"{p.ins}@{PATIENT_DOMAIN}".lower(): f"◆ {patient_label(p)}"
        for p in listed(mr.profile.collection("patients"))
        if p.ins
    }


def _patient_shards_read(mr: Mailroom, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return shards_read(mr, "patients", monkeypatch)


def test_patient_labels_read_only_the_shards_written_since(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = tmp_path / "profile"
    Mailroom.create(profile, PASS)
    writer = Mailroom.open(profile, PASS)
    patients = make_patients(1500, seed=3)
    writer.profile.collection("patients").put_many({p.id: p.to_json() for p in patients})
    assert len([p for p in (profile / "db" / "patients").iterdir() if p.name.startswith("g")]) > 16
    expected = _expected(writer)
    assert len(expected) > 100

    app = Mailroom.open(profile, PASS)  # the app: its first load learns the labels once
    assert app.patient_labels() == expected
    again = Mailroom.open(profile, PASS)  # a later start: the index is read from its file
    read = _patient_shards_read(again, monkeypatch)
    assert again.patient_labels() == expected
    assert read == [], f"{len(read)} patient shards decrypted to name the patients' mailboxes"

    # another process (an import) renames a patient with an INS and gives one an INS
    named = next(p for p in patients if p.ins)
    bare = next(p for p in patients if not p.ins)
    writer.profile.collection("patients").put_many(
        {named.id: replace(named, used_name="NOUVEAUNOM").to_json(), bare.id: replace(bare, ins=named.ins).to_json()}
    )
    after = _expected(writer)
    assert after != expected
    assert again.patient_labels() == after  # seen at once: the index is checked against the shard files
    assert 1 <= len(read) <= 2, f"{len(read)} patient shards decrypted for two patients written"
