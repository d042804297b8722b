"""What happens to a letter before it is queued: the trust-space check, then S/MIME.

``OutgoingPolicy(keys, trust)`` gives the send pipeline its two callables:

- ``check(recipients)``: the trust-space policy, told whether the letter will be encrypted (every recipient's
  certificate known and none a patient mailbox); raises PolicyRefused before anything is written or sent;
- ``protect(data, recipients)``: sign with our key for the From address (always, when the profile has a key),
  then encrypt for every recipient and for ourselves (so the Sent copy stays readable) when it can.

A profile that holds keys but none for the From address refuses to send rather than sign with a certificate
that names another address: the colleague would see a failed signature on every letter.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from core.errors import BadInput, NotFound, PolicyRefused
from core.text import T

log = logging.getLogger("missive.outgoing")


def _sender(data: bytes) -> str:
    from core.mail.compose import header_value

    return parseaddr(header_value(data, "From") or "")[1].strip().lower()


@dataclass(frozen=True)
class LetterProtection:
    """What ``send`` will do with one whole letter, decided by the functions ``protect`` and ``check`` use.

    ``encrypted`` holds for the letter or for nobody: one recipient without a usable certificate (or a patient
    mailbox) sends the whole letter in clear. ``unknown`` names the recipients without a certificate and
    ``patients`` the patient mailboxes, which are why (addresses as typed, lower case: for the screen that
    shows them already, never for a log). ``refused`` are the recipients the trust policy refuses, with
    its reason (in the words of its errors, a patient's address hidden); the letter cannot leave;
    ``sign_problem`` is why our own key cannot sign for the From address (the letter cannot leave either).
    """

    encrypted: bool
    signed: bool
    unknown: tuple[str, ...] = ()
    patients: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()
    sign_problem: str = ""

    @property
    def can_send(self) -> bool:
        return not self.refused and not self.sign_problem


class OutgoingPolicy:
    def __init__(self, keys: Any, trust: Any) -> None:
        self.keys = keys
        self.trust = trust

    def will_encrypt(self, recipients: Sequence[str]) -> bool:
        """True when the letter can be encrypted for every recipient. A recipient whose only certificate was
        revoked stops the letter (RecipientRevoked, a PolicyRefused naming the address): neither encrypted to
        a key that may be in someone else's hands, nor sent in clear without the doctor knowing."""
        if not recipients or not all(self.trust.may_encrypt_to(r) for r in recipients):
            return False
        try:
            self.keys.recipient_certs(recipients, include_self=False)
        except NotFound:
            return False
        return True

    def check(self, recipients: Sequence[str]) -> None:
        self.trust.check_outgoing(list(recipients), self.will_encrypt(recipients))

    def signer(self, sender: str) -> tuple[Any, Any, list[Any]] | None:
        """Our (key, certificate, chain) for ``sender``; None when the profile has no key at all."""
        from core.secure import certs

        own = self.keys.own_identity(sender)
        if own is None:
            return None
        if sender not in certs.emails(own[1]):
            raise BadInput(T("secure.outgoing.certificat-porte-adresse-envoi", sender=sender))
        return own

    def protect(self, data: bytes, recipients: Sequence[str]) -> bytes:
        from core.secure import smime

        out = data
        signer = self.signer(_sender(data))
        if signer is not None:
            key, cert, chain = signer
            out = smime.sign(out, key, cert, chain)
        encrypt = self.will_encrypt(recipients)
        if encrypt:
            out = smime.encrypt(out, self.keys.recipient_certs(recipients, include_self=True))
        log.info(
            "outgoing letter: signed=%s encrypted=%s recipients=%d",
            signer is not None,
            encrypt,
            len(recipients),
        )
        return out

    def decide(self, recipients: Sequence[str], sender: str = "") -> LetterProtection:
        """The fate of a letter from ``sender`` (the account's address; "" when unknown) to ``recipients``
        (To and Cc): the same ``will_encrypt``, ``signer`` and trust check as ``protect`` and ``check``."""
        recipients = [r.strip() for r in recipients if r.strip()]
        try:
            encrypted = self.will_encrypt(recipients)
        except PolicyRefused:  # a revoked certificate: said below, per recipient
            encrypted = False
        signed, sign_problem = False, ""
        try:
            signed = (self.signer(sender) if sender else self.keys.own_identity()) is not None
        except BadInput as exc:
            sign_problem = str(exc)
        refused: list[tuple[str, str]] = []
        for address in recipients:
            try:
                self.trust.check_outgoing([address], encrypted)
            except PolicyRefused as exc:
                refused.append((address.lower(), " ".join(str(exc).split())))
        revoked = self._revoked(recipients)
        refused += [(address, reason) for address, reason in revoked if (address, reason) not in refused]
        unknown, patients = [], []
        if not encrypted:
            for address in recipients:
                if not self.trust.may_encrypt_to(address):
                    patients.append(address.lower())
                elif self.keys.cert_for(address) is None and address.lower() not in dict(revoked):
                    unknown.append(address.lower())
        return LetterProtection(
            encrypted, signed, tuple(unknown), tuple(patients), tuple(refused), sign_problem
        )

    def _revoked(self, recipients: Sequence[str]) -> list[tuple[str, str]]:
        """(address, the refusal's line) for each recipient whose only certificate was revoked."""
        from core.secure.keystore import RecipientRevoked

        out = []
        for address in recipients:
            if not self.trust.may_encrypt_to(address):
                continue
            try:
                self.keys.recipient_certs([address], include_self=False)
            except RecipientRevoked as exc:
                out.append((address.lower(), " ".join(str(exc).split())))
            except NotFound:
                pass
        return out

    def describe(self, recipients: Sequence[str]) -> dict[str, str]:
        """Per recipient, what will happen: "encrypted", "signed" (clear but signed), "clear" or "refused"."""
        has_key = bool(self.keys.own_identity())
        out: dict[str, str] = {}
        revoked = {address for address, _reason in self._revoked(recipients)}
        for address in recipients:
            if self.trust.mode == "trust-space" and not self.trust.is_allowed(address):
                out[address] = "refused"
            elif address.lower() in revoked:
                out[address] = "refused"
            elif self.trust.may_encrypt_to(address) and self.keys.cert_for(address) is not None:
                out[address] = "encrypted"
            elif self.trust.mode == "strict":
                out[address] = "refused"
            else:
                out[address] = "signed" if has_key else "clear"
        return out
