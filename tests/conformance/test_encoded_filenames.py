"""A file name sent as RFC 2047 encoded words inside its quotes (filename="=?iso-8859-1?Q?HasenundFr=F6sche=2Etxt?=",
as Netscape Communicator 4.7 wrote it in stalwartlabs/mail-parser's test letter; Outlook and lab mailers still
do) is read as its name by the sync too. The reader's parser decoded it; the sync's (compat32, the fast path and
its fallback) kept the encoded words: a report so named waited in À classer as '=?iso-8859-1?Q?R=E9sultats…?=',
its extension hidden from the readers' sniffing."""

from __future__ import annotations

import email

from core.mail import fastmime, mime
from tests.conformance.test_clinical_corpus import DATA

NETSCAPE = DATA / "mail-parser" / "netscape-encoded-filename.eml"
HPRIM = DATA / "hprim" / "hprim2.1_ORU_libhprim_test.hpr"


def _names(raw: bytes) -> list[str]:
    scanned = fastmime.scan(raw)
    leaves = fastmime.leaves_of(scanned) if scanned is not None else fastmime.leaves_of_tree(email.message_from_bytes(raw))
    return [fastmime.filename_of(header) for header, _, _ in leaves]


def test_the_sync_reads_the_name_the_reader_shows():
    raw = NETSCAPE.read_bytes()
    assert _names(raw) == ["", "HasenundFrösche.txt"]
    assert [a.filename for a in mime.read(raw)[1]] == ["HasenundFrösche.txt"]


def test_a_report_with_an_encoded_name_is_queued_under_its_name():
    raw = (
        (
            b"From: labo@missive.test\r\nTo: doc@missive.test\r\nSubject: Resultats\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nCi-joint.\r\n'
            b"--b\r\nContent-Type: application/octet-stream;\r\n name=\"=?iso-8859-1?Q?R=E9sultats_DUPONT=2Ehpr?=\"\r\n"
            b"Content-Transfer-Encoding: 8bit\r\nContent-Disposition: attachment;\r\n"
            b' filename="=?iso-8859-1?Q?R=E9sultats_DUPONT=2Ehpr?="\r\n\r\n'
        )
        + HPRIM.read_bytes()
        + b"\r\n--b--\r\n"
    )
    scanned = fastmime.scan(raw)
    assert scanned is not None
    parts, attached = fastmime.clinical_parts(fastmime.leaves_of(scanned), sniff=True)
    assert attached and [name for name, _, _ in parts] == ["Résultats DUPONT.hpr"]
