"""A result filed from a letter whose signer turns out revoked is put in front of a person.

Signed lab letters (a test CA's certificates, real S/MIME) carrying an HPRIM result are synced from a Maildir into
a real profile that files into an import folder: each result is filed automatically (one is then filed again by
hand). Later `trust update` brings the CA's revocation list (served on 127.0.0.1): a signer revoked before missive
had the letter makes each document filed from it wait in À classer (« signataire révoqué après classement »),
naming the patient's id and the file's name in the import folder, counted, said to the app (``RevokedFiled``), in
`missive documents list` and its JSON, and in the reader; the file stays where it is. A person marks it checked
(x / `documents dealt`), audited. A signer revoked only after missive had the letter leaves its documents alone,
and a second list adds nothing twice."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from core.events import MailroomEvent, RevokedFiled
from core.mail.account import Account
from core.mailroom import Mailroom
from core.secure import smime
from tests.secure.pki import Party, make_ca, make_user
from tests.secure.test_crl_recheck import DAY, NOW, PASS
from tests.servers.files import FileServer

RESULT = (Path(__file__).resolve().parents[1] / "data" / "filing" / "hprim_net_cp1252_crlf.hpr").read_bytes()
PATIENTS = (
    "id,birth_name,used_name,given_names,birth_date,sex,ins\n"
    "P-1,MÜLLER,LEFÈVRE,Jean-Pierre Marie,1968-04-12,M,\n"
    "P-2,DURAND,,Claire,1971-02-03,F,\n"
)
DOCTOR = "dr@cabinet.mssante.fr"
HEALTH_DATA = ("MÜLLER", "MULLER", "LEFÈVRE", "LEFEVRE", "Jean-Pierre", "JEAN-PIERRE", "GLYCEMIE", "1968")


def crl_of(ca: Party, revoked: list[x509.Certificate], on: dt.datetime, issued: dt.datetime) -> bytes:
    """``ca``'s CRL issued at ``issued`` listing each of ``revoked`` as revoked on ``on``."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(issued)
        .next_update(NOW + 7 * DAY)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)  # type: ignore[arg-type]
    )
    for cert in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(cert.serial_number).revocation_date(on)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)  # type: ignore[arg-type]


def signed_result(lab: Party, address: str, n: int) -> bytes:
    """A letter signed by ``lab`` carrying a result of its own (its bytes differ from the others')."""
    encoded = base64.encodebytes(RESULT + f"\r\n{n}\r\n".encode())
    body = (
        (
            f"From: {address}\r\nTo: {DOCTOR}\r\nSubject: Resultats {n}\r\nMessage-ID: <r{n}@labo.test>\r\n"
            f"Date: Mon, 07 Dec 2026 08:0{n}:00 +0000\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n--b\r\n"
            'Content-Type: application/octet-stream; name="res.hpr"\r\n'
            'Content-Disposition: attachment; filename="res.hpr"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode()
        + encoded
        + b"--b--\r\n"
    )
    return smime.sign(body, lab.key, lab.cert)


async def filed_practice(tmp_path: Path, ca: Party, letters: list[tuple[Party, str]]) -> tuple[Mailroom, Path]:
    """A profile (``tmp_path/profile``) trusting ``ca``, filing automatically into ``tmp_path/lgc``, with two
    patients and a Maildir account holding one signed result per (signer, address) of ``letters``, synced once."""
    maildir, lgc = tmp_path / "Maildir", tmp_path / "lgc"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for n, (lab, address) in enumerate(letters, 1):
        (maildir / "new" / f"{n}.host").write_bytes(signed_result(lab, address, n))
    mr = Mailroom.create(tmp_path / "profile", PASS)
    mr.keys.trust(ca.cert)
    mr.save_settings({"trust": {"mode": "open"}, "filing": {"folder": str(lgc)}})
    mr = Mailroom.open(tmp_path / "profile", PASS)
    mr.patients.import_csv(PATIENTS.encode(), name="patients.csv")
    mr.accounts.add(Account(name="cabinet", email=DOCTOR, kind="maildir", maildir=str(maildir)))
    await mr.sync()
    return mr, lgc


def seen_at(mr: Mailroom, message_id: str, when: dt.datetime) -> None:
    """missive had the letter in hand at ``when`` (what its sync recorded)."""
    basis = mr.messages.doc(message_id)["sig_basis"]
    mr.messages.update_meta(message_id, sig_basis={**basis, "seen": when.isoformat()})


@pytest.fixture
def crl_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = FileServer(tmp_path / "crl-files", tls=False).start()
    yield server
    server.stop()


def _docs(mr: Mailroom) -> dict[str, Any]:
    """Message-ID -> its one queued document."""
    return {d.message_id: d for d in mr.documents.list()}


async def test_a_result_filed_then_found_from_a_revoked_signer_waits_for_a_check(
    tmp_path: Path, crl_server, cli, caplog
) -> None:
    ca = make_ca("CA Santé de test")
    alice = make_user("Labo Alice", ["alice@labo.test"], ca)  # her key stolen: revoked
    dave = make_user("Labo Dave", ["dave@labo.test"], ca)  # revoked only after missive had his letter
    carol = make_user("Labo Carol", ["carol@labo.test"], ca)
    mr, lgc = await filed_practice(
        tmp_path, ca, [(alice, "alice@labo.test"), (alice, "alice@labo.test"), (dave, "dave@labo.test")]
    )
    docs = _docs(mr)
    assert {mid: (d.state, d.decision, d.patient_id) for mid, d in docs.items()} == {
        f"<r{n}@labo.test>": ("filed", "auto", "P-1") for n in (1, 2, 3)
    }
    # the second of Alice's results is taken back and filed again by hand
    by_hand = docs["<r2@labo.test>"].id
    mr.undo_filing(by_hand, actor="tui")
    mr.file_document(by_hand, "P-1", actor="tui")
    docs = _docs(mr)
    files = {mid: Path(d.filed_path or "") for mid, d in docs.items()}
    assert all(f.parent == lgc and f.is_file() for f in files.values())
    assert mr.review_count() == 0
    rows = {s.subject: s.id for s in mr.messages.list()}
    seen_at(mr, rows["Resultats 3"], NOW - 3 * DAY)  # Dave's letter was in hand before his revocation

    heard: list[MailroomEvent] = []
    mr.subscribe(heard.append)
    hour = dt.timedelta(hours=1)
    crl_server.serve("/ca.crl", crl_of(ca, [alice.cert, dave.cert], NOW - 2 * DAY, NOW - hour))
    with caplog.at_level(logging.DEBUG):
        update = mr.update_crls([crl_server.url("/ca.crl")])
    assert update.failures == []
    said = " ".join(update.lines)
    assert "dont 2 lettres dont des documents ont déjà été classés" in said
    assert "2 documents classés à vérifier : ils sont dans À classer" in said

    # each document filed from Alice's letters (automatically, and by hand) waits for a person; Dave's does not
    docs = _docs(mr)
    alices = [docs["<r1@labo.test>"], docs["<r2@labo.test>"]]
    assert [(d.state, d.signer_revoked) for d in alices] == [("filed", "check")] * 2
    assert (docs["<r3@labo.test>"].state, docs["<r3@labo.test>"].signer_revoked) == ("filed", "")
    assert mr.review_count() == 2  # the status bar's count
    pending, filed = mr.review_items()
    assert sorted(i.id for i in pending) == sorted(d.id for d in alices)
    assert [i.id for i in filed] == [docs["<r3@labo.test>"].id]
    for item in pending:
        name = files[item.message_id].name
        assert item.set_aside == "dealt" and item.signer_revoked == "check"
        assert item.revoked_note == (
            f"classé pour le patient P-1 : fichier {name} du dossier d'import ; son signataire s'est révélé révoqué :"
            " vérifiez ce document dans le logiciel métier (le fichier n'a pas été retiré)"
        )
    # never taken out of the import folder: the practice software has imported them already
    assert all(f.is_file() for f in files.values()) and len(list(lgc.iterdir())) == 3
    [event] = [e for e in heard if isinstance(e, RevokedFiled)]
    assert (event.count, event.pending) == (2, 2)
    assert event.message == (
        "2 document(s) classé(s) d'après une lettre dont le signataire est révoqué : à vérifier dans le logiciel "
        "métier (voir À classer)"
    )
    logged = caplog.text
    assert "documents of a letter whose signer is revoked: 1 filed to check" in logged
    assert not [word for word in HEALTH_DATA if word in logged], logged
    records = [r for r in mr.audit.records() if r["action"] == "signer-revoked"]
    assert sorted(r["object"] for r in records) == sorted(d.id for d in alices)
    assert {r["actor"] for r in records} == {"auto"}

    # the reader of the letter says it
    view = mr.read_message(rows["Resultats 1"])
    [part] = view.documents
    assert part.queued is not None and part.queued.id == alices[0].id
    assert part.queued.revoked_note == mr.documents.revoked_note(alices[0])

    # `missive documents list`, and its JSON
    mr.close()
    code, out, _ = cli("documents", "list")
    assert code == 0
    line = next(row for row in out.splitlines() if row.startswith(alices[0].id))
    assert f"classé pour le patient P-1 : fichier {files['<r1@labo.test>'].name} du dossier d'import" in line
    assert f"puis missive documents dealt {alices[0].id} (vérifié)" in line
    dave_line = next(row for row in out.splitlines() if row.startswith(docs["<r3@labo.test>"].id))
    assert "révoqué" not in dave_line
    code, out, _ = cli("documents", "list", "--json")
    listed = {d["id"]: d["signer_revoked"] for d in map(json.loads, out.splitlines())}
    assert listed == {alices[0].id: "check", alices[1].id: "check", docs["<r3@labo.test>"].id: None}

    # a person checked the first one in the practice software: out of À classer, still filed, audited
    code, out, _ = cli("documents", "dealt", alices[0].id)
    assert code == 0 and out.strip() == f"vérifié : {alices[0].id} (toujours classé ; le fichier reste dans le dossier d'import)"
    mr = Mailroom.open(tmp_path / "profile", PASS)
    checked = mr.documents.get(alices[0].id)
    assert (checked.state, checked.signer_revoked) == ("filed", "checked") and files["<r1@labo.test>"].is_file()
    assert mr.review_count() == 1
    assert mr.mark_dealt_with(alices[1].id, actor="tui").signer_revoked == "checked"
    assert mr.review_count() == 0
    dealt = [r["object"] for r in mr.audit.records() if r["action"] == "dealt-with"]
    assert dealt == [alices[0].id, alices[1].id]  # who: the user's name, as every decision's record

    # a newer list (Carol revoked too): Alice's letters are not judged twice, nothing waits again
    heard.clear()
    mr.subscribe(heard.append)
    crl_server.serve("/ca.crl", crl_of(ca, [alice.cert, dave.cert, carol.cert], NOW - 2 * DAY, NOW - hour / 2))
    update = mr.update_crls([crl_server.url("/ca.crl")])
    assert update.failures == [] and update.authorities, update.lines
    assert not any("à vérifier" in line for line in update.lines)
    assert mr.review_count() == 0 and not [e for e in heard if isinstance(e, RevokedFiled)]
    assert len([r for r in mr.audit.records() if r["action"] == "signer-revoked"]) == 2


async def test_flagged_once_however_often_the_letters_are_judged(tmp_path: Path) -> None:
    """The queue's own rule: a document already put in front of a person (or checked) is not put there again."""
    ca = make_ca("CA Santé de test")
    alice = make_user("Labo Alice", ["alice@labo.test"], ca)
    mr, _lgc = await filed_practice(tmp_path, ca, [(alice, "alice@labo.test")])
    [doc] = mr.documents.list()
    [store_id] = doc.store_ids
    found, withdrawn = mr.documents.signer_revoked_found(store_id, doc.message_id)
    assert [d.id for d in found] == [doc.id] and withdrawn == 0
    assert mr.documents.signer_revoked_found(store_id, doc.message_id) == ([], 0)
    mr.mark_dealt_with(doc.id, actor="tui")
    assert mr.documents.signer_revoked_found(store_id, doc.message_id) == ([], 0)
    assert mr.documents.get(doc.id).signer_revoked == "checked" and mr.review_count() == 0


async def test_a_result_still_waiting_to_be_filed_automatically_waits_for_a_person(tmp_path: Path) -> None:
    """A document of such a letter not filed yet (the import folder unreachable at the sync, say) is no longer
    filed without a click: the matcher's automatic decision is withdrawn, as for a signature that fails at sync."""
    ca = make_ca("CA Santé de test")
    alice = make_user("Labo Alice", ["alice@labo.test"], ca)
    mr, lgc = await filed_practice(tmp_path, ca, [(alice, "alice@labo.test")])
    [doc] = mr.documents.list()
    mr.documents.take_back(doc.id, actor="tui")  # as if never filed: waiting, the matcher's decision automatic
    mr.documents.docs.put(doc.id, {**mr.documents.docs.get(doc.id), "decision": "auto", "patient_id": "P-1"})
    assert mr.documents.get(doc.id).decision == "auto" and not list(lgc.iterdir())
    [store_id] = doc.store_ids
    assert mr.documents.signer_revoked_found(store_id, doc.message_id) == ([], 1)
    assert mr.documents.auto_file() == [] and mr.documents.get(doc.id).decision == "review"
    assert not list(lgc.iterdir())
