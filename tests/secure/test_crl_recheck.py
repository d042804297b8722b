"""A revocation list arriving after letters were stored judges them again (no letter read again).

Letters are synced from a Maildir (a real Mailroom) while the profile holds no CRL: their signatures are valid
and their revocation unknown ("~" in the list). Then `trust update` brings the authority's CRL from a local
http server (as an IGC Santé distribution point would): a certificate revoked before missive had the letter in
hand makes it "certificat révoqué" (and quarantined in strict mode); revoked only after, the letter was signed
while the certificate held and stays valid; an invalidity date earlier than the revocation date counts from
itself (RFC 5280 §5.3.2). The signing time a letter claims is not relied upon: it is the signer's word."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from core.mail.account import Account
from core.mailroom import Mailroom
from core.secure import smime
from core.text import set_language
from tests.secure.pki import Party, make_ca, make_user
from tests.servers.files import FileServer

PASS = "correct horse battery staple"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DAY = dt.timedelta(days=1)
DOCTOR = "dr@cabinet.mssante.fr"


def crl_of(ca: Party, revoked: list[tuple[x509.Certificate, dt.datetime, dt.datetime | None]]) -> bytes:
    """``ca``'s CRL (DER, with its authority key identifier) listing each (certificate, revocation date,
    invalidity date or None)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(NOW - dt.timedelta(hours=1))
        .next_update(NOW + 7 * DAY)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)  # type: ignore[arg-type]
    )
    for cert, revoked_on, invalid_since in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(cert.serial_number).revocation_date(revoked_on)
        if invalid_since is not None:
            entry = entry.add_extension(x509.InvalidityDate(invalid_since.replace(tzinfo=None)), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)  # type: ignore[arg-type]


def letter(sender: Party, subject: str, n: int, to: Party | None = None) -> bytes:
    """A letter signed by ``sender`` (and encrypted to ``to``)."""
    san = sender.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    address = san.get_values_for_type(x509.RFC822Name)[0]
    body = (
        f"From: {address}\r\nTo: {DOCTOR}\r\nSubject: {subject}\r\nMessage-ID: <{n}@hopital.test>\r\n"
        f"Date: Mon, 07 Dec 2026 08:0{n}:00 +0000\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nCher confrère, voici le courrier.\r\n"
    ).encode()
    signed = smime.sign(body, sender.key, sender.cert)
    return smime.encrypt(signed, [to.cert]) if to is not None else signed


async def synced_letters(tmp_path: Path, ca: Party, letters: list[tuple[Party, str]]) -> Mailroom:
    """A profile in open trust mode that trusts ``ca``, with a Maildir account holding one letter signed by each
    (sender, subject) of ``letters``, synced once."""
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for n, (sender, subject) in enumerate(letters, 1):
        (root / "new" / f"{n}.host").write_bytes(letter(sender, subject, n))
    mr = Mailroom.create(tmp_path / "profile", PASS)
    mr.keys.trust(ca.cert)
    mr.save_settings({"trust": {"mode": "open"}})
    mr = Mailroom.open(tmp_path / "profile", PASS)
    mr.accounts.add(Account(name="cabinet", email=DOCTOR, kind="maildir", maildir=str(root)))
    await mr.sync()
    return mr


@pytest.fixture(autouse=True)
def french() -> None:
    set_language("fr")


@pytest.fixture
def crl_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = FileServer(tmp_path / "crl-files", tls=False).start()
    yield server
    server.stop()


def _by_subject(mr: Mailroom) -> dict[str, Any]:
    return {s.subject: s for s in mr.messages.list()}


async def test_a_crl_arriving_later_judges_the_stored_letters_again(tmp_path: Path, crl_server, monkeypatch) -> None:
    ca = make_ca("CA Santé de test")
    doctor = make_user("Dr Cabinet", [DOCTOR], ca)
    alice = make_user("Alice Martin", ["alice@hopital.test"], ca)
    dave = make_user("Dave Petit", ["dave@hopital.test"], ca)
    carol = make_user("Carol Roux", ["carol@hopital.test"], ca)
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    sent = {
        "alice avant": letter(alice, "alice avant", 1, doctor),
        "alice apres": letter(alice, "alice apres", 2, doctor),
        "carol": letter(carol, "carol", 3, doctor),
        "dave avant": letter(dave, "dave avant", 4, doctor),
    }
    for n, raw in enumerate(sent.values()):
        (root / "new" / f"{n}.host").write_bytes(raw)
    mr = Mailroom.create(tmp_path / "profile", PASS)
    mr.keys.trust(ca.cert)
    mr.keys.set_identity(doctor.key, doctor.cert, [ca.cert])
    mr.save_settings({"trust": {"mode": "strict"}})  # signed and encrypted only: a revoked signer is quarantined
    mr = Mailroom.open(tmp_path / "profile", PASS)
    mr.accounts.add(Account(name="cabinet", email=DOCTOR, kind="maildir", maildir=str(root)))
    await mr.sync()

    # no CRL yet: every signature valid, its revocation not checked — the list's mark says so ("unchecked")
    rows = _by_subject(mr)
    assert set(rows) == set(sent)
    for row in rows.values():
        assert row.signature.valid and row.signature.reason == "sig.revocation-unknown", row.signature
        assert row.signature.verdict == "unchecked"
    doc = mr.messages.doc(rows["alice apres"].id)
    (link,) = doc["sig_basis"]["chain"]  # the leaf; the anchor is not checked
    assert link["serial"] == format(alice.cert.serial_number, "x") and link["ca"] is False
    assert "trust" not in doc  # accepted in strict mode: signed and encrypted

    # "alice avant" and "dave avant" were in hand three days ago (what missive recorded when it synced them)
    for subject in ("alice avant", "dave avant"):
        message_id = rows[subject].id
        basis = mr.messages.doc(message_id)["sig_basis"]
        mr.messages.update_meta(message_id, sig_basis={**basis, "seen": (NOW - 3 * DAY).isoformat()})

    # Alice's later letter and Carol's had their documents filed (as the sync's filing marks them)
    for subject in ("alice apres", "carol"):
        mr.messages.update_meta(rows[subject].id, filed=True)

    # Alice revoked two days ago; Dave revoked yesterday, his key known compromised five days ago
    crl_server.serve(
        "/ca.crl", crl_of(ca, [(alice.cert, NOW - 2 * DAY, None), (dave.cert, NOW - DAY, NOW - 5 * DAY)])
    )

    def never_read(*_args: Any) -> bytes:
        raise AssertionError("a letter was read again")

    monkeypatch.setattr(mr.messages, "get_raw", never_read)
    monkeypatch.setattr(mr.messages.blobs, "get", never_read)
    update = mr.update_crls([crl_server.url("/ca.crl")])
    monkeypatch.undo()
    assert update.failures == []
    assert "4 lettres reçues : vérification de la signature revue avec la liste de révocation" in update.lines
    # the filed letter now revoked is said (its documents came on a signature that no longer holds); Carol's not
    assert "dont 1 lettres dont des documents ont déjà été classés : leur signature n'est plus reconnue" in (
        " ".join(update.lines)
    )

    rows = _by_subject(mr)  # the list, read from the list index as the app reads it
    verdicts = {subject: (row.signature.verdict, row.signature.reason) for subject, row in rows.items()}
    assert verdicts == {
        "alice avant": ("good", ""),  # signed while her certificate held: still valid, and now checked
        "alice apres": ("bad", "sig.cert-revoked"),
        "carol": ("good", ""),
        "dave avant": ("bad", "sig.cert-revoked"),  # invalid since five days ago, before the letter came
    }
    said = rows["alice apres"].signature.reason_text()
    assert said.startswith(f"certificat révoqué le {(NOW - 2 * DAY).strftime('%d/%m/%Y')}"), said
    # the reader says the stored verdict
    view = mr.read_message(rows["alice apres"].id)
    assert view.signature is not None and view.signature.reason == "sig.cert-revoked"
    # strict mode: a letter whose signer was revoked before it came goes to the quarantine, the others stay
    quarantined = {s for s in rows if mr.messages.doc(rows[s].id).get("trust") == "quarantine"}
    assert quarantined == {"alice apres", "dave avant"}

    # the same list again (a 304): nothing to judge again
    update = mr.update_crls([crl_server.url("/ca.crl")])
    assert update.authorities == [] and not any("lettres reçues" in line for line in update.lines)


async def test_letters_stored_by_an_older_version_are_read_once_then_judged(
    tmp_path: Path, crl_server, monkeypatch
) -> None:
    """Letters stored before verdicts kept their chain (no ``sig_basis``) would keep "~" (or an unchecked ✓)
    forever: the first list that changes opens each of them once to learn its chain, keeps its verdict, and judges
    it; the time missive had it in hand is not known, so only a revocation before now counts. After that no
    letter is read again."""
    ca = make_ca("CA Santé de test")
    alice = make_user("Alice Martin", ["alice@hopital.test"], ca)
    carol = make_user("Carol Roux", ["carol@hopital.test"], ca)
    mr = await synced_letters(tmp_path, ca, [(alice, "alice"), (carol, "carol")])
    rows = _by_subject(mr)
    for row in rows.values():  # as an older version stored them: the verdict, no chain
        doc = mr.messages.doc(row.id)
        del doc["sig_basis"]
        mr.messages.docs.put(row.id, doc)

    crl_server.serve("/ca.crl", crl_of(ca, [(alice.cert, NOW - 2 * DAY, None)]))
    update = mr.update_crls([crl_server.url("/ca.crl")])
    assert update.failures == [] and "2 lettres reçues" in " ".join(update.lines)
    rows = _by_subject(mr)
    assert {s: (r.signature.verdict, r.signature.reason) for s, r in rows.items()} == {
        "alice": ("bad", "sig.cert-revoked"),
        "carol": ("good", ""),
    }
    assert all(mr.messages.doc(r.id)["sig_basis"]["chain"] for r in rows.values())

    # the authority's next list (Carol revoked, after the letters came... as far as "now" goes: not before)
    def never_read(*_args: Any) -> bytes:
        raise AssertionError("a letter was read again")

    # (after the letter was stored: from the clock now, not NOW, taken when the module was imported, which a long
    # run of the suite leaves many minutes before the sync above)
    after_storing = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=5)
    later = crl_of(ca, [(alice.cert, NOW - 2 * DAY, None), (carol.cert, after_storing, None)])
    crl_server.serve("/ca.crl", later)
    monkeypatch.setattr(mr.messages, "get_raw", never_read)
    monkeypatch.setattr(mr.messages.blobs, "get", never_read)
    update = mr.update_crls([crl_server.url("/ca.crl")])
    monkeypatch.undo()
    assert update.failures == [] and update.authorities  # the list changed; nothing was read again
    assert _by_subject(mr)["carol"].signature.verdict == "good"  # revoked after missive had it in hand
