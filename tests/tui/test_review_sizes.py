"""À classer at the sizes a practice's terminals have: every trait of the identity (name, birth name, given
names, birth date, sex, INS) stays on screen beside the candidate's, with the documents' filter open too, and the
first candidate's line is still there to file to. (The comparison was capped at 60% of the space under the list:
at 80x24 with the filter open, and at 60x20, its Sexe and INS rows were cut off.)"""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import open_review_at, text_of
from tui.app import MissiveApp

ROWS = ("Nom ", "Nom de naissance", "Prénoms", "Naissance", "Sexe", "INS / NIR")


@pytest.mark.parametrize("size", [(100, 30), (80, 24), (60, 20)])
@pytest.mark.parametrize("searching", [False, True])
async def test_every_trait_of_the_identity_is_on_screen(
    mailroom: FakeMailroom, size: tuple[int, int], searching: bool
) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-ambiguous")
        if searching:
            await pilot.press("slash")
            await settle(app, pilot)
            assert app.screen.query_one("#review-search").display
        box = app.screen.query_one("#review-compare")
        lines = text_of(app, "#review-compare").rstrip("\n").splitlines()
        assert [row for row in ROWS if any(row in line for line in lines)] == list(ROWS)
        assert box.size.height >= len(lines), f"{len(lines)} rows in {box.size.height} at {size}"
        assert box.region.bottom <= app.screen.query_one("#review-detail").region.bottom
        candidates = app.screen.query_one("#review-candidates", OptionList)
        assert candidates.size.height >= 1 and candidates.region.bottom <= app.screen.size.height - 2
