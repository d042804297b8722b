"""Fixtures of the directory tests: small generated extractions and an imported index."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.directory.search import Directory
from tests.directory import gen

N_RPPS = 600  # rows; about 460 practitioners, some with several activities
N_MSS = 200


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Generated extractions: 56-column UTF-8 RPPS, 52-column Latin-1 RPPS, MSSanté, and a zip of them."""
    d = tmp_path_factory.mktemp("extractions")
    n_pract = gen.practitioners_for(N_RPPS)
    out = {
        "rpps56": gen.write(
            d / "PS_LibreAcces_Personne_activite_56.txt", gen.rpps_lines(N_RPPS, 56, extra=gen.LEFEVRE_CASE)
        ),
        "rpps52_latin1": gen.write(
            d / "PS_LibreAcces_Personne_activite_52.txt",
            gen.rpps_lines(N_RPPS, 52, extra=gen.LEFEVRE_CASE),
            encoding="latin-1",
        ),
        "mss": gen.write(
            d / "Extraction_Correspondance_MSSante.txt", gen.mss_lines(N_MSS, n_pract, extra=gen.LEFEVRE_CASE)
        ),
    }
    zipped = d / "PS_LibreAcces_2026.zip"
    import zipfile

    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(out["rpps56"], "PS_LibreAcces_Personne_activite_202608261013.txt")
        zf.writestr(
            "PS_LibreAcces_Dipl_AutExerc_202608261013.txt",
            "Type d'identifiant PP|Identifiant PP|Code diplôme|\n8|1|X|\n",
        )
        zf.write(out["mss"], "Extraction_Correspondance_MSSante_202608261013.txt")
    out["zip"] = zipped
    return out


@pytest.fixture(scope="session")
def directory(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Directory:
    """An index built from the 56-column RPPS file and the MSSanté file (read-only for the tests using it)."""
    d = Directory(tmp_path_factory.mktemp("profile") / "directory")
    d.import_files([files["rpps56"], files["mss"]])
    return d
