"""Stand-ins and builders shared by the mail tests."""

from __future__ import annotations

import itertools
from email.message import EmailMessage

from core.mail.account import Account
from core.store.collection import MemoryCollection


class MemoryBlobs:
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self._n = itertools.count(1)

    def put(self, data: bytes) -> str:
        key = f"{next(self._n):032x}"
        self.data[key] = bytes(data)
        return key

    def get(self, key: str) -> bytes:
        return self.data[key]

    def delete(self, key: str) -> bool:
        return self.data.pop(key, None) is not None


class MemoryProfile:
    """What MessageStore needs from a Profile, in memory."""

    def __init__(self) -> None:
        self.collections: dict[str, MemoryCollection] = {}
        self.blobs = MemoryBlobs()

    def collection(self, name: str) -> MemoryCollection:
        return self.collections.setdefault(name, MemoryCollection(name))


def letter(
    subject: str, body: str = "Bonjour,\n\nrésultats joints.\n", attachment: bytes | None = None
) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Laboratoire <labo@missive.test>"
    msg["To"] = "doc@missive.test"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0100"
    msg["Message-ID"] = f"<{abs(hash(subject))}@missive.test>"
    msg.set_content(body)
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="octet-stream", filename="big.bin")
    return msg.as_bytes()


def imap_account(servers, address: str, **changes) -> Account:
    acc = Account(
        name=address.split("@")[0],
        email=address,
        imap_host=servers.host,
        imap_port=servers.imap_port,
        imap_security="starttls",
        smtp_host=servers.host,
        smtp_port=servers.submission_port,
        user=address,
        password=servers.password,
        ca_file=str(servers.ca_file),
    )
    return acc.with_changes(**changes) if changes else acc
