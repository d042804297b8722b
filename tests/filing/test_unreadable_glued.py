"""A file the reader refused as two files glued together is never filed by hand, as it is.

21894d4 lets a person file an unreadable file's raw bytes into a chosen patient's folder (`p`, `missive file`),
except a refused zip or an XML refused for safety. A file refused because another file is glued to it (an HPRIM
report after an HL7 message, an HL7 message after an HPRIM report...) holds a second file that may be another
patient's: the reader's own line says nothing is filed from it, yet filed by hand the practice software imported
both into the chosen patient's record. Such a file can only be marked dealt with."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clinical.readers import read_document
from core.errors import BadInput, ParseError
from core.practice.documents import DocumentQueue

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"
HL7 = (DATA / "hl7v25_ORU_R01_CR-BIO_transport_ans.hl7").read_bytes()
HPRIM = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()


@pytest.fixture
def queue(profile, tmp_path: Path) -> DocumentQueue:
    return DocumentQueue(profile, {"folder": str(tmp_path / "lgc"), "auto": True})


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [(HL7 + b"\r\n" + HPRIM, "cr.hl7", "hl7v2"), (HPRIM + HL7, "res.hpr", "hprim-net")],
    ids=["hl7-then-hprim", "hprim-then-hl7"],
)
def test_a_file_refused_as_two_glued_files_is_never_filed_by_hand(
    queue: DocumentQueue, tmp_path: Path, data: bytes, name: str, kind: str
) -> None:
    with pytest.raises(ParseError) as refused:  # the real reader's refusal, with its own code
        read_document(data, name)
    doc = queue.add_unreadable(data, kind, refused.value, message_id="<g@x>", attachment=name)
    assert doc.state == "unreadable" and not doc.hand_fileable
    with pytest.raises(BadInput, match="deux fichiers collés"):
        queue.file(doc.id, "P-1")
    assert queue.get(doc.id).state == "unreadable" and not (tmp_path / "lgc").exists()
    assert queue.dealt_with(doc.id, actor="dr").state == "dealt"  # what a person can do with it
