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
    assert _title(table) == "2 marked: s, o, d, x or z changes them all (Space unmarks)"
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
        assert _title(table).startswith("3 marked:")


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


# -- a document follow-up carries its file ---------------------------------------------------
async def test_a_document_follow_up_carries_a_file_listed_on_the_task(
        demo_db: Path, tmp_path: Path) -> None:
    import hashlib

    from textual.widgets import OptionList

    from tracker.screens.forms import FollowupForm

    document = tmp_path / "安全责任书.pdf"
    document.write_bytes(b"%PDF-1.4 signed agreement")
    app = make_app(demo_db, start="211421-2.5", lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FollowupForm)
        form.query_one("#outcome", Input).value = "agreement received"
        form.query_one("#attachment", Input).value = str(document)
        form.query_one("#outcome", Input).focus()
        await pilot.press("enter")  # kind "call": a file is for a document
        await settle(pilot)
        assert app.screen is form
        assert "document" in str(form.query_one(".form-error", Static).render())
        form.query_one("#kind", OptionList).highlighted = 2  # document
        form.query_one("#outcome", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, FollowupForm)
        attach = _journal(demo_db)[-1]
        assert attach["type"] == "attach"
        count = attach["txn"][1]  # one write: the follow-up, its next date, the file
        written = _journal(demo_db)[-count:]
        assert written[0]["type"] == "followup" and written[0]["txn"] == [1, count]
        assert written[0]["new"]["kind"] == "document"
        sha = hashlib.sha256(document.read_bytes()).hexdigest()
        assert attach["new"]["sha256"] == sha and attach["new"]["name"] == "安全责任书.pdf"
        shown = str(app.screen.query_one("#task-timeline", Static).render())
        assert "安全责任书.pdf" in shown and sha[:12] in shown


async def test_in_service_mode_the_follow_up_form_takes_no_path(demo_db: Path) -> None:
    from tests.screens.factory import Clock
    from tracker.app import TrackerApp
    from tracker.screens.forms import FollowupForm
    from tracker.storage.store import Store

    app = TrackerApp(Store(demo_db, clock=Clock()), lang="en", start="211421-2.5",
                     service=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FollowupForm)
        assert not app.screen.query("#attachment")
