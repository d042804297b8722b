"""Plain frozen dataclasses shared by every part of missive (core and tui).

No behaviour beyond conversions: readers, matcher, store and UI all speak these types.

The ones a sync never builds (clinical documents, patients, drafts, the reader's and the queue's views) live in
:mod:`core.model_rest` and are read from here all the same: the module loads on the first such name asked for.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from core.frozen import Frozen, fill

Sex = Literal["M", "F", "U"]
Decision = Literal["auto", "review", "new"]
SignatureVerdict = Literal["good", "unchecked", "bad"]  # SignatureStatus.verdict
SourceFormat = Literal["hprim-net", "hprim-2", "hl7v2", "cda", "xdm", "pdf"]

# HL7 table 0078 / HPRIM flags of a value beyond the panic limits, and the words labs write beside one
CRITICAL_FLAGS = frozenset({"HH", "LL", "AA"})
# The flags that say which way a value is out: HL7 v2 table 0078 (H, L, HH, LL, off scale > and <) and the
# HL7 v3 ObservationInterpretation codes CDA documents use (HX/LX above/below a threshold, HU/LU significantly
# high/low: C-CDA writes a low hematocrit 'LX')
HIGH_FLAGS = frozenset({"H", "HH", ">", "HU", "HX"})
LOW_FLAGS = frozenset({"L", "LL", "<", "LU", "LX"})
# How a germ responds to an antibiotic (an antibiogram line): HL7 v2 table 0078 and HPRIM Santé (S, VS, MS
# susceptible, I intermediate, R resistant) and the HL7 v3 ObservationInterpretation codes of CDA documents (NS
# non-susceptible, SDD susceptible-dose dependent). A susceptible germ is no abnormal result: counted abnormal,
# every antibiotic that works read red and drowned the resistances a GP must see. Each reads in words.
SUSCEPTIBLE_FLAGS = frozenset({"S", "VS", "MS"})
SUSCEPTIBILITY_WORDS = {
    "S": "clinical.susceptibility.sensible",
    "VS": "clinical.susceptibility.tres-sensible",
    "MS": "clinical.susceptibility.moderement-sensible",
    "I": "clinical.susceptibility.intermediaire",
    "SDD": "clinical.susceptibility.sensible-forte-posologie",
    "R": "clinical.susceptibility.resistant",
    "NS": "clinical.susceptibility.non-sensible",
}
_CRITICAL_WORDS = re.compile(r"\b(critiques?|paniques?)\b", re.IGNORECASE)


_STATUS_WORDS = {
    "C": "résultat corrigé",  # HPRIM and HL7: corrected after a first (validated) result
    "R": "non validé",  # HPRIM: not yet validated by the biologist; HL7: results entered, not verified
    "P": "provisoire",
    "I": "en attente",
    "X": "non réalisé",
    "D": "supprimé",
}


_BOUND = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def reference_text(
    low: str, high: str, low_inclusive: bool | None = None, high_inclusive: bool | None = None
) -> str:
    """A reference interval as labs write it: '2.20–2.60', '< 5' for an upper limit alone ('≤ 5' when the
    sender says a result may equal it), '> 60' for a lower limit alone ('≥ 60'), a written norm ('négatif')
    as it is. '–5' would read as minus five, 'négatif–' as an interval. An inclusiveness nobody stated
    (``None``: results read before it was kept, HPRIM Net's two fields) reads '<' / '>' as it always did."""
    if low and high:
        return f"{low}–{high}"
    if high:
        return f"{'≤' if high_inclusive else '<'} {high}" if _BOUND.fullmatch(high) else high
    if low:
        return f"{'≥' if low_inclusive else '>'} {low}" if _BOUND.fullmatch(low) else low
    return ""


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_POWER_OF_TEN = re.compile(r"\b10[*^](-?\d{1,2})\b")
# UCUM codes (as HL7 v2.5+ and CDA labs write units) and the symbol a lab report prints for them
_UCUM_SYMBOLS = {
    "mm[Hg]": "mmHg",
    "cm[H2O]": "cmH2O",
    "Cel": "°C",
    "[degF]": "°F",
    "[pH]": "pH",
    "[diop]": "δ",  # dioptre, as French prescriptions write it (ANS OPH-BRE: sphere, cylinder, addition)
    "deg": "°",  # an angle (the cylinder's axis)
    "[in_i]": "in",
    "[in_us]": "in",
    "[lb_av]": "lb",
    "[oz_av]": "oz",
}
_MICRO_OF = {"g", "L", "l", "mol", "m", "U", "eq", "kat", "s", "[IU]", "IU"}


def unit_text(unit: str) -> str:
    """A unit as a lab report prints it, from the UCUM code HL7 and CDA labs send: '10⁹/L' for '10*9/L' (read
    '10 × 9'), 'µg/mL' for 'ug/mL', 'UI/L' for '[IU]/L', 'mmHg' for 'mm[Hg]', '°C' for 'Cel'. Anything else is
    kept as written (the ANS's HL7 and CDA examples, HL7's C-CDA examples, NIST's messages write UCUM)."""
    text = unit.strip()
    if not text or text.isalpha() and text not in _UCUM_SYMBOLS and not text.startswith("u"):
        return text
    text = _POWER_OF_TEN.sub(lambda m: "10" + m[1].translate(_SUPERSCRIPT), text)
    return "/".join(_ucum_symbol(token) for token in text.split("/"))


def _ucum_symbol(token: str) -> str:
    if token in _UCUM_SYMBOLS:
        return _UCUM_SYMBOLS[token]
    if token[:1] in ("u", "m") and token[1:] in _MICRO_OF:
        prefix = "µ" if token[0] == "u" else "m"
        return prefix + (_international_units() if token[1:] == "[IU]" else token[1:])
    if token == "[IU]":
        return _international_units()
    return token


def _international_units() -> str:
    from core.text import render

    return render("clinical.unite.ui")  # 'UI' in French, 'IU' in English


@dataclass(init=False, repr=False, eq=False)
class SignatureStatus(Frozen):
    """The outcome of S/MIME verification, kept with the message and shown in the reader."""

    valid: bool
    signer: str = ""  # e-mail address of the signer
    subject: str = ""  # signer certificate subject DN
    # Why not valid or trusted: a catalogue code (core/locale, e.g. "sig.chain-untrusted") with its parameters
    # (addresses, algorithm names: no health data), so a verdict stored last year reads in today's language;
    # a sentence stored by an older version is kept and shown as it is.
    reason: str = ""
    params: dict[str, str] = field(default_factory=dict, hash=False)

    def __init__(
        self, valid: bool, signer: str = "", subject: str = "", reason: str = "", params: dict[str, str] | None = None
    ) -> None:
        params = {} if params is None else params
        fill(self, locals())

    def reason_text(self) -> str:
        """Why, in the language chosen ('' for a valid signature)."""
        from core.text import render

        return render(self.reason, self.params) if self.reason else ""

    @property
    def verdict(self) -> SignatureVerdict:
        """What the message list marks: "good" (valid, and every certificate of its chain checked against a
        current revocation list), "unchecked" (valid, but its revocation could not be checked: no current
        list of its authority in the profile), "bad" (not valid: altered, untrusted, expired, revoked...)."""
        if not self.valid:
            return "bad"
        return "unchecked" if self.reason.startswith("sig.revocation-") else "good"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def invalid(cls, signer: str, subject: str, why: Text) -> SignatureStatus:
        """A signature that does not hold or is not trusted, and why (a catalogue code)."""
        return cls(False, signer, subject, why.code, {k: str(v) for k, v in why.params.items()})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SignatureStatus:
        """A stored verdict. Older ones hold a French sentence and no parameters: a sentence the catalogue
        knows becomes its code again, so it reads in the language chosen too."""
        from core.text import code_of

        params = {str(k): str(v) for k, v in (data.get("params") or {}).items()}
        reason = str(data.get("reason") or "")
        return cls(
            bool(data.get("valid")),
            str(data.get("signer") or ""),
            str(data.get("subject") or ""),
            reason if params else code_of(reason),
            params,
        )


@dataclass(init=False, repr=False, eq=False)
class MessageSummary(Frozen):
    """What the message list needs about one message (no body). Made by the thousand (a list, a sync): its
    methods are written out as @dataclass(frozen=True) generated them (core.frozen), not generic ones. A new
    field goes into ``__init__`` and ``_compared`` too (mypy and tests/store/test_frozen_classes.py say so)."""

    id: str
    account: str
    folder: str
    uid: int | None
    message_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    date: dt.datetime | None
    flags: tuple[str, ...] = ()
    size: int = 0
    encrypted: bool = False
    signed: bool = False
    signature: SignatureStatus | None = None
    has_attachments: bool = False
    abnormal: bool = False
    filed: bool = False
    critical: bool = False  # one of its documents holds a critical result: shown first, marked apart
    references: tuple[str, ...] = ()  # References then In-Reply-To's ids, oldest first (its conversation)
    too_big: bool = False  # over the account's size limit: only its headers were downloaded (size: its own)

    def __init__(
        self,
        id: str,
        account: str,
        folder: str,
        uid: int | None,
        message_id: str,
        sender: str,
        to: tuple[str, ...],
        subject: str,
        date: dt.datetime | None,
        flags: tuple[str, ...] = (),
        size: int = 0,
        encrypted: bool = False,
        signed: bool = False,
        signature: SignatureStatus | None = None,
        has_attachments: bool = False,
        abnormal: bool = False,
        filed: bool = False,
        critical: bool = False,
        references: tuple[str, ...] = (),
        too_big: bool = False,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "id", id)
        set_(self, "account", account)
        set_(self, "folder", folder)
        set_(self, "uid", uid)
        set_(self, "message_id", message_id)
        set_(self, "sender", sender)
        set_(self, "to", to)
        set_(self, "subject", subject)
        set_(self, "date", date)
        set_(self, "flags", flags)
        set_(self, "size", size)
        set_(self, "encrypted", encrypted)
        set_(self, "signed", signed)
        set_(self, "signature", signature)
        set_(self, "has_attachments", has_attachments)
        set_(self, "abnormal", abnormal)
        set_(self, "filed", filed)
        set_(self, "critical", critical)
        set_(self, "references", references)
        set_(self, "too_big", too_big)

    def _compared(self) -> tuple[Any, ...]:
        return (
            self.id,
            self.account,
            self.folder,
            self.uid,
            self.message_id,
            self.sender,
            self.to,
            self.subject,
            self.date,
            self.flags,
            self.size,
            self.encrypted,
            self.signed,
            self.signature,
            self.has_attachments,
            self.abnormal,
            self.filed,
            self.critical,
            self.references,
            self.too_big,
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    @property
    def unread(self) -> bool:
        return "\\Seen" not in self.flags

    @property
    def flagged(self) -> bool:
        return "\\Flagged" in self.flags

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account": self.account,
            "folder": self.folder,
            "from": self.sender,
            "to": list(self.to),
            "subject": self.subject,
            "date": self.date.isoformat() if self.date else None,
            "flags": list(self.flags),
            "size": self.size,
            "encrypted": self.encrypted,
            "signed": self.signed,
            "signature": self.signature.to_json() if self.signature else None,
            "has_attachments": self.has_attachments,
            "abnormal": self.abnormal,
            "filed": self.filed,
            "critical": self.critical,
            "too_big": self.too_big,
        }


# -- what the façade returns to the app and the CLI ------------------------------------------------------------

# The folder list's virtual folders: messages the sync quarantined (sender outside the trust space), kept out of
# every real folder's list and never deleted; and the drafts kept in the store. Backslash names, which no real
# folder is expected to use.
INBOX = "INBOX"  # where Réception opens: the server's inbox, never the Sent copies of other folders
SORTS = ("date", "sender", "subject")  # the orders a list is read in: date newest first, the others A to Z
QUARANTINE_FOLDER = "\\Quarantine"
DRAFTS_FOLDER = "\\Drafts"
# With two accounts or more, each account's folders are listed apart under a key naming the account (INBOX alone
# is then every account's Réception together): "cabinet" + "Sent" -> "cabinet\x1fSent".
ACCOUNT_SEP = "\x1f"


def folder_key(account: str, folder: str) -> str:
    """The folder list's key for ``folder`` of ``account`` (listed apart when the profile has several)."""
    return f"{account}{ACCOUNT_SEP}{folder}"


def folder_parts(key: str) -> tuple[str | None, str]:
    """(account, folder) of a folder list key; account None for a folder of every account (or the only one)."""
    account, sep, folder = key.partition(ACCOUNT_SEP)
    return (account, folder) if sep else (None, key)


# The well-known folders as the doctor reads them, in one place: the app's labels and the names the command line
# accepts both come from here. A server name (lower case) -> the catalogue code of its label (core/locale).
FOLDER_ROLES = {
    "inbox": "folder.inbox",
    "sent": "folder.sent", "inbox.sent": "folder.sent", "sent items": "folder.sent",
    "sent messages": "folder.sent", "envoyés": "folder.sent", "éléments envoyés": "folder.sent",
    "drafts": "folder.drafts", "brouillons": "folder.drafts",
    "trash": "folder.trash", "corbeille": "folder.trash", "deleted items": "folder.trash",
    "junk": "folder.junk", "spam": "folder.junk",
    "archive": "folder.archive", "archives": "folder.archive",
    QUARANTINE_FOLDER.lower(): "folder.quarantine", DRAFTS_FOLDER.lower(): "folder.drafts-kept",
}  # fmt: skip


def folder_label(key: str, lang: str | None = None) -> str:
    """A folder as the interface shows it (in ``lang``, the current language by default): the well-known ones,
    the quarantine and the drafts kept in the profile translated, the others under their own name (the server's:
    without a terminal control character, ``printable``); an account's folder (listed apart when there are
    several) under its own."""
    from core.text import render

    _account, name = folder_parts(key)
    name = imap_folder_text(name)
    code = FOLDER_ROLES.get(name.lower())
    return render(code, lang=lang) if code else printable(name, one_line=True)


def imap_folder_text(name: str) -> str:
    """A server's folder name as it reads: IMAP writes non-ASCII names in modified UTF-7 (RFC 3501 §5.1.3:
    'Envoy&AOk-s' is 'Envoyés', '&-' is '&'). A name that is not valid modified UTF-7 is returned as written;
    the name itself (what SELECT takes) is never changed, only how it reads."""
    if "&" not in name:
        return name
    import binascii

    out: list[str] = []
    at = 0
    while (start := name.find("&", at)) >= 0:
        end = name.find("-", start + 1)
        if end < 0:
            return name
        out.append(name[at:start])
        chunk = name[start + 1 : end]
        if not chunk:
            out.append("&")
        else:
            try:
                raw = binascii.a2b_base64(chunk.replace(",", "/") + "=" * (-len(chunk) % 4), strict_mode=True)
                text = raw.decode("utf-16-be")
            except (ValueError, UnicodeDecodeError):
                return name
            if not text or any(" " <= c <= "~" for c in text):
                return name  # printable ASCII is never encoded: not modified UTF-7
            out.append(text)
        at = end + 1
    out.append(name[at:])
    return "".join(out)


def kind_label(kind: str, lang: str | None = None) -> str:
    """A document's kind as the interface says it (``core.clinical.kinds``' codes are French words: "biologie"
    reads "biology" in English); an unknown code as it is."""
    from core.text import render

    if not kind:
        return ""
    code = f"kind.{kind}"
    said = render(code, lang=lang)
    return kind if said == code else said


# C0 controls but line feed and tab, DEL, C1 controls: in a subject, a name or a body they are written to the
# terminal as they are, and ESC/CSI/OSC start commands (move the cursor over a verdict, set the title, write
# the clipboard: OSC 52). The bidirectional controls (Unicode's Bidi_Control: ALM, LRM, RLM, the embeddings
# and overrides LRE..RLO, the isolates LRI..PDI) turn what follows around on a terminal or in a file manager
# that applies the bidi algorithm: 'CR_\u202efdp.exe' reads 'CR_exe.pdf'. Each is shown as U+FFFD; a carriage
# return is dropped.
BIDI_CONTROLS = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_UNPRINTABLE = {
    c: "\ufffd"
    for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *BIDI_CONTROLS)
    if c not in (0x09, 0x0A)
}
_UNPRINTABLE[0x0D] = ""
# Unicode's line and paragraph separators end a line for str.splitlines and the email package (a subject
# holding one could not be answered: a header may not hold a line end)
_UNPRINTABLE.update({0x2028: "\n", 0x2029: "\n"})
_UNPRINTABLE_LINE = {**_UNPRINTABLE, 0x09: " ", 0x0A: " ", 0x0D: " ", 0x2028: " ", 0x2029: " "}
# whether there is anything to replace: one search, where translate maps every character (a 10 MB letter's
# body, checked at each MessageView, took seconds)
_ANY_UNPRINTABLE = re.compile("[" + "".join(re.escape(chr(c)) for c in _UNPRINTABLE) + "]")
# what JSON leaves as it is and a terminal reads as a command (json escapes C0 controls itself)
TERMINAL_COMMANDS = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in (0x7F, *range(0x80, 0xA0), *BIDI_CONTROLS)) + "]"
)
_ANY_UNPRINTABLE_LINE = re.compile("[" + "".join(re.escape(chr(c)) for c in _UNPRINTABLE_LINE) + "]")


def printable(text: str, one_line: bool = False) -> str:
    """``text`` as a terminal may show it: no control character that the terminal would read as a command
    (a letter's subject, names, body come from anyone). ``one_line``: line ends and tabs are spaces."""
    if text.isprintable() and not one_line:
        return text
    if (_ANY_UNPRINTABLE_LINE if one_line else _ANY_UNPRINTABLE).search(text) is None:
        return text
    return text.translate(_UNPRINTABLE_LINE if one_line else _UNPRINTABLE)


# Not in a file name missive writes: controls, line separators and bidi controls (a name shown in a file
# manager, or that ends a line), what Windows forbids (and the path separators of both systems), a trailing
# dot or space (Windows drops it: 'cr.exe.' is cr.exe) and a leading dot (a hidden file). A name that is a
# device on Windows (CON, NUL, COM1...: writing there never makes a file) gets a '_' in front.
_NOT_IN_A_FILE_NAME = re.compile(
    "["
    + "".join(re.escape(chr(c)) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0), *BIDI_CONTROLS, 0x2028, 0x2029))
    + '<>:"/\\\\|?*]'
)
_WINDOWS_DEVICE = re.compile(
    r"(?i)(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$)"
)
FILE_NAME_BYTES = 200  # under every file system's 255, with room for a ' (12)' and a copy's suffix


def file_name_to_write(name: str, default: str = "piece-jointe") -> str:
    """An attachment's name (the sender's words) as a file this computer may be given: its last part only
    (a name with '/' or '\\' is a path), no control, bidi control or character Windows forbids ('_' in
    their place), no leading dot or trailing dot or space, not a Windows device name, at most
    ``FILE_NAME_BYTES`` bytes of UTF-8 (the end of the name cut, its extension kept). A NUL in a name
    (RFC 2231's ``%00``) stopped the save with ValueError, a long name with 'File name too long'."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _NOT_IN_A_FILE_NAME.sub("_", name).strip(" .")
    if _WINDOWS_DEVICE.fullmatch(name.split(".", 1)[0].rstrip(" ")):
        name = "_" + name
    if len(name.encode("utf-8")) > FILE_NAME_BYTES:
        stem, dot, extension = name.rpartition(".")
        if not dot or len(extension) > 16 or not stem:
            stem, dot, extension = name, "", ""
        room = FILE_NAME_BYTES - len((dot + extension).encode("utf-8"))
        stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
        name = stem + dot + extension
    return name or default


# What a system's viewer runs rather than shows (Windows' os.startfile and xdg-open or macOS's open go by the
# name's extension): programs, scripts, shortcuts, installers, Office files with macros. Outlook blocks the
# same list (Microsoft's "Blocked attachments in Outlook"), plus the desktops' own launchers.
_RUNS_A_PROGRAM = frozenset(
    """ade adp app application appref-ms appx appxbundle apk arj asp aspx asx bas bash bat bgi cab cer chm cmd cnt
    com command cpl crt csh der desktop diagcab dll dmg docm dotm exe fxp gadget grp hlp hpj hta htc iso img inf
    ins isp its jar jnlp js jse ksh lnk mad maf mag mam maq mar mas mat mau mav maw mcf mda mdb mde mdt mdw mdz
    msc msh msh1 msh2 mshxml msh1xml msh2xml msi msix msixbundle msp mst msu ops osd pcd pif pkg pl plg potm ppam
    ppsm pptm prf prg printerexport ps1 ps1xml ps2 ps2xml psc1 psc2 psd1 psdm1 psm1 py pyc pyo pyw pyz pyzw reg
    rpm run scf scpt scr sct settingcontent-ms sh shb shs sldm slk terminal theme tmp tool url vb vbe vbp
    vbs vhd vhdx vsmacros vsw webloc webpnp website workflow ws wsb wsc wsf wsh xbap xlam xll xlsm xltm xnk deb
    appimage flatpakref kwinscript""".split()
)


def runs_a_program(name: str) -> bool:
    """Whether a viewer given a file of this name (as ``file_name_to_write`` makes it) would run it: the doctor
    pressing ``o`` on 'resultats.pdf.exe' from a compromised mailbox must never start a program."""
    _, dot, extension = file_name_to_write(name).rpartition(".")
    return bool(dot) and extension.lower() in _RUNS_A_PROGRAM


def local_time(when: dt.datetime | None) -> dt.datetime | None:
    """A message's date as the doctor reads it: in this computer's time zone (a lab's server that writes its Date
    in UTC says 08:30 for a result sent at 09:30 in Paris). A date with no zone is left as written, and so is one
    the local zone cannot hold (year 9999 west of UTC, year 1 east of it: spam, a device's clock reset)."""
    if when is None or when.tzinfo is None:
        return when
    try:
        return when.astimezone()
    except (OverflowError, ValueError):
        return when


def reply_attribution(sender: str, when: dt.datetime | None) -> str:
    """The line a reply puts above the quote, in the interface's language: "Le 3 mars 2026 à 09:30, Dr X a écrit :"
    / "On 3 March 2026 at 09:30, Dr X wrote:" (the original's date as it was sent, and its sender)."""
    from core.text import render

    when = local_time(when)
    if when is None:
        return render("reply.attribution-undated", {"sender": sender})
    day = render("reply.first-day") if when.day == 1 else str(when.day)
    values = {"day": day, "month": render(f"month.{when.month}"), "year": when.year, "time": f"{when:%H:%M}"}
    return render("reply.attribution", {**values, "sender": sender})


def folded(text: str) -> str:
    """``text`` blind to case and accents ("Lefèvre" and "LEFEVRE" read the same): what a search compares."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _folded(name: str) -> str:
    """``name`` blind to case, accents and surrounding spaces: "Envoyés" and " envoyes" read the same."""
    return folded(name.strip())


def match_folder(typed: str, keys: Iterable[str]) -> str | None:
    """The folder of ``keys`` the doctor means by ``typed``: its own name, or its label as the interface shows it
    in either language ("Envoyés", "envoyes", "Sent" for a folder named "Sent"), blind to case and accents.
    None when no folder answers (or when ``typed`` could be two of them)."""
    from core.text import LANGUAGES

    keys = list(keys)
    if typed in keys:
        return typed
    wanted = _folded(typed)
    found = [k for k in keys if _folded(k) == wanted]
    if not found:
        found = [k for k in keys if any(_folded(folder_label(k, lang)) == wanted for lang in LANGUAGES)]
    return found[0] if len(set(found)) == 1 else None


# "filing": an interrupted filing that could not be settled yet (the queue retries; shown as waiting)
# "duplicate": the same bytes as another document of the queue (received in another letter): never filed again
DocumentState = Literal["waiting", "filing", "filed", "rejected", "duplicate", "unreadable", "dealt"]
Undone = Literal["filing", "rejection", "correction", "dealt"]  # what an undo took back (a correction: the first
# version is filed again in its place; dealt: an unreadable file marked dealt with)
SetAside = Literal["reject", "dealt"]  # what setting a document aside does: rejected, or (an unreadable file) dealt with
FLAGGED = "\\Flagged"
SEEN = "\\Seen"


# The engine's typed events are plain frozen dataclasses too: the interface reads them from here (loaded on
# first use, as core.model_rest: a sync that finds nothing new builds none of their classes).
_EVENTS = frozenset(
    {
        "DocumentFiled", "MailroomEvent", "MarksRefreshed", "NeedsReview", "NewMail", "NotDelivered", "Progress",
        "PscBinding", "PscLogin", "RevokedFiled", "RoundNews", "SendFailed", "Sent", "SyncState", "Synced",
        "TaskTrouble",
    }
)  # fmt: skip

if TYPE_CHECKING:
    from collections.abc import Iterable

    from core.clinical.search import matches, query_terms, searchable
    from core.events import (
        DocumentFiled,
        MailroomEvent,
        MarksRefreshed,
        NeedsReview,
        NewMail,
        NotDelivered,
        Progress,
        PscBinding,
        PscLogin,
        RevokedFiled,
        RoundNews,
        SendFailed,
        Sent,
        Synced,
        SyncState,
        TaskTrouble,
    )
    from core.model_rest import (
        AddressChoice,
        Attachment,
        Candidate,
        ClinicalDocument,
        DirectoryEntry,
        Draft,
        FolderCount,
        Identity,
        MatchResult,
        MessageDocument,
        MessageView,
        MoveResult,
        Observation,
        OutgoingLetter,
        Patient,
        ReadResult,
        ReviewItem,
        SavedDraft,
    )
    from core.text import Text

# The names core.model_rest holds, loaded on first use (see the module's docstring)
_REST = frozenset(
    {
        "Identity",
        "Observation",
        "ClinicalDocument",
        "Patient",
        "Candidate",
        "MatchResult",
        "DirectoryEntry",
        "AddressChoice",
        "Attachment",
        "Draft",
        "FolderCount",
        "MoveResult",
        "OutgoingLetter",
        "ReviewItem",
        "MessageDocument",
        "MessageView",
        "SavedDraft",
        "ReadResult",
    }
)


def __getattr__(name: str) -> Any:
    """The search rule (pure functions of text: ``searchable``, ``query_terms``, ``matches``), loaded when the
    interface first searches: one rule for the inbox, the patient search and the directory; and the dataclasses
    of :mod:`core.model_rest` and :mod:`core.events`, loaded when one is first asked for."""
    if name in ("searchable", "query_terms", "matches"):
        from core.clinical import search

        return getattr(search, name)
    if name in _REST:
        from core import model_rest

        return getattr(model_rest, name)
    if name in _EVENTS:
        from core import events

        return getattr(events, name)
    raise AttributeError(name)


__all__ = [
    "printable",
    "ReadResult",
    "matches",
    "query_terms",
    "searchable",
    "DocumentFiled",
    "MailroomEvent",
    "MarksRefreshed",
    "NeedsReview",
    "NewMail",
    "NotDelivered",
    "Progress",
    "PscBinding",
    "PscLogin",
    "RevokedFiled",
    "RoundNews",
    "SendFailed",
    "Sent",
    "SyncState",
    "Synced",
    "TaskTrouble",
    "ACCOUNT_SEP",
    "FOLDER_ROLES",
    "folder_label",
    "imap_folder_text",
    "folded",
    "match_folder",
    "reference_text",
    "unit_text",
    "kind_label",
    "local_time",
    "reply_attribution",
    "AddressChoice",
    "CRITICAL_FLAGS",
    "HIGH_FLAGS",
    "LOW_FLAGS",
    "SUSCEPTIBILITY_WORDS",
    "SUSCEPTIBLE_FLAGS",
    "Attachment",
    "Candidate",
    "ClinicalDocument",
    "Decision",
    "DirectoryEntry",
    "DRAFTS_FOLDER",
    "DocumentState",
    "Draft",
    "FLAGGED",
    "FolderCount",
    "INBOX",
    "Identity",
    "MatchResult",
    "MessageDocument",
    "MessageSummary",
    "MessageView",
    "MoveResult",
    "Observation",
    "OutgoingLetter",
    "Patient",
    "QUARANTINE_FOLDER",
    "ReviewItem",
    "SEEN",
    "SavedDraft",
    "Sex",
    "SignatureStatus",
    "SourceFormat",
    "folder_key",
    "folder_parts",
]
