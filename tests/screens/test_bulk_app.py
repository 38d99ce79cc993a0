"""Marking rows and bulk changes in the task lists (issue 15): Space marks (the table's
title counts), o/s/d/x/z change every marked task after a preview, in one write."""

from __future__ import annotations

import json
from pathlib import Path

from rich.text import Text
from textual.widgets import Input, Static

from tests.screens.factory import make_app
from tests.screens.pilot import settle
from tracker.screens.bulk import BulkReview
from tracker.screens.forms import TextForm
from tracker.screens.tasks import TaskTable

COUNTY = "211421"


def _journal(db: Path) -> list[dict]:
    path = db.with_name(db.name + ".history")
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def _title(table: TaskTable) -> str:
    return table.title.plain if isinstance(table.title, Text) else ""


async def _marked_two(app, pilot) -> TaskTable:  # type: ignore[no-untyped-def]
    await settle(pilot)
    table = app.screen.query_one("#county-tasks", TaskTable)
    first, second = table.row_keys()[:2]
    await pilot.press("space", "space")
    await settle(pilot)
    assert table.marked == {first, second}
    assert _title(table) == "2 marked"
    assert table.rows[0].cells[0].plain.startswith("●")
    return table


async def test_space_marks_and_owner_applies_to_the_marked_after_a_preview(
        demo_db: Path) -> None:
    app = make_app(demo_db, start=COUNTY, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _marked_two(app, pilot)
        first, second = sorted(table.marked)
        before = len(_journal(demo_db))
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, TextForm)
        await pilot.press(*"G05", "enter")
        await settle(pilot)
        review = app.screen
        assert isinstance(review, BulkReview)
        shown = review.query_one("#import-lines", Static).render()
        text = str(shown)
        assert f"{first}: owner" in text and f"{second}: owner" in text and "→ G05" in text
        assert len(_journal(demo_db)) == before  # a preview writes nothing
        await pilot.press("y")
        await settle(pilot)
        assert {app.view.task(first).owner, app.view.task(second).owner} == {"G05"}
        written = _journal(demo_db)[before:]
        assert [e["txn"] for e in written] == [[1, 2], [2, 2]]  # one write
        assert table.marked == set() and _title(table) == ""


async def test_escape_on_the_preview_changes_nothing_and_keeps_the_marks(
        demo_db: Path) -> None:
    app = make_app(demo_db, start=COUNTY, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _marked_two(app, pilot)
        before = len(_journal(demo_db))
        await pilot.press("z")  # snooze: no form, straight to the preview
        await settle(pilot)
        assert isinstance(app.screen, BulkReview)
        await pilot.press("escape")
        await settle(pilot)
        assert len(_journal(demo_db)) == before
        assert len(table.marked) == 2
        await pilot.press("space")  # the cursor moved on: a third row is marked
        await settle(pilot)
        assert _title(table) == "3 marked"


async def test_a_due_date_later_needs_the_one_reason_for_all(demo_db: Path) -> None:
    app = make_app(demo_db, start=COUNTY, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _marked_two(app, pilot)
        marked = sorted(table.marked)
        await pilot.press("d")
        await settle(pilot)
        form = app.screen
        form.query_one("#date", Input).value = "2021-06-30"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form  # a later date: the reason is asked
        form.query_one("#reason", Input).value = "省局同意延期"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BulkReview)
        await pilot.press("enter")
        await settle(pilot)
        for task_id in marked:
            task = app.view.task(task_id)
            assert task.due is not None and task.due.isoformat() == "2021-06-30"
            assert task.due_revisions[-1].reason == "省局同意延期"
