"""Reference intervals as labs write them, shared by the HL7 v2 and HPRIM 2 readers."""

from __future__ import annotations

import pytest

from core.clinical.values import reference_bounds


@pytest.mark.parametrize(
    ("written", "bounds"),
    [
        ("", ("", "")),
        ("2.20-2.60", ("2.20", "2.60")),
        ("4,00-10,00", ("4.00", "10.00")),
        ("-8 à -2", ("-8", "-2")),
        ("<5", ("", "5")),
        ("<= 0,5", ("", "0.5")),
        ("> 60", ("60", "")),
        (">=1,2", ("1.2", "")),
        ("négatif", ("négatif", "")),
        # a titre is a ratio, a written norm: '< 1' would be wrong
        ("<1/80", ("<1/80", "")),
        ("< 1:40", ("< 1:40", "")),
        ("<9 mcg/dL", ("", "9")),  # a unit after the bound (NIST) is not a ratio
    ],
)
def test_reference_bounds(written: str, bounds: tuple[str, str]) -> None:
    """A range gives both bounds, < a high one, > a low one, and a written norm stays whole as low."""
    assert reference_bounds(written) == bounds


@pytest.mark.parametrize(
    ("obx7", "shown"),
    [
        ("^1^:^128", "1:128"),  # read as the interval 1–128
        ("<^1^/^80", "<1/80"),  # was '< 1'
        ("^1^/^64", "1/64"),  # was '^1^/^64'
        ("^2.2^-^2.6", "2.2–2.6"),
        (">^11.0", "> 11.0"),
    ],
)
def test_a_titre_written_as_an_sn_ratio_is_a_ratio_not_an_interval(obx7: str, shown: str) -> None:
    from core.clinical.hl7v2 import parse

    message = (
        "MSH|^~\\&|LAB|LABO|DR|CAB|20250101||ORU^R01|1|P|2.5\r"
        "PID|||1^^^X^PI||DUPONT^MARIE||19800101|F\r"
        "OBR|1|||SERO^Sérologie^L\r"
        f"OBX|1|SN|SERO^Sérologie toxoplasmose^L||^1^:^256|titre|{obx7}|H|||F\r"
    )
    (doc,) = parse(message.encode())
    assert doc.observations[0].value == "1:256"
    assert doc.observations[0].reference == shown
