"""The light tables (dashboard panels, counties, task lists) and the one-line footer, as
a user works them: arrows, Enter, a cell cursor, scrolling under a fixed header, pages,
clicks on rows and on footer keys."""

from __future__ import annotations

import re
from pathlib import Path

from tests.screens.factory import make_app
from tests.screens.pilot import settle
from tests.screens.test_app import panel
from tracker.domain.commands import SetFields
from tracker.screens.counties import CountiesScreen
from tracker.screens.linetable import LineTable
from tracker.screens.recommendations import RecommendationScreen
from tracker.screens.widgets import Footer
from tracker.storage.store import Store


async def open_counties(pilot) -> LineTable:
    await pilot.press("2")
    await settle(pilot)
    return pilot.app.screen.query_one("#counties", LineTable)


def line(table: LineTable, y: int) -> str:
    """The text of the table's line ``y`` as drawn on screen."""
    return table.render_line(y).text


async def test_matrix_cell_opens_that_recommendation_for_that_prefecture(
        demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        matrix = panel(app, "#matrix")
        matrix.focus()
        await settle(pilot)
        await pilot.press("right", "right", "down", "down", "down")
        await settle(pilot)
        assert (matrix.cursor_row, matrix.cursor_column) == (3, 2)
        plan = app.view.plan
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecommendationScreen)
        assert app.screen.rec_id == plan.recommendations[1].id
        assert app.screen.prefecture == plan.prefectures[3].code


async def test_a_long_list_scrolls_under_its_header(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        counties = await open_counties(pilot)
        last = app.view.plan.counties[-1].code
        assert counties.row_count == 100 and last not in counties.render_line(20).text
        await pilot.press("end")
        await settle(pilot)
        assert counties.cursor_row == 99 and counties.scroll_y == counties.max_scroll_y > 0
        assert line(counties, 0).split()[0] == "Code"  # the header stays
        assert last in line(counties, counties.size.height - 1)
        await pilot.press("home", "pagedown")
        await settle(pilot)
        body = counties.size.height - 1
        assert counties.cursor_row == body  # a page down: the first row of the next page
        assert line(counties, 1).split()[0] == counties.rows[1].key  # scrolled by one


async def test_a_click_on_a_row_opens_it(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        counties = await open_counties(pilot)
        third = counties.rows[2].key
        await pilot.click("#counties", offset=(3, 3))  # line 0 is the header
        await settle(pilot)
        assert type(app.screen).__name__ == "CountyScreen" and app.screen.code == third


async def test_a_panel_keeps_its_cursor_when_its_rows_change(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        by_rec = panel(app, "#by-rec")
        by_rec.focus()
        await pilot.press("down", "down")
        await settle(pilot)
        key = by_rec.cursor_key
        by_rec.set_rows([(row.key, row.cells) for row in reversed(by_rec.rows)])
        assert by_rec.cursor_key == key and by_rec.cursor_row == by_rec.row_count - 3


async def test_footer_keys_are_there_from_the_first_frame_and_clickable(
        demo_db: Path) -> None:
    app = make_app(demo_db)
    frames: list[str] = []
    display = app._display

    def recorded(screen, renderable) -> None:  # each frame, as the terminal gets it
        display(screen, renderable)
        if renderable is not None and hasattr(renderable, "render_segments"):
            frames.append(re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]", "",
                                 renderable.render_segments(app.console)))

    app._display = recorded
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        first = frames[0]
        assert "Targets" in first  # the dashboard's first frame, footer keys in it
        assert "Dashboard" in first and "Counties" in first and "commands" in first
        footer = app.screen.query_one(Footer)
        start = next(k[0] for k in footer._keys if k[2] == "2")
        await pilot.click(Footer, offset=(start + 1, 0))
        await settle(pilot)
        assert isinstance(app.screen, CountiesScreen)
        # More keys than fit at 80 columns: the palette's key stays at the right.
        text = app.screen.query_one(Footer).render().plain
        assert "Filter" in text and text.rstrip().endswith("commands")


async def test_a_wide_list_keeps_its_cursor_above_the_sideways_scroll_bar(
        demo_db: Path) -> None:
    """At 80 columns a recommendation's tasks are wider than the screen: the rows end
    above the horizontal scroll bar, the cursor's row stays on them, and Left/Right
    scroll sideways (the flags column is then in full)."""
    # Overdue tasks (on the demo's day none is yet: their due dates are 2020-12-31).
    Store(demo_db).apply(*(SetFields(f"{code}-1.1", {"due": "2019-06-01"})
                           for code in ("210102", "210103", "210104")))
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        tasks = app.screen.query_one("#rec-tasks", LineTable)
        assert tasks.virtual_size.width > tasks.scrollable_content_region.width
        shown = tasks.scrollable_content_region.height - 1  # rows under the header
        for _ in range(shown + 3):
            await pilot.press("down")
            await settle(pilot)
            row_line = 1 + tasks.cursor_row - int(tasks.scroll_y)
            assert 1 <= row_line < tasks.scrollable_content_region.height
            assert line(tasks, row_line).split()[0] == tasks.cursor_key
        await pilot.press("home", "pagedown")
        await settle(pilot)
        assert tasks.cursor_row == shown
        assert line(tasks, 1 + shown - int(tasks.scroll_y)).split()[0] == tasks.cursor_key
        rows = range(1, tasks.scrollable_content_region.height)
        before = " ".join(line(tasks, y) for y in rows)
        await pilot.press("right", "right")
        await settle(pilot)
        after = " ".join(line(tasks, y) for y in rows)
        assert tasks.scroll_x > 0 and "overdue" not in before and "overdue" in after


async def test_pagedown_on_a_dashboard_panel_only_goes_down(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        scroll = app.screen.query_one("#dash-scroll")
        seen = []
        for _ in range(5):
            await pilot.press("pagedown")
            await settle(pilot)
            seen.append(scroll.scroll_y)
        assert seen == sorted(seen) and seen[-1] == scroll.max_scroll_y > 0


async def test_escape_in_a_filtered_list_clears_the_filter_then_goes_back(
        demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        counties = await open_counties(pilot)
        await pilot.press("slash", *"dalian", "enter")
        await settle(pilot)
        assert app.focused is counties and 1 < counties.row_count < 100
        footer = app.screen.query_one(Footer).render().plain
        assert footer.rstrip().endswith("commands")  # the app's keys are back
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CountiesScreen) and counties.row_count == 100
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CountiesScreen)


async def test_the_footer_shows_the_apps_keys_again_once_the_filter_has_a_key(
        demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_counties(pilot)
        await pilot.press("slash", "d")
        await settle(pilot)
        footer = app.screen.query_one(Footer).render().plain
        # Typing in the field, printable keys are text (so 1-5, q are not offered), but
        # the palette's key is back once `/` has been handled.
        assert footer.rstrip().endswith("commands") and "Filter" in footer
        # The same without a pilot's keys in between (in a terminal nothing else
        # refreshes the footer then): the filter opening, then taking its first key.
        app.screen._opening = True
        await pilot.pause()
        assert "commands" not in app.export_screenshot()  # what the terminal shows
        app.screen._opening = False
        await pilot.pause()
        assert "commands" in app.export_screenshot()


async def test_names_cut_on_a_narrow_terminal_come_back_when_it_widens(
        demo_db: Path) -> None:
    """Only as much of the county names is cut as the width needs, and a wider
    terminal shows them whole without reopening the screen."""
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        counties = await open_counties(pilot)
        names = {row.key: app.view.plan.county(row.key).name.get() for row in counties.rows}
        longest = max(names, key=lambda code: len(names[code]))
        short = min(names, key=lambda code: len(names[code]))

        def shown(code: str) -> str:
            counties.move_cursor(row=[row.key for row in counties.rows].index(code))
            return line(counties, 1 + counties.cursor_row - int(counties.scroll_y))

        await settle(pilot)
        assert names[short] in shown(short)  # a short name is not cut
        await settle(pilot)
        row = shown(longest)
        assert names[longest] not in row and names[longest][:10] in row and "…" in row
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert names[longest] in shown(longest)
