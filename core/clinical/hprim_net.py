"""HPRIM Net ("HPRIM médecins") reader: 12-line header, free text, ****LAB**** RES/TEX lines, ****FIN****.

Layout and field positions: STANDARDS.md §2. A file may chain several reports (a new header after each
``****FIN****``) and end with ``****FINFICHIER****``; some files have no header at all (only a LAB block or
bare RES lines) and some have no LAB block (text only).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from core.clinical.encoding import DecodedText, decode, split_lines, strip_eol
from core.clinical.values import (
    clean_nir,
    html_to_text,
    normalise_number,
    parse_birth_date,
    parse_date,
    parse_datetime,
    sex_from_nir,
    split_range,
)
from core.errors import ParseError
from core.model import ClinicalDocument, Identity, Observation

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


def looks_like(text: str) -> bool:
    """Cheap test on decoded text: HPRIM Net markers, bare RES lines, or a header with a date on line 7."""
    if "****" in text and _MARK_RE.search(text.replace("\r", "\n")):
        return True
    lines = split_lines(text[:8192])
    if any(line.startswith("RES|") for line in lines[:50]):
        return True
    if len(lines) >= HEADER_LINES and lines[6].strip() and _DATE_LINE_RE.match(lines[6]):
        return parse_date(lines[6]) is not None and bool(lines[1].strip())
    return False


def parse(data: bytes) -> list[ClinicalDocument]:
    """Every report of an HPRIM Net file, each with its identity, results, text and raw bytes."""
    decoded = decode(data)
    lines = split_lines(decoded.text, keepends=True)
    reports = _split_reports(lines)
    documents = [_read_report(chunk, decoded, n == 0) for n, chunk in enumerate(reports)]
    documents = [doc for doc in documents if doc is not None]
    if not documents:
        raise ParseError(
            "le fichier HPRIM ne contient aucun compte rendu (ni en-tête, ni ligne RES) ; demandez à "
            "l'expéditeur de le renvoyer"
        )
    return documents


def _split_reports(lines: list[str]) -> list[list[str]]:
    """Cut the file after each ****FIN****, stop at ****FINFICHIER****; blank lines between reports go."""
    reports: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        mark = strip_eol(line).strip()
        if mark == FIN_FILE:
            break
        if not current and not mark:
            continue  # blank lines between reports (or before the first)
        current.append(line)
        if mark == FIN:
            reports.append(current)
            current = []
    if any(strip_eol(line).strip() for line in current):
        reports.append(current)
    return reports


def _read_report(chunk: list[str], decoded: DecodedText, first: bool) -> ClinicalDocument | None:
    lines = [strip_eol(line) for line in chunk]
    first = lines[0].strip()
    if first == LAB or first.startswith(("RES|", "TEX|")):
        header: list[str] = []
        body = lines
    else:
        header = lines[:HEADER_LINES]
        body = lines[HEADER_LINES:]
    text_lines: list[str] = []
    observations: list[Observation] = []
    pending: list[str] = []  # TEX lines waiting to join the RES line before them
    last: Observation | None = None
    in_lab = False
    for line in body:
        mark = line.strip()
        if mark == LAB:
            in_lab = True
            continue
        if mark == FIN:
            break
        if line.startswith("RES|"):
            in_lab = True
            if last is not None:
                observations.append(_with_comment(last, pending))
            last, pending = _read_res(line), []
        elif line.startswith("TEX|"):
            in_lab = True
            content = html_to_text(line[4:].rstrip("|")).strip()
            if last is not None:
                pending.append(content)
            else:
                text_lines.append(content)
        elif in_lab:
            # A stray line inside the LAB block: keep it as text rather than lose it.
            text_lines.append(html_to_text(line).rstrip())
        else:
            text_lines.append(html_to_text(line).rstrip())
    if last is not None:
        observations.append(_with_comment(last, pending))
    if not header and not observations:
        return None
    identity, date, author, recipient = _read_header(header)
    text = "\n".join(text_lines).strip("\n")
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
    )


def _read_header(header: list[str]) -> tuple[Identity, dt.datetime | None, str, str]:
    if not header:
        return Identity(), None, "", ""
    header = header + [""] * (HEADER_LINES - len(header))
    field = [_blank_dot(line) for line in header]
    family_name, birth_name = split_name_notation(field[1])
    nir = clean_nir(field[7])
    source_id = field[0] if field[0] and len(field[0]) <= 20 and "  " not in field[0] else field[8]
    identity = Identity(
        family_name=family_name,
        birth_name=birth_name,
        given_names=split_given_names(field[2]),
        birth_date=parse_birth_date(field[6]),
        sex=sex_from_nir(nir),
        nir=nir,
        source_id=source_id or None,
    )
    return identity, parse_datetime(field[9]), _party(header[10]), _party(header[11])


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
    fields = line.rstrip("\r\n").split("|")
    fields += [""] * (RES_FIELDS - len(fields))
    label = html_to_text(fields[1]).strip().rstrip(":").strip()
    low, high = fields[6].strip(), fields[7].strip()
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
        value=normalise_number(html_to_text(fields[4])),
        unit=fields[5].strip(),
        low=normalise_number(low),
        high=normalise_number(high),
        flag=fields[8].strip().upper(),
        status=fields[9].strip().upper(),
    )


def _with_comment(observation: Observation, comments: list[str]) -> Observation:
    comment = "\n".join(c for c in comments if c)
    if not comment:
        return observation
    return replace(observation, comment=comment)


def _title(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


__all__ = ["looks_like", "parse", "split_given_names", "split_name_notation"]
