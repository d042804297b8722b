"""The sync hook's fast reading of a message (core.mail.fastmime) gives what the email package's full parse
gives: the same header, the same clinical parts (name, type, bytes) and attachment flag, and the same list
summary, on the conformance corpus, the test data sent as attachments and bodies in several encodings, the
demo mailbox and the sync bench's letters; and it does read them itself (not everything handed to the full
parser)."""

from __future__ import annotations

import base64
import email
import quopri
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clinical.readers import SNIFFED, looks_clinical
from core.mail import fastmime
from core.mail.messages import summary_of
from core.mail.mime import summary_fields

DATA = Path(__file__).resolve().parent.parent / "data"


def reference_parts(msg: Message) -> tuple[list[tuple[str, str, bytes]], bool]:
    """The hook's reading before the fast path (mailroom._clinical_parts over the whole parsed tree)."""
    from core.clinical.readers import detect_format

    formats = {"hprim-net": "message.hpr", "hprim-2": "message.hpr", "hl7v2": "message.hl7"}
    parts: list[tuple[str, str, bytes]] = []
    attached = False
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename() or ""
        if "=?" in name:  # encoded words inside the quotes (Netscape, Outlook): the name the reader shows
            from email.header import decode_header, make_header

            name = str(make_header(decode_header(name)))
        ctype = part.get_content_type()
        if name:
            attached = True
            parts.append((name, ctype, part.get_payload(decode=True) or b""))
        elif ctype == "text/plain" and part.get("Content-Disposition", "").lower().find("attachment") < 0:
            body = part.get_payload(decode=True) or b""
            kind = detect_format(body[:16384]) if body.strip() else None
            if kind in formats:
                parts.append((formats[kind], ctype, body))
    return parts, attached


def _head(eol: bytes, ctype: str) -> bytes:
    lines = [
        b"From: Labo <labo@bio.test>",
        b"To: dr@cabinet.test",
        b"Subject: =?utf-8?q?R=C3=A9sultats?=",
        b"Date: Tue, 03 Mar 2026 10:00:00 +0100",
        b"Message-ID: <fast.1@bio.test>",
        b"MIME-Version: 1.0",
        b"Content-Type: " + ctype.encode(),
    ]
    return eol.join(lines) + eol + eol


def _encoded(data: bytes, cte: str, eol: bytes) -> bytes:
    if cte == "base64":
        return base64.encodebytes(data).replace(b"\n", eol)
    if cte == "quoted-printable":
        return quopri.encodestring(data).replace(b"\n", eol) + eol
    return data.replace(b"\r\n", b"\n").replace(b"\n", eol) + eol


def _attached(
    name: str, data: bytes, cte: str, eol: bytes, *, nested: bool = False, preamble: bool = False
) -> bytes:
    """A letter with ``data`` attached as ``name`` (and a body), in ``cte``, lines ending with ``eol``."""
    text = b"Content-Type: text/plain; charset=utf-8" + eol + b"Content-Transfer-Encoding: 8bit" + eol + eol
    text += "Bonjour, résultats ci-joints.".encode() + eol
    part = (
        f'Content-Type: application/octet-stream; name="{name}"'.encode()
        + eol
        + f"Content-Disposition: attachment;{eol.decode()}\tfilename*=utf-8''{name}".encode()
        + eol
        + f"Content-Transfer-Encoding: {cte}".encode()
        + eol
        + eol
        + _encoded(data, cte, eol)
    )
    if nested:
        inner = b"--in" + eol + text + b"--in" + eol + part + b"--in--" + eol
        alt = b'Content-Type: multipart/related; boundary="in"' + eol + eol + inner
        body = b"--out" + eol + alt + b"--out--" + eol + b"epilogue" + eol
    else:
        body = (b"ceci est un preambule" + eol if preamble else b"") + b"--out" + eol + text
        body += b"--out  " + eol + part + b"--out--" + eol
    return _head(eol, 'multipart/mixed; boundary="out"') + body


def _as_body(data: bytes, cte: str, eol: bytes) -> bytes:
    head = _head(eol, "text/plain; charset=iso-8859-1")
    head = head[: -len(eol)] + f"Content-Transfer-Encoding: {cte}".encode() + eol + eol
    return head + _encoded(data, cte, eol)


def corpus() -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for path in sorted((DATA / "conformance").rglob("*")):
        if path.suffix in (".eml", ".txt") and path.is_file():
            found.append((str(path.relative_to(DATA)), path.read_bytes()))
    documents = [
        p
        for p in sorted(DATA.rglob("*"))
        if p.is_file() and p.suffix.lower() in (".hpr", ".hpm", ".hl7", ".er7", ".xml", ".pdf", ".zip")
    ]
    for i, path in enumerate(documents):
        data = path.read_bytes()
        eol = b"\r\n" if i % 2 else b"\n"
        cte = ("base64", "quoted-printable", "base64")[i % 3]
        found.append(
            (
                f"attached {path.name} {cte}",
                _attached(path.name, data, cte, eol, nested=i % 4 == 1, preamble=i % 4 == 2),
            )
        )
        if path.suffix.lower() in (".hpr", ".hl7", ".er7"):
            body_cte = ("8bit", "quoted-printable", "base64")[i % 3]
            found.append((f"body {path.name} {body_cte}", _as_body(data, body_cte, eol)))
    from core.demo.mail import build_mailbox
    from core.demo.people import make_patients

    for n, mail in enumerate(build_mailbox(make_patients(40), count=60)):
        found.append((f"demo {n} {mail.kind}", mail.raw))
    from bench.sync import make_messages

    found.extend((f"bench {mid}", raw) for mid, raw in make_messages(30))
    return found


CORPUS = corpus()


def _header_items(msg: Message) -> list[tuple[str, Any]]:
    return [(k, str(v)) for k, v in msg.raw_items()]


@pytest.mark.parametrize(("label", "raw"), CORPUS, ids=[label for label, _ in CORPUS])
def test_fast_reading_equals_the_full_parse(label: str, raw: bytes) -> None:
    full = email.message_from_bytes(raw)
    expected = reference_parts(full)
    found = fastmime.scan(raw)
    if found is None:  # left to the full parser: the hook's result is the reference's by construction
        got = fastmime.clinical_parts(fastmime.leaves_of_tree(full))
    else:
        assert _header_items(found.header) == _header_items(full)
        assert found.header.get_content_type() == full.get_content_type()
        got = fastmime.clinical_parts(fastmime.leaves_of(found))
        leaves = [p for p in full.walk() if not p.is_multipart()]
        assert [_header_items(leaf.header) for leaf in found.leaves] == [_header_items(p) for p in leaves]
    assert got == expected
    assert summary_of(raw) == {**summary_fields(raw)}
    whole = summary_fields(raw)
    whole.pop("has_attachments")
    assert summary_of(raw, attachments=False) == whole  # what the sync asks when its hook says it
    # the hook's call: attachments the readers turn down are left out, judged on their head only
    leaves = list(fastmime.leaves_of(found) if found is not None else fastmime.leaves_of_tree(full))
    sniffed = fastmime.clinical_parts(leaves, sniff=True)
    assert sniffed == ([p for p in expected[0] if looks_clinical(p[2], p[0], p[1])], expected[1])
    assert fastmime.has_attachment(leaves) == expected[1]
    for _, _, payload in leaves:
        whole = payload()
        assert payload(SNIFFED) == whole[:SNIFFED] and payload(7) == whole[:7]


# Samples malformed on purpose by their authors, left to the full parser (the equality test above still holds)
MALFORMED_ON_PURPOSE = {
    "conformance/openssl/pkcs7-empty-digest-set.eml",  # OpenSSL's: the signed part has no header block at all
    "conformance/email/msg_41.txt",  # CPython's: a multipart/alternative without boundary
    "conformance/mimekit/empty-multipart.txt",  # MimeKit's (Outlook 12): an empty multipart/alternative
}
# letters that carry a letter (message/rfc822, Thunderbird's tests): the fast path leaves message/* parts to the
# full parser by design (the email package reads them as nested messages)
CARRYING_A_LETTER = {
    "conformance/thunderbird/nestedMessages.eml",
    "conformance/thunderbird/attachedMessageWithMissingHeaders.eml",
    "conformance/thunderbird/rfc822_base64_attachment.eml",
    "conformance/smime-manual/alice.env.mixed.dsig.SHA256.multipart.eml",  # Thunderbird's: a message/rfc822 inside
}


def test_the_corpus_is_read_by_the_fast_path() -> None:
    """Every bench and demo letter, every attached document and every S/MIME sample is read without the full
    parser (a scanner that always gave up would pass the equality test above); only multipart messages with a
    lone CR (HL7's segment end, sent as it is: the parser takes it for a line end) may be left to it. A report
    sent as a single part's body, lone CRs and all, is read fast: its payload is its bytes as they are; so is
    one attached 8-bit, whose lone CRs are in no header and next to no delimiter."""
    left = [label for label, raw in CORPUS if fastmime.scan(raw) is None]
    lone_cr = [label for label, raw in CORPUS if raw.count(b"\r") != raw.count(b"\r\n")]
    single = [label for label, raw in CORPUS if not email.message_from_bytes(raw).is_multipart()]
    assert set(left) <= {label for label in lone_cr if label not in single} | MALFORMED_ON_PURPOSE | CARRYING_A_LETTER
    assert all(b"message/rfc822" in dict(CORPUS)[label].lower() for label in CARRYING_A_LETTER)
    assert len(set(lone_cr) & set(single)) >= 3  # HL7 bodies: read by the fast path (equal: the test above)
    assert len(left) < len(CORPUS) / 10
    scanned = [found for _, raw in CORPUS if (found := fastmime.scan(raw)) is not None]
    clinical = [found for found in scanned if fastmime.clinical_parts(fastmime.leaves_of(found))[0]]
    assert len(clinical) > 40  # documents really go through it


_PIECES = st.sampled_from(["\r", "\n", "\r\n", "x", "MSH|", "--b", "--b--", " ", "=", "\r\r\n"])


@given(
    st.lists(_PIECES, max_size=40).map("".join),
    st.sampled_from(["text/plain", "multipart/mixed; boundary=b"]),
    st.sampled_from(["8bit", "base64", "quoted-printable"]),
)
@settings(max_examples=300, deadline=None)
def test_lone_crs_in_a_body_are_read_as_the_parser_reads_them(body: str, ctype: str, cte: str) -> None:
    """Lone CRs, CRLFs and boundary-like lines anywhere in a body: a single part, and a multipart one when
    read fast, give the parser's parts, payloads, summary and documents."""
    raw = (
        "From: a@b.test\r\nSubject: s\r\nMessage-ID: <m@b.test>\r\n"
        f"Content-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n{body}"
    ).encode("ascii")
    found = fastmime.scan(raw)
    full = email.message_from_bytes(raw)
    if ctype.startswith("multipart"):
        if found is not None:
            leaves = [p for p in full.walk() if not p.is_multipart()]
            assert [_header_items(leaf.header) for leaf in found.leaves] == [_header_items(p) for p in leaves]
            assert [leaf.payload() for leaf in found.leaves] == [fastmime.decoded_payload(p) for p in leaves]
            assert fastmime.clinical_parts(fastmime.leaves_of(found)) == reference_parts(full)
            assert summary_of(raw) == summary_fields(raw)
        return
    assert found is not None  # a single part: read fast, lone CRs or not
    assert [leaf.payload() for leaf in found.leaves] == [fastmime.decoded_payload(full)]
    assert fastmime.clinical_parts(fastmime.leaves_of(found)) == reference_parts(full)
    assert summary_of(raw) == summary_fields(raw)


_BODY_PIECES = st.sampled_from(["\r", "\n", "\r\n", "x", "MSH|", "--b", "--bx", "-", " ", "\r\r\n", "\t"])
# the usual first, several times: most drawn messages are ones the fast path reads
_AFTER_DELIMITER = st.sampled_from(["\r\n"] * 6 + ["\n", "\r", " \r\n", "\t\r", "\r\r\n", "x\r\n"])
_LINE_END = st.sampled_from(["\r\n"] * 6 + ["\n", "\r"])
_PART_HEADS = st.sampled_from(
    [
        "",
        "Content-Type: text/plain\r\n",
        "Content-Type: text/plain\r\n",
        "Content-Type: text/plain\r",
        'Content-Type: application/octet-stream; name="r.hl7"\r\nContent-Disposition: attachment\r\n',
        "X-A: 1\rX-B: 2\r\n",
    ]
)


@st.composite
def _multipart_with_crs(draw: st.DrawFn) -> bytes:
    """A multipart message whose preamble, part heads, bodies, delimiter lines and epilogue may hold lone CRs."""
    out = "".join(draw(st.lists(_BODY_PIECES, max_size=6)))  # the preamble
    for _ in range(draw(st.integers(1, 3))):
        out += draw(st.sampled_from(["\r\n"] * 6 + ["\n", "\r", ""])) + "--b" + draw(_AFTER_DELIMITER)
        out += draw(_PART_HEADS) + draw(_LINE_END)
        out += "x" + "".join(draw(st.lists(_BODY_PIECES, max_size=12)))
    out += draw(_LINE_END) + "--b--" + draw(_AFTER_DELIMITER)
    out += "".join(draw(st.lists(_BODY_PIECES, max_size=4)))  # the epilogue
    head = "From: a@b.test\r\nMessage-ID: <m@b.test>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    return (head + out).encode("ascii")


@given(_multipart_with_crs())
@settings(max_examples=400, deadline=None)
def test_a_multipart_with_lone_crs_read_fast_is_read_as_the_parser_reads_it(raw: bytes) -> None:
    """Lone CRs in a multipart's preamble, its parts' heads and bodies, before, inside or after its delimiter
    lines: when the fast path reads it, its parts, payloads, documents and summary are the parser's."""
    found = fastmime.scan(raw)
    if found is None:
        return
    full = email.message_from_bytes(raw)
    leaves = [p for p in full.walk() if not p.is_multipart()]
    assert [_header_items(leaf.header) for leaf in found.leaves] == [_header_items(p) for p in leaves]
    assert [leaf.content_type for leaf in found.leaves] == [p.get_content_type() for p in leaves]
    assert [leaf.payload() for leaf in found.leaves] == [fastmime.decoded_payload(p) for p in leaves]
    assert fastmime.clinical_parts(fastmime.leaves_of(found)) == reference_parts(full)
    assert summary_of(raw) == summary_fields(raw)


def test_an_hl7_report_attached_with_its_lone_crs_is_read_fast() -> None:
    """HL7 segments end with a lone CR; attached 8-bit, they are in no header and next to no delimiter: the
    fast path reads the letter (it was left to the full parser) and finds the parser's document."""
    hl7 = b"MSH|^~\\&|LAB|X|||20260303||ORU^R01|1|P|2.5\rPID|||123||DOE^JOHN\rOBX|1|NM|GLU||5.2|mmol/L\r"
    raw = (
        b"From: Labo <labo@bio.test>\r\nMessage-ID: <cr.1@bio.test>\r\n"
        b'Content-Type: multipart/mixed; boundary="sep"\r\n\r\n'
        b"--sep\r\nContent-Type: text/plain\r\n\r\nCi-joint.\r\n"
        b'--sep\r\nContent-Type: application/octet-stream; name="res.hl7"\r\n'
        b'Content-Disposition: attachment; filename="res.hl7"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
        + hl7
        + b"\r\n--sep--\r\n"
    )
    found = fastmime.scan(raw)
    assert found is not None
    full = email.message_from_bytes(raw)
    assert fastmime.clinical_parts(fastmime.leaves_of(found)) == reference_parts(full)
    assert reference_parts(full)[0] == [("res.hl7", "application/octet-stream", hl7)]


@given(
    st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"x", b"\n\n"]), max_size=30).map(b"".join), st.data()
)
@settings(max_examples=500, deadline=None)
def test_the_blank_line_is_found_where_the_pattern_finds_it(data: bytes, draw: st.DataObject) -> None:
    """The end of a header (a line end, then an empty line) is found by byte searches where the pattern
    ``\\r?\\n\\r?\\n`` first matches, within any bounds."""
    start = draw.draw(st.integers(0, len(data)))
    end = draw.draw(st.integers(start, len(data)))
    m = fastmime._BLANK.search(data, start, end)
    assert fastmime._blank_line(data, start, end) == (None if m is None else (m.start(), m.end()))


@pytest.mark.parametrize(
    "raw",
    [
        b"From: a@b.test\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nhi\n",
        b"From: a@b.test\nContent-Type: message/rfc822\n\nFrom: c@d.test\n\nhi\n",
        b"From: a@b.test\nContent-Type: multipart/digest; boundary=x\n\n--x\n\nFrom: c@d.test\n\nhi\n--x--\n",
        b"From: a@b.test\rSubject: lone CR\n\nhi\n",
        "From: é@b.test\n\nhi\n".encode(),
        b"From: a@b.test\nnot a header line\n\nhi\n",
        b"From: a@b.test\nContent-Type: multipart/mixed\n\n--x\n\nhi\n--x--\n",
        b"",
        b"From: a@b.test\nContent-Type: multipart/mixed; boundary=x\n\n--x\n\nhi\r--x\n\nho\n--x--\n",
        b"From: a@b.test\nContent-Type: multipart/mixed; boundary=x\n\n--x\n\nhi\n--x \rho\n--x--\n",
        b"From: a@b.test\nContent-Type: multipart/mixed; boundary=x\n\n--x\nX-A: 1\rX-B: 2\n\nhi\n--x--\n",
    ],
    ids=[
        "no-close",
        "rfc822",
        "digest",
        "lone-cr",
        "8bit-header",
        "broken-header",
        "no-boundary",
        "empty",
        "cr-before-delimiter",
        "cr-ending-delimiter",
        "cr-in-part-head",
    ],
)
def test_unusual_messages_are_left_to_the_full_parser(raw: bytes) -> None:
    assert fastmime.scan(raw) is None


def test_messages_the_hook_does_not_open_are_the_ones_open_message_gives_back_unchanged() -> None:
    """The hook skips open_message for a scanned message whose type carries no S/MIME layer: for each such
    message of the corpus open_message gives it back as it is, neither signed nor encrypted; the S/MIME
    samples are all still opened."""
    from core.secure.smime import may_be_smime, open_message

    skipped = opened = 0
    for label, raw in CORPUS:
        found = fastmime.scan(raw)
        if found is None:
            continue
        if may_be_smime(found.header.get_content_type()):
            opened += 1
            continue
        skipped += 1
        result = open_message(raw, None)  # type: ignore[arg-type]  # no key is needed to see no layer
        assert (result.inner_mime_bytes, result.encrypted, result.signed, result.signature) == (
            raw,
            False,
            False,
            None,
        ), label
    smime_samples = [raw for label, raw in CORPUS if label.startswith("conformance/smime/")]
    assert all(may_be_smime(fastmime.scan(raw).header.get_content_type()) for raw in smime_samples)
    assert skipped > 100 and opened >= len(smime_samples) > 5


def test_first_lines_are_the_split_lines_it_reads() -> None:
    from core.clinical.encoding import first_lines, split_lines

    texts = (
        "",
        "a",
        "a\r\nb\rc\n\nd",
        "x\n" * 80,
        "RES|1\r" * 3 + "tail",
        "\n\r\n\r",
        "a\r\n\r\nb\r\n",
        "\n",
        "a\n\n",
    )
    for text in (*texts, "l\r\n" * 49 + "m", "l\n" * 50, "l\n" * 51, "l\r\r\n" * 3, "a\r\nb\n\rc"):
        for count in (1, 12, 50):
            assert first_lines(text, count) == split_lines(text)[:count]


@pytest.mark.parametrize(
    "head",
    [
        b"Subject:\r\n\tfolded\r\nX-A:  y  \r\nX-B:",
        b"A: 1\n \n\t2\nB:3\nb: 4",
        b'Content-Type: multipart/mixed;\n boundary="=_x"; charset=utf-8',
        b"From a@b Mon\nA: 1",
        b" lead: 1\nA: 2",
        b":x\nA: 1",
        b"Bad Name: 1",
        b"",
    ],
)
def test_the_header_reader_builds_what_the_parser_builds(head: bytes) -> None:
    from email.parser import BytesHeaderParser

    mine = fastmime._read_header(head)
    theirs = BytesHeaderParser().parsebytes(head)
    if mine is None:  # left to the parser
        assert head.startswith((b"From ", b" ", b":")) or b"Bad Name" in head
    else:
        assert list(mine.raw_items()) == list(theirs.raw_items()) and not theirs.defects


_ASKED = ("subject", "SUBJECT", "x-a", "X-B", "content-type", "Content-Disposition", "from", "none")


def _answers(msg: Message) -> list[Any]:
    """What the summary and the hook ask of a header, as plain values."""
    out: list[Any] = [list(msg.raw_items()), msg.get_content_type(), msg.get_filename(), msg.get_boundary()]
    for name in _ASKED:
        out += [
            msg.get(name),
            msg.get_all(name),
            name in msg,
            msg[name],
            msg.get_param("charset", header=name),
        ]
    return out


_FIELD_NAMES = st.sampled_from(["Subject", "subject", "X-A", "x-b", "Content-Type", "From", "A", "Bad Name"])
_VALUES = st.text(alphabet=st.sampled_from(list('ab =;:"\t/')), max_size=12)
_LINE_ENDS = st.sampled_from(["\r\n", "\n"])


@st.composite
def _headers(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["field", "field", "field", "continuation", "junk"]))
        if kind == "field":
            line = f"{draw(_FIELD_NAMES)}:{draw(_VALUES)}"
        elif kind == "continuation":
            line = draw(st.sampled_from([" ", "\t"])) + draw(_VALUES)
        else:
            line = draw(
                st.sampled_from(["From a@b", ":x", "no colon", "Content-Type: text/plain; charset=x"])
            )
        lines.append(line + draw(_LINE_ENDS))
    text = "".join(lines)
    if text and draw(st.booleans()):
        text = text.rstrip("\r\n")  # the header before the blank line: its last line end is not in it
    return text.encode("ascii")


@given(_headers())
@settings(max_examples=400, deadline=None)
def test_any_header_read_fast_answers_as_the_parsers(head: bytes) -> None:
    """The fast reader's header (fields looked up in a table) answers every question as the parser's does;
    when it leaves a header to the parser, the parser finds a defect or reads something else than fields."""
    from email.parser import BytesHeaderParser

    theirs = BytesHeaderParser().parsebytes(head)
    mine = fastmime._read_header(head)
    if mine is None:
        assert theirs.defects or theirs.get_payload() or head.startswith(b"From ")
    else:
        assert not theirs.defects and not theirs.get_payload()
        assert _answers(mine) == _answers(theirs)


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.__setitem__("Subject", "new"),
        lambda m: m.__delitem__("subject"),
        lambda m: m.set_raw("X-New", "1"),
        lambda m: m.replace_header("Subject", "replaced"),
        lambda m: m.add_header("Content-Disposition", "attachment", filename="r.pdf"),
        lambda m: m.set_param("charset", "latin-1"),
        lambda m: m.del_param("charset"),
        lambda m: m.set_type("text/html"),
        lambda m: m.set_boundary("b2"),
        lambda m: m.set_default_type("message/rfc822"),
    ],
)
def test_a_header_changed_after_reading_answers_as_the_parsers(change: Any) -> None:
    """A header read fast and then changed through the Message API gives the answers of the parser's header
    changed the same way (its table of fields is not used after a change)."""
    from email.parser import BytesHeaderParser

    head = b"Subject: a\r\nsubject: b\r\nContent-Type: text/plain; charset=utf-8; boundary=b1\r\nX-A: 1"
    mine = fastmime._read_header(head)
    theirs = BytesHeaderParser().parsebytes(head)
    assert mine is not None and _answers(mine) == _answers(theirs)
    change(mine)
    change(theirs)
    assert _answers(mine) == _answers(theirs)


@given(st.text(alphabet="ab\r\n|", max_size=300), st.integers(min_value=1, max_value=60))
@settings(max_examples=300, deadline=None)
def test_first_lines_on_any_text(text: str, count: int) -> None:
    from core.clinical.encoding import first_lines, split_lines

    assert first_lines(text, count) == split_lines(text)[:count]


_NAMES = st.text(alphabet="Aab9 ._-", max_size=12)
_ATOM = st.text(alphabet="abz09_+-", min_size=1, max_size=6)


@given(
    _NAMES,
    _ATOM,
    _ATOM,
    st.sampled_from(["{a}@{d}", "{n} <{a}@{d}>", "<{a}@{d}>", " {a}@{d}.fr ", "{n}<{a}.x@{d}>"]),
)
@settings(max_examples=400, deadline=None)
def test_the_sender_is_read_as_parseaddr_reads_it(name: str, local: str, domain: str, form: str) -> None:
    from email.utils import parseaddr

    value = form.format(n=name, a=local, d=domain)
    assert fastmime.address_of(value) == parseaddr(value)[1]


@pytest.mark.parametrize(
    "value", ["", "a@b", '"Dr, X" <a@b.fr>', "x <a@b>, y <c@d>", "=?utf-8?q?J=C3=A9?= <j@x.fr>", "bad"]
)
def test_other_senders_go_to_parseaddr(value: str) -> None:
    from email.utils import parseaddr

    assert fastmime.address_of(value) == parseaddr(value)[1]


@given(st.text(alphabet="ab\r\n", max_size=40), st.integers(min_value=0, max_value=15))
def test_first_lines_with_a_lone_cr_anywhere(text: str, count: int) -> None:
    """A lone CR before, inside or after the lines asked for: always what split_lines gives."""
    from core.clinical.encoding import first_lines, split_lines

    assert first_lines(text, count) == split_lines(text)[:count]


def _decode_b(body: bytes) -> bytes:
    """What the email package gives for a base64 part whose body is ``body``."""
    part = Message()
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(body.decode("ascii", "surrogateescape"))
    return fastmime.decoded_payload(part)


@given(
    st.integers(min_value=30_000, max_value=60_000),
    st.sampled_from([b"\n", b"\r\n"]),
    st.integers(min_value=8, max_value=100),
    st.sampled_from(["clean", "drop-letter", "drop-two", "junk", "pad-inside", "no-padding", "8bit"]),
    st.integers(min_value=0, max_value=79_000),
    st.sampled_from([1, 100, SNIFFED, 30_000]),
)
@settings(max_examples=150, deadline=None)
def test_a_base64_head_is_the_head_of_the_whole(
    size: int, eol: bytes, width: int, damage: str, at: int, limit: int
) -> None:
    """``base64_head`` gives the first bytes of what the email package decodes, or None, whatever the body:
    lines of any width, a letter too few (the package then gives the text back undecoded), junk or padding
    inside, no final padding, 8-bit bytes."""
    import random

    letters = base64.b64encode(random.Random(size).randbytes(size))
    at %= len(letters)
    if damage == "drop-letter":
        letters = letters[:at] + letters[at + 1 :]
    elif damage == "drop-two":
        letters = letters[:at] + letters[at + 2 :]
    elif damage == "junk":
        letters = letters[:at] + b"*" + letters[at:]
    elif damage == "pad-inside":
        letters = letters[:at] + b"==" + letters[at:]
    elif damage == "no-padding":
        letters = letters.rstrip(b"=")
    elif damage == "8bit":
        letters = letters[:at] + b"\xe9" + letters[at:]
    body = eol.join(letters[i : i + width] for i in range(0, len(letters), width)) + eol
    whole = _decode_b(body)
    head = fastmime.base64_head(body, limit)
    if head is not None:
        assert head == whole[:limit]
    if damage == "clean" and len(body) > 4 * limit:
        assert head is not None  # the ordinary attachment is read from its head


_LINES = st.sampled_from(
    [
        "",
        " ",
        ".",
        "01/02/2020",
        " 1/2/2020 ",
        "2020-01-02",
        "12/13/2020\xa0",
        "\x85",
        "DUPONT",
        "Bonjour cher confrère",
        "RES|Glucose|GLU|N|5.1|mmol/l|",
        "****LAB****",
        "****FIN****",
        "MSH|^~\\&|LAB|X",
        "H|~^\\&|||",
        "\ufeff",
        "<ClinicalDocument>",
        "%PDF-1.4",
        "é",
    ]
)


@given(
    st.lists(_LINES, max_size=30),
    st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=30, max_size=30),
    st.sampled_from(["utf-8", "cp1252", "utf-16", "utf-8-sig"]),
    st.sampled_from(["", " \t\r\n", "\ufeff"]),
    st.sampled_from([0, 0, 0, 40, 9000]),
)
@settings(max_examples=600, deadline=None)
def test_a_body_turned_down_from_its_bytes_is_no_text_report(
    lines: list[str], ends: list[str], codec: str, lead: str, padding: int
) -> None:
    """``may_be_text_report`` says False only of bodies ``detect_format`` does not read as an HL7 or HPRIM
    report: any lines (dates, dots, markers, RES lines, record names), line ends, encodings, byte order
    marks and blanks first, and a long first line (the reader cuts the text at 8,192 characters)."""
    from core.clinical.readers import detect_format, may_be_text_report

    text = lead + "x" * padding + "".join(line + end for line, end in zip(lines, ends, strict=False))
    data = text.encode(codec, "replace")
    if detect_format(data[:SNIFFED]) in fastmime.BODY_FORMATS:
        assert may_be_text_report(data)


_TAIL = "x\n" * 8  # more lines, and a letter on the 7th line of the reports that do not use it


@pytest.mark.parametrize(
    "text",
    [
        "Labo\nDUPONT\nJEAN\n\n\n\n01/02/2020\n" + _TAIL,  # HPRIM Net's header: a date on line 7
        "Laboratoire\rDUPONT\rJEAN\r\r\r\r01/02/2020\rx\rx\rx\rx\rx\rx\r",  # lone CRs only
        "Labo\rDUPONT\nJEAN\n\n\n\n01/02/2020\n" + _TAIL,  # a lone CR: the 7th line is the date
        "x\nx\nx\nx\nx\nx\nx\nRES|GLU|Glucose|N|5|mmol/l\n" + _TAIL,
        "x\nx\nx\nx\nx\nx\nx\n****LAB****\n" + _TAIL,
        "H|~^\\&|||\n" + _TAIL,
        " \r\nMSH|^~\\&|LAB\r\n" + _TAIL,
    ],
)
def test_reports_are_never_turned_down_from_their_bytes(text: str) -> None:
    from core.clinical.readers import detect_format, may_be_text_report

    for codec in ("utf-8", "utf-8-sig", "cp1252", "utf-16"):
        data = text.encode(codec)
        assert detect_format(data) in fastmime.BODY_FORMATS, codec
        assert may_be_text_report(data), codec


def test_ordinary_letters_are_turned_down_from_their_bytes() -> None:
    """The bench's plain letters are told apart from a report without being decoded (a test
    that always said True would pass the one above)."""
    from bench.sync import make_messages
    from core.clinical.readers import may_be_text_report

    bodies = [raw.split(b"\n\n", 1)[1] for _, raw in make_messages(50) if b"multipart" not in raw]
    assert bodies and not any(may_be_text_report(body) for body in bodies)
