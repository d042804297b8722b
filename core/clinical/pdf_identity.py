"""The patient identity a bare PDF letter prints, read as *suggested* traits.

A letter without structured data still says whom it is about: "Mme DUPONT née MARTIN Jeanne", "né le
14/03/1956", "Sexe : F", a NIR, sometimes the INS datamatrix's text line. These traits let À classer propose
candidates; they are never trusted enough to file a document without a person (the queue downgrades any
automatic decision for a PDF to review). Pure: text in, Identity out; nothing is logged.
"""

from __future__ import annotations

import datetime as dt
import re

from core.clinical.identity import clean_nir, is_valid_nir
from core.model import Identity, Sex

_UPPER = r"[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ][A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ'\-]+(?: [A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ][A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ'\-]+)*"
_GIVEN = (
    r"[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ][a-zàâäçéèêëîïôöùûüÿ'\-]+(?:[ \-][A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ][a-zàâäçéèêëîïôöùûüÿ'\-]+)*"
)
_DATE = r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})"
_TITLE = r"(Madame|Mme\.?|Mlle\.?|Mademoiselle|Monsieur|M\.)"

_BORN = re.compile(rf"\bn[ée]{{1,2}}(?:\s*\(e\))?\s+le\s+{_DATE}", re.IGNORECASE)
_BIRTH_DATE = re.compile(rf"(?:date\s+de\s+naissance|\bDDN)\s*:?\s*{_DATE}", re.IGNORECASE)
_BIRTH_NAME = re.compile(rf"(?i:nom\s+de\s+naissance)[ \t]*:[ \t]*({_UPPER})")
_USED_NAME = re.compile(rf"(?i:nom\s+(?:d'usage|d’usage|marital|utilis[ée]))[ \t]*:[ \t]*({_UPPER})")
_NAME = re.compile(rf"(?<![\w'’])(?i:nom)[ \t]*:[ \t]*({_UPPER})")
_GIVEN_FIELD = re.compile(
    rf"(?i:pr[ée]noms?(?:\s+de\s+naissance)?)[ \t]*:[ \t]*({_GIVEN}(?:,?[ \t]+{_GIVEN})*)"
)
_SEX = re.compile(r"\bsexe\s*:\s*(masculin|f[ée]minin|homme|femme|[MFH])\b", re.IGNORECASE)
_SEX_LETTER: dict[str, Sex] = {"M": "M", "H": "M", "F": "F"}  # masculin, homme, féminin, femme
_DM_SEX: dict[str, Sex] = {"M": "M", "F": "F"}  # field 4 of the datamatrix line (_datamatrix)
# "Mme DUPONT née MARTIN Jeanne", "M. LEROY Paul", "Patiente : Madame DURAND Marie"
_PERSON = re.compile(
    rf"{_TITLE}[ \t]+({_UPPER})(?:[ \t]+n[ée]e?[ \t]+({_UPPER}))?[ \t]+({_GIVEN}(?:[ \t]+{_GIVEN})*)"
)
_NIR = re.compile(
    r"(?<!\d)([1278]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}\s?\d{2})(?!\d)", re.IGNORECASE
)
# The INS datamatrix (ANS) is a 2D-Doc-like string: "IS" header, then fields S1 matricule, S2 OID, S3 first
# names, S4 sex, S5 birth name, S6 birth date; some letters print it as a text line. [unverified: field tags
# from memory of the ANS guide, not checked against it: only ever used as suggestions]
_DATAMATRIX = re.compile(r"\bIS\w{0,40}?S1(\d{13}\d{2})", re.IGNORECASE)
_DM_FIELD = re.compile(r"S([1-7])([^\x1d\n]*?)(?=\x1dS[1-7]|S[1-7](?=\S)|\x1d|$)")


def suggested_identity(text: str) -> Identity:
    """Traits printed in a letter (first occurrence of each); an empty Identity when none is found."""
    head = text[:20000]  # identity is printed near the top; a 200-page PDF is not scanned whole
    family = birth = ""
    given: tuple[str, ...] = ()
    sex: Sex = "U"
    dm = _datamatrix(head)
    if m := _PERSON.search(head):
        title, family, born_as, first = m.groups()
        birth = born_as or ""
        given = tuple(first.replace(",", " ").split())
        sex = "F" if title.lower().startswith(("mme", "madame", "mlle", "mademoiselle")) else "M"
    if m := _BIRTH_NAME.search(head):
        birth = m.group(1)
    if m := _USED_NAME.search(head):
        family = m.group(1)
    if not family and (m := _NAME.search(head)):
        family = m.group(1)
    if m := _GIVEN_FIELD.search(head):
        given = tuple(m.group(1).replace(",", " ").split())
    if m := _SEX.search(head):
        sex = _SEX_LETTER.get(m.group(1)[0].upper(), "U")
    elif sex == "U" and re.search(r"\bnée\s+le\b", head, re.IGNORECASE):
        sex = "F"
    born = _date(_BORN.search(head)) or _date(_BIRTH_DATE.search(head))
    nir = next(
        (clean_nir(m.group(1)) for m in _NIR.finditer(head) if is_valid_nir(clean_nir(m.group(1)))), None
    )
    if dm:
        birth = birth or dm.get("5", "")
        given = given or tuple(dm.get("3", "").split())
        sex = sex if sex != "U" else _DM_SEX.get(dm.get("4", "")[:1].upper(), "U")
        born = born or _dm_date(dm.get("6", ""))
        nir = nir or dm.get("1")
    family = " ".join(family.split())
    birth = " ".join(birth.split())
    return Identity(
        family_name=family or birth,
        birth_name=birth,
        given_names=given,
        birth_date=born,
        sex=sex,
        nir=nir,
    )


def _date(m: re.Match[str] | None) -> dt.date | None:
    if m is None:
        return None
    day, month, year = (int(g) for g in m.groups()[-3:])
    if year < 100:
        year += 1900 if year > dt.date.today().year % 100 else 2000
    try:
        when = dt.date(year, month, day)
    except ValueError:
        return None
    return when if dt.date(1850, 1, 1) <= when <= dt.date.today() else None


def _dm_date(text: str) -> dt.date | None:
    m = re.fullmatch(r"\s*(\d{2})-?(\d{2})-?(\d{4})\s*", text)
    return _date(re.match(r"(\d+)/(\d+)/(\d+)", f"{m.group(1)}/{m.group(2)}/{m.group(3)}")) if m else None


def _datamatrix(text: str) -> dict[str, str]:
    m = _DATAMATRIX.search(text)
    if m is None or not is_valid_nir(m.group(1)):
        return {}
    line = text[m.start(1) - 2 :].split("\n", 1)[0]
    return {tag: value.strip() for tag, value in _DM_FIELD.findall(line)}


__all__ = ["suggested_identity"]
