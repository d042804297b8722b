"""XDM packages the Direct Project's reference implementation wrote (tests/data/conformance/direct-project),
each the attachment of a letter in a Maildir account, synced, then `missive documents list`:

- one zipped with its folder (samplexdm/IHE_XDM/SUBSET01/...): read, the CCD's patient waits in À classer with
  the practice's patient of the same traits as candidate (outside the trust space: never filed alone);
- one a Windows tool zipped (backslash paths, no IHE_XDM/ folder, no URI): no IHE XDM package, refused in one
  line, but in À classer as « illisible » (ask the sender again). It was taken for an ordinary zip: a letter
  carrying a patient's document that nobody was told about.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from core.clinical import xdm
from tests.conformance.test_clinical_corpus import DATA

DIRECT = DATA / "direct-project"
PATIENTS = "id,birth_name,used_name,given_names,birth_date,sex,ins\np-1,DOE,,JOHN,1956-05-27,M,\n"


def _letter(n: int, path: Path) -> bytes:
    head = (
        f"From: hisp@direct.example\r\nTo: doc@missive.test\r\nSubject: XDM {path.name}\r\n"
        f"Message-ID: <xdm{n}@direct.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nCi-joint.\r\n'
        f'--b\r\nContent-Type: application/zip; name="{path.name}"\r\n'
        f'Content-Disposition: attachment; filename="{path.name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    )
    return head.encode() + base64.encodebytes(path.read_bytes()) + b"--b--\r\n"


def test_direct_project_xdm_packages_through_a_sync(cli, tmp_path: Path) -> None:  # noqa: F811
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    names = ["xd-common-samplexdm.zip", "xdmail-samplexdm.zip"]
    for n, name in enumerate(names):
        (root / "new" / f"170000000{n}.real9:2,").write_bytes(_letter(n, DIRECT / name))
    (tmp_path / "patients.csv").write_text(PATIENTS, "utf-8")
    assert cli("init")[0] == 0
    assert cli("patients", "import", str(tmp_path / "patients.csv"))[0] == 0
    assert cli("account", "add", "local", "--email", "doc@missive.test", "--maildir", str(root))[0] == 0
    code, out, err = cli("sync")
    assert (code, err) == (0, "") and "local: 2 nouveaux" in out, (out, err)
    code, out, err = cli("documents", "list", "--json")
    assert code == 0, err
    by_file = {doc["attachment"]: doc for doc in map(json.loads, out.splitlines())}
    assert sorted(by_file) == names  # the second was no document at all

    read = by_file["xd-common-samplexdm.zip"]
    assert (read["format"], read["state"], read["unreadable"]) == ("cda", "waiting", None)
    assert [c["patient_id"] for c in read["candidates"]] == ["p-1"] and read["patient_id"] is None

    refused = by_file["xdmail-samplexdm.zip"]
    assert (refused["format"], refused["state"], refused["patient_id"]) == ("xdm", "unreadable", None)
    assert refused["unreadable"] is not None
    code, out, _ = cli("documents", "list")
    line = next(line for line in out.splitlines() if line.startswith(refused["id"]))
    assert "illisible" in line and "l'archive zip n'est pas un paquet IHE XDM (pas de IHE_XDM/*/METADATA.XML)" in line


def test_what_is_taken_for_an_xdm_package() -> None:
    assert xdm.looks_like((DIRECT / "xd-common-samplexdm.zip").read_bytes())
    assert xdm.looks_like((DIRECT / "xdmail-samplexdm.zip").read_bytes())  # SUBSET01\METADATA.xml
    plain = (DATA.parent / "tnef").glob("*.tnef")  # anything but a zip
    assert not any(xdm.looks_like(p.read_bytes()) for p in plain)
