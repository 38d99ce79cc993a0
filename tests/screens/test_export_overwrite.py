"""The app's export form asks before it replaces a file (the CLI needs --force)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from tests.screens.factory import make_app
from tracker.screens.export import ExportForm


async def _settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_an_existing_file_is_replaced_after_a_second_enter(demo_db: Path,
                                                                 tmp_path: Path) -> None:
    target = tmp_path / "kept.xlsx"
    target.write_text("a colleague's file")
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        app.action_export()
        await _settle(pilot)
        form = app.screen
        assert isinstance(form, ExportForm)
        form.query_one("#path", Input).value = str(target)
        form.query_one("#path", Input).focus()
        await pilot.press("enter")
        await _settle(pilot)
        assert app.screen is form and target.read_text() == "a colleague's file"
        warning = str(form.query_one(".form-error", Static).render())
        assert "exists" in warning and str(target) in warning
        await pilot.press("enter")
        await _settle(pilot)
        assert app.screen is not form
        assert target.read_bytes().startswith(b"PK")  # the workbook, not the old text
