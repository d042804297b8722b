"""Fuzzing the readers: whatever the bytes, only a ParseError (or a result) may come out.

Two layers: hypothesis (structured and random inputs) and a seeded mutation run of the fixtures
(byte flips, truncations, insertions, line duplications) — MISSIVE_FUZZ_N inputs per reader (default
10,000). For a bigger run: ``MISSIVE_FUZZ_N=200000 MISSIVE_FUZZ_SEED=7 .venv/bin/pytest tests/clinical/test_fuzz_readers.py``.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clinical import cda, hl7v2, hprim2, hprim_net, pdf, xdm
from core.clinical.readers import looks_clinical, read_document
from core.errors import ParseError
from core.model import ClinicalDocument

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"
N = int(os.environ.get("MISSIVE_FUZZ_N", "10000"))
SEED = int(os.environ.get("MISSIVE_FUZZ_SEED", "20260105"))

READERS: dict[str, tuple[Callable[[bytes], list[ClinicalDocument]], list[str]]] = {
    "hprim-net": (
        hprim_net.parse,
        ["hprim_net_cp1252_crlf.hpr", "hprim_net_multi_cr.hpr", "hprimnet_header-solabio_yokoinc.hpm"],
    ),
    "hprim-2": (hprim2.parse, ["hprim2_multi.hpr", "hprim2.1_ORU_libhprim_test.hpr"]),
    "hl7v2": (hl7v2.parse, ["hl7_oru_multi.hl7", "hl7v25_ADT_A01_PAMFR_INS_ans.er7"]),
    "cda": (cda.parse, ["cda_small.xml"]),
    "xdm": (xdm.parse, ["xdm_ss000001.zip"]),
    "pdf": (pdf.parse, ["letter.pdf"]),
    "dispatch": (
        lambda data: read_document(data, "x").documents,
        ["hprim_net_multi_cr.hpr", "hl7_oru_multi.hl7"],
    ),
}


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four random edits of ``data``."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        pos = rng.randrange(len(buf) + 1) if buf else 0
        if op == 0 and buf:  # flip bits of one byte
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:  # truncate
            del buf[pos:]
        elif op == 2:  # insert random bytes or a delimiter-ish character
            chunk = rng.choice(
                [b"|", b"^", b"~", b"\\", b"&", b"\r", b"\n", b"<", b">", b"\x00", b"\xff", b"*"]
            )
            buf[pos:pos] = chunk if rng.random() < 0.6 else rng.randbytes(rng.randint(1, 8))
        elif op == 3 and buf:  # delete a span
            del buf[pos : pos + rng.randint(1, 32)]
        elif op == 4 and buf:  # duplicate a span (repeats lines, segments, tags)
            end = min(len(buf), pos + rng.randint(1, 200))
            buf[pos:pos] = buf[pos:end]
        elif buf:  # overwrite with a random byte
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        if not buf:
            break
    return bytes(buf)


def _check(reader: Callable[[bytes], list[ClinicalDocument]], data: bytes) -> None:
    try:
        documents = reader(data)
    except ParseError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(documents, list)
    for doc in documents:
        doc.to_json()  # every document must serialise for `missive parse --json`


@pytest.mark.parametrize("name", sorted(READERS))
def test_mutation_fuzz(name: str) -> None:
    reader, fixtures = READERS[name]
    seeds = [(DATA / f).read_bytes() for f in fixtures]
    rng = random.Random(f"{SEED}-{name}")
    for i in range(N):
        data = mutate(rng.choice(seeds), rng)
        try:
            _check(reader, data)
        except Exception as exc:  # report the input that broke the reader, so it can be replayed
            raise AssertionError(
                f"{name}: mutated input #{i} (seed {SEED}) raised {exc!r}: {data[:200]!r}"
            ) from exc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_parse_error_or_documents(data: bytes) -> None:
    _check(lambda d: read_document(d, "x").documents, data)
    looks_clinical(data, "x", "")


_FIELD = st.text(alphabet=st.sampled_from("AZaz09 .,-:/|^~\\&éÈ\r\n"), max_size=20)


@settings(max_examples=300, deadline=None)
@given(st.lists(_FIELD, min_size=0, max_size=30))
def test_hprim_net_like_lines(lines: list[str]) -> None:
    text = "\r\n".join(["ID1", *lines[:11], "****LAB****", *("RES|" + x for x in lines), "****FIN****"])
    for encoding in ("utf-8", "cp1252"):
        _check(hprim_net.parse, text.encode(encoding, errors="replace"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_FIELD, max_size=12), max_size=12), st.sampled_from(["\r", "\n", "\r\n"]))
def test_hl7_like_segments(segments: list[list[str]], sep: str) -> None:
    names = ["PID", "OBR", "OBX", "NTE", "PV1"]
    body = [f"{names[i % len(names)]}|" + "|".join(fields) for i, fields in enumerate(segments)]
    message = sep.join(["MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5", *body])
    _check(hl7v2.parse, message.encode())
    hprim = sep.join(["H|~^\\&|F.HPR||A~B||ORU", *(s.replace("PID", "P", 1) for s in body), "L|1"])
    _check(hprim2.parse, hprim.encode())


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.text(alphabet="abc <>&;", max_size=10), lambda inner: st.lists(inner, max_size=4).map("".join)
    )
)
def test_cda_like_xml(fragment: str) -> None:
    data = f"<ClinicalDocument xmlns='urn:hl7-org:v3'><title>{fragment}</title><recordTarget/></ClinicalDocument>"
    _check(cda.parse, data.encode())
