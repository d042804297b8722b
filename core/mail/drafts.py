"""Drafts: letters being written, kept in the encrypted store until they are sent or thrown away.

The text and headers live in collection ``drafts``; attachments as encrypted blobs (a draft's record names
them). Saving again replaces the record and drops the blobs it no longer names.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

from core.errors import NotFound
from core.model import Attachment, Draft, SavedDraft
from core.store.blobs import BlobStore
from core.store.collection import Collection
from core.text import T

COLLECTION = "drafts"


class Drafts:
    def __init__(self, collection: Collection, blobs: BlobStore) -> None:
        self.docs = collection
        self.blobs = blobs

    def save(self, draft: Draft, draft_id: str | None = None) -> str:
        """Keep ``draft`` (under ``draft_id``, or a new id); returns the id."""
        draft_id = draft_id or "dr-" + secrets.token_hex(8)
        old = self.docs.get(draft_id)
        kept = {a["blob"] for a in _attachments(old or {})}
        attachments = []
        for att in draft.attachments:
            attachments.append(
                {"name": att.filename, "type": att.content_type, "blob": self.blobs.put(att.data)}
            )
        self.docs.put(
            draft_id,
            {
                "to": list(draft.to),
                "cc": list(draft.cc),
                "subject": draft.subject,
                "body": draft.body,
                "account": draft.account,
                "in_reply_to": draft.in_reply_to,
                "references": list(draft.references),
                "extra_headers": [list(h) for h in draft.extra_headers],
                "end_conversation": draft.end_conversation,
                "confirm_mixed": draft.confirm_mixed,
                "read_receipt": draft.read_receipt,
                "attachments": attachments,
                "saved": dt.datetime.now(dt.UTC).isoformat(),
            },
        )
        for blob in kept:  # the new record is durable: the old attachment copies can go
            self.blobs.delete(blob)
        return draft_id

    def get(self, draft_id: str) -> SavedDraft:
        doc = self.docs.get(draft_id)
        if doc is None:
            raise NotFound(T("mail.drafts.aucun-brouillon-ete-envoye", draft_id=draft_id[:40]))
        return self._load(draft_id, doc)

    def list(self) -> list[SavedDraft]:
        """Most recently saved first; attachments are not read (the list shows names only)."""
        found = [self._load(k, d, with_data=False) for k, d in self.docs.items()]
        return sorted(found, key=lambda s: s.saved or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)

    def delete(self, draft_id: str) -> bool:
        doc = self.docs.get(draft_id)
        if doc is None:
            return False
        self.docs.delete(draft_id)
        for att in _attachments(doc):
            self.blobs.delete(att["blob"])
        return True

    def __len__(self) -> int:
        return len(self.docs)

    def _load(self, draft_id: str, doc: Mapping[str, Any], with_data: bool = True) -> SavedDraft:
        attachments = tuple(
            Attachment(a["name"], a["type"], self.blobs.get(a["blob"]) if with_data else b"")
            for a in _attachments(doc)
        )
        saved = doc.get("saved")
        return SavedDraft(
            id=draft_id,
            draft=Draft(
                to=tuple(doc.get("to", ())),
                subject=str(doc.get("subject", "")),
                body=str(doc.get("body", "")),
                cc=tuple(doc.get("cc", ())),
                attachments=attachments,
                account=doc.get("account"),
                in_reply_to=doc.get("in_reply_to"),
                references=tuple(doc.get("references", ())),
                extra_headers=tuple((str(k), str(v)) for k, v in doc.get("extra_headers", ())),
                end_conversation=bool(doc.get("end_conversation")),
                confirm_mixed=bool(doc.get("confirm_mixed")),
                read_receipt=bool(doc.get("read_receipt")),
            ),
            saved=dt.datetime.fromisoformat(saved) if saved else None,
        )


def _attachments(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The attachment records of a draft (drafts saved by earlier versions named files only: none kept)."""
    return [a for a in doc.get("attachments", []) if isinstance(a, dict) and "blob" in a]
