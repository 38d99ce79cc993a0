"""Search and undo in the app (issue 15): History's `/` finds what people wrote and
narrows by date range and user; `u` takes back the user's last change."""

from __future__ import annotations

from pathlib import Path

from tests.screens.factory import make_app
from tests.screens.pilot import Notices, settle, until
from tests.screens.test_app import table
from tests.screens.test_keys import queue_keys, status_text
from tracker.screens.followups import FollowupsScreen
from tracker.screens.history import HistoryScreen


def history_rows(app) -> list[list[str]]:
    history = table(app, "#history")
    return [[str(cell) for cell in history.get_row_at(r)] for r in range(history.row_count)]


async def test_history_slash_finds_what_people_wrote(demo_db: Path) -> None:
    """"外包合同" is in many demo follow-ups: `/` finds them (it found none before)."""
    app = make_app(demo_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("slash", *"外包合同", "enter")
        await settle(pilot)
        rows = history_rows(app)
        assert rows and all("外包合同" in row[4] for row in rows)
        assert len(rows) == len(app.store.search("外包合同"))  # the CLI's search, the same
        assert "Changes: 50" in status_text(app, "#history-status")


async def test_history_slash_is_case_insensitive_for_latin_letters(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("slash", *"ZHOU xiao-ping")  # nobody: an empty table, no error
        await settle(pilot)
        assert history_rows(app) == []
        field = app.screen.query_one("#filter")
        field.value = "G07"  # an owner's value of a change, in any case
        await settle(pilot)
        upper = len(history_rows(app))
        field.value = "g07"
        await settle(pilot)
        assert upper and len(history_rows(app)) == upper


async def test_history_filters_by_date_range_and_user(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("slash", *"since:2019-06-01 until:2019-06-10 user:demo.wang",
                          "enter")
        await settle(pilot)
        rows = history_rows(app)
        assert rows and {row[2] for row in rows} == {"demo.wang"}
        assert all("2019-06-01" <= row[1][:10] <= "2019-06-10" for row in rows)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        everyone = [e for e in screen.events if "2019-06-01" <= e["ts"][:10] <= "2019-06-10"]
        assert len(rows) < len(everyone)


async def test_u_undoes_a_snooze_and_history_shows_both(demo_db: Path) -> None:
    notices = Notices()
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, FollowupsScreen)
        before = queue_keys(app)
        task = before[0]
        was = app.view.task(task).next_followup
        await pilot.press("z")
        await until(pilot, lambda: queue_keys(app) != before, "the snoozed row to move")
        assert app.view.task(task).next_followup != was
        await pilot.press("u")
        await until(pilot, lambda: app.view.task(task).next_followup == was,
                    "the snooze to be undone")
        assert any("Undid #" in message for message in notices.messages)
        await pilot.press("5")
        await settle(pilot)
        rows = [row for row in history_rows(app) if row[3] == task][:2]
        assert rows[0][4].startswith(f"undo of #{rows[1][0]}")
        assert "next follow-up" in rows[1][4]
