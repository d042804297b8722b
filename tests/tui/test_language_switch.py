"""The brief's 'change language' had no way in the app: only editing profile.toml or starting with --lang. The
palette's Langue writes the other language to profile.toml and says it takes effect at the next start."""

from __future__ import annotations

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import until
from tui.app import MissiveApp


async def test_the_palette_switches_the_language_for_the_next_start() -> None:
    for lang, other, said in (
        ("fr", "en", "Langue : anglais au prochain démarrage de missive (profile.toml)"),
        ("en", "fr", "Language: French at missive's next start (profile.toml)"),
    ):
        mailroom = FakeMailroom()
        mailroom.save_settings({"": {"language": lang}})
        app = MissiveApp(mailroom=mailroom, lang=lang)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            await pilot.press("ctrl+p", *("Langue" if lang == "fr" else "Language"))
            await settle(app, pilot)
            await pilot.press("enter")
            await until(pilot, lambda: mailroom.settings.language == other, "the language written")  # noqa: B023
            await settle(app, pilot)
            assert [str(n.message) for n in app._notifications if "(profile.toml)" in str(n.message)] == [said]
            # a second Langue before the next start takes the switch back
            await pilot.press("ctrl+p", *("Langue" if lang == "fr" else "Language"))
            await settle(app, pilot)
            await pilot.press("enter")
            await until(pilot, lambda: mailroom.settings.language == lang, "the switch taken back")  # noqa: B023
