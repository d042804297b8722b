"""The watched folder of the practice software: a report one byte over its limit (50 MB, what MSSanté carries)
or a sidecar one byte over 1 MB is set aside in failed/ with its reason, before a byte of it is read; the
folder goes on with the other pairs. (A FIFO or a file swapped after the scan: tests/filing/test_watchfolder.py.)"""

from __future__ import annotations

from pathlib import Path

from core.watchfolder import MAX_REPORT, MAX_SIDECAR, WatchFolder
from tests.filing.test_watchfolder import GOOD, PDF, Outbox, _age, _drop


async def test_a_report_or_a_sidecar_over_its_limit_is_set_aside_and_the_others_go(tmp_path: Path) -> None:
    outbox = Outbox()
    big, big_side = _drop(tmp_path, "SCANNER.pdf", b"", GOOD)
    with big.open("wb") as file:
        file.truncate(MAX_REPORT + 1)  # sparse: nothing written
    long_side_report, long_side = _drop(tmp_path, "LONG.pdf", PDF, GOOD)
    with long_side.open("ab") as file:
        file.truncate(MAX_SIDECAR + 1)
    good, good_side = _drop(tmp_path, "CR.pdf", PDF, GOOD)
    _age(big, big_side, long_side_report, long_side, good, good_side)
    result = await WatchFolder(tmp_path, outbox).scan()
    assert result.sent == ["CR.pdf"] and sorted(result.failed) == ["LONG.pdf", "SCANNER.pdf"]
    assert [a.filename for d in outbox.drafts for a in d.attachments] == ["CR.pdf"]
    failed = tmp_path / "failed"
    assert "SCANNER.pdf dépasse 50 Mo" in (failed / "SCANNER.pdf.error.txt").read_text()
    assert "LONG.pdf.json dépasse 1 Mo" in (failed / "LONG.pdf.error.txt").read_text()
    assert (failed / "SCANNER.pdf").stat().st_size == MAX_REPORT + 1  # kept as it was, for the doctor
