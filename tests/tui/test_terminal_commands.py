"""A letter's subject, sender, body, a certificate's name, a document's text or a file name come from anyone: a
terminal control character in them (ESC, CSI, OSC: move the cursor over the signature's verdict, set the window
title, write the clipboard with OSC 52) reached the terminal as it was, in the list, the reader and the resume
frame, and in 'missive messages list/show'. Each is shown as U+FFFD."""

from __future__ import annotations

import datetime as dt

from core.model import MessageSummary, MessageView, printable
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom, plain_message
from tui.app import MissiveApp, full_frame

TITLE = "\x1b]0;PWNED\x07"
CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"
BLINK = "\x1b[5m"
C1 = "\x9b2J"


def test_printable_keeps_text_and_lines_and_replaces_controls() -> None:
    assert printable("Résultats — ≤1.0 mg/L\n\tfin") == "Résultats — ≤1.0 mg/L\n\tfin"
    assert printable(f"a{TITLE}b") == "a\ufffd]0;PWNED\ufffdb"
    assert printable(f"a{C1}\x7fb\r\n") == "a\ufffd2J\ufffdb\n"
    assert printable("a\nb\tc", one_line=True) == "a b c"


def test_a_message_view_holds_no_control_character() -> None:
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    summary = MessageSummary("m", "cabinet", "INBOX", 1, "<m@x>", "a@b.fr", ("dr@x.fr",), "s", when)
    view = MessageView(summary, sender=f"Evil{BLINK} <a@b.fr>", to=(f"dr{TITLE}@x.fr",), subject=f"Objet{TITLE}",
                       body=f"corps {CLIPBOARD} fin\r\nligne 2", headers=(("X-MSS", f"v{C1}"),))  # fmt: skip
    for text in (view.sender, *view.to, view.subject, view.body, *view.headers[0]):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert view.body == "corps \ufffd]52;c;cm0gLXJmIH4=\ufffd fin\nligne 2"


async def test_the_list_and_the_reader_write_no_control_character_to_the_terminal() -> None:
    room = FakeMailroom()
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    raw = plain_message("a@b.fr", f"Objet{TITLE}", when, f"corps {CLIPBOARD} fin\n")
    room.messages.add("m-esc", raw, f"Evil{BLINK} <a@b.fr>", f"Bonjour {TITLE} {C1} fin", when)
    app = MissiveApp(mailroom=room)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        frame = full_frame(app)  # what is written to the terminal (and kept as the resume frame)
        assert (
            "PWNED" in frame
            and "\x1b]0;PWNED" not in frame
            and BLINK + " " not in frame
            and "\x9b" not in frame
        )
        await pilot.press("enter")
        await settle(app, pilot)
        frame = full_frame(app)
        assert "]52;c;" in frame and "\x1b]52" not in frame  # was in the reader's body as written


def test_the_cli_writes_no_control_character(tmp_path, monkeypatch, capsys) -> None:
    """'missive messages list' and 'messages show' print a letter's subject, sender and body."""
    from email.message import EmailMessage

    from core.mail.messages import FolderState, MessageStore, summary_of
    from core.mailroom import Mailroom
    from tui.cli import main

    profile = tmp_path / "p"
    room = Mailroom.create(profile, "phrase de passe")
    msg = EmailMessage()
    msg["From"] = "Evil <a@b.fr>"
    msg["To"] = "dr@x.fr"
    msg["Subject"] = "=?utf-8?q?Objet_=1B]0;PWNED=07?="  # an encoded word decodes to ESC ... BEL
    msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0100"
    msg["Message-ID"] = "<esc@b.fr>"
    msg.set_content(f"corps {CLIPBOARD} fin\n")
    raw = msg.as_bytes()
    MessageStore(room.profile).store_new(
        FolderState("cabinet", "INBOX", uidvalidity=1), [(1, [], raw, summary_of(raw))]
    )
    room.close()
    monkeypatch.setenv("MISSIVE_PASSPHRASE", "phrase de passe")
    assert main(["--profile", str(profile), "messages", "list"]) == 0
    listed = capsys.readouterr().out
    assert "PWNED" in listed and "\x1b" not in listed and "\x07" not in listed
    message_id = listed.split()[1]
    assert main(["--profile", str(profile), "messages", "show", message_id]) == 0
    shown = capsys.readouterr().out
    assert "PWNED" in shown and "]52;c;" in shown and "\x1b" not in shown and "\x07" not in shown


async def test_a_documents_identity_in_a_classer_writes_no_control_character() -> None:
    """À classer lists and compares the identity a document states (an HL7 '\\X1B\\' escape is an ESC)."""
    from dataclasses import replace

    room = FakeMailroom()
    entry = room.documents.entries["d-ambiguous"]
    identity = replace(entry.document.identity, family_name=f"DUPONT{TITLE}")
    entry.document = replace(entry.document, identity=identity, title=f"Biologie{CLIPBOARD}")
    app = MissiveApp(mailroom=room)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        frame = full_frame(app)
        assert "PWNED" in frame and "\x1b]0;" not in frame and "\x1b]52" not in frame


def test_a_servers_folder_name_is_shown_without_control_character() -> None:
    """The folder list, the chooser and the command line show a server's folder under its own name."""
    from core.model import folder_label

    assert folder_label(f"Labo{TITLE}") == "Labo\ufffd]0;PWNED\ufffd"
    assert folder_label("Archives/2025") == "Archives/2025"


async def test_a_folder_name_with_brackets_is_text_not_markup() -> None:
    """The server names its folders: 'Trash[/]' (Textual markup closing nothing) ended the app at its inbox with
    MarkupError at every start, '[@click=app.quit]…' made a clickable action, and Gmail's '[Gmail]/Sent Mail'
    lost '[Gmail]'. The folder list, the list's title and the move chooser show them as text."""
    from textual.widgets import OptionList

    room = FakeMailroom()
    when = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for n, name in enumerate(["[Gmail]/Sent Mail", "Trash[/]", "[@click=app.quit]Urgent[/]"]):
        room.messages.items[f"g{n}"] = MessageSummary(
            f"g{n}", "cabinet", name, n + 1, f"<g{n}@x>", "a@b.fr", ("dr@x.fr",), "s", when
        )
    app = MissiveApp(mailroom=room)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.is_running
        folders = app.screen.query_one("#folders", OptionList)
        prompts = [str(folders.get_option_at_index(i).prompt) for i in range(folders.option_count)]
        assert any("[Gmail]/Sent" in p for p in prompts) and any("Trash[/]" in p for p in prompts)
        await pilot.press("m")  # move the newest letter: the chooser lists the server's folders
        await settle(app, pilot)
        assert app.is_running and type(app.screen).__name__ == "FolderChooser"
        chooser = app.screen.query_one(OptionList)
        names = [str(chooser.get_option_at_index(i).prompt) for i in range(chooser.option_count)]
        assert "Trash[/]" in names and "[@click=app.quit]Urgent[/]" in names


async def test_a_toast_says_a_servers_words_as_text() -> None:
    """Toasts quote servers ('[AUTHENTICATIONFAILED] Invalid credentials'): Textual read them as markup, which
    dropped the bracketed words and raised MarkupError on a '[/]'."""
    from textual.notifications import Notification
    from textual.widgets._toast import Toast

    app = MissiveApp(mailroom=FakeMailroom())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.notify("compte x : [AUTHENTICATIONFAILED] Invalid credentials [/]", severity="error")
        await pilot.pause()
        await settle(app, pilot)
        assert app.is_running
        (notification,) = list(app._notifications)
        assert isinstance(notification, Notification) and notification.markup is False
        assert "[AUTHENTICATIONFAILED] Invalid credentials [/]" in Toast(notification).render().plain


async def test_a_toast_writes_no_control_character_of_a_servers_words() -> None:
    """A server's refusal quoted in a toast ('a1 NO \\x1b]52;c;…\\x07': an OSC 52 writes the clipboard on many
    terminals) is shown with U+FFFD for each control character; its line breaks stay."""
    from textual.widgets._toast import Toast

    app = MissiveApp(mailroom=FakeMailroom())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.notify("compte x : UID FETCH refusé (\x1b]52;c;UFdORUQ=\x07\x9b2J)\nréessayez", severity="error")
        await pilot.pause()
        await settle(app, pilot)
        (notification,) = list(app._notifications)
        shown = Toast(notification).render().plain
        assert "UID FETCH refusé" in shown and "réessayez" in shown
        assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in shown), repr(shown)


async def test_a_reply_or_a_forward_writes_no_control_character_of_the_letter_to_the_terminal() -> None:
    """r and f start the composer with the letter's subject, sender and recipients, taken from its list row,
    which holds them as they came: an OSC in the subject went to the screen in the subject's field, and a
    bidi override with it."""
    room = FakeMailroom()
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    raw = plain_message("a@b.fr", f"Objet{TITLE}", when, "corps\n")
    room.messages.add("m-esc", raw, f"Evil{TITLE} <a@b.fr>", f"Bonjour {TITLE} fin \u202e", when)
    app = MissiveApp(mailroom=room)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        for key in ("f", "r"):
            await pilot.press("1", "enter")
            await settle(app, pilot)
            await pilot.press(key)
            await settle(app, pilot)
            frame = full_frame(app)
            assert "PWNED" in frame and "\x1b]0;" not in frame and "\u202e" not in frame, key
            await pilot.press("f8", "o")  # the letter thrown away
            await settle(app, pilot)
