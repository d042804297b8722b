"""The same clinical document in two letters is filed once; a new version of a result (same lab request, other
bytes) is filed as usual and says what it is to the earlier one."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clinical.readers import read_document
from core.errors import BadInput, NotFound
from core.model import Candidate, MatchResult
from core.practice.documents import KEYS_COLLECTION, DocumentQueue
from tests.filing.fakes import MemoryProfile

DATA = Path(__file__).resolve().parent.parent / "data" / "filing"
RAW = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()
# the same lab request (dossier D260101 of LABO01), its glycaemia not validated yet: the partial version
PARTIAL = RAW.replace(b"|H|F|7,33|", b"|H|R|7,33|")
# the same request, a result corrected
CORRECTED = RAW.replace(b"|H|F|7,33|", b"|H|C|7,33|").replace(b"|1,32|", b"|1,30|")
# another request of the same lab (another dossier): not a version of the first
OTHER = RAW.replace(b"D260101", b"D260199")

AUTO = MatchResult("auto", "p-1", (Candidate("p-1", 0.99, ("INS",)),))
REVIEW = MatchResult("review", None, (Candidate("p-2", 0.8), Candidate("p-1", 0.78)))


def _known(patient_id: str) -> None:
    if patient_id not in ("p-1", "p-2"):
        raise NotFound(f"no patient with id {patient_id}")


def make_queue(tmp_path: Path, profile: MemoryProfile | None = None) -> tuple[DocumentQueue, MemoryProfile]:
    profile = profile or MemoryProfile(tmp_path / "profile")
    settings = {"preset": "generic", "folder": str(tmp_path / "lgc"), "auto": True}
    return DocumentQueue(profile, settings, mark_filed=lambda mid, filed: None, patient_exists=_known), profile


def ingest(queue: DocumentQueue, raw: bytes, message_id: str, match: MatchResult = AUTO):
    [document] = read_document(raw, "res.hpr").documents
    return queue.ingest(document, match, message_id=message_id, attachment="res.hpr", raw=raw)


def files(tmp_path: Path) -> list[Path]:
    lgc = tmp_path / "lgc"
    return sorted(p for p in lgc.iterdir() if p.is_file()) if lgc.is_dir() else []


def test_the_same_result_in_a_second_letter_is_not_filed_again(tmp_path) -> None:
    queue, profile = make_queue(tmp_path)
    first = ingest(queue, RAW, "<r1@labo>")
    again = ingest(queue, RAW, "<fwd@confrere>")  # the same bytes, forwarded by a colleague
    assert first.state == "filed" and again.state == "duplicate" and again.duplicate_of == first.id
    assert len(files(tmp_path)) == 1  # one copy in the patient's record
    assert queue.pending() == [] and queue.raw(again.id) == RAW
    record = profile.audit.records[-1]
    assert record["action"] == "duplicate" and record["object"] == again.id
    assert record["original"] == first.id and record["original_state"] == "filed"
    assert "LEF" not in repr(profile.audit.records)  # ids only
    note = queue.duplicate_note(again)
    assert note == f"doublon du document {first.id}, déjà classé pour le patient n° p-1 ({files(tmp_path)[0].name})"
    assert again.to_json()["duplicate_of"] == first.id and again.to_json()["state"] == "duplicate"


def test_a_copy_of_a_result_waiting_for_review_is_not_queued_for_review_again(tmp_path) -> None:
    queue, _ = make_queue(tmp_path)
    first = ingest(queue, RAW, "<r1@labo>", REVIEW)
    again = ingest(queue, RAW, "<r1-bis@labo>", REVIEW)
    assert again.state == "duplicate" and [d.id for d in queue.pending()] == [first.id]
    assert files(tmp_path) == [] and queue.pending_count() == 1
    assert queue.duplicate_note(again) == f"doublon du document {first.id} (en attente de classement)"
    # the person files the first: the copy says so from then on
    queue.file(first.id, "p-1", actor="dr")
    assert "déjà classé pour le patient n° p-1" in queue.duplicate_note(queue.get(again.id))
    assert len(files(tmp_path)) == 1


def test_the_labs_copy_is_filed_when_a_doubtful_copy_of_it_waits_for_a_person(tmp_path) -> None:
    """First copy wins, except over a copy from outside the trust space (or badly signed: a person decides it)
    when the lab's own copy, which would be filed alone, comes second: it was parked as the doubtful one's
    duplicate, never filed, its critical result never rung."""
    queue, profile = make_queue(tmp_path)
    doubtful = ingest(queue, RAW, "<fwd@ailleurs>", REVIEW)  # a Quarantaine letter: never auto
    lab = ingest(queue, RAW, "<r1@labo>", AUTO)
    assert lab.state == "filed" and lab.duplicate_of is None and lab.version_of is None
    assert len(files(tmp_path)) == 1 and queue.pending() == []
    parked = queue.get(doubtful.id)
    assert parked.state == "duplicate" and parked.duplicate_of == lab.id
    assert "déjà classé pour le patient n° p-1" in queue.duplicate_note(parked)
    record = [r for r in profile.audit.records if r["object"] == doubtful.id][-1]
    assert record["action"] == "duplicate" and record["original"] == lab.id
    third = ingest(queue, RAW, "<r1-resent@labo>", AUTO)  # the lab sends it once more
    assert third.state == "duplicate" and third.duplicate_of == lab.id and len(files(tmp_path)) == 1


def test_a_copy_of_a_document_set_aside_stands_on_its_own(tmp_path) -> None:
    """A copy a person set aside (its letter judged: an outsider's, a Quarantaine one) decides nothing of the
    same bytes from the lab: they wait for a person again, never buried as 'doublon (écarté)', never filed alone
    behind the person's back (the one set aside may have been filed for the wrong patient, then undone)."""
    queue, _ = make_queue(tmp_path)
    doubtful = ingest(queue, RAW, "<fwd@ailleurs>", REVIEW)
    queue.reject(doubtful.id, actor="dr")
    again = ingest(queue, RAW, "<r1@labo>", REVIEW)
    assert again.state == "waiting" and [d.id for d in queue.pending()] == [again.id]
    assert again.version_of is None and queue.get(doubtful.id).state == "rejected"
    queue.reject(again.id, actor="dr")
    resent = ingest(queue, RAW, "<r1-resent@labo>", AUTO)
    assert resent.state == "waiting" and resent.decision == "review" and files(tmp_path) == []
    assert [d.id for d in queue.pending()] == [resent.id]
    queue.file(resent.id, "p-1", actor="dr")
    assert len(files(tmp_path)) == 1


def test_after_an_undo_a_copy_is_not_filed_and_the_first_can_be_filed_again_by_hand(tmp_path) -> None:
    queue, _ = make_queue(tmp_path)
    first = ingest(queue, RAW, "<r1@labo>")
    queue.undo(first.id, actor="dr")  # filed for the wrong patient: the doctor took it back
    again = ingest(queue, RAW, "<r1-resent@labo>")  # the lab sends it again
    assert again.state == "duplicate" and again.duplicate_of == first.id
    assert files(tmp_path) == []  # not filed again behind the doctor's back
    assert [d.id for d in queue.pending()] == [first.id]
    refiled = queue.file(first.id, "p-2", actor="dr")  # the undone one is filed again by hand
    assert refiled.state == "filed" and len(files(tmp_path)) == 1


@pytest.mark.parametrize("action", ["file", "reject", "undo"])
def test_a_duplicate_cannot_be_filed_rejected_or_undone_and_nothing_changes(tmp_path, action) -> None:
    queue, profile = make_queue(tmp_path)
    first = ingest(queue, RAW, "<r1@labo>")
    again = ingest(queue, RAW, "<r2@labo>")
    records = len(profile.audit.records)
    call = {
        "file": lambda: queue.file(again.id, "p-2", actor="dr"),
        "reject": lambda: queue.reject(again.id, actor="dr"),
        "undo": lambda: queue.undo(again.id, actor="dr"),
    }[action]
    with pytest.raises(BadInput, match=f"doublon de {first.id}.*agissez sur {first.id}") as caught:
        call()
    assert "\n" not in str(caught.value)
    assert queue.get(again.id) == again and queue.get(first.id).state == "filed"
    assert len(files(tmp_path)) == 1 and len(profile.audit.records) == records


def test_a_new_version_of_a_result_is_filed_and_says_it_completes_the_first(tmp_path) -> None:
    queue, profile = make_queue(tmp_path)
    partial = ingest(queue, PARTIAL, "<r1@labo>")
    complete = ingest(queue, RAW, "<r2@labo>")  # same request, results now validated: other bytes
    assert partial.status == "partial" and complete.status == "final"
    assert partial.state == "filed" and complete.state == "filed"  # never suppressed: labs rely on it
    assert complete.version_of == partial.id and complete.duplicate_of is None
    assert len(files(tmp_path)) == 2
    assert queue.version_note(complete) == (
        f"complète le document {partial.id} (résultats partiels, même demande du laboratoire)"
    )
    assert [r for r in profile.audit.records if r["object"] == complete.id][0]["version_of"] == partial.id
    corrected = ingest(queue, CORRECTED, "<r3@labo>")
    assert corrected.state == "filed" and corrected.version_of == complete.id
    assert queue.version_note(corrected).startswith(f"corrige le document {complete.id}")
    # the complete version again (sent twice by the lab): a duplicate of the complete one, not of the partial
    again = ingest(queue, RAW, "<r4@labo>")
    assert again.state == "duplicate" and again.duplicate_of == complete.id
    # another request of the same lab is neither
    other = ingest(queue, OTHER, "<r5@labo>")
    assert other.state == "filed" and other.version_of is None and other.duplicate_of is None
    assert queue.version_note(other) == "" and queue.duplicate_note(other) == ""
    assert len(files(tmp_path)) == 4


def test_one_different_byte_is_never_a_duplicate(tmp_path) -> None:
    queue, _ = make_queue(tmp_path)
    first = ingest(queue, RAW, "<r1@labo>")
    changed = ingest(queue, RAW + b"\r\n", "<r2@labo>")
    assert changed.state == "filed" and changed.duplicate_of is None and changed.version_of == first.id
    assert queue.version_note(changed).startswith(f"nouvelle version du document {first.id}")


def test_documents_queued_before_the_index_existed_are_known(tmp_path) -> None:
    """A profile of an earlier version: its documents have no key yet; the first arrival indexes them."""
    queue, profile = make_queue(tmp_path)
    first = ingest(queue, RAW, "<r1@labo>")
    profile._collections.pop(KEYS_COLLECTION)  # as before this version
    queue, _ = make_queue(tmp_path, profile)
    again = ingest(queue, RAW, "<r2@labo>")
    assert again.state == "duplicate" and again.duplicate_of == first.id and len(files(tmp_path)) == 1


def test_a_key_left_by_a_crash_before_its_document_is_ignored(tmp_path) -> None:
    queue, profile = make_queue(tmp_path)
    first = ingest(queue, RAW, "<r1@labo>")
    profile.collection("documents").delete(first.id)  # the key written, the record never
    again = ingest(queue, RAW, "<r2@labo>")
    assert again.state == "filed" and again.duplicate_of is None


def test_the_content_key_is_keyed_by_the_profile(tmp_path) -> None:
    """Two profiles key the same bytes differently, and neither key is the bytes' plain digest."""
    import hashlib

    from core.store.profile import Profile

    a = Profile.create(tmp_path / "a", "correct horse battery staple")
    b = Profile.create(tmp_path / "b", "correct horse battery staple")
    qa = DocumentQueue(a, {"preset": "generic", "folder": str(tmp_path / "lgc-a"), "auto": False})
    qb = DocumentQueue(b, {"preset": "generic", "folder": str(tmp_path / "lgc-b"), "auto": False})
    digest = hashlib.sha256(RAW).hexdigest()
    ka, kb = qa._content_key(digest), qb._content_key(digest)
    assert ka != kb and digest[:32] not in (ka, kb)
    [document] = read_document(RAW, "res.hpr").documents
    first = qa.add(document, REVIEW, message_id="<r1@labo>", raw=RAW)
    second = qa.add(document, REVIEW, message_id="<r2@labo>", raw=RAW)
    assert second.state == "duplicate" and second.duplicate_of == first.id
    # the key is kept inside the encrypted store only: no file of the profile names it
    names = [p.name for p in (tmp_path / "a").rglob("*")]
    assert not [n for n in names if ka in n or digest in n]


def _letter(number: int, result: bytes, *, forwarded: bool = False) -> bytes:
    """A lab's letter with ``result`` attached; ``forwarded``: another envelope for the same bytes (another
    boundary, base64 lines of another length, another file name, a body of its own)."""
    import base64

    if forwarded:
        encoded = b"\r\n".join(base64.b64encode(result)[i : i + 60] for i in range(0, len(base64.b64encode(result)), 60))
        head = (
            f"From: labo@labo-ormes.mssante.fr\r\nTo: dr@cabinet.mssante.fr\r\nSubject: TR: Resultats\r\n"
            f"Message-ID: <fwd{number}@exemple>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="autre-frontiere"\r\n\r\n--autre-frontiere\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nJe vous renvoie les résultats.\r\n--autre-frontiere\r\n"
            'Content-Type: text/plain; charset=windows-1252; name="copie.hpr"\r\n'
            'Content-Disposition: attachment; filename="copie.hpr"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        )
        return head.encode() + encoded + b"\r\n--autre-frontiere--\r\n"
    return (
        (
            f"From: labo@labo-ormes.mssante.fr\r\nTo: dr@cabinet.mssante.fr\r\nSubject: Resultats\r\n"
            f"Message-ID: <r{number}@exemple>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n--b\r\n"
            'Content-Type: application/octet-stream; name="res.hpr"\r\n'
            'Content-Disposition: attachment; filename="res.hpr"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode()
        + base64.encodebytes(result)
        + b"--b--\r\n"
    )


def test_through_the_mail_a_copy_is_filed_once_and_a_new_version_as_usual(tmp_path: Path, cli) -> None:
    """The Maildir account: the partial result, the same bytes again in another letter (another envelope), in one
    sync; the letter moved to another folder; then the complete result: two files, one duplicate, shown by the
    command line (list, --json, messages show)."""
    import asyncio
    import json

    from tests.filing.test_mail_to_filing import synced_practice

    mr, lgc = synced_practice(
        tmp_path, {"1.partial": _letter(1, PARTIAL), "2.again": _letter(2, PARTIAL, forwarded=True)}
    )
    by_message = {d.message_id: d for d in mr.documents.list()}
    first, again = by_message["<r1@exemple>"], by_message["<fwd2@exemple>"]
    assert first.state == "filed" and again.state == "duplicate" and again.duplicate_of == first.id
    assert len(files(tmp_path)) == 1
    assert mr.review_count() == 0
    # the first letter moved to another folder (the webmail's archive): met again, still one document
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / ".Archives" / sub).mkdir(parents=True)
    [kept] = [p for p in (maildir / "cur").iterdir() if p.name.startswith("1.partial")]  # read, $Filed
    kept.rename(maildir / ".Archives" / "cur" / "1.partial:2,S")
    asyncio.run(mr.sync())
    assert len(mr.documents.list()) == 2 and len(files(tmp_path)) == 1
    # then the complete result of the same request: filed as usual, saying what it is
    (maildir / "new" / "3.complete").write_bytes(_letter(3, RAW))
    asyncio.run(mr.sync())
    complete = next(d for d in mr.documents.list() if d.message_id == "<r3@exemple>")
    assert complete.state == "filed" and complete.version_of == first.id and len(files(tmp_path)) == 2
    mr.close()

    code, out, err = cli("documents", "list")
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert set(rows) == {first.id, again.id, complete.id}
    assert f"{again.id}  doublon " in rows[again.id]
    assert f"— doublon du document {first.id}, déjà classé pour le patient n° P-1 (" in rows[again.id]
    assert f"— complète le document {first.id} (résultats partiels" in rows[complete.id]
    assert "LEF" not in out  # ids, never the patient's name
    code, out, err = cli("documents", "list", "--json")
    listed = {d["id"]: d for d in map(json.loads, out.splitlines())}
    assert listed[again.id]["state"] == "duplicate" and listed[again.id]["duplicate_of"] == first.id
    assert listed[complete.id]["version_of"] == first.id and listed[complete.id]["duplicate_of"] is None
    # `missive file` on the copy: one French line, nothing changed
    code, out, err = cli("file", again.id, "--patient", "P-2")
    assert code == 2 and err.count("\n") == 1 and f"doublon de {first.id}" in err
    assert len(files(tmp_path)) == 2
    # what `missive messages show` says of the forwarded letter
    code, listing, _ = cli("messages", "list", "--json")
    fwd = next(m["id"] for m in map(json.loads, listing.splitlines()) if m["subject"] == "TR: Resultats")
    code, shown, err = cli("messages", "show", fwd)
    assert code == 0, err
    assert f"doublon du document {first.id}, déjà classé pour le patient n° P-1" in shown


@pytest.mark.parametrize(
    ("name", "index", "order"),
    [
        ("hprim_net_cp1252_crlf.hpr", 0, "hprim-net|LABO01|D260101|02/01/2026"),  # lab code, dossier, date
        ("hprim_net_multi_cr.hpr", 1, "hprim-net|LAB2|D0002|05/01/2026"),  # each report its own
        ("hprim2_multi.hpr", 0, "hprim-2|LAB9|R1"),  # sender, OBR-2
        ("hl7_oru_multi.hl7", 2, "hl7v2|LABO FICTIF|O2"),  # sending facility, OBR-2 of its group
        ("hl7v25_ORU_R01_CR-BIO_transport_ans.hl7", 0, "hl7v2|labo|98765431"),  # the CDA it carries: ORC/OBR
        ("cda_r2_CR-BIO_2023.01_N3_ans.xml", 0, "cda|1.2.250.1.213.1.1.9|"),  # setId
        ("hprimnet_res-lines_yokoinc.hpr", 0, ""),  # no header: no request known
    ],
)
def test_the_lab_request_each_reader_finds(name: str, index: int, order: str) -> None:
    data = (Path(__file__).resolve().parent.parent / "data" / "clinical" / name).read_bytes()
    assert read_document(data, name).documents[index].order == order


def test_the_request_key_is_per_patient_and_keyed(tmp_path) -> None:
    queue, _ = make_queue(tmp_path)
    [document] = read_document(RAW, "res.hpr").documents
    key = queue._order_key(document)
    assert key and document.order not in key and "D260101" not in key
    from dataclasses import replace

    other = replace(document, identity=replace(document.identity, family_name="DURAND"))
    assert queue._order_key(other) != key  # the same request number for another patient: no version of it
    assert queue._order_key(replace(document, order="")) == ""


def _two_patients_packages(queue: DocumentQueue):
    """package(patient, message_id): an XDM package for ``patient`` (their report and the same leaflet PDF as
    every package's), queued as a letter's attachment; and the second patient."""
    import datetime as dt

    from core.clinical.xdm_writer import XdmDocument, write_xdm
    from core.demo.documents import pdf_letter
    from core.model import Identity
    from tests.filing.test_xdm_writer import AUTHOR

    leaflet = pdf_letter("Consignes après coloscopie", ["Reprendre une alimentation normale.", "Appeler si fièvre."])
    other = Identity(family_name="LEROY", given_names=("Marc",), birth_date=dt.date(1961, 5, 2), sex="M")

    def package(patient: Identity, message_id: str):
        report = pdf_letter(f"Compte rendu de coloscopie {patient.family_name}", ["Pas de polype."])
        data = write_xdm(
            patient, AUTHOR, [XdmDocument(report, "application/pdf", "CR"), XdmDocument(leaflet, "application/pdf")]
        ).data
        return queue.ingest_message(message_id, [("IHE_XDM.ZIP", "application/zip", data)], lambda i: REVIEW)

    return package, other


def test_two_letters_without_message_id_for_two_patients_keep_each_ones_document(tmp_path) -> None:
    """Two letters with no Message-ID ('unknown', as the sync names them; or the same one) carrying, at the same
    place, the same leaflet for two patients: the document's id (message id, attachment, index, bytes) was the
    same, and the second patient's leaflet was taken for the first's document, returned as it was (MARTIN's),
    with no trace. The same letter met again (another folder) still keeps its one document."""
    from tests.filing.test_xdm_writer import PATIENT

    queue, _ = make_queue(tmp_path)
    package, other = _two_patients_packages(queue)
    first = package(PATIENT, "unknown")
    second = package(other, "unknown")
    assert len({d.id for d in first + second}) == 4  # was 3: the leaflet's id shared
    assert [d.identity.family_name for d in second] == ["LEROY", "LEROY"]
    assert len(queue.pending()) == 4
    assert [d.id for d in package(other, "unknown")] == [d.id for d in second]  # met again: the same documents
    assert len(queue.list()) == 4


def test_the_same_file_for_two_patients_is_each_ones_document(tmp_path) -> None:
    """A file whose patient is said beside it, not inside: the same leaflet PDF in two patients' XDM packages
    (each METADATA.XML names its patient). The second patient's copy was taken as a duplicate of the first
    patient's document: never in À classer for them, their letter saying 'déjà classé pour le patient n° …' of
    another patient. The same bytes for the same patient stay one document."""
    import datetime as dt

    from core.clinical.xdm_writer import XdmDocument, write_xdm
    from core.demo.documents import pdf_letter
    from core.model import Identity
    from tests.filing.test_xdm_writer import AUTHOR, PATIENT

    queue, _ = make_queue(tmp_path)
    leaflet = pdf_letter("Consignes après coloscopie", ["Reprendre une alimentation normale.", "Appeler si fièvre."])
    other = Identity(family_name="LEROY", given_names=("Marc",), birth_date=dt.date(1961, 5, 2), sex="M")

    def package(patient: Identity, message_id: str):
        report = pdf_letter(f"Compte rendu de coloscopie {patient.family_name}", ["Pas de polype."])
        data = write_xdm(
            patient, AUTHOR, [XdmDocument(report, "application/pdf", "CR"), XdmDocument(leaflet, "application/pdf")]
        ).data
        return queue.ingest_message(message_id, [("IHE_XDM.ZIP", "application/zip", data)], lambda i: REVIEW)

    first = package(PATIENT, "<a@hopital>")
    second = package(other, "<b@hopital>")
    assert [d.state for d in first + second] == ["waiting"] * 4  # the second patient's leaflet was 'duplicate'
    assert len(queue.pending()) == 4 and sum(d.identity.family_name == "LEROY" for d in queue.pending()) == 2
    again = package(other, "<b-resent@hopital>")  # the same package again: its two documents are copies
    assert [d.state for d in again] == ["duplicate", "duplicate"]
    assert [d.duplicate_of for d in again] == [d.id for d in second]
