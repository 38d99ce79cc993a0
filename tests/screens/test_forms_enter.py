"""Forms that do what they say (issue 13): Enter saves from any field, the follow-up form
has the day it happened; Home/End go to the first/last row of a table."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Input

from tests.screens.factory import make_app
from tests.screens.pilot import settle
from tracker.screens.datatable import Table
from tracker.screens.followups import FollowupsScreen
from tracker.screens.forms import FollowupForm

TASK = "211421-2.5"


async def _followup_form(app, pilot) -> FollowupForm:  # type: ignore[no-untyped-def]
    """`f` on the task screen, settled: the follow-up form."""
    await settle(pilot)
    await pilot.press("f")
    await settle(pilot)
    form = app.screen
    assert isinstance(form, FollowupForm)
    return form


async def test_enter_in_the_date_field_saves_the_call_on_that_day(demo_db: Path) -> None:
    app = make_app(demo_db, start=TASK)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await _followup_form(app, pilot)
        assert form.query_one("#on", Input).value == app.today().isoformat()
        form.query_one("#outcome", Input).value = "电话确认进度"
        yesterday = app.today() - timedelta(days=1)
        field = form.query_one("#on", Input)
        field.value = ""
        field.focus()
        await pilot.press(*yesterday.isoformat())
        await pilot.press("enter")  # in the date field: saves, as the hint says
        await settle(pilot)
        assert not isinstance(app.screen, FollowupForm)
        last = app.view.task(TASK).last_followup
        assert last is not None and last.outcome == "电话确认进度"
        assert last.date == yesterday


async def test_enter_on_the_kind_list_saves_once_an_outcome_is_typed(demo_db: Path) -> None:
    app = make_app(demo_db, start=TASK)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await _followup_form(app, pilot)
        await pilot.press("enter")  # no outcome yet: to the outcome, nothing saved
        await settle(pilot)
        assert app.screen is form and form.focused is form.query_one("#outcome", Input)
        await pilot.press(*"visited")
        form.query_one("#kind").focus()
        await pilot.press("down", "enter")  # the second kind, and Enter saves
        await settle(pilot)
        assert not isinstance(app.screen, FollowupForm)
        last = app.view.task(TASK).last_followup
        assert last is not None and last.outcome == "visited"
        assert last.kind.value == "visit"


async def test_home_and_end_go_to_the_first_and_last_row(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, FollowupsScreen)
        queue = app.screen.query_one("#queue", Table)
        assert queue.row_count > 2
        await pilot.press("end")
        await settle(pilot)
        assert queue.cursor_row == queue.row_count - 1
        await pilot.press("home")
        await settle(pilot)
        assert queue.cursor_row == 0
