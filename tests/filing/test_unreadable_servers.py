"""A clinical file missive cannot read is put in front of a person, never silently kept aside.

Real files of tests/data, damaged as tests/clinical/test_identity_safety.py damages them (two files glued, a
header line lost, a document cut), arrive by mail through the real Dovecot and the sync hook, with automatic
filing on and an import folder set. Each ends up in the queue as ``unreadable`` with the reader's refusal as a
code, in À classer's upper list and its count, in `missive documents list`; never in the import folder, even
after the daemon's automatic round. The same damaged file in a second letter is one entry (its duplicate); the
same letter synced again adds nothing. A JPEG and a PDF letter (not clinical files by themselves) never become
unreadable entries. A person files one by hand, marks another dealt with: both audited with who did it. The log
carries ids and codes only.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path

import pytest

from core.mailroom import Mailroom
from tests.mail.helpers import imap_account

pytestmark = pytest.mark.servers
PASS = "correct horse battery staple"
DATA = Path(__file__).resolve().parents[1] / "data"
HL7 = (DATA / "clinical" / "hl7v25_ORU_R01_CR-BIO_transport_ans.hl7").read_bytes()
HPRIM = (DATA / "clinical" / "hprim_net_cp1252_crlf.hpr").read_bytes()
CDA = (DATA / "clinical" / "cda_small.xml").read_bytes()
JPEG = (DATA / "filing" / "python.jpg").read_bytes()
PDF_LETTER = (DATA / "filing" / "letter.pdf").read_bytes()
PATIENTS = (
    "id,birth_name,used_name,given_names,birth_date,sex,ins\n"
    "P-1,MÜLLER,LEFÈVRE,Jean-Pierre Marie,1968-04-12,M,\n"
    "P-2,DURAND,,Claire,1971-02-03,F,\n"
)
# the damaged files, as test_identity_safety makes them: an HPRIM Net file glued after an HL7 message, an
# HPRIM Net header with its third line lost (the identity shifted), a CDA cut in the middle
GLUED = HL7 + b"\r\n" + HPRIM
_LINES = HPRIM.split(b"\r\n")
SHIFTED = b"\r\n".join(_LINES[:2] + _LINES[3:])
CUT = CDA[: len(CDA) // 2]
HEALTH = ("MÜLLER", "MULLER", "LEFÈVRE", "LEFEVRE", "Jean-Pierre", "1968", "DURAND")


def letter(tag: str, *files: tuple[str, str, bytes]) -> bytes:
    parts = b"".join(
        (
            f'--b\r\nContent-Type: {ctype}; name="{name}"\r\n'
            f'Content-Disposition: attachment; filename="{name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode()
        + base64.encodebytes(data)
        for name, ctype, data in files
    )
    return (
        (
            f"From: labo@missive.test\r\nTo: doc@missive.test\r\nSubject: Resultats {tag}\r\n"
            f"Message-ID: <{tag}@missive.test>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n"
        ).encode()
        + parts
        + b"--b--\r\n"
    )


def practice(mail_servers, tmp_path: Path, user: str) -> tuple[Path, Path]:
    """A profile trusting missive.test, filing automatically into ``lgc``, with two patients and the account."""
    profile, lgc = tmp_path / "profile", tmp_path / "lgc"  # (the ``cli`` fixture's profile folder)
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    text = settings.read_text("utf-8").replace("allow = []", 'allow = ["missive.test"]', 1)
    text = text.replace('folder = ""', f'folder = "{lgc}"', 1)
    assert "auto = true" in text
    settings.write_text(text, "utf-8")
    room = Mailroom.open(profile, PASS)
    room.patients.import_csv(PATIENTS.encode(), name="patients.csv")
    room.accounts.add(imap_account(mail_servers, user))
    room.close()
    return profile, lgc


def filed_files(lgc: Path) -> list[Path]:
    return [p for p in lgc.rglob("*") if p.is_file()] if lgc.exists() else []


def test_unreadable_clinical_files_wait_for_a_person(mail_servers, tmp_path: Path, caplog, cli) -> None:
    caplog.set_level(logging.DEBUG, logger="missive")
    user = mail_servers.add_user("unreadable")
    mail_servers.deliver(user, letter("glued", ("cr.hl7", "application/octet-stream", GLUED)))
    mail_servers.deliver(user, letter("shifted", ("res.hpr", "application/octet-stream", SHIFTED)))
    mail_servers.deliver(user, letter("cut", ("cr.xml", "application/hl7-cda+xml", CUT)))
    # the same glued file again, in another letter (the lab sent it twice)
    mail_servers.deliver(user, letter("glued-again", ("cr.hl7", "application/octet-stream", GLUED)))
    # not clinical files: a photo and a PDF letter
    mail_servers.deliver(
        user,
        letter("other", ("photo.jpg", "image/jpeg", JPEG), ("lettre.pdf", "application/pdf", PDF_LETTER)),
    )
    # a readable result beside: still filed automatically
    mail_servers.deliver(user, letter("good", ("res.hpr", "application/octet-stream", HPRIM)))
    profile, lgc = practice(mail_servers, tmp_path, user)

    room = Mailroom.open(profile, PASS)
    asyncio.run(room.sync())
    asyncio.run(room.sync())  # the same letters again: nothing more

    docs = room.documents.list()
    by_message = {(d.message_id, d.state): d for d in docs}
    glued = by_message[("<glued@missive.test>", "unreadable")]
    shifted = by_message[("<shifted@missive.test>", "unreadable")]
    cut = by_message[("<cut@missive.test>", "unreadable")]
    assert (glued.unreadable, glued.format) == ("clinical.hl7v2.ligne-non-segment", "hl7v2")
    assert (shifted.unreadable, shifted.format) == ("clinical.hprim_net.entete-decale", "hprim-net")
    assert (cut.unreadable, cut.format) == ("clinical.cda.xml-mal-forme-ligne", "cda")
    copy = by_message[("<glued-again@missive.test>", "duplicate")]
    assert copy.duplicate_of == glued.id and copy.unreadable == glued.unreadable
    assert sorted(d.state for d in docs if d.message_id == "<other@missive.test>") == ["waiting"]  # the PDF only
    assert not any(d.unreadable for d in docs if d.message_id in ("<other@missive.test>", "<good@missive.test>"))
    assert by_message[("<good@missive.test>", "filed")].patient_id == "P-1"
    assert len(docs) == 6  # glued, its copy, shifted, cut, the PDF letter, the good result: nothing twice
    assert room.documents.raw(glued.id) == GLUED  # the file kept as it came (encrypted in the profile)

    # À classer: the three in the upper list, counted, each saying what could not be read; never filed
    pending, decided = room.review_items()
    unreadable = [i for i in pending if i.unreadable]
    assert {i.id for i in unreadable} == {glued.id, shifted.id, cut.id}
    assert [i.id for i in pending[:3]] == [i.id for i in unreadable]  # before the PDF letter (undated)
    assert room.review_count() == len(pending) == 4
    assert copy.id in {i.id for i in decided}
    note = next(i for i in unreadable if i.id == glued.id).unreadable_note
    assert note.startswith("fichier HL7 v2 reçu mais illisible : le fichier HL7 contient une ligne")
    for daemon_task in room.daemon_tasks():  # the daemon's automatic round files none of them
        if daemon_task.__name__ == "auto_file":
            asyncio.run(daemon_task())
    assert len(filed_files(lgc)) == 1
    room.close()

    # the command line lists them with their state and what to do
    code, out, _ = cli("documents", "list")
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert rows[glued.id].split()[1] == "illisible"
    assert "fichier HL7 v2 reçu mais illisible" in rows[glued.id]
    assert f"missive documents dealt {glued.id}" in rows[glued.id]
    assert rows[copy.id].split()[1] == "doublon"
    code, out, _ = cli("documents", "list", "--json")
    assert '"unreadable": "clinical.cda.xml-mal-forme-ligne"' in out
    rows = [json.loads(li) for li in cli("messages", "list", "--json")[1].splitlines()]
    letter_id = next(r["id"] for r in rows if r["subject"] == "Resultats glued")
    code, out, _ = cli("messages", "show", letter_id)  # the letter says what became of its file
    assert code == 0 and "fichier HL7 v2 reçu mais illisible" in out and f"missive documents dealt {glued.id}" in out

    # a person: the shifted HPRIM file filed by hand for P-1, the cut CDA marked dealt with, both audited
    code, out, err = cli("file", shifted.id, "--patient", "P-1")
    assert code == 0, err
    code, out, err = cli("documents", "dealt", cut.id)
    assert code == 0 and out.startswith(f"marqué traité : {cut.id}"), err
    code, out, err = cli("documents", "dealt", glued.id + "x")
    assert code != 0 and "Traceback" not in err
    code, _, err = cli("documents", "dealt", copy.id)  # a duplicate: act on the first
    assert code == 2 and f"doublon de {glued.id}" in err
    room = Mailroom.open(profile, PASS)
    assert room.documents.get(shifted.id).state == "filed"
    assert [p.read_bytes() for p in filed_files(lgc) if shifted.id in p.name] == [SHIFTED]
    assert room.documents.get(cut.id).state == "dealt"
    records = [(r["action"], r["object"], r.get("via")) for r in room.audit.records()]
    assert {a for a, o, _ in records if o == glued.id} == {"unreadable"}  # recorded at arrival, nothing since
    assert ("file", shifted.id, "cli") in records and ("dealt-with", cut.id, "cli") in records  # who: the OS user
    dealt = next(r for r in room.audit.records() if r["action"] == "dealt-with")
    assert dealt["details"]["reason"] == "clinical.cda.xml-mal-forme-ligne"
    assert [i.id for i in room.review_items()[0] if i.unreadable] == [glued.id]
    assert room.review_count() == 2
    room.close()

    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "clinical.hl7v2.ligne-non-segment" in logged
    for health in HEALTH:
        assert health not in logged

