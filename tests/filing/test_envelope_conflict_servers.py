"""Through the real Dovecot and the sync hook: an HL7 ORU whose PID names one patient and whose embedded CDA
names another (no INS on either side) is never filed automatically, even though the CDA's traits match one
patient of the practice exactly; it waits in À classer with the core's reason, both identities and both
patients as candidates. The same report whose PID agrees is filed at sync. No name reaches the log."""

from __future__ import annotations

import asyncio
import base64
import logging
from pathlib import Path

import pytest

from core.mailroom import Mailroom
from tests.clinical.test_envelope_conflict import VINCI, oru
from tests.mail.helpers import imap_account

pytestmark = pytest.mark.servers
PASS = "correct horse battery staple"
PATIENTS = (
    "id,birth_name,used_name,given_names,birth_date,sex,ins\n"
    "p-trois,PAT-TROIS,,DOMINIQUE,1979-03-28,F,\n"
    "p-vinci,DE VINCI,,LEONARD,1952-04-15,M,\n"
)


def letter(tag: str, report: bytes) -> bytes:
    return (
        (
            f"From: labo@missive.test\r\nTo: doc@missive.test\r\nSubject: Resultats {tag}\r\n"
            f"Message-ID: <{tag}@missive.test>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n--b\r\n"
            'Content-Type: application/octet-stream; name="cr.hl7"\r\n'
            'Content-Disposition: attachment; filename="cr.hl7"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode()
        + base64.encodebytes(report)
        + b"--b--\r\n"
    )


def test_a_pid_naming_another_patient_holds_the_report_for_review(mail_servers, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="missive")
    user = mail_servers.add_user("envelope")
    mail_servers.deliver(user, letter("conflict", oru(pid_traits=VINCI, pid_ins=False, cda_ins=False)))
    mail_servers.deliver(user, letter("agree", oru(pid_ins=False, cda_ins=False)))
    profile = tmp_path / "p"
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    text = settings.read_text("utf-8").replace("allow = []", 'allow = ["missive.test"]', 1)
    text = text.replace('folder = ""', f'folder = "{tmp_path / "lgc"}"', 1)
    assert "auto = true" in text
    settings.write_text(text, "utf-8")
    room = Mailroom.open(profile, PASS)
    room.patients.import_csv(PATIENTS.encode(), name="patients.csv")
    room.accounts.add(imap_account(mail_servers, user))

    asyncio.run(room.sync())

    room = Mailroom.open(profile, PASS)
    pending, filed = room.review_items()
    assert [(i.message_id, i.patient_id) for i in filed] == [("<agree@missive.test>", "p-trois")]
    (held,) = pending
    assert held.message_id == "<conflict@missive.test>" and held.decision == "review" and held.patient is None
    assert held.conflict == "l'en-tête HL7 (PID) et le document nomment deux patients différents"
    assert held.identity.family_name == "PAT-TROIS"
    assert held.envelope is not None and held.envelope.family_name == "DE VINCI"
    assert [c.patient_id for c, _ in held.candidates] == ["p-trois", "p-vinci"]
    assert len([p for p in (tmp_path / "lgc").rglob("*") if p.is_file()]) == 1  # only the agreeing one
    # a later automatic round (the daemon's) leaves it waiting
    for task in room.daemon_tasks():
        if task.__name__ == "auto_file":
            asyncio.run(task())
    assert [i.id for i in Mailroom.open(profile, PASS).review_items()[0]] == [held.id]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "held for review" in logged
    for health in ("PAT-TROIS", "DE VINCI", "DOMINIQUE", "LEONARD", "1952", "1979"):
        assert health not in logged
