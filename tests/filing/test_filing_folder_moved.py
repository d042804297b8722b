"""The practice software's import folder renamed or replaced (its own settings moved it, a new empty folder made
at the old path) while missive files. Filing holds the import folder open as a descriptor (26ae1bd): a rename
while the filing's intent was recorded sent the result into the renamed folder, where the practice software no
longer looks, and the record pointed at a path with no file. Now the folders held are checked against the
configured path just before the file is named: the result goes where the path leads now, or, when it leads
nowhere, the filing fails with one French line and leaves nothing behind in the folder it left."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.clinical.readers import read_document
from core.errors import StoreError
from core.practice import filing
from core.practice.filing import TEMP_DIR, patient_folder
from tests.filing.test_documents import AUTO, RAW, REVIEW, make_queue

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX folder descriptors")


@pytest.fixture
def document():
    return read_document(RAW, "res.hpr").documents[0]


def _moving_during_the_intent(monkeypatch, move) -> list[bool]:
    """``move()`` runs once, as the filing records its intent (the import folder is open by then)."""
    real_publish = filing.publish
    moved: list[bool] = []

    def publish(temp, folder, name_for, *, before=None):
        def intend(final: Path) -> None:
            if before is not None:
                before(final)
            if not moved:
                move()
                moved.append(True)

        return real_publish(temp, folder, name_for, before=intend)

    monkeypatch.setattr(filing, "publish", publish)
    return moved


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def test_renamed_between_two_filings_the_second_goes_where_the_path_leads(tmp_path, document) -> None:
    """Each filing opens the configured path afresh (this held before too): a descriptor kept from one filing
    to the next would file the second into the renamed folder."""
    queue, _ = make_queue(tmp_path, [])
    lgc, old = tmp_path / "lgc", tmp_path / "lgc-ancien"
    first = queue.ingest(document, AUTO, message_id="m-1", raw=RAW)
    assert first.state == "filed" and Path(first.filed_path).parent == lgc
    lgc.rename(old)
    lgc.mkdir()  # the practice software's new import folder, at the configured path
    other = RAW + b"\r\n"  # another result (the same bytes again would be a duplicate, filed nowhere)
    second = queue.ingest(document, AUTO, message_id="m-2", raw=other)
    assert second.state == "filed" and Path(second.filed_path).parent == lgc
    assert Path(second.filed_path).read_bytes() == other
    assert _files(old) == [Path(first.filed_path).name]  # nothing more in the renamed folder


def test_renamed_during_a_filing_the_result_goes_where_the_path_leads_now(
    tmp_path, document, monkeypatch
) -> None:
    queue, _ = make_queue(tmp_path, [])
    lgc, old = tmp_path / "lgc", tmp_path / "lgc-ancien"
    lgc.mkdir()

    def move() -> None:
        lgc.rename(old)
        lgc.mkdir()

    moved = _moving_during_the_intent(monkeypatch, move)
    filed = queue.ingest(document, AUTO, message_id="m-1", raw=RAW)
    assert moved and filed.state == "filed"
    path = Path(filed.filed_path)
    assert path.parent == lgc and path.read_bytes() == RAW  # the record names a file that is there
    assert _files(lgc) == [path.name]
    # neither the file nor its staged copy (nor the hidden folder) in the renamed one
    assert _files(old) == []


def test_renamed_away_during_a_filing_nothing_is_filed_and_nothing_left_behind(
    tmp_path, document, monkeypatch
) -> None:
    queue, _ = make_queue(tmp_path, [])
    lgc, old = tmp_path / "lgc", tmp_path / "lgc-ancien"
    lgc.mkdir()
    waiting = queue.ingest(document, REVIEW, message_id="m-1", raw=RAW)
    moved = _moving_during_the_intent(monkeypatch, lambda: lgc.rename(old))
    with pytest.raises(StoreError, match="a été renommé ou déplacé pendant le classement") as caught:
        queue.file(waiting.id, "p-1", actor="dr")
    assert moved and "\n" not in str(caught.value)
    assert document.identity.family_name not in str(caught.value)
    assert queue.get(waiting.id).state == "waiting" and not queue.get(waiting.id).intent  # not 'filed'
    assert _files(old) == [] and not lgc.exists()  # no clear copy left in the folder it left
    lgc.mkdir()  # the folder is back: filed there
    filed = queue.file(waiting.id, "p-1", actor="dr")
    assert Path(filed.filed_path).parent == lgc and Path(filed.filed_path).read_bytes() == RAW


def test_a_patients_folder_replaced_during_a_filing_gets_the_result_in_its_new_place(
    tmp_path, document, monkeypatch
) -> None:
    queue, _ = make_queue(tmp_path, [], layout="patient-folders")
    lgc = tmp_path / "lgc"
    mine, aside, other = lgc / patient_folder("p-1"), tmp_path / "aside", lgc / patient_folder("p-2")
    mine.mkdir(parents=True)
    other.mkdir()

    def move() -> None:
        mine.rename(aside)
        mine.symlink_to(other)  # and a link in its place: refused, nothing anywhere

    _moving_during_the_intent(monkeypatch, move)
    waiting = queue.ingest(document, REVIEW, message_id="m-1", raw=RAW)
    with pytest.raises(StoreError, match="lien symbolique, pas le dossier du patient"):
        queue.file(waiting.id, "p-1", actor="dr")
    assert _files(other) == [] and _files(aside) == [] and queue.get(waiting.id).state == "waiting"
    assert not (lgc / TEMP_DIR).exists() or _files(lgc / TEMP_DIR) == []
