"""A change of data reaches the screen on top at once, by a message it handles once it
has composed; a screen below catches up when it is shown again, and only then."""

from __future__ import annotations

from pathlib import Path

from tests.screens.factory import Clock, make_app
from tests.screens.pilot import settle
from tests.screens.test_app import TASK, table, text_of
from tracker.app import DataChanged
from tracker.domain.commands import AddUser, SetFields
from tracker.screens.dashboard import DashboardScreen
from tracker.screens.followups import FollowupsScreen
from tracker.screens.linetable import LineTable
from tracker.screens.task import TaskScreen
from tracker.storage.store import Store


def changed(app) -> DataChanged:
    """What the app's loader posts after a save: the state as the store has it now."""
    return DataChanged(app.store.view(), app.store.token(), [], app.store.access())


async def test_a_change_before_pushed_screens_have_composed_does_not_crash(
        demo_db: Path) -> None:
    """The race a busy machine showed (NoMatches('#targets') from DashboardScreen's
    refresh_data, and the app closed): a change handled while screens just pushed have
    not composed yet. Handled here in the same step as the pushes, so that no compose
    can have run, whatever the machine's speed."""
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(DashboardScreen())
        app.push_screen(FollowupsScreen())
        app.on_data_changed(changed(app))
        await settle(pilot)
        assert isinstance(app.screen, FollowupsScreen)
        assert table(app, "#queue").row_count > 0
        app.pop_screen()
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.query_one("#targets", LineTable).row_count > 0


async def test_a_task_opened_and_changed_at_once_shows_the_change(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(TaskScreen(TASK))
        other = Store(demo_db, clock=Clock())
        other.apply(SetFields(TASK, {"owner": "G07"}))
        app.on_data_changed(changed(app))
        await settle(pilot)
        assert isinstance(app.screen, TaskScreen)
        assert app.screen.current.owner == "G07"
        assert "G07" in text_of(app.screen.query_one("#task-fields"))


async def test_a_hidden_screen_catches_up_when_shown_and_only_then(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        draws: list[int] = []
        redraw = dashboard.refresh_data

        def counted() -> None:
            draws.append(1)
            redraw()

        dashboard.refresh_data = counted  # type: ignore[method-assign]
        await pilot.press("4")
        await settle(pilot)
        colleague = Store(demo_db, clock=Clock())
        colleague.apply(AddUser("colleague", "editor"))  # by us, the demo's admin
        colleague.user = "colleague"
        colleague.apply(SetFields(TASK, {"priority": "high"}))
        app.reload()
        await settle(pilot)
        assert app.view.task(TASK).priority.value == "high"
        assert draws == []  # hidden below the follow-ups: not recomputed
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is dashboard
        assert draws == [1]  # shown again: it catches up, once
        recent = dashboard.query_one("#recent", LineTable).column_text("who")
        assert "colleague" in recent
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert draws == [1]  # nothing changed meanwhile: not recomputed
