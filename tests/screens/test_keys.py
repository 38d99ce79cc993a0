"""Keys a user types, from the review of the screens at 80x24: the `/` filter, moving
from it to the table, reaching every panel, working the follow-up queue top-down."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.screens.factory import make_app
from tests.screens.pilot import settle, until
from tests.screens.test_app import column, panel, table, text_of
from tracker.screens.base import FILTERED_ROWS, MAX_ROWS
from tracker.screens.counties import CountiesScreen


def status_text(app, selector: str) -> str:
    return text_of(app.screen.query_one(selector))


async def test_history_filter_shows_all_rows_once_left(demo_db: Path) -> None:
    """While typed, a filter shows FILTERED_ROWS rows; Enter leaves the field and shows up
    to MAX_ROWS, and the hint says to narrow the filter, not to press `/`."""
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("slash", *"2019-05")  # some 470 events
        await settle(pilot)
        assert table(app, "#history").row_count == FILTERED_ROWS
        status = status_text(app, "#history-status")
        found = int(status.split(":")[1].split()[0])
        assert found > MAX_ROWS
        assert f"{found - FILTERED_ROWS} more: narrow the filter" in status
        assert "/" not in status
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is table(app, "#history")
        assert table(app, "#history").row_count == MAX_ROWS
        status = status_text(app, "#history-status")
        assert f"{found - MAX_ROWS} more: narrow the filter" in status and "/" not in status
        await pilot.press("escape")  # back to the dashboard; the unfiltered hint says `/`
        await pilot.press("5")
        await settle(pilot)
        assert "type / to narrow" in status_text(app, "#history-status")


async def test_counties_filter_left_with_tab_shows_all_matches(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("slash", "n")
        await settle(pilot)
        matching = [r for r in app.screen.rows()]
        assert len(matching) > FILTERED_ROWS
        assert table(app, "#counties").row_count == FILTERED_ROWS
        await pilot.press("tab")
        await settle(pilot)
        assert app.focused is table(app, "#counties")
        assert table(app, "#counties").row_count == len(matching)


async def test_task_list_filter_left_with_down_shows_all_matches(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "enter")  # recommendation 1.1: 100 county tasks
        await settle(pilot)
        await pilot.press("slash", "n")
        await settle(pilot)
        assert table(app, "#rec-tasks").row_count == FILTERED_ROWS
        await pilot.press("down")
        await settle(pilot)
        assert app.focused is table(app, "#rec-tasks")
        assert table(app, "#rec-tasks").row_count > FILTERED_ROWS


async def test_down_then_enter_from_the_filter_opens_the_match(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "slash", *"绥中")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CountyScreen"
        assert app.screen.code == "211421"


async def test_enter_in_the_filter_puts_the_cursor_on_the_first_match(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("slash", *"huludao", "enter", "down", "down")
        await settle(pilot)
        assert table(app, "#counties").cursor_row == 2
        await pilot.press("slash")  # the filter again, its text kept
        await settle(pilot)
        first = column(app, "#counties", "code")[0]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CountiesScreen)
        assert app.focused is table(app, "#counties")
        assert table(app, "#counties").cursor_row == 0
        assert app.screen.query_one("#filter", Input).value == "huludao"
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CountyScreen"
        assert app.screen.code == first


def in_view(app, widget) -> bool:
    """The widget's top row is on the terminal (below the header, above the footer)."""
    return 1 <= widget.region.y < app.size.height - 1 and widget.region.height > 0


async def test_tab_moves_between_the_dashboard_tables_into_view(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        order = []
        for _ in range(4):
            await pilot.press("tab")
            await settle(pilot)
            order.append(app.focused.id)
            assert in_view(app, app.focused)
        assert order == ["by-rec", "matrix", "recent", "targets"]
        await pilot.press("shift+tab")
        await settle(pilot)
        assert app.focused.id == "recent" and in_view(app, app.focused)


async def test_pagedown_in_a_dashboard_table_pages_the_screen(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        scroll = app.screen.query_one("#dash-scroll")
        matrix = panel(app, "#matrix")
        assert not in_view(app, matrix) and app.focused.id == "targets"
        await pilot.press("pagedown")
        await settle(pilot)
        assert scroll.scroll_y > 0
        await pilot.press("end")  # the targets table's own key: its last row
        for _ in range(3):
            await pilot.press("pagedown")
        await settle(pilot)
        assert scroll.scroll_y == scroll.max_scroll_y
        assert in_view(app, panel(app, "#recent"))
        for _ in range(4):
            await pilot.press("pageup")
        await settle(pilot)
        assert scroll.scroll_y == 0


async def test_pagedown_on_the_county_screen_reaches_the_sparklines(demo_db: Path) -> None:
    app = make_app(demo_db, start="绥中")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        last = app.screen.query_one("#spark-staff")
        assert app.focused.id == "county-tasks" and not in_view(app, last)
        await pilot.press("pagedown")
        await settle(pilot)
        assert in_view(app, last)
        assert app.focused.id == "county-tasks"


async def test_help_lists_the_panel_keys(demo_db: Path) -> None:
    for start, lang, words in ((None, "en", ("Next table", "Page down")),
                               ("绥中", "zh", ("下一个表格", "向下翻页"))):
        app = make_app(demo_db, lang=lang, start=start)
        async with app.run_test(size=(100, 40)) as pilot:
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)
            body = text_of(app.screen.query_one("#help-body"))
            assert all(word in body for word in words), body


def queue_keys(app) -> list[str]:
    queue = table(app, "#queue")
    return [str(queue.coordinate_to_cell_key((r, 0)).row_key.value)
            for r in range(queue.row_count)]


async def test_snooze_keeps_the_cursor_on_the_row_position(demo_db: Path) -> None:
    """The overdue queue is worked top-down: after `z` on the first row the cursor is on
    the task that moved up into it, not on the snoozed one at the bottom."""
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        before = queue_keys(app)
        assert table(app, "#queue").cursor_row == 0
        await pilot.press("z")
        # the save and the reload run in workers
        await until(pilot, lambda: queue_keys(app) != before, "the snoozed row to move")
        after = queue_keys(app)
        assert after != before and after[0] == before[1]
        assert table(app, "#queue").cursor_row == 0
        await pilot.press("down", "z")  # the second row: the third task moves up
        await until(pilot, lambda: queue_keys(app) != after, "the second snoozed row to move")
        assert table(app, "#queue").cursor_row == 1
        assert queue_keys(app)[1] == after[2]


async def test_reassign_keeps_the_cursor_on_the_row_position(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("down", "down")
        first = queue_keys(app)
        task = first[2]
        await pilot.press("o")
        await settle(pilot)
        app.screen.query_one("#text", Input).value = "G05"
        await pilot.press("enter")
        await until(pilot, lambda: app.view.task(task).owner == "G05", "the reassignment")
        assert app.view.task(task).owner == "G05"
        assert table(app, "#queue").cursor_row == 2
