"""A compressed S/MIME layer (CMS CompressedData) is inflated within a bound: a small letter never makes the
sync or the reader hold hundreds of megabytes."""

from __future__ import annotations

import tracemalloc
import zlib

import pytest
from asn1crypto import cms

from core.errors import ParseError
from core.secure import smime
from core.secure.smime import StaticKeys


def _compressed_letter(entity_head: bytes, filler: int) -> bytes:
    """A letter whose one layer is CompressedData of ``entity_head`` followed by ``filler`` spaces, built
    without ever holding the inflated bytes."""
    packer = zlib.compressobj(9)
    packed = [packer.compress(entity_head)]
    chunk = b" " * (1 << 20)
    for _ in range(filler >> 20):
        packed.append(packer.compress(chunk))
    packed.append(packer.compress(b" " * (filler % (1 << 20))))
    packed.append(packer.flush())
    der = cms.ContentInfo(
        {
            "content_type": "compressed_data",
            "content": cms.CompressedData(
                {
                    "version": "v0",
                    "compression_algorithm": {"algorithm": "zlib"},
                    "encap_content_info": {"content_type": "data", "content": b"".join(packed)},
                }
            ),
        }
    ).dump()
    outer = [b"From: labo@labo.test", b"To: bob@clinique.test", b"Subject: Resultats"]
    return smime._wrap_pkcs7_mime(outer, der, "compressed-data")


def test_a_compressed_layer_that_inflates_beyond_the_bound_is_refused_without_inflating_it():
    letter = _compressed_letter(b"Content-Type: text/plain\r\n\r\n", 300 << 20)
    assert len(letter) < 1 << 20  # under a megabyte on the wire
    tracemalloc.start()
    try:
        with pytest.raises(ParseError) as refused:
            smime.open_message(letter, StaticKeys())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "100 Mo" in str(refused.value)
    assert peak < 160 << 20, f"{peak >> 20} MB held to open a {len(letter) >> 10} KB letter"


def test_a_compressed_letter_within_the_bound_still_opens():
    letter = _compressed_letter(b"Content-Type: text/plain; charset=us-ascii\r\n\r\nBonjour.", 2 << 20)
    opened = smime.open_message(letter, StaticKeys())
    assert b"Bonjour." in opened.inner_mime_bytes
    assert not opened.encrypted and not opened.signed


def test_a_truncated_compressed_layer_is_damage():
    letter = _compressed_letter(b"Content-Type: text/plain\r\n\r\nBonjour.", 0)
    der = smime._part_der(smime._split(letter))
    info = cms.ContentInfo.load(der)
    packed = info["content"]["encap_content_info"]["content"].native
    info["content"]["encap_content_info"]["content"] = packed[: len(packed) // 2]
    cut = smime._wrap_pkcs7_mime([b"From: labo@labo.test"], info.dump(force=True), "compressed-data")
    with pytest.raises(ParseError):
        smime.open_message(cut, StaticKeys())
