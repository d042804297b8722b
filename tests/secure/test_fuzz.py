"""Seeded byte mutations of real S/MIME messages raise nothing but missive's own errors.

10,000 inputs by default (MISSIVE_FUZZ_N to change): mutations of the MIME text and of the CMS DER
re-wrapped in MIME, so both the MIME splitter and the ASN.1 paths are exercised.
"""

from __future__ import annotations

import os
import random
import subprocess

import pytest

from core.errors import MissiveError
from core.secure import cms, smime
from core.secure.smime import StaticKeys

N = int(os.environ.get("MISSIVE_FUZZ_N", "10000"))


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3, 8))):
        if not buf:
            break
        op = rng.randrange(6)
        at = rng.randrange(len(buf))
        if op == 0:
            buf[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf[at] = rng.randrange(256)
        elif op == 2:
            del buf[at : at + rng.randrange(1, 64)]
        elif op == 3:
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
        elif op == 4:
            del buf[at:]  # truncation
        else:
            end = min(len(buf), at + rng.randrange(1, 128))
            buf[at:at] = buf[at:end]  # duplicated run
    return bytes(buf)


@pytest.fixture(scope="module")
def corpus(pki, tmp_path_factory) -> list[bytes]:
    folder = tmp_path_factory.mktemp("fuzz")
    msg = (
        b"From: Dr Alice Martin <alice@hopital.test>\r\nTo: bob@clinique.test\r\nSubject: CR\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCompte rendu.\r\n"
    )
    src = folder / "m.eml"
    src.write_bytes(msg)

    def ossl(*args: str) -> bytes:
        return subprocess.run(["openssl", *args], capture_output=True, check=True, timeout=60).stdout

    sign = ["-signer", str(pki.alice.files["cert"]), "-inkey", str(pki.alice.files["key"])]
    bob = str(pki.bob.files["cert"])
    messages = [
        smime.sign(msg, pki.alice.key, pki.alice.cert, [pki.inter.cert]),
        smime.sign(msg, pki.alice.key, pki.alice.cert, detached=False),
        smime.encrypt(smime.sign(msg, pki.alice.key, pki.alice.cert), [pki.bob.cert]),
        smime.encrypt(msg, [pki.bob.cert], oaep=True),
        ossl("smime", "-sign", "-in", str(src), *sign),
        ossl("smime", "-sign", "-nodetach", "-in", str(src), *sign),
        ossl("smime", "-encrypt", "-aes256", "-in", str(src), bob),
        ossl("cms", "-encrypt", "-aes-256-gcm", "-recip", bob, "-in", str(src)),
        ossl(
            "cms", "-encrypt", "-aes128", "-recip", bob, "-keyopt", "rsa_padding_mode:oaep", "-in", str(src)
        ),
    ]
    return messages


def _as_der_message(rng: random.Random, message: bytes) -> bytes:
    """Mutate the CMS bytes themselves, then wrap them back in a pkcs7-mime entity."""
    import base64
    import email

    parsed = email.message_from_bytes(message)
    part = parsed.get_payload()[1] if parsed.is_multipart() else parsed
    der = part.get_payload(decode=True) or b""
    head = b"From: alice@hopital.test\r\nContent-Type: application/pkcs7-mime; name=smime.p7m\r\n"
    head += b"Content-Transfer-Encoding: base64\r\n\r\n"
    return head + base64.encodebytes(_mutate(rng, der))


def test_mutated_messages_raise_only_project_errors(pki, corpus):
    keys = StaticKeys([(pki.bob.key, pki.bob.cert)], [pki.root.cert])
    rng = random.Random(int(os.environ.get("MISSIVE_FUZZ_SEED", "20260302")))
    outcomes = {"opened": 0, "refused": 0}
    for i in range(N):
        base = corpus[i % len(corpus)]
        data = _mutate(rng, base) if i % 2 else _as_der_message(rng, base)
        try:
            smime.open_message(data, keys)
            outcomes["opened"] += 1
        except MissiveError as exc:
            assert str(exc) and "\n" not in str(exc)
            outcomes["refused"] += 1
        except Exception as exc:  # pragma: no cover - this is what the test hunts for
            raise AssertionError(f"input #{i} raised {type(exc).__name__}: {exc}") from exc
    # both paths were really exercised, not all short-circuited at the first check
    assert outcomes["opened"] > N // 20 and outcomes["refused"] > N // 20, outcomes


def test_mutated_der_raises_only_project_errors_in_cms(pki, corpus):
    import email

    rng = random.Random(int(os.environ.get("MISSIVE_FUZZ_SEED", "7")))
    ders = []
    for message in corpus:
        parsed = email.message_from_bytes(message)
        part = parsed.get_payload()[1] if parsed.is_multipart() else parsed
        ders.append(part.get_payload(decode=True))
    ids = [(pki.bob.key, pki.bob.cert)]
    for i in range(N // 5):
        data = _mutate(rng, ders[i % len(ders)])
        try:
            if cms.content_type_of(data) == "signed_data":
                cms.verify_signed_data(data, b"content")
            else:
                cms.decrypt(data, ids)
        except MissiveError:
            pass
        except Exception as exc:  # pragma: no cover
            raise AssertionError(f"DER input #{i} raised {type(exc).__name__}: {exc}") from exc
