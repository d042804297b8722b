"""The smime, keys and trust commands, against a real encrypted profile."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.secure import smime
from core.secure.smime import StaticKeys
from tests.secure.conftest import DATA

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def run(profile_dir: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]):
    """``missive --profile <tmp> ARGS`` in-process with bytes on stdin; (code, stdout bytes, stderr text)."""
    from tui.cli import main

    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASSPHRASE)

    def call(*args: str, stdin: bytes = b"") -> tuple[int, bytes, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(["--profile", str(profile_dir), *args])
        out, err = capsysbinary.readouterr()
        return code, out, err.decode()

    assert call("init")[0] == 0
    return call


@pytest.fixture
def bob_profile(run, pki, tmp_path, monkeypatch):
    """Bob's profile: his .p12 imported, the test root trusted, Alice's certificate added."""
    p12 = tmp_path / "bob.p12"
    p12.write_bytes(pki.bob.p12(b"p12-pass", [pki.inter.cert]))
    monkeypatch.setenv("MISSIVE_P12_PASSWORD", "p12-pass")
    code, out, err = run("keys", "import", str(p12))
    assert code == 0, err
    assert run("keys", "trust", str(pki.folder / "chain.pem"))[0] == 0  # root and intermediate
    assert run("keys", "add-cert", str(pki.alice.files["cert"]))[0] == 0
    return run


def test_keys_list_json_shows_everything_but_no_key(bob_profile):
    code, out, _ = bob_profile("keys", "list", "--json")
    listing = json.loads(out)
    assert code == 0
    assert listing["own"][0]["emails"] == ["bob@clinique.test"]
    assert {e for c in listing["certificates"] for e in c["emails"]} >= {
        "alice@hopital.test",
        "bob@clinique.test",
    }
    assert len(listing["anchors"]) == 2
    assert b"PRIVATE" not in out


def test_wrong_p12_password_is_one_line_exit_2(run, pki, tmp_path, monkeypatch):
    p12 = tmp_path / "bob.p12"
    p12.write_bytes(pki.bob.p12(b"right"))
    monkeypatch.setenv("MISSIVE_P12_PASSWORD", "wrong")
    code, out, err = run("keys", "import", str(p12))
    assert code == 2 and err.count("\n") == 1 and "mot de passe" in err


def test_encrypt_then_decrypt_and_alice_reads_it(bob_profile, pki, message, tmp_path):
    src = tmp_path / "m.eml"
    src.write_bytes(message)
    code, encrypted, err = bob_profile("smime", "encrypt", "--to", "alice@hopital.test", str(src))
    assert code == 0, err
    assert b"Veuillez" not in encrypted and b"X-MSS-NIL: DEV0000001" in encrypted
    alice = StaticKeys([(pki.alice.key, pki.alice.cert)], [pki.root.cert])
    assert b"Veuillez trouver" in smime.open_message(encrypted, alice).inner_mime_bytes
    code, plain, _ = bob_profile("smime", "decrypt", stdin=encrypted)  # the sender's copy is readable
    assert code == 0 and b"Veuillez trouver" in plain


def test_encrypt_to_unknown_or_patient_is_refused(bob_profile, message):
    code, _, err = bob_profile("smime", "encrypt", "--to", "nobody@hopital.test", stdin=message)
    assert code == 1 and "nobody@hopital.test" in err and "keys add-cert" in err
    code, _, err = bob_profile(
        "smime", "encrypt", "--to", "279035121518989@patient.mssante.fr", stdin=message
    )
    assert code == 1 and "279035121518989" not in err and "Mon espace santé" in err


def test_sign_verifies_with_openssl_and_with_missive(bob_profile, pki, message, openssl, tmp_path):
    msg = message.replace(b"alice@hopital.test", b"bob@clinique.test")
    for extra in ([], ["--opaque"]):
        code, signed, err = bob_profile("smime", "sign", *extra, stdin=msg)
        assert code == 0, err
        (tmp_path / "s.eml").write_bytes(signed)
        proc = openssl(
            "smime",
            "-verify",
            "-in",
            str(tmp_path / "s.eml"),
            "-CAfile",
            str(pki.root.files["cert"]),
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        code, out, _ = bob_profile("smime", "verify", "--json", str(tmp_path / "s.eml"))
        assert code == 0 and json.loads(out)["valid"] is True


def test_verify_json_and_exit_codes(bob_profile, pki, message, tmp_path):
    signed = smime.sign(message, pki.alice.key, pki.alice.cert, [pki.inter.cert])
    code, out, _ = bob_profile("smime", "verify", "--json", stdin=signed)
    result = json.loads(out)
    assert code == 0
    assert (
        result
        == {
            "valid": True,
            "signer": "alice@hopital.test",
            "subject": result["subject"],
            "reason": result["reason"],
        }
        and "Alice Martin" in result["subject"]
    )
    # no revocation list in the profile: valid, and saying its revocation was not checked
    assert result["reason"].startswith("révocation non vérifiée : aucune liste de révocation de Missive Test")
    code, out, _ = bob_profile("smime", "verify", "--json", stdin=signed.replace(b"Veuillez", b"Veuillex"))
    assert code == 1 and json.loads(out)["reason"] == "le message a été modifié après signature"
    code, out, _ = bob_profile("smime", "verify", stdin=message)
    assert code == 1 and "n'est pas signé" in out.decode()


def test_verify_harvests_the_signer_certificate(run, pki, message, tmp_path):
    assert run("keys", "trust", str(pki.root.files["cert"]))[0] == 0
    carol_msg = message.replace(b"alice@hopital.test", b"carol@labo.test")
    signed = smime.sign(carol_msg, pki.carol_ec.key, pki.carol_ec.cert, [pki.inter.cert])
    assert run("smime", "verify", stdin=signed)[0] == 0
    listing = json.loads(run("keys", "list", "--json")[1])
    assert any("carol@labo.test" in c["emails"] and c["source"] == "harvest" for c in listing["certificates"])


def test_garbage_input_is_one_line_error(bob_profile):
    for args, data in (
        (("smime", "verify"), b"Content-Type: application/pkcs7-mime\r\n\r\nAAAA"),
        (("smime", "decrypt"), b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\n!!!"),
        (("smime", "decrypt"), b"From: a@b.fr\r\n\r\nnot encrypted"),
    ):
        code, _, err = bob_profile(*args, stdin=data)
        assert code in (1, 2) and err.startswith("missive : ") and err.count("\n") == 1, err


def test_keys_add_cert_and_trust_refuse_the_wrong_kind(run, pki):
    code, _, err = run("keys", "trust", str(pki.alice.files["cert"]))
    assert code == 2 and "add-cert" in err
    code, _, err = run("keys", "add-cert", str(pki.root.files["cert"]))
    assert code == 2 and "keys trust" in err
    code, _, err = run("keys", "add-cert", "/no/such/file.pem")
    assert code == 1 and "/no/such/file.pem : fichier introuvable" in err


def test_trust_import_and_show(run):
    code, out, _ = run("trust", "import-whitelist", str(DATA / "listeblanchemssante.xml"))
    assert code == 0 and b"5 domaines" in out
    code, out, _ = run("trust", "show", "--json")
    info = json.loads(out)
    assert info["mode"] == "trust-space" and info["whitelist_domains"] == 5


def test_trust_import_refuses_a_whitelist_declaring_entities_in_utf16(run, tmp_path):
    """The whitelist decides who is in the trust space: a DOCTYPE in it is refused whatever its encoding (its
    entity was expanded, in UTF-16, into a domain of the list)."""
    ns = "https://listeblanche.mssante.fr/schema"
    xml = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE l [<!ENTITY a "evil.example">]>'
        f'<ListeBlanche xmlns="{ns}"><Domaine><Nom>&a;</Nom></Domaine></ListeBlanche>'
    )
    path = tmp_path / "listeblanchemssante.xml"
    path.write_bytes(xml.encode("utf-16"))
    code, _out, err = run("trust", "import-whitelist", str(path))
    assert code == 2 and "DOCTYPE" in err and err.count("\n") == 1, err
    code, out, _ = run("trust", "show", "--json")
    assert json.loads(out)["whitelist_domains"] == 0


def test_cli_reads_stdin_and_writes_stdout_as_a_real_process(pki, message, tmp_path):
    import os

    env = dict(os.environ, MISSIVE_PASSPHRASE=PASSPHRASE, MISSIVE_KDF_LOG2N="14", MISSIVE_P12_PASSWORD="x")
    prof = tmp_path / "prof"
    base = [sys.executable, "-m", "tui.cli", "--profile", str(prof)]
    root = Path(__file__).resolve().parents[2]
    (tmp_path / "b.p12").write_bytes(pki.bob.p12(b"x"))
    for args in (["init"], ["keys", "import", str(tmp_path / "b.p12")]):
        assert subprocess.run(base + args, env=env, cwd=root, capture_output=True, timeout=60).returncode == 0
    enc = subprocess.run(
        base + ["smime", "encrypt", "--to", "bob@clinique.test"],
        input=message,
        env=env,
        cwd=root,
        capture_output=True,
        timeout=60,
    )
    assert enc.returncode == 0, enc.stderr
    dec = subprocess.run(
        base + ["smime", "decrypt"], input=enc.stdout, env=env, cwd=root, capture_output=True, timeout=60
    )
    assert dec.returncode == 0 and b"Veuillez trouver" in dec.stdout
