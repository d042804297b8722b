"""Critical results (HH, LL, AA, "critique"/"panique") mark the document and the message and come first."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from core.clinical.readers import read_document
from core.model import MatchResult, Observation
from core.notify import message_for
from core.practice.documents import DocumentQueue

HEADER = (
    "A2008\r\nMARTIN\r\nPAUL\r\n1 rue Haute\r\n\r\n75001 PARIS\r\n01/02/1960\r\n\r\nD1\r\n02/01/2026\r\n"
    "LABO01     LABORATOIRE\r\nDRTEST     Dr TEST\r\n****LAB****\r\n"
)


def hprim(*res: str) -> bytes:
    return (HEADER + "".join(r + "\r\n" for r in res) + "****FIN****\r\n****FINFICHIER****\r\n").encode(
        "cp1252"
    )


NORMAL = hprim("RES|GLYCEMIE|GLU|N|1,32|g/L|0,74|1,06|H|F")
CRITICAL = hprim("RES|POTASSIUM|K|N|6,9|mmol/L|3,5|5,0|HH|F", "RES|SODIUM|NA|N|140|mmol/L|135|145|N|F")


def test_flags_and_words_that_make_a_result_critical() -> None:
    assert (
        Observation(flag="HH").critical
        and Observation(flag="ll").critical
        and Observation(flag="AA").critical
    )
    assert not Observation(flag="H").critical and not Observation(flag="A").critical
    assert Observation(value="4,1", comment="Valeur critique téléphonée au médecin").critical
    assert Observation(comment="PANIQUE").critical and Observation(flag="HH").abnormal
    assert not Observation(comment="critiquement relu").critical  # a word, not a substring


def test_readers_count_critical_results() -> None:
    (doc,) = read_document(CRITICAL, "res.hpr").documents
    assert doc.critical == 1
    (hl7,) = read_document(
        b"MSH|^~\\&|LAB|L|DOC|D|202601020830||ORU^R01|1|P|2.5\r"
        b"PID|1||123^^^L||MARTIN^PAUL||19600201|M\r"
        b"OBR|1||X|NFS\r"
        b"OBX|1|NM|PLT^Plaquettes||9|G/L|150-400|LL|||F\r",
        "res.hl7",
    ).documents
    assert hl7.critical == 1


def test_critical_document_is_first_in_a_classer_and_counted(tmp_path: Path) -> None:
    from tests.filing.fakes import MemoryProfile

    queue = DocumentQueue(MemoryProfile(tmp_path / "p"), {"folder": "", "auto": False})
    review = MatchResult("review")
    normal = queue.add(read_document(NORMAL).documents[0], review, message_id="m-1", raw=NORMAL)
    urgent = queue.add(read_document(CRITICAL).documents[0], review, message_id="m-2", raw=CRITICAL)
    assert [d.id for d in queue.list()] == [normal.id, urgent.id]  # arrival order
    assert [d.id for d in queue.pending()] == [urgent.id, normal.id]  # critical first
    assert queue.critical_count() == 1 and urgent.to_json()["critical"] == 1


def test_a_message_with_a_critical_result_is_marked_in_the_list(tmp_path: Path) -> None:
    from core.mailroom import Mailroom

    Mailroom.create(tmp_path / "profile", "une phrase de passe assez longue")
    settings = tmp_path / "profile" / "profile.toml"  # the lab is a correspondent (else: Quarantaine, no news)
    settings.write_text(settings.read_text("utf-8").replace("allow = []", 'allow = ["labo.mssante.fr"]', 1))
    room = Mailroom.open(tmp_path / "profile", "une phrase de passe assez longue")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "labo@labo.mssante.fr", "dr@cabinet.mssante.fr", "Résultats"
    msg["Message-ID"] = "<k1@labo>"
    msg.set_content("Résultats joints.")
    msg.add_attachment(CRITICAL, maintype="application", subtype="x-hprim", filename="res.hpr")
    meta = room.on_new_message(msg.as_bytes())
    assert meta["critical"] is True and meta["abnormal"] is True
    assert room.new_critical == 1
    assert room.documents.critical_count() == 1
    from core.mail.messages import FolderState

    (mid,) = room.messages.store_new(FolderState("cabinet", "INBOX", 1), [(1, [], msg.as_bytes(), meta)])
    (row,) = room.messages.rows(folder="INBOX")  # the list index: the marker needs no decoding
    assert row.id == mid and row.critical and room.messages.get(mid).to_json()["critical"] is True


def test_a_quarantined_letters_critical_result_never_makes_another_letter_urgent(tmp_path: Path) -> None:
    """A letter from outside the trust space is no news (Quarantaine, no push: 71242e6); its critical result is
    marked in Quarantaine but is not counted for the phone. It was: 'missive daemon' pushes nothing for it,
    the count stayed, and the next letter from a colleague rang the phone 'dont 1 urgent'. Anyone can send a
    critical-looking HPRIM file from anywhere."""
    from core.mailroom import Mailroom

    room = Mailroom.create(tmp_path / "profile", "une phrase de passe assez longue")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "x@ailleurs.example", "dr@cabinet.mssante.fr", "Résultats"
    msg["Message-ID"] = "<k2@ailleurs>"
    msg.set_content("Résultats joints.")
    msg.add_attachment(CRITICAL, maintype="application", subtype="x-hprim", filename="res.hpr")
    meta = room.on_new_message(msg.as_bytes())
    assert meta["trust"] == "quarantine" and meta["critical"] is True  # marked where it waits
    assert room.new_critical == 0  # nothing urgent for the phone


def test_the_phone_hears_only_counts() -> None:
    assert message_for(3) == "3 nouveaux messages sécurisés"
    assert message_for(3, 1) == "3 nouveaux messages sécurisés, dont 1 urgent"
    assert message_for(1, 2) == "1 nouveau message sécurisé, dont 1 urgent"
    assert message_for(4, 2) == "4 nouveaux messages sécurisés, dont 2 urgents"


def test_the_labs_copy_of_a_critical_result_first_seen_in_quarantine_rings(tmp_path: Path) -> None:
    """An outsider's letter with the lab's critical result arrives first (Quarantaine: no push), then the lab's
    own letter with the same file: a duplicate of the one waiting, it was no news either, and the critical
    result reached the phone never. A copy of a result already decided stays silent."""
    from core.mailroom import Mailroom

    Mailroom.create(tmp_path / "profile", "une phrase de passe assez longue")
    settings = tmp_path / "profile" / "profile.toml"
    settings.write_text(settings.read_text("utf-8").replace("allow = []", 'allow = ["labo.mssante.fr"]', 1))
    room = Mailroom.open(tmp_path / "profile", "une phrase de passe assez longue")

    def letter(sender: str, message_id: str) -> bytes:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, "dr@cabinet.mssante.fr", "Résultats"
        msg["Message-ID"] = message_id
        msg.set_content("Résultats joints.")
        msg.add_attachment(CRITICAL, maintype="application", subtype="x-hprim", filename="res.hpr")
        return msg.as_bytes()

    assert room.on_new_message(letter("x@ailleurs.example", "<k3@ailleurs>"))["trust"] == "quarantine"
    assert room.new_critical == 0
    meta = room.on_new_message(letter("labo@labo.mssante.fr", "<k3@labo>"))
    assert meta.get("trust") != "quarantine" and meta["critical"] is True
    assert room.new_critical == 1
    (first,) = [d for d in room.documents.list() if d.state == "waiting"]
    room.documents.reject(first.id, actor="dr")  # decided: set aside
    room.on_new_message(letter("labo@labo.mssante.fr", "<k3-bis@labo>"))
    assert room.new_critical == 2  # the set-aside one decides nothing of the lab's copy: waiting, news
    room.on_new_message(letter("labo@labo.mssante.fr", "<k3-ter@labo>"))
    assert room.new_critical == 3  # a copy of one still waiting: news again
