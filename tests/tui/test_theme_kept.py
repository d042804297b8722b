"""A theme chosen in the command palette (Thème) lasted until the app was quit: the next start was dark again,
profile.toml untouched. It is now written there (comments kept) and said in a toast; the start's own theme, or
one given with --theme, writes nothing."""

from __future__ import annotations

from pathlib import Path

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import until
from tui.app import MissiveApp


async def test_a_theme_chosen_in_the_palette_is_kept_for_the_next_start() -> None:
    mailroom = FakeMailroom()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert mailroom.settings.theme == "dark" and not any("gardé" in str(n.message) for n in app._notifications)
        await pilot.press("ctrl+p", *"Thème")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press(*"high-contrast", "enter")
        await until(pilot, lambda: mailroom.settings.theme == "high-contrast", "the theme written")
        await settle(app, pilot)
        assert app.theme == "high-contrast"
        said = [str(n.message) for n in app._notifications if "gardé" in str(n.message)]
        assert said == ["Thème « high-contrast » gardé pour les prochains démarrages (profile.toml)"]


async def test_a_theme_given_on_the_command_line_writes_nothing() -> None:
    mailroom = FakeMailroom()
    app = MissiveApp(mailroom=mailroom, theme="light")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.theme == "light" and mailroom.settings.theme == "dark"


def test_the_real_profile_keeps_the_theme_line_and_its_comment(tmp_path: Path) -> None:
    from core.mailroom import Mailroom

    Mailroom.create(tmp_path / "profile", "correct horse battery staple")
    mr = Mailroom.open(tmp_path / "profile", "correct horse battery staple")
    try:
        mr.save_settings({"": {"theme": "ansi16"}})
    finally:
        mr.close()
    lines = (tmp_path / "profile" / "profile.toml").read_text("utf-8").splitlines()
    [line] = [row for row in lines if row.startswith("theme")]
    assert line.startswith('theme = "ansi16"  # dark | light')
