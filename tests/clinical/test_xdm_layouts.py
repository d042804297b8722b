"""IHE XDM packages as other software zips them, and packages that list one document many times."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.clinical import xdm
from core.clinical.readers import read_document
from core.errors import ParseError
from tests.conftest import DATA as _DATA

DATA = _DATA / "clinical"

CDA = (DATA / "cda_small.xml").read_bytes()


def _metadata(*uris: str) -> str:
    objects = "".join(
        f'<rim:ExtrinsicObject id="d{n}" mimeType="text/xml"><rim:Slot name="URI"><rim:ValueList>'
        f"<rim:Value>{uri}</rim:Value></rim:ValueList></rim:Slot></rim:ExtrinsicObject>"
        for n, uri in enumerate(uris)
    )
    return (
        '<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>'
        f"{objects}</rim:RegistryObjectList></lcm:SubmitObjectsRequest>"
    )


def _zip(files: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("metadata_path", "doc_path", "uri"),
    [
        # IHE_XDM/ inside a folder of the zip (the sender zipped the folder holding the package)
        (
            "Envoi_2026/IHE_XDM/SUBSET01/METADATA.XML",
            "Envoi_2026/IHE_XDM/SUBSET01/DOC0001.XML",
            "DOC0001.XML",
        ),
        # URI written with Windows separators, relative to IHE_XDM/ (as the ANS DRIM-M example writes it)
        ("IHE_XDM/SUBSET01/METADATA.XML", "IHE_XDM/SUBSET01/DOC0001.XML", "SUBSET01\\DOC0001.XML"),
        ("IHE_XDM/SS000001/METADATA.XML", "IHE_XDM/SS000001/DOC0001.XML", "SS000001/DOC0001.XML"),
        # URI from the zip's root, and with a leading ./
        ("IHE_XDM/SUBSET01/METADATA.XML", "IHE_XDM/SUBSET01/DOC0001.XML", "IHE_XDM/SUBSET01/DOC0001.XML"),
        ("IHE_XDM/SUBSET01/METADATA.XML", "IHE_XDM/SUBSET01/DOC0001.XML", "./DOC0001.XML"),
        # zip entries written with backslashes
        ("IHE_XDM\\SUBSET01\\METADATA.XML", "IHE_XDM\\SUBSET01\\DOC0001.XML", "DOC0001.XML"),
    ],
)
def test_other_layouts_are_read(metadata_path, doc_path, uri):
    data = _zip({"INDEX.HTM": "<html/>", metadata_path: _metadata(uri), doc_path: CDA})
    result = read_document(data, "IHE_XDM.ZIP")
    (doc,) = result.documents
    assert result.format == "xdm" and doc.identity.birth_name == "FONTAINE"


def test_one_document_listed_300_times_is_one_document():
    uris = ["DOC0001.XML", "doc0001.xml", "SUBSET01/DOC0001.XML"] * 100
    data = _zip({"IHE_XDM/SUBSET01/METADATA.XML": _metadata(*uris), "IHE_XDM/SUBSET01/DOC0001.XML": CDA})
    assert len(data) < 5000
    (doc,) = read_document(data, "IHE_XDM.ZIP").documents
    assert doc.identity.birth_name == "FONTAINE"


def test_more_than_the_document_limit_is_a_clear_error_before_reading_any():
    uris = [f"DOC{n:04d}.XML" for n in range(xdm.MAX_DOCUMENTS + 1)]
    files: dict[str, bytes | str] = {"IHE_XDM/SUBSET01/METADATA.XML": _metadata(*uris)}
    files.update({f"IHE_XDM/SUBSET01/{uri}": CDA for uri in uris})
    with pytest.raises(ParseError) as caught:
        read_document(_zip(files), "IHE_XDM.ZIP")
    message = str(caught.value)
    assert "plus de 50 documents" in message and "\n" not in message
    # exactly at the limit: read
    files = {"IHE_XDM/SUBSET01/METADATA.XML": _metadata(*uris[:50])}
    files.update({f"IHE_XDM/SUBSET01/{uri}": CDA for uri in uris[:50]})
    assert len(read_document(_zip(files), "IHE_XDM.ZIP").documents) == 50


def test_50000_duplicate_entries_read_the_document_once():
    """The probe's 50,000-entry package took 56 s: every entry was read and parsed again."""
    data = _zip(
        {
            "IHE_XDM/SUBSET01/METADATA.XML": _metadata(*["DOC0001.XML"] * 50_000),
            "IHE_XDM/SUBSET01/DOC0001.XML": CDA,
        }
    )
    calls: list[str] = []

    def reader(content: bytes, name: str):
        calls.append(name)
        return read_document(content, name, _depth=1).documents

    (doc,) = xdm.parse(data, read_document=reader)
    assert doc.identity.birth_name == "FONTAINE" and calls == ["DOC0001.XML"]


def test_metadata_with_an_undeclared_prefix_as_the_ans_drim_m_example_writes_it():
    """ansforge/DRIM-M_DATA informatif/XDM/KA202401/IHE_XDM/SS000001/METADATA.XML begins with blanks and
    <ns3:SubmitObjectsRequest> without declaring ns3, and its URI includes the subset (SS000001/...)."""
    metadata = (
        "\n\t\t\t<ns3:SubmitObjectsRequest><RegistryObjectList>"
        '<ExtrinsicObject id="DocumentKOS" mimeType="text/xml"><Slot name="sourcePatientInfo"><ValueList>'
        "<Value>PID-5|PAT-SIX^Alain^^^^^L</Value><Value>PID-7|19960124</Value><Value>PID-8|M</Value>"
        '</ValueList></Slot><Slot name="URI"><ValueList><Value>SS000001/DOC0001.XML</Value></ValueList></Slot>'
        "</ExtrinsicObject></RegistryObjectList></ns3:SubmitObjectsRequest>"
    )
    data = _zip({"IHE_XDM/SS000001/METADATA.XML": metadata, "IHE_XDM/SS000001/DOC0001.XML": CDA})
    (doc,) = read_document(data, "IHE_XDM.ZIP").documents
    assert doc.identity.birth_name == "FONTAINE"


def _entry_without_uri(entry_id: str) -> str:
    return (
        '<ns3:SubmitObjectsRequest xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" '
        'xmlns:ns3="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"><RegistryObjectList>'
        f'<ExtrinsicObject mimeType="text/xml" id="{entry_id}"><Slot name="sourcePatientInfo"><ValueList>'
        "<Value>PID-5|DUPONT^MARIE^^^</Value><Value>PID-7|19800101</Value></ValueList></Slot>"
        "</ExtrinsicObject></RegistryObjectList></ns3:SubmitObjectsRequest>"
    )


def test_an_entry_without_uri_reads_the_file_named_after_its_id():
    """The Direct Project's XDM packages (DirectProject/nhin-d, java/xd-common/src/test/resources/
    samplexdm.zip) give their ExtrinsicObject id="Document01" no URI slot and name the file
    IHE_XDM/SUBSET01/Document01.xml beside METADATA.xml and a CCD.xsl: missive said 'aucun document
    lisible (0 illisible(s) ou manquant(s))'. That file (not copied: its CCD names real people) read
    through this fix as one CCD; here the same layout with a made-up CDA."""
    package = _zip(
        {
            "samplexdm/README.txt": "NHIN Direct",
            "samplexdm/IHE_XDM/SUBSET01/METADATA.xml": _entry_without_uri("Document01"),
            "samplexdm/IHE_XDM/SUBSET01/CCD.xsl": "<xsl:stylesheet/>",
            "samplexdm/IHE_XDM/SUBSET01/Document01.xml": CDA,
        }
    )
    (doc,) = read_document(package, "samplexdm.zip").documents
    assert doc.format == "cda" and doc.entry_id == "Document01"
    assert doc.identity == read_document(CDA, "d.xml").documents[0].identity


def test_an_entry_without_uri_nor_file_is_counted_missing():
    package = _zip({"IHE_XDM/SUBSET01/METADATA.XML": _entry_without_uri("Document02")})
    with pytest.raises(ParseError, match=r"1 illisible"):
        read_document(package, "paquet.zip")
