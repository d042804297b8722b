"""Whoever can write the import folder (the practice software's share) swaps a patient's folder, or the hidden
temporary folder, for a symbolic link AFTER missive has checked it and before it writes. da5aa91 and 72dcb82
refused such a link only when it was already there at the check: a swap in between took one patient's result
into another patient's folder, or the document's bytes (in clear) to wherever the link pointed. Now every
folder below the import folder is opened without following a link and written relative to that descriptor:
the swap makes the filing fail with one French line (and a log line without health data); the document waits.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.clinical.readers import read_document
from core.errors import StoreError
from core.practice import filing
from core.practice.filing import TEMP_DIR, patient_folder
from tests.filing.test_documents import AUTO, RAW, REVIEW, make_queue

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX links and folder descriptors")


@pytest.fixture
def document():
    return read_document(RAW, "res.hpr").documents[0]


def test_a_patients_folder_swapped_for_a_link_after_the_check_gets_nothing(
    tmp_path, document, monkeypatch, caplog
) -> None:
    queue, _ = make_queue(tmp_path, [], layout="patient-folders")
    lgc = tmp_path / "lgc"
    mine, other, aside = lgc / patient_folder("p-1"), lgc / patient_folder("p-2"), tmp_path / "aside"
    mine.mkdir(parents=True)  # a result filed earlier made it: a real folder at the check
    other.mkdir()
    real_publish = filing.publish
    swapped: list[Path] = []

    def swap_then_publish(temp, folder, name_for, **kw):
        if not swapped:  # every check has passed: the link goes in before the write
            mine.rename(aside)
            mine.symlink_to(other)
            swapped.append(mine)
        return real_publish(temp, folder, name_for, **kw)

    monkeypatch.setattr(filing, "publish", swap_then_publish)
    with caplog.at_level(logging.INFO, logger="missive"):
        auto = queue.ingest(document, AUTO, message_id="m-1", raw=RAW)  # automatic: logged, retried later
    assert swapped and auto.state == "waiting"
    assert list(other.iterdir()) == [] and list(aside.iterdir()) == []  # in no patient's folder
    failed = [r.getMessage() for r in caplog.records if "automatic filing failed" in r.getMessage()]
    assert failed == [f"document {auto.id}: automatic filing failed (StoreError)"]
    assert document.identity.family_name not in caplog.text
    waiting = queue.get(auto.id)  # still waiting: a person files it
    with pytest.raises(StoreError, match="lien symbolique, pas le dossier du patient"):
        queue.file(waiting.id, "p-1", actor="dr")  # a person: one French line
    assert list(other.iterdir()) == [] and queue.get(waiting.id).state == "waiting"
    assert not list(lgc.rglob("*.tmp"))  # no temporary left behind either
    mine.unlink()  # a person removes the link: filed where it belongs
    filed = queue.file(waiting.id, "p-1", actor="dr")
    assert Path(filed.filed_path).parent == mine and Path(filed.filed_path).read_bytes() == RAW


def test_the_temporary_folder_swapped_for_a_link_after_the_check_gets_no_byte(
    tmp_path, document, monkeypatch
) -> None:
    queue, _ = make_queue(tmp_path, [])
    lgc, elsewhere = tmp_path / "lgc", tmp_path / "ailleurs"
    elsewhere.mkdir()
    temps = lgc / TEMP_DIR
    swapped: list[Path] = []

    def token_hex(n: int) -> str:  # asked for the temporary's name: the folder was made and checked already
        if not swapped:
            temps.rmdir()
            temps.symlink_to(elsewhere)
            swapped.append(temps)
        return secrets.token_hex(n)

    monkeypatch.setattr(filing, "secrets", SimpleNamespace(token_hex=token_hex))
    waiting = queue.ingest(document, REVIEW, message_id="m-1", raw=RAW)
    with pytest.raises(StoreError, match="lien symbolique, pas le dossier temporaire"):
        queue.file(waiting.id, "p-1", actor="dr")
    assert swapped and list(elsewhere.iterdir()) == []  # not one byte through the link
    assert queue.get(waiting.id).state == "waiting" and [p.name for p in lgc.iterdir()] == [TEMP_DIR]


def test_a_temporary_folder_swapped_before_the_cleanup_keeps_what_the_link_points_to(tmp_path) -> None:
    """Removing a temporary, or judging after a crash whether it was published, never goes through a link
    put in the temporary folder's place: a file of that name elsewhere is neither removed nor read."""
    lgc = tmp_path / "lgc"
    temp = filing.write_temp(lgc, b"H|resultat", tag="doc-1")
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    (elsewhere / temp.name).write_bytes(b"not ours")
    os.link(elsewhere / temp.name, elsewhere / "second-name")  # two links: would read as 'published'
    temp.unlink()
    temp.parent.rmdir()
    temp.parent.symlink_to(elsewhere)
    with pytest.raises(StoreError, match="lien symbolique"):
        filing.settle(temp)
    filing.discard_temp(temp)
    assert (elsewhere / temp.name).read_bytes() == b"not ours" and temp.parent.is_symlink()


def test_an_undo_never_reads_nor_removes_through_a_patients_folder_swapped_for_a_link(
    tmp_path, document
) -> None:
    """A filed result's patient folder swapped for a link to a folder holding a file of the same name: the
    undo read that file into the profile as 'what was filed' (for a correction's undo to write back into the
    import folder) and removed it. Now the undo stops with one line; both stay where they are."""
    queue, _ = make_queue(tmp_path, [], layout="patient-folders")
    filed = queue.ingest(document, AUTO, message_id="m-1", raw=RAW)
    path = Path(filed.filed_path)
    private = tmp_path / "prive"
    private.mkdir()
    (private / path.name).write_bytes(b"H|autre patient|DURAND")
    path.parent.rename(tmp_path / "aside")
    path.parent.symlink_to(private)
    with pytest.raises(StoreError, match="lien symbolique, pas le dossier du patient"):
        queue.take_back(filed.id, actor="dr")
    assert (private / path.name).read_bytes() == b"H|autre patient|DURAND"
    assert queue.get(filed.id).state == "filed" and (tmp_path / "aside" / path.name).read_bytes() == RAW


def test_on_a_share_without_hard_links_the_rename_goes_by_the_folders_too(tmp_path, monkeypatch) -> None:
    """Where a share refuses hard links, publishing renames under missive's lock: relative to the same folder
    descriptors, never over a file, 0600, and never into a patient's folder that is a link."""
    import errno

    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    lgc = tmp_path / "lgc"
    first = filing.write_new_file(lgc, lambda seq: f"res_{seq}.hpr", b"un")
    second = filing.write_new_file(lgc, lambda seq: f"res_{seq}.hpr", b"deux")
    assert (first.name, second.name) == ("res_1.hpr", "res_2.hpr")
    assert first.read_bytes() == b"un" and second.read_bytes() == b"deux"
    assert first.stat().st_mode & 0o777 == 0o600
    assert not list(lgc.rglob("*.tmp"))  # (the lock file of the renames stays in the hidden folder)
    other = lgc / "autre"
    other.mkdir()
    (lgc / "P1").symlink_to(other)
    temp = filing.write_temp(lgc, b"trois", tag="doc-3")
    with pytest.raises(StoreError, match="lien symbolique, pas le dossier du patient"):
        filing.publish(temp, lgc / "P1", lambda seq: f"res_{seq}.hpr")
    filing.discard_temp(temp)
    assert list(other.iterdir()) == [] and not list(lgc.rglob("*.tmp"))


def test_a_link_planted_as_the_renames_lock_is_neither_followed_nor_chmodded(tmp_path, monkeypatch) -> None:
    """The lock of the renames ('.missive-tmp/.lock') was opened by path, following a link: one planted there
    by whoever writes the import folder had its target (any file of the doctor's) opened and set to 0600.
    Now it is opened relative to the temporary folder without following a link: the filing fails with one
    line, the target is left as it was, nothing is published."""
    import errno

    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    lgc = tmp_path / "lgc"
    (lgc / TEMP_DIR).mkdir(parents=True)
    mine = tmp_path / "notes.txt"
    mine.write_bytes(b"mes notes")
    mine.chmod(0o644)
    (lgc / TEMP_DIR / ".lock").symlink_to(mine)
    with pytest.raises(StoreError, match="impossible d'écrire"):
        filing.write_new_file(lgc, lambda seq: f"res_{seq}.hpr", b"un")
    assert mine.stat().st_mode & 0o777 == 0o644 and mine.read_bytes() == b"mes notes"
    assert not list(lgc.glob("res_*")) and not list(lgc.rglob("*.tmp"))
