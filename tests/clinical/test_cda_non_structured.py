"""A CDA whose body is not XML (CI-SIS "document non structuré", level 1): PDF, text, RTF or an image."""

from __future__ import annotations

import base64

import pytest

from core.clinical import cda, rtf
from core.clinical.readers import read_document


def _cda(media: str, payload: bytes) -> bytes:
    return (
        '<ClinicalDocument xmlns="urn:hl7-org:v3"><recordTarget><patientRole><patient><name>'
        "<family>DUPONT</family><given>MARIE</given></name></patient></patientRole></recordTarget>"
        f'<component><nonXMLBody><text mediaType="{media}" representation="B64">'
        f"{base64.b64encode(payload).decode()}</text></nonXMLBody></component></ClinicalDocument>"
    ).encode()


WORDPAD = (
    rb"{\rtf1\ansi\ansicpg1252\deff0\nouicompat{\fonttbl{\f0\fnil\fcharset0 Calibri;}}"
    rb"{\*\generator Riched20 10.0.19041}\viewkind4\uc1 \pard\sa200\sl276\slmult1\f0\fs22\lang12 "
    rb"Compte rendu d'\'e9chographie\par Foie de taille normale, \u233?chostructure homog\'e8ne.\par"
    rb"\par\par Conclusion :\tab examen normal.\par}"
)


def test_rtf_body_reads_as_its_text():
    """As WordPad writes it: the font table and the generator are skipped, \\'e9 is é in the declared
    ANSI code page, \\u233? is é (its '?' fallback dropped), \\par ends a line."""
    (doc,) = read_document(_cda("text/rtf", WORDPAD), "cr.xml").documents
    assert doc.text == (
        "Compte rendu d'échographie\nFoie de taille normale, échostructure homogène.\n\nConclusion :\texamen normal."
    )


def test_plain_text_body_in_windows_1252_keeps_its_accents():
    (doc,) = cda.parse(_cda("text/plain", "Conclusion : élévation modérée.".encode("cp1252")))
    assert doc.text == "Conclusion : élévation modérée."  # was 'Conclusion : �l�vation mod�r�e.'


@pytest.mark.parametrize("media", ["image/jpeg", "image/tiff"])
def test_image_body_is_never_shown_as_text(media):
    (doc,) = cda.parse(_cda(media, b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01binary"))
    assert doc.text == (
        f"(compte rendu au format {media}, que missive n'affiche pas : enregistrez le document pour l'ouvrir)"
    )
    assert (doc.identity.family_name, doc.identity.given_names) == ("DUPONT", ("MARIE",))


def test_rtf_reader_on_odd_input_never_raises():
    assert (
        rtf.to_text(b"{\\rtf1 \\'zz \\u-4064? \\uc0\\u233 {\\*\\x {\\y}} \\ansicpg99999 fin}")
        == "zz \uf020 é fin"
    )
    assert rtf.to_text(b"{\\rtf1") == "" and rtf.to_text(b"}}}{") == ""


def test_rtf_reader_on_mangled_wordpad_output_never_raises():
    import random

    rng = random.Random(20261207)
    for _ in range(300):
        data = bytearray(WORDPAD)
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        assert isinstance(rtf.to_text(bytes(data)), str)
