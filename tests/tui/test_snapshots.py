"""Snapshot tests of each pane at 80x24 and 120x40, in the dark theme and the 16-colour theme.

Update after a deliberate visual change with ``pytest tests/tui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom, opener_for
from tui.app import MissiveApp

SIZES = [(80, 24), (120, 40)]
THEMES = ["dark", "ansi16"]
matrix = pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
themes = pytest.mark.parametrize("theme", THEMES)


def _app(theme: str) -> MissiveApp:
    return MissiveApp(mailroom=FakeMailroom(), theme=theme)


def _keys(*keys: str, blur: bool = False):
    async def run_before(pilot) -> None:
        await settle(pilot.app, pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot.app, pilot)
        await pilot.pause(0.5)  # let the compose pane's recipient check (debounced) land
        await settle(pilot.app, pilot)
        for widget in pilot.app.screen.query("Input, TextArea"):
            widget.cursor_blink = False  # a blinking cursor makes the picture depend on the clock
        if blur:  # the text area's cursor phase still varies between runs: take the picture unfocused
            pilot.app.screen.set_focus(None)
        await pilot.pause()

    return run_before


@matrix
@themes
def test_inbox_with_a_signed_lab_result_open(snap_compare, size, theme) -> None:
    """Réception shows the list markers and the reader with the signature and abnormal results marked."""
    assert snap_compare(_app(theme), terminal_size=size, run_before=_keys("enter"))


@themes
def test_inbox_list_alone_then_the_reader_full_screen(snap_compare, theme) -> None:
    """At 80x24: before any message is open the list takes the height; v shows the message over the whole
    screen (no folders, no list)."""
    app = MissiveApp(mailroom=FakeMailroom(extra_messages=40), theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_keys())
    app = MissiveApp(mailroom=FakeMailroom(extra_messages=40), theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_keys("v"))


@matrix
@themes
def test_review_pane(snap_compare, size, theme) -> None:
    """À classer shows the extracted identity beside the first candidate with the differing traits marked."""
    assert snap_compare(_app(theme), terminal_size=size, run_before=_keys("2"))


@matrix
@themes
def test_compose_pane(snap_compare, size, theme) -> None:
    """Rédaction shows the recipient fields and the per-recipient indicator for a reply."""
    assert snap_compare(_app(theme), terminal_size=size, run_before=_keys("down", "r", blur=True))


@matrix
@themes
def test_directory_pane(snap_compare, size, theme) -> None:
    """Annuaire shows the practitioners found for a search, one line per MSSanté address."""
    assert snap_compare(_app(theme), terminal_size=size, run_before=_keys("4", "m", "a", "r", "enter"))


@matrix
@themes
def test_help_screen(snap_compare, size, theme) -> None:
    """The help screen lists every binding with its key and the list markers."""
    assert snap_compare(_app(theme), terminal_size=size, run_before=_keys("f1"))


def _app_with_outbox(theme: str) -> MissiveApp:
    """Two letters the server did not take: one refused for good, one waiting for a server out of reach."""
    from core.model import Draft

    mailroom = FakeMailroom()
    mailroom.queue_letter(
        Draft(to=("refuse@chu-test.mssante.fr", "dr.durand@chu-test.mssante.fr"), subject="Avis cardio", body="x"),
        "554 5.7.1 <refuse@chu-test.mssante.fr>: Recipient address rejected: Access denied",
        failed=True,
    )
    mailroom.queue_letter(
        Draft(to=("claire.martin@chu-test.mssante.fr",), subject="Compte rendu", body="y"),
        "127.0.0.1:587 : connexion impossible (connexion refusée)",
    )
    return MissiveApp(mailroom=mailroom, theme=theme)


@themes
def test_outbox_screen(snap_compare, theme) -> None:
    """À envoyer at 80x24: each letter's state, recipients, subject, attempts and next step; the highlighted
    letter's reason whole below the list; its keys on the keys line."""
    assert snap_compare(_app_with_outbox(theme), terminal_size=(80, 24), run_before=_keys("f7"))


@matrix
@themes
def test_lock_screen(snap_compare, size, theme) -> None:
    """Déverrouillage asks the passphrase and shows nothing of the profile."""
    app = MissiveApp("/nonexistent", opener=opener_for(FakeMailroom()), theme=theme)
    assert snap_compare(app, terminal_size=size, run_before=_keys())


def _app_with_cda_letter(theme: str) -> MissiveApp:
    """The fake mailroom with, as its newest message, a CDA consultation letter (XDM prefix already hidden by
    the core's summary, as the sync stores it)."""
    import datetime as dt
    from email.message import EmailMessage
    from pathlib import Path

    from tests.tui.fakes import BASE, DOCTOR

    sender = "dr.cardio@chu-test.mssante.fr"
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, DOCTOR, "XDM/1.0/DDM+Compte rendu de cardiologie"
    msg.set_content("Cher confrère, ci-joint mon compte rendu.\n")
    cda = (Path(__file__).resolve().parents[1] / "data" / "clinical" / "cda_narrative.xml").read_bytes()
    msg.add_attachment(cda, maintype="text", subtype="xml", filename="DOC0001.XML")
    mailroom = FakeMailroom()
    mailroom.messages.add(
        "m-cda", msg.as_bytes(), sender, "Compte rendu de cardiologie", BASE + dt.timedelta(hours=1),
        has_attachments=True,
    )  # fmt: skip
    # as the sync hook queues it: the reader shows the queue's document, read from the letter's attachment
    from core.clinical.readers import read_document
    from tests.tui.fakes import FakeEntry

    [letter] = read_document(cda, "DOC0001.XML").documents
    mailroom.documents.entries["d-cda"] = FakeEntry("d-cda", letter, (), "review", "waiting", message="m-cda")
    return MissiveApp(mailroom=mailroom, theme=theme)


@pytest.mark.parametrize("size", [(120, 40)], ids=["120x40"])
def test_reader_shows_a_cda_letter_as_text(snap_compare, size) -> None:
    """The reader shows a CDA's sections, list and table as 80-column text under its title."""
    assert snap_compare(_app_with_cda_letter("dark"), terminal_size=size, run_before=_keys("enter"))
