"""A small in-memory Mailroom for the TUI tests: the façade's names, fictitious data, real S/MIME and readers.

Services that other engineers are still writing are stood in for here with the names the app's adapter
(tui/data.py) calls; the signed lab result is signed for real and verified by core.secure.smime.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from core.config import Settings
from core.errors import NotFound, WrongPassphrase
from core.mailroom import Event
from core.model import (
    Candidate,
    DirectoryEntry,
    Draft,
    MatchResult,
    MessageSummary,
    Patient,
    SignatureStatus,
)
from core.store.collection import MemoryCollection

DATA = Path(__file__).resolve().parent.parent / "data" / "tui"
PASSPHRASE = "correct horse battery staple"
DOCTOR = "dr.medecin@cabinet.mssante.fr"
LAB = "biologie@labo-test.mssante.fr"
BASE = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)


def _pki() -> tuple[Any, Any]:
    from tests.secure.pki import make_ca, make_user

    root = make_ca("Missive TUI Test Root")
    lab = make_user("Laboratoire Test", [LAB], root)
    return root, lab


_PKI: tuple[Any, Any] | None = None


def pki() -> tuple[Any, Any]:
    global _PKI
    if _PKI is None:  # RSA key generation is the slow part: once per test session
        _PKI = _pki()
    return _PKI


def lab_message() -> bytes:
    """A signed HPRIM Net lab result (two abnormal values) from the lab."""
    from core.secure.smime import sign

    msg = EmailMessage()
    msg["From"] = LAB
    msg["To"] = DOCTOR
    msg["Subject"] = "Résultats DUPONT Jeanne"
    msg["Date"] = format_datetime(BASE)
    msg["Message-ID"] = make_msgid(domain="labo-test.mssante.fr")
    msg.set_content("Veuillez trouver ci-joint les résultats.\n")
    msg.add_attachment(
        (DATA / "lab_result.hpr").read_bytes(), maintype="application", subtype="x-hprim", filename="res.hpr"
    )
    _root, lab = pki()
    return sign(msg.as_bytes(), lab.key, lab.cert)


def plain_message(sender: str, subject: str, when: dt.datetime, body: str, cc: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = DOCTOR
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="exemple.mssante.fr")
    msg.set_content(body)
    return msg.as_bytes()


class FakeMessages:
    def __init__(self, count_extra: int = 0) -> None:
        self.raw: dict[str, bytes] = {}
        self.items: dict[str, MessageSummary] = {}
        self.add("m-lab", lab_message(), LAB, "Résultats DUPONT Jeanne", BASE, signed=True,
                 signature=SignatureStatus(True, LAB, "CN=Laboratoire Test"), has_attachments=True, abnormal=True)  # fmt: skip
        self.add("m-letter", plain_message("dr.durand@chu-test.mssante.fr", "Compte rendu de consultation",
                 BASE - dt.timedelta(days=1), "Cher confrère,\nVotre patiente va bien.\n",
                 cc=f"secretariat@chu-test.mssante.fr, {DOCTOR}"),
                 "dr.durand@chu-test.mssante.fr", "Compte rendu de consultation", BASE - dt.timedelta(days=1),
                 flags=("\\Seen",))  # fmt: skip
        self.add("m-outsider", plain_message("inconnu@gmail.test", "Question", BASE - dt.timedelta(days=2), "Bonjour\n"),
                 "inconnu@gmail.test", "Question", BASE - dt.timedelta(days=2))  # fmt: skip
        # outside the trust space: the sync hook marks it (trust "quarantine")
        self.quarantined = {"m-outsider"}
        for i in range(count_extra):
            when = BASE - dt.timedelta(days=3, minutes=i)
            self.items[f"x{i}"] = MessageSummary(
                f"x{i}", "cabinet", "INBOX", i, f"<x{i}@test>", f"confrere{i % 50}@hopital.mssante.fr",
                (DOCTOR,), f"Courrier numéro {i}", when, flags=("\\Seen",),
            )  # fmt: skip
        self.seen: list[str] = []

    def add(self, mid: str, raw: bytes, sender: str, subject: str, when: dt.datetime, **kw: Any) -> None:
        self.raw[mid] = raw
        self.items[mid] = MessageSummary(mid, "cabinet", "INBOX", len(self.items) + 1, f"<{mid}@test>",
                                         sender, (DOCTOR,), subject, when, **kw)  # fmt: skip

    def folder_list(self) -> list[str]:
        return ["INBOX", "Sent"]

    def list(self, folder: str | None = None) -> list[MessageSummary]:
        return [s for s in self.items.values() if folder in (None, s.folder)]

    def doc(self, message_id: str) -> dict[str, Any]:
        """The stored metadata, as MessageStore.doc gives it: what the sync hook added included."""
        if message_id not in self.items:
            raise NotFound("message gone")
        return {"trust": "quarantine"} if message_id in self.quarantined else {}

    def get_raw(self, message_id: str) -> bytes:
        if message_id not in self.raw:
            raise NotFound("message gone")
        return self.raw[message_id]

    def add_flags(self, message_id: str, *flags: str) -> None:
        if "\\Seen" in flags:
            self.seen.append(message_id)


@dataclass
class FakeEntry:
    id: str
    document: Any
    match: MatchResult
    state: str
    message_id: str = ""  # the letter it came in
    filed_at: str = ""


class FakeDocuments:
    """Two documents: one ambiguous (two candidates, the right one second), one filed automatically."""

    def __init__(self) -> None:
        from core.clinical.readers import read_document

        doc = read_document((DATA / "lab_result.hpr").read_bytes(), "res.hpr").documents[0]
        self.entries = {
            "d-ambiguous": FakeEntry(
                "d-ambiguous",
                doc,
                MatchResult(
                    "review",
                    None,
                    (
                        Candidate("p-2", 0.81, ("nom proche", "date de naissance identique")),
                        Candidate(
                            "p-1", 0.78, ("nom identique", "prénom identique", "date de naissance identique")
                        ),
                    ),
                ),
                "review",
                message_id="<m-letter@test>",  # read from the colleague's letter (its subject names nobody)
            ),  # fmt: skip
            "d-auto": FakeEntry(
                "d-auto",
                doc,
                MatchResult("auto", "p-1", (Candidate("p-1", 0.99, ("INS identique",)),)),
                "auto",
                message_id="<m-lab@test>",  # the signed lab result of the inbox
                filed_at="2025-06-02T09:31:00+00:00",
            ),
        }
        self.decisions: list[tuple[str, str, str | None]] = []

    def add_unread_letter(self) -> None:
        """A bare PDF letter whose identity could not be read: no candidate at all."""
        from core.model import ClinicalDocument, Identity

        letter = ClinicalDocument(format="pdf", identity=Identity(), title="Courrier du Dr Martin")
        self.entries["d-letter"] = FakeEntry("d-letter", letter, MatchResult("review", None, ()), "review")

    def list(self) -> list[FakeEntry]:
        return list(self.entries.values())

    def pending(self) -> list[FakeEntry]:
        return [e for e in self.entries.values() if e.state == "review"]

    def filed(self) -> list[FakeEntry]:
        return [e for e in self.entries.values() if e.state in ("auto", "filed")]

    def file(self, doc_id: str, patient_id: str, actor: str | None = None) -> None:
        self.entries[doc_id].state = "filed"
        self.decisions.append(("file", doc_id, patient_id))

    def reject(self, doc_id: str, actor: str | None = None) -> None:
        self.entries[doc_id].state = "rejected"
        self.decisions.append(("reject", doc_id, None))

    def undo(self, doc_id: str, actor: str | None = None) -> None:
        self.entries[doc_id].state = "review"
        self.decisions.append(("undo", doc_id, None))


class FakePatients:
    def __init__(self) -> None:
        self.by_id = {
            "p-1": Patient("p-1", "DUPONT", "", ("Jeanne",), dt.date(1956, 3, 14), "F"),
            "p-2": Patient("p-2", "DUPOND", "", ("Jeannine",), dt.date(1956, 3, 14), "F"),
            "p-3": Patient("p-3", "LEROY", "MARTIN", ("Louise", "Élise"), dt.date(1948, 11, 2), "F"),
        }

    def list(self) -> list[Patient]:
        return sorted(self.by_id.values(), key=lambda p: p.id)

    def get(self, patient_id: str) -> Patient:
        if patient_id not in self.by_id:
            raise NotFound("no such patient")
        return self.by_id[patient_id]


class FakeDirectory:
    def __init__(self) -> None:
        self.entries = [
            DirectoryEntry(
                "10000000001",
                "MARTIN",
                "Claire",
                "Médecin",
                "Cardiologie",
                "CHU Test",
                "Pau",
                "64000",
                ("claire.martin@chu-test.mssante.fr",),
            ),  # fmt: skip
            DirectoryEntry(
                "10000000002",
                "MARTINEZ",
                "Paul",
                "Médecin",
                "Néphrologie",
                "Clinique",
                "Tarbes",
                "65000",
                ("paul.martinez@clinique.mssante.fr",),
            ),  # fmt: skip
        ]

    def search(self, text: str, limit: int = 50) -> list[DirectoryEntry]:
        q = text.lower()
        return [e for e in self.entries if q in f"{e.family_name} {e.specialty} {e.city}".lower()][:limit]

    def complete(self, prefix: str, limit: int = 10) -> list[str]:
        return [a for e in self.entries for a in e.mssante if a.startswith(prefix.lower())][:limit]


def trust_policy() -> Any:
    """The real policy object: the trust space is every *.mssante.fr domain."""
    from core.secure.trust import TrustPolicy

    return TrustPolicy("trust-space", allow=["*.mssante.fr"])


class FakeKeys:
    """A KeyRing (for verification) that also knows one correspondent's certificate."""

    def decryption_identities(self) -> list[Any]:
        return []

    def trust_anchors(self) -> list[Any]:
        return [pki()[0].cert]

    def cert_for(self, address: str) -> Any:
        return pki()[1].cert if address == "claire.martin@chu-test.mssante.fr" else None

    def recipient_certs(self, addresses: Any, *, include_self: bool = True) -> list[Any]:
        certs = [self.cert_for(a) for a in addresses]
        if None in certs:
            raise NotFound("aucun certificat utilisable")
        return certs

    def own_identity(self, address: str | None = None) -> Any:
        return None


class FakeDrafts:
    def __init__(self) -> None:
        self.collection = MemoryCollection("drafts")

    def save(self, draft_id: str, draft: Draft) -> None:
        self.collection.put(draft_id, {"to": list(draft.to), "subject": draft.subject, "body": draft.body})

    def delete(self, draft_id: str) -> None:
        self.collection.delete(draft_id)


@dataclass
class FakeMailroom:
    extra_messages: int = 0
    settings: Settings = field(default_factory=Settings)
    sent: list[Draft] = field(default_factory=list)
    subscribers: list[Any] = field(default_factory=list)
    synced: list[str] = field(default_factory=list)  # accounts the app keeps in sync in the background

    def __post_init__(self) -> None:
        self.messages = FakeMessages(self.extra_messages)
        self.documents = FakeDocuments()
        self.patients = FakePatients()
        self.directory = FakeDirectory()
        from core.secure.outgoing import OutgoingPolicy

        self.trust = trust_policy()
        self.keys = FakeKeys()
        self.outgoing = OutgoingPolicy(self.keys, self.trust)
        self.drafts = FakeDrafts()
        self.outbox: list[Any] = []

    def subscribe(self, callback: Any) -> None:
        self.subscribers.append(callback)

    def emit(self, kind: str, **data: Any) -> None:
        for callback in self.subscribers:
            callback(Event(kind, data))

    def own_addresses(self) -> frozenset[str]:
        return frozenset({DOCTOR})

    def letter_protection(self, recipients: Any, account: str | None = None) -> Any:
        return self.outgoing.decide(list(recipients), DOCTOR)

    async def send(self, draft: Draft) -> None:
        self.sent.append(draft)

    async def keep_synced(self, name: str, stop: Any) -> None:
        self.synced.append(name)
        await stop.wait()

    def close(self) -> None:
        pass


def opener_for(mailroom: FakeMailroom):
    """An ``opener`` for MissiveApp that accepts only PASSPHRASE."""

    def open_profile(_folder: Path, passphrase: str) -> FakeMailroom:
        if passphrase != PASSPHRASE:
            raise WrongPassphrase("wrong passphrase")
        return mailroom

    return open_profile
