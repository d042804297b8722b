"""Files written by others, the way a doctor meets them: each is the attachment of a letter the real Dovecot
delivers, missive syncs it, the document waits in À classer (no patient of the practice is named), and the
reader shows what the file says: HL7's CDA sample (a peak flow of 260 l/min, not '260 - 1'), NIST's blood
count (its morphology findings whole), LinuxForHealth's report sent as OBX TX lines (text, not results
without a name), the ANS's antepartum summary (its last menstrual period a date, not '20221201') and the ANS's
HL7 lab report (its units printed: '10⁹/L', not '10*9/L')."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from core.mailroom import Mailroom
from tests.conformance.test_clinical_corpus import DATA
from tests.mail.helpers import imap_account
from tui.panes.reader import results_table

pytestmark = pytest.mark.servers
PASS = "correct horse battery staple"
PATIENTS = "id,birth_name,used_name,given_names,birth_date,sex,ins\np-1,DURAND,,MARIE,1970-01-01,F,\n"
FILES = {
    "cda": DATA / "hl7-cda" / "clinicaldocument-example.xml",
    "cbc": DATA / "fhir-converter" / "LRI_2.0-NG_CBC_Typ_Message.hl7",
    "echo": DATA / "hl7v2" / "linuxforhealth_ORU-multiline-short-mixed.hl7",
    # the ANS's antepartum summary (a date as a result) and its HL7 lab report (UCUM units), corpus5
    "obp": DATA / "ans-cda" / "OBP-SAP_2024.01.xml",
    "oru": DATA / "ans" / "message_ORU_CR_Bio_INIT_N3_SEGUR.hl7",
}


def letter(tag: str, path: Path) -> bytes:
    return (
        (
            f"From: labo@missive.test\r\nTo: doc@missive.test\r\nSubject: Compte rendu {tag}\r\n"
            f"Message-ID: <{tag}@missive.test>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n--b\r\n"
            f'Content-Type: application/octet-stream; name="{path.name}"\r\n'
            f'Content-Disposition: attachment; filename="{path.name}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode()
        + base64.encodebytes(path.read_bytes())
        + b"--b--\r\n"
    )


def test_files_of_others_read_through_a_sync(mail_servers, tmp_path: Path) -> None:
    user = mail_servers.add_user("corpus")
    for tag, path in FILES.items():
        mail_servers.deliver(user, letter(tag, path))
    profile = tmp_path / "p"
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace("allow = []", 'allow = ["missive.test"]', 1), "utf-8"
    )
    room = Mailroom.open(profile, PASS)
    room.patients.import_csv(PATIENTS.encode(), name="patients.csv")
    room.accounts.add(imap_account(mail_servers, user))

    asyncio.run(room.sync())

    room = Mailroom.open(profile, PASS)
    pending, filed = room.review_items()
    assert filed == []  # none names a patient of the practice: each waits for the doctor
    assert sorted(i.message_id for i in pending) == sorted(f"<{tag}@missive.test>" for tag in FILES)
    summaries, _ = room.list_messages()
    by_tag = {s.message_id.strip("<>").split("@")[0]: s.id for s in summaries}

    (cda,) = [d.content for d in room.read_message(by_tag["cda"]).documents]
    assert cda.identity.family_name == "Levin"
    peak = next(line for line in results_table(cda).plain.splitlines() if "Peak flow" in line)
    assert peak.split() == ["Peak", "flow", "260", "l/min"]

    (cbc,) = [d.content for d in room.read_message(by_tag["cbc"]).documents]
    lines = [line.strip() for line in results_table(cbc).plain.splitlines()]
    assert "Many spherocytes present." in lines and "Platelets show defective granulation." in lines

    (obp,) = [d.content for d in room.read_message(by_tag["obp"]).documents]
    lmp = next(line for line in results_table(obp).plain.splitlines() if "dernières règles" in line)
    assert lmp.split()[-1] == "01/12/2022"  # it read 20221201

    (oru,) = [d.content for d in room.read_message(by_tag["oru"]).documents]
    wbc = next(line for line in results_table(oru).plain.splitlines() if "Leucocytes [Nombre/Volume] Sang" in line)
    assert "8.2 10⁹/L" in wbc and "5–10" in wbc  # it read '8.2 10*9/L'

    (echo,) = [d.content for d in room.read_message(by_tag["echo"]).documents]
    assert "ED Encounter Arrival Date: [ADDRESS] [PERSONALNAME]:" in echo.text.splitlines()
    assert [o.code for o in echo.observations] == ["12345"]
