"""Importing from the app: ctrl+p, the file, the review of what changes, yes."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import Input, Static

from tests.screens.factory import make_app
from tests.screens.pilot import Notices, settle
from tests.screens.test_app import text_of
from tracker.screens.forms import TextForm
from tracker.screens.imports import ImportReview


async def _import_through_palette(pilot, path: Path) -> None:
    await pilot.press("ctrl+p")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*"Import county")
    await settle(pilot)  # the palette searches its providers in a worker
    assert pilot.app.screen.query_one(CommandList).highlighted == 0
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TextForm)
    pilot.app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")
    await settle(pilot)


async def test_palette_import_reviews_then_applies(demo_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "绥中.csv"
    path.write_text("县区,日期,档案馆人员\n绥中县,2019-06-20,99\n", encoding="utf-8")
    app = make_app(demo_db)
    notices = Notices()
    async with app.run_test(size=(120, 40), message_hook=notices) as pilot:
        await settle(pilot)
        old = app.view.latest("211421", "staff").value
        await _import_through_palette(pilot, path)
        assert isinstance(app.screen, ImportReview)
        shown = text_of(app.screen.query_one("#import-lines", Static))
        assert f"211421 Suizhong County · Archives staff · 2019-06-20: {old} → 99" in shown
        assert app.view.latest("211421", "staff").value == old  # nothing yet
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(app.screen, ImportReview)
        assert app.view.latest("211421", "staff").value == 99
        assert any("1 value(s) imported from 绥中.csv" in m for m in notices.messages)


async def test_palette_import_shows_problems_and_writes_nothing(demo_db: Path,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("county,date,staff\n211421,2021-02-28,[bold]x[/]\n", encoding="utf-8")
    before = demo_db.read_bytes(), demo_db.with_name(demo_db.name + ".history").read_bytes()
    app = make_app(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _import_through_palette(pilot, path)
        assert isinstance(app.screen, ImportReview)
        shown = text_of(app.screen.query_one("#import-lines", Static))
        assert "bad.csv: row 2, column C (staff): '[bold]x[/]' is not a whole number" in shown
        await pilot.press("y")  # nothing to apply: y does nothing
        await settle(pilot)
        assert isinstance(app.screen, ImportReview)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ImportReview)
    after = demo_db.read_bytes(), demo_db.with_name(demo_db.name + ".history").read_bytes()
    assert after == before
