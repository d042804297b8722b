"""A lab letter whose HL7 results say '<=5' and '<5' for a result of 5, through a real sync: `missive messages
show` writes '≤ 5' (normal) and '< 5' (↑, abnormal) as the reader does, and counts one abnormal result. A
queue record stored by an older reader (its count said nothing about unflagged results) is shown with the
count of the results as read today; the stored record itself is left as it was."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.filing.test_mail_to_filing import synced_practice

ORU = "\r".join(
    [
        "MSH|^~\\&|LAB|LABO|MED|CAB|20260106120000||ORU^R01|M1|P|2.5",
        "PID|1||P1^^^LABO^PI||DURAND^CLAIRE||19710203|F",
        "OBR|1|O1|F1|CRP^CRP^L|||20260106090000",
        "OBX|1|NM|CRP^CRP^L||5|mg/L|<=5||||F",
        "OBX|2|NM|PCT^Procalcitonine^L||5|ng/mL|<5||||F",
        "",
    ]
).encode()


def letter() -> bytes:
    return (
        b"From: labo@labo-ormes.mssante.fr\r\nTo: dr@cabinet.mssante.fr\r\nSubject: Resultats\r\n"
        b"Message-ID: <incl@exemple>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n--b\r\n"
        b'Content-Type: application/octet-stream; name="res.hl7"\r\n'
        b'Content-Disposition: attachment; filename="res.hl7"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(ORU)
        + b"--b--\r\n"
    )


def test_messages_show_says_inclusive_and_exclusive_bounds(tmp_path: Path, cli) -> None:
    mr, _ = synced_practice(tmp_path, {"1.lab": letter()})
    [message] = mr.messages.list()
    [queued] = mr.documents.list()
    assert queued.abnormal == 1 and message.abnormal  # the list's mark: the procalcitonin at its strict limit
    code, out, _ = cli("messages", "show", message.id)
    assert code == 0
    crp = next(line for line in out.splitlines() if "CRP :" in line)
    pct = next(line for line in out.splitlines() if "Procalcitonine :" in line)
    assert "(réf. ≤ 5)" in crp and "↑" not in crp
    assert "(réf. < 5)" in pct and pct.lstrip().startswith("↑")
    assert "dont 1 anormal(aux)" in out

    # the record an older reader stored: no abnormal result (it had no flag); the record stays as it was
    record = dict(mr.documents.docs.get(queued.id))
    mr.documents.docs.put(queued.id, {**record, "abnormal": 0})
    code, out, _ = cli("messages", "show", message.id)
    assert "dont 1 anormal(aux)" in out and "(réf. ≤ 5)" in out
    assert mr.documents.docs.get(queued.id)["abnormal"] == 0
