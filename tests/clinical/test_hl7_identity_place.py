"""HL7 v2: the identity is read from the PID of the message it belongs to, where HL7 puts it, or not at all.

MSH is a message's first segment (STANDARDS.md §4; HL7 v2.5 chapter 2): lines before it are not a message's
(a PID written before MSH was read as the patient's, the MSH found anywhere in the bytes). A second message
glued after the first starts afresh: its results without a PID were the last patient's of the first message.
PID-7 (birth date) and PID-8 (sex) hold their types, or a field is missing or added before them and every
field of the identity is shifted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clinical import hl7v2
from core.errors import ParseError

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"
MULTI = (DATA / "hl7_oru_multi.hl7").read_bytes()  # DURAND (+ FAURE in its CDA), ROBERT
MSH = b"MSH|^~\\&|LAB2|L|DR|D|20260107||ORU^R01|2|P|2.5\r"
NO_PID = MSH + b"OBR|1|O9||GLU^Glucose^L|||20260107\rOBX|1|NM|GLU^Glucose^L||9,9|mmol/L|4-6|H|||F\r"


@pytest.mark.parametrize(
    "prefix",
    [
        b"PID|1||X9||AUTRE^PATIENT||19500101|M\r",  # a patient before the message
        b"Fwd: resultats\r\n",
        b"\xef\xbb\xbfjunk\r\n",
    ],
)
def test_lines_before_msh_refuse_the_message(prefix: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        hl7v2.parse(prefix + MULTI)
    assert "MSH" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "prefix", [b"", b"\x0b", b"\r\n \r\n", b"\xef\xbb\xbf", b"FHS|^~\\&|LAB\rBHS|^~\\&|LAB\r"]
)
def test_msh_after_blanks_framing_or_a_batch_header_is_read(prefix: bytes) -> None:
    names = [d.identity.family_name for d in hl7v2.parse(prefix + MULTI)]
    assert names[0] == "DURAND" and names[-1] == "ROBERT"


def test_a_second_message_without_pid_is_not_the_last_patients() -> None:
    documents = hl7v2.parse(MULTI + b"\r" + NO_PID)
    robert = next(d for d in documents if d.identity.family_name == "ROBERT")
    assert [o.code for o in robert.observations] == ["CRP"]
    assert b"LAB2" not in robert.raw and b"GLU" not in robert.raw
    (orphan,) = [d for d in documents if any(o.code == "GLU" for o in d.observations)]
    assert orphan.identity.family_name == "" and orphan.identity.birth_date is None  # to review, never auto
    assert orphan.raw.startswith(b"MSH|^~\\&|LAB2|")


@pytest.mark.parametrize(
    ("pid", "field"),
    [
        (b"PID|1||P43^^^LABO&1.2.3&ISO^PI||ROBERT^PAUL|20010203|M\r", "PID-7"),  # a '|' missing: PID-7 is 'M'
        (b"PID|1||P43^^^LABO&1.2.3&ISO^PI|||ROBERT^PAUL||20010203|M\r", "PID-8"),  # one added: PID-8 a date
        (b"PID|1||P43||ROBERT^PAUL||ROBERT|M\r", "PID-7"),
    ],
)
def test_pid_fields_not_of_their_type_refuse_the_message(pid: bytes, field: str) -> None:
    with pytest.raises(ParseError) as caught:
        hl7v2.parse(MSH + pid + b"OBX|1|NM|CRP^CRP^L||12|mg/L|<5|H|||F\r")
    assert field in str(caught.value)


def test_a_second_message_glued_inside_the_last_segment_refuses_the_file() -> None:
    """The sample does not end its last segment: glued to it, the next MSH was part of an OBX and the
    second message's results the last patient's."""
    assert not MULTI.endswith((b"\r", b"\n"))
    with pytest.raises(ParseError) as caught:
        hl7v2.parse(MULTI + NO_PID)
    assert "MSH" in str(caught.value) and "\n" not in str(caught.value)
