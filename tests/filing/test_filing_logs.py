"""A filed document's file name (built from the template: the sender's and the patient's names) never reaches
missive.log: the log line carries the document and patient ids only."""

from __future__ import annotations

import logging
from pathlib import Path

from core.clinical.readers import read_document
from core.logs import setup_logging
from tests.filing.test_documents import AUTO, RAW, make_queue


def test_the_filed_file_name_is_not_logged(tmp_path: Path) -> None:
    document = read_document(RAW, "res.hpr").documents[0]
    marks: list[tuple[str, bool]] = []
    missive = logging.getLogger("missive")
    earlier = [h for h in missive.handlers if getattr(h, "_missive", False)]  # an earlier test's profile log
    for handler in earlier:
        missive.removeHandler(handler)
    log_file = setup_logging(tmp_path / "logs")
    try:
        queue, _ = make_queue(tmp_path, marks, template="{date}_{sender}_{patient}_{doc}")
        filed = queue.ingest(document, AUTO, message_id="m-1", attachment="res.hpr", raw=RAW)
        for handler in logging.getLogger("missive").handlers:
            handler.flush()
        text = log_file.read_text("utf-8")
    finally:
        for handler in list(missive.handlers):
            if getattr(handler, "_missive", False):
                missive.removeHandler(handler)
                handler.close()
        for handler in earlier:
            missive.addHandler(handler)
    name = Path(filed.filed_path).name
    assert f"document {filed.id} filed for patient p-1" in text
    assert name not in text and Path(name).stem not in text
    for part in Path(name).stem.split("_"):
        if part.isalpha() and len(part) > 3:  # the names in it (the date and ids are digits)
            assert part not in text
