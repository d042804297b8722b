"""Letters with two signers (made by `openssl cms -sign` with two `-signer`), synced into a real profile: each
signer's verdict and chain is stored with the letter (``signers``), the letter's verdict is the least trusting of
them (smime.letter_verdict) and every decision that uses it takes that one: the list's mark, automatic filing, the
trust space (strict mode's Quarantaine); a revocation list arriving later judges each signer again; the reader
(``MessageView.signers``) and `messages show` say each one. A letter stored before signers were kept (one
verdict, no ``signers``) reads as it did.

Before: the letter took the best signer's verdict: Alice's valid signature beside a stranger's read « valide »,
its result filed automatically, the stranger's « autorité non reconnue » never shown nor stored."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from core.mail.account import Account
from core.mailroom import Mailroom
from core.text import set_language
from tests.secure.pki import Party, make_ca, make_user
from tests.secure.test_crl_recheck import DAY, NOW, PASS
from tests.secure.test_crl_revoked_filed import PATIENTS, RESULT, crl_of
from tests.servers.files import FileServer

DOCTOR = "dr@cabinet.mssante.fr"
HOUR = dt.timedelta(hours=1)


def _letter(address: str, n: int) -> bytes:
    encoded = base64.encodebytes(RESULT + f"\r\n{n}\r\n".encode())
    return (
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


def signed_by(openssl: Any, folder: Path, n: int, address: str, *signers: Party, to: Party | None = None) -> bytes:
    """Letter ``n`` from ``address``, signed by each of ``signers`` with `openssl cms -sign` (one SignerInfo
    each), encrypted to ``to`` with `openssl cms -encrypt` when given."""
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / f"letter{n}.eml"
    src.write_bytes(_letter(address, n))
    args = ["cms", "-sign", "-md", "sha256", "-in", str(src)]
    for i, party in enumerate(signers):
        cert, key = folder / f"s{n}-{i}.crt", folder / f"s{n}-{i}.key"
        cert.write_bytes(party.cert_pem)
        key.write_bytes(party.key_pem)
        args += ["-signer", str(cert), "-inkey", str(key)]
    args += ["-from", address, "-to", DOCTOR, "-subject", f"Resultats {n}"]
    signed = openssl(*args).stdout
    if to is None:
        return bytes(signed)
    (folder / f"signed{n}.eml").write_bytes(signed)
    (folder / "to.crt").write_bytes(to.cert_pem)
    return bytes(
        openssl(
            "cms", "-encrypt", "-aes-256-cbc", "-in", str(folder / f"signed{n}.eml"), "-recip", str(folder / "to.crt"),
            "-from", address, "-to", DOCTOR, "-subject", f"Resultats {n}",
        ).stdout
    )  # fmt: skip


async def practice(tmp_path: Path, ca: Party, letters: list[bytes], mode: str, doctor: Party | None = None) -> Mailroom:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for n, raw in enumerate(letters, 1):
        (maildir / "new" / f"{n}.host").write_bytes(raw)
    mr = Mailroom.create(tmp_path / "profile", PASS)
    mr.keys.trust(ca.cert)
    if doctor is not None:
        mr.keys.set_identity(doctor.key, doctor.cert, [ca.cert])
    mr.save_settings({"trust": {"mode": mode}, "filing": {"folder": str(tmp_path / "lgc")}})
    mr = Mailroom.open(tmp_path / "profile", PASS)
    mr.patients.import_csv(PATIENTS.encode(), name="patients.csv")
    mr.accounts.add(Account(name="cabinet", email=DOCTOR, kind="maildir", maildir=str(maildir)))
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


def _rows(mr: Mailroom) -> dict[str, Any]:
    return {s.subject: s for s in mr.messages.list()}


def _signers(mr: Mailroom, message_id: str) -> list[tuple[str, bool, str]]:
    return [
        (e["signature"]["signer"], e["signature"]["valid"], e["signature"]["reason"])
        for e in mr.messages.doc(message_id)["signers"]
    ]


async def test_two_signers_stored_filed_and_judged_again(tmp_path: Path, openssl, crl_server, cli) -> None:
    ca = make_ca("CA Santé de test")
    lab = make_user("Labo Alice", ["alice@labo.test"], ca)
    carol = make_user("Labo Carol", ["carol@labo.test"], ca)  # a co-signer, revoked later
    stranger = make_user("Sam Stranger", ["sam@ailleurs.test"], make_ca("Unknown Root CA"))
    folder = tmp_path / "made"
    mr = await practice(
        tmp_path,
        ca,
        [
            signed_by(openssl, folder, 1, "alice@labo.test", lab, stranger),
            signed_by(openssl, folder, 2, "alice@labo.test", lab, carol),
            signed_by(openssl, folder, 3, "alice@labo.test", lab),
        ],
        "open",
    )
    rows = _rows(mr)
    # the list's mark: the stranger makes letter 1 not valid; 2 and 3 valid, their revocation not checked
    assert {s: (r.signature.verdict, r.signature.reason) for s, r in rows.items()} == {
        "Resultats 1": ("bad", "sig.chain-untrusted"),
        "Resultats 2": ("unchecked", "sig.revocation-unknown"),
        "Resultats 3": ("unchecked", "sig.revocation-unknown"),
    }
    assert sorted(_signers(mr, rows["Resultats 1"].id)) == [
        ("alice@labo.test", True, "sig.revocation-unknown"),
        ("sam@ailleurs.test", False, "sig.chain-untrusted"),
    ]
    assert "signers" not in mr.messages.doc(rows["Resultats 3"].id)  # one signer: one verdict, as before
    # filing: the letter the stranger signed too waits for a person; the others were filed automatically
    docs = {d.message_id: d for d in mr.documents.list()}
    assert {m: (d.state, d.decision) for m, d in docs.items()} == {
        "<r1@labo.test>": ("waiting", "review"),
        "<r2@labo.test>": ("filed", "auto"),
        "<r3@labo.test>": ("filed", "auto"),
    }
    # the reader: each signer's verdict, in the core's words
    view = mr.read_message(rows["Resultats 1"].id)
    assert view.signature is not None and not view.signature.valid
    assert sorted((s.signer, s.valid, s.reason_text()) for s in view.signers) == [
        ("alice@labo.test", True, "révocation non vérifiée : aucune liste de révocation de CA Santé de test dans le profil (« missive trust update »)"),
        ("sam@ailleurs.test", False, "autorité non reconnue (importez l'autorité avec « missive keys trust »)"),
    ]  # fmt: skip
    assert mr.read_message(rows["Resultats 3"].id).signers == ()

    # Carol revoked before missive had letter 2: the letter is revoked, Alice's signature on it now checked;
    # its document, filed automatically, waits for a check
    crl_server.serve("/ca.crl", crl_of(ca, [carol.cert], NOW - 2 * DAY, NOW - HOUR))
    update = mr.update_crls([crl_server.url("/ca.crl")])
    assert update.failures == []
    assert "3 lettres reçues" in " ".join(update.lines), update.lines
    rows = _rows(mr)
    assert {s: (r.signature.verdict, r.signature.reason) for s, r in rows.items()} == {
        "Resultats 1": ("bad", "sig.chain-untrusted"),
        "Resultats 2": ("bad", "sig.cert-revoked"),
        "Resultats 3": ("good", ""),
    }
    assert rows["Resultats 2"].signature.signer == "carol@labo.test"
    assert sorted(_signers(mr, rows["Resultats 2"].id)) == [
        ("alice@labo.test", True, ""),
        ("carol@labo.test", False, "sig.cert-revoked"),
    ]
    assert sorted(_signers(mr, rows["Resultats 1"].id))[0] == ("alice@labo.test", True, "")
    docs = {d.message_id: d for d in mr.documents.list()}
    assert (docs["<r2@labo.test>"].state, docs["<r2@labo.test>"].signer_revoked) == ("filed", "check")
    assert docs["<r3@labo.test>"].signer_revoked == ""

    # `messages show` says each signer; its JSON gives them
    letter2 = rows["Resultats 2"].id
    mr.close()
    code, out, _err = cli("messages", "show", letter2)
    assert code == 0
    lines = out.splitlines()
    assert any(line.startswith("Signé par : 2 signataires — signature non valide : certificat révoqué") for line in lines), out
    assert "  1. alice@labo.test — signature valide" in lines or "  2. alice@labo.test — signature valide" in lines, out
    revoked_on = (NOW - 2 * DAY).strftime("%d/%m/%Y")
    assert any(
        line.endswith(f". carol@labo.test — signature non valide : certificat révoqué le {revoked_on} par son autorité"
                      " (CA Santé de test) : la signature n'est plus reconnue")
        for line in lines
    ), out
    code, out, _err = cli("messages", "show", letter2, "--json")
    shown = json.loads(out)
    assert sorted((s["signer"], s["valid"]) for s in shown["signers"]) == [
        ("alice@labo.test", True),
        ("carol@labo.test", False),
    ]
    assert shown["signature"]["reason"] == "sig.cert-revoked"


async def test_strict_mode_quarantines_a_letter_a_stranger_signed_too(tmp_path: Path, openssl) -> None:
    """Strict mode accepts letters signed (valid) and encrypted: one Alice and a stranger signed goes to the
    Quarantaine, one Alice and Carol signed stays in the inbox."""
    ca = make_ca("CA Santé de test")
    doctor = make_user("Dr Cabinet", [DOCTOR], ca)
    lab = make_user("Labo Alice", ["alice@labo.test"], ca)
    carol = make_user("Labo Carol", ["carol@labo.test"], ca)
    stranger = make_user("Sam Stranger", ["sam@ailleurs.test"], make_ca("Unknown Root CA"))
    folder = tmp_path / "made"
    mr = await practice(
        tmp_path,
        ca,
        [
            signed_by(openssl, folder, 1, "alice@labo.test", lab, stranger, to=doctor),
            signed_by(openssl, folder, 2, "alice@labo.test", lab, carol, to=doctor),
        ],
        "strict",
        doctor,
    )
    rows = _rows(mr)
    assert rows["Resultats 1"].encrypted and rows["Resultats 2"].encrypted
    quarantined = {s for s, r in rows.items() if mr.messages.doc(r.id).get("trust") == "quarantine"}
    assert quarantined == {"Resultats 1"}
    assert not rows["Resultats 1"].signature.valid and rows["Resultats 2"].signature.valid
    docs = {d.message_id: d.state for d in mr.documents.list()}
    assert docs == {"<r1@labo.test>": "waiting", "<r2@labo.test>": "filed"}


async def test_a_letter_stored_before_signers_were_kept_learns_them_when_read(tmp_path: Path, openssl) -> None:
    """An earlier version stored one verdict, the best signer's (« valide » for Alice beside a stranger), and no
    ``signers``: opening the letter keeps each signer's verdict and the letter's becomes the least trusting one,
    the list's row given back to the app (``summary_repaired``). A letter with one signer reads as it did."""
    ca = make_ca("CA Santé de test")
    lab = make_user("Labo Alice", ["alice@labo.test"], ca)
    stranger = make_user("Sam Stranger", ["sam@ailleurs.test"], make_ca("Unknown Root CA"))
    made = tmp_path / "made"
    mr = await practice(
        tmp_path,
        ca,
        [signed_by(openssl, made, 1, "alice@labo.test", lab, stranger), signed_by(openssl, made, 2, "alice@labo.test", lab)],
        "open",
    )
    rows = _rows(mr)
    doc = mr.messages.doc(rows["Resultats 1"].id)
    alice = next(e["signature"] for e in doc["signers"] if e["signature"]["signer"] == "alice@labo.test")
    old = {k: v for k, v in doc.items() if k != "signers"}
    mr.messages.docs.put(rows["Resultats 1"].id, {**old, "signature": alice})  # as the older version stored it
    assert _rows(mr)["Resultats 1"].signature.valid

    view = mr.read_message(rows["Resultats 1"].id)
    assert view.signature is not None and (view.signature.valid, view.signature.reason) == (False, "sig.chain-untrusted")
    assert view.summary_repaired and view.summary.signature == view.signature
    assert sorted((s.signer, s.valid) for s in view.signers) == [("alice@labo.test", True), ("sam@ailleurs.test", False)]
    assert _rows(mr)["Resultats 1"].signature.verdict == "bad"  # the list says it too
    again = mr.read_message(rows["Resultats 1"].id)  # learnt once
    assert not again.summary_repaired and len(again.signers) == 2

    one = mr.read_message(rows["Resultats 2"].id)
    assert one.signers == () and not one.summary_repaired and one.signature is not None and one.signature.valid
    assert "signers" not in mr.messages.doc(rows["Resultats 2"].id)


async def test_a_letter_stored_before_chains_were_kept_learns_its_signers_at_the_next_list(
    tmp_path: Path, openssl, crl_server
) -> None:
    """A letter stored by a version that kept neither chain nor signers (its verdict the best signer's, valid)
    is opened once by the next revocation list that changes, as any such letter: it then keeps each signer's
    verdict, and takes the least trusting one (the stranger's)."""
    ca = make_ca("CA Santé de test")
    lab = make_user("Labo Alice", ["alice@labo.test"], ca)
    stranger = make_user("Sam Stranger", ["sam@ailleurs.test"], make_ca("Unknown Root CA"))
    mr = await practice(
        tmp_path, ca, [signed_by(openssl, tmp_path / "made", 1, "alice@labo.test", lab, stranger)], "open"
    )
    [row] = mr.messages.list()
    doc = mr.messages.doc(row.id)
    alice = next(e["signature"] for e in doc["signers"] if e["signature"]["signer"] == "alice@labo.test")
    old = {k: v for k, v in doc.items() if k not in ("signers", "sig_basis")}
    mr.messages.docs.put(row.id, {**old, "signature": alice})  # as the older version stored it: « valide »
    mr.messages.refresh_list_index()
    assert mr.messages.list()[0].signature.valid

    crl_server.serve("/ca.crl", crl_of(ca, [], NOW - 2 * DAY, NOW - HOUR))
    update = mr.update_crls([crl_server.url("/ca.crl")])
    assert update.failures == [] and "1 lettres reçues" in " ".join(update.lines), update.lines
    [row] = mr.messages.list()
    assert (row.signature.valid, row.signature.reason) == (False, "sig.chain-untrusted")
    assert sorted(_signers(mr, row.id)) == [
        ("alice@labo.test", True, ""),
        ("sam@ailleurs.test", False, "sig.chain-untrusted"),
    ]


def test_smime_verify_says_each_signer(tmp_path: Path, openssl, cli) -> None:
    """`missive smime verify` on a letter Alice and a stranger signed: the letter's verdict (not valid, exit 1),
    then each signer's line; `--json` gives them as "signers"."""
    ca = make_ca("CA Santé de test")
    lab = make_user("Labo Alice", ["alice@labo.test"], ca)
    stranger = make_user("Sam Stranger", ["sam@ailleurs.test"], make_ca("Unknown Root CA"))
    letter = tmp_path / "letter.eml"
    letter.write_bytes(signed_by(openssl, tmp_path / "made", 1, "alice@labo.test", lab, stranger))
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem)
    assert cli("init")[0] == 0
    assert cli("keys", "trust", str(tmp_path / "ca.pem"))[0] == 0
    code, out, _err = cli("smime", "verify", str(letter))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "Signature non valide (sam@ailleurs.test) : autorité non reconnue (importez l'autorité avec « missive keys"
        " trust »)"
    ), out
    assert sorted(line.split(". ", 1)[1] for line in lines[1:]) == [
        "alice@labo.test — signature valide ; révocation non vérifiée : aucune liste de révocation de CA Santé de"
        " test dans le profil (« missive trust update »)",
        "sam@ailleurs.test — signature non valide : autorité non reconnue (importez l'autorité avec « missive keys"
        " trust »)",
    ], out
    code, out, _err = cli("smime", "verify", "--json", str(letter))
    shown = json.loads(out)
    assert code == 1 and shown["valid"] is False
    assert sorted((s["signer"], s["valid"]) for s in shown["signers"]) == [
        ("alice@labo.test", True),
        ("sam@ailleurs.test", False),
    ]
