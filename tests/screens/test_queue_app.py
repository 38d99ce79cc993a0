"""The follow-up queue as the day's plan (issue 13): `/` narrows it by group, owner,
prefecture or recommendation in either language; the choice is kept between sessions."""

from __future__ import annotations

import json
from pathlib import Path

from rich.text import Text

from tests.screens.factory import make_app
from tests.screens.pilot import settle
from tracker.domain.queries import bucket, followup_queue
from tracker.screens.datatable import Table
from tracker.screens.followups import FollowupsScreen


def queue_ids(app) -> list[str]:
    queue = app.screen.query_one("#queue", Table)
    return [str(queue.coordinate_to_cell_key((r, 0)).row_key.value)
            for r in range(queue.row_count)]


def title(app) -> str:
    content = app.screen.query_one("#queue-title").render()
    return content.plain if isinstance(content, Text) else str(content)


async def open_queue(pilot) -> None:
    await pilot.press("4")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FollowupsScreen)


async def type_filter(pilot, text: str) -> None:
    if pilot.app.screen.filter_text():
        await pilot.press("escape")  # in the table: clears the filter in force
        await settle(pilot)
    await pilot.press("slash")
    await settle(pilot)
    await pilot.press(*text)
    await pilot.press("enter")
    await settle(pilot)


async def test_slash_narrows_the_queue_to_a_group_and_the_title_counts_it(
        demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_queue(pilot)
        everyone = followup_queue(app.view, app.day())
        group = next(t.owner for t in everyone if t.owner and t.owner.startswith("G"))
        await type_filter(pilot, group.lower())  # any case
        mine = [t for t in everyone if (t.owner or "").lower() == group.lower()]
        shown = queue_ids(app)
        assert shown and shown == [t.id for t in mine][:len(shown)]
        counts = {b: sum(1 for t in mine if bucket(t, app.day()) == b)
                  for b in ("overdue", "today", "week", "later")}
        assert (f"{counts['overdue']} overdue, {counts['today']} today, "
                f"{counts['week']} this week, {counts['later']} later") in title(app)
        assert f"filter: {group.lower()}" in title(app)
        # Enter still opens the task of the row under the cursor.
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "TaskScreen"


async def test_the_filter_reads_chinese_english_and_codes(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_queue(pilot)
        plan = app.view.plan
        task = followup_queue(app.view, app.day())[0]
        county = plan.county(task.county)
        pref = plan.prefecture(county.prefecture)
        for text in (pref.name.zh, pref.name.en, f"{county.name.zh} {task.recommendation}",
                     task.id):
            await type_filter(pilot, text)
            shown = queue_ids(app)
            assert task.id in shown, text
            assert all(plan.county(app.view.task(i).county).prefecture == pref.code
                       for i in shown), text
        await type_filter(pilot, "no such place")
        assert queue_ids(app) == []
        assert "0 overdue, 0 today, 0 this week, 0 later" in title(app)


async def test_the_choice_is_kept_for_the_user_between_sessions(
        demo_db: Path, own_state_dir: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_queue(pilot)
        await type_filter(pilot, "2.5")
        await pilot.press("m")
        await settle(pilot)
        user = app.store.user
    kept = json.loads((own_state_dir / "tracker" / "people.json").read_text("utf-8"))
    assert kept[user] == {"queue_mine": "yes", "queue_filter": "2.5"}

    again = make_app(demo_db)
    async with again.run_test(size=(120, 30)) as pilot:
        await open_queue(pilot)
        screen = again.screen
        assert isinstance(screen, FollowupsScreen)
        assert screen.mine and screen.filter_text() == "2.5"
        assert "Follow-ups (mine)" in title(again) and "filter: 2.5" in title(again)
        assert all(i.endswith("-2.5") for i in queue_ids(again))
        # Escape clears the filter; that too is kept.
        await pilot.press("escape")
        await settle(pilot)
    kept = json.loads((own_state_dir / "tracker" / "people.json").read_text("utf-8"))
    assert kept[user] == {"queue_mine": "yes", "queue_filter": ""}


async def test_a_broken_choice_file_is_the_default_choice(
        demo_db: Path, own_state_dir: Path) -> None:
    (own_state_dir / "tracker").mkdir(parents=True)
    (own_state_dir / "tracker" / "people.json").write_text("[not json", "utf-8")
    app = make_app(demo_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_queue(pilot)
        assert "Follow-ups (everyone's)" in title(app)
        assert len(queue_ids(app)) == min(400, len(followup_queue(app.view, app.day())))
