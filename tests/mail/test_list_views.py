"""A folder's list read by sender, by subject and by conversation: the store sorts and threads its own list
index (filled by a sync with each message's References and In-Reply-To), not the interface."""

from __future__ import annotations

from pathlib import Path

from core.mail.messages import SummaryList
from core.mailroom import Mailroom

PASS = "correct horse battery staple"


def mail(minute: int, sender: str, subject: str, mid: str, refs: str = "", irt: str = "") -> bytes:
    head = (
        f"From: {sender}\r\nTo: dr.martin@cabinet.mssante.fr\r\nSubject: {subject}\r\nMessage-ID: {mid}\r\n"
        f"Date: Mon, 02 Mar 2026 10:{minute:02d}:00 +0100\r\n"
    )
    if refs:
        head += f"References: {refs}\r\n"
    if irt:
        head += f"In-Reply-To: {irt}\r\n"
    return f"{head}\r\ncorps\r\n".encode()


MAILS = [
    (1, "dr.martin@cabinet.mssante.fr", "Avis cardiologique", "<a1@cab>"),
    (2, "claire.lefevre@cardio.mssante.fr", "Re: Avis cardiologique", "<b2@chu>", "<a1@cab>", "<a1@cab>"),
    (3, "labo@labo.mssante.fr", "Résultats d'analyses", "<x@labo>"),
    (4, "dr.martin@cabinet.mssante.fr", "Re: Re: Avis cardiologique", "<c3@cab>", "<a1@cab>\r\n <b2@chu>",
     "<b2@chu>"),
    (5, "Élise Aubert <elise.aubert@chu.mssante.fr>", "Bilan", "<z@chu>"),
    (6, "labo@labo.mssante.fr", "Résultats d'analyses", "<y@labo>"),  # another patient: never joined by subject
]  # fmt: skip


def synced(cli, profile_dir: Path, tmp_path: Path) -> Mailroom:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for n, (minute, *rest) in enumerate(MAILS):
        (root / "cur" / f"{n}.m.host:2,S").write_bytes(mail(minute, *rest))
    assert cli("init")[0] == 0
    assert (
        cli("account", "add", "local", "--email", "dr.martin@cabinet.mssante.fr", "--maildir", str(root))[0]
        == 0
    )
    assert cli("sync")[0] == 0
    return Mailroom.open(profile_dir, PASS)


def test_sorts_and_conversations_come_from_the_store(cli, profile_dir: Path, tmp_path: Path) -> None:
    mailroom = synced(cli, profile_dir, tmp_path)
    try:
        rows = mailroom.messages.rows("INBOX")  # the store's list (outside the trust space too)
        assert not isinstance(rows, SummaryList)  # the list index, as the app reads it
        assert [s.message_id for s in rows] == [
            "<y@labo>",
            "<z@chu>",
            "<c3@cab>",
            "<x@labo>",
            "<b2@chu>",
            "<a1@cab>",
        ]
        # the sync kept each message's references, In-Reply-To last
        assert next(s for s in rows if s.message_id == "<c3@cab>").references == ("<a1@cab>", "<b2@chu>")

        by_sender = rows.sorted_by("sender")
        assert [s.sender for s in by_sender] == [
            "claire.lefevre@cardio.mssante.fr", "dr.martin@cabinet.mssante.fr", "dr.martin@cabinet.mssante.fr",
            "elise.aubert@chu.mssante.fr", "labo@labo.mssante.fr", "labo@labo.mssante.fr",
        ]  # fmt: skip
        assert [s.message_id for s in by_sender][1:3] == ["<c3@cab>", "<a1@cab>"]  # one sender: newest first
        assert by_sender.index_of(rows[5].id) == 2  # found in a view that is not in date order

        by_subject = rows.sorted_by("subject")
        assert [s.message_id for s in by_subject] == [
            "<c3@cab>",
            "<b2@chu>",
            "<a1@cab>",
            "<z@chu>",
            "<y@labo>",
            "<x@labo>",
        ]
        assert rows.sorted_by("date") is rows

        talk = rows.threaded()
        shown = [(talk.thread_mark(i), s.subject) for i, s in enumerate(talk)]
        assert shown == [
            ("", "Résultats d'analyses"),
            ("", "Bilan"),
            ("", "Avis cardiologique"),
            ("└─", "Re: Avis cardiologique"),
            ("  └─", "Re: Re: Avis cardiologique"),
            ("", "Résultats d'analyses"),
        ]
        assert talk.conversations and not rows.conversations
        assert talk.index_of(rows[5].id) == 2
        # reading a message changes its row in the conversation view too
        first = talk[2]
        assert talk.replace(type(first)(**{**first.__dict__, "flags": ()}))
        assert talk.unread == 1 and talk[2].unread
        # a search in a conversation view keeps its order, not its tree marks (parents may be left out)
        found = talk.matching("avis")
        assert [s.message_id for s in found] == ["<a1@cab>", "<b2@chu>", "<c3@cab>"]
        assert found.thread_mark(1) == ""
    finally:
        mailroom.close()


def test_the_small_store_list_sorts_and_threads_the_same_way(cli, profile_dir: Path, tmp_path: Path) -> None:
    mailroom = synced(cli, profile_dir, tmp_path)
    try:
        rows = mailroom.messages.rows("INBOX")  # the store's list (outside the trust space too)
        small = SummaryList(reversed(list(rows)))
        for order in ("date", "sender", "subject"):
            assert [s.id for s in small.sorted_by(order)] == [s.id for s in rows.sorted_by(order)], order
        talk, small_talk = rows.threaded(), small.sorted_by("date").threaded()
        assert [s.id for s in small_talk] == [s.id for s in talk]
        assert [small_talk.thread_mark(i) for i in range(6)] == [talk.thread_mark(i) for i in range(6)]
    finally:
        mailroom.close()


def test_mail_stored_before_the_references_were_kept_gets_them_at_the_next_sync(
    cli, profile_dir: Path, tmp_path: Path
) -> None:
    """A store written by an older version (no references in its metadata) gets them from the stored
    headers at the next sync, even one that brings nothing new; the mark then makes it a single read."""
    from core.mail.messages import REFS_MARK

    mailroom = synced(cli, profile_dir, tmp_path)
    try:
        store = mailroom.messages
        old = {
            key: {k: v for k, v in doc.items() if k != "refs"} for key, doc in store.docs.find(lambda d: True)
        }
        store.docs.put_many(old)  # as an older version stored them
        store.folders.delete(REFS_MARK)
        assert not any(s.references for s in store.rows("INBOX"))
    finally:
        mailroom.close()
    assert cli("sync")[0] == 0  # nothing new on the server
    mailroom = Mailroom.open(profile_dir, PASS)
    try:
        rows = mailroom.messages.rows("INBOX")
        assert next(s for s in rows if s.message_id == "<c3@cab>").references == ("<a1@cab>", "<b2@chu>")
        talk = rows.threaded()
        assert [talk.thread_mark(i) for i in range(len(talk))].count("└─") == 1
        assert mailroom.messages.backfill_refs() == 0  # done: marked
    finally:
        mailroom.close()
