"""A CDA's readable body at 80 columns: sections, paragraphs, lists, tables; the embedded PDF when the
structured body says nothing."""

from __future__ import annotations

import base64
from pathlib import Path

from core.clinical import cda, pdf
from core.clinical.cda import parse_xml_safely
from core.clinical.narrative import render_block

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"


def test_consultation_letter_reads_as_the_snapshot() -> None:
    """Titles underlined, paragraphs wrapped, bullets and numbers, a table with a wrapped comment column."""
    (doc,) = cda.parse((DATA / "cda_narrative.xml").read_bytes())
    assert doc.text + "\n" == (DATA / "cda_narrative.expected.txt").read_text(encoding="utf-8")


def test_every_line_fits_80_columns_on_the_ans_sample() -> None:
    (doc,) = cda.parse((DATA / "cda_r2_CR-BIO_2023.01_N3_ans.xml").read_bytes())
    lines = doc.text.splitlines()
    assert max(len(line) for line in lines) <= 80
    # the protein table keeps its rows: label, value and range on one line
    assert any(line.split() == ["Albumine", "(g/L)", "45,0", "36,00", "-", "48,00"] for line in lines)
    # a rowspan header does not push the body's columns out of place
    urea = next(line for line in lines if line.strip().startswith("Urée"))
    assert "10.02" in urea and "Anormalement" in urea and "[3.5 - 8.0]" in urea
    assert "BIOCHIMIE\n=========" in doc.text


def test_a_narrow_width_wraps_cells_without_losing_words() -> None:
    root = parse_xml_safely(
        b"<text><table><tr><th>Examen</th><th>Conclusion</th></tr>"
        b"<tr><td>Radiographie thoracique de face</td><td>pas d'anomalie pleuro-parenchymateuse visible</td></tr>"
        b"</table></text>"
    )
    text = render_block(root, width=40)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert " ".join(text.split()).count("pleuro-parenchymateuse") == 1
    assert set("Radiographie thoracique de face".split()) <= set(text.split())


def _cda_with_pdf_copy(narrative: str) -> bytes:
    pdf_b64 = base64.b64encode((DATA / "letter.pdf").read_bytes()).decode()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <code code="11490-0" displayName="Lettre de liaison"/>
  <component><structuredBody>
    <component><section><title>Synthèse</title><text>{narrative}</text></section></component>
    <component><section><title>Copie du document</title>
      <text><table><tbody><tr><td><renderMultiMedia referencedObject="doc-1"/></td></tr></tbody></table></text>
      <entry><organizer classCode="CLUSTER" moodCode="EVN"><component>
        <observationMedia classCode="OBS" moodCode="EVN" ID="doc-1">
          <value mediaType="application/pdf" representation="B64">{pdf_b64}</value>
        </observationMedia>
      </component></organizer></entry>
    </section></component>
  </structuredBody></component>
</ClinicalDocument>""".encode()


def test_empty_structured_body_shows_the_embedded_pdf_text() -> None:
    (doc,) = cda.parse(_cda_with_pdf_copy("(texte libre)"))
    assert doc.text == pdf.extract_text((DATA / "letter.pdf").read_bytes())
    assert "Patient suivi pour HTA" in doc.text


def test_structured_body_with_text_is_preferred_to_the_pdf() -> None:
    (doc,) = cda.parse(_cda_with_pdf_copy("<paragraph>Tension bien contrôlée.</paragraph>"))
    assert "Tension bien contrôlée." in doc.text and "Patient suivi pour HTA" not in doc.text
