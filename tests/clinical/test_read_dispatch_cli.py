"""Format detection, the mail pipeline's sniffer, and the ``missive parse`` command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.clinical.readers import detect_format, looks_clinical, read_document
from core.errors import ParseError
from tui.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"
SAMPLES = {
    "cda_r2_CR-BIO_2023.01_N3_ans.xml": "cda",
    "hl7v25_ADT_A01_PAMFR_INS_ans.er7": "hl7v2",
    "hl7v25_ORU_R01_CR-BIO_transport_ans.hl7": "hl7v2",
    "hprim2.1_ORU_libhprim_test.hpr": "hprim-2",
    "hprimnet_header-solabio_yokoinc.hpm": "hprim-net",
    "hprimnet_lab-section_yokoinc.hpr": "hprim-net",
    "hprimnet_res-lines_yokoinc.hpr": "hprim-net",
    "xdm_ss000001.zip": "xdm",
    "letter.pdf": "pdf",
}


@pytest.mark.parametrize(("name", "fmt"), sorted(SAMPLES.items()))
def test_detection_ignores_the_file_name(name: str, fmt: str) -> None:
    data = (DATA / name).read_bytes()
    assert detect_format(data, "whatever.txt") == fmt
    assert looks_clinical(data, "piece-jointe.bin", "application/octet-stream")


@pytest.mark.parametrize(
    "data",
    [
        b"Bonjour,\r\nvoici le planning de la semaine.\r\nCordialement\r\n",
        b"Sample files: the ****LAB**** block and ****FIN**** markers are described inline here.",
        b"PK\x03\x04not really a zip",
        b"<html><body>newsletter</body></html>",
        b"",
    ],
)
def test_ordinary_content_is_not_clinical(data: bytes) -> None:
    assert not looks_clinical(data, "message.txt", "text/plain")


def test_sniffer_trusts_clinical_names_and_types() -> None:
    assert looks_clinical(b"", "RESULTAT.HPR")
    assert looks_clinical(b"", "x.bin", "application/hl7-v2; charset=utf-8")


def test_unreadable_inputs_raise_parse_error_with_one_line() -> None:
    for data in (b"", b"   \n", b"\x00\x01\x02binary", b"MSH"):
        with pytest.raises(ParseError) as info:
            read_document(data, "a/b/file.dat")
        assert "\n" not in str(info.value)


def test_parse_json_one_line_per_file_errors_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(DATA / "hprim_net_multi_cr.hpr", folder / "b.hpr")
    shutil.copy(DATA / "cda_small.xml", folder / "sub" / "a.xml")
    (folder / "c.txt").write_text("rien de clinique ici\n")
    (folder / ".hidden.hpr").write_bytes(b"ignored")
    code = main(["parse", "--json", str(folder), str(DATA / "letter.pdf")])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [Path(line["file"]).name for line in lines] == ["b.hpr", "c.txt", "a.xml", "letter.pdf"]
    hprim, bad, cda_line, pdf_line = lines
    assert hprim["format"] == "hprim-net" and len(hprim["documents"]) == 2
    first = hprim["documents"][0]
    assert first["identity"]["family_name"] == "DURAND" and first["identity"]["birth_date"] == "1955-06-03"
    assert first["observations"][0]["value"] == "2.10" and "text" in first
    assert "error" in bad and "format" not in bad
    assert cda_line["format"] == "cda" and cda_line["documents"][0]["identity"]["ins"] == "285077512345655"
    assert pdf_line["format"] == "pdf"


def test_parse_summary_in_french_and_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["parse", str(DATA / "hprim_net_multi_cr.hpr")])
    out = capsys.readouterr().out
    assert code == 0
    assert "HPRIM Net, 2 documents" in out
    assert "DURAND SOPHIE" in out and "née le 03/06/1955" in out.replace("né(e)", "née")
    assert "2 résultats dont 1 anormal" in out


def test_parse_missing_file_needs_no_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--profile", str(tmp_path / "none"), "parse", "--json", str(tmp_path / "absent.hpr")])
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert code == 1 and "fichier introuvable" in line["error"]
    assert not (tmp_path / "none").exists()
