"""The demo's mail is really protected: signed lab results verify against the demo CA, encrypted ones open
with the doctor's key, one signature fails for a stated reason, the outsider is marked, a letter to the
colleague can be encrypted, letters in an IHE_XDM.ZIP are filed; each demo profile has its own server folder."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

from core.demo.build import demo_server_dir, protect
from core.demo.mail import COLLEAGUE, DOCTOR, LAB, LAB2, LAB_DESK, OUTSIDER, REPLACEMENT, DemoMail, _message
from core.demo.pki import CA_NAME, make_demo_pki
from core.mailroom import Mailroom
from core.secure.smime import StaticKeys, open_message
from tests.demo.conftest import BuiltDemo

WHEN = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def test_protected_demo_mail_opens_with_the_doctors_key_and_the_demo_ca() -> None:
    pki = make_demo_pki({DOCTOR: "Dr Paul MARTIN", LAB: "Laboratoire BIODEMO"})
    keys = StaticKeys([(pki[DOCTOR].key, pki[DOCTOR].cert)], [pki.ca.cert])
    raw = _message(LAB, "Résultats d'analyses", WHEN, "Résultats HPRIM en pièce jointe.").as_bytes()
    opened = open_message(protect(DemoMail(raw, "result-auto", sign_as=LAB, encrypt=True), pki), keys)
    assert opened.encrypted and opened.decrypted and opened.signed
    assert opened.signature is not None and opened.signature.valid, opened.signature
    assert opened.signature.signer == LAB
    body = email.message_from_bytes(opened.inner_mime_bytes, policy=email.policy.default).get_content()
    assert "Résultats HPRIM en pièce jointe." in body
    # without the demo CA the same signature is not trusted, and says why
    untrusted = open_message(protect(DemoMail(raw, "x", sign_as=LAB), pki), StaticKeys([], []))
    assert untrusted.signature is not None and not untrusted.signature.valid
    assert "autorité" in untrusted.signature.reason_text()


def test_a_signature_by_another_address_than_the_sender_fails_with_its_reason() -> None:
    pki = make_demo_pki({LAB: "Laboratoire BIODEMO"})
    raw = _message(LAB_DESK, "Résultats d'analyses", WHEN, "Résultats.").as_bytes()
    opened = open_message(
        protect(DemoMail(raw, "signed-mismatch", sign_as=LAB), pki), StaticKeys([], [pki.ca.cert])
    )
    assert opened.signature is not None and not opened.signature.valid
    assert "ne correspond pas au certificat" in opened.signature.reason_text()
    assert LAB_DESK in opened.signature.reason_text()


def test_each_demo_profile_has_its_own_server_folder(tmp_path: Path) -> None:
    one, two = demo_server_dir(tmp_path / "a"), demo_server_dir(tmp_path / "b")
    assert one != two
    assert demo_server_dir(tmp_path / "a") == one  # stable: a rebuild finds (and replaces) its own
    assert tmp_path / "a" not in one.parents and Path.home() not in one.parents


def test_the_built_demo_is_signed_encrypted_and_marked(built_demo: BuiltDemo) -> None:
    mr = Mailroom.open(built_demo.profile, "demo")
    listing = mr.keys.listing()
    assert [DOCTOR] == listing["own"][0]["emails"]
    assert any(CA_NAME in a["subject"] for a in listing["anchors"])
    assert mr.keys.cert_for(COLLEAGUE) is not None  # a letter to the colleague gets encrypted
    docs = {s.id: mr.messages.doc(s.id) for s in mr.messages.list()}
    senders = {mid: doc.get("from", "") for mid, doc in docs.items()}
    signature = {mid: doc.get("signature") or {} for mid, doc in docs.items()}
    lab_results = [mid for mid, sender in senders.items() if LAB in sender or LAB2 in sender]
    valid = [mid for mid in lab_results if signature[mid].get("valid")]
    assert len(valid) > 0.8 * len(lab_results), "most lab results are signed and verified"
    encrypted_valid = [mid for mid in valid if docs[mid].get("encrypted")]
    assert encrypted_valid, "some signed results were encrypted to the doctor and opened at sync"
    failed = {senders[mid]: signature[mid] for mid, sig in signature.items() if sig and not sig.get("valid")}
    assert sorted(failed) == sorted([LAB_DESK, REPLACEMENT])
    assert failed[LAB_DESK]["reason"] == "sig.address-mismatch"  # stored as a code (read in any language)
    # the replacement's certificate is on the demo CA's revocation list, kept in the profile
    assert failed[REPLACEMENT]["reason"] == "sig.cert-revoked"
    (crl,) = mr.keys.crls.listing()
    assert CA_NAME in crl["issuer"] and crl["entries"] == 1 and not crl["expired"]
    # every other valid signature was checked against it: no "revocation not checked" note
    assert all(sig.get("reason", "") == "" for sig in signature.values() if sig.get("valid"))
    marked = [senders[mid] for mid, doc in docs.items() if doc.get("trust") == "quarantine"]
    assert marked == [OUTSIDER]
    filed_letters = [q for q in mr.documents.filed() if q.format == "cda"]
    assert filed_letters, "letters sent in an IHE_XDM.ZIP name their patient and are filed"
    server = next(built_demo.tmp.glob("missive-demo-*"))
    assert (server / "maildir" / ".Sent" / "cur").is_dir()
    assert str(built_demo.profile) in built_demo.stdout and str(server) in built_demo.stdout
