"""A letter whose server is slow to answer: the composer says it is leaving, a second ctrl+s sends nothing twice,
and the doctor who went to Réception meanwhile keeps her keys there when it has left (gp9 on the installed wheel:
Postfix stopped mid-send, the letter stayed on screen a minute with no word, ctrl+s again queued a second copy
and the colleague got it twice; then « j » for the list went into the hidden composer's À field)."""

from __future__ import annotations

import threading

from textual.widgets import Input

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import until
from tui.app import MissiveApp
from tui.panes.compose import ComposePane
from tui.widgets.message_list import MessageList

COLLEAGUE = "claire.martin@chu-test.mssante.fr"


def said(app: MissiveApp, words: str) -> bool:
    return any(words in str(n.message) for n in app._notifications)


async def _letter(pilot, subject: str) -> None:
    await pilot.press("3")
    await pilot.press(*COLLEAGUE, "tab", "tab", *subject, "tab", *"Chère consœur")


async def _leaving(app: MissiveApp, pilot) -> None:
    """A letter « Avis » written and sent (ctrl+s), the composer saying it is leaving (the façade's gate shut)."""
    await settle(app, pilot)
    await _letter(pilot, "Avis")
    await settle(app, pilot)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: said(app, "Envoi en cours"), "the composer says the letter is leaving")


async def test_a_second_ctrl_s_while_the_letter_leaves_sends_nothing_twice(mailroom: FakeMailroom) -> None:
    mailroom.send_gate = threading.Event()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _leaving(app, pilot)
        composer = app.screen.query_one(ComposePane)
        assert not composer.has_unsent()  # in the outbox's hands: quitting asks nothing, loses nothing
        await pilot.press("ctrl+s")  # nothing seems to happen: pressed again, by habit
        await until(pilot, lambda: said(app, "Cette lettre part déjà"), "the second ctrl+s is declined")
        mailroom.send_gate.set()
        await until(pilot, lambda: said(app, "confiée"), "the letter left")
        await settle(app, pilot)
        assert [d.subject for d in mailroom.sent] == ["Avis"]


async def test_the_letter_leaving_while_the_doctor_is_in_reception_leaves_her_keys_there(
    mailroom: FakeMailroom,
) -> None:
    mailroom.send_gate = threading.Event()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await _letter(pilot, "Avis")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: said(app, "Envoi en cours"), "the composer says the letter is leaving")
        await pilot.press("f2")  # to Réception while it leaves (settle would wait for the send: pauses)
        await until(pilot, lambda: isinstance(app.focused, MessageList), "Réception's list has the keys")
        mailroom.send_gate.set()
        await until(pilot, lambda: said(app, "confiée"), "the letter left")
        await settle(app, pilot)
        assert isinstance(app.focused, MessageList), app.focused  # not the hidden composer's À field
        await pilot.press("j")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-to", Input).value == ""
        assert app.screen.query_one(MessageList).cursor == 1
        # another letter begun while one leaves stays as it is when that one has left
        mailroom.send_gate = threading.Event()
        await _letter(pilot, "Premier")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: said(app, "Envoi en cours"), "the first letter is leaving")
        await pilot.press("escape", "c")  # a second letter, begun at once
        await until(pilot, lambda: app.screen.query_one("#compose-to", Input).has_focus, "a fresh letter")
        await pilot.press(*COLLEAGUE, "tab", "tab", *"Second")
        await until(pilot, lambda: app.screen.query_one("#compose-subject", Input).value == "Second", "typed")
        mailroom.send_gate.set()
        await until(pilot, lambda: [d.subject for d in mailroom.sent] == ["Avis", "Premier"], "the first left")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-subject", Input).value == "Second"
        assert app.screen.query_one("#compose-to", Input).value.startswith(COLLEAGUE)


async def test_the_app_counts_the_letter_leaving_until_the_server_is_done(mailroom: FakeMailroom) -> None:
    """What run_app waits for at the end (below): the composer's send counted from ctrl+s to its end."""
    mailroom.send_gate = threading.Event()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.sends
        await _letter(pilot, "Avis")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(app.sends), "the send is counted")
        mailroom.send_gate.set()
        await until(pilot, lambda: not app.sends, "the send's end is counted")
        assert [d.subject for d in mailroom.sent] == ["Avis"]


def test_quit_while_a_letter_leaves_says_so_and_closes_the_profile_after_the_send(
    tmp_path, monkeypatch, capsys
) -> None:
    """ctrl+q while the server is slow to answer: the terminal stayed blank until the send's thread ended (up to
    a minute, gp9 on the installed wheel), and the profile was closed under that send ('Sent folder not synced
    after letter … (RuntimeError)' in the log). run_app now says why it waits, waits, then closes the profile."""
    from core.mailroom import Mailroom
    from tui import app as app_module

    profile = tmp_path / "profile"
    Mailroom.create(profile, "correct horse battery staple").close()
    order: list[str] = []
    sent = threading.Event()

    def run(self: MissiveApp) -> int:  # the app's session: a letter leaves, then ctrl+q before the server answers
        self.mailroom = FakeMailroom()
        self.mailroom.close = lambda: order.append("closed")  # type: ignore[method-assign]
        self.sends.started()

        def server_answers() -> None:
            sent.wait(30)
            order.append("sent")
            self.sends.ended()

        threading.Thread(target=server_answers, daemon=True).start()
        return 0

    monkeypatch.setattr(app_module.MissiveApp, "run", run)
    said: list[str] = []

    def say(text: str, **_: object) -> None:
        said.append(text)
        order.append("said")
        sent.set()  # the server answers once the line is on the terminal

    monkeypatch.setattr(app_module, "print", say, raising=False)
    assert app_module.run_app(profile, passphrase="correct horse battery staple") == 0
    assert order == ["said", "sent", "closed"]
    assert "une lettre est en cours d'envoi" in said[0] and "boîte d'envoi" in said[0]


async def test_what_is_typed_while_the_letter_leaves_is_not_lost_unsaid(mailroom: FakeMailroom) -> None:
    """Keys typed after ctrl+s went into the letter on screen, which was neither sent (the core had it already)
    nor kept (the fresh letter after the send cleared it), and nothing said so (sec9: « PS: dose 5 mg » lost). While
    it leaves its fields take no keys; a letter begun meanwhile takes them as usual."""
    from textual.widgets import TextArea

    mailroom.send_gate = threading.Event()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _leaving(app, pilot)
        composer = app.screen.query_one(ComposePane)
        body = composer.query_one("#compose-body", TextArea)
        await pilot.press(*" PS")
        subject = composer.query_one("#compose-subject", Input)
        subject.focus()
        await pilot.press(*"X")
        await pilot.pause(0.2)  # not settle: it waits for the send worker, which waits for the gate
        assert body.text == "Chère consœur" and subject.value == "Avis"  # nothing typed into the leaving letter
        mailroom.send_gate.set()
        await until(pilot, lambda: said(app, "confiée"), "the letter left")
        await settle(app, pilot)
        assert [(d.subject, d.body) for d in mailroom.sent] == [("Avis", "Chère consœur")]
        await pilot.press("3")  # the fresh letter takes keys
        await settle(app, pilot)
        to = composer.query_one("#compose-to", Input)
        assert not to.disabled and not body.read_only
