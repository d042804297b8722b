"""A report dropped with its sidecar into the watched folder reaches the colleague through real servers."""

from __future__ import annotations

import datetime as dt
import json
import os
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from core.clinical.cda_writer import CdaAuthor
from core.clinical.readers import read_document
from core.mail.compose import header_value
from core.mail.outbox import Outbox
from core.mail.send import send_draft
from core.model import Draft, Patient
from core.store.profile import Profile
from core.watchfolder import WatchFolder
from tests.send.test_send_servers import alice, delivered, sent_folder

pytestmark = pytest.mark.servers
DATA = Path(__file__).resolve().parent.parent / "data" / "filing"
PATIENT = Patient("P-7", "MARTIN", "DUPONT", ("Jeanne",), dt.date(1956, 3, 14), "F", "279035121518989")


async def test_dropped_report_reaches_the_colleague_and_lands_in_sent(
    mail_servers, profile: Profile, tmp_path: Path
) -> None:
    outbox = Outbox(profile)
    sent = sent_folder(mail_servers)
    ids: list[str] = []

    async def send(draft: Draft) -> None:
        delivery = await send_draft(draft, alice(mail_servers), outbox, sent_for=lambda a: sent)
        ids.append(delivery.message_id)

    folder = tmp_path / "watch"
    folder.mkdir()
    watcher = WatchFolder(
        folder, send, patients=lambda pid: PATIENT, author=CdaAuthor("10001234567", "MEDECIN", "Paul")
    )
    pdf = (DATA / "letter.pdf").read_bytes()
    (folder / "CR_42.pdf").write_bytes(pdf)
    sidecar = {
        "to": [mail_servers.address("bob")],
        "subject": "Compte rendu",
        "body": "Cher confrère,\nci-joint.",
        "patient_id": "P-7",
        "xdm": True,
    }
    (folder / "CR_42.pdf.json").write_text(json.dumps(sidecar), "utf-8")
    old = os.stat(folder / "CR_42.pdf").st_mtime - 60
    for name in ("CR_42.pdf", "CR_42.pdf.json"):
        os.utime(folder / name, (old, old))

    result = await watcher.scan()
    assert result.sent == ["CR_42.pdf"], result
    assert sorted(p.name for p in (folder / "sent").iterdir()) == ["CR_42.pdf", "CR_42.pdf.json"]
    [message_id] = ids
    assert await delivered(mail_servers, "bob", message_id) == 1
    raw = next(
        p.read_bytes()
        for p in (mail_servers.maildir_of("bob") / "new").iterdir()
        if header_value(p.read_bytes()[:65536], "Message-ID") == message_id
    )
    message = message_from_bytes(raw, policy=policy.default)
    assert message["X-MSS-CODECDA"] == "11488-4" and message["X-MSS-INS"] == "O"
    parts = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert parts["CR_42.pdf"] == pdf
    [doc] = read_document(parts["IHE_XDM.ZIP"], "IHE_XDM.ZIP").documents
    assert doc.identity.ins == PATIENT.ins
