"""The queue's record of a clinical file that could not be read (``DocumentQueue.add_unreadable``), on a real
encrypted profile: one entry per file, the refusal kept without the file's name, never filed alone, filed by
hand only when the core allows it, dealt with and taken back, each step audited. (Through the real mail server
and the sync hook: tests/filing/test_unreadable_servers.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clinical.readers import claimed_format
from core.errors import BadInput, ParseError
from core.practice.documents import DocumentQueue
from core.text import T

DATA = Path(__file__).resolve().parents[1] / "data"
HL7 = (DATA / "clinical" / "hl7v25_ORU_R01_CR-BIO_transport_ans.hl7").read_bytes()
HPRIM = (DATA / "clinical" / "hprim_net_cp1252_crlf.hpr").read_bytes()
NAME = "DUPONT_Jeanne_1956.hl7"  # a lab that names its files after the patient


def refusal() -> ParseError:
    return ParseError(
        T("clinical.readers.contenu-illisible-demandez-expediteur", label=repr(NAME), kind="hl7v2", name="ValueError")
    )


@pytest.fixture
def queue(profile, tmp_path: Path) -> DocumentQueue:
    return DocumentQueue(profile, {"folder": str(tmp_path / "lgc"), "auto": True})


def test_one_entry_per_file_and_no_file_name_in_the_refusal(queue: DocumentQueue, profile) -> None:
    first = queue.add_unreadable(HL7 + HPRIM, "hl7v2", refusal(), message_id="<a@x>", attachment=NAME)
    again = queue.add_unreadable(HL7 + HPRIM, "hl7v2", refusal(), message_id="<a@x>", attachment=NAME, store_id="s2")
    copy = queue.add_unreadable(HL7 + HPRIM, "hl7v2", refusal(), message_id="<b@x>", attachment=NAME)
    assert (first.state, again.id, again.store_ids) == ("unreadable", first.id, ("s2",))
    assert (copy.state, copy.duplicate_of) == ("duplicate", first.id)
    assert [d.id for d in queue.list(("unreadable",))] == [first.id] and queue.pending_count() == 1
    note = queue.unreadable_note(queue.get(first.id))
    assert note == "fichier HL7 v2 reçu mais illisible : document : contenu hl7v2 illisible (ValueError) ; " + (
        "demandez à l'expéditeur de le renvoyer"
    )
    assert "DUPONT" not in str(profile.collection("documents").get(first.id)["unreadable_text"])
    assert first.to_json()["unreadable"] == "clinical.readers.contenu-illisible-demandez-expediteur"
    assert queue.auto_file() == [] and queue.get(first.id).state == "unreadable"  # never filed alone


def test_filed_by_hand_dealt_with_and_taken_back(queue: DocumentQueue, profile, tmp_path: Path) -> None:
    doc = queue.add_unreadable(HL7 + HPRIM, "hl7v2", refusal(), message_id="<a@x>", attachment=NAME)
    filed = queue.file(doc.id, "P-1", actor="dr")
    assert filed.state == "filed" and Path(filed.filed_path or "").read_bytes() == HL7 + HPRIM
    assert Path(filed.filed_path or "").suffix == ".hl7"
    back, undone = queue.take_back(doc.id, actor="dr")
    assert (back.state, undone) == ("unreadable", "filing") and not list((tmp_path / "lgc").glob("*.hl7"))
    dealt = queue.dealt_with(doc.id, actor="dr")
    assert dealt.state == "dealt" and queue.pending_count() == 0
    with pytest.raises(BadInput, match="rien à marquer traité"):
        queue.dealt_with(doc.id)
    with pytest.raises(BadInput, match=f"mis de côté \\(traité à la main\\) .* `missive documents undo {doc.id}`"):
        queue.file(doc.id, "P-1", actor="dr")  # set aside by a person: filed only once taken back
    assert queue.get(doc.id).state == "dealt" and not list((tmp_path / "lgc").glob("*.hl7"))
    back, undone = queue.take_back(doc.id, actor="dr")
    assert (back.state, undone) == ("unreadable", "dealt")
    assert queue.reject(doc.id, actor="dr").state == "dealt"  # `documents reject` on such a file: dealt with
    actions = [(r["action"], r["actor"]) for r in profile.audit.records() if r["object"] == doc.id]
    assert actions[0][0] == "unreadable"
    assert actions[1:] == [("file", "dr"), ("undo", "dr"), ("dealt-with", "dr"), ("undo", "dr"), ("dealt-with", "dr")]


def test_a_refused_zip_is_never_filed_by_hand(queue: DocumentQueue, tmp_path: Path) -> None:
    bomb = ParseError(T("clinical.xdm.archive-zip-depasse-200"))
    doc = queue.add_unreadable(b"PK\x03\x04 not a zip", "xdm", bomb, message_id="<z@x>", attachment="IHE_XDM.zip")
    with pytest.raises(BadInput, match="ne doit pas recevoir tel quel"):
        queue.file(doc.id, "P-1")
    assert queue.get(doc.id).state == "unreadable" and not (tmp_path / "lgc").exists()


@pytest.mark.parametrize(
    ("data", "name", "ctype", "claimed"),
    [
        (HL7 + b"\r\nnot a segment", "cr.txt", "text/plain", "hl7v2"),  # by content
        (b"garbage", "res.hpr", "application/octet-stream", "hprim-net"),  # by extension
        (b"garbage", "cr", "application/hl7-v2", "hl7v2"),  # by MIME type
        (b"garbage", "cr", "application/hl7-cda+xml", "cda"),
        ((DATA / "filing" / "python.jpg").read_bytes(), "photo.jpg", "image/jpeg", None),
        ((DATA / "filing" / "letter.pdf").read_bytes()[:300], "res.pdf", "application/pdf", None),  # a PDF: never
        (b"PK\x03\x04 a zip of photos", "photos.zip", "application/zip", None),
    ],
)
def test_what_a_clinical_reader_claims(data: bytes, name: str, ctype: str, claimed: str | None) -> None:
    assert claimed_format(data, name, ctype) == claimed


def test_the_unreadable_documents_of_a_package_wait_for_a_person(queue: DocumentQueue, profile) -> None:
    """An XDM package whose reader refuses some of its documents (an HL7 file with an HPRIM file glued on, a CDA
    cut in half): each of those is a file that could not be read, with its own refusal; the readable one is
    queued as before; the same letter read again adds nothing."""
    from core.model import MatchResult
    from tests.clinical.test_xdm_layouts import _metadata, _zip

    cda = (DATA / "clinical" / "cda_small.xml").read_bytes()
    package = _zip({
        "IHE_XDM/SUBSET01/METADATA.XML": _metadata("DOC0001.XML", "DOC0002.HL7", "DOC0003.XML"),
        "IHE_XDM/SUBSET01/DOC0001.XML": cda,
        "IHE_XDM/SUBSET01/DOC0002.HL7": HL7 + b"\r\n" + HPRIM,
        "IHE_XDM/SUBSET01/DOC0003.XML": cda[: len(cda) // 2],
    })  # fmt: skip

    def ingest() -> list:
        return queue.ingest_message(
            "<xdm@x>", [("IHE_XDM.ZIP", "application/zip", package)], lambda _: MatchResult("review", None, ())
        )

    out = ingest()
    assert sorted(d.state for d in out) == ["unreadable", "unreadable", "waiting"]
    [read] = [d for d in out if d.state == "waiting"]
    assert read.identity.birth_name == "FONTAINE" and read.attachment == "IHE_XDM.ZIP"
    glued, cut = sorted((d for d in out if d.state == "unreadable"), key=lambda d: d.attachment)
    # two files glued together (the second may be another patient's): never filed by hand as it is
    assert (glued.attachment, glued.format, glued.hand_fileable) == ("IHE_XDM.ZIP/DOC0002.HL7", "hl7v2", False)
    assert glued.unreadable == "clinical.hl7v2.ligne-non-segment" and queue.blobs.get(glued.blob_id) == HL7 + b"\r\n" + HPRIM
    assert (cut.attachment, cut.format) == ("IHE_XDM.ZIP/DOC0003.XML", "cda") and cut.unreadable
    assert "DOC0003" not in queue.unreadable_note(cut)  # the file's name said as "document"
    assert queue.pending_count() == 3 and queue.auto_file() == []
    assert sorted(d.id for d in ingest()) == sorted(d.id for d in out) and queue.pending_count() == 3
    assert [r["action"] for r in profile.audit.records()].count("unreadable") == 2
