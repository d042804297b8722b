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
