"""HPRIM Santé 2.x reader (records H, P, OBR, OBX, C, L; ``A`` continuation lines).

Delimiters come from the H record in the order field, component, repetition, escape, sub-component: in
HPRIM 2 the component separator is ``~`` and the repetition ``^``, swapped against HL7 (STANDARDS.md §3).
One document per P record.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from core.clinical import limits
from core.clinical.encoding import decode, split_lines
from core.clinical.hl7v2 import Delimiters, Segment
from core.clinical.values import (
    normalise_number,
    parse_birth_date,
    parse_datetime,
    parse_sex,
    reference_limits,
)
from core.errors import ParseError
from core.text import T

if TYPE_CHECKING:
    from core.model_rest import ClinicalDocument, Identity, Observation


def looks_like(text: str) -> bool:
    """An H record with five delimiter characters first (after blanks or a BOM)."""
    head = text.lstrip("\ufeff \t\r\n")[:8]
    return len(head) >= 7 and head[0] == "H" and _delimiters_ok(head[1:7])


def _delimiters_ok(chars: str) -> bool:
    # H + field sep + 4 encoding chars + field sep again ("H|~^\&|")
    sep, encoding = chars[0], chars[1:5]
    return (
        not sep.isalnum()
        and sep not in " \r\n"
        and chars[5:6] == sep
        and len(set(encoding + sep)) == 5
        and not any(c.isalnum() or c in " \r\n" for c in encoding)
    )


def _records(text: str) -> tuple[list[tuple[str, list[str]]], Delimiters]:
    start = text.find("H")
    head = text[start : start + 7] if start >= 0 else ""
    if start < 0 or text[:start].strip("\ufeff \t\r\n"):
        # the H record is the file's first (STANDARDS.md §3): lines before it (a P record, another file's
        # end, a forwarded heading) are never read as a patient's, and the file is not read
        raise ParseError(T("clinical.hprim2.fichier-hprim-commence-enregistrement"))
    if len(head) < 7 or not _delimiters_ok(head[1:7]):
        raise ParseError(T("clinical.hprim2.fichier-hprim-commence-enregistrement"))
    delims = Delimiters(head[1], head[2], head[3], head[4], head[5])
    # another file's H record inside a record: glued after a last record with no line end ('L|1' + 'H|~^\\&|')
    at = text.find(head, start + 1)
    while at >= 0:
        back = at - 1
        while back >= 0 and text[back] in " \t":
            back -= 1
        if back >= 0 and text[back] not in "\r\n":
            raise ParseError(T("clinical.hprim2.apres-l"))
        at = text.find(head, at + 1)
    sep = delims.field
    limits.check_lines(text, T("clinical.what.hprim2"))
    records: list[tuple[list[str], list[str]]] = []  # (written line(s) with endings, content pieces)
    size = 0
    for written in split_lines(text[start:], keepends=True):
        line = written.rstrip("\r\n")
        if not line.strip():
            continue
        if line.startswith("A" + sep) and records:
            # A continuation is glued to the previous record as is: 'Cliniq' + 'ue HP' -> 'Clinique HP'
            records[-1][0].append(written)
            records[-1][1].append(line[2:])
            size += len(line) - 2
            if size > limits.MAX_LINE:
                raise limits.line_too_long(T("clinical.what.hprim2-continued"))
            continue
        if not re.match(r"[A-Z][A-Z0-9]{0,2}" + re.escape(sep), line) or line.startswith(_HL7_ONLY):
            # a line that is no record: another file glued to the message, filed whole with its patient
            raise ParseError(T("clinical.hprim2.ligne-non-enregistrement"))
        records.append(([written], [line]))
        size = len(line)
    return [("".join(written), "".join(content).split(sep)) for written, content in records], delims


_HL7_ONLY = ("MSH", "FHS", "BHS", "PID", "PV1", "ORC", "EVN")  # an HL7 message glued to an HPRIM 2 file


def parse(data: bytes) -> list[ClinicalDocument]:
    """One document per patient (P record): identity, OBX results with their C comments, text.

    A file may hold several messages one after the other (each from its H record to its L record: two files
    glued together, a lab's batch): each is read with its own header, never as the last patient's of the
    message before."""
    decoded = decode(data)
    records, delims = _records(decoded.text)
    messages: list[list[tuple[str, list[str]]]] = []
    for record in records:
        if record[1][0].strip().upper() == "H" or not messages:
            messages.append([])
        messages[-1].append(record)
    read = [_read_message(message, delims) for message in messages]
    patients = [(head_written, header, patient) for head_written, header, found in read for patient in found]
    if not patients:
        raise ParseError(T("clinical.hprim2.fichier-hprim-sans-enregistrement"))
    documents = []
    for head_written, (sender, recipient, message_date), patient in patients:
        raw = data if len(patients) == 1 else decoded.encode_back(head_written + "".join(patient.written))
        document = patient.build(sender, recipient, message_date, raw)
        if patient.request:  # the lab's request (its H-4 code and the OBR's number): what its versions share
            document = replace(document, order=f"hprim-2|{patient.sender_code}|{patient.request}")
        documents.append(document)
    return documents


def _read_message(
    records: list[tuple[str, list[str]]], delims: Delimiters
) -> tuple[str, tuple[str, str, dt.datetime | None], list[_Patient]]:
    """One message (H record first): its header's bytes, (sender, recipient, date) and its patients."""
    first = records[0][1]
    encoding = delims.component + delims.repetition + delims.escape + delims.subcomponent
    if first[0].strip().upper() != "H" or first[1:2] != [encoding]:  # another file's separators: unsafe
        raise ParseError(T("clinical.hprim2.fichier-hprim-commence-enregistrement"))
    header = Segment("H", ["H", delims.field, *first[2:]], delims)
    sender = header.component(4, 2) or header.component(4, 1)
    recipient = header.component(9, 2) or header.component(9, 1)
    message_date = parse_datetime(header.component(13, 1))
    patients: list[_Patient] = []
    for n, (written, fields) in enumerate(records[1:], 2):
        kind = fields[0].strip().upper()
        seg = Segment(kind, fields, delims)
        if kind == "P":
            _check_p(seg)
            patients.append(_Patient(seg, [written]))
            patients[-1].sender_code = header.component(4, 1)
        elif kind == "L":
            if n < len(records):
                # records after the end, with no H of their own (another file cut before its header)
                raise ParseError(T("clinical.hprim2.apres-l"))
            break
        elif patients:
            patients[-1].add(seg, written)
    return records[0][0], (sender, recipient, message_date), patients


_DATE_RE = re.compile(r"\d{4,14}")


def _check_p(pid: Segment) -> None:
    """ParseError when the P record's typed fields do not hold their type (P-7 birth date, P-8 sex): a field
    missing or added before them shifts the identity, another field read as the name or the birth date."""
    birth = pid.component(7, 1)
    if birth and not _DATE_RE.fullmatch(birth):
        raise ParseError(T("clinical.hprim2.p-type", field="P-7"))
    sex = pid.component(8, 1)
    if sex and not (len(sex) <= 9 and (sex.isalpha() or (len(sex) == 1 and sex.isdigit()))):
        raise ParseError(T("clinical.hprim2.p-type", field="P-8"))


class _Patient:
    def __init__(self, pid: Segment, written: list[str]) -> None:
        self.pid = pid
        self.written = written
        self.observations: list[Observation] = []
        self.texts: list[str] = []
        self.title = ""
        self.code = ""
        self.date: dt.datetime | None = None
        self._last = ""  # record type before the current C record
        self.request = ""  # the first OBR's request number (placer, else filler): what its versions share
        self.sender_code = ""  # its message's sender (H-4's code), with ``request`` the lab's request

    def add(self, seg: Segment, written: str) -> None:
        self.written.append(written)
        if seg.name == "OBR":
            self.request = self.request or seg.component(2, 1) or seg.component(3, 1)
            if not self.title:
                self.code = seg.component(4, 1)
                self.title = seg.component(4, 2) or self.code
            self.date = self.date or parse_datetime(seg.component(7, 1))
        elif seg.name == "OBX" and seg.component(2, 1).upper() == "FIC":
            # FIC: a reference to a file sent beside the message (GALAXIE~AL213202.j1~TXT), not a result
            name = seg.component(5, 2) or seg.component(5, 1)
            if name:
                self.texts.append(f"Fichier joint référencé par le laboratoire : {name}")
        elif seg.name == "OBX":
            limits.check_observations(len(self.observations) + 1, T("clinical.what.hprim2"))
            self.observations.append(_read_obx(seg))
        elif seg.name == "C":
            comment = seg.text(seg.get(3))
            if self._last == "OBX" and self.observations and comment:
                last = self.observations[-1]
                joined = f"{last.comment}\n{comment}" if last.comment else comment
                self.observations[-1] = replace(last, comment=joined)
                return
            if comment:
                self.texts.append(comment)
            return
        self._last = seg.name

    def build(
        self, sender: str, recipient: str, message_date: dt.datetime | None, raw: bytes
    ) -> ClinicalDocument:
        from core.model_rest import ClinicalDocument

        return ClinicalDocument(
            format="hprim-2",
            identity=_identity(self.pid),
            observations=tuple(self.observations),
            text="\n".join(self.texts),
            title=self.title,
            author=sender,
            recipient=recipient,
            date=self.date or message_date,
            code=self.code,
            raw=raw,
        )


def _identity(pid: Segment) -> Identity:
    from core.model_rest import Identity

    family = pid.component(5, 1)
    given = pid.component(5, 2)
    birth = pid.text(pid.get(6)).split(pid.delims.component)[0].strip()
    return Identity(
        family_name=family,
        birth_name=birth,
        given_names=tuple(p for p in given.replace(",", " ").split() if p),
        birth_date=parse_birth_date(pid.component(7, 1)),
        sex=parse_sex(pid.component(8, 1)),
        source_id=pid.component(2, 1) or pid.component(3, 1) or None,
    )


def _read_obx(seg: Segment) -> Observation:
    from core.model_rest import REPEAT_SEPARATOR, Observation

    kind = seg.component(2, 1).upper()
    values = [seg.text(r) for r in seg.repetitions(5)]
    if kind == "CE":
        value = "; ".join(
            (comps[1] if len(comps) > 1 and comps[1].strip() else comps[0]).strip()
            for comps in (v.split(seg.delims.component) for v in values)
        )
    elif kind == "TX":
        value = "\n".join(v for v in values if v)
    else:
        # a repeated value (OBX-5 '27^25' in HPRIM's separators) is shown whole, '27 ; 25', each repetition
        # checked against the bounds: only the first was kept
        if kind == "NM":
            values = [normalise_number(v) for v in values]
        value = REPEAT_SEPARATOR.join(v for v in values if v)
    low, high, low_inclusive, high_inclusive = reference_limits(seg.text(seg.get(7)))
    return Observation(
        code=seg.component(3, 1),
        label=seg.component(3, 2).strip() or seg.component(3, 1),
        value=value,
        unit=seg.text(seg.get(6)),
        low=low,
        high=high,
        low_inclusive=low_inclusive,
        high_inclusive=high_inclusive,
        flag=seg.component(8, 1).upper(),
        status=seg.component(11, 1).upper(),
    )


__all__ = ["looks_like", "parse"]
