"""The set-up assistant, keyboard only at 80x24: one pilot test per step (the account step, which needs the
mail servers and the PSC stand-in, is in tests/auth/test_setup_account.py) and a snapshot per screen."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from core.mailroom import Mailroom
from core.store.profile import Profile
from tests.tui.test_flows import text_of, until
from tui.app import MissiveApp
from tui.panes.setup import SetupScreen

PASS = "correct horse battery staple"


def step_of(app: MissiveApp) -> str:
    from textual.widgets import ContentSwitcher

    return str(app.screen.query_one("#setup-steps", ContentSwitcher).current)


async def _type(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char if char != " " else "space")


@pytest.fixture
def mailroom(tmp_path: Path) -> Mailroom:
    return Mailroom.create(tmp_path / "profile", PASS)


async def _at(pilot, app: MissiveApp, step: str) -> None:
    await until(pilot, lambda: app.main is not None and app.screen is app.main, "the inbox")
    await app.push_screen(SetupScreen(mailroom=app.mailroom))
    await until(pilot, lambda: isinstance(app.screen, SetupScreen), "the assistant")
    while step_of(app) != step:
        await pilot.press("escape")
        await pilot.pause()


async def test_first_start_passphrase_twice_with_strength(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    app = MissiveApp(profile, setup=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SetupScreen), "the assistant")
        assert "étape 1/6 : phrase de passe" in text_of(app, "#setup-title")
        await pilot.press("escape")  # cannot skip: no profile without a passphrase
        assert "nécessaire pour créer le profil" in text_of(app, "#setup-message")
        await _type(pilot, "abc")
        assert "Solidité : très faible" in text_of(app, "#strength")
        await pilot.press("enter")
        await _type(pilot, "abc")
        await pilot.press("enter")
        assert "allongez-la" in text_of(app, "#setup-message") and not Profile.exists(profile)
        app.screen.query_one("#pass1").value = ""
        app.screen.query_one("#pass1").focus()
        await _type(pilot, PASS)
        assert "très bonne" in text_of(app, "#strength")
        await pilot.press("enter")
        await _type(pilot, PASS + "x")
        await pilot.press("enter")
        assert "diffèrent" in text_of(app, "#setup-message") and not Profile.exists(profile)
        await _type(pilot, PASS)
        await pilot.press("enter")
        await until(pilot, lambda: step_of(app) == "account", "the account step", 60)
        assert Profile.exists(profile) and "Profil chiffré créé" in text_of(app, "#setup-message")
        for _ in range(4):  # skip the rest: into the inbox of the new profile
            await pilot.press("escape")
            await pilot.pause()
        await pilot.press("escape")
        await until(pilot, lambda: app.main is not None and app.screen is app.main, "the inbox")
        await pilot.press("ctrl+q")
    Mailroom.open(profile, PASS)  # the phrase typed twice opens it


async def test_smime_identity_import(mailroom: Mailroom, tmp_path: Path) -> None:
    from tests.servers.pki import TestCA

    p12 = tmp_path / "moi.p12"
    p12.write_bytes(TestCA(tmp_path / "ca").client_p12("dr.moi@cabinet.mssante.fr", "secret-p12"))
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, app, "smime")
        await _type(pilot, str(p12))
        await pilot.press("enter")
        await _type(pilot, "faux")
        await pilot.press("enter")
        assert "mot de passe du .p12 est faux" in text_of(app, "#setup-message")
        assert step_of(app) == "smime"
        await _type(pilot, "secret-p12")  # the field was not cleared: retype after selecting all
        app.screen.query_one("#smime-password").value = "secret-p12"
        await pilot.press("enter")
        await until(pilot, lambda: step_of(app) == "filing", "the next step")
        assert "Identité S/MIME importée : dr.moi@cabinet.mssante.fr" in text_of(app, "#setup-message")
    assert mailroom.keys.own_identity() is not None


async def test_practice_software_folder_checked_then_saved(mailroom: Mailroom, tmp_path: Path) -> None:
    folder = tmp_path / "import"
    folder.mkdir()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, app, "filing")
        await pilot.press("enter", "down", "down", "enter")  # the preset list: the third one (AlmaPro)
        await pilot.press("tab")
        await _type(pilot, str(tmp_path / "absent"))
        await pilot.press("enter")
        assert "n'existe pas" in text_of(app, "#setup-message") and step_of(app) == "filing"
        app.screen.query_one("#filing-folder").value = str(folder)
        await pilot.press("enter")
        await until(pilot, lambda: step_of(app) == "patients", "the next step")
        assert "un fichier de test y a été écrit puis supprimé" in text_of(app, "#setup-message")
    assert list(folder.iterdir()) == []  # the test file is gone
    settings = mailroom.profile.reload_settings()
    assert settings.filing.preset == "almapro" and settings.filing.folder == str(folder)
    assert "# the practice software's import folder" in (mailroom.profile.path / "profile.toml").read_text()


async def test_patients_csv_first_lines_and_mapping(mailroom: Mailroom, tmp_path: Path) -> None:
    csv = tmp_path / "patients.csv"
    csv.write_text(
        "Numéro;Nom;Prénoms;Date de naissance;Sexe;Ville\n"
        "P1;MARTIN;Jeanne Marie;12/03/1961;F;Pau\n"
        "P2;DURAND;Paul;01/01/1950;M;Tarbes\n",
        "utf-8",
    )
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, app, "patients")
        await _type(pilot, str(csv))
        await pilot.press("enter")
        preview = text_of(app, "#patients-preview")
        assert "Numéro | Nom | Prénoms" in preview and "P1 | MARTIN" in preview
        assert (
            "Numéro → id" in preview
            and "Nom → birth_name" in preview
            and "Date de naissance → birth_date" in preview
        )
        assert app.screen.query_one("#patients-map").has_focus
        await pilot.press("enter")
        await until(pilot, lambda: step_of(app) == "notify", "the next step")
        assert "2 patients importés" in text_of(app, "#setup-message")
    assert len(mailroom.patients) == 2


async def test_the_wizard_says_one_person_under_two_ids(mailroom: Mailroom, tmp_path: Path) -> None:
    """The practice software's duplicate (P1 and P9, same traits) was imported silently: the wizard now says the
    pair after the count, both records imported."""
    csv = tmp_path / "patients.csv"
    csv.write_text(
        "Numéro;Nom;Prénoms;Date de naissance;Sexe\n"
        "P1;MARTIN;Jeanne Marie;12/03/1961;F\n"
        "P2;DURAND;Paul;01/01/1950;M\n"
        "P9;Martin;JEANNE MARIE;1961-03-12;F\n",
        "utf-8",
    )
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, app, "patients")
        await _type(pilot, str(csv))
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.query_one("#patients-map").has_focus, "the mapping field")
        await pilot.press("enter")
        await until(pilot, lambda: step_of(app) == "notify", "the next step")
        said = text_of(app, "#setup-message")
        assert "3 patients importés" in said and "dossiers P1 et P9 : mêmes nom de naissance" in said, said
    assert len(mailroom.patients) == 3


async def test_notifications_test_push_then_saved(mailroom: Mailroom) -> None:
    received: list[bytes] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    app = MissiveApp(mailroom=mailroom)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await _at(pilot, app, "notify")
            await pilot.press("enter", "down", "enter")  # webhook
            await pilot.press("tab")
            await _type(pilot, url)
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, SetupScreen), "the assistant closed")
    finally:
        server.shutdown()
    assert json.loads(received[0])["text"] == "missive : notification de test (rien à faire)"
    settings = mailroom.profile.reload_settings()
    assert settings.notifications.kind == "webhook" and settings.notifications.url == url


async def test_every_step_can_be_skipped_and_nothing_is_saved(mailroom: Mailroom) -> None:
    before = (mailroom.profile.path / "profile.toml").read_text()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, app, "account")
        app.screen.query_one("#email").value = "dr@exemple.fr"  # typed, never validated
        for _ in range(5):
            await pilot.press("escape")
            await pilot.pause()
        await until(pilot, lambda: not isinstance(app.screen, SetupScreen), "back in the app")
    assert mailroom.accounts.names() == [] and (mailroom.profile.path / "profile.toml").read_text() == before


# ------------------------------------------------------------------------------------------- snapshots
def _snap_app(tmp_path: Path, step: str) -> MissiveApp:
    if step == "passphrase":
        return MissiveApp(tmp_path / "new-profile", setup=True)
    return MissiveApp(mailroom=Mailroom.create(tmp_path / "profile", PASS))


def _to(step: str):
    async def run_before(pilot) -> None:
        app = pilot.app
        if step != "passphrase":
            await _at(pilot, app, step)
        await until(pilot, lambda: isinstance(app.screen, SetupScreen), "the assistant")
        for widget in app.screen.query("Input"):
            widget.cursor_blink = False
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("step", ["passphrase", "account", "smime", "filing", "patients", "notify"])
def test_setup_screens_at_80x24(snap_compare, tmp_path: Path, step: str) -> None:
    assert snap_compare(_snap_app(tmp_path, step), terminal_size=(80, 24), run_before=_to(step))


async def test_the_palette_opens_the_assistant_later(mailroom: Mailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.main is not None and app.screen is app.main, "the inbox")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await _type(pilot, "Assistant de configuration")
        await pilot.pause(1.0)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen), "the assistant", 10)
        assert step_of(app) == "account" and "étape 1/5 : compte de messagerie" in text_of(app, "#setup-title")


async def test_ctrl_c_in_the_assistant_says_how_to_quit(tmp_path: Path) -> None:
    """The first screen a new user sees: ctrl+c said nothing there (as at the unlock screen)."""
    app = MissiveApp(tmp_path / "profile", setup=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SetupScreen), "the assistant")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert any("ctrl+q pour quitter" in n.message for n in app._notifications)
        assert isinstance(app.screen, SetupScreen)


async def test_tab_moves_between_the_fields_at_first_start(tmp_path: Path) -> None:
    """Before the profile exists the app refused every action but quitting, Tab's focus_next included: at the
    first start, Tab after the passphrase left the caret in it, and the confirmation went into the same field
    (seen by hand in tmux)."""
    app = MissiveApp(tmp_path / "profile", setup=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SetupScreen), "the assistant")
        await _type(pilot, "abc")
        await pilot.press("tab")
        await _type(pilot, "de")
        assert app.screen.query_one("#pass1").value == "abc"
        assert app.screen.query_one("#pass2").value == "de"
        await pilot.press("shift+tab")
        assert app.focused is app.screen.query_one("#pass1")


async def test_no_server_found_says_what_to_do_from_the_assistant(
    mailroom: Mailroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The assistant showed the core's command-line advice ("donnez --imap et --smtp") where no flag can be given."""
    from core.mail.autoconfig import Found

    async def nothing_found(email: str) -> Found:
        return Found(email=email)

    monkeypatch.setattr(mailroom, "autoconfigure", nothing_found)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, app, "account")
        await _type(pilot, "alice@missive.test")
        await pilot.press("enter")
        await until(pilot, lambda: "Aucun serveur" in text_of(app, "#setup-message"), "the line")
        said = " ".join(text_of(app, "#setup-message").split())
        assert said == (
            "Aucun serveur utilisable trouvé pour missive.test (essais ci-dessus). Échap passe cette étape ; "
            "puis, dans un terminal : missive account add cabinet --email alice@missive.test --imap HÔTE:PORT "
            "--smtp HÔTE:PORT"
        )
        await pilot.press("escape")  # and the step is skipped, nothing saved
        await until(pilot, lambda: step_of(app) != "account", "the next step")
    assert mailroom.accounts.names() == []


async def test_a_patients_file_with_brackets_is_previewed_as_text(mailroom: Mailroom, tmp_path: Path) -> None:
    """The preview shows the file's rows: a '[/]' or '[b]' in them was Textual markup (MarkupError ended the
    assistant; '[b]' vanished)."""
    csv = tmp_path / "patients.csv"
    csv.write_text(
        "Numéro;Nom;Prénoms;Date de naissance;Sexe;Ville\nP1;MARTIN [/];Jeanne [b];12/03/1961;F;Pau\n", "utf-8"
    )
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, app, "patients")
        await _type(pilot, str(csv))
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running
        assert "MARTIN [/] | Jeanne [b]" in text_of(app, "#patients-preview")


async def test_a_domain_that_does_not_exist_is_said_to_be_a_likely_typo(
    mailroom: Mailroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'dr@cabinet-mssante.fr' for 'dr@cabinet.mssante.fr': every usual name failed 'introuvable' and the line
    said no server was found and to give the servers by hand; the domain itself does not exist, which the core
    now says, so the doctor fixes the address on this screen."""
    from core.mail.autoconfig import Found

    async def unknown(email: str) -> Found:
        return Found(email=email, domain_unknown=True)

    monkeypatch.setattr(mailroom, "autoconfigure", unknown)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, app, "account")
        await _type(pilot, "alice@cabinet-mssante.fr")
        await pilot.press("enter")
        await until(pilot, lambda: "n'existe pas" in text_of(app, "#setup-message"), "the line")
        said = " ".join(text_of(app, "#setup-message").split())
        assert said == (
            "le domaine cabinet-mssante.fr n'existe pas (aucun de ses serveurs n'est connu du DNS) : vérifiez "
            "l'adresse, une faute de frappe est probable"
        )
    assert mailroom.accounts.names() == []
