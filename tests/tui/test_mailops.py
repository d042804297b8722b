"""Réception's mail basics, as a neomutt user expects them: N unread, F flag, d delete to the Trash with u to
undo, m move through a folder chooser, A archive, counts per folder; each failure a French toast and a log
line."""

from __future__ import annotations

import logging

import pytest
from textual.widgets import OptionList

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import until
from tui.app import MissiveApp
from tui.panes.confirm import ConfirmScreen
from tui.panes.move import FolderChooser
from tui.widgets.message_list import MessageList, markers

LAB = "m-lab"  # the newest letter of Réception, highlighted at start (unread)


def toasts(app: MissiveApp, severity: str | None = None) -> list[str]:
    return [str(n.message) for n in app._notifications if severity in (None, n.severity)]


def folder_prompts(app: MissiveApp) -> dict[str, str]:
    folders = app.screen.query_one("#folders", OptionList)
    return {str(o.id): str(o.prompt) for o in folders.options}


def listed(app: MissiveApp) -> list[str]:
    return [s.id for s in app.screen.query_one(MessageList).rows]


async def test_flag_and_unread_marks_show_in_the_list_and_the_folder_counts(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert folder_prompts(app)["INBOX"].split() == ["Réception", "1/2"]  # the lab result unread, of 2
        await pilot.press("F")
        await until(pilot, lambda: "Marqué important ⚑" in toasts(app), "the flag toast")
        assert mailroom.messages.get(LAB).flagged
        current = app.screen.query_one(MessageList).current
        assert current is not None and markers(current)[0] == "⚑"
        await pilot.press("N")  # unread -> read
        await until(pilot, lambda: "Marqué lu" in toasts(app), "the read toast")
        await settle(app, pilot)
        assert not mailroom.messages.get(LAB).unread
        assert folder_prompts(app)["INBOX"].split() == ["Réception", "0/2"]
        await pilot.press("N", "F")
        await until(pilot, lambda: "Marque « important » retirée" in toasts(app), "the unflag toast")
        await settle(app, pilot)
        assert mailroom.messages.get(LAB).unread and not mailroom.messages.get(LAB).flagged
        assert folder_prompts(app)["INBOX"].split() == ["Réception", "1/2"]


async def test_reading_a_message_updates_the_folder_count(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert folder_prompts(app)["INBOX"].split() == ["Réception", "1/2"]
        await pilot.press("enter")
        await settle(app, pilot)
        assert folder_prompts(app)["INBOX"].split() == ["Réception", "0/2"]


async def test_d_moves_to_the_trash_and_u_brings_it_back(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await until(pilot, lambda: "Déplacé dans la Corbeille — u pour annuler" in toasts(app), "the toast")
        await settle(app, pilot)
        assert mailroom.messages.get(LAB).folder == "Trash"
        assert LAB not in listed(app) and listed(app) == ["m-letter"]
        assert folder_prompts(app)["Trash"].split() == ["Corbeille", "1/1"]
        assert ("delete", LAB) in mailroom.audit
        await pilot.press("u")
        await until(pilot, lambda: "Remis dans Réception" in toasts(app), "the undo toast")
        await settle(app, pilot)
        assert mailroom.messages.get(LAB).folder == "INBOX" and LAB in listed(app)
        await pilot.press("u")  # once more: the move was undone, it was not 'nothing moved since opening'
        await until(pilot, lambda: len(toasts(app, "error")) == 1, "the second undo's answer")
        assert toasts(app, "error") == ["rien à annuler : le dernier déplacement est déjà annulé"]


async def test_u_in_a_classer_is_not_the_inbox_undo(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await until(pilot, lambda: any("Corbeille" in m for m in toasts(app)), "the delete toast")
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("u")  # À classer's own undo (of a filing), never the inbox's
        await settle(app, pilot)
        assert mailroom.messages.get(LAB).folder == "Trash"
        assert not any("Remis dans" in m for m in toasts(app))
        await pilot.press("1")
        await settle(app, pilot)
        await pilot.press("u")
        await until(pilot, lambda: "Remis dans Réception" in toasts(app), "the inbox undo")
        assert mailroom.messages.get(LAB).folder == "INBOX"


async def test_in_the_trash_d_asks_before_deleting_for_good(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await until(pilot, lambda: any("Corbeille" in m for m in toasts(app)), "the delete toast")
        await settle(app, pilot)
        await pilot.press("f6")
        folders = app.screen.query_one("#folders", OptionList)
        folders.highlighted = [o.id for o in folders.options].index("Trash")
        await pilot.press("enter")
        await settle(app, pilot)
        assert listed(app) == [LAB]
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "définitivement" in app.screen.question
        await pilot.press("n")
        await settle(app, pilot)
        assert mailroom.messages.get(LAB).folder == "Trash"
        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press("o")
        await until(pilot, lambda: "Message supprimé définitivement" in toasts(app), "the toast")
        await settle(app, pilot)
        assert LAB not in mailroom.messages.items and listed(app) == []
        assert ("expunge", LAB) in mailroom.audit


async def test_m_moves_through_a_folder_chooser_and_a_archives(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        assert isinstance(app.screen, FolderChooser)
        choices = app.screen.query_one(OptionList)
        assert [str(o.prompt) for o in choices.options] == ["Archives", "Envoyés", "Corbeille"]
        await pilot.press("escape")  # changed my mind: nothing moves
        await settle(app, pilot)
        assert mailroom.messages.get(LAB).folder == "INBOX"
        await pilot.press("m")
        await settle(app, pilot)
        await pilot.press("j", "enter")
        await until(pilot, lambda: "Déplacé dans Envoyés — u pour annuler" in toasts(app), "the move toast")
        assert mailroom.messages.get(LAB).folder == "Sent"
        await settle(app, pilot)
        await pilot.press("A")  # the next message, now highlighted where the moved one was
        await until(pilot, lambda: "Archivé dans Archives — u pour annuler" in toasts(app), "the toast")
        assert mailroom.messages.get("m-letter").folder == "Archive"
        assert ("archive", "m-letter") in mailroom.audit


async def test_offline_the_toast_says_it_is_done_at_the_next_sync(mailroom: FakeMailroom) -> None:
    mailroom.offline = True
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await until(pilot, lambda: any("serveur injoignable" in m for m in toasts(app)), "the offline toast")
        assert mailroom.messages.get(LAB).folder == "Trash" and ("delete", LAB) in mailroom.queued_ops


@pytest.mark.parametrize(
    ("keys", "task", "words"),
    [
        (("F",), "inbox-flags", "refusé de changer la marque"),
        (("N",), "inbox-flags", "refusé de changer la marque"),
        (("d",), "inbox-move", "refusé de déplacer"),
        (("A",), "inbox-move", "refusé de déplacer"),
        (("m", "enter"), "inbox-move", "refusé de déplacer"),
    ],
)
async def test_the_server_refusing_says_so_and_nothing_moves(
    mailroom: FakeMailroom, caplog: pytest.LogCaptureFixture, keys: tuple[str, ...], task: str, words: str
) -> None:
    mailroom.refuse = True
    caplog.set_level(logging.INFO, logger="missive.tui")
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for key in keys:
            await pilot.press(key)
            await settle(app, pilot)
        await until(pilot, lambda: bool(toasts(app, "error")), "a toast about the refusal")
        assert any(words in m for m in toasts(app, "error"))
        summary = mailroom.messages.get(LAB)
        assert summary.folder == "INBOX" and summary.unread and not summary.flagged
        assert LAB in listed(app)
    assert any(f"task {task} failed: ServerRefused" in r.getMessage() for r in caplog.records)


async def test_nothing_to_undo_says_so(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("u")
        await until(pilot, lambda: bool(toasts(app, "error")), "a toast")
        assert any("rien à annuler" in m for m in toasts(app, "error"))


async def test_over_a_real_profile_d_then_u_and_the_trash_folder_counts(tmp_path) -> None:
    """The app through the real façade (a Maildir account kept in sync in the background meanwhile)."""
    from core.mail.account import Account
    from core.mailroom import Mailroom
    from tests.tui.fakes import plain_message
    from tests.tui.test_read_audited import PASS

    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    import datetime as dt

    when = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)
    for n in (1, 2):
        raw = plain_message(
            "dr.durand@chu-test.mssante.fr", f"Lettre {n}", when + dt.timedelta(hours=n), "Bonjour\n"
        )
        (root / "new" / f"{n}.mail").write_bytes(raw)
    Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace("allow = []", 'allow = ["*.mssante.fr"]', 1), "utf-8"
    )
    mr = Mailroom.open(tmp_path / "profile", PASS)
    mr.accounts.add(Account(name="cabinet", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(root)))
    await mr.sync()
    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        # never settle(): the background sync is a worker that runs until the app quits
        rows = lambda: [s.subject for s in app.screen.query_one(MessageList).rows]  # noqa: E731
        await until(pilot, lambda: rows() == ["Lettre 2", "Lettre 1"], "the inbox listed")
        await pilot.press("F")
        await until(pilot, lambda: "Marqué important ⚑" in toasts(app), "the flag toast")
        await pilot.press("d")
        await until(pilot, lambda: "Déplacé dans la Corbeille — u pour annuler" in toasts(app), "the toast")
        await until(pilot, lambda: "Trash" in folder_prompts(app), "the Corbeille listed")
        await until(pilot, lambda: rows() == ["Lettre 1"], "the letter gone from Réception")
        assert folder_prompts(app)["Trash"].split() == ["Corbeille", "1/1"]
        assert len(list((root / ".Trash" / "new").iterdir()) + list((root / ".Trash" / "cur").iterdir())) == 1
        [trashed] = mr.messages.list("Trash")
        assert trashed.flagged and trashed.subject == "Lettre 2"
        await pilot.press("u")
        await until(pilot, lambda: "Remis dans Réception" in toasts(app), "the undo toast")
        await until(pilot, lambda: rows() == ["Lettre 2", "Lettre 1"], "the letter back in Réception")
        await pilot.press("ctrl+q")
    assert sorted(m.subject for m in mr.messages.list("INBOX")) == ["Lettre 1", "Lettre 2"]
    assert [r["action"] for r in mr.audit.records() if r["action"] in ("delete", "undo-move")] == [
        "delete",
        "undo-move",
    ]


async def test_a_refused_removal_from_the_trash_says_so_and_keeps_the_message(
    mailroom: FakeMailroom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="missive.tui")
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await until(pilot, lambda: any("Corbeille" in m for m in toasts(app)), "the delete toast")
        await settle(app, pilot)
        mailroom.refuse = True  # the server now refuses
        await pilot.press("u")
        await until(
            pilot, lambda: any("refusé de déplacer" in m for m in toasts(app, "error")), "undo refused"
        )
        assert mailroom.messages.get(LAB).folder == "Trash"
        await pilot.press("f6")
        folders = app.screen.query_one("#folders", OptionList)
        folders.highlighted = [o.id for o in folders.options].index("Trash")
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        await pilot.press("o")
        await until(
            pilot, lambda: any("refusé de supprimer" in m for m in toasts(app, "error")), "removal refused"
        )
        await settle(app, pilot)
        assert mailroom.messages.get(LAB).folder == "Trash" and listed(app) == [LAB]
    assert sum("task inbox-move failed: ServerRefused" in r.getMessage() for r in caplog.records) == 2


@pytest.mark.parametrize(
    ("folder", "unread", "total", "shown"),
    [
        ("INBOX", 1, 2, ["Réception", "1/2"]),  # everything fits
        ("INBOX", 22, 280, ["Réception", "22"]),  # the demo: the name whole, the unread count only
        ("INBOX", 0, 2800, ["Réception"]),  # nothing unread, no room for the total: no number
        ("Trash", 0, 1, ["Corbeille", "0/1"]),
        (
            "Correspondance-cardiologie",
            3,
            40,
            ["Correspondan…", "3"],
        ),  # too long even alone: cut, unread kept
        ("Correspondance-cardiologie", 0, 40, ["Correspondance…"]),
    ],
)
def test_a_folder_name_is_never_cut_for_its_total(
    folder: str, unread: int, total: int, shown: list[str]
) -> None:
    from core.model import FolderCount
    from tui.panes.inbox import FOLDER_WIDTH, folder_prompt

    prompt = folder_prompt(folder, FolderCount(unread, total))
    assert prompt.split() == shown and len(prompt) <= FOLDER_WIDTH


@pytest.mark.parametrize("keys", [("F",), ("N",), ("d",), ("A",), ("m",), ("enter",), ("r",)])
async def test_a_message_another_session_moved_away_is_said_gone_and_leaves_the_list(
    mailroom: FakeMailroom, keys: tuple[str, ...]
) -> None:
    """A second missive on the same profile (or the daemon) deleted the highlighted message: the key acting on
    its stale row says so in plain French and the list is read again, not "aucun message d'id 3f2a… (voir
    `missive messages list`)" with the row left there."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert listed(app)[0] == LAB
        del mailroom.messages.items[LAB]  # gone behind this window's back
        await pilot.press(*keys)
        await until(pilot, lambda: LAB not in listed(app), "the stale row gone")
        said = toasts(app, "warning")
        assert said and "n'est plus dans ce dossier" in said[-1], toasts(app)
        assert not any("missive messages list" in s or "message gone" in s for s in toasts(app)), toasts(app)
