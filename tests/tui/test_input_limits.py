"""A file given to a command (or the composer) that is huge, endless (/dev/zero), a FIFO with no writer or a
folder: one French line saying what is wrong and what to do, exit code not 0, never a hang nor gigabytes held
('erreur interne (MemoryError)' for `missive parse /dev/zero` before). Each kind has its limit
(core.inputfile.LIMITS, README); a sparse file one byte over it is refused before a byte is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.errors import BadInput, NotFound
from core.inputfile import LIMITS, read_input, read_stream
from tests.tui.test_cli_bad_input import missive

MB = 1 << 20

SEND = ["send", "--to", "dr.b@exemple.mssante.fr", "--subject", "Avis"]
# (the command, the kind of file it reads, what the line says of a file over the limit)
COMMANDS = [
    (["parse"], "clinical", "dépasse 200 Mo : ce n'est pas un document clinique que missive sait lire"),
    (["keys", "import"], "keys", "dépasse 10 Mo : ce n'est ni un certificat ni un fichier .p12"),
    (["keys", "add-cert"], "keys", "dépasse 10 Mo : ce n'est ni un certificat ni un fichier .p12"),
    (["keys", "trust"], "keys", "dépasse 10 Mo : ce n'est ni un certificat ni un fichier .p12"),
    (["trust", "import-whitelist"], "whitelist", "dépasse 20 Mo : ce n'est pas la liste blanche MSSanté"),
    (["smime", "verify"], "message", "dépasse 64 Mo : trop gros pour un message MSSanté"),
    (["patients", "import"], "patients", "dépasse 64 Mo : ce n'est pas une liste de patients"),
    (SEND + ["--body-file"], "message", "dépasse 64 Mo : trop gros pour un message MSSanté"),
    (SEND + ["--body-file", "{body}", "--attach"], "attachment", "dépasse 25 Mo : trop gros pour un message MSSanté"),
]
IDS = [" ".join(c[0][:2]) + (" attach" if "--attach" in c[0] else "") for c in COMMANDS]


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("limits") / "profil"
    assert missive("init", profile=folder)[0] == 0
    (folder.parent / "corps.txt").write_text("Cher confrère,\n", encoding="utf-8")  # a letter's text
    return folder


def _run(profile: Path, command: list[str], target: Path) -> tuple[int, str, str]:
    body = str(profile.parent / "corps.txt")
    return missive(*(body if arg == "{body}" else arg for arg in command), str(target), profile=profile)


def _said(code: int, out: str, err: str) -> str:
    """The one line a failing command writes (parse reports on standard output, the others on errors)."""
    assert code != 0, (out, err)
    text = err or out
    assert text.count("\n") == 1 and "Traceback" not in text and "erreur interne" not in text, text
    return text


@pytest.mark.parametrize("command, kind, said", COMMANDS, ids=IDS)
def test_a_file_one_byte_over_its_kinds_limit_is_refused_in_one_line(profile, tmp_path, command, kind, said):
    huge = tmp_path / "donnees.bin"
    with huge.open("wb") as file:
        file.truncate(LIMITS[kind] + 1)  # sparse: nothing written, nothing read
    line = _said(*_run(profile, command, huge))
    assert f"donnees.bin {said}" in line


# parse reads every file of a folder on purpose (tests/tui/test_cli_bad_input.py): no folder case for it
ENDLESS = [
    pytest.param(c[0], what, id=f"{what}-{name}")
    for c, name in zip(COMMANDS, IDS, strict=True)
    for what in ("/dev/zero", "fifo", "folder")
    if not (c[0] == ["parse"] and what == "folder")
]


@pytest.mark.parametrize("command, what", ENDLESS)
def test_an_endless_file_a_fifo_or_a_folder_is_one_line(profile, tmp_path, command, what):
    if what == "fifo":
        target = tmp_path / "tube"
        os.mkfifo(target)  # no writer: opening it to read would wait for ever
        expected = "tube n'est pas un fichier ordinaire (périphérique, tube ou prise) : donnez le chemin"
    elif what == "folder":
        target = tmp_path / "dossier"
        target.mkdir()
        (target / "a.hpr").write_text("x")
        expected = "dossier est un dossier : donnez un fichier"
    else:
        target = Path(what)
        expected = "zero n'est pas un fichier ordinaire (périphérique, tube ou prise)"
    line = _said(*_run(profile, command, target))
    assert expected in line


def test_nothing_stored_changes_when_the_patient_list_is_refused(profile, tmp_path):
    code, out, _ = missive("patients", "list", "--json", profile=profile)
    before = out
    os.mkfifo(tmp_path / "patients.csv")
    assert missive("patients", "import", str(tmp_path / "patients.csv"), profile=profile)[0] != 0
    assert missive("patients", "list", "--json", profile=profile)[1] == before


def test_the_reader_reads_a_file_at_its_limit_and_refuses_one_byte_more(tmp_path):
    at = tmp_path / "cert.p12"
    at.write_bytes(b"k" * LIMITS["keys"])
    assert len(read_input(at, "keys")) == LIMITS["keys"]
    with at.open("ab") as file:
        file.write(b"k")
    with pytest.raises(BadInput, match="cert.p12 dépasse 10 Mo"):
        read_input(at, "keys")
    with pytest.raises(NotFound, match="absent.p12 : fichier introuvable"):
        read_input(tmp_path / "absent.p12", "keys")


def test_standard_input_is_read_no_further_than_the_limit() -> None:
    class Endless:
        given = 0

        def read(self, n: int) -> bytes:
            self.given += n
            return b"\0" * n

    endless = Endless()
    with pytest.raises(BadInput, match="l'entrée standard dépasse 64 Mo"):
        read_stream(endless, "message")
    assert endless.given == LIMITS["message"] + 1  # never more than one byte over


@pytest.mark.parametrize("what", ["huge", "fifo", "/dev/zero"])
async def test_the_composer_refuses_a_huge_file_or_a_fifo_in_one_toast(mailroom, tmp_path, what) -> None:
    from textual.widgets import Input

    from tests.tui.conftest import settle
    from tests.tui.test_flows import until
    from tui.app import MissiveApp

    if what == "huge":
        target = tmp_path / "scanner.pdf"
        with target.open("wb") as file:
            file.truncate(LIMITS["attachment"] + 1)
        expected = "scanner.pdf dépasse 25 Mo : trop gros pour un message MSSanté ; envoyez un fichier plus petit"
    elif what == "fifo":
        target = tmp_path / "tube"
        os.mkfifo(target)
        expected = "tube n'est pas un fichier ordinaire"
    else:
        target, expected = Path(what), "zero n'est pas un fichier ordinaire"
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        await pilot.press("ctrl+o")
        app.screen.query_one("#compose-attach-path", Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: any(expected in str(n.message) for n in app._notifications), "the toast")
        assert not app.screen.query_one("#compose-attachments").display  # nothing attached


async def test_the_list_marks_a_letter_kept_without_its_body(mailroom) -> None:
    """The core's too_big (over the account's size limit: its headers only) is said before the subject, at
    80x24, and an ordinary letter carries no such mark."""
    import datetime as dt

    from core.model import MessageSummary
    from tests.tui.conftest import settle
    from tests.tui.fakes import BASE, DOCTOR
    from tui.app import MissiveApp
    from tui.widgets.message_list import MessageList

    mailroom.messages.items["m-big"] = MessageSummary(
        "m-big", "cabinet", "INBOX", 9, "<big@test>", "imagerie@chu-test.mssante.fr", (DOCTOR,),
        "Scanner thoracique", BASE + dt.timedelta(hours=1), size=73 * MB, too_big=True,
    )  # fmt: skip
    mailroom.messages.raw["m-big"] = b"From: imagerie@chu-test.mssante.fr\r\nSubject: Scanner thoracique\r\n\r\n"
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert msg_list.rows[0].id == "m-big"
        rows = ["".join(seg.text for seg in msg_list.render_line(y)._segments) for y in range(2)]
        assert "[trop gros, 73 Mo] Scanner" in rows[0]
        assert "trop gros" not in rows[1]
