"""A result decided ``auto`` earlier and still waiting (no import folder yet, automatic filing off, or a filing
that failed) is matched again before it is filed automatically: a look-alike imported meanwhile (a twin one letter
apart) makes it a person's decision, as it would be for a result arriving now.

À classer and `documents list` say of such a result « patient P trouvé : classé automatiquement dès que [filing]
folder est réglé »; the decision was filed as taken, whatever the list had become (sec11)."""

from __future__ import annotations

from pathlib import Path

from core.clinical.readers import read_document
from core.mailroom import Mailroom

PASS = "phrase de passe du test"
HEAD = "id,birth_name,used_name,given_names,birth_date,sex,ins\n"
LOUIS = "C3,MARTIN,,Louis,2015-02-14,M,\n"
LOUISE = "C4,MARTIN,,Louise,2015-02-14,F,\n"  # his twin sister, one letter apart


def hprim(name: str, given: str, born: str) -> bytes:
    header = ["A1", name, given, "", "", "75012 PARIS", born, "", "D1", "02/01/2026"]
    header += ["LABO01     LABORATOIRE DES ORMES", "DRTEST     Dr Claire TESTARD"]
    body = ["Compte rendu", "****LAB****", "RES|GLYCEMIE|GLY|N|1.02|g/L|0.74|1.06|N|F", "****FIN****"]
    return ("\r\n".join([*header, *body, "****FINFICHIER****"]) + "\r\n").encode("cp1252")


def _waiting_for_the_folder(tmp_path: Path) -> tuple[Mailroom, str]:
    """A profile with no import folder and Louis alone in its list; his result decided ``auto``, waiting."""
    profile = tmp_path / "profile"
    Mailroom.create(profile, PASS)
    mr = Mailroom.open(profile, PASS)
    mr.patients.import_csv((HEAD + LOUIS).encode(), name="p.csv")
    raw = hprim("MARTIN", "LOUIS", "14/02/2015")
    (document,) = read_document(raw, "r.hpr").documents
    match = mr.match_document(document)
    assert (match.decision, match.patient_id) == ("auto", "C3")
    queued = mr.documents.ingest(document, match, message_id="m-1", attachment="r.hpr", raw=raw)
    assert (queued.state, queued.decision) == ("waiting", "auto")
    return mr, queued.id


def _set_the_folder(tmp_path: Path) -> Mailroom:
    settings = tmp_path / "profile" / "profile.toml"
    text = settings.read_text("utf-8").replace('folder = ""', f'folder = "{tmp_path / "lgc"}"', 1)
    settings.write_text(text, "utf-8")
    return Mailroom.open(tmp_path / "profile", PASS)


def test_a_twin_imported_since_the_decision_makes_it_wait_for_a_person(tmp_path: Path) -> None:
    mr, doc_id = _waiting_for_the_folder(tmp_path)
    mr.patients.import_csv((HEAD + LOUIS + LOUISE).encode(), name="p2.csv")
    mr = _set_the_folder(tmp_path)
    assert mr.documents.auto_file() == []
    held = mr.documents.get(doc_id)
    assert (held.state, held.decision, held.patient_id) == ("waiting", "review", None)
    assert {c.patient_id for c in held.candidates} == {"C3", "C4"}  # both proposed to the person
    assert not list((tmp_path / "lgc").rglob("*.hpr"))
    assert [r["action"] for r in mr.profile.audit.records() if r["object"] == doc_id][-1] == "match-changed"
    filed = mr.documents.file(doc_id, "C3", actor="dr")  # the person's decision still files it
    assert filed.state == "filed"


def test_an_unchanged_list_files_the_decision_once_the_folder_is_set(tmp_path: Path) -> None:
    _mr, doc_id = _waiting_for_the_folder(tmp_path)
    mr = _set_the_folder(tmp_path)
    (filed,) = mr.documents.auto_file()
    assert (filed.id, filed.state, filed.patient_id) == (doc_id, "filed", "C3")
