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
from email.utils import parseaddr
from typing import Any

from core.errors import BadInput, NotFound

log = logging.getLogger("missive.outgoing")


def _sender(data: bytes) -> str:
    from core.mail.compose import header_value

    return parseaddr(header_value(data, "From") or "")[1].strip().lower()


class OutgoingPolicy:
    def __init__(self, keys: Any, trust: Any) -> None:
        self.keys = keys
        self.trust = trust

    def will_encrypt(self, recipients: Sequence[str]) -> bool:
        """True when the letter can be encrypted for every recipient."""
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
            raise BadInput(
                f"votre certificat ne porte pas l'adresse d'envoi {sender} : importez la clé de cette "
                "adresse (missive keys import FILE.p12) ou envoyez depuis l'adresse qu'il porte"
            )
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

    def describe(self, recipients: Sequence[str]) -> dict[str, str]:
        """Per recipient, what will happen: "encrypted", "signed" (clear but signed), "clear" or "refused"."""
        has_key = bool(self.keys.own_identity())
        out: dict[str, str] = {}
        for address in recipients:
            if self.trust.mode == "trust-space" and not self.trust.is_allowed(address):
                out[address] = "refused"
            elif self.trust.may_encrypt_to(address) and self.keys.cert_for(address) is not None:
                out[address] = "encrypted"
            elif self.trust.mode == "strict":
                out[address] = "refused"
            else:
                out[address] = "signed" if has_key else "clear"
        return out
