"""The list's header fields: the attachment marker (a signature or an S/MIME envelope is not an attachment),
decoded subjects, and the sync's fast reading of common headers, equal to the email parser's."""

from __future__ import annotations

import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.errors import ParseError
from core.mail.messages import _summary_fast, summary_of
from core.mail.mime import summary_fields

HEAD = b"From: a@x.fr\r\nTo: b@y.fr\r\nSubject: s\r\nMIME-Version: 1.0\r\n"


def multipart(kind: str, *parts: bytes) -> bytes:
    body = b"".join(b"--b\r\n" + p + b"\r\n" for p in parts) + b"--b--\r\n"
    return HEAD + f'Content-Type: multipart/{kind}; boundary="b"\r\n\r\n'.encode() + body


TEXT = b"Content-Type: text/plain\r\n\r\nbonjour"
SIG = b'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\nContent-Disposition: attachment; filename="smime.p7s"\r\n\r\nAAAA'
PDF = b'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="cr.pdf"\r\n\r\nJVBE'


def test_a_signed_letter_without_attachment_has_no_marker() -> None:
    raw = multipart('signed; protocol="application/pkcs7-signature"', TEXT, SIG)
    fields = summary_fields(raw)
    assert fields["signed"] and not fields["has_attachments"]


def test_a_signed_letter_with_a_pdf_has_the_marker() -> None:
    raw = multipart('signed; protocol="application/pkcs7-signature"', multipart("mixed", TEXT, PDF), SIG)
    assert summary_fields(raw)["has_attachments"]


def test_plain_multipart_with_a_file() -> None:
    assert summary_fields(multipart("mixed", TEXT, PDF))["has_attachments"]
    assert not summary_fields(multipart("alternative", TEXT, TEXT))["has_attachments"]


def test_subjects_are_decoded_whatever_the_sender_did() -> None:
    cases = {
        b"Subject: R\xc3\xa9sultats d'analyses": "Résultats d'analyses",  # raw UTF-8
        b"Subject: R\xe9sultats": "Résultats",  # raw Windows-1252, as some lab systems send
        b"Subject: =?iso-8859-1?q?R=E9sultats?= de =?utf-8?b?wqtiaW9sb2dpZcK7?=": "Résultats de «biologie»",
        b"Subject: =?utf-8?q?tr=C3=A8s_long?=\r\n =?utf-8?q?_suite?=": "très long suite",
        b"Subject: plain\r\n\tfolded line": "plain folded line",
    }
    for header, expected in cases.items():
        assert summary_fields(header + b"\r\nFrom: a@x.fr\r\n\r\nbody")["subject"] == expected


# -- the sync's fast reading of a header is summary_fields' -----------------------------------------------------
name_text = st.text(alphabet=string.ascii_letters + string.digits + " ._-", max_size=12)
atom = st.text(alphabet=string.ascii_letters + string.digits + "_+-", min_size=1, max_size=6)
address = st.builds(lambda a, b, c: f"{a}@{b}.{c}", atom, atom, atom)
address_field = st.one_of(
    address,
    st.builds(lambda n, a: f"{n} <{a}>", name_text, address),
    st.builds(lambda n, a: f'"{n}, dr" <{a}>', name_text, address),  # quoted: the address parser's job
    st.builds(lambda a, b: f"{a}, {b}", address, address),
    st.builds(lambda a: f"{a} (labo)", address),
    st.sampled_from(
        ["", "  ", "<>", "undisclosed-recipients:;", "=?utf-8?q?Labo_=C3=A9?= <l@x.fr>", "a@b.", "x"]
    ),
)
subject = st.one_of(
    st.text(alphabet=string.printable.replace("\r", "").replace("\n", ""), max_size=30),
    st.sampled_from(["=?utf-8?q?R=C3=A9sultats?=", "=?iso-8859-1?q?R=E9sultats?= de", "Re: =?bad"]),
)
field = st.one_of(
    st.builds(lambda v: f"From: {v}", address_field),
    st.builds(lambda v: f"To: {v}", address_field),
    st.builds(lambda v: f"Subject: {v}", subject),
    st.builds(lambda v: f"sUbJeCt:{v}", subject),
    st.sampled_from(
        [
            "Date: Mon, 02 Mar 2026 10:00:00 +0100",
            "Date: 2 Mar 2026 10:00 GMT",
            "Date: mardi",
            "Message-ID: <a.b@c>",
            "Message-Id:  <x@y>\r\n  (folded)",
            'Content-Type: multipart/mixed; boundary="b"',
            'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=b',
            'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
            "Content-Type: application/pkcs7-mime; smime-type=signed-data",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Type: garbage",
            "X-Mailer: test\r\n\tcontinued",
            "Subject: plié\r\n",  # 8-bit
            "no colon here",
            ": no name",
            "From sender@x Mon Mar  2 10:00:00 2026",
            " continuation first",
            "Subject: lone\rCR",
        ]
    ),
)
body = st.sampled_from(
    [
        b"bonjour",
        b'--b\r\nContent-Disposition: attachment; filename="CR.PDF"\r\n\r\nx\r\n--b--',
        b'--b\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\nContent-Disposition: attachment; FileName="smime.p7s"\r\n\r\nAAAA',
        b"xfilename=filename=a.pdf\r\n",
        b"Filename*=utf-8''r%C3%A9sultat.pdf\r\n",
        b"_filename=hidden.pdf\r\n",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(field, max_size=8), st.sampled_from(["\r\n", "\n"]), st.booleans(), body)
def test_the_fast_summary_is_the_parsers(fields, eol, blank_line, text) -> None:
    head = eol.join(f.replace("\r\n", eol) for f in fields)
    raw = head.encode("utf-8") + ((eol * 2).encode() + text if blank_line else b"")
    try:
        expected = summary_fields(raw)
    except ParseError:
        expected = {"message_id": "", "from": "", "to": [], "subject": "", "date": None}
    assert summary_of(raw) == expected


def test_common_headers_take_the_fast_reading() -> None:
    raw = HEAD + b"Date: Mon, 02 Mar 2026 10:00:00 +0100\r\nMessage-ID: <1@x>\r\n\r\nbonjour"
    assert _summary_fast(raw) == summary_fields(raw)
    assert _summary_fast(multipart("mixed", TEXT, PDF)) == summary_fields(multipart("mixed", TEXT, PDF))
    assert _summary_fast(b"Subject: R\xc3\xa9sultats\r\n\r\n") is None  # 8-bit: the parser's reading


def test_the_xdm_machine_prefix_is_hidden_from_the_subject() -> None:
    """Ségur SC.MSS/UX.28: 'XDM/1.0/DDM+' is for the integration platform, not for the doctor."""
    from core.mail.mime import parse, shown_subject

    raw = b"From: a@x.fr\r\nTo: b@y.fr\r\nSubject: XDM/1.0/DDM+Compte rendu MARTIN Paul 19600101\r\n\r\nx"
    assert summary_of(raw)["subject"] == "Compte rendu MARTIN Paul 19600101"
    assert summary_fields(raw)["subject"] == "Compte rendu MARTIN Paul 19600101"
    assert parse(raw).subject == "Compte rendu MARTIN Paul 19600101"  # messages show
    assert shown_subject("Re: xdm/1.0/DDM+ CR bio") == "Re: CR bio"
    assert shown_subject("Résultats XDM/1.0/DDM+ en fin") == "Résultats XDM/1.0/DDM+ en fin"


_DAY_NAMES = st.sampled_from(["", "Mon, ", "Sun, ", "Thu, ", "Mon,", "mon, ", "Xyz, "])
_MONTH_NAMES = st.sampled_from(["Jan", "Feb", "Mar", "Dec", "jan", "Foo"])
_ZONES = st.sampled_from(
    ["+0100", "-0000", "+0000", "-0530", "+2359", "+2400", "+0160", "GMT", "UT", "", "+01"]
)


@given(
    _DAY_NAMES,
    st.integers(0, 32),
    _MONTH_NAMES,
    st.sampled_from([0, 1, 69, 99, 100, 999, 1000, 1969, 2026, 9999]),
    st.sampled_from(["%02d:%02d:%02d", "%02d:%02d", "%d:%02d:%02d"]),
    st.tuples(st.integers(0, 25), st.integers(0, 61), st.integers(0, 61)),
    _ZONES,
    st.sampled_from(["%d", "%02d", "%04d"]),
)
@example("Mon, ", 2, "Mar", 99, "%02d:%02d:%02d", (0, 0, 1), "+0100", "%04d")  # 0099: 1999 to the package
@example("", 2, "Mar", 0, "%02d:%02d", (0, 0, 0), "+0100", "%04d")  # 0000: 2000 to the package
@example("", 31, "Feb", 2026, "%02d:%02d", (0, 0, 0), "-0530", "%04d")  # no such day
@settings(max_examples=600, deadline=None)
def test_a_date_read_by_the_pattern_is_the_email_packages(
    day_name: str,
    day: int,
    month: str,
    year: int,
    clock: str,
    hms: tuple[int, int, int],
    zone: str,
    year_form: str,
) -> None:
    """The summary reads the usual date form with one pattern: the same ISO text as the email package's
    ``parsedate_to_datetime`` (``mime._date``), or no date where it finds none, for any day, month, year,
    time and zone, well formed or not."""
    from email.message import Message

    from core.mail import mime
    from core.mail.messages import _date_text

    hour, minute, second = hms
    time_text = clock % ((hour, minute, second) if clock.count("%") == 3 else (hour, minute))
    text = f"{day_name}{day:02d} {month} {year_form % year} {time_text} {zone}".strip()
    msg = Message()
    msg["Date"] = text
    expected = mime._date(msg)
    assert _date_text(msg) == (expected.isoformat() if expected else None)
