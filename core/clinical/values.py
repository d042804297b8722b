"""Small value conversions the readers share: numbers, ranges, dates, NIR shape, HTML text.

Tolerant by design: a value that does not convert is kept as written (or dropped to None for dates),
never an exception — one odd field must not lose a whole lab report.
"""

from __future__ import annotations

import datetime as dt
import re

from core.model import Sex

_NUMBER_RE = re.compile(r"^[<>]?=?\s*[+-]?\d+(?:[.,]\d+)?$|^[<>]?=?\s*[+-]?[.,]\d+$")
# "2.20-2.60", "-2 - 2", "10 - 40", "4,00-10,00", "-8 à -2"
_RANGE_RE = re.compile(
    # '_' as in the HL7 v2 standard's own ORU example ("OBX|1|SN|1554-5^GLUCOSE...||^182|mg/dl|70_105|H")
    r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*(?:-|–|_|à|a|to)\s*([+-]?\d+(?:[.,]\d+)?)\s*$",
    re.IGNORECASE,
)
_TAG_RE = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)[^<>]*>")
_BLOCK_TAGS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table"}


def normalise_number(value: str) -> str:
    """'12,5' -> '12.5' when the whole value is a number (with an optional < > sign); else unchanged."""
    text = value.strip()
    if text and _NUMBER_RE.match(text):
        return text.replace(",", ".").replace(" ", "")
    return text


def split_range(text: str) -> tuple[str, str] | None:
    """'2.20-2.60' -> ('2.20', '2.60'); None when ``text`` is not a two-bound range."""
    match = _RANGE_RE.match(text)
    if not match:
        return None
    return normalise_number(match.group(1)), normalise_number(match.group(2))


def reference_bounds(reference: str) -> tuple[str, str]:
    """(low, high) of a reference interval as labs write it: '2.20-2.60', '< 5', '>= 60' (see
    :func:`reference_limits`, which also says whether a one-sided bound is inclusive)."""
    low, high, _, _ = reference_limits(reference)
    return low, high


# '<=' / '>=' as HL7 SN comparators write them; '=<' / '=>' and '≤' / '≥' as labs type them
_ONE_SIDED = re.compile(r"^(<=|>=|=<|=>|≤|≥|<|>)\s*([-+]?\d+(?:[.,]\d+)?)(?![\d.,]|\s*[/:])")


def reference_limits(reference: str) -> tuple[str, str, bool | None, bool | None]:
    """(low, high, low inclusive, high inclusive) of a reference interval as labs write it.

    '<=5' (or '≤5') is an upper limit a result may equal, '<5' one it must stay below (False), the same
    for '>=' and '>'; ``None`` where the text says nothing (a two-bound range, a written norm). Anything
    that is not an interval (a written norm such as 'négatif') is kept whole as ``low``.
    """
    if not reference:
        return "", "", None, None
    both = split_range(reference)
    if both:
        return both[0], both[1], None, None
    # a one-sided bound, possibly followed by a unit or words (NIST: "<9 mcg/dL:  Acceptable background")
    # ... never the first term of a ratio: a titre '<1/80' or '<1:40' is a written norm ('< 1' it is not)
    one_sided = _ONE_SIDED.match(reference)
    if one_sided:
        sign = one_sided.group(1)
        bound = normalise_number(one_sided.group(2))
        inclusive = len(sign) == 2 or sign in "≤≥"
        if sign in ("<", "<=", "=<", "≤"):
            return "", bound, None, inclusive
        return bound, "", inclusive, None
    return reference, "", None, None


def parse_date(text: str) -> dt.date | None:
    """JJ/MM/AAAA, JJ.MM.AAAA, JJ-MM-AAAA, AAAA-MM-JJ, AAAAMMJJ (extra time ignored); None otherwise."""
    text = text.strip()
    match = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = re.match(r"^(\d{4})-?(\d{2})-?(\d{2})", text)
        if not match:
            return None
        year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


OLDEST_BIRTH_YEAR = 1880  # older than any living person: a year such as 1013 is a typing error, not a trait


def parse_birth_date(text: str, today: dt.date | None = None) -> dt.date | None:
    """A birth date as an identity trait: ``parse_date``, and None when it cannot be a living patient's
    (before 1880, or in the future): an implausible date must never confirm or contradict a match."""
    date = parse_date(text)
    if date is None:
        return None
    if date.year < OLDEST_BIRTH_YEAR or date > (today or dt.date.today()):
        return None
    return date


def parse_datetime(text: str) -> dt.datetime | None:
    """An HL7/CDA timestamp (YYYYMMDD[HHMM[SS[.s]]][+ZZZZ]) or a French date; None when unreadable."""
    text = text.strip()
    match = re.match(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(?:(\d{2}))?)?(?:\.\d+)?([+-]\d{4})?$", text)
    if match:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        hour, minute, second = int(match[4] or 0), int(match[5] or 0), int(match[6] or 0)
        tz = None
        if match[7]:
            sign = 1 if match[7][0] == "+" else -1
            hours, minutes = int(match[7][1:3]), int(match[7][3:5])
            if hours < 24 and minutes < 60:
                tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        try:
            return dt.datetime(year, month, day, hour, minute, second, tzinfo=tz)
        except ValueError:
            return None
    date = parse_date(text)
    if date is None:
        return None
    time = re.search(r"(\d{1,2})[:hH](\d{2})(?::(\d{2}))?\s*$", text[10:])
    try:
        if time:
            return dt.datetime(date.year, date.month, date.day, int(time[1]), int(time[2]), int(time[3] or 0))
    except ValueError:
        pass
    return dt.datetime(date.year, date.month, date.day)


_TIMESTAMP_RE = re.compile(
    r"^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(\d{2})?(?:\d{2})?)?)?)?(?:\.\d+)?(?:[+-]\d{4})?$"
)


def shown_timestamp(text: str) -> str:
    """A date given as a result's value (an HL7 TS/DT/DTM or a CDA TS: '20221201', '20150818060605-0500') as
    the doctor reads a date: '01/12/2022', '18/08/2015 06:06' (the sender's clock, as written), '12/2022' or
    '2022' for a date given to the month or the year. What is not such a date is kept as written: the
    ANS examples' "Date de début des dernières règles" read '20221201'."""
    written = text.strip()
    match = _TIMESTAMP_RE.match(written)
    if not match:
        return written
    year, month, day, hour, minute = match.groups()
    try:
        if day is None:
            return year if month is None else dt.date(int(year), int(month), 1).strftime("%m/%Y")
        shown = dt.date(int(year), int(month), int(day)).strftime("%d/%m/%Y")
        if hour is not None:
            shown += " " + dt.time(int(hour), int(minute or 0)).strftime("%H:%M")
    except ValueError:
        return written
    return shown


def parse_sex(text: str) -> Sex:
    """M/F from the usual spellings (M, F, H, 1, 2, masculin, féminin); U otherwise."""
    code = text.strip().upper()[:1]
    if code in ("M", "H", "1"):
        return "M"
    if code in ("F", "2"):
        return "F"
    return "U"


def clean_nir(text: str) -> str | None:
    """A NIR as written (spaces removed, upper case) when it has the shape of one (13 or 15 chars)."""
    value = re.sub(r"[\s.]", "", text).upper()
    if re.fullmatch(r"[1-478]\d{4}(?:\d{2}|2A|2B)\d{6}(?:\d{2})?", value):
        return value
    return None


def nir_key_valid(nir: str) -> bool:
    """True for a 15-char NIR/NIA whose key is 97 - (N mod 97) (Corsica 2A -> 19, 2B -> 18)."""
    if len(nir) != 15 or not nir[13:].isdigit():
        return False
    body = nir[:13].upper()
    corsica = {"2A": "19", "2B": "18"}.get(body[5:7])
    if corsica:
        body = body[:5] + corsica + body[7:]
    if not body.isdigit():
        return False
    return 97 - int(body) % 97 == int(nir[13:])


def sex_from_nir(nir: str | None) -> Sex:
    """Sex from the first digit of a NIR whose key checks (1, 7 -> M; 2, 8 -> F); U otherwise."""
    if not nir or not nir_key_valid(nir):
        return "U"
    sexes: dict[str, Sex] = {"1": "M", "7": "M", "2": "F", "8": "F"}
    return sexes.get(nir[0], "U")


def sex_of_patient(nir: str | None, birth_date: dt.date | None) -> Sex:
    """The patient's sex from an HPRIM Net NIR (line 8), only when that NIR is the patient's own as far as it
    shows: a valid key, and the year and month of birth it carries (characters 2-5) those of the header's birth
    date (line 7), a month above 12 (the civil month unknown: 20-42, 50 and up) agreeing with any month. The line
    carries the insured person's number, which for a child on a parent's card (or a spouse) is another person's:
    its first digit then says nothing of the patient (a boy's result carrying his mother's NIR read « F »,
    « sexe incompatible », and his father's would have ruled out his twin sister as a rival). The header has no
    field saying whose number it is (no rank nor « qualité » as on the carte Vitale): U otherwise, as for no NIR."""
    sex = sex_from_nir(nir)
    if sex == "U" or not nir or birth_date is None:
        return "U"
    month = int(nir[3:5])
    if nir[1:3] != f"{birth_date.year % 100:02d}" or (1 <= month <= 12 and month != birth_date.month):
        return "U"
    return sex


def html_to_text(text: str) -> str:
    """Decode HTML entities and turn the few tags labs put in free text into line breaks."""
    if "<" in text:
        text = _TAG_RE.sub(lambda m: "\n" if m.group(2).lower() in _BLOCK_TAGS else "", text)
    if "&" not in text:
        return text
    import html  # with its table of entities: only for text that holds one

    return html.unescape(text)


__all__ = [
    "clean_nir",
    "html_to_text",
    "nir_key_valid",
    "normalise_number",
    "parse_date",
    "parse_datetime",
    "parse_sex",
    "reference_bounds",
    "reference_limits",
    "sex_from_nir",
    "sex_of_patient",
    "shown_timestamp",
    "split_range",
]
