"""The Envoyés column's statuses and the count of undelivered letters beside Envoyés, asked at each load of the
inbox, read the sent letters' index, not every letter sent over the years (issue 18). Both read the whole ``sent``
collection, every shard decrypted (twice a load); the index (core.store.listindex, checked against the shard
files' stamps at each use) is read again only where a shard was written, whichever process wrote it."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.mail.receipts import RecipientReport, Report, _key, short_status
from core.mailroom import Mailroom
from tests.shards import shards_read

PASS = "phrase de passe du test"
LETTERS = 1200  # 32 shards: twice what a collection keeps in memory


def _reference(mr: Mailroom) -> tuple[dict[str, str], dict[str, int]]:
    """What every letter read gives (the former way)."""
    letters = mr.sent_letters.list()
    unseen: dict[str, int] = {}
    for letter in letters:
        if letter.undelivered and not letter.failure_seen:
            unseen[letter.account] = unseen.get(letter.account, 0) + 1
    return {letter.message_id: short_status(letter) for letter in letters}, unseen


def _sent_shards_read(mr: Mailroom, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return shards_read(mr, "sent", monkeypatch)


def test_sent_statuses_and_undelivered_counts_read_only_the_shards_written_since(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = tmp_path / "profile"
    Mailroom.create(profile, PASS)
    writer = Mailroom.open(profile, PASS)
    sent = writer.sent_letters
    sent.record("<s-0@cab>", "cabinet", ["a@y.fr", "b@y.fr"], "CR")
    sent.apply(Report("mdn", "<s-0@cab>", (RecipientReport("a@y.fr", "read"),)))
    model = sent.docs.get(_key("<s-0@cab>"))
    assert model is not None
    batch = {}
    for n in range(1, LETTERS):
        mid = f"<s-{n}@cab>"
        doc = {**model, "message_id": mid, "account": "cabinet" if n % 3 else "remplacant"}
        if n % 7 == 0:  # not delivered, not looked at yet
            doc["recipients"] = [{**r, "state": "failed"} for r in model["recipients"]]
            doc["failure_seen"] = False
        batch[_key(mid)] = doc
    sent.docs.put_many(batch)
    assert len([p for p in (profile / "db" / "sent").iterdir() if p.name.startswith("g")]) > 16
    statuses, unseen = _reference(writer)
    assert len(set(statuses.values())) >= 2 and unseen["cabinet"] and unseen["remplacant"]

    app = Mailroom.open(profile, PASS)
    assert app.receipt_statuses() == statuses
    assert app.sent_letters.undelivered_unseen() == unseen
    again = Mailroom.open(profile, PASS)  # a later start: the index from its file
    read = _sent_shards_read(again, monkeypatch)
    assert again.receipt_statuses() == statuses
    assert again.sent_letters.undelivered_unseen() == unseen
    assert read == [], f"{len(read)} sent-letter shards decrypted for the inbox's load"

    # another process: a report says a letter was read, the doctor looks at a failed one
    writer.sent_letters.apply(Report("mdn", "<s-1@cab>", (RecipientReport("b@y.fr", "read"),)))
    writer.sent_letters.failure_seen("<s-7@cab>")
    after = _reference(writer)
    assert after != (statuses, unseen)
    assert (again.receipt_statuses(), again.sent_letters.undelivered_unseen()) == after
    assert 1 <= len(read) <= 2, f"{len(read)} sent-letter shards decrypted for two letters written"
