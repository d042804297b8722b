"""The RTF reader (core/clinical/rtf.py) on what word processors write and on hostile bytes: a character outside
the basic plane written as its two UTF-16 halves (Word: ``\\u-10179?\\u-8704?``) is that one character, and no
input makes it raise or give text that cannot be written (a lone surrogate could not be stored nor shown)."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from core.clinical import rtf
from core.clinical.hl7v2 import parse


def test_a_character_written_as_two_utf16_halves_is_one_character():
    # U+1F600 as Word writes it (signed 16-bit halves, each with its '?' fallback), and unsigned
    assert rtf.to_text(rb"{\rtf1\ansi Douleur \u-10179?\u-8704? 2/10\par}") == "Douleur \U0001f600 2/10"
    assert rtf.to_text(rb"{\rtf1\ansi Douleur \u55357?\u56832? 2/10\par}") == "Douleur \U0001f600 2/10"


def test_a_lone_half_or_a_number_beyond_unicode_is_a_replacement_character_not_a_failure():
    assert rtf.to_text(rb"{\rtf1 a\u-10179?b}") == "a\ufffdb"
    assert rtf.to_text(rb"{\rtf1 a\u9999999999?b}") == "a\ufffdb"  # was OverflowError
    assert rtf.to_text(rb"{\rtf1 a\u-99999?b}") == "a\ufffdb"  # was ValueError: chr() arg not in range


def test_an_mdm_report_with_an_emoji_is_read():
    ed = base64.b64encode(rb"{\rtf1\ansi Patient tr\'e8s satisfait \u-10179?\u-8704?\par}").decode()
    message = (
        "MSH|^~\\&|RIS|CAB|DR|CAB|20250101||MDM^T02|1|P|2.5\r"
        "PID|||1^^^X^PI||DUPONT^MARIE||19800101|F\r"
        "TXA|1|CR|TX\r"
        f"OBX|1|ED|CR^Compte rendu^L||^TEXT^RTF^Base64^{ed}||||||F\r"
    )
    (doc,) = parse(message.encode())
    assert doc.text == "Patient très satisfait \U0001f600"
    doc.text.encode("utf-8")


_WORDS = st.sampled_from(
    [
        rb"{",
        rb"}",
        rb"\par ",
        rb"\u",
        rb"\uc",
        rb"\'",
        rb"\*",
        rb"\fonttbl",
        rb"\ansicpg",
        rb"\bin",
        rb"-",
        b"?",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(_WORDS, st.binary(max_size=6), st.integers(-(10**10), 10**10).map(lambda n: b"%d" % n))
    )
)
def test_any_bytes_give_text_that_can_be_written(parts):
    text = rtf.to_text(rb"{\rtf1 " + b"".join(parts))
    text.encode("utf-8")  # no lone surrogate
