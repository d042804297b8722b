"""Regenerate the hand-made clinical fixtures of this folder (fictitious people only).

Run: .venv/bin/python tests/data/clinical/make_fixtures.py   (from the repository root)
"""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def nir_key(body: str) -> str:
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return f"{97 - number % 97:02d}"


def hprim_net_cp1252() -> bytes:
    nir = "1680475123456"
    lines = [
        "A2008",
        "LEFÈVRE NEE MÜLLER",
        "JEAN-PIERRE MARIE",
        "12 rue des Tilleuls",
        "",
        "75012 PARIS",
        "1968-04-12",
        f"{nir} {nir_key(nir)}",
        "D260101",
        "02/01/2026",
        "LABO01     LABORATOIRE DES ORMES",
        "DRTEST     Dr Claire TESTARD",
        "Compte rendu d&#039;analyses &eacute;tabli le 02/01/2026<br />Médecin : Dr TESTARD",
        "Prélèvement à 8 h – température 4&deg;C’",
        "****LAB****",
        "TEX|BIOCHIMIE",
        "RES|GLYCEMIE : |GLU|N|1,32|g/L|0,74|1,06|H|F|7,33|mmol/L|4,11|5,89",
        "TEX|Contrôle à jeun conseillé.",
        "TEX|Résultat vérifié.",
        "RES|CALCIUM|CA|N|2,40|mmol/L|2,20 - 2,60|",
        "RES|POTASSIUM|K|N|4.1",
        "RES|COMMENTAIRE|COM|A",
        "****FIN****",
        "****FINFICHIER****",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def hprim_net_multi_cr() -> bytes:
    nir = "2550699001023"
    first = [
        "P001",
        "MARTIN EP DURAND",
        "SOPHIE",
        ".",
        "",
        "69001 LYON",
        "03/06/1955",
        f"{nir} {nir_key(nir)}",
        "D0001",
        "05/01/2026",
        "LAB2       LABO DU RHONE",
        "DR01       Dr André EXEMPLE",
        "Bilan lipidique",
        "****LAB****",
        "RES|CHOLESTEROL TOTAL|CHOL|N|2,10|g/L||2,00|H|F",
        "RES|HDL|HDL|N|0,55|g/L|0,40||N|F",
        "****FIN****",
        "",
    ]
    second = [
        "P002",
        "BERNARD épouse ROUX",
        "ANNE-SOPHIE CLAIRE",
        "3 place du Marché",
        "",
        "69002 LYON",
        "21/11/1980",
        ".",
        "D0002",
        "05/01/2026",
        "LAB2       LABO DU RHONE",
        "DR01       Dr André EXEMPLE",
        "Sérologie : résultat négatif.",
        "Pas de résultat chiffré.",
        "****FIN****",
        "",
        "****FINFICHIER****",
        "",
        "",
    ]
    return "\r".join(first + second).encode("utf-8")


def hprim_net_text_only() -> bytes:
    lines = [
        "R0042",
        "PETIT",
        "LOUIS",
        "",
        "",
        "33000 BORDEAUX",
        "29/02/2000",
        "",
        "IMG-77",
        "10/01/2026",
        "RADIO1     CABINET DE RADIOLOGIE",
        "DR02       Dr Test MEDECIN",
        "Radiographie du thorax de face.",
        "Pas d&#39;anomalie visible.",
        "****FIN****",
    ]
    return ("\n".join(lines) + "\n").encode("latin-1")


def hprim2_multi() -> bytes:
    records = [
        r"H|~^\&|RES0001.HPR||LAB9~LABO TEST||ORU|||MED1~DR FICTIF||P|H2.2~C|202601051030",
        "P|1|1001|X1||DUBOIS~ÉLODIE MARIE|LEROY|19900115|F",
        r"OBR|1|R1||NFS~NUMERATION~L^GLY~GLYCEMIE~L|R||202601050800",
        "OBX|1|NM|HB~Hemoglobine~L||11,2|g/dL|12 - 16|L|||F",
        r"C|1|L|Contr\S\le \T\ suivi conseill\F\s",
        "OBX|2|ST|GRP~Groupe sanguin~L||A \\R\\ positif||||||F",
        "OBX|3|NM|GLY~Glyc",
        "A|emie a jeun~L||0,95|g/L|0,70 - 1,10|N|||F",
        "C|2|L|Interpretation normale",
        "P|2|1002|X2||MOREAU~LUC|||M",
        "OBX|1|NM|CRP~Proteine C reactive~L||<5|mg/L|< 5|N|||F",
        "L|1",
    ]
    return ("\r\n".join(records) + "\r\n").encode("latin-1")


def cda_small(family_sp: str = "GARNIER") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <realmCode code="FR"/>
  <code code="11502-2" displayName="CR d'examens biologiques" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Compte rendu de biologie</title>
  <effectiveTime value="20260105093000+0100"/>
  <recordTarget><patientRole>
    <id root="1.2.250.1.213.1.4.8" extension="{"2850775123456" + nir_key("2850775123456")}"/>
    <id root="1.2.3.4.5" extension="IPP-778"/>
    <patient>
      <name>
        <given qualifier="BR">MARIE</given>
        <given>MARIE ANNE-LISE</given>
        <family qualifier="BR">FONTAINE</family>
        <family qualifier="SP">{family_sp}</family>
      </name>
      <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
      <birthTime value="19850714"/>
      <birthplace><place><addr><county>75112</county><city>PARIS 12</city></addr></place></birthplace>
    </patient>
  </patientRole></recordTarget>
  <author><assignedAuthor>
    <assignedPerson><name><given>Paul</given><family>EXEMPLE</family></name></assignedPerson>
    <representedOrganization><name>Laboratoire Fictif</name></representedOrganization>
  </assignedAuthor></author>
  <component><structuredBody><component><section>
    <title>Biochimie</title>
    <text><paragraph>Prélèvement du 05/01/2026</paragraph>
      <table><tbody><tr><td><content ID="res1">Créatinine</content></td><td>95</td></tr>
      <tr><td><content ID="aspect">trouble</content></td></tr></tbody></table></text>
    <entry><organizer classCode="BATTERY" moodCode="EVN"><component>
      <observation classCode="OBS" moodCode="EVN">
        <code code="2160-0" displayName="Créatinine"/>
        <statusCode code="completed"/>
        <value xsi:type="PQ" value="95" unit="umol/L"/>
        <interpretationCode code="H"/>
        <referenceRange><observationRange><value xsi:type="IVL_PQ"><low value="45" unit="umol/L"/><high value="90" unit="umol/L"/></value>
          <interpretationCode code="N"/></observationRange></referenceRange>
        <entryRelationship typeCode="REFR"><observation classCode="OBS" moodCode="EVN">
          <code code="2160-0"/><value xsi:type="PQ" value="80" unit="umol/L"/></observation></entryRelationship>
      </observation></component>
      <component><observation classCode="OBS" moodCode="EVN">
        <code code="5767-9"><originalText><reference value="#res1"/></originalText></code>
        <value xsi:type="CD"><originalText><reference value="#aspect"/></originalText></value>
      </observation></component>
      <component><observation classCode="OBS" moodCode="EVN">
        <code code="X-COM" displayName="Remarque"/>
        <value xsi:type="ST">hémolyse légère</value>
      </observation></component>
    </organizer></entry>
  </section></component></structuredBody></component>
</ClinicalDocument>
""".encode()


def hl7_oru_multi() -> bytes:
    ins = "1850775123456"
    embedded = base64.b64encode(cda_small("FAURE")).decode()
    segments = [
        "MSH|^~\\&|LABSYS|LABO FICTIF|MEDSYS|CABINET|20260106120000||ORU^R01^ORU_R01|MSG1|P|2.5|||||FRA|UNICODE UTF-8",
        f"PID|1||P42^^^LABO&1.2.3&ISO^PI~{ins}{nir_key(ins)}^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS||"
        "DURAND^JEANNE^JEANNE CLAIRE^^^^D~LAMBERT^JEANNE^JEANNE CLAIRE^^^^L||19850714|F|||"
        "1 rue Test^^LYON^^69001^FRA^H~^^^^^^BDL^^69123",
        "OBR|1|O1|F1|24331-1^Bilan lipidique^LN|||20260106080000",
        "OBX|1|NM|2093-3^Cholest\\XC3A9\\rol \\E\\ total^LN||2,35|g/L|1.50-2.00|H|||F",
        "NTE|1||A contr\\XC3B4\\ler dans 3 mois\\.br\\apr\\XC3A8\\s r\\XC3A9\\gime",
        "OBX|2|ST|X1^Aspect \\T\\ couleur^L||Clair \\S\\ jaune \\F\\ limpide||||||F",
        "OBX|3|CE|GRP^Groupe^L||A+^A positif^L||||||F",
        f"OBX|4|ED|11502-2^CR^LN||^TEXT^XML^Base64^{embedded}||||||F",
        "PID|2||P43^^^LABO&1.2.3&ISO^PI||ROBERT^PAUL||20010203|M",
        "OBR|1|O2|F2|CRP^CRP^L|||20260106090000",
        "OBX|1|NM|CRP^CRP^L||12|mg/L|<5|H|||F",
    ]
    return "\n".join(segments).encode("utf-8")


def letter_pdf() -> bytes:
    """A one-page PDF whose text is 'Lettre de liaison' and a second line."""
    content = b"BT /F1 14 Tf 72 720 Td (Lettre de liaison) Tj 0 -20 Td (Patient suivi pour HTA) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


METADATA = """<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
  xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
 <rim:RegistryObjectList>
  <rim:ExtrinsicObject id="doc1" mimeType="text/xml" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">
   <rim:Slot name="URI"><rim:ValueList><rim:Value>DOC0001.XML</rim:Value></rim:ValueList></rim:Slot>
  </rim:ExtrinsicObject>
  <rim:ExtrinsicObject id="doc2" mimeType="application/pdf" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">
   <rim:Slot name="sourcePatientId"><rim:ValueList><rim:Value>IPP-778^^^&amp;1.2.3.4.5&amp;ISO^PI</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="sourcePatientInfo"><rim:ValueList>
     <rim:Value>PID-5|FONTAINE^MARIE^^^^^L</rim:Value><rim:Value>PID-7|19850714</rim:Value><rim:Value>PID-8|F</rim:Value>
   </rim:ValueList></rim:Slot>
   <rim:Slot name="URI"><rim:ValueList><rim:Value>DOC0002.PDF</rim:Value></rim:ValueList></rim:Slot>
   <rim:ExternalIdentifier identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
     value="{ins}^^^&amp;1.2.250.1.213.1.4.8&amp;ISO^NH" id="ei1" registryObject="doc2"/>
  </rim:ExtrinsicObject>
 </rim:RegistryObjectList>
</lcm:SubmitObjectsRequest>
"""


def xdm_ss000001() -> bytes:
    out = io.BytesIO()
    ins = "2850775123456" + nir_key("2850775123456")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("INDEX.HTM", "<html><body>Envoi test</body></html>")
        zf.writestr("README.TXT", "Logiciel de test\r\n")
        zf.writestr("IHE_XDM/SS000001/metadata.xml", METADATA.replace("{ins}", ins))
        zf.writestr("IHE_XDM/SS000001/DOC0001.XML", cda_small())
        zf.writestr("IHE_XDM/SS000001/DOC0002.PDF", letter_pdf())
    return out.getvalue()


FIXTURES = {
    "hprim_net_cp1252_crlf.hpr": hprim_net_cp1252,
    "hprim_net_multi_cr.hpr": hprim_net_multi_cr,
    "hprim_net_text_only.hpr": hprim_net_text_only,
    "hprim2_multi.hpr": hprim2_multi,
    "hl7_oru_multi.hl7": hl7_oru_multi,
    "cda_small.xml": cda_small,
    "letter.pdf": letter_pdf,
    "xdm_ss000001.zip": xdm_ss000001,
}

if __name__ == "__main__":
    for name, make in FIXTURES.items():
        (HERE / name).write_bytes(make())
        print(name)
