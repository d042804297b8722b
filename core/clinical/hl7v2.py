"""HL7 v2.5 reader (ORU^R01 results, and the PID of any message such as ADT): a small parser of our own.

Encoding characters come from MSH; segments end with CR, LF or CRLF. French conventions (STANDARDS.md §4):
INS in PID-3 qualified by its OID, name types L (birth) and D (used) in PID-5, birth place as the BDL
repetition of PID-11. A CDA carried base64 in an OBX of type ED is parsed too and returned beside the
message's own document. One document per PID group.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from core.clinical import limits
from core.clinical.encoding import decode, decode_text, split_lines
from core.clinical.values import (
    normalise_number,
    parse_birth_date,
    parse_datetime,
    parse_sex,
    reference_limits,
    shown_timestamp,
)
from core.errors import ParseError
from core.text import T

if TYPE_CHECKING:
    from core.model_rest import ClinicalDocument, Identity, Observation

INS_OIDS = {
    "1.2.250.1.213.1.4.8": "NIR",
    "1.2.250.1.213.1.4.9": "NIA",
    "1.2.250.1.213.1.4.10": "test",
    "1.2.250.1.213.1.4.11": "demo",
}
# The obsolete INS-C ("INS calculé", 2010-2020; Mediboard's ASIP-SANTE-INS-C). Messages sent in 2025 still
# list it in PID-3 beside the INS-NIR: it is never an INS, nor the sender's own record number.
OBSOLETE_INS_OIDS = {"1.2.250.1.213.1.4.2"}
_METADATA_SYSTEMS = {"METADMPMSS"}  # OBX carrying MSSanté/DMP routing flags, not results
# the same flags by their codes: the CI-SIS examples of the older volets (TRANS_DOC_CDA_HL7V2 1.2,
# Trans_LPS_CDA_MSSanté 1.0) write them without the MetaDMPMSS coding system
_METADATA_CODES = {
    "MASQUE_PS", "INVISIBLE_PATIENT", "INVISIBLE_REP_LEGAUX", "INVISIBLE_REPRESENTANTS_LEGAUX",
    "MODIF_CONF_CODE", "MODIF_CONFIDENTIALITYCODE", "CONNEXION_SECRETE", "DESTDMP", "DESTMSSANTEPS",
    "DESTMSSANTEPAT", "ACK_RECEPTION", "ACK_LECTURE", "ACK_LECTURE_MSS", "COMP_LOT",
}  # fmt: skip
_MAX_EMBEDDED = 20 * 1024 * 1024  # base64 payload bigger than this is not decoded


@dataclass(frozen=True)
class Delimiters:
    """The five HL7 separators (field, component, repetition, escape, sub-component)."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


def _hex(digits: str) -> bytes | None:
    """The bytes of an even run of hex digits, else None (a regex here kept 50 MB of state for 800 KB)."""
    if not digits or len(digits) % 2 or not digits.isalnum():
        return None
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return None


def _hex_text(raw: bytes) -> str:
    """\\Xhh\\ bytes as text: UTF-8 when they are, else Latin-1 (a message in 8859/1 writes é as \\XE9\\)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_FORMAT = re.compile(r"\.(sp|sk|fi|nf|in|ti|ce)\s*([+-]?\d{0,3})")


def _formatting(code: str) -> str | None:
    """The text of an FT formatting command (HL7 v2, chapter 2: formatted text): .sp n (n line breaks), .sk n (n spaces); .fi,
    .nf, .in, .ti and .ce only lay the text out: nothing. None when ``code`` is not one."""
    match = _FORMAT.fullmatch(code)
    if match is None:
        return None
    count = int(match.group(2) or 1) if match.group(2) not in ("+", "-") else 1
    count = max(0, min(count, 50))
    return {"sp": "\n" * count, "sk": " " * count}.get(match.group(1), "")


def unescape(text: str, delims: Delimiters) -> str:
    r"""Resolve \F\ \S\ \T\ \R\ \E\ \Xhh..\, \.br\ and the other FT formatting commands (\.sp2\...);
    unknown sequences are kept as written."""
    esc = delims.escape
    if not esc or esc not in text:
        return text
    simple = {
        "F": delims.field,
        "S": delims.component,
        "T": delims.subcomponent,
        "R": delims.repetition,
        "E": delims.escape,
        ".br": "\n",
        "H": "",
        "N": "",
    }
    # Copy the text between escapes in slices: a character-by-character list cost 560 MB for an 8 MB
    # \X..\ escape (fields are also bounded, limits.MAX_FIELD, before they get here).
    out: list[str] = []
    i = 0
    while True:
        start = text.find(esc, i)
        end = text.find(esc, start + 1) if start >= 0 else -1
        if start < 0 or end < 0:
            out.append(text[i:])
            break
        out.append(text[i:start])
        code = text[start + 1 : end]
        if code in simple:
            out.append(simple[code])
        elif code[:1] == "X" and (raw := _hex(code[1:])) is not None:
            out.append(_hex_text(raw))
        elif (formatted := _formatting(code)) is not None:
            out.append(formatted)
        else:
            out.append(text[start : end + 1])
        i = end + 1
    return "".join(out)


@dataclass
class Segment:
    """One segment: ``fields[n]`` is field n as in the standard (MSH-1 is the field separator)."""

    name: str
    fields: list[str]
    delims: Delimiters = field(default_factory=Delimiters)
    line: str = ""  # the segment as written, line ending included (for raw bytes)

    def get(self, n: int) -> str:
        """Field n, raw (still with component separators and escapes)."""
        return self.fields[n] if 0 <= n < len(self.fields) else ""

    def repetitions(self, n: int) -> list[str]:
        return self.get(n).split(self.delims.repetition) if self.delims.repetition else [self.get(n)]

    def components(self, value: str) -> list[str]:
        return value.split(self.delims.component)

    def component(self, n: int, c: int, rep: int = 0) -> str:
        """Field n, repetition ``rep``, component c (1-based), unescaped."""
        reps = self.repetitions(n)
        if rep >= len(reps):
            return ""
        comps = self.components(reps[rep])
        return self.text(comps[c - 1]) if 0 < c <= len(comps) else ""

    def text(self, value: str) -> str:
        return unescape(value, self.delims).strip()


_SEGMENT_NAME = re.compile(r"[A-Z][A-Z0-9]{2}")


def split_segments(text: str) -> list[Segment]:
    """Segments of an HL7 message (MSH first), with the separators MSH declares."""
    start = text.find("MSH")
    if start < 0 or len(text) < start + 8:
        raise ParseError(T("clinical.hl7v2.message-hl7-sans-segment"))
    # MSH is the message's first segment (after a batch's FHS/BHS, MLLP framing bytes, blanks or a BOM):
    # a PID written before it, or any other line, is not read, and the file is not read as a message
    for before in split_lines(text[:start]):
        line = before.strip("\ufeff\x0b\x1c\x00 \t")
        if line and not (line.startswith(("FHS", "BHS")) and len(line) > 3 and not line[3].isalnum()):
            raise ParseError(T("clinical.hl7v2.msh-pas-en-tete"))
    sep = text[start + 3]
    encoding = text[start + 4 : start + 8]
    limits.check_result_lines(text, "OBX" + sep, T("clinical.what.hl7"))
    if sep.isalnum() or sep in "\r\n " or len(set(encoding + sep)) < 5 or any(c.isalnum() for c in encoding):
        raise ParseError(T("clinical.hl7v2.segment-msh-declare-separateurs"))
    delims = Delimiters(sep, encoding[0], encoding[1], encoding[2], encoding[3])
    # another message's MSH inside a segment: two files glued where the first did not end its last segment
    # ('...|F' + 'MSH|^~\\&|...'); read as one, the second message's results went to the first's patient
    token = text[start : start + 8]
    at = text.find(token, start + 1)
    while at >= 0:
        back = at - 1
        while back >= 0 and text[back] in "\x0b\x1c\x00 \t":  # MLLP framing, blanks
            back -= 1
        if back >= 0 and text[back] not in "\r\n":
            raise ParseError(T("clinical.hl7v2.messages-colles"))
        at = text.find(token, at + 1)
    segments: list[Segment] = []
    for written in split_lines(text[start:], keepends=True):
        line = written.rstrip("\r\n").strip("\x0b\x1c\x00 ")  # MLLP framing bytes, stray blanks
        if len(line) < 3:
            continue
        name = line[:3]
        if not _SEGMENT_NAME.fullmatch(name) or line[3:4] not in ("", sep) or name in ("RES", "TEX"):
            # a line that is no segment: another file glued to the message (an HPRIM or XML file, a footer)
            # would be filed whole with the message's patient
            raise ParseError(T("clinical.hl7v2.ligne-non-segment"))
        # an OBX may carry a whole document (ED, base64); no other segment is longer than a few KB
        if len(line) > (limits.MAX_SEGMENT if name == "OBX" else limits.MAX_LINE):
            raise limits.line_too_long(T("clinical.what.hl7-segment", segment=_shown(name)), limits.MAX_LINE)
        if name == "MSH":
            fields = ["MSH", sep, *line[4:].split(sep)]
        else:
            fields = line.split(sep)
        for n, value in enumerate(fields):
            if len(value) <= limits.MAX_FIELD:
                continue
            limit = limits.MAX_FIELD
            if name == "OBX" and n == 5:  # a result: a document (ED) or a text report may be long
                kind = fields[2].split(delims.component, 1)[0].strip().upper() if len(fields) > 2 else ""
                limit = limits.MAX_SEGMENT if kind == "ED" else limits.MAX_TEXT
            limits.check_field(value, T("clinical.what.hl7-field", field=f"{_shown(name)}-{n}"), limit)
        segments.append(Segment(name, fields, delims, written))
    return segments


def _shown(name: str) -> str:
    return name if name.isalnum() else "?"


def parse(data: bytes, read_embedded: bool = True) -> list[ClinicalDocument]:
    """One document per PID group (identity, OBX results, NTE comments), plus any embedded CDA."""
    decoded = decode(data)
    segments = split_segments(decoded.text)
    msh = segments[0]
    message_date = parse_datetime(msh.component(7, 1))
    sender = msh.component(4, 1) or msh.component(3, 1)
    groups: list[_Group] = []
    header = msh
    for seg in segments[1:]:
        if seg.name == "MSH":
            # a second message glued after the first (a batch, two files saved as one): what follows is
            # never the last patient's of the message before
            header = seg
            groups.append(_Group(pid=None, msh=seg, closed=True))
        elif seg.name == "PID":
            _check_pid(seg)
            groups.append(_Group(pid=seg, msh=header))
        elif groups and groups[-1].closed:
            if seg.name in ("OBR", "OBX", "NTE"):
                groups.append(_Group(pid=None, msh=header))
                groups[-1].add(seg)
        elif groups:
            groups[-1].add(seg)
            if seg.name == "OBX":
                groups[-1].obx += 1
                limits.check_observations(groups[-1].obx, T("clinical.what.hl7"))
        elif seg.name in ("OBR", "OBX", "NTE"):
            groups.append(_Group(pid=None, msh=header))  # results without a PID: keep them, identity unknown
            groups[-1].add(seg)
    groups = [g for g in groups if not g.closed]
    if not groups:
        raise ParseError(T("clinical.hl7v2.message-hl7-sans-segment-2"))
    documents: list[ClinicalDocument] = []
    for group in groups:
        raw = data
        if len(groups) > 1:
            lines = [
                (group.msh or msh).line,
                *(s.line for s in ([group.pid] if group.pid else []) + group.segments),
            ]
            raw = decoded.encode_back("".join(lines))
        main, embedded = group.build(message_date, sender, raw, read_embedded)
        if group.request:
            # the lab's request (sending facility, placer else filler number): every version of a result shares it
            order = f"hl7v2|{msh.component(4, 1) or msh.component(3, 1)}|{group.request}"
            main = replace(main, order=order)
            embedded = [doc if doc.order else replace(doc, order=order) for doc in embedded]
        if embedded and not main.observations:
            # CI-SIS "transmission de documents CDA en HL7v2" (how labs send a CR-BIO): the message is an
            # envelope whose only content is the CDA; its other OBX are routing flags, not results
            documents.extend(_one_per_report(embedded))
        else:
            documents.append(main)
            documents.extend(embedded)
    return documents


def _one_per_report(documents: list[ClinicalDocument]) -> list[ClinicalDocument]:
    """The CI-SIS sends one report twice (a level-1 rendering and the level-3 document): keep, per report
    (same document code and patient), the copy with the results, and the other's text when it has none."""
    kept: dict[tuple[str, ...], ClinicalDocument] = {}
    for doc in documents:
        # the whole identity: two reports for twins (same code and family name) are two reports
        ident = doc.identity
        born = ident.birth_date.isoformat() if ident.birth_date else ""
        key = (doc.code, ident.ins or "", ident.family_name, " ".join(ident.given_names[:1]), born, ident.sex)
        best = kept.get(key)
        if best is None:
            kept[key] = doc
            continue
        richer, other = (doc, best) if len(doc.observations) > len(best.observations) else (best, doc)
        if not richer.text and other.text:
            richer = replace(richer, text=other.text)
        kept[key] = richer
    return list(kept.values())


@dataclass
class _Group:
    pid: Segment | None
    segments: list[Segment] = field(default_factory=list)
    obx: int = 0
    msh: Segment | None = None  # the message's MSH (a file may hold several messages)
    closed: bool = False  # a message's start: no patient, nothing added to it

    request: str = ""  # the first ORC/OBR's placer (else filler) order number

    def add(self, seg: Segment) -> None:
        self.segments.append(seg)
        if seg.name in ("ORC", "OBR") and not self.request:
            self.request = seg.component(2, 1) or seg.component(3, 1)

    def build(
        self, message_date: dt.datetime | None, sender: str, raw: bytes, read_embedded: bool
    ) -> tuple[ClinicalDocument, list[ClinicalDocument]]:
        from core.model_rest import ClinicalDocument, Identity

        identity = read_pid(self.pid) if self.pid else Identity()
        observations: list[Observation] = []
        texts: list[str] = []
        embedded: list[ClinicalDocument] = []
        title, code, date = "", "", None
        for seg in self.segments:
            if seg.name == "OBR":
                title = title or seg.component(4, 2) or seg.component(4, 1)
                code = code or seg.component(4, 1)
                date = date or parse_datetime(seg.component(7, 1)) or parse_datetime(seg.component(22, 1))
            elif seg.name == "OBX":
                kind = seg.component(2, 1).upper()
                if kind == "ED":
                    found, text = _read_ed(seg, read_embedded)
                    embedded.extend(found)
                    if text:
                        texts.append(text)
                elif kind in ("TX", "FT") and not seg.component(3, 1) and not seg.component(3, 2):
                    # a line of a report sent as text, one OBX a line, with no test named: the report's
                    # text (an empty one is its blank line), not a result with no name
                    texts.extend([seg.text(r) for r in seg.repetitions(5)] if seg.get(5) else [""])
                elif not _routing_flag(seg):
                    observations.append(_read_obx(seg, kind))
            elif seg.name == "NTE":
                comment = "\n".join(seg.text(r) for r in seg.repetitions(3) if r)
                if observations:
                    last = observations[-1]
                    joined = f"{last.comment}\n{comment}" if last.comment else comment
                    observations[-1] = replace(last, comment=joined)
                elif comment:
                    texts.append(comment)
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(texts)).strip("\n")
        main = ClinicalDocument(
            format="hl7v2",
            identity=identity,
            observations=tuple(observations),
            text=text,
            title=title,
            author=sender,
            date=date or message_date,
            code=code,
            raw=raw,
        )
        # An embedded CDA without a patient of its own speaks of this PID's patient. One whose INS differs
        # from the PID's names another patient than its envelope: its INS is not trusted for filing (the
        # doctor decides, seeing both), never a silent choice of one of the two.
        embedded = [
            doc if has_identity(doc.identity) else replace(doc, identity=identity) for doc in embedded
        ]
        embedded = [
            replace(doc, identity=replace(doc.identity, ins=None, ins_oid=None))
            if identity.ins and doc.identity.ins and doc.identity.ins != identity.ins
            else doc
            for doc in embedded
        ]
        # Without INS on both sides too: a birth date, a sex or a family name that differs names another
        # patient. The document keeps what it states and carries its envelope's patient: never auto.
        if has_identity(identity):
            # the matcher's rule (core.clinical.matching), loaded when a message asks it, not to sniff a file
            from core.clinical.matching import name_two_patients

            embedded = [
                replace(doc, envelope=identity, envelope_from="hl7v2")
                if name_two_patients(doc.identity, identity)
                else doc
                for doc in embedded
            ]
            # The PID's own results are then in doubt too: the message names two patients and nothing says
            # which side is wrong. They wait for a person, beside the patient the carried document names.
            # (a carried CDA that names two patients itself, its first this PID's: the other one is its second)
            carried = next(
                (doc.envelope if doc.envelope_from == "cda" else doc.identity for doc in embedded if doc.envelope),
                None,
            )
            if carried is not None and main.observations:
                main = replace(main, envelope=carried, envelope_from="hl7v2-carried")
        return main, embedded


# a timestamp's shape, loosely: the HL7 standard's own example writes '196203520' (read as no date, a person
# decides); a name, a sex code or an address there is a shifted field
_TS_RE = re.compile(r"\d{4,14}(?:\.\d{1,4})?(?:[+-]\d{4})?")


def _check_pid(pid: Segment) -> None:
    """ParseError when PID's typed fields do not hold their type: a birth date (PID-7) that is no HL7
    timestamp, a sex (PID-8) that is no code. A field lost or added before them (a '|' missing or doubled)
    shifts the identity, and another field would be read as the name or the birth date."""
    birth = pid.component(7, 1)
    if birth and not _TS_RE.fullmatch(birth):
        raise ParseError(T("clinical.hl7v2.pid-type", field="PID-7"))
    sex = pid.component(8, 1)
    if sex and not (len(sex) <= 9 and (sex.isalpha() or (len(sex) == 1 and sex.isdigit()))):
        raise ParseError(T("clinical.hl7v2.pid-type", field="PID-8"))


def _routing_flag(obx: Segment) -> bool:
    """An OBX that tells the MSSanté/DMP gateway what to do with the document (mask it, send it to the
    DMP...): never a result the doctor should read."""
    system = obx.component(3, 3).upper()
    return system in _METADATA_SYSTEMS or (not system and obx.component(3, 1).upper() in _METADATA_CODES)


def has_identity(identity: Identity) -> bool:
    return bool(identity.family_name or identity.ins or identity.birth_date)


def read_pid(pid: Segment) -> Identity:
    """Identity from PID: INS (by OID) or local id in PID-3, names by type in PID-5, birth data, sex."""
    from core.model_rest import Identity

    ins = ins_oid = source_id = None
    for rep in pid.repetitions(3):
        comps = pid.components(rep)
        value = pid.text(comps[0]) if comps else ""
        if not value:
            continue
        authority = comps[3] if len(comps) > 3 else ""
        oids = [pid.text(p) for p in authority.split(pid.delims.subcomponent)]
        if any(o in OBSOLETE_INS_OIDS or o.upper().endswith("INS-C") for o in oids):
            continue
        oid = next((o for o in oids if o in INS_OIDS), None)
        if oid and ins is None:
            ins, ins_oid = value, oid
        elif not oid and source_id is None:
            source_id = value
    names: dict[str, list[str]] = {}
    for rep in pid.repetitions(5):
        comps = [pid.text(c) for c in _name_components(pid, rep)] + [""] * 7
        if not any(comps[:3]):
            continue  # an empty repetition (``~NOM^Prénom^^^^^L``): read the next one
        kind = comps[6].upper() or "?"
        names.setdefault(kind, comps)
    legal = names.get("L")
    used = names.get("D")
    other = names.get("?") or next(iter(names.values()), None)
    first = legal or used or other or [""] * 7
    family = (used or legal or other or first)[0]
    birth = legal[0] if legal else ""
    given = _given_names(first[1], first[2])
    birth_place = None
    for r in range(len(pid.repetitions(11))):
        if pid.component(11, 7, r).upper() == "BDL":
            birth_place = pid.component(11, 9, r) or None
    return Identity(
        family_name=family,
        birth_name=birth,
        given_names=given,
        birth_date=parse_birth_date(pid.component(7, 1)),
        sex=parse_sex(pid.component(8, 1)),
        ins=ins,
        ins_oid=ins_oid,
        birth_place=birth_place,
        source_id=source_id,
    )


def _name_components(seg: Segment, rep: str) -> list[str]:
    """XPN components, the family name reduced to its first sub-component: XPN.1 is an FN whose first part
    is the surname (``Smith&Booth&Jones`` is the surname Smith, then own-surname prefix and spouse's name)."""
    comps = seg.components(rep)
    if comps and seg.delims.subcomponent:
        comps[0] = comps[0].split(seg.delims.subcomponent, 1)[0]
    return comps


def _given_names(first: str, others: str) -> tuple[str, ...]:
    """First given name first, then the rest of the list (PID-5.3 may repeat the whole list)."""
    listed = [p for p in re.split(r"[\s,]+", others) if p]
    if first and (not listed or listed[0].upper() != first.upper()):
        listed = [first, *[p for p in listed if p.upper() != first.upper()]]
    return tuple(listed)


_COMPARATORS = ("<", ">", "<=", ">=")


def _reference(seg: Segment) -> str:
    """OBX-7 as written. Some senders give it the SN structure (HL7's ELR realm samples: '>^11.0'; a range
    '^2.2^-^2.6'; a ratio, a titre '^1^:^128' or '<^1^/^80'): read as '>11.0', '2.2-2.6', '1:128', '<1/80'.
    Other components (Cerner's '^^10.000000') stay as written."""
    raw = seg.get(7)
    comps = [seg.text(c) for c in seg.components(raw)]
    if len(comps) == 1:
        return comps[0]
    comparator, first = comps[0], comps[1]
    rest = comps[2:] + ["", ""]
    if comparator in _COMPARATORS and first and not any(comps[2:]):
        return f"{comparator}{first}"
    if not comparator and first and rest[0] == "-" and rest[1]:
        return f"{first}-{rest[1]}"
    if comparator in ("", *_COMPARATORS) and first and rest[0] in (":", "/") and rest[1]:
        return f"{comparator}{first}{rest[0]}{rest[1]}"  # a ratio (SN's ':' and '/'), never a range
    return seg.text(raw)


def _read_obx(seg: Segment, kind: str) -> Observation:
    from core.model_rest import REPEAT_SEPARATOR, Observation

    values = [seg.text(r) for r in seg.repetitions(5)]
    if kind in ("CE", "CWE", "CNE"):
        coded = []
        for rep in seg.repetitions(5):
            comps = seg.components(rep) + [""]
            coded.append(seg.text(comps[1]) or seg.text(comps[0]))
        value = "; ".join(c for c in coded if c)
    elif kind == "SN":
        value = "".join(seg.components(seg.get(5)))
    elif kind in ("TX", "FT"):
        value = "\n".join(v for v in values if v)
    elif kind == "RP":  # a reference pointer (a digital slide's address): the pointer, not '^^IM^MRXS'
        pointers = [seg.text(seg.components(rep)[0]) for rep in seg.repetitions(5)]
        value = REPEAT_SEPARATOR.join(p for p in pointers if p)
    elif kind in ("DT", "TS", "DTM"):  # a date as the result (FHIR-Converter's MDHHS OML: last vaccination)
        dates = [shown_timestamp(seg.text(seg.components(rep)[0])) for rep in seg.repetitions(5)]
        value = REPEAT_SEPARATOR.join(d for d in dates if d)
    else:
        # a repeated value (OBX-5 '27~25': two measures of one test) is shown whole, '27 ; 25', each checked
        # against the bounds (``beyond_bounds``): only its first repetition was kept
        if kind == "NM":
            values = [normalise_number(v) for v in values]
        value = REPEAT_SEPARATOR.join(v for v in values if v)
    low, high, low_inclusive, high_inclusive = reference_limits(_reference(seg))
    return Observation(
        code=seg.component(3, 1),
        label=seg.component(3, 2) or seg.component(3, 1),
        value=value,
        unit=seg.component(6, 2) if not seg.component(6, 1) else seg.component(6, 1),
        low=low,
        high=high,
        low_inclusive=low_inclusive,
        high_inclusive=high_inclusive,
        flag=seg.component(8, 1).upper(),
        status=seg.component(11, 1).upper(),
    )


def _read_ed(seg: Segment, read_embedded: bool) -> tuple[list[ClinicalDocument], str]:
    """An encapsulated document: a CDA (XML) becomes documents; readable text is returned as text."""
    comps = seg.components(seg.repetitions(5)[0])
    comps += [""] * (5 - len(comps))
    encoding = comps[3].strip().upper()
    payload = comps[4].strip()
    if not payload or len(payload) > _MAX_EMBEDDED:
        return [], ""
    if encoding in ("BASE64", "B64"):
        payload = re.sub(r"[^A-Za-z0-9+/]", "", payload)  # line breaks, escapes and the "=" padding
        if len(payload) % 4 == 1:
            payload = payload[:-1]  # a truncated payload still gives its readable beginning
        try:
            # restore the padding rather than cut to a multiple of 4: cutting lost the document's last
            # bytes ("</ClinicalDocument>" became "</ClinicalDocum"), so no CDA sent over HL7 was read
            content = base64.b64decode(payload + "=" * (-len(payload) % 4))
        except (binascii.Error, ValueError):
            return [], ""  # a damaged attachment must not hide the results around it
    else:
        content = unescape(payload, seg.delims).encode("utf-8")
    head = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if read_embedded and head.startswith(b"<"):
        from core.clinical import cda

        try:
            return cda.parse(content), ""
        except ParseError:
            return [], ""
    if head.startswith(b"%PDF"):  # a report sent as a PDF (HL7 MDM, imaging): its text is the report
        from core.clinical import pdf

        # an unreadable one (a password, damage, a scan with no text) is said where its text would be: the
        # doctor cannot open a PDF carried inside an HL7 message, and silence read as 'no report'
        try:
            text = pdf.extract_text(content)
        except ParseError as exc:
            protected = exc.text.code == "clinical.pdf.pdf-protege-mot-passe"
            said = (
                "clinical.hl7v2.pdf-joint-mot-de-passe" if protected else "clinical.hl7v2.pdf-joint-endommage"
            )
            return [], str(T(said))
        return [], text if text.strip() else str(T("clinical.hl7v2.pdf-joint-sans-texte"))
    from core.clinical import rtf

    if comps[2].strip().upper() == "RTF" or rtf.looks_like(content):  # ED subtype RTF (MDM reports)
        return [], rtf.to_text(content)
    if comps[1].strip().upper() in ("IMAGE", "AUDIO", "VIDEO") or b"\x00" in content[:1024]:
        return [], ""  # an image is no text: never its bytes shown as letters
    for cut in range(4):  # a truncated payload may end inside a multi-byte character
        try:
            return [], content[: len(content) - cut].decode("utf-8").strip()
        except UnicodeDecodeError:
            continue
    return [], decode_text(content).strip()  # a report in Windows-1252 or Latin-1


__all__ = [
    "INS_OIDS",
    "OBSOLETE_INS_OIDS",
    "Delimiters",
    "Segment",
    "parse",
    "read_pid",
    "split_segments",
    "unescape",
]
