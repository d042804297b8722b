"""A lab result as the screens write it: the arrow beside the core's verdict and, for the CLI, one line.

No Textual here: ``missive parse`` and ``missive messages show`` write the same words as the reader's table
(:func:`tui.panes.reader.results_table`) without loading the toolkit.
"""

from __future__ import annotations

from core.model import Observation, printable
from tui.i18n import t


def flag_symbol(obs: Observation) -> str:
    """A symbol beside the colour, so abnormal values read in 16 colours and in black and white: the
    core's verdict (the sender's flag, or the value against its bounds when it gives none)."""
    flag = obs.verdict
    if obs.direction == "high":
        return "↑↑" if flag == "HH" else "↑"
    if obs.direction == "low":
        return "↓↓" if flag == "LL" else "↓"
    return "!" if obs.abnormal else ""


def result_line(obs: Observation) -> str:
    """'↑  Créatinine : 1.42 mg/dL (réf. 0.74–1.06)': the arrow, the test, the value and the interval as
    the core words it ('≤ 5' where a result may equal its bound), on one printable line."""
    line = f"{flag_symbol(obs):<2} {obs.label or obs.code} : {obs.value} {obs.shown_unit}".rstrip()
    if obs.reference:
        line += t("cli.result.reference", reference=obs.reference)
    if obs.value2:
        line += f" = {obs.value2} {obs.shown_unit2}".rstrip()
        if obs.reference2:
            line += t("cli.result.reference", reference=obs.reference2)
    if obs.susceptibility:
        line += f", {obs.susceptibility}"
    if obs.status_words:
        line += f" [{obs.status_words}]"
    return printable(line, one_line=True)
