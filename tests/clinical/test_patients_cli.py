"""``missive patients import|list`` and ``missive match`` through the real CLI and an encrypted profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "clinical"


def test_import_then_list_json(profile, cli) -> None:
    code, out, err = cli("patients", "import", str(DATA / "patients.csv"))
    assert code == 0 and "4 ajouté(s)" in out, err
    code, out, _ = cli("patients", "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["id"] for r in rows] == ["1001", "1002", "1003", "1004"]
    assert rows[0]["given_names"] == ["Marie", "Anne"] and rows[2]["ins"] == "279035121518989"
    # Re-import: nothing new, nothing changed.
    code, out, _ = cli("patients", "import", str(DATA / "patients.csv"), "--json")
    assert json.loads(out) == {"added": 0, "updated": 0, "unchanged": 4, "total": 4, "same_person": []}


def test_one_person_under_two_ids_is_imported_and_said_one_line_per_pair(profile, cli, tmp_path: Path) -> None:
    """The practice software holds ROUX Jacques twice (2001 and 2044): both were imported without a word, and
    every result for him then waited in À classer as a homonym with nobody knowing why."""
    src = tmp_path / "export.csv"
    src.write_bytes(
        "id;birth_name;given_names;birth_date;sex\r\n"
        "2001;ROUX;Jacques;03/04/1951;M\r\n"
        "2044;Roux;JACQUES;1951-04-03;\r\n"
        "2050;ROUX;Paul;03/04/1951;M\r\n".encode("cp1252")
    )
    code, out, err = cli("patients", "import", str(src))
    assert code == 0, err
    assert "3 ajouté(s)" in out
    [line] = err.splitlines()
    assert line.startswith("missive : dossiers 2001 et 2044 : mêmes nom de naissance, prénoms, date de naissance")
    assert "Les deux sont importés" in line and "fusionnez-les dans le logiciel métier" in line
    assert not [value for value in ("ROUX", "Roux", "Jacques", "1951", "03/04") if value in line]  # ids only
    code, out, err = cli("patients", "import", str(src), "--json")
    assert code == 0 and json.loads(out)["same_person"] == [["2001", "2044"]], out
    code, out, _ = cli("patients", "list", "--json")
    assert [json.loads(r)["id"] for r in out.splitlines()] == ["2001", "2044", "2050"]
    code, out, err = cli("audit", "list")
    assert code == 0 and "2044" not in out, out  # the log and the audit: counts only


def test_bad_csv_is_one_line_exit_2_and_imports_nothing(profile, cli) -> None:
    code, out, err = cli("patients", "import", str(DATA / "patients_bad.csv"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "ligne 3" in err and "rien n'a été importé" in err
    assert "Traceback" not in err and "Zola" not in err
    code, out, _ = cli("patients", "list", "--json")
    assert code == 0 and out == ""


def test_map_option(profile, cli, tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text("NUM;NOM;PRENOMS;DDN;SEXE\n9;Leroy;Luc;30/11/1980;M\n", encoding="utf-8")
    args = ["--map", "NUM=id", "--map", "NOM=birth_name", "--map", "PRENOMS=given_names"]
    code, _, err = cli("patients", "import", str(src), *args, "--map", "DDN=birth_date", "--map", "SEXE=sex")
    assert code == 0, err
    code, out, _ = cli("patients", "list")
    assert "Leroy" in out and "30/11/1980" in out
    code, _, err = cli("patients", "import", str(src), "--map", "NUM=numero")
    assert code == 2 and "colonne cible 'numero' inconnue" in err


def test_match_decides_per_document_and_reports_unreadable_files(profile, cli, tmp_path: Path) -> None:
    cli("patients", "import", str(DATA / "patients.csv"))
    broken = tmp_path / "broken.hpr"
    broken.write_bytes(b"")  # an empty download
    code, out, err = cli("match", str(DATA / "match_four.hpr"), str(broken), "--json")
    assert code == 1, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["file"].endswith("match_four.hpr") and first["format"] == "hprim-net"
    decisions = [(d["decision"], d["patient_id"]) for d in first["documents"]]
    # Married name of patient 1001; a day/month order that is no date; the same patient, clean; a stranger.
    assert decisions == [("auto", "1001"), ("review", None), ("auto", "1002"), ("new", None)]
    review = first["documents"][1]
    assert review["identity"]["family_name"] == "DURAND" and review["identity"]["birth_date"] is None
    assert review["candidates"][0]["patient_id"] == "1002"
    assert "date de naissance absente" in review["candidates"][0]["reasons"]
    assert set(second) == {"file", "error"} and second["file"].endswith("broken.hpr")


def test_match_walks_a_folder_and_prints_french_lines(profile, cli, tmp_path: Path) -> None:
    cli("patients", "import", str(DATA / "patients.csv"))
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "b.hpr").write_bytes((DATA / "match_four.hpr").read_bytes())
    (folder / "a.hpr").write_bytes((DATA / "match_four.hpr").read_bytes())
    code, out, _ = cli("match", str(folder))
    assert code == 0
    assert out.index("a.hpr") < out.index("b.hpr")
    assert out.count("automatique : patient 1001") == 2 and "à vérifier" in out
    assert out.count("aucun candidat : aucun patient né le 02/04/1940 avec un nom ou un prénom proche") == 2


def test_patients_without_action_is_a_usage_error(profile, cli) -> None:
    code, _, err = cli("patients")
    assert code == 2 and "missive patients : sous-commande manquante" in err


def _blank_identity_files() -> dict[str, tuple[bytes, str]]:
    """Each clinical reader's file with no patient identity (or a part that names nobody), made from the test data
    in memory: (bytes, file name) by case. The first document of each is the one without identity."""
    import io
    import re
    import zipfile

    oru = (DATA / "hl7_oru_multi.hl7").read_bytes()
    pid = re.search(rb"PID\|[^\r\n]*", oru)
    hprim2 = (DATA / "hprim2_multi.hpr").read_bytes()
    p1 = re.search(rb"P\|1\|1001\|[^\r\n]*", hprim2)
    net = (DATA / "match_four.hpr").read_bytes().split(b"****FIN****")[0] + b"****FIN****\r\n"
    lines = net.split(b"\n")
    lines[1] = lines[2] = lines[6] = b"\r"  # family name, given names, birth date: blank
    cda = (DATA / "cda_small.xml").read_bytes()
    ins_only = re.sub(rb"<patient>.*?</patient>", b"<patient/>", cda, flags=re.S)
    bare = re.sub(rb'<id root="1.2.250.1.213.1.4.8"[^>]*/>', b"", ins_only)
    meta = (
        '<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>'
        '<rim:ExtrinsicObject id="d1" mimeType="text/xml"><rim:Slot name="sourcePatientInfo"><rim:ValueList>'
        "<rim:Value>PID-5|</rim:Value><rim:Value>PID-7|</rim:Value></rim:ValueList></rim:Slot>"
        '<rim:Slot name="URI"><rim:ValueList><rim:Value>DOC0001.XML</rim:Value></rim:ValueList></rim:Slot>'
        "</rim:ExtrinsicObject></rim:RegistryObjectList></lcm:SubmitObjectsRequest>"
    )
    xdm = io.BytesIO()
    with zipfile.ZipFile(xdm, "w") as zf:
        zf.writestr("IHE_XDM/SUBSET01/METADATA.XML", meta)
        zf.writestr("IHE_XDM/SUBSET01/DOC0001.XML", bare)
    assert pid and p1
    return {
        "hl7-empty-pid": (oru.replace(pid.group(0), b"PID|1", 1), "r.hl7"),
        "hl7-pid-id-only": (oru.replace(pid.group(0), b"PID|1||P42^^^LABO&1.2.3&ISO^PI", 1), "r.hl7"),
        "hl7-minimal": (b"MSH|^~\\&|x\rPID|||", "m.hl7"),
        "hprim-sante-empty-p": (hprim2.replace(p1.group(0), b"P|1", 1), "s.hpr"),
        "hprim-net-no-name-nor-date": (b"\n".join(lines), "n.hpr"),
        "cda-no-patient": (bare, "c.xml"),
        "xdm-empty-metadata-and-cda": (xdm.getvalue(), "IHE_XDM.ZIP"),
        "hl7-given-name-only": (oru.replace(pid.group(0), b"PID|1||||^JEANNE^^^^^L", 1), "g.hl7"),
        "cda-ins-only": (ins_only, "i.xml"),
    }


BLANK = _blank_identity_files()
UNREADABLE = "aucun candidat : l'identité du patient est illisible dans le document"
PARTIAL = {
    "hl7-given-name-only": "le document ne donne ni le nom de famille ni la date de naissance",
    "cda-ins-only": "aucun patient n'a l'INS du document",
}


@pytest.mark.parametrize("case", sorted(BLANK))
def test_match_says_the_words_a_classer_shows_for_a_document_without_identity(
    profile, profile_dir, cli, tmp_path: Path, case: str
) -> None:
    """`missive match` and À classer give one verdict, the core's, for a document whose identity is empty or
    names nobody (an HL7 PID with no trait, an HPRIM header without name nor birth date, a CDA or XDM without a
    patient): « identité illisible », never « aucun patient correspondant (nouveau) », which sent the doctor
    to create a patient from a result that names none."""
    from core.mail.messages import MessageStore
    from core.mailroom import Mailroom

    assert cli("patients", "import", str(DATA / "patients.csv"))[0] == 0
    data, name = BLANK[case]
    path = tmp_path / name
    path.write_bytes(data)
    code, out, err = cli("match", str(path))
    assert code == 0, err
    first = out.splitlines()[1]  # the file's line, then one line per document
    assert "nouveau" not in first
    expected = PARTIAL.get(case, UNREADABLE)
    assert expected in first
    code, out, err = cli("match", str(path), "--json")
    document = json.loads(out)["documents"][0]
    assert document["decision"] == "new" and document["candidates"] == [] and expected in document["no_candidate"]

    # The same file arriving by mail waits in À classer with the same words (the app shows ReviewItem's).
    mailroom = Mailroom.open(profile_dir, "correct horse battery staple")
    store = MessageStore(mailroom.profile)
    state = store.folder_state("cabinet", "INBOX")
    state.uidvalidity = 1
    [mid] = store.store_new(state, [(1, [], b"Subject: resultats\r\n\r\nx\r\n", {})])
    queued = mailroom.documents.ingest_message(
        mid, [(name, "application/octet-stream", data)], mailroom.patients.index().match
    )
    waiting, _ = mailroom.review_items()
    item = next(i for i in waiting if i.id == queued[0].id)
    assert item.no_candidate == first.removeprefix("  - ")


def test_a_patient_merged_in_the_practice_software_is_removed_by_id(profile, cli, tmp_path: Path) -> None:
    """The practice software merged ROUX Jacques 2044 into 2001: missive kept 2044 (an import never deletes),
    so each of his results waited as a homonym with no way out. `missive patients remove 2044` takes it out:
    all the ids or none, the matching index no longer proposes it, the audit says which id."""
    import datetime as dt

    from core.mailroom import Mailroom
    from core.model import Identity

    src = tmp_path / "export.csv"
    src.write_bytes(
        b"id;birth_name;given_names;birth_date;sex\r\n"
        b"2001;ROUX;Jacques;03/04/1951;M\r\n"
        b"2044;ROUX;Jacques;03/04/1951;M\r\n"
        b"2050;ROUX;Paul;03/04/1951;M\r\n"
    )
    assert cli("patients", "import", str(src))[0] == 0
    roux = Identity(
        family_name="ROUX",
        birth_name="ROUX",
        given_names=("Jacques",),
        birth_date=dt.date(1951, 4, 3),
        sex="M",
    )
    mr = Mailroom.open(profile.path, "correct horse battery staple")
    before = mr.match_identity(roux)
    assert before.decision == "review" and {c.patient_id for c in before.candidates} >= {"2001", "2044"}

    code, out, err = cli("patients", "remove", "2044", "9999")  # one unknown id: none removed
    assert code != 0 and "9999" in err and len(err.strip().splitlines()) == 1, (code, err)
    code, out, _ = cli("patients", "list", "--json")
    assert [json.loads(r)["id"] for r in out.splitlines()] == ["2001", "2044", "2050"]

    code, out, err = cli("patients", "remove", "2044")
    assert code == 0 and "1 patient(s) retiré(s) : 2044" in out, err
    code, out, _ = cli("patients", "list", "--json")
    assert [json.loads(r)["id"] for r in out.splitlines()] == ["2001", "2050"]
    after = Mailroom.open(profile.path, "correct horse battery staple").match_identity(roux)
    assert "2044" not in {c.patient_id for c in after.candidates}
    assert after.decision == "auto" and after.patient_id == "2001"  # no homonym left: his results file again
    code, out, _ = cli("audit", "list")
    assert code == 0 and "patients.remove" in out and "2044" in out and "ROUX" not in out
