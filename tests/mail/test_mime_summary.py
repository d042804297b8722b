"""The list's attachment marker: a signature or an S/MIME envelope is not an attachment."""

from __future__ import annotations

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
