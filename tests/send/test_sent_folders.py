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


def test_the_mailrooms_sent_folder_follows_the_servers_mark(tmp_path) -> None:
    """Mailroom.sent_folder (the app's Envoyés columns) and the count of failures: the folder the last sync's
    listing marks \\Sent, whatever its name, and then no other; the usual names for an account with no mark."""
    from core.mail.account import Account
    from core.mailroom import Mailroom
    from core.model import folder_key

    room = Mailroom.create(tmp_path / "p", "une phrase de passe de test assez longue")
    room.accounts.add(
        Account(name="cabinet", email="dr@cabinet.test", kind="maildir", maildir=str(tmp_path / "m"))
    )
    room.accounts.add(
        Account(name="autre", email="dr@autre.test", kind="maildir", maildir=str(tmp_path / "n"))
    )
    assert (
        room.sent_folder("Sent") and room.sent_folder("Sent Items") and not room.sent_folder("Courrier parti")
    )
    room.messages.set_folder_roles("cabinet", {"Courrier parti": "sent", "Poubelle": "trash"})
    assert room.sent_folder(folder_key("cabinet", "Courrier parti"))
    assert not room.sent_folder(folder_key("cabinet", "Sent")) and not room.sent_folder(
        folder_key("cabinet", "Poubelle")
    )
    assert room.sent_folder(folder_key("autre", "Sent"))  # its server marks nothing: by name
    assert not room.sent_folder(folder_key("autre", "Courrier parti"))
