"""Issue 16 in the app: F1 opens help, the theme chosen is remembered (the user's config
file; per tracker user in service mode), ASCII glyphs under --ascii."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.screens.factory import make_app
from tests.screens.pilot import settle
from tracker import glyphs
from tracker.app import TrackerApp
from tracker.screens.help import HelpScreen
from tracker.storage.config import Personal
from tracker.storage.store import Store


async def test_f1_opens_help(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_the_theme_chosen_is_written_to_the_users_config_and_read_back(
        demo_db: Path, tmp_path: Path) -> None:
    config = tmp_path / "config" / "tracker" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('language = "en"\n\n[mail]\nhost = "mail.example.org"\n', "utf-8")
    app = TrackerApp(Store(demo_db), lang="en", config_file=config)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.theme = "ansi-dark"  # what the palette's theme picker sets
        await settle(pilot)
    kept = tomllib.loads(config.read_text("utf-8"))
    assert kept == {"language": "en", "theme": "ansi-dark",
                    "mail": {"host": "mail.example.org"}}
    again = TrackerApp(Store(demo_db), lang="en", theme=kept["theme"], config_file=config)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert again.theme == "ansi-dark"


async def test_in_service_mode_the_theme_is_each_tracker_users_own(
        demo_db: Path, own_state_dir: Path) -> None:
    for user, theme in (("li", "ansi-dark"), ("wang", "nord")):
        store = Store(demo_db)
        store.user = user
        app = TrackerApp(store, lang="en", service=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            app.theme = theme
            await settle(pilot)
    assert Personal("li").get("theme") == "ansi-dark"
    assert Personal("wang").get("theme") == "nord"
    store = Store(demo_db)
    store.user = "li"
    app = TrackerApp(store, lang="en", service=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "ansi-dark"


async def test_ascii_mode_draws_no_ambiguous_glyph(demo_db: Path) -> None:
    app = TrackerApp(Store(demo_db), lang="en", ascii_mode=True)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("3")  # recommendations: bars
            await settle(pilot)
            screen = app.export_screenshot()
        for glyph in "◐●█░▒▓":
            assert glyph not in screen, glyph
    finally:
        glyphs.use_ascii(False)
