"""PDF letters encrypted as other software writes them (pypdf's test files, made with qpdf): a PDF locked
only against editing (an empty user password) reads like any other; one that asks for a password says so in
one line. Through the reader an attachment goes through and ``missive parse``."""

from __future__ import annotations

import pytest

from core.clinical.readers import read_document
from core.errors import ParseError
from tests.conformance.test_clinical_corpus import DATA

PDF = DATA / "pdf"
TEXT = "pdf encryption test\npassword: asdfzxcv"


@pytest.mark.parametrize(
    "name",
    [
        "pypdf-r2-owner-password.pdf",  # RC4 40 bits, owner password only
        "pypdf-r3-empty-password.pdf",  # RC4 128 bits, empty passwords
        "pypdf-r6-empty-password.pdf",  # AES-256 (PDF 2.0), empty passwords
    ],
)
def test_a_pdf_locked_only_against_editing_reads(name):
    """It was refused: 'le PDF est protégé par un mot de passe', though every viewer opens it."""
    (doc,) = read_document((PDF / name).read_bytes(), name).documents
    assert doc.format == "pdf" and doc.text == TEXT


@pytest.mark.parametrize("name", ["pypdf-r4-user-password.pdf", "pypdf-r6-both-passwords.pdf"])
def test_a_pdf_that_asks_for_a_password_says_so(name):
    with pytest.raises(ParseError) as info:
        read_document((PDF / name).read_bytes(), name)
    assert str(info.value) == (
        "le PDF est protégé par un mot de passe : ouvrez-le avec le mot de passe de l'expéditeur"
    )


def test_missive_parse_reads_it(capsys: pytest.CaptureFixture[str]):
    from tui.cli import main

    assert main(["parse", str(PDF / "pypdf-r6-empty-password.pdf")]) == 0
    assert "PDF" in capsys.readouterr().out


def _mdm_carrying(pdf: bytes) -> bytes:
    """The ANS MDM example (an imaging report in OBX|1|ED) with its ED carrying this PDF instead of the CDA,
    as labs and imaging centres send their report in HL7: ^application^PDF^Base64^..."""
    import base64
    import re

    raw = (DATA / "ans" / "message_MDM_CR_Radio_INIT_N1_Base64.er7").read_bytes()
    payload = b"^application^PDF^Base64^" + base64.b64encode(pdf)
    carried = re.sub(rb"(OBX\|1\|ED\|[^|]*\|\|)[^|\r\n]*", lambda m: m.group(1) + payload, raw, count=1)
    assert carried != raw
    return carried


def test_a_pdf_carried_in_hl7_that_cannot_be_read_is_said():
    """A PDF report inside an HL7 message that asks for a password (pypdf's r4 file) gave no text at all: the
    doctor saw the e-mail body and no report, with nothing said. Its place now says why and what to do; one
    that reads gives its text."""
    (doc,) = read_document(
        _mdm_carrying((PDF / "pypdf-r4-user-password.pdf").read_bytes()), "cr.hl7"
    ).documents
    assert doc.format == "hl7v2" and doc.identity.family_name == "PAT-TROIS"
    assert doc.text.splitlines()[0] == (
        "(le compte rendu PDF que porte ce message HL7 est protégé par un mot de passe : missive ne peut pas "
        "l'afficher ; demandez à l'expéditeur de le renvoyer sans mot de passe)"
    )
    (doc,) = read_document(
        _mdm_carrying((PDF / "pypdf-r3-empty-password.pdf").read_bytes()), "cr.hl7"
    ).documents
    assert doc.text.startswith(TEXT + "\n")


def test_a_pdf_carried_in_hl7_with_no_text_is_said():
    """A scanned report (a page and no text: here a blank page pypdf writes) said nothing either."""
    import io

    from pypdf import PdfWriter

    blank = PdfWriter()
    blank.add_blank_page(595, 842)
    out = io.BytesIO()
    blank.write(out)
    (doc,) = read_document(_mdm_carrying(out.getvalue()), "cr.hl7").documents
    assert doc.text.splitlines()[0].startswith(
        "(le compte rendu PDF que porte ce message HL7 ne contient aucun texte"
    )


def test_a_cda_whose_only_report_is_an_unreadable_pdf_copy_says_so():
    """A CR-BIO whose sections say nothing and whose report is only its PDF copy (observationMedia, CI-SIS
    'Copie du document'): the ANS CRP example with its sections emptied and pypdf's r4 user-password PDF as
    the copy. The reader showed the section titles and nothing else; it now says the copy cannot be read."""
    import base64
    import re

    xml = (DATA / "ans-cda" / "BIO-CR-BIO_2024.01_CRP_non_LOINC.xml").read_text(encoding="utf-8")
    locked = base64.b64encode((PDF / "pypdf-r4-user-password.pdf").read_bytes()).decode()
    copy = re.compile(r'(<value mediaType="application/pdf" representation="B64">)[^<]*')
    emptied = re.sub(
        r"<text>.*?</text>", "<text/>", copy.sub(lambda m: m.group(1) + locked, xml, 1), flags=re.S
    )
    (doc,) = read_document(emptied.encode("utf-8"), "cr-bio.xml").documents
    assert doc.text.startswith(
        "(le compte rendu est dans la copie PDF que porte ce document, et elle ne peut pas"
    )
    assert doc.observations  # the results of the entries are still read
    # with a readable copy (an empty user password) its text is the report
    readable = base64.b64encode((PDF / "pypdf-r3-empty-password.pdf").read_bytes()).decode()
    emptied = re.sub(
        r"<text>.*?</text>", "<text/>", copy.sub(lambda m: m.group(1) + readable, xml, 1), flags=re.S
    )
    (doc,) = read_document(emptied.encode("utf-8"), "cr-bio.xml").documents
    assert doc.text == TEXT
