"""A reference bound a result may equal ('<=5', '≤5', CDA's inclusive default) reads '≤ 5'; one it must stay
below ('<5', inclusive="false") reads '< 5'. The verdict follows: a result equal to an inclusive bound is
normal, equal to an exclusive one abnormal, and a number beyond its bounds is abnormal even when the sender
gives no flag (real HPRIM Net files leave it empty)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clinical.readers import read_document
from core.clinical.values import reference_limits
from core.model import Observation

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"


@pytest.mark.parametrize(
    ("written", "limits"),
    [
        ("<=5", ("", "5", None, True)),
        ("≤ 5", ("", "5", None, True)),
        ("=<5", ("", "5", None, True)),
        ("<5", ("", "5", None, False)),
        ("< 0,5", ("", "0.5", None, False)),
        (">=60", ("60", "", True, None)),
        ("≥60", ("60", "", True, None)),
        (">60", ("60", "", False, None)),
        ("2.20-2.60", ("2.20", "2.60", None, None)),
        ("négatif", ("négatif", "", None, None)),
        ("<1/80", ("<1/80", "", None, None)),
    ],
)
def test_reference_limits_keep_what_the_sender_wrote(written: str, limits: tuple) -> None:
    assert reference_limits(written) == limits


def hl7(*obx: tuple[str, str, str]) -> bytes:
    """An ORU with one OBX per (value, OBX-7, OBX-8): no flag when OBX-8 is ''."""
    lines = [
        "MSH|^~\\&|LAB|LABO|MED|CAB|20260106120000||ORU^R01|M1|P|2.5",
        "PID|1||P1^^^LABO^PI||ROBERT^PAUL||20010203|M",
        "OBR|1|O1|F1|CRP^CRP^L|||20260106090000",
    ]
    for i, (value, reference, flag) in enumerate(obx, 1):
        lines.append(f"OBX|{i}|NM|T{i}^Test {i}^L||{value}|mg/L|{reference}|{flag}|||F")
    return "\r".join(lines).encode() + b"\r"


def hprim2(*obx: tuple[str, str, str]) -> bytes:
    lines = [
        "H|~^\\&|RES.HPR||LAB9~LABO TEST||ORU|||MED1~DR FICTIF||P|H2.2~C|202601051030",
        "P|1|1001|X1||DUBOIS~ELODIE||19900115|F",
        "OBR|1|R1||CRP~CRP~L|R||202601050800",
    ]
    for i, (value, reference, flag) in enumerate(obx, 1):
        lines.append(f"OBX|{i}|NM|T{i}~Test {i}~L||{value}|mg/L|{reference}|{flag}|||F")
    lines.append("L|1")
    return "\r".join(lines).encode() + b"\r"


@pytest.mark.parametrize("build", [hl7, hprim2], ids=["hl7v2", "hprim-2"])
def test_a_result_at_an_inclusive_limit_is_normal_at_an_exclusive_one_abnormal(build) -> None:
    (doc,) = read_document(
        build(("5", "<=5", ""), ("5", "<5", ""), ("60", ">=60", ""), ("60", ">60", ""), ("4", "<5", ""))
    ).documents
    at_most, below, at_least, above, within = doc.observations
    assert [o.reference for o in doc.observations] == ["≤ 5", "< 5", "≥ 60", "> 60", "< 5"]
    assert (at_most.abnormal, at_most.verdict) == (False, "")
    assert (below.abnormal, below.verdict) == (True, "H")
    assert (at_least.abnormal, at_least.verdict) == (False, "")
    assert (above.abnormal, above.verdict) == (True, "L")
    assert not within.abnormal


def test_hl7_sn_comparators_say_the_bound_too() -> None:
    """OBX-7 in the SN structure ('<=^5', '>^11.0', as HL7's ELR samples write it)."""
    (doc,) = read_document(hl7(("5", "<=^5", ""), ("11.0", ">^11.0", ""))).documents
    assert [o.reference for o in doc.observations] == ["≤ 5", "> 11.0"]
    assert [o.abnormal for o in doc.observations] == [False, True]


def test_the_senders_flag_wins_over_the_bounds() -> None:
    """A lab that says N (or H) for a value has the last word: no verdict is computed over its own."""
    (doc,) = read_document(hl7(("5", "<5", "N"), ("3", "<5", "H"))).documents
    assert [o.verdict for o in doc.observations] == ["N", "H"]
    assert [o.abnormal for o in doc.observations] == [False, True]


def cda(range_xml: str, value: str = "5") -> bytes:
    data = (DATA / "cda_small.xml").read_text("utf-8")
    start = data.index("<referenceRange>")
    end = data.index("</referenceRange>") + len("</referenceRange>")
    data = data[:start] + range_xml + data[end:]
    data = data.replace(
        '<value xsi:type="PQ" value="95" unit="umol/L"/>',
        f'<value xsi:type="PQ" value="{value}" unit="mg/L"/>',
        1,
    )
    return data.replace('<interpretationCode code="H"/>', "", 1).encode()


def _range(bounds: str) -> str:
    return f'<referenceRange><observationRange><value xsi:type="IVL_PQ">{bounds}</value></observationRange></referenceRange>'


def test_a_cda_bound_is_inclusive_unless_it_says_otherwise() -> None:
    """HL7 v3's IVL_PQ: <high value="5"/> is '≤ 5' (a result of 5 is normal); inclusive="false" is '< 5'."""
    (inclusive,) = read_document(cda(_range('<high value="5" unit="mg/L"/>'))).documents
    obs = inclusive.observations[0]
    assert (obs.reference, obs.flag, obs.abnormal) == ("≤ 5", "", False)
    (strict,) = read_document(cda(_range('<high value="5" unit="mg/L" inclusive="false"/>'))).documents
    obs = strict.observations[0]
    assert (obs.reference, obs.abnormal, obs.verdict) == ("< 5", True, "H")
    (low,) = read_document(cda(_range('<low value="60" unit="mg/L"/>'), value="59.5")).documents
    assert (low.observations[0].reference, low.observations[0].verdict) == ("≥ 60", "L")


def test_unflagged_results_beyond_their_range_in_a_real_hprim_net_file_are_abnormal() -> None:
    """yokoinc's HPRIM Net section gives no flag: calcium 3.00 (2.20-2.60) and glycaemia 1.30 (0.74-1.06)
    were shown as normal ('aucun anormal'), sodium 140 (136-145) is."""
    (doc,) = read_document((DATA / "hprimnet_lab-section_yokoinc.hpr").read_bytes()).documents
    verdicts = {o.label: (o.flag, o.verdict) for o in doc.observations}
    assert verdicts == {"GLYCEMIE": ("", "H"), "SODIUM": ("", ""), "CALCIUM": ("", "H")}


def test_no_verdict_is_guessed_from_what_is_not_a_plain_number() -> None:
    assert Observation(value="<0.5", high="5").verdict == ""  # a value with a sign
    assert Observation(value="positif", low="négatif").verdict == ""  # a written norm
    assert Observation(value="12", low="négatif").verdict == ""
    assert Observation(value="2.60", low="2.20", high="2.60").verdict == ""  # a range includes its limits
    assert Observation(value="-8", low="-2", high="2").verdict == "L"


def test_an_observation_without_the_new_fields_means_what_it_meant() -> None:
    """Results built or written before the inclusiveness was kept (HPRIM Net's two fields, an older JSON)
    read '< 5' and '> 60' as they always did, and their JSON holds no new key but the shown words."""
    old = Observation(label="CRP", value="3", unit="mg/L", high="5")
    assert old.reference == "< 5" and Observation(low="60").reference == "> 60"
    shown = old.to_json()
    assert "high_inclusive" not in shown and "low_inclusive" not in shown
    assert (shown["high"], shown["reference"], shown["verdict"]) == ("5", "< 5", "")
    assert Observation(high="5", high_inclusive=True).to_json()["high_inclusive"] is True
