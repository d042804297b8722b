"""HL7 v2 escapes a lab writes in FT/TX results: formatting commands and hexadecimal data."""

from __future__ import annotations

import pytest

from core.clinical.hl7v2 import Delimiters, parse, unescape


@pytest.mark.parametrize(
    ("written", "read"),
    [
        (r"Hémoglobine\.br\normale", "Hémoglobine\nnormale"),
        (r"Conclusion\.sp\Contrôle", "Conclusion\nContrôle"),
        (r"Conclusion\.sp2\Contrôle", "Conclusion\n\nContrôle"),  # .sp n: n line breaks
        (r"Résultat\.sk3\ok", "Résultat   ok"),  # .sk n: n spaces
        (r"\.ce\COMPTE RENDU\.fi\ suite\.in+4\ indentée", "COMPTE RENDU suite indentée"),
        (r"caf\XE9\ (message en 8859/1)", "café (message en 8859/1)"),  # was 'caf\ufffd'
        (r"caf\XC3A9\ (UTF-8)", "café (UTF-8)"),
        (r"inconnu \Z01\ gardé", r"inconnu \Z01\ gardé"),
    ],
)
def test_escapes(written, read):
    assert unescape(written, Delimiters()) == read


def test_a_text_result_with_formatting_reads_as_lines():
    message = (
        "MSH|^~\\&|LAB|LABO|DR|CAB|20250101||ORU^R01|1|P|2.5|||||FRA|8859/1\r"
        "PID|||1^^^X^PI||DUPONT^MARIE||19800101|F\r"
        "OBR|1|||ECBU^Examen cytobactériologique des urines^L\r"
        "OBX|1|FT|CONC^Conclusion^L||Absence de germe.\\.sp\\Pas d'antibiogramme.||||||F\r"
    )
    (doc,) = parse(message.encode("latin-1"))
    assert doc.observations[0].value == "Absence de germe.\nPas d'antibiogramme."


def _mdm(ed: str) -> str:
    return (
        "MSH|^~\\&|RIS|CAB|DR|CAB|20250101||MDM^T02|1|P|2.5\r"
        "PID|||1^^^X^PI||DUPONT^MARIE||19800101|F\r"
        "TXA|1|CR|TX\r"
        f"OBX|1|ED|CR^Compte rendu^L||{ed}||||||F\r"
    )


def test_an_mdm_report_in_rtf_or_in_windows_1252_is_read():
    import base64

    rtf = base64.b64encode(
        rb"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\f0 Radiographie du genou :\par aucune l\'e9sion.\par}"
    )
    (doc,) = parse(_mdm(f"^TEXT^RTF^Base64^{rtf.decode()}").encode())
    assert doc.text == "Radiographie du genou :\naucune lésion."  # was the RTF source
    latin = base64.b64encode("Échographie : aucune lésion décelée.".encode("cp1252")).decode()
    (doc,) = parse(_mdm(f"^TEXT^^Base64^{latin}").encode())
    assert doc.text == "Échographie : aucune lésion décelée."  # was '' (not UTF-8: silently dropped)
    jpeg = base64.b64encode(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01").decode()
    (doc,) = parse(_mdm(f"^IMAGE^JPEG^Base64^{jpeg}").encode())
    assert doc.text == ""
