"""The demo's names: compound family names (LE GOFF, DA SILVA) stay whole, so 'legoff' typed in Annuaire or the
patient search has someone to find (they were split into LE and GOFF: the demo had no particle name to try)."""

from __future__ import annotations

from core.demo.people import FAMILY


def test_compound_family_names_are_whole_and_found_however_typed() -> None:
    assert {"LE GOFF", "LE GALL", "LE ROUX", "DA SILVA"} <= set(FAMILY)
    assert not {"LE", "GOFF", "DA", "SILVA"} & set(FAMILY)


def test_a_used_name_is_never_the_birth_name() -> None:
    """'ROUX (usage ROUX)': the generator could draw a married name equal to the birth name (4 in 3,000)."""
    from core.demo.people import make_patients

    people = [d.patient for d in make_patients(3000)]
    assert not [p.id for p in people if p.used_name and p.used_name == p.birth_name]
    assert sum(1 for p in people if p.used_name) > 400  # married names are still drawn
