"""HPRIM Net ("HPRIM médecins") reader: 12-line header, free text, ****LAB**** RES/TEX lines, ****FIN****.

Layout and field positions: STANDARDS.md §2. A file may chain several reports (a new header after each
``****FIN****``) and end with ``****FINFICHIER****``; some files have no header at all (only a LAB block or
bare RES lines) and some have no LAB block (text only).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from core.clinical import limits
from core.clinical.encoding import DecodedText, decode, first_lines, split_lines, strip_eol
from core.clinical.values import (
    clean_nir,
    html_to_text,
    normalise_number,
    parse_birth_date,
    parse_date,
    parse_datetime,
    sex_of_patient,
    split_range,
)
from core.errors import ParseError
from core.text import T

if TYPE_CHECKING:
    from core.model_rest import ClinicalDocument, Identity, Observation

LAB = "****LAB****"
FIN = "****FIN****"
FIN_FILE = "****FINFICHIER****"
HEADER_LINES = 12
RES_FIELDS = 14  # RES + 13 fields (STANDARDS.md §2.3)

# "DURAND NEE MARTIN" (used name, then birth name) and "MARTIN EP DURAND" (birth name, then spouse's)
_NEE_RE = re.compile(r"^(?P<first>.+?)\s+(?:NEE|NÉE)\.?\s+(?P<second>.+)$", re.IGNORECASE)
_EP_RE = re.compile(r"^(?P<first>.+?)\s+(?:EP|EPSE|EPOUSE|ÉPOUSE|EP\.)\.?\s+(?P<second>.+)$", re.IGNORECASE)
_MARK_RE = re.compile(r"^[ \t]*\*\*\*\*(?:LAB|FIN|FINFICHIER)\*\*\*\*[ \t]*\r?$", re.MULTILINE)
_DATE_LINE_RE = re.compile(r"^\s*(?:\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}|\.)?\s*$")
# What a birth date line may hold (the value itself is judged by parse_birth_date: a date of that shape that
# cannot be read leaves the identity without a birth date, so a person decides): nothing, '.', or one date.
_BIRTH_LINE_RE = re.compile(
    r"\s*(?:\.|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(?:\s+\d{1,2}[:hH]\d{2}(?::\d{2})?)?|\d{4}-?\d{2}-?\d{2})?\s*"
)
# A file's name where a name should be ('RESULTAT.HPR': lines of another file, or a container's, read as
# the header)
_FILE_NAME_RE = re.compile(
    r"\.(?:hpr|hpm\d?|hprim|hl7|er7|txt|dat|xml|pdf|zip|doc|docx|rtf|eml|msg|p7m|apz)\b", re.IGNORECASE
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MAX_NAME = 100  # MedShake reads 50 characters of a name line; a longer one is not a name
MAX_HEADER_LINE = 1000  # line 1 may be a 120-column banner (SOLABIO); a header line is never a page


def looks_like(text: str) -> bool:
    """Cheap test on decoded text: HPRIM Net markers, bare RES lines, or a header with a date on line 7."""
    if "****" in text and _MARK_RE.search(text.replace("\r", "\n")):
        return True
    # all it reads: a RES line among the first 50, the header's 12 lines (only those when no RES| is there)
    has_res = "RES|" in text
    lines = first_lines(text[:8192], 50 if has_res else HEADER_LINES)
    if has_res and any(line.startswith("RES|") for line in lines):
        return True
    if len(lines) >= HEADER_LINES and lines[6].strip() and _DATE_LINE_RE.match(lines[6]):
        return parse_date(lines[6]) is not None and bool(lines[1].strip())
    return False


def parse(data: bytes) -> list[ClinicalDocument]:
    """Every report of an HPRIM Net file, each with its identity, results, text and raw bytes."""
    decoded = decode(data)
    limits.check_lines(decoded.text, T("clinical.what.hprim"))
    limits.check_result_lines(decoded.text, "RES|", T("clinical.what.hprim"))
    lines = split_lines(decoded.text, keepends=True)
    reports = _split_reports(lines)
    for n, chunk in enumerate(reports, 1):
        _check_header(chunk, n)
        _check_one_report(chunk, n)
    read = [_read_report(chunk, decoded, n == 0) for n, chunk in enumerate(reports)]
    documents = [doc for doc in read if doc is not None]
    if not documents:
        raise ParseError(T("clinical.hprim_net.fichier-hprim-contient-aucun"))
    return documents


def _split_reports(lines: list[str]) -> list[list[str]]:
    """Cut the file after each ****FIN**** and at each ****FINFICHIER****; blank lines between reports go.

    What follows a ****FIN**** is a new report only when it looks like one (a LAB block, RES lines or a
    12-line header with a name and a birth date): a stray line there (a signature, a form feed, "FIN")
    is not a second document with no identity. ****FINFICHIER**** ends a file, not the reading: two files
    glued together (a lab's batch, two attachments saved as one) give each report, never the second
    patient's report inside the first's bytes; after it, only a LAB block, RES lines or a header with a
    birth date make a report (a mail's signature there stays ignored).
    """
    reports: list[tuple[list[str], bool]] = []  # (lines, after a ****FINFICHIER****)
    current: list[str] = []
    ended = False
    for line in lines:
        mark = strip_eol(line).strip()
        if mark == FIN_FILE:
            if any(strip_eol(kept).strip() for kept in current):
                reports.append((current, ended))
            current = []
            ended = True
            continue
        if not current and not mark:
            continue  # blank lines between reports (or before the first)
        current.append(line)
        if mark == FIN:
            reports.append((current, ended))
            current = []
    if any(strip_eol(line).strip() for line in current):
        reports.append((current, ended))
    kept = []
    for n, (chunk, after_end) in enumerate(reports):
        if n == 0 or _looks_like_report(chunk, strict=after_end):
            kept.append(chunk)
        elif any(_FOREIGN_RE.match(strip_eol(line).lstrip("\ufeff \t")) or "\x00" in line for line in chunk):
            # another format's file glued after the last report: the whole attachment would be filed with it
            raise ParseError(T("clinical.hprim_net.autre-fichier", report=len(kept)))
    return kept


def _looks_like_report(chunk: list[str], strict: bool = False) -> bool:
    lines = [strip_eol(line) for line in chunk]
    if any(line.strip() == LAB or line.startswith(("RES|", "TEX|")) for line in lines):
        return True
    if len(lines) < 7 or not lines[1].strip():
        return False
    if strict:
        return parse_date(lines[6]) is not None
    # a whole header (even with a date nobody can read: that report goes to review), or a birth date
    return len(lines) >= HEADER_LINES or parse_date(lines[6]) is not None


def _check_one_report(chunk: list[str], report: int) -> None:
    """ParseError when one report (up to its ****FIN****) holds a second one: a second ****LAB**** block,
    or a second patient's 12-line header after its own. Two reports glued without a ****FIN**** cannot be
    cut where nothing says they end: read as one, the second patient's results would go to the first."""
    lines = [strip_eol(line) for line in chunk]
    opening = lines[0].strip() if lines else ""
    start = 0 if opening == LAB or opening.startswith(("RES|", "TEX|")) else HEADER_LINES
    # a second header may start inside the first's 12 lines (a file cut there, the next glued on)
    scan = 0 if start == 0 else 1
    if any(_FOREIGN_RE.match(line.lstrip("\ufeff \t")) for line in lines[start:]):
        raise ParseError(T("clinical.hprim_net.autre-fichier", report=report))
    if sum(1 for line in lines if line.strip() == LAB) > 1:
        raise ParseError(T("clinical.hprim_net.sans-fin", report=report))
    for i in range(scan, len(lines) - 6):
        if _header_at(lines, i):
            raise ParseError(T("clinical.hprim_net.sans-fin", report=report))


# the first line of another format's file (HL7, HPRIM 2, XML, PDF, zip): glued into a report, filed with it
_FOREIGN_RE = re.compile(r"(?:MSH|FHS|BHS)[|^]|H[|][~^][~^]|<\?xml|<ClinicalDocument|%PDF-|PK\x03\x04")
_NAME_LINE_RE = re.compile(r"[^\W\d_]+(?:[ '.,-]+[^\W\d_]+)*\.?")


def _header_at(lines: list[str], i: int) -> bool:
    """Lines i.. look like a patient's header: a first line, a name, given names, a birth date on the 7th."""
    if not lines[i].strip() or lines[i].startswith(("RES|", "TEX|")):
        return False
    if not all(_NAME_LINE_RE.fullmatch(lines[i + n].strip()) for n in (1, 2)):
        return False
    birth = lines[i + 6].strip()
    if not (birth and birth != "." and _BIRTH_LINE_RE.fullmatch(birth) and parse_date(birth) is not None):
        return False
    # and the header's other marks: a NIR on the 8th line, or the record's date on the 10th
    nir = lines[i + 7].strip() if i + 7 < len(lines) else ""
    dated = i + 9 < len(lines) and parse_date(lines[i + 9]) is not None
    return dated or bool(re.fullmatch(r"[12][0-9]{4}[0-9AB][0-9]{7}\s?[0-9]{0,2}", nir, re.IGNORECASE))


def _check_header(chunk: list[str], report: int) -> None:
    """ParseError when a report's 12 header lines are not an identity where the format puts it.

    The header is the report's first 12 lines (the file's first non-blank lines, after a BOM): it is never
    looked for further on. Lines before it (a forwarded letter's heading, a container's bytes, the end of
    another file) shift every field, and a plausible but wrong identity would come out of the wrong lines
    (a file name as the family name, the family name as the given names): the file is refused rather than
    read that way. What is checked is the shape of the identity's lines (family name, given names, birth
    date, NIR), not their values: a birth date of the right shape that cannot be a date still reads as no
    birth date, and a person decides.
    """
    lines = [strip_eol(line) for line in chunk]
    opening = lines[0].strip() if lines else ""
    if opening == LAB or opening.startswith(("RES|", "TEX|")):
        return  # no header: no identity is read
    header = lines[:HEADER_LINES]
    for number, line in enumerate(header, 1):
        limits.check_field(line, T("clinical.what.hprim"))  # a huge field: the limits' own words
        mark = line.strip()
        if mark in (LAB, FIN) or line.startswith(("RES|", "TEX|")):
            _refuse(report, number, "short")
        if len(line) > MAX_HEADER_LINE:
            _refuse(report, number, "long")
        if _CONTROL_RE.search(line) or "|" in line:
            _refuse(report, number, "record")
    header += [""] * (HEADER_LINES - len(header))
    for number in (2, 3):
        value = header[number - 1]
        if len(value.strip()) > MAX_NAME or _FILE_NAME_RE.search(value) or re.search(r"\d", value):
            _refuse(report, number, "name" if number == 2 else "given")
    if not _BIRTH_LINE_RE.fullmatch(header[6]):
        _refuse(report, 7, "birth")
    nir = header[7].strip()
    if nir and nir != "." and not re.fullmatch(r"[0-9][0-9 ]*(?:[AB][0-9 ]*)?", nir, re.IGNORECASE):
        _refuse(report, 8, "nir")


def _refuse(report: int, line: int, what: str) -> None:
    raise ParseError(
        T(
            "clinical.hprim_net.entete-decale",
            report=report,
            line=line,
            what=T(f"clinical.hprim_net.ligne.{what}"),
        )
    )


def _read_report(chunk: list[str], decoded: DecodedText, first: bool) -> ClinicalDocument | None:
    from core.model_rest import ClinicalDocument

    lines = [strip_eol(line) for line in chunk]
    opening = lines[0].strip()
    if opening == LAB or opening.startswith(("RES|", "TEX|")):
        header: list[str] = []
        body = lines
    else:
        header = lines[:HEADER_LINES]
        body = lines[HEADER_LINES:]
    text_lines: list[str] = []
    lab: list[tuple[str, str]] = []  # ("RES", line) and ("TEX", text) in their order
    for line in body:
        mark = line.strip()
        if mark == LAB:
            continue
        if mark == FIN:
            break
        if line.startswith("RES|"):
            lab.append(("RES", line))
        elif line.startswith("TEX|") or mark == "TEX":
            lab.append(("TEX", html_to_text(line[4:].rstrip("|")).rstrip()))
        else:
            # free text, or a stray line inside the LAB block: kept as text rather than lost
            text_lines.append(html_to_text(line).rstrip())
    limits.check_observations(sum(1 for kind, _ in lab if kind == "RES"), T("clinical.what.hprim"))
    observations = [_read_res(line) for kind, line in lab if kind == "RES"]
    if not header and not observations:
        return None
    lab_text = _unpaired_tex(lab, observations, text_lines)
    if lab_text:
        text_lines.extend(["", *lab_text] if any(t.strip() for t in text_lines) else lab_text)
    identity, date, author, recipient = _read_header(header)
    order = _order(header)
    text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", "\n".join(text_lines)).strip("\n")
    return ClinicalDocument(
        format="hprim-net",
        identity=identity,
        observations=tuple(observations),
        text=text,
        title=_title(text),
        author=author,
        recipient=recipient,
        date=date,
        raw=decoded.encode_back("".join(chunk), at_start=first and not decoded.text[:1].isspace()),
        order=order,
    )


def _key(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(" .:")


def _unpaired_tex(lab: list[tuple[str, str]], observations: list[Observation], free: list[str]) -> list[str]:
    """The TEX lines to show as the report's text, in their order.

    In real lab files a TEX line comes *before* the RES it describes, often printing that result (label,
    value, unit, range), sometimes on two lines (second unit); section titles, methods and free comments
    sit between them, and only a few notes ("Valeurs normales...") follow their result. Pairing a TEX line
    with the RES before it puts one analysis under another (the haemoglobin line under the red cells), so
    no free TEX line is made a result's comment: the lines that print a result belong to it (the result's
    own line shows them), the others stay as ordered text. Lines already in the free text are not repeated.
    """
    labels = {_key(o.label) for o in observations if len(_key(o.label)) >= 2}
    seen = {_key(line) for line in free if line.strip()}
    out: list[str] = []
    printing = False  # the previous TEX line printed a result: a following number line is its 2nd unit
    for kind, text in lab:
        if kind == "RES":
            printing = False
            continue
        key = _key(text)
        if any(key == label or (key.startswith(label) and not key[len(label)].isalnum()) for label in labels):
            printing = True
            continue
        if printing and re.match(r"^[<>*]?\s*[-+]?\d", key):
            continue
        printing = False
        if key and key in seen:
            continue
        if not key and out and not out[-1].strip():
            continue  # one blank line between blocks is enough
        out.append(text.strip() if not key else text.rstrip())
    while out and not out[-1].strip():
        out.pop()
    while out and not out[0].strip():
        out.pop(0)
    return out


def _read_header(header: list[str]) -> tuple[Identity, dt.datetime | None, str, str]:
    from core.model_rest import Identity

    if not header:
        return Identity(), None, "", ""
    header = header + [""] * (HEADER_LINES - len(header))
    field = [_blank_dot(line) for line in header]
    family_name, birth_name = split_name_notation(field[1])
    nir = clean_nir(field[7])
    birth_date = parse_birth_date(field[6])
    source_id = field[0] if field[0] and len(field[0]) <= 20 and "  " not in field[0] else field[8]
    identity = Identity(
        family_name=family_name,
        birth_name=birth_name,
        given_names=split_given_names(field[2]),
        birth_date=birth_date,
        sex=sex_of_patient(nir, birth_date),  # line 8 may be the insured parent's number
        nir=nir,
        source_id=source_id or None,
    )
    return identity, parse_datetime(field[9]), _party(header[10]), _party(header[11])


def _order(header: list[str]) -> str:
    """The lab's request: its code (line 11), the dossier number (line 9) and the dossier's date (line 10); ''
    without a dossier number."""
    if len(header) < 11:
        return ""
    dossier = _blank_dot(header[8])
    if not dossier:
        return ""
    code = (_blank_dot(header[10]).split(None, 1) or [""])[0]
    return f"hprim-net|{code}|{dossier}|{_blank_dot(header[9])[:10]}"


def _blank_dot(line: str) -> str:
    """A header field, trimmed, with MedShake's convention that '.' means empty."""
    value = line.strip()
    return "" if value == "." else value


def _party(line: str) -> str:
    """Lines 11/12 are 'code name' (code padded to 10 columns, or cut at the first blank): the name."""
    value = line.strip()
    parts = value.split(None, 1)
    return parts[1].strip() if len(parts) == 2 else value


def split_name_notation(line: str) -> tuple[str, str]:
    """(used/family name, birth name) from 'DURAND NEE MARTIN', 'MARTIN EP DURAND' or a plain name."""
    value = " ".join(line.split())
    match = _NEE_RE.match(value)
    if match:
        return match["first"].strip(), match["second"].strip()
    match = _EP_RE.match(value)
    if match:
        return match["second"].strip(), match["first"].strip()
    return value, ""


def split_given_names(line: str) -> tuple[str, ...]:
    """Given names split on blanks and commas; a composite 'JEAN-PIERRE' stays one name."""
    return tuple(part for part in re.split(r"[\s,]+", line.strip()) if part)


def _read_res(line: str) -> Observation:
    from core.model_rest import Observation

    fields = line.rstrip("\r\n").split("|")
    fields += [""] * (RES_FIELDS - len(fields))
    label = html_to_text(fields[1]).strip().rstrip(":").strip()
    # a lab with no norm for a result may write '-' in both bounds ('Voir compte-rendu ci-joint|...|-|-|'):
    # no bound, not the interval '-–-'
    low, high = ("" if b.strip(" -.") == "" else b.strip() for b in (fields[6], fields[7]))
    if low and not high:
        both = split_range(low)
        if both:
            low, high = both
    elif high and not low:
        both = split_range(high)
        if both:
            low, high = both
    return Observation(
        code=fields[2].strip(),
        label=label,
        # type N = numeric; A (alphanumeric, "< 0.12 mg/l", "Limpide") and C (coded) are kept as written
        value=_res_value(fields[3], fields[4]),
        unit=fields[5].strip(),
        low=normalise_number(low),
        high=normalise_number(high),
        flag=fields[8].strip().upper(),
        status=fields[9].strip().upper(),
        value2=normalise_number(html_to_text(fields[10])),
        unit2=fields[11].strip(),
        low2=normalise_number(fields[12].strip()),
        high2=normalise_number(fields[13].strip()),
    )


def _res_value(kind: str, value: str) -> str:
    text = html_to_text(value)
    if kind.strip().upper() in ("A", "C"):
        return " ".join(text.split())
    return normalise_number(text)


def _title(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


__all__ = ["looks_like", "parse", "split_given_names", "split_name_notation"]
