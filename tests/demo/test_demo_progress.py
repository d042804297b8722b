"""The demo's build says how far its longest step is: the sync of its letters, counted as they are read (a first
`make run` showed « synchronisation » alone for 10-30 s), then gives the line to its report."""

from __future__ import annotations

import re


def test_the_demo_build_counts_the_letters_it_syncs(built_demo) -> None:
    steps = [s.strip() for s in built_demo.terminal.split("\r") if s.strip()]
    assert "Construction du profil de démonstration : profil" in steps
    counts = [m.groups() for s in steps if (m := re.fullmatch(r".* : synchronisation (\d+)/(\d+)", s))]
    assert len(counts) > 2, steps
    done, total = counts[-1]
    assert done == total and int(total) >= 200, counts[-3:]
    assert f"{total} messages" in built_demo.stdout
