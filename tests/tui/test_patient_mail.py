"""Mon espace santé in the app: a patient's mailbox shows as the patient's name and INS, marked ◆, in the list
and in the composer, which warns before a letter mixes a patient and a colleague."""

from __future__ import annotations

import dataclasses

from textual.widgets import Input, Static

from core.model import MessageSummary
from tests.tui.conftest import settle
from tests.tui.fakes import BASE, DOCTOR, FakeMailroom, plain_message
from tests.tui.test_flows import text_of
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList

INS = "279035121518989"
PATIENT = f"{INS}@patient.mssante.fr"


def with_a_patient(mailroom: FakeMailroom) -> FakeMailroom:
    patients = mailroom.patients
    patients.by_id["p-1"] = dataclasses.replace(patients.by_id["p-1"], ins=INS, ins_qualified=True)
    mailroom.messages.raw["m-patient"] = plain_message(PATIENT, "Question", BASE, "Bonjour docteur\n")
    mailroom.messages.items["m-patient"] = MessageSummary(
        "m-patient", "cabinet", "INBOX", 9, "<p@test>", PATIENT, (DOCTOR,), "Question", BASE.replace(hour=12)
    )
    return mailroom


async def test_patient_named_in_list_and_composer(mailroom: FakeMailroom) -> None:
    with_a_patient(mailroom)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        row = next(s for s in msg_list.rows if s.id == "m-patient")
        line = msg_list._render_row(row, 130, False).text
        assert "◆ DUPONT Jeanne · INS" in line and PATIENT not in line
        await pilot.press("c")
        await settle(app, pilot)
        app.screen.query_one("#compose-to", Input).value = f"{PATIENT}, dr.durand@chu-test.mssante.fr"
        await pilot.pause(0.6)
        await settle(app, pilot)
        shown = str(app.screen.query_one("#compose-recipients", Static).render())
        assert f"DUPONT Jeanne · INS {INS}" in shown
        assert "un patient et un confrère dans la même lettre" in shown


async def test_end_of_conversation_and_mixing_need_the_doctor(mailroom: FakeMailroom) -> None:
    with_a_patient(mailroom)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        app.screen.query_one("#compose-to", Input).value = f"{PATIENT}, dr.durand@chu-test.mssante.fr"
        app.screen.query_one("#compose-subject", Input).value = "Résultats"
        await pilot.pause(0.6)
        await settle(app, pilot)
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        assert "Fin de la conversation" in str(app.screen.query_one("#compose-recipients", Static).render())
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert mailroom.sent == []  # asked first
        await pilot.press("o")
        await settle(app, pilot)
        (draft,) = mailroom.sent
        assert draft.end_conversation and draft.confirm_mixed and PATIENT in draft.to


async def test_the_reader_names_the_patient(mailroom: FakeMailroom) -> None:
    with_a_patient(mailroom)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        msg_list.cursor = next(i for i, s in enumerate(msg_list.rows) if s.id == "m-patient")
        await pilot.press("enter")
        await settle(app, pilot)
        headers = text_of(app, "#reader-headers")
        assert f"◆ DUPONT Jeanne · INS {INS} <{PATIENT}>" in headers
