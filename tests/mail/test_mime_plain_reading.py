"""Opening a letter reads an ordinary one without email.policy (core.mail.mime._plain_reading: compat32, its
encoded words decoded by email.header), and what the reader shows is what the policy's parse gives: on the
conformance corpus, the test data, the demo mailbox and the sync bench's letters, and on generated headers
(encoded words in several charsets, addresses, message ids, MIME parameters). The policy (its header registry,
about 0.5 MB) is loaded by the first letter that needs it, not by the inbox's preload."""

from __future__ import annotations

import base64
from unittest import mock

from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.mail import mime
from tests.fresh import fresh_json
from tests.mail.test_fastmime import CORPUS


def _through_the_policy(raw: bytes) -> object:
    with mock.patch.object(mime, "_plain_reading", lambda _raw: None):
        return _read(raw)


def _read(raw: bytes) -> object:
    try:
        return mime.read(raw)
    except Exception as exc:  # noqa: BLE001 - both ways must fail alike
        return type(exc).__name__, str(exc)


def test_the_plain_reading_gives_what_the_policy_gives_on_the_corpus() -> None:
    plain = 0
    for name, raw in CORPUS:
        assert _read(raw) == _through_the_policy(raw), name
        plain += mime._plain_reading(raw) is not None
    # it is the common case: every demo letter (French subjects, encoded words), the bench's, most of the corpus
    assert plain >= 150, plain
    assert all(
        mime._plain_reading(raw) is not None for name, raw in CORPUS if name.startswith(("demo", "bench"))
    )


def _word(text: str, charset: str, encoding: str) -> str:
    data = text.encode(charset, "replace")
    if encoding in "Bb":
        return f"=?{charset}?{encoding}?{base64.b64encode(data).decode()}?="
    quoted = "".join(chr(b) if chr(b).isalnum() and b < 128 else f"={b:02X}" for b in data)
    return f"=?{charset}?{encoding}?{quoted}?="


TEXTS = st.sampled_from(
    ["Résultats", "ÉCBU", "Dr Müller", "a,b", '"q"', "x\ty", "€uro", "日本", "\r\n", "<a@b>", "_", ""]
)
WORDS = st.builds(
    _word,
    TEXTS,
    st.sampled_from(["utf-8", "UTF-8", "iso-8859-1", "windows-1252", "us-ascii", "iso-8859-15", "koi8-r"]),
    st.sampled_from("BbQq"),
)
PLAIN = st.sampled_from(["Re:", "Tr:", "compte", "rendu du 12/03", "x=y", "a_b", "?", "=", "=?", "?="])
SUBJECTS = st.lists(st.one_of(WORDS, PLAIN), min_size=1, max_size=4).flatmap(
    lambda parts: st.sampled_from([" ", "  ", "\r\n ", "\r\n\t", ""]).map(lambda sep: sep.join(parts))
)
SENDERS = st.one_of(
    st.sampled_from(["a@b.fr", '"Dupont, Jean" <a@b.fr>', "Jean (labo) <a@b.fr>", "x <a@b.fr>, c@d.fr"]),
    WORDS.map(lambda word: f"{word} <a@b.fr>"),
)
IDS = st.sampled_from(["<m1@x.fr>", "m@x", "<a b@c>", "  <x@y>  (c)", '<"q"@x>', "", "<a@b> <c@d>"])
DATES = st.sampled_from(["Tue, 03 Mar 2026 10:00:00 +0100", "garbage", "3 Mar 2026 10:00 GMT", ""])


@settings(max_examples=400, deadline=None)
@given(SUBJECTS, SENDERS, IDS, DATES)
@example("=?UTF-8?q?=0D?=", "=?UTF-8?q?=0D?= <a@b.fr>", "<m1@x.fr>", "")  # a control character decoded
@example("=?utf-8?b?5pel5pys?= =?us-ascii?q?a=2Cb?=", "a@b.fr", "<m1@x.fr>", "")  # two charsets side by side
def test_generated_headers_are_read_alike_or_left_to_the_policy(
    subject: str, sender: str, mid: str, date: str
) -> None:
    raw = (
        f"From: {sender}\r\nTo: dr@cabinet.fr\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: {mid}\r\n"
        "X-MSS-INS: 1 2\r\n\r\nbonjour\r\n"
    ).encode("ascii", "replace")
    assert _read(raw) == _through_the_policy(raw)


TYPES = st.sampled_from(
    [
        "text/plain",
        'text/plain; charset="iso-8859-1"',
        "TEXT/PLAIN; CHARSET=UTF-8",
        "text/html; charset=utf-8",
        'application/pdf; name="cr.pdf"',
        'application/pdf; name="a;b.pdf"',
        'application/pdf; name="a\\"b.pdf"',
        "application/pdf; name*=utf-8''r%C3%A9sultat.pdf",
        'application/pdf; name="=?utf-8?q?r=C3=A9sultat?=.pdf"',
        "text/plain; charset=unknown-8bit",
        "bogus",
    ]
)
DISPOSITIONS = st.sampled_from(
    [
        "",
        "attachment",
        "inline",
        'attachment; filename="cr.pdf"',
        'ATTACHMENT; FILENAME="X.PDF"',
        'attachment;\r\n filename="long name.pdf"',
        "attachment; filename*0=a; filename*1=b.pdf",
        'attachment; filename=""',
    ]
)
ENCODINGS = st.sampled_from(["", "7bit", "8bit", "base64", "quoted-printable", "x-uuencode"])
BODIES = st.sampled_from(
    [b"bonjour", b"Ym9uam91cg==", b"caf=C3=A9 =\r\nx", b"\xe9t\xe9", b"<p>bonjour</p>", b""]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(TYPES, DISPOSITIONS, ENCODINGS, BODIES), min_size=1, max_size=3), st.booleans())
def test_generated_parts_are_read_alike_or_left_to_the_policy(
    parts: list[tuple[str, str, str, bytes]], single: bool
) -> None:
    blocks = []
    for ctype, disposition, encoding, body in parts:
        head = f"Content-Type: {ctype}\r\n"
        head += f"Content-Disposition: {disposition}\r\n" if disposition else ""
        head += f"Content-Transfer-Encoding: {encoding}\r\n" if encoding else ""
        blocks.append(head.encode() + b"\r\n" + body)
    raw = b"From: a@b.fr\r\nTo: c@d.fr\r\nSubject: s\r\nMessage-ID: <m@x>\r\nMIME-Version: 1.0\r\n"
    if single and len(blocks) == 1:
        raw += blocks[0]
    else:
        raw += b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        raw += b"".join(b"--b\r\n" + block + b"\r\n" for block in blocks) + b"--b--\r\n"
    assert _read(raw) == _through_the_policy(raw)


OPEN = """
import json, sys
from core.mailroom import preload
from core.mail import mime
preload()
out = {"preloaded": "email.policy" in sys.modules}
parsed, attachments = mime.read(sys.argv[1].encode())
out["ordinary"] = ["email.policy" in sys.modules, parsed.subject, parsed.sender, [a.filename for a in attachments]]
parsed, attachments = mime.read(sys.argv[2].encode())
out["rfc2231"] = ["email.policy" in sys.modules, [a.filename for a in attachments]]
print(json.dumps(out))
"""

HEAD = "From: =?utf-8?q?Laboratoire_B=C3=A9ziers?= <labo@bio.fr>\r\nTo: dr@cabinet.fr\r\nMessage-ID: <r1@bio.fr>\r\n"
LETTER = (
    HEAD + "Subject: =?utf-8?q?R=C3=A9sultats_d=27analyses?=\r\nMIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n'
    "Content-Transfer-Encoding: quoted-printable\r\n\r\nBonjour, voici les r=C3=A9sultats.\r\n--b\r\n"
    'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="cr.pdf"\r\n'
    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
)
RFC2231 = LETTER.replace('filename="cr.pdf"', "filename*=utf-8''r%C3%A9sultat.pdf")


def test_an_ordinary_letter_opens_without_email_policy_and_an_unusual_one_loads_it() -> None:
    out = fresh_json(OPEN, LETTER, RFC2231)
    assert out["preloaded"] is False  # the inbox's preload leaves it out
    assert out["ordinary"] == [False, "Résultats d'analyses", "labo@bio.fr", ["cr.pdf"]]
    assert out["rfc2231"] == [True, ["résultat.pdf"]]


def test_a_letter_whose_attachment_needs_the_policy_is_parsed_once() -> None:
    """An encoded attachment name (RFC 2231 or 2047) is seen in the bytes: one parse, the policy's."""
    calls = []
    parse = mime.email.message_from_bytes

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("policy"))
        return parse(*args, **kwargs)

    encoded = LETTER.replace('filename="cr.pdf"', 'filename="=?utf-8?q?r=C3=A9sultat?=.pdf"')
    with mock.patch.object(mime.email, "message_from_bytes", counted):
        for raw in (RFC2231, encoded):
            calls.clear()
            assert [a.filename for a in mime.read(raw.encode())[1]] == ["résultat.pdf"]
            assert len(calls) == 1 and calls[0] is not None  # the policy's parse only
        calls.clear()
        assert [a.filename for a in mime.read(LETTER.encode())[1]] == ["cr.pdf"]
        assert calls == [None]  # compat32 only
