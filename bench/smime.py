"""S/MIME benchmark: encrypt and decrypt 1 MB and 10 MB messages, missive beside `openssl cms`.

Same key (RSA 2048), same algorithm (AES-256-CBC, RSA PKCS#1 v1.5 key transport), same MIME output
(application/pkcs7-mime, base64), same run. missive is timed in-process; openssl as the command a script
would run (its start-up, a few milliseconds, is included). Each figure is the best of --repeat runs.
Prints times and the missive/openssl ratio (target: 1.3 or less).
Run: .venv/bin/python -m bench.smime [--sizes 1,10] [--repeat 5]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from core.secure import smime


def make_identity(folder: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate, Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Doctor")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name("bench@exemple.test")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, key_path, cert_path


def make_message(megabytes: int) -> bytes:
    """A letter with a PDF-like attachment of the given size, as a mail client would send it."""
    payload = base64.encodebytes(os.urandom(megabytes * 1_000_000 * 3 // 4)).replace(b"\n", b"\r\n")
    return (
        b"From: bench@exemple.test\r\nTo: bench@exemple.test\r\nSubject: bench\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\nCompte rendu joint.\r\n--b1\r\n"
        b'Content-Type: application/pdf; name="cr.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + payload
        + b"--b1--\r\n"
    )


def best(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10", help="message sizes in MB, comma-separated")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if shutil.which("openssl") is None:
        print("openssl is not installed: nothing to compare with", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        key, cert, key_path, cert_path = make_identity(folder)
        identities = [(key, cert)]
        print(f"{'size':>6} {'operation':<8} {'missive':>10} {'openssl':>10} {'ratio':>7}")
        worst = 0.0
        for size in (int(s) for s in args.sizes.split(",")):
            message = make_message(size)
            src = folder / "msg.eml"
            src.write_bytes(message)
            enc_out = folder / "enc.eml"

            t_missive = best(args.repeat, lambda message=message: smime.encrypt(message, [cert]))
            t_openssl = best(
                args.repeat,
                lambda src=src, enc_out=enc_out: openssl(
                    "cms",
                    "-encrypt",
                    "-aes256",
                    "-recip",
                    str(cert_path),
                    "-in",
                    str(src),
                    "-out",
                    str(enc_out),
                ),
            )
            worst = max(worst, t_missive / t_openssl)
            print(
                f"{size:>4}MB {'encrypt':<8} {t_missive * 1000:>8.1f}ms {t_openssl * 1000:>8.1f}ms {t_missive / t_openssl:>7.2f}"
            )

            # both decrypt the same bytes: missive's output (openssl's reads back the same way)
            encrypted = smime.encrypt(message, [cert])
            enc_in = folder / "in.eml"
            enc_in.write_bytes(encrypted)
            assert smime.decrypt(encrypted, identities).endswith(b"--b1--\r\n")
            t_missive = best(args.repeat, lambda encrypted=encrypted: smime.decrypt(encrypted, identities))
            t_openssl = best(
                args.repeat,
                lambda enc_in=enc_in: openssl(
                    "cms",
                    "-decrypt",
                    "-in",
                    str(enc_in),
                    "-inkey",
                    str(key_path),
                    "-out",
                    str(folder / "dec.eml"),
                ),
            )
            worst = max(worst, t_missive / t_openssl)
            print(
                f"{size:>4}MB {'decrypt':<8} {t_missive * 1000:>8.1f}ms {t_openssl * 1000:>8.1f}ms {t_missive / t_openssl:>7.2f}"
            )
        verdict = "OK" if worst <= 1.3 else "above target"
        print(f"worst ratio missive/openssl: {worst:.2f} (target 1.3: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
