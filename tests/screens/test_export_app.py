"""Export from the app: palette entry, the form, the file written by a worker, the note."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, OptionList

from tests.screens.factory import make_app
from tests.screens.pilot import Notices, settle
from tracker.screens.export import ExportForm


async def test_export_from_the_palette(demo_db: Path, tmp_path: Path) -> None:
    app = make_app(demo_db)
    notices = Notices()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Export a snapshot")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExportForm)
        form = app.screen
        assert form.query_one("#path", Input).value.endswith(".xlsx")  # the default
        form.query_one("#format", OptionList).focus()
        await pilot.press("up")  # xlsx -> csv ... then down twice: json
        await pilot.press("down", "down")
        await pilot.pause()
        target = tmp_path / "snapshot.json"
        assert form.query_one("#path", Input).value.endswith(".json")
        form.query_one("#path", Input).value = str(target)
        form.query_one("#path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ExportForm)
        data = json.loads(target.read_text())
        assert len(data["tasks"]) == 700 and data["provenance"]["demo"] is True
        assert data["provenance"]["as_of"] == "2019-06-26"  # the app's today: the demo's day
        assert (tmp_path / "snapshot.json.sha256").exists()
        assert any(str(target) in m and "700 tasks" in m for m in notices.messages)


async def test_export_to_a_bad_place_is_a_notification(demo_db: Path) -> None:
    app = make_app(demo_db)
    notices = Notices()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await settle(pilot)
        app.action_export()
        await settle(pilot)
        form = app.screen
        form.query_one("#path", Input).value = "/nonexistent-dir/s.xlsx"
        form.query_one("#path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert any("/nonexistent-dir/s.xlsx: cannot write" in m
                   for m in notices.of("error"))
