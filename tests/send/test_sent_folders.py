"""Which folder is the Sent folder, from a server's LIST (names and SPECIAL-USE roles), without a server."""

from __future__ import annotations

from core.mail.send import sent_folders


def test_the_folder_marked_sent_comes_first_whatever_its_name() -> None:
    names = ["INBOX", "Courrier parti", "Drafts", "Sent"]
    # 'Sent' (a usual name, not marked) stays a Sent folder to look in, after the server's own
    assert sent_folders(names, {"Courrier parti": "sent", "Drafts": "drafts"}) == ["Courrier parti", "Sent"]
    assert sent_folders(["INBOX", "Courrier parti"], {"Courrier parti": "sent"}) == ["Courrier parti"]


def test_without_marks_the_usual_names_in_their_order_as_the_server_writes_them() -> None:
    # IMAP writes 'Éléments envoyés' in modified UTF-7 (RFC 3501 §5.1.3)
    utf7 = "&AMk-l&AOk-ments envoy&AOk-s"
    assert sent_folders(["INBOX", utf7, "Archive"], {}) == [utf7]
    assert sent_folders(["INBOX", "Sent Items", "Sent"], {}) == ["Sent", "Sent Items"]
    assert sent_folders(["INBOX", "Courrier parti", "Drafts"], {"Drafts": "drafts"}) == []


def test_two_folders_marked_sent_the_one_of_a_usual_name_first() -> None:
    names = ["INBOX", "Archives envoyées", "Sent"]
    assert sent_folders(names, {"Archives envoyées": "sent", "Sent": "sent"}) == ["Sent", "Archives envoyées"]
