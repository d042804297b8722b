"""CDA R2 reader (CI-SIS flavour): header identity, author, title, date, level-3 lab results, narrative.

XML is parsed by expat through :func:`parse_xml_safely`, which refuses any DTD (and so every entity trick:
billion laughs, external entities) before a single entity is expanded. Element and attribute names are kept
without their namespace: CDA documents are not consistent about prefixes and we only read the HL7 v3 ones.
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import NoReturn
from xml.parsers import expat

from core.clinical.hl7v2 import INS_OIDS, OBSOLETE_INS_OIDS
from core.clinical.limits import check_observations
from core.clinical.values import (
    normalise_number,
    parse_birth_date,
    parse_datetime,
    parse_sex,
    reference_limits,
    shown_timestamp,
)
from core.errors import ParseError
from core.model import ClinicalDocument, Identity, Observation
from core.text import T

MAX_XML_BYTES = 50 * 1024 * 1024


class _Refused(Exception):
    """Raised inside expat handlers to stop on a DTD or entity declaration."""


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _qualified(name: str) -> str:
    return "{" + name if "}" in name else name


def _prefixless(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def parse_xml_safely(
    data: bytes, *, undeclared_prefixes: bool = False, qualified: bool = False
) -> ET.Element:
    """An ElementTree (names without namespace) from XML bytes; ParseError on a DTD, entity or bad XML.

    ``undeclared_prefixes``: a document whose prefixes are not declared (the ANS DRIM-M example
    METADATA.XML starts with ``<ns3:SubmitObjectsRequest>`` and declares no namespace) is read again
    without namespace processing, names reduced to their local part, instead of being refused.
    ``qualified``: names keep their namespace as ElementTree writes it (``{uri}local``).
    """
    try:
        return _parse_xml(data, namespaces=True, qualified=qualified)
    except _UnboundPrefix:
        if not undeclared_prefixes:
            raise ParseError(T("clinical.cda.xml-mal-forme-prefixe")) from None
        return _parse_xml(data, namespaces=False)


class _UnboundPrefix(Exception):
    pass


def _parse_xml(data: bytes, namespaces: bool, qualified: bool = False) -> ET.Element:
    if len(data) > MAX_XML_BYTES:
        raise ParseError(T("clinical.cda.document-xml-plus-refuse"))
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}") if namespaces else expat.ParserCreate()
    local = (_qualified if qualified else _local) if namespaces else _prefixless

    def refuse(*_args: object) -> NoReturn:
        raise _Refused

    def start(name: str, attrs: dict[str, str]) -> None:
        builder.start(local(name), {local(k): v for k, v in attrs.items()})

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(local(name))
    parser.CharacterDataHandler = builder.data
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
        root = builder.close()
    except _Refused:
        raise ParseError(T("clinical.cda.document-xml-declare-dtd")) from None
    except expat.ExpatError as exc:
        if exc.code == expat.errors.codes[expat.errors.XML_ERROR_UNBOUND_PREFIX]:
            raise _UnboundPrefix from None
        raise ParseError(T("clinical.cda.xml-mal-forme-ligne", lineno=exc.lineno)) from None
    except LookupError:
        raise ParseError(T("clinical.cda.xml-declare-encodage-caracteres")) from None
    except (AssertionError, IndexError, ValueError, RecursionError, UnicodeError):
        raise ParseError(T("clinical.cda.xml-mal-forme-document")) from None
    return root


def looks_like(data: bytes) -> bool:
    """Cheap test: an XML document whose root looks like a CDA ClinicalDocument."""
    head = data[:4096]
    return b"<" in head[:200] and b"ClinicalDocument" in head


def parse(data: bytes) -> list[ClinicalDocument]:
    """The CDA as one document: identity, author, title, date, code, lab results and readable text."""
    root = parse_xml_safely(data)
    if root.tag == "stylesheet":
        # an ANS "autoprésentable" document: an XSL stylesheet that carries the CDA (in <data:Contenu>) and
        # the style that shows it in a browser (CI-SIS examples BIO-CR-BIO and CANCER-PPS "Auto-Presentable")
        root = next(root.iter("ClinicalDocument"), root)
    try:
        return [_document(root, data)]
    except RecursionError:
        raise ParseError(T("clinical.cda.document-cda-trop-profondement")) from None


def _document(root: ET.Element, data: bytes) -> ClinicalDocument:
    if root.tag != "ClinicalDocument":
        raise ParseError(T("clinical.cda.document-xml-cda-racine"))
    code_el = _child(root, "code")
    title = _text(_child(root, "title")) or (code_el.get("displayName", "") if code_el is not None else "")
    effective = _child(root, "effectiveTime")
    identity, other = _identities(root)
    return ClinicalDocument(
        format="cda",
        identity=identity,
        # a second recordTarget naming another patient (CDA R2 allows several; the CI-SIS one): a person decides
        envelope=other,
        envelope_from="cda" if other is not None else "",
        observations=tuple(_observations(root)),
        text=_narrative(root),
        title=title,
        author=_author(root),
        recipient=_recipient(root),
        date=parse_datetime(effective.get("value", "")) if effective is not None else None,
        code=code_el.get("code", "") if code_el is not None else "",
        raw=data,
        order=_set_id(root),
    )


def _set_id(root: ET.Element) -> str:
    """The document's setId (the same for every version of it), as the order its versions share."""
    set_id = _child(root, "setId")
    if set_id is None or not (set_id.get("root") or set_id.get("extension")):
        return ""
    return f"cda|{set_id.get('root', '')}|{set_id.get('extension', '')}"


def _child(el: ET.Element | None, *path: str) -> ET.Element | None:
    for name in path:
        if el is None:
            return None
        el = el.find(name)
    return el


def _text(el: ET.Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _identities(root: ET.Element) -> tuple[Identity, Identity | None]:
    """The patient of the first recordTarget, and the first other recordTarget's patient that names someone else
    (None when there is none): the document was filed on the first alone, whatever the others said."""
    roles = [rt.find("patientRole") for rt in root.findall("recordTarget")]
    identities = [_identity(role) for role in roles if role is not None]
    if not identities:
        return Identity(), None
    first = identities[0]
    other = next((i for i in identities[1:] if not _clearly_the_same(first, i)), None)
    return first, other


def _clearly_the_same(first: Identity, other: Identity) -> bool:
    """Whether a second recordTarget is the first's patient written again: nothing differs (``name_two_patients``)
    and something the two share says so — the same INS, or a name and a birth date on both sides. A second one
    that can be compared on nothing (an INS alone beside a name and birth date, an empty one) is not taken for the
    same patient: the document waits for a person (it was ignored, and the first patient's record got it)."""
    from core.clinical.identity import clean_nir
    from core.clinical.matching import name_two_patients

    if name_two_patients(first, other):
        return False
    if clean_nir(first.ins) and clean_nir(other.ins):
        return True  # equal: two different ones name two patients
    return (
        _named(first) and _named(other) and first.birth_date is not None and other.birth_date is not None
    )


def _named(identity: Identity) -> bool:
    return any(n.strip() for n in (identity.family_name, identity.birth_name))


def _identity(role: ET.Element | None) -> Identity:
    if role is None:
        return Identity()
    ins = ins_oid = source_id = None
    for id_el in role.findall("id"):
        root_oid, ext = id_el.get("root", "").strip(), id_el.get("extension", "").strip()
        if root_oid in INS_OIDS and ext and ins is None:
            ins, ins_oid = ext, root_oid
        elif ext and source_id is None and root_oid not in INS_OIDS and root_oid not in OBSOLETE_INS_OIDS:
            source_id = ext
    patient = role.find("patient")
    families, given = _names(patient)
    used = families.get("CL") or families.get("SP") or families.get("") or families.get("BR", "")
    birth_time = _child(patient, "birthTime")
    gender = _child(patient, "administrativeGenderCode")
    county = _child(patient, "birthplace", "place", "addr", "county")
    return Identity(
        family_name=used or next(iter(families.values()), ""),
        birth_name=families.get("BR", ""),
        given_names=tuple(given),
        birth_date=parse_birth_date(birth_time.get("value", "")) if birth_time is not None else None,
        sex=parse_sex(gender.get("code", "")) if gender is not None else "U",
        ins=ins,
        ins_oid=ins_oid,
        birth_place=_text(county) or None,
        source_id=source_id,
    )


def _words(text: str) -> list[str]:
    return [p for p in re.split(r"[\s,]+", text) if p]


def _names(patient: ET.Element | None) -> tuple[dict[str, str], tuple[str, ...]]:
    """Family names by qualifier, and the birth first names (first one first), as the CI-SIS header says.

    Every ANS example comments it: a plain ``<given>`` holds the first names of the birth certificate, all
    of them; ``<given qualifier="BR">`` the first of them; ``qualifier="CL"`` the first name in use.
    ``<family>`` BR = birth name, SP = married name, CL = name in use. A C-CDA document may put the birth
    name in a second ``<name>`` marked BR instead of qualifying each part.
    """
    families: dict[str, str] = {}
    first_birth: list[str] = []  # the BR given name, as words (it may be composite: "JEAN PIERRE")
    plain: list[tuple[bool, list[str]]] = []  # each <name>'s plain given names, and whether it is the BR one
    used_given: list[str] = []
    if patient is None:
        return families, ()
    for name in patient.findall("name"):
        whole = f"{name.get('qualifier', '')} {name.get('use', '')}".upper().split()
        birth_element = "BR" in whole
        names_given: list[str] = []
        for fam in name.findall("family"):
            qualifier = fam.get("qualifier", "").upper().strip() or ("BR" if birth_element else "")
            families.setdefault(qualifier, _text(fam))
        for giv in name.findall("given"):
            qualifiers = giv.get("qualifier", "").upper().split()
            words = _words(_text(giv))
            if "BR" in qualifiers:
                first_birth = first_birth or words
            elif "CL" in qualifiers:
                used_given = used_given or words
            else:
                names_given.extend(words)
        if names_given:
            plain.append(
                (birth_element or any(f.get("qualifier", "").upper() == "BR" for f in name), names_given)
            )
    # Each <name> is a whole name of the same person (C-CDA: a legal one, one for search with the birth
    # name): its first names are not added to another's ('Eve', 'Eve'); the birth name's win.
    birth_list = next((g for is_birth, g in plain if is_birth), plain[0][1] if plain else [])
    if not first_birth:
        return families, tuple(birth_list or used_given)
    first = " ".join(first_birth)
    n = len(first_birth)
    if [w.upper() for w in birth_list[:n]] == [w.upper() for w in first_birth]:
        rest = birth_list[n:]
    else:
        rest = [w for w in birth_list if w.upper() not in {f.upper() for f in first_birth}]
    return families, (first, *rest)


# CI-SIS names: <prefix> is the civility (M, MME), <suffix> the title (DR, PR: table TRE_R11)
_TITLES = {"DR": "Dr", "PR": "Pr"}


def _person(el: ET.Element | None) -> str:
    """A person's name as a letter head reads it: title (or civility), given names, family names.

    Producers write the parts in any order (ANS examples: given, family, prefix, suffix), so the order of
    the document is not the order of the words; a title (Dr, Pr) takes the civility's place."""
    name = _child(el, "name")
    if name is None:
        return ""

    def parts(tag: str) -> list[str]:
        return [t for t in (_text(p) for p in name if p.tag == tag) if t]

    titles = [_TITLES[t.upper().rstrip(".")] for t in parts("suffix") if t.upper().rstrip(".") in _TITLES]
    words = (titles[:1] or parts("prefix")) + parts("given") + parts("family")
    return " ".join(words) or _text(name)


def _author(root: ET.Element) -> str:
    assigned = _child(root, "author", "assignedAuthor")
    person = _person(_child(assigned, "assignedPerson"))
    org = _text(_child(assigned, "representedOrganization", "name"))
    if not person and not org:
        org = _text(
            _child(root, "custodian", "assignedCustodian", "representedCustodianOrganization", "name")
        )
    return ", ".join(p for p in (person, org) if p)


def _recipient(root: ET.Element) -> str:
    intended = _child(root, "informationRecipient", "intendedRecipient")
    person = _person(_child(intended, "informationRecipient"))
    org = _text(_child(intended, "receivedOrganization", "name"))
    return ", ".join(p for p in (person, org) if p)


_ATTACHMENT_TYPE = "1.2.250.1.213.1.1.3.48.18"  # CI-SIS entry FR-Type-document-attache


def _attachment_type(obs: ET.Element) -> bool:
    return any(t.get("root", "") == _ATTACHMENT_TYPE for t in obs.findall("templateId"))


def _result_observations(el: ET.Element, skip: bool = False) -> Iterator[ET.Element]:
    """Observations holding results, without previous results (REFR) or reference ranges."""
    for child in el:
        if child.tag in ("referenceRange", "observationRange"):
            continue
        if child.tag == "entryRelationship" and child.get("typeCode", "").upper() == "REFR":
            continue
        if child.tag == "observation" and _attachment_type(child):
            continue  # says what the attached PDF is ("Copie du document"): not a result
        if child.tag == "observation" and child.find("value") is not None:
            yield child
        yield from _result_observations(child)


def _observations(root: ET.Element) -> list[Observation]:
    body = _child(root, "component", "structuredBody")
    if body is None:
        return []
    # Coded values often carry no displayName, only a reference to the narrative (<content ID="...">).
    refs = {el.get("ID", ""): _text(el) for text in body.iter("text") for el in text.iter() if el.get("ID")}
    found: list[ET.Element] = []
    for obs in _result_observations(body):
        found.append(obs)
        check_observations(len(found), "document CDA")
    return [_observation(obs, refs) for obs in found]


def _original_text(el: ET.Element | None, refs: dict[str, str]) -> str:
    """originalText of a coded element, following its #reference into the narrative."""
    original = _child(el, "originalText")
    if original is None:
        return ""
    ref = original.find("reference")
    if ref is not None and ref.get("value", "").startswith("#"):
        return refs.get(ref.get("value", "")[1:], "") or _text(original)
    return _text(original)


def _interval(value_el: ET.Element) -> tuple[str, str]:
    """An IVL_PQ result as the lab means it: "≤1.0" (a value below a limit: only <high>), "≥500" (only
    <low>), "2 - 4" (both), with the unit of its bounds. A bound is inclusive unless it says
    inclusive="false" (HL7 v3), then "<" / ">"."""
    bounds = [value_el.find("low"), value_el.find("high")]
    low, high = (b if b is not None and b.get("value") is not None else None for b in bounds)
    unit = next((b.get("unit", "") for b in (low, high) if b is not None and b.get("unit", "") != "1"), "")

    def number(el: ET.Element) -> str:
        return normalise_number(el.get("value", ""))

    def strict(el: ET.Element) -> bool:
        return el.get("inclusive", "").lower() == "false"

    if low is not None and high is not None:
        return f"{number(low)} - {number(high)}", unit
    if high is not None:
        return ("<" if strict(high) else "≤") + number(high), unit
    if low is not None:
        return (">" if strict(low) else "≥") + number(low), unit
    return _text(value_el) or value_el.get("value", ""), unit


def _ratio(value_el: ET.Element) -> tuple[str, str]:
    """An RTO result (HL7 v3 <numerator>/<denominator>) as it is said: a rate over one unit is the
    numerator with both units ('260 l/min', a heart rate '86 /min'), a titre is '1:128'. Read as a
    list of values it gave '260 - 1', an interval from 260 to 1."""
    num, den = value_el.find("numerator"), value_el.find("denominator")
    if num is None or den is None or num.get("value") is None or den.get("value") is None:
        written = [x.get("value", "") for x in value_el if x.get("value") is not None]
        return _text(value_el) or ":".join(written), ""

    def unit_of(el: ET.Element) -> str:
        return "" if el.get("unit", "") == "1" else el.get("unit", "").strip()

    n, d = normalise_number(num.get("value", "")), normalise_number(den.get("value", ""))
    n_unit, d_unit = unit_of(num), unit_of(den)
    try:
        per_one = float(d) == 1.0
    except ValueError:
        per_one = False
    if per_one:
        return n, f"{n_unit}/{d_unit}" if d_unit else n_unit
    if not n_unit and not d_unit:
        return f"{n}:{d}", ""
    return f"{n} {n_unit}".strip() + " / " + f"{d} {d_unit}".strip(), ""


def _date_value(value_el: ET.Element) -> str:
    """A TS, IVL_TS or EIVL_TS result as dates are read ('01/12/2022'; a period 'du 01/12/2022 au
    05/12/2022'): the ANS examples' "Date de début des dernières règles" and "Date de la RCP" read '20221201'."""
    if value_el.get("value"):
        return shown_timestamp(value_el.get("value", ""))
    low, high = value_el.find("low"), value_el.find("high")
    start = shown_timestamp(low.get("value", "")) if low is not None else ""
    end = shown_timestamp(high.get("value", "")) if high is not None else ""
    if start and end:
        return str(T("clinical.cda.periode", start=start, end=end))
    if start:
        return str(T("clinical.cda.depuis", start=start))
    if end:
        return str(T("clinical.cda.jusqu-a", end=end))
    return _text(value_el)


def _referenced(value_el: ET.Element, refs: dict[str, str]) -> str:
    """An ED value that only points into the narrative (<value xsi:type="ED"><reference value="#Fndng3"/>,
    HL7's imaging report examples): the narrative's words, not an empty result."""
    ref = value_el.find("reference")
    target = ref.get("value", "") if ref is not None else ""
    return " ".join(refs.get(target[1:], "").split()) if target.startswith("#") else ""


def _reference(obs: ET.Element) -> tuple[str, str, bool | None, bool | None]:
    """The first reference range (low, high, and whether each bound is inclusive): its IVL_PQ bounds, each
    inclusive unless it says inclusive="false" (HL7 v3 data types, as in _interval), else the norm as the
    lab wrote it in its <text> (HL7's C-CDA examples: '4-5.6%', '<130 mg/dL (calc)', 'M 13-18 g/dl')."""
    for ranged in obs.findall("referenceRange/observationRange"):
        value_el = ranged.find("value")
        if value_el is not None:
            low_el, high_el = value_el.find("low"), value_el.find("high")
            low, high = _bound(low_el), _bound(high_el)
            if low or high:
                low_inclusive = high_inclusive = None
                if low_el is not None and low:
                    low_inclusive = low_el.get("inclusive", "").lower() != "false"
                if high_el is not None and high:
                    high_inclusive = high_el.get("inclusive", "").lower() != "false"
                return low, high, low_inclusive, high_inclusive
        written = " ".join(_text(ranged.find("text")).split()) if ranged.find("text") is not None else ""
        if written:
            return reference_limits(written)
    return "", "", None, None


def _measured(kind: str) -> bool:
    """A value type that states a measure, a count, a date or a yes/no (not a finding that may be absent)."""
    return (
        kind in ("PQ", "INT", "REAL", "MO", "BL", "IVL_PQ", "IVL_INT", "TS")
        or kind.startswith("RTO")
        or kind.endswith("_TS")
    )


def _bound(el: ET.Element | None) -> str:
    """A reference bound's value; a bound in a unit UCUM lacks is given by its translation (<low
    nullFlavor="OTH"><translation value="150">, C-CDA's non-UCUM example)."""
    if el is None:
        return ""
    written = el.get("value", "")
    translation = el.find("translation")
    if not written and el.get("nullFlavor") and translation is not None:
        written = translation.get("value", "")
    return normalise_number(written)


def _observation(obs: ET.Element, refs: dict[str, str]) -> Observation:
    code_el = obs.find("code")
    value_el = obs.find("value")
    value = unit = value2 = unit2 = kind = ""
    if value_el is not None:
        kind = _prefixless(value_el.get("type", "")).upper()  # xsi:type is a QName: "PQ" or "v3:PQ"
        if kind in ("PQ", "INT", "REAL", "MO"):
            value = normalise_number(value_el.get("value", ""))
            unit = value_el.get("unit", "") if value_el.get("unit", "") != "1" else ""
            # the same result in a second unit, as labs print both (glucose 10.02 mmol/L = 0.60 g/L)
            second = value_el.find("translation")
            if second is not None and second.get("value") and kind == "PQ":
                value2, unit2 = normalise_number(second.get("value", "")), second.get("code", "")
                if not value and value_el.get("nullFlavor"):
                    # a unit UCUM lacks (C-CDA's "Results Unit Non-UCUM": <value nullFlavor="OTH"><translation
                    # value="152"><originalText>THOUS/MCL</originalText>): the result is the translation, in
                    # the lab's own unit; it read "= 152", without unit or norm
                    value, unit = value2, unit2 or _original_text(second, refs)
                    value2 = unit2 = ""
        elif kind in ("CD", "CE", "CO", "CV", "CS"):
            value = (
                value_el.get("displayName", "")
                or _original_text(value_el, refs)
                or _text(value_el)
                or value_el.get("code", "")
            )
        elif kind == "BL":  # as the doctor says it (LDL: "Transfusion de produits sanguins: non")
            written = value_el.get("value", "").strip().lower()
            value = {"true": str(T("clinical.cda.bl-vrai")), "false": str(T("clinical.cda.bl-faux"))}.get(
                written, value_el.get("value", "")
            )
        elif kind == "IVL_PQ":
            value, unit = _interval(value_el)
        elif kind.startswith("RTO"):  # RTO, RTO_PQ_PQ, RTO_INT_PQ...
            value, unit = _ratio(value_el)
        elif kind == "TS" or kind.endswith("_TS"):  # a date as the result: CI-SIS last menstrual period (TS),
            # due date (IVL_TS), date of the tumour board (CANCER-PPS: EIVL_TS)
            value = _date_value(value_el)
        else:
            value = _text(value_el) or value_el.get("value", "") or _referenced(value_el, refs)
    mood = obs.get("moodCode", "").strip().upper()
    status = obs.find("statusCode")
    status_code = status.get("code", "") if status is not None else ""
    if mood == "GOL":
        # a goal of a care plan (C-CDA: SpO2 <low value="92" unit="%"/>): what is aimed at, never a result;
        # its 'active' status is the goal's, not a provisional result's
        value = str(T("clinical.cda.objectif", value=value)) if value else str(T("clinical.cda.objectif-seul"))
        status_code = ""
    elif mood not in ("", "EVN"):  # intended, requested, promised, proposed, appointed: not yet done
        value = str(T("clinical.cda.prevu", value=value)) if value else str(T("clinical.cda.prevu-seul"))
        status_code = ""
    if obs.get("negationInd", "").strip().lower() == "true" and not _measured(kind):
        # the observation did NOT hold: C-CDA's "no known allergy" is a negated 'Allergy to substance', a
        # CI-SIS certificat de santé writes an absent anomaly so; without it the result said the opposite.
        # A quantity, a count, a date or a yes/no is what was measured or answered, never an absence: the
        # ANS's certificats (CSE-CS8) and antepartum summary set negationInd="true" on 'Nombre de fœtus 1',
        # 'Durée d'hospitalisation 3 d', '41 wk', 'Prééclampsie false', whose narrative says '1', '3 jours',
        # '41 SA révolues', 'Non': they read 'absence : 1', 'absence : non'
        value = str(T("clinical.cda.nie", value=value)) if value else str(T("clinical.cda.nie-seul"))
    low, high, low_inclusive, high_inclusive = _reference(obs)
    interpretation = obs.find("interpretationCode")
    comments = [_text(c) for c in obs.findall("entryRelationship/act/text") if _text(c)]
    label = ""
    if code_el is not None:
        label = (code_el.get("displayName", "") or _original_text(code_el, refs)).strip()
    return Observation(
        code=code_el.get("code", "").strip() if code_el is not None else "",  # C-CDA: " 401238003"
        label=label,
        value=value,
        unit=unit,
        low=low,
        high=high,
        low_inclusive=low_inclusive,
        high_inclusive=high_inclusive,
        flag=interpretation.get("code", "").upper() if interpretation is not None else "",
        status={"completed": "F", "active": "P", "aborted": "X", "cancelled": "X"}.get(
            status_code, status_code
        ),
        comment="\n".join(comments),
        value2=value2,
        unit2=unit2,
    )


def _narrative(root: ET.Element) -> str:
    """The readable body at 80 columns (:mod:`core.clinical.narrative`); a PDF nonXMLBody, or a structured
    body with no narrative text of its own, gives the embedded PDF's text instead."""
    from core.clinical.narrative import render_sections

    component = root.find("component")
    if component is None:
        return ""
    non_xml = _child(component, "nonXMLBody", "text")
    if non_xml is not None:
        return _non_xml_text(non_xml)
    body = component.find("structuredBody")
    if body is None:
        return ""
    try:
        if not _has_narrative(body):
            pdf_text, unreadable = _embedded_pdf_text(body)
            if pdf_text:
                return pdf_text
            if unreadable:  # the report is only in a PDF copy that cannot be read: said, never silently empty
                sections = render_sections(body).strip()
                return str(T("clinical.cda.copie-pdf-illisible")) + (f"\n\n{sections}" if sections else "")
        return render_sections(body)
    except RecursionError:
        return _text(body)


# what CI-SIS examples put in a section that has nothing to say
_PLACEHOLDERS = {"", "(texte libre)", "texte libre", "-", "néant"}


def _has_narrative(body: ET.Element) -> bool:
    """Whether any section's ``<text>`` says something (titles, images and placeholders do not count)."""
    for section in body.iter("section"):
        text = section.find("text")
        if text is None:
            continue
        words = " ".join("".join(t for t in text.itertext()).split())
        if words.lower() not in _PLACEHOLDERS:
            return True
    return False


def _embedded_pdf_text(body: ET.Element) -> tuple[str, bool]:
    """The text of the first readable PDF the body embeds (observationMedia, CI-SIS "Copie du document"), and
    whether a PDF copy was there that gave none (a password, damage, a scan)."""
    unreadable = False
    for media in body.iter("observationMedia"):
        value = media.find("value")
        if value is None or value.get("mediaType", "") != "application/pdf":
            continue
        try:
            text = _non_xml_text(value)
        except ParseError:
            text = ""
        if text.strip():
            return text, False
        unreadable = True
    return "", unreadable


def _non_xml_text(text_el: ET.Element) -> str:
    media = text_el.get("mediaType", "")
    payload = "".join(text_el.itertext())
    ref = text_el.find("reference")
    if not payload.strip() and ref is not None and ref.get("value", "").strip():
        # the body is a file next to the CDA (<text><reference value="UD_sample.pdf"/>, HL7's unstructured
        # document example), not in it: said, rather than a document with nothing to read
        return str(T("clinical.cda.corps-reference", file=ref.get("value", "").strip()[:120]))
    if text_el.get("representation", "").upper() != "B64":
        return payload.strip()
    try:
        content = base64.b64decode(re.sub(r"\s+", "", payload))
    except (binascii.Error, ValueError):
        raise ParseError(T("clinical.cda.corps-cda-base64-endommage")) from None
    if media == "application/pdf" or content.startswith(b"%PDF"):
        from core.clinical import pdf

        return pdf.extract_text(content)
    from core.clinical import rtf

    if media in ("text/rtf", "application/rtf") or rtf.looks_like(content):
        return rtf.to_text(content)
    if media.startswith("text/") or not media:
        from core.clinical.encoding import decode_text

        return decode_text(content).strip()  # UTF-8, else Windows-1252 or Latin-1 as written
    # an image (CI-SIS allows image/jpeg and image/tiff) or another binary body: never its bytes as text
    return str(T("clinical.cda.corps-non-texte", media=media))


__all__ = ["looks_like", "parse", "parse_xml_safely"]
