"""The demo's names: compound family names (LE GOFF, DA SILVA) stay whole, so 'legoff' typed in Annuaire or the
patient search has someone to find (they were split into LE and GOFF: the demo had no particle name to try)."""

from __future__ import annotations

from core.demo.people import FAMILY


def test_compound_family_names_are_whole_and_found_however_typed() -> None:
    assert {"LE GOFF", "LE GALL", "LE ROUX", "DA SILVA"} <= set(FAMILY)
    assert not {"LE", "GOFF", "DA", "SILVA"} & set(FAMILY)
