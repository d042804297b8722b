"""IHE XDM packages (any subset folder, safe unzip) and PDF letters."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from core.clinical import xdm
from core.clinical.readers import read_document
from core.errors import ParseError

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"


def _zip(entries: dict[str, bytes], symlink: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = 0o120777 << 16
            zf.writestr(info, "/etc/passwd")
    return out.getvalue()


def _package() -> dict[str, bytes]:
    with zipfile.ZipFile(DATA / "xdm_ss000001.zip") as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_xdm_with_ss000001_subset_and_lowercase_metadata() -> None:
    result = read_document((DATA / "xdm_ss000001.zip").read_bytes(), "IHE_XDM.ZIP")
    assert result.format == "xdm"
    cda_doc, pdf_doc = result.documents
    assert cda_doc.format == "cda" and cda_doc.identity.family_name == "GARNIER"
    assert len(cda_doc.observations) == 3
    assert pdf_doc.format == "pdf" and "Lettre de liaison" in pdf_doc.text
    # the PDF has no identity of its own: the metadata entry gives it
    assert pdf_doc.identity.family_name == "FONTAINE" and pdf_doc.identity.ins == "285077512345655"
    assert pdf_doc.identity.source_id == "IPP-778" and pdf_doc.identity.sex == "F"


def test_xdm_with_two_subsets() -> None:
    entries = _package()
    moved = {
        name.replace("SS000001", "SUBSET02"): content
        for name, content in entries.items()
        if "IHE_XDM" in name
    }
    result = read_document(_zip({**entries, **moved}))
    assert len(result.documents) == 4


def test_zip_without_metadata_is_not_xdm() -> None:
    with pytest.raises(ParseError, match="n'est pas un paquet IHE XDM"):
        read_document(_zip({"IHE_XDM/notes.txt": b"x"}))
    with pytest.raises(ParseError):
        read_document(_zip({"photo.txt": b"x"}))


def test_zip_bomb_is_refused() -> None:
    entries = _package()
    entries["IHE_XDM/SS000001/DOC0001.XML"] = b"<" + b" " * (30 * 1024 * 1024)
    with pytest.raises(ParseError, match="bombe zip"):
        read_document(_zip(entries))


def test_zip_slip_and_absolute_paths_are_refused() -> None:
    for bad in ("../../etc/cron.d/x", "/etc/passwd", "IHE_XDM/SS000001/../../../x"):
        entries = {**_package(), bad: b"x"}
        with pytest.raises(ParseError, match="hors de son dossier"):
            read_document(_zip(entries))


def test_symlink_entry_is_refused() -> None:
    with pytest.raises(ParseError, match="lien symbolique"):
        read_document(_zip(_package(), symlink="IHE_XDM/SS000001/LINK"))


def test_too_many_entries_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xdm, "MAX_ENTRIES", 4)
    with pytest.raises(ParseError, match=r"fichiers \(limite 4\)"):
        read_document((DATA / "xdm_ss000001.zip").read_bytes())


def test_uri_climbing_out_is_ignored_and_missing_documents_fail() -> None:
    entries = _package()
    meta = entries.pop("IHE_XDM/SS000001/metadata.xml").replace(b"DOC0001.XML", b"../../README.TXT")
    entries["IHE_XDM/SS000001/metadata.xml"] = meta.replace(b"DOC0002.PDF", b"MISSING.PDF")
    with pytest.raises(ParseError, match="aucun document lisible"):
        read_document(_zip(entries))


def test_pdf_letter() -> None:
    result = read_document((DATA / "letter.pdf").read_bytes(), "courrier.pdf")
    assert result.format == "pdf"
    (doc,) = result.documents
    assert "Lettre de liaison" in doc.text and "Patient suivi pour HTA" in doc.text
    assert doc.identity.family_name == "" and doc.raw.startswith(b"%PDF")


def test_damaged_pdf_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        read_document(b"%PDF-1.4\n1 0 obj <<>> garbage", "x.pdf")
