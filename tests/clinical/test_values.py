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
    ],
)
def test_reference_bounds(written: str, bounds: tuple[str, str]) -> None:
    """A range gives both bounds, < a high one, > a low one, and a written norm stays whole as low."""
    assert reference_bounds(written) == bounds
