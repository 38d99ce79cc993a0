"""The app's main flows through Textual's pilot, against a copy of the demo database."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from textual.widgets import DataTable, Input, OptionList, Static

from tests.screens.factory import NOW, Clock, make_app
from tests.screens.pilot import Notices, settle, until
from tracker.domain.commands import AddUser, SetFields
from tracker.domain.demo import DEFAULT_TODAY
from tracker.domain.model import Status
from tracker.screens.counties import CountiesScreen
from tracker.screens.dashboard import DashboardScreen
from tracker.screens.followups import FollowupsScreen
from tracker.screens.forms import FollowupForm, StatusForm, TextForm
from tracker.screens.help import HelpScreen
from tracker.screens.linetable import LineTable
from tracker.screens.task import TaskScreen
from tracker.screens.widgets import Footer
from tracker.storage.store import Store

TASK = "211421-2.5"


def table(app, selector: str) -> DataTable | LineTable:
    """A table of the screen: a DataTable, or a LineTable (the dashboard's panels, the
    counties and task lists), which answer row_count and cursor_row alike."""
    return app.screen.query_one(selector)


def column(app, selector: str, key: str) -> list[str]:
    t = app.screen.query_one(selector)
    if isinstance(t, LineTable):  # the dashboard's panels
        return t.column_text(key)
    return [str(t.get_cell(row, key)) for row in t.rows]


def panel(app, selector: str) -> LineTable:
    """One of the dashboard's panels."""
    return app.screen.query_one(selector, LineTable)


def text_of(widget) -> str:
    """What a Static shows, as plain text."""
    from rich.console import Console

    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


async def test_dashboard_opens_with_targets_counts_and_matrix(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert panel(app, "#targets").row_count == 8
        assert panel(app, "#by-rec").row_count == 7
        assert panel(app, "#matrix").row_count == 14
        assert "DEMO DATA" in app.title
        titles = column(app, "#targets", "title")
        assert titles[0] == "Permanent holdings digitized"


async def test_status_change_moves_the_dashboard_counts(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        counts_before = _rec_counts(app, "2.5")
        app.open_target(TASK)
        await settle(pilot)
        assert isinstance(app.screen, TaskScreen)
        before = app.view.task(TASK).status
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StatusForm)
        form = app.screen
        moves = [o.id for o in form.query_one("#moves").options]
        target = moves[0]
        form.query_one("#reason", Input).value = "county asked to reopen"
        form.query_one("#moves").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaskScreen)
        assert app.view.task(TASK).status.value == target != before.value
        await pilot.press("1")
        await settle(pilot)
        counts_after = _rec_counts(app, "2.5")
        assert counts_after[before.value] == counts_before[before.value] - 1
        assert counts_after[target] == counts_before[target] + 1


def _rec_counts(app, rec: str) -> dict[str, int]:
    """The dashboard's count of ``rec``'s tasks per status, as its panel shows them."""
    assert isinstance(app.screen, DashboardScreen)
    by_rec = panel(app, "#by-rec")
    row = next(r for r in by_rec.rows if r.key == rec)
    return {column.key: int(row.cells[n].plain) for n, column in enumerate(by_rec.columns)
            if column.key not in ("rec", "title")}


async def test_log_followup_from_queue_advances_next_date(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, FollowupsScreen)
        queue = table(app, "#queue")
        task_id = str(queue.coordinate_to_cell_key(queue.cursor_coordinate).row_key.value)
        task = app.view.task(task_id)
        assert task.cadence and task.next_followup
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FollowupForm)
        prefilled = app.screen.query_one("#next", Input).value
        assert prefilled and date.fromisoformat(prefilled) > DEFAULT_TODAY  # the demo's day
        await pilot.press("enter")  # kind: call
        await pilot.press(*"电话确认进度")
        await pilot.press("enter")  # the next date is prefilled: Enter saves
        await settle(pilot)
        assert isinstance(app.screen, FollowupsScreen)
        after = app.view.task(task_id)
        assert after.last_followup is not None
        assert after.last_followup.outcome == "电话确认进度"
        assert after.next_followup == date.fromisoformat(prefilled)
        assert after.next_followup > task.next_followup


async def test_conflicting_edit_is_refused_and_keeps_what_was_typed(demo_db: Path) -> None:
    app = make_app(demo_db, start=TASK)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        # A colleague (another process) changes the owner while the form is open; the
        # app may even reload it on screen before the user saves.
        other = Store(demo_db, clock=Clock())
        seen = other.view().task(TASK).version
        other.apply(SetFields(TASK, {"owner": "G03"}, seen))
        app.reload()
        await settle(pilot)
        field = app.screen.query_one("#text", Input)
        field.value = "G09"
        await pilot.press("enter")
        await settle(pilot)
        # Not saved; the form is back with what was typed, and says what it is now.
        assert app.view.task(TASK).owner == "G03"  # reloaded: the screen shows theirs
        assert isinstance(app.screen, TextForm)
        assert app.screen.query_one("#text", Input).value == "G09"
        shown = str(app.screen.query_one(".form-error", Static).content)
        assert "owner was changed by" in shown and "'G03'" in shown
        assert "Enter saves it over the new value" in shown
        assert app.screen.unsaved()  # quitting now would ask first
        await pilot.press("enter")  # saved over the value now seen
        await settle(pilot)
        assert isinstance(app.screen, TaskScreen)
        assert app.view.task(TASK).owner == "G09"


async def test_a_refused_status_change_keeps_its_reason(demo_db: Path) -> None:
    app = make_app(demo_db, start=TASK)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = app.view.task(TASK)
        await pilot.press("s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, StatusForm)
        moves = form.query_one("#moves", OptionList)
        target = next(n for n in range(moves.option_count)
                      if moves.get_option_at_index(n).id == "blocked")
        Store(demo_db, clock=Clock()).apply(SetFields(TASK, {"status": "blocked"},
                                                      before.version, "县里先动手了"))
        moves.highlighted = target
        form.query_one("#reason", Input).value = "等待县财政批复"
        await pilot.press("tab", "enter")  # from the reason field: Enter saves
        await settle(pilot)
        assert isinstance(app.screen, StatusForm)  # refused: open again
        assert app.screen.query_one("#reason", Input).value == "等待县财政批复"
        assert app.view.task(TASK).status.value == "blocked"
        await pilot.press("escape")  # keeps the colleague's
        await settle(pilot)
        assert isinstance(app.screen, TaskScreen)
        assert app.view.task(TASK).status.value == "blocked"


async def test_as_of_a_year_back_shows_older_state_and_blocks_editing(demo_db: Path) -> None:
    Store(demo_db, clock=Clock()).apply(SetFields(TASK, {"priority": "high"}))
    app = make_app(demo_db, start=TASK)
    notices = Notices()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await settle(pilot)
        now_version = app.view.task(TASK).version
        for _ in range(12):
            await pilot.press("left_square_bracket")
        await settle(pilot)
        assert app.as_of == date(2018, 6, 26)  # a year before the demo's day
        assert "2018-06-26" in app.sub_title
        assert app.view.task(TASK).version < now_version
        assert app.view.task(TASK).priority.value == "normal"
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, TaskScreen)  # no form opened
        assert any("editing is off" in m for m in notices.messages)
        for _ in range(12):
            await pilot.press("right_square_bracket")
        await settle(pilot)
        assert app.as_of is None and app.view.task(TASK).version == now_version


async def test_another_process_save_refreshes_in_place_and_names_who(demo_db: Path) -> None:
    app = make_app(demo_db)
    notices = Notices()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await pilot.press("2")
        await settle(pilot)
        counties = table(app, "#counties")
        counties.move_cursor(row=40)
        await settle(pilot)
        cursor_key, scrolled = counties.cursor_key, counties.scroll_y
        assert cursor_key and scrolled > 0
        store = Store(demo_db, clock=Clock(datetime(2021, 3, 1, 10, 5, tzinfo=NOW.tzinfo)))
        store.apply(AddUser("colleague", "editor"))  # by us, the demo's admin
        store.user = "colleague"
        store.apply(SetFields(TASK, {"priority": "high"}))
        # the app's own poll (once a second) finds the change: no key, no reload()
        await until(pilot, lambda: app.view.task(TASK).priority.value == "high",
                    "the app to load the colleague's save")
        assert app.view.task(TASK).priority.value == "high"
        counties = table(app, "#counties")
        assert counties.cursor_key == cursor_key and counties.scroll_y == scrolled
        assert any("colleague" in m and TASK in m for m in notices.messages)


async def test_filter_counties_as_you_type(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, CountiesScreen)
        assert table(app, "#counties").row_count == 100
        await pilot.press("slash", *"绥中")
        await settle(pilot)
        assert column(app, "#counties", "code") == ["211421"]
        await pilot.press("escape")
        await settle(pilot)
        assert table(app, "#counties").row_count == 100
        await pilot.press("slash", *"huludao")
        await settle(pilot)
        assert table(app, "#counties").row_count == 6
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CountyScreen"


async def test_help_lists_this_screens_bindings_in_chinese(demo_db: Path) -> None:
    app = make_app(demo_db, lang="zh", start=TASK)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        body = text_of(app.screen.query_one("#help-body"))
        for word in ("状态", "负责人", "备注", "记跟进", "总览", "退出"):
            assert word in body
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TaskScreen)


async def test_language_switch_relabels(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.switch_language("zh")
        await settle(pilot)
        assert app.title.startswith("档案工作跟踪")
        # Labels are looked up when drawn (screens.actions), not kept in the bindings.
        footer = app.screen.query_one(Footer).render().plain
        assert "总览" in footer and "Dashboard" not in footer
        assert column(app, "#targets", "title")[0] == "永久档案数字化比例"


async def test_markup_in_notes_is_shown_literally(demo_db: Path) -> None:
    Store(demo_db, clock=Clock()).apply(
        __import__("tracker.domain.commands", fromlist=["AddNote"]).AddNote(
            TASK, "[bold]x[/] [link=http://e.example]y[/link] [/foo]"))
    app = make_app(demo_db, start=TASK)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        timeline = text_of(app.screen.query_one("#task-timeline"))
        assert "[bold]x[/] [link=http://e.example]y[/link] [/foo]" in timeline


async def test_quit_asks_when_a_form_has_input(demo_db: Path) -> None:
    app = make_app(demo_db, start=TASK)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("#reason", Input).value = "half typed"
        app.action_quit_app()
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmQuit"
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, StatusForm)


async def test_open_target_by_county_name(demo_db: Path) -> None:
    app = make_app(demo_db, start="绥中")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "CountyScreen"
        assert app.screen.code == "211421"
        assert Status  # the screen lists the county's 7 tasks
        assert table(app, "#county-tasks").row_count == 7


async def test_recommendation_tasks_filter_by_prefecture(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        assert table(app, "#recs").row_count == 7
        await pilot.press("down", "down", "down", "down", "down", "down", "enter")
        await settle(pilot)
        assert app.screen.rec_id == "2.5"
        assert table(app, "#rec-tasks").row_count == 100
        await pilot.press("slash", *"葫芦岛")
        await settle(pilot)
        ids = column(app, "#rec-tasks", "id")
        assert len(ids) == 6 and all(i.startswith("2114") and i.endswith("-2.5") for i in ids)


async def test_history_filters_by_user_and_date(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        assert table(app, "#history").row_count == 100  # the newest; the rest by filter
        await pilot.press("slash", *"demo.liu 2019-06")
        await settle(pilot)
        rows = [table(app, "#history").get_row_at(r)
                for r in range(table(app, "#history").row_count)]
        who, when = [str(r[2]) for r in rows], [str(r[1]) for r in rows]
        assert who and set(who) == {"demo.liu"}
        assert all(w.startswith("2019-06") for w in when)
        assert when == sorted(when, reverse=True)  # newest first


async def test_keys_typed_with_the_slash_land_in_the_filter(demo_db: Path) -> None:
    """A fast typist's `/qs` reaches the app before the focus has moved to the filter:
    the letters are filter text, not Quit or Sort."""
    from textual import events

    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        for key, char in (("slash", "/"), ("q", "q"), ("i", "i"), ("n", "n"), ("g", "g")):
            app.post_message(events.Key(key, char))  # all queued before any is handled
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, CountiesScreen)
        assert app.screen.query_one("#filter", Input).value == "qing"
        assert app.screen.sort == 0
        codes = column(app, "#counties", "code")
        assert codes and len(codes) < 100


async def test_a_file_it_cannot_read_is_said_once_not_every_second(demo_db: Path) -> None:
    app = make_app(demo_db)
    notices = Notices()
    async with app.run_test(size=(80, 24), message_hook=notices) as pilot:
        await settle(pilot)
        demo_db.write_bytes(demo_db.read_bytes()[:1000])  # damaged by something else
        for _ in range(3):  # three polls, a second apart
            app._poll()
            await settle(pilot)
        messages = notices.messages
        assert len(messages) == 1, messages
        assert str(demo_db) in messages[0]
        assert isinstance(app.screen, DashboardScreen)  # the last good state stays shown


async def test_the_palette_asks_in_the_users_language(demo_db: Path) -> None:
    from textual.command import CommandInput, CommandList, CommandPalette

    app = make_app(demo_db, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        prompt = app.screen.query_one(CommandInput).placeholder
        assert prompt == "搜索县区、建议、任务或命令…"
        await pilot.press(*"绥中")
        await settle(pilot)  # the palette searches in a worker: settled, it has its hits
        assert app.screen.query_one(CommandList).highlighted == 0
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CountyScreen" and app.screen.code == "211421"


async def test_as_of_a_past_date_lists_the_changes_made_before_it(demo_db: Path) -> None:
    """The demo's history runs to its day, 2019-06-26: a year back, the dashboard's recent
    changes are the last ones made by then, not none (the journal's tail is later)."""
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for _ in range(12):
            await pilot.press("left_square_bracket")
        await settle(pilot)
        assert app.as_of == date(2018, 6, 26)
        recent = panel(app, "#recent")
        when = recent.column_text("when")
        assert len(when) == 8 and all("2018-01" <= w[:10] <= "2018-06-26" for w in when)
        assert when == sorted(when, reverse=True)


async def test_ctrl_c_says_how_to_quit(demo_db: Path) -> None:
    for lang, words in (("en", "Press q to quit"), ("zh", "按 q 退出")):
        app = make_app(demo_db, lang=lang)
        notices = Notices()
        async with app.run_test(size=(80, 24), message_hook=notices) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+c")
            await settle(pilot)
            assert app.is_running  # it does not quit behind the user's back
            assert any(words in m for m in notices.messages)
