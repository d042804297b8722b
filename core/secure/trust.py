"""The trust-space policy: who may write to us and whom we may write to, and under what protection.

Modes (``[trust] mode`` in profile.toml):
- ``open``: no restriction.
- ``trust-space`` (MSSanté-like): only correspondents whose domain is in the MSSanté whitelist or whose
  domain/address is in ``[trust] allow``, in and out.
- ``strict`` (Apicrypt-like): only signed (validly) and encrypted mail is accepted; everything else goes
  to Quarantine (never deleted), and nothing leaves unencrypted.
S/MIME is never used towards ``@patient.mssante.fr`` (Mon espace santé cannot read it) unless
``encrypt_to_patients = true``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from core.errors import BadInput, ParseError, PolicyRefused
from core.store.collection import Collection
from core.text import T, Text

MODES = ("open", "trust-space", "strict")
PATIENT_DOMAIN = "patient.mssante.fr"
WHITELIST_NS = "https://listeblanche.mssante.fr/schema"
WHITELIST_COLLECTION = "trust_whitelist"
MAX_WHITELIST_BYTES = 20_000_000

Verdict = Literal["accept", "quarantine"]


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[1] if "@" in address else ""


def _normalise(address: str) -> str:
    """The address itself, lower case: 'Nom <adresse>' is sent to the address inside the brackets
    (``core.mail.compose.check_address``), so the policy judges that one."""
    address = address.strip()
    if "<" in address:
        from email.utils import parseaddr

        address = parseaddr(address)[1] or address
    address = address.strip().lower()
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1]
    return address


def _is_address(address: str) -> bool:
    local, _, domain = address.partition("@")
    return bool(local) and "." in domain and " " not in address and "@" not in domain


def shown(address: str, position: int | None = None) -> str | Text:
    """An address as it may appear in an error: a patient's INS stays out of messages and logs (the words
    for it come from the catalogues, in the language of the error's reader)."""
    if _domain(address) == PATIENT_DOMAIN:
        if position:
            return T("secure.trust.patient-address-at", domain=PATIENT_DOMAIN, position=position)
        return T("secure.trust.patient-address", domain=PATIENT_DOMAIN)
    return address


def parse_whitelist(xml: bytes) -> tuple[list[str], str]:
    """(domains, generation date) of an MSSanté ``listeblanchemssante.xml``."""
    if len(xml) > MAX_WHITELIST_BYTES:
        raise BadInput(T("secure.trust.fichier-liste-blanche-depasse"))
    # expat refuses the DTD itself, whatever the encoding or its place: a look for '<!DOCTYPE' in the first
    # 4 KB of bytes missed one in UTF-16 or after 4 KB of comments, and its entities were expanded
    from core.clinical.cda import parse_xml_safely  # only to read a whitelist, not for each letter's check

    head = xml[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in xml.lower():
        raise ParseError(T("secure.trust.liste-blanche-declare-doctype"))
    try:
        root = parse_xml_safely(xml, qualified=True)
    except ParseError as exc:
        if exc.text.code == "clinical.cda.document-xml-declare-dtd":
            raise ParseError(T("secure.trust.liste-blanche-declare-doctype")) from None
        line = exc.text.params.get("lineno", "?")
        raise ParseError(T("secure.trust.liste-blanche-xml-valide", position=line)) from None
    if not root.tag.startswith("{" + WHITELIST_NS + "}") and root.tag.startswith("{"):
        raise ParseError(T("secure.trust.liste-blanche-espace-noms", WHITELIST_NS=WHITELIST_NS))
    domains: list[str] = []
    for node in root.iter():
        if _local(node.tag) != "Domaine":
            continue
        for child in node:
            if _local(child.tag) == "Nom" and child.text and child.text.strip():
                name = child.text.strip().lower().rstrip(".")
                if "." in name and " " not in name and "@" not in name:
                    domains.append(name)
    if not domains:
        raise ParseError(T("secure.trust.liste-blanche-contient-aucune"))
    generated = root.get("DateDeGeneration") or ""
    if not generated:
        for node in root.iter():
            if _local(node.tag) == "DateDeGeneration" and node.text:
                generated = node.text.strip()
                break
    return sorted(set(domains)), generated


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class TrustPolicy:
    """Decisions of the trust-space policy (see the module docstring)."""

    def __init__(
        self,
        mode: str = "trust-space",
        allow: Iterable[str] = (),
        encrypt_to_patients: bool = False,
        store: Collection | None = None,
    ) -> None:
        if mode not in MODES:
            raise BadInput(
                T(
                    "secure.trust.trust-mode-doit-valoir",
                    join=", ".join(MODES[:-1]),
                    MODES=MODES[-1],
                    mode=mode,
                )
            )
        self.mode = mode
        self.allow = tuple(_normalise(a) for a in allow if a.strip())
        self.encrypt_to_patients = encrypt_to_patients
        self.store = store
        self._whitelist: frozenset[str] | None = None

    @classmethod
    def from_profile(cls, profile: Any) -> TrustPolicy:
        trust = profile.settings.trust
        return cls(
            trust.mode, trust.allow, trust.encrypt_to_patients, profile.collection(WHITELIST_COLLECTION)
        )

    # -- whitelist -------------------------------------------------------------------------------------------
    def import_whitelist(self, xml: bytes) -> dict[str, Any]:
        """Replace the stored MSSanté whitelist with the domains of ``xml``."""
        domains, generated = parse_whitelist(xml)
        if self.store is None:
            raise BadInput(T("secure.trust.aucun-profil-enregistrer-liste"))
        doc = {
            "domains": domains,
            "generated": generated,
            "imported": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        self.store.put("mssante", doc)
        self._whitelist = frozenset(domains)
        return {"domains": len(domains), "generated": generated, "imported": doc["imported"]}

    def whitelist(self) -> frozenset[str]:
        if self._whitelist is None:
            doc = self.store.get("mssante") if self.store is not None else None
            self._whitelist = frozenset(doc["domains"]) if doc else frozenset()
        return self._whitelist

    def describe(self) -> dict[str, Any]:
        doc = self.store.get("mssante") if self.store is not None else None
        return {
            "mode": self.mode,
            "allow": list(self.allow),
            "encrypt_to_patients": self.encrypt_to_patients,
            "whitelist_domains": len(doc["domains"]) if doc else 0,
            "whitelist_generated": doc["generated"] if doc else None,
            "whitelist_imported": doc["imported"] if doc else None,
        }

    # -- decisions ----------------------------------------------------------------------------------------
    def is_allowed(self, address: str) -> bool:
        """True when ``address`` belongs to the trust space (whitelist or allow-list)."""
        address = _normalise(address)
        domain = _domain(address)
        if not domain:
            return False
        if address in self.allow or domain in self.allow or domain in self.whitelist():
            return True
        # "*.ch-exemple.fr" or ".ch-exemple.fr" in the allow-list admits every sub-domain
        return any(
            entry.lstrip("*").startswith(".") and domain.endswith(entry.lstrip("*")) for entry in self.allow
        )

    def may_encrypt_to(self, address: str) -> bool:
        """False for patient mailboxes (Mon espace santé cannot read S/MIME) unless configured."""
        return self.encrypt_to_patients or _domain(_normalise(address)) != PATIENT_DOMAIN

    def check_encryption(self, recipients: Sequence[str]) -> None:
        """The patient-encryption rule, one decision for the app, ``missive send`` and ``missive smime
        encrypt``: PolicyRefused for a patient mailbox (Mon espace santé cannot read S/MIME) unless
        ``trust.encrypt_to_patients`` is set."""
        for position, raw in enumerate(recipients, start=1):
            self._check_encryption_to(_normalise(raw), position)

    def _check_encryption_to(self, address: str, position: int) -> None:
        if not self.may_encrypt_to(address):
            raise PolicyRefused(T("secure.trust.refuse-message-chiffre-mime", shown=shown(address, position)))

    def check_outgoing(self, recipients: Sequence[str], will_encrypt: bool) -> None:
        """Raise PolicyRefused, naming the first refused recipient, before anything leaves the machine."""
        if not recipients:
            raise BadInput(T("secure.trust.message-aucun-destinataire-donnez"))
        for position, raw in enumerate(recipients, start=1):
            address = _normalise(raw)
            if not _is_address(address):
                raise PolicyRefused(
                    T("secure.trust.adresse-mail-corrigez-destinataire", shown=shown(address, position))
                )
            if will_encrypt:
                self._check_encryption_to(address, position)
            if self.mode == "trust-space" and not self.is_allowed(address):
                raise PolicyRefused(
                    T("secure.trust.refuse-hors-espace-confiance", shown=shown(address, position))
                )
            if self.mode == "strict" and not will_encrypt:
                raise PolicyRefused(
                    T("secure.trust.refuse-mode-strict-envoie", shown=shown(address, position))
                )

    def classify_incoming(self, sender: str | None, signed_valid: bool, encrypted: bool) -> Verdict:
        """Where a received message goes: the inbox ("accept") or Quarantine (never deleted)."""
        if self.mode == "open":
            return "accept"
        if self.mode == "strict":
            return "accept" if signed_valid and encrypted else "quarantine"
        return "accept" if sender and self.is_allowed(sender) else "quarantine"
