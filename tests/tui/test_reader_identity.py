"""The reader's "Patient (selon le document)" line gives the identity a doctor checks: the name used, the birth
name when it differs, the given names, the birth date and the sex (as À classer's comparison and `missive
parse` do), so a result read in Réception can be told from a look-alike's. It said neither the sex nor the birth
name, though its docstring promised the sex."""

from __future__ import annotations

import datetime as dt

from core.model import Identity
from tui.i18n import set_language
from tui.panes.reader import identity_line


def test_the_identity_line_says_the_sex_and_the_birth_name() -> None:
    married = Identity(
        family_name="MARTIN", birth_name="DURAND", given_names=("Sophie", "Anne"),
        birth_date=dt.date(1955, 6, 3), sex="F", ins="255069912345678",
    )  # fmt: skip
    assert identity_line(married) == (
        "MARTIN Sophie Anne (né(e) DURAND) · né(e) le 03/06/1955 · femme · INS 255069912345678"
    )
    man = Identity(family_name="BENARD", birth_name="BENARD", given_names=("Gabriel",), sex="M")
    assert identity_line(man) == "BENARD Gabriel · homme"
    unknown = Identity(family_name="BENARD", given_names=("Gabriel",), birth_date=dt.date(1976, 10, 19), sex="U")
    assert identity_line(unknown) == "BENARD Gabriel · né(e) le 19/10/1976"  # an unknown sex is left unsaid


def test_in_english() -> None:
    set_language("en")
    married = Identity(family_name="MARTIN", birth_name="DURAND", given_names=("Sophie",), sex="F")
    assert identity_line(married) == "MARTIN Sophie (born DURAND) · female"
