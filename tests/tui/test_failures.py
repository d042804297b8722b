"""Every action that can fail in the background says so: a French toast and a log line with ids only.

Textual 8 does not bubble a worker's failure to the app, so each pane hands it to one handler
(tui.failures); each test here makes one pane's action fail the way it fails for a doctor.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from textual.widgets import Input

from core.errors import MissiveError, StoreError
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import until
from tui.app import MissiveApp


def errors(app: MissiveApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


async def test_saving_attachments_where_no_folder_can_be_made_says_so(
    mailroom: FakeMailroom, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    (tmp_path / "Downloads").write_text("a file where the downloads folder should be")
    caplog.set_level(logging.INFO, logger="missive.tui")
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # the lab result, with its HPRIM attachment
        await settle(app, pilot)
        await pilot.press("s")
        await until(pilot, lambda: bool(errors(app)), "a toast about the downloads folder")
    assert any("task attachments" in r.getMessage() for r in caplog.records)
    assert not any("DUPONT" in r.getMessage() or "res.hpr" in r.getMessage() for r in caplog.records)


async def test_attaching_a_missing_file_says_so(mailroom: FakeMailroom, tmp_path: Path) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press(*str(tmp_path / "absent.pdf"), "enter")
        await until(pilot, lambda: bool(errors(app)), "a toast about the missing file")
        assert any("absent.pdf : fichier introuvable" in message for message in errors(app))
        # the path is back in its field, to correct rather than retype (it closed, empty)
        await settle(app, pilot)
        field = app.screen.query_one("#compose-attach-path", Input)
        assert field.display and field.has_focus and field.value == str(tmp_path / "absent.pdf")
        (tmp_path / "present.pdf").write_bytes(b"%PDF")
        await pilot.press(*["backspace"] * len("absent.pdf"), *"present.pdf")
        await settle(app, pilot)
        assert field.value == str(tmp_path / "present.pdf"), field.value
        await pilot.press("enter")
        await settle(app, pilot)
        assert [a.filename for a in app.screen.query_one("#compose").attachments] == ["present.pdf"]
        assert not field.display


async def test_filing_into_an_unwritable_folder_says_so(
    mailroom: FakeMailroom, caplog: pytest.LogCaptureFixture
) -> None:
    def unwritable(doc_id: str, patient_id: str, actor: str | None = None) -> None:
        raise StoreError(
            "impossible d'écrire dans le dossier de classement /srv/import (permission refusée) : vérifiez "
            "qu'il existe et qu'il est accessible en écriture"
        )

    mailroom.file_document = unwritable  # type: ignore[method-assign]
    caplog.set_level(logging.INFO, logger="missive.tui")
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("tab", "enter")  # the candidate whose traits all agree: filed without a question
        await until(pilot, lambda: bool(errors(app)), "a toast about the filing folder")
        assert any("accessible en écriture" in message for message in errors(app))
        assert not any("Document classé" in n.message for n in app._notifications)
    assert any("review-decide" in r.getMessage() and "StoreError" in r.getMessage() for r in caplog.records)


async def test_a_directory_that_cannot_be_read_says_so(mailroom: FakeMailroom) -> None:
    def broken(text: str, limit: int = 50) -> list:
        raise StoreError("l'annuaire est illisible : réimportez-le (missive directory import)")

    mailroom.directory_search = broken  # type: ignore[method-assign]
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await pilot.pause()
        await pilot.press(*"cardio", "enter")
        await until(pilot, lambda: bool(errors(app)), "a toast about the directory")
        assert any("réimportez-le" in message for message in errors(app))


async def test_a_patient_list_that_cannot_be_read_says_so(mailroom: FakeMailroom) -> None:
    def broken() -> list:
        raise StoreError("la liste des patients est illisible : réimportez-la (missive patients import)")

    mailroom.list_patients = broken  # type: ignore[method-assign]
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("p")
        await until(pilot, lambda: bool(errors(app)), "a toast about the patient list")
        assert any("réimportez-la" in message for message in errors(app))


async def test_a_message_that_cannot_be_opened_says_so(mailroom: FakeMailroom) -> None:
    del mailroom.messages.raw["m-lab"]  # gone from the profile since the list was read
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await until(pilot, lambda: bool(errors(app)), "a toast about the message")


async def test_an_unexpected_crash_is_a_french_line_and_its_frames_are_logged(
    mailroom: FakeMailroom, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(doc_id: str, actor: str | None = None) -> None:
        raise KeyError("DUPONT Jeanne")  # words that must not reach the log

    mailroom.reject_document = crash  # type: ignore[method-assign]
    caplog.set_level(logging.INFO, logger="missive.tui")
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("x")
        await settle(app, pilot)
        await pilot.press("o")  # yes, reject it
        await until(pilot, lambda: bool(errors(app)), "a toast about the crash")
        assert any("Erreur interne (KeyError)" in message for message in errors(app))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "review-decide crashed: KeyError" in logged
    assert "DUPONT" not in logged
    assert not issubclass(KeyError, MissiveError)


@pytest.mark.parametrize("what", ["folder", "unreadable"])
async def test_attaching_a_folder_or_an_unreadable_file_says_what_is_wrong(
    mailroom: FakeMailroom, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    """A folder is not 'introuvable', and a file missive may not read is not an 'erreur interne'."""
    target = tmp_path / "bilans"
    if what == "folder":
        target.mkdir()
        expected = "bilans est un dossier"
    else:
        target.write_bytes(b"x")
        expected = "bilans : accès refusé ; vérifiez les droits du fichier"
        import core.inputfile

        real_open = os.open

        def refused(path, *args, **kwargs):  # type: ignore[no-untyped-def]
            if str(path).endswith("bilans"):
                raise PermissionError(13, "Permission denied")
            return real_open(path, *args, **kwargs)

        # the tests run as root: no chmod would refuse it
        monkeypatch.setattr(core.inputfile.os, "open", refused)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press(*str(target), "enter")
        await until(pilot, lambda: bool(errors(app)), "a toast about the file")
        assert any(expected in message for message in errors(app)), errors(app)
