"""An antibiogram reads as a GP reads it: a germ resistant (R) or intermediate (I) to an antibiotic stands out,
one susceptible to it (S, VS, MS) does not, and each line says it in words (sensible / intermédiaire /
résistant). And a result value the sender repeats (HL7 OBX-5 '27~25') is shown whole, each repetition checked.

Before, every antibiotic the germ is sensitive to was an abnormal result (red, '!', counted in 'N anormaux'),
and '27~25' read '27'.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clinical.readers import read_document
from core.model import Observation
from tui.panes.reader import results_table

ECBU = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "conformance"
    / "ans-cda"
    / "BIO-CR-BIO_2024.01_Microbiologie_V2.xml"
)

ORU = (
    b"MSH|^~\\&|LAB|L|DOC|D|202601020830||ORU^R01|1|P|2.5\r"
    b"PID|1||123^^^L||MARTIN^PAUL||19600201|M\r"
    b"OBR|1||X|ANTIBIO\r"
    b"OBX|1|ST|AMX^Amoxicilline||>32|mg/L||R|||F\r"
    b"OBX|2|ST|CTX^Cefotaxime||1|mg/L||I|||F\r"
    b"OBX|3|ST|GEN^Gentamicine||<=1|mg/L||S|||F\r"
    b"OBX|4|ST|IPM^Imipeneme||<=0.25|mg/L||VS|||F\r"
    b"OBX|5|ST|SXT^Cotrimoxazole||2|mg/L||MS|||F\r"
    b"OBX|6|NM|K^Potassium||5.9|mmol/L|3.5-5.0|H|||F\r"
    b"OBR|2||Y|GLY\r"
    b"OBX|1|NM|GLU^Glycemie||5,1~7,2|mmol/L|3.9-6.1||||F\r"
    b"OBX|2|NM|NA^Sodium||140~141|mmol/L|135-145||||F\r"
)


def _observations(doc) -> dict[str, Observation]:
    return {o.label.split(" [")[0]: o for o in doc.observations}


def test_a_real_ecbu_counts_only_the_resistant_and_intermediate_lines_abnormal() -> None:
    """The ANS ECBU: two germs, six MICs; the first germ is R to amoxicillin-clavulanate, I to ampicillin,
    S to gentamicin, the second S to all three. Two abnormal results, not six."""
    (doc,) = read_document(ECBU.read_bytes(), ECBU.name).documents
    mics = [
        (o.label.split(" [")[0], o.flag, o.abnormal, o.susceptibility)
        for o in doc.observations
        if o.unit == "ug/mL"
    ]
    assert mics == [
        ("Amoxicilline+clavulanate", "R", True, "résistant"),
        ("Ampicilline", "I", True, "intermédiaire"),
        ("Gentamicine", "S", False, "sensible"),
        ("Amoxicilline+clavulanate", "S", False, "sensible"),
        ("Ampicilline", "S", False, "sensible"),
        ("Gentamicine", "S", False, "sensible"),
    ]  # fmt: skip
    assert sum(o.abnormal for o in doc.observations) == 2
    table = results_table(doc).plain.splitlines()
    resistant = next(line for line in table if "Amoxicilline" in line)
    assert resistant.startswith("!") and resistant.rstrip().endswith("résistant")
    sensible = [line for line in table if "Gentamicine" in line]
    assert all(line.startswith(" ") and line.rstrip().endswith("sensible") for line in sensible)


def test_missive_parse_says_two_abnormal_and_the_words(capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import main

    assert main(["parse", str(ECBU)]) == 0
    out = capsys.readouterr().out
    assert "14 résultats dont 2 anormaux" in out
    lines = [line.strip() for line in out.splitlines()]
    assert (
        "!  Amoxicilline+clavulanate [Sensibilité] Isolat ; Alphanumérique ; CMI : ≥0.512 µg/mL, résistant"
        in lines
    )
    assert "Gentamicine [Sensibilité] Isolat ; Alphanumérique : <0.032 µg/mL, sensible" in lines  # UCUM ug: µg


def test_hl7_table_0078_susceptibility_flags() -> None:
    """HL7 v2 table 0078 (HPRIM Santé has the same list): S, VS and MS are no abnormal result, I and R are;
    the other flags keep their verdicts (H still high)."""
    (doc,) = read_document(ORU, "antibio.hl7").documents
    obs = _observations(doc)
    words = {name: (o.abnormal, o.susceptibility) for name, o in obs.items() if o.susceptibility}
    assert words == {
        "Amoxicilline": (True, "résistant"),
        "Cefotaxime": (True, "intermédiaire"),
        "Gentamicine": (False, "sensible"),
        "Imipeneme": (False, "très sensible"),
        "Cotrimoxazole": (False, "modérément sensible"),
    }
    assert (
        obs["Potassium"].abnormal
        and obs["Potassium"].direction == "high"
        and not obs["Potassium"].susceptibility
    )
    # the JSON of `missive parse --json` carries the words too
    assert obs["Amoxicilline"].to_json()["susceptibility"] == "résistant"
    assert "susceptibility" not in obs["Potassium"].to_json()


def test_a_repeated_value_is_shown_whole_and_each_repetition_checked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """OBX-5 '5,1~7,2': two glycaemias, the second above 6.1: '5.1 ; 7.2', high. '140~141', both within."""
    (doc,) = read_document(ORU, "antibio.hl7").documents
    obs = _observations(doc)
    assert (obs["Glycemie"].value, obs["Glycemie"].verdict, obs["Glycemie"].direction) == (
        "5.1 ; 7.2",
        "H",
        "high",
    )
    assert (obs["Sodium"].value, obs["Sodium"].abnormal) == ("140 ; 141", False)
    # one above, one below: abnormal, no single direction
    assert Observation(value="2 ; 9", low="3", high="8").verdict == "A"
    assert Observation(value="4 ; 9", low="3", high="8").verdict == "H"


def test_missive_parse_shows_every_repetition(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import main

    path = tmp_path / "antibio.hl7"
    path.write_bytes(ORU)
    assert main(["parse", str(path)]) == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    assert "↑  Glycemie : 5.1 ; 7.2 mmol/L (réf. 3.9–6.1)" in lines
    assert "!  Amoxicilline : >32 mg/L, résistant" in lines
    assert "Gentamicine : <=1 mg/L, sensible" in lines


def test_hprim_sante_repeated_value_and_susceptibility() -> None:
    """HPRIM Santé (component '~', repetition '^'): '5,1^7,2' reads '5.1 ; 7.2', high; S is no abnormal
    result, R is."""
    hpr = "\r\n".join(
        [
            "H|~^\\&|RES.HPR||LAB9~LABO TEST||ORU|||MED1~DR FICTIF||P|H2.2~C|202601051030",
            "P|1||B1||DUPONT~MARIE||19800101|F",
            "OBR|1|||GLY~Glycemie~L",
            "OBX|1|NM|GLY~Glycemie~L||5,1^7,2|mmol/l|3.9 - 6.1||||F",
            "OBX|2|ST|AMX~Amoxicilline~L||>32|mg/l||R|||F",
            "OBX|3|ST|GEN~Gentamicine~L||<=1|mg/l||S|||F",
            "L|1",
        ]
    ).encode()
    (doc,) = read_document(hpr, "res.hpr").documents
    obs = _observations(doc)
    assert (obs["Glycemie"].value, obs["Glycemie"].direction) == ("5.1 ; 7.2", "high")
    assert (obs["Amoxicilline"].abnormal, obs["Amoxicilline"].susceptibility) == (True, "résistant")
    assert (obs["Gentamicine"].abnormal, obs["Gentamicine"].susceptibility) == (False, "sensible")
