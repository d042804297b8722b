"""``profile.toml``: the non-secret settings, read and validated at start.

Errors name the key and the line, e.g. ``profile.toml ligne 4 : trust.mode doit valoir open, trust-space
ou strict``. Secrets (account passwords, keys) never live here: they are in the encrypted store.
Reached from the interface through ``core.config`` (which gives these names when first used: a command
that reads no settings, ``missive sync`` asking the daemon, never loads this module).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import SETTINGS_FILE
from core.errors import ConfigError
from core.frozen import Frozen, fill
from core.text import T, Text, one_of

DEFAULT_TOML = """\
# missive profile settings (no secrets here: passwords and keys live in the encrypted store)
language = "fr"            # fr | en
theme = "dark"             # dark | light | high-contrast | ansi16 | a theme file in <profile>/themes/
idle_lock_minutes = 10     # lock the app after this many idle minutes (0 = never)

[trust]
mode = "trust-space"       # open | trust-space (MSSanté: allow-listed correspondents only) | strict (signed+encrypted only)
allow = []                 # extra domains or addresses, e.g. ["ch-exemple.fr", "dr.martin@exemple.fr"]
encrypt_to_patients = false  # S/MIME to @patient.mssante.fr addresses (Mon espace santé cannot read it)

[filing]
preset = "generic"         # see `missive filing presets`
folder = ""                # the practice software's import folder; empty = no automatic filing
template = ""              # file name template; empty = the preset's
auto = true                # file `auto` decisions without a click
# layout = "drop-folder"   # drop-folder | patient-folders (one sub-folder per patient id); default: the preset's
# extension = ".hpr"       # extension of filed HPRIM files; default: the preset's
# encoding = "original"    # original (the bytes as received) | cp1252 | iso-8859-1 | utf-8

[notifications]
kind = "none"              # none | ntfy | webhook
url = ""                   # https://ntfy.example/topic or your webhook
token_env = ""             # name of an environment variable holding a bearer token, if any
urgent = false             # true: "dont N urgent(s)" when critical results arrived (a count, nothing else)

[watch]
folder = ""                # a folder the practice software drops reports into (with a .json sidecar)

[practitioner]
rpps = ""                  # your 11-digit RPPS number: names you as the author of the CDA letters missive writes
family_name = ""
given_name = ""
organisation = ""          # the practice's name
organisation_id = ""       # optional: FINESS or SIRET identifier of the practice

[compose]
editor = "builtin"         # builtin | external: each new letter opens in your own editor ($VISUAL/$EDITOR); ctrl+g does it any time
editor_command = ""        # the external editor, e.g. "vim -n -i NONE" (no swap file, no viminfo); empty = $VISUAL, $EDITOR, vi

[patients]
fin_subject = false        # true: a letter ending the conversation also starts its subject with "[FIN] " (operator's convention)

[receipts]
read = false               # true: every letter asks for a read receipt (MDN); delivery reports (DSN) always
answer = "ask"             # a letter asking for a read receipt: ask | always | never (never automatic to a patient)

[psc]
# Pro Santé Connect (login by the e-CPS app): the values your software vendor registered; missive ships none.
issuer = ""                # e.g. https://auth.esante.gouv.fr/auth/realms/esante-wallet
client_id = ""
client_cert = ""           # a .p12 for mutual TLS to PSC (else the secret in MISSIVE_PSC_CLIENT_SECRET)
ca_file = ""               # PEM of the PSC servers' trust anchors; empty = the system store

[lists]
# where `missive trust update` / `directory update` and the daemon (daily) fetch the official lists
whitelist_url = "https://espacedeconfiance.mssante.fr/listeblanchemssante.xml"
directory_urls = [
  "https://service.annuaire.sante.fr/annuaire-sante-webservices/V300/services/extraction/PS_LibreAcces",
  "https://service.annuaire.sante.fr/annuaire-sante-webservices/V300/services/extraction/Extraction_Correspondance_MSSante",
]
ca_file = ""               # PEM of the IGC Santé chain when the servers use it (empty = the system store)
auto_update = true         # the daemon refreshes the lists and the revocation lists (CRLs) once a day
crl_urls = []              # CRLs to fetch (http or https; each is checked against its authority's signature)
crl_from_certificates = true  # also the CRL distribution points your authorities and certificates name

[keys]
# remap a binding by its id, e.g. "app.quit" = "ctrl+q"
"""


# Frozen records written out (core.frozen): each class's generated methods were compiled at every start.
@dataclass(init=False, repr=False, eq=False)
class TrustSettings(Frozen):
    """``[trust]``: who may write to the practice (open, the MSSanté trust space, signed and encrypted only)."""

    mode: str = "trust-space"
    allow: tuple[str, ...] = ()
    encrypt_to_patients: bool = False

    def __init__(
        self,
        mode: str = "trust-space",
        allow: tuple[str, ...] = (),
        encrypt_to_patients: bool = False,
    ) -> None:
        fill(self, locals())


@dataclass(init=False, repr=False, eq=False)
class FilingSettings(Frozen):
    """``[filing]``: where and how reports are filed into the practice software's import folder."""

    preset: str = "generic"
    folder: str = ""
    template: str = ""
    auto: bool = True
    layout: str = ""
    extension: str = ""
    encoding: str = ""

    def __init__(
        self,
        preset: str = "generic",
        folder: str = "",
        template: str = "",
        auto: bool = True,
        layout: str = "",
        extension: str = "",
        encoding: str = "",
    ) -> None:
        fill(self, locals())


@dataclass(init=False, repr=False, eq=False)
class NotificationSettings(Frozen):
    """``[notifications]``: the push sent when new mail arrives (a count, never its content)."""

    kind: str = "none"
    url: str = ""
    token_env: str = ""
    urgent: bool = False  # add "dont N urgent(s)": how many new messages hold a critical result

    def __init__(self, kind: str = "none", url: str = "", token_env: str = "", urgent: bool = False) -> None:
        fill(self, locals())


@dataclass(init=False, repr=False, eq=False)
class WatchSettings(Frozen):
    """``[watch]``: a folder the practice software drops reports into."""

    folder: str = ""

    def __init__(self, folder: str = "") -> None:
        fill(self, locals())


@dataclass(init=False, repr=False, eq=False)
class PractitionerSettings(Frozen):
    """``[practitioner]``: the doctor and the practice named as the author of the letters written."""

    rpps: str = ""
    family_name: str = ""
    given_name: str = ""
    organisation: str = ""
    organisation_id: str = ""

    def __init__(
        self,
        rpps: str = "",
        family_name: str = "",
        given_name: str = "",
        organisation: str = "",
        organisation_id: str = "",
    ) -> None:
        fill(self, locals())


@dataclass(init=False, repr=False, eq=False)
class PatientMailSettings(Frozen):
    """``[patients]``: the practice's conventions for letters to patients."""

    fin_subject: bool = False  # "[FIN] " before the subject of a letter that ends the conversation

    def __init__(self, fin_subject: bool = False) -> None:
        fill(self, locals())


@dataclass(init=False, repr=False, eq=False)
class ComposeSettings(Frozen):
    """``[compose]``: the letter editor (built in, or the doctor's own)."""

    editor: str = "builtin"  # builtin | external: a new letter's body opens in the external editor at once
    editor_command: str = ""  # empty: $VISUAL, then $EDITOR, then vi

    def __init__(self, editor: str = "builtin", editor_command: str = "") -> None:
        fill(self, locals())


@dataclass(init=False, repr=False, eq=False)
class ReceiptSettings(Frozen):
    """``[receipts]``: read receipts asked and answered."""

    read: bool = False  # ask for a read receipt on every letter
    answer: str = "ask"  # ask | always | never: answering a letter's read-receipt request

    def __init__(self, read: bool = False, answer: str = "ask") -> None:
        fill(self, locals())


@dataclass(init=False, repr=False, eq=False)
class PscSettings(Frozen):
    """``[psc]``: the Pro Santé Connect client the software vendor registered."""

    issuer: str = ""
    client_id: str = ""
    client_cert: str = ""
    ca_file: str = ""

    def __init__(
        self,
        issuer: str = "",
        client_id: str = "",
        client_cert: str = "",
        ca_file: str = "",
    ) -> None:
        fill(self, locals())


@dataclass(init=False, repr=False, eq=False)
class ListsSettings(Frozen):
    """``[lists]``: where the trust whitelist and the directory are fetched from."""

    whitelist_url: str = ""
    directory_urls: tuple[str, ...] = ()
    ca_file: str = ""
    auto_update: bool = True
    crl_urls: tuple[str, ...] = ()
    crl_from_certificates: bool = True

    def __init__(
        self,
        whitelist_url: str = "",
        directory_urls: tuple[str, ...] = (),
        ca_file: str = "",
        auto_update: bool = True,
        crl_urls: tuple[str, ...] = (),
        crl_from_certificates: bool = True,
    ) -> None:
        fill(self, locals())


@dataclass(init=False, repr=False, eq=False)
class Settings(Frozen):
    """The whole of ``profile.toml``: the top-level settings, one object per section, the key bindings and the
    file as read (``raw``)."""

    language: str = "fr"
    theme: str = "dark"
    idle_lock_minutes: int = 10
    trust: TrustSettings = field(default_factory=TrustSettings)
    filing: FilingSettings = field(default_factory=FilingSettings)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    practitioner: PractitionerSettings = field(default_factory=PractitionerSettings)
    psc: PscSettings = field(default_factory=PscSettings)
    lists: ListsSettings = field(default_factory=ListsSettings)
    receipts: ReceiptSettings = field(default_factory=ReceiptSettings)
    patients: PatientMailSettings = field(default_factory=PatientMailSettings)
    compose: ComposeSettings = field(default_factory=ComposeSettings)
    keys: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def __init__(
        self,
        language: str = "fr",
        theme: str = "dark",
        idle_lock_minutes: int = 10,
        trust: TrustSettings | None = None,
        filing: FilingSettings | None = None,
        notifications: NotificationSettings | None = None,
        watch: WatchSettings | None = None,
        practitioner: PractitionerSettings | None = None,
        psc: PscSettings | None = None,
        lists: ListsSettings | None = None,
        receipts: ReceiptSettings | None = None,
        patients: PatientMailSettings | None = None,
        compose: ComposeSettings | None = None,
        keys: dict[str, str] | None = None,
        raw: dict[str, Any] | None = None,
    ) -> None:
        trust = TrustSettings() if trust is None else trust
        filing = FilingSettings() if filing is None else filing
        notifications = NotificationSettings() if notifications is None else notifications
        watch = WatchSettings() if watch is None else watch
        practitioner = PractitionerSettings() if practitioner is None else practitioner
        psc = PscSettings() if psc is None else psc
        lists = ListsSettings() if lists is None else lists
        receipts = ReceiptSettings() if receipts is None else receipts
        patients = PatientMailSettings() if patients is None else patients
        compose = ComposeSettings() if compose is None else compose
        keys = dict() if keys is None else keys
        raw = dict() if raw is None else raw
        fill(self, locals())


_SCHEMA: dict[str, dict[str, Any]] = {
    "": {"language": ("fr", "en"), "theme": str, "idle_lock_minutes": int},
    "trust": {"mode": ("open", "trust-space", "strict"), "allow": list, "encrypt_to_patients": bool},
    "filing": {
        "preset": str,
        "folder": str,
        "template": str,
        "auto": bool,
        "layout": ("drop-folder", "patient-folders"),
        "extension": str,
        "encoding": str,
    },
    "notifications": {"kind": ("none", "ntfy", "webhook"), "url": str, "token_env": str, "urgent": bool},
    "watch": {"folder": str},
    "receipts": {"read": bool, "answer": ("ask", "always", "never")},
    "patients": {"fin_subject": bool},
    "compose": {"editor": ("builtin", "external"), "editor_command": str},
    "practitioner": {
        "rpps": str,
        "family_name": str,
        "given_name": str,
        "organisation": str,
        "organisation_id": str,
    },
    "psc": {"issuer": str, "client_id": str, "client_cert": str, "ca_file": str},
    "lists": {
        "whitelist_url": str,
        "directory_urls": list,
        "ca_file": str,
        "auto_update": bool,
        "crl_urls": list,
        "crl_from_certificates": bool,
    },
    "keys": {},
}


def _line_of(text: str, section: str, key: str | None) -> int:
    """The 1-based line where ``key`` (or the section header) is written, 0 when not found."""
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if header:
            current = header.group(1).strip().strip('"')
            if key is None and current == section:
                return number
            continue
        if key is not None and current == section:
            m = re.match(r'^"?([^"=\s]+)"?\s*=', stripped)
            if m and m.group(1) == key:
                return number
    return 0


def _where(path: Path, line: int | str, column: int | str | None = None) -> Text | str:
    """``profile.toml ligne 4`` (``, colonne 12``), in the language of the text it goes into."""
    if not line:
        return path.name
    if column is None:
        return T("config.where-line", file=path.name, line=line)
    return T("config.where-line-column", file=path.name, line=line, column=column)


def _fail(path: Path, text: str, section: str, key: str | None, message: Text | str) -> ConfigError:
    where = _where(path, _line_of(text, section, key))
    name = f"{section}.{key}" if section and key else (key or section)
    return ConfigError(T("config.corriger", where=where, name=name, message=message, path=path))


_KINDS = {"str": "config.kind-str", "bool": "config.kind-bool", "int": "config.kind-int"}


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> ConfigError:
    """tomllib speaks English; keep only where the mistake is."""
    found = re.search(r"line (\d+), column (\d+)", str(exc))
    where = _where(path, found.group(1), found.group(2)) if found else path.name
    return ConfigError(T("config.syntaxe-incorrecte-verifiez-guillemets", where=where, path=path))


def filing_folder_set(settings: Any) -> bool:
    """Whether ``[filing] folder`` names the practice software's import folder: a sync then files the results
    still waiting (``DocumentQueue.auto_file``), even when no letter came; without one there is nothing to file."""
    section = getattr(settings, "filing", None)
    return bool(str(getattr(section, "folder", "x") or "").strip())


def load_settings(profile_dir: Path) -> Settings:
    """Read and validate ``profile.toml``; a missing file means the defaults."""
    path = profile_dir / SETTINGS_FILE
    if not path.exists():
        return Settings()
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(T("config.texte-utf-enregistrez-utf", path=path)) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, exc) from exc
    return parse_settings(data, path, text)


def parse_settings(data: dict[str, Any], path: Path = Path(SETTINGS_FILE), text: str = "") -> Settings:
    sections: dict[str, dict[str, Any]] = {"": {}}
    for key, value in data.items():
        if isinstance(value, dict):
            if key not in _SCHEMA or key == "":
                raise _fail(path, text, key, None, T("config.unknown-section"))
            sections[key] = value
        else:
            sections[""][key] = value
    for section, values in sections.items():
        schema = _SCHEMA[section]
        for key, value in values.items():
            if section == "keys":
                if not isinstance(value, str) or not value:
                    raise _fail(path, text, section, key, T("config.key-name"))
                continue
            if key not in schema:
                known = ", ".join(sorted(schema))
                raise _fail(path, text, section, key, T("config.unknown-setting", known=known))
            expected = schema[key]
            if isinstance(expected, tuple):
                if value not in expected:
                    raise _fail(path, text, section, key, T("config.must-be-one-of", values=one_of(expected)))
            elif expected is int:
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise _fail(path, text, section, key, T("config.non-negative-int"))
            elif expected is list:
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise _fail(path, text, section, key, T("config.list-of-texts"))
            elif not isinstance(value, expected):
                raise _fail(path, text, section, key, T(_KINDS.get(expected.__name__, "config.kind-str")))
    _check_filing(sections.get("filing", {}), path, text)
    rpps = str(sections.get("practitioner", {}).get("rpps", "")).replace(" ", "")
    if rpps and not re.fullmatch(r"8?\d{11}", rpps):
        raise _fail(path, text, "practitioner", "rpps", T("config.rpps"))
    top = sections[""]
    trust = sections.get("trust", {})
    lists: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in sections.get("lists", {}).items()
    }
    return Settings(
        language=top.get("language", "fr"),
        theme=top.get("theme", "dark"),
        idle_lock_minutes=top.get("idle_lock_minutes", 10),
        trust=TrustSettings(
            mode=trust.get("mode", "trust-space"),
            allow=tuple(a.strip().lower() for a in trust.get("allow", [])),
            encrypt_to_patients=trust.get("encrypt_to_patients", False),
        ),
        filing=FilingSettings(**sections.get("filing", {})),
        notifications=NotificationSettings(**sections.get("notifications", {})),
        receipts=ReceiptSettings(**sections.get("receipts", {})),
        patients=PatientMailSettings(**sections.get("patients", {})),
        compose=ComposeSettings(**sections.get("compose", {})),
        watch=WatchSettings(**sections.get("watch", {})),
        practitioner=PractitionerSettings(**sections.get("practitioner", {})),
        psc=PscSettings(**sections.get("psc", {})),
        lists=ListsSettings(**lists),
        keys=dict(sections.get("keys", {})),
        raw=data,
    )


_DEFAULT_FILING = {"preset": "generic", "folder": "", "template": "", "auto": True}  # DEFAULT_TOML's [filing]


def _check_filing(section: dict[str, Any], path: Path, text: str) -> None:
    """The preset, template, extension and encoding are checked at start, not at the first filing."""
    if not section or section.items() <= _DEFAULT_FILING.items():
        return  # the defaults (no filing folder): nothing to check, and the filing module stays unloaded
    from core.practice.filing import FilingProfile

    try:
        FilingProfile.from_settings(section)
    except ConfigError as exc:
        message = str(exc)
        found = re.match(r"filing\.(\w+)\s*(.*)", message)
        key = found.group(1) if found and found.group(1) in section else None
        if key is None:
            key = "template" if "template" in message.lower() and "template" in section else None
        detail = found.group(2) if found and key == found.group(1) else message
        raise _fail(path, text, "filing", key, detail) from None


def write_default_settings(profile_dir: Path, overrides: str = "") -> Path:
    from core.store.atomic import atomic_write

    path = profile_dir / SETTINGS_FILE
    if not path.exists():
        atomic_write(path, (DEFAULT_TOML + overrides).encode("utf-8"))
    return path
