"""Roles in the app (pilot, against a copy of the demo database, which the account
running the tests built and so administers): a viewer's edit keys say which role they
need and write nothing; an editor's limits are explained; the title names the role."""

from __future__ import annotations

from pathlib import Path

from tests.screens.factory import Clock
from tests.screens.pilot import Notices, settle, until
from tracker.app import TrackerApp
from tracker.domain.commands import AddNote, AddUser, SetUser
from tracker.screens.followups import FollowupsScreen
from tracker.screens.forms import StatusForm
from tracker.screens.help import HelpScreen, binding_rows
from tracker.screens.task import TaskScreen
from tracker.screens.widgets import Footer
from tracker.storage.store import Store

TASK = "211421-2.5"  # Suizhong, Huludao (211400)
OUTSIDE = "210102-2.5"  # Heping, Shenyang (210100)
VIEWER = "demo.sun"  # the demo's leader, listed as a viewer


def app_as(db: Path, user: str, start: str | None = None, lang: str = "en") -> TrackerApp:
    store = Store(db, clock=Clock())
    store.user = user
    return TrackerApp(store, lang=lang, start=start)


def files(db: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in db.parent.rglob("*") if p.is_file()}


def footer_keys(app: TrackerApp) -> set[str]:
    """The ids of the actions the footer shows on the current screen."""
    return set(app.screen.query_one(Footer).shown())


async def test_a_viewers_edit_keys_on_a_task_name_the_role_and_write_nothing(
        demo_db: Path) -> None:
    before = files(demo_db)
    app = app_as(demo_db, VIEWER, start=TASK)
    notices = Notices()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TaskScreen)
        assert app.sub_title.endswith("· viewer")
        assert not footer_keys(app) & {"status", "owner", "due", "next", "note", "followup"}
        for key, action in (("s", "Editing a task"), ("o", "Editing a task"),
                            ("d", "Editing a task"), ("x", "Editing a task"),
                            ("n", "Adding a note"), ("f", "Logging a follow-up")):
            notices.clear()
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, TaskScreen), key  # no form opened
            assert notices.messages == [
                f"{action} needs the editor role; {VIEWER}'s role is viewer. Ask an admin "
                f"(tracker users set {VIEWER} --role editor)"], key
        rows = dict(binding_rows(app.screen))  # what help (?) lists for this screen
        assert rows["s"] == "Status (needs editor)"
        assert "Back" in rows.values()  # keys anyone may use stay as they are
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
    assert files(demo_db) == before


async def test_a_viewer_in_follow_ups_is_told_and_nothing_is_written(demo_db: Path) -> None:
    before = files(demo_db)
    app = app_as(demo_db, VIEWER, lang="zh")
    notices = Notices()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, FollowupsScreen)
        assert app.sub_title.endswith("· 查看者")
        assert "mine" in footer_keys(app)
        assert not footer_keys(app) & {"followup", "snooze", "reassign"}
        for key in ("f", "z", "o"):
            notices.clear()
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, FollowupsScreen), key
            assert len(notices.messages) == 1 and "需要“编辑者”角色" in notices.messages[0], key
        # The palette does not offer an import either.
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "导入各县数据" not in " ".join(titles)
    assert files(demo_db) == before


async def test_an_editor_limited_to_a_prefecture_is_told_outside_it(demo_db: Path) -> None:
    Store(demo_db).apply(AddUser("hu", "editor", prefectures=("211400",)))
    before = files(demo_db)
    app = app_as(demo_db, "hu", start=OUTSIDE)
    notices = Notices()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await settle(pilot)
        assert app.sub_title.endswith("· editor (prefectures 211400)")
        assert "status" in footer_keys(app)  # may edit: keys shown
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, TaskScreen)
        assert notices.messages[-1].startswith(
            f"hu may edit only tasks within prefectures 211400: {OUTSIDE} is in prefecture "
            "210100")
        assert files(demo_db) == before
        app.open_target(TASK)
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StatusForm)  # inside: the form opens


async def test_a_stale_app_is_refused_by_the_store(demo_db: Path) -> None:
    """The app's own check uses the role it last loaded; the store checks the role as
    it is under the lock. An admin demotes the user between the two."""
    Store(demo_db).apply(AddUser("ed", "editor"))
    app = app_as(demo_db, "ed", start=TASK)
    notices = Notices()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await settle(pilot)
        assert app.sub_title.endswith("· editor")
        Store(demo_db).apply(SetUser("ed", role="viewer"))
        before = files(demo_db)
        # No await in between: the app still holds the role it loaded (editor), so its
        # own check passes and the command reaches the store.
        assert app.access.role == "editor"
        app.submit([AddNote(TASK, "written after the demotion")], action="note")
        await settle(pilot)
        assert notices.of("error") == [
            "Adding a note needs the editor role; ed's role is viewer. Ask an admin "
            "(tracker users set ed --role editor)"]
        assert files(demo_db) == before
        # The poll notices the change: the title and the footer follow.
        await until(pilot, lambda: app.sub_title.endswith("· viewer"),
                    "the poll to load the new role")
        assert "note" not in footer_keys(app)
