"""Mon espace santé through the real Postfix: a qualified INS gives the patient's address, the letter leaves
clear and signed with X-MSS-MES: FIN when asked; an unqualified INS, a typed INS and an unconfirmed
patient-and-colleague letter are refused before anything is queued."""

from __future__ import annotations

import email
from pathlib import Path

import pytest

from core.clinical.identity import nir_key
from core.errors import BadInput, PolicyRefused
from core.model import Draft
from tests.secure.pki import build_pki, make_user
from tests.send.test_receipts_servers import doctor

pytestmark = pytest.mark.servers


def nir(first13: str) -> str:
    return f"{first13}{nir_key(first13):02d}"


QUALIFIED, UNQUALIFIED = nir("2790351215189"), nir("1850275123456")
CSV = (
    "id,birth_name,given_names,birth_date,sex,ins,ins_status\n"
    f"P1,DUPONT,Jeanne,1979-03-28,F,{QUALIFIED},qualifiee\n"
    f"P2,MARTIN,Paul,1985-02-01,M,{UNQUALIFIED},provisoire\n"
)


def sent_copy(servers, address: str, message_id: str, folder: str = ".Sent") -> email.message.Message:
    """The letter in ``address``'s Maildir folder (Sent by default; "" for the INBOX), waiting for LMTP."""
    import time

    local, _, domain = address.partition("@")
    where = servers.root / "mail" / domain / local / "Maildir" / folder
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = _find(where, message_id)
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError("the letter never arrived")


def _find(folder: Path, message_id: str) -> email.message.Message | None:
    for sub in ("new", "cur"):
        for path in (folder / sub).iterdir() if (folder / sub).is_dir() else ():
            msg = email.message_from_bytes(path.read_bytes())
            if msg["Message-ID"] == message_id:
                return msg
    return None


async def test_letter_to_a_patient(mail_servers, tmp_path: Path) -> None:
    me = mail_servers.add_user("doctor")
    room = doctor(mail_servers, tmp_path / "me", "cabinet", me)
    toml = tmp_path / "me" / "profile.toml"
    toml.write_text(toml.read_text("utf-8").replace(
        f'allow = ["{mail_servers.domain}"]', f'allow = ["{mail_servers.domain}", "patient.mssante.fr"]', 1), "utf-8")  # fmt: skip
    from core.mailroom import Mailroom
    from tests.send.test_receipts_servers import PASS

    room = Mailroom.open(tmp_path / "me", PASS)
    pki = build_pki(tmp_path / "pki")
    party = make_user("Dr Test", [me], pki.inter)
    room.keys.set_identity(party.key, party.cert, [pki.inter.cert])
    room.patients.import_csv(CSV.encode())

    address = room.patient_mail_address("P1")
    assert address == f"{QUALIFIED}@patient.mssante.fr"
    with pytest.raises(PolicyRefused, match="n'est pas qualifiée") as refused:
        room.patient_mail_address("P2")
    assert UNQUALIFIED not in str(refused.value)  # the reason names the patient id, never the INS

    delivery = await room.send(
        Draft(to=(address,), subject="Vos resultats", body="Bonjour,\n", end_conversation=True)
    )
    copy = sent_copy(mail_servers, me, delivery.message_id)
    assert copy["X-MSS-MES"] == "FIN" and copy["Subject"] == "Vos resultats"  # no [FIN] unless configured
    assert copy.get_content_type() == "multipart/signed"  # signed, in clear: never encrypted to a patient
    assert "Bonjour" in copy.as_string()
    received = sent_copy(
        mail_servers, mail_servers.patient, delivery.message_id, folder=""
    )  # the patient's box
    assert received["X-MSS-MES"] == "FIN" and received.get_content_type() == "multipart/signed"

    typed = f"{UNQUALIFIED}@patient.mssante.fr"
    with pytest.raises(PolicyRefused, match="n'est pas qualifiée"):
        await room.send(Draft(to=(typed,), subject="x", body="x"))
    with pytest.raises(PolicyRefused, match="aucune INS de votre liste"):
        await room.send(Draft(to=(f"{nir('1700175123456')}@patient.mssante.fr",), subject="x", body="x"))
    colleague = mail_servers.add_user("colleague")
    with pytest.raises(BadInput, match="à la fois à un patient et à un confrère"):
        await room.send(Draft(to=(address, colleague), subject="x", body="x"))
    assert len(room.outbox) == 0  # nothing refused was queued
    mixed = await room.send(Draft(to=(address, colleague), subject="x", body="x", confirm_mixed=True))
    assert mixed.outcome == "sent"
    shown = room.describe_recipients([address, colleague])
    assert shown[address].label == f"DUPONT Jeanne · INS {QUALIFIED}" and shown[colleague].kind == "colleague"


async def test_fin_subject_convention_when_configured(mail_servers, tmp_path: Path) -> None:
    from core.mailroom import Mailroom
    from tests.send.test_receipts_servers import PASS

    me = mail_servers.add_user("doctor")
    doctor(mail_servers, tmp_path / "me", "cabinet", me)
    toml = tmp_path / "me" / "profile.toml"
    text = toml.read_text("utf-8").replace("fin_subject = false", "fin_subject = true", 1)
    toml.write_text(text.replace(
        f'allow = ["{mail_servers.domain}"]', f'allow = ["{mail_servers.domain}", "patient.mssante.fr"]', 1), "utf-8")  # fmt: skip
    room = Mailroom.open(tmp_path / "me", PASS)
    room.patients.import_csv(CSV.encode())
    address = room.patient_mail_address("P1")
    delivery = await room.send(Draft(to=(address,), subject="Vos resultats", body="Bonjour,\n", end_conversation=True))
    received = sent_copy(mail_servers, mail_servers.patient, delivery.message_id, folder="")
    assert received["Subject"] == "[FIN] Vos resultats" and received["X-MSS-MES"] == "FIN"
