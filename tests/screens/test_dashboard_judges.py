"""The dashboard judges each target (issue 13): met / on track / at risk / off track /
no data in words and colour, as the exports judge them; a passed deadline in words; a
legend for the columns."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.widgets import Static

from tests.screens.factory import Clock, make_app
from tests.screens.pilot import settle
from tracker.domain.progress import target_progress
from tracker.formats.trends import area_status, build_trends
from tracker.i18n import set_language
from tracker.screens.dashboard import DashboardScreen, deadline_text
from tracker.screens.linetable import LineTable

WORDS = {"met", "on track", "at risk", "off track", "no data"}


def expected_statuses(view, day: date) -> list[str]:
    counties = [(c.code, c.prefecture) for c in view.plan.counties]
    trends = build_trends(view, view.plan.indicators, counties, day)
    names = {"met": "met", "on_track": "on track", "at_risk": "at risk",
             "off_track": "off track", "no_data": "no data"}
    return [names[area_status(i, trends["dates"], trends["indicators"][i.id]["total"],
                              len(counties), day)[0].value]
            if i.id in trends["indicators"] else "no data" for i in view.plan.indicators]


async def test_each_target_says_how_it_stands_as_the_exports_do(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        targets = app.screen.query_one("#targets", LineTable)
        shown = targets.column_text("status")
        assert shown == expected_statuses(app.view, app.day())
        assert set(shown) <= WORDS and len(set(shown)) > 1
        # in colour: each word has the exports' style
        row = targets.rows[0]
        status_cell = row.cells[[c.key for c in targets.columns].index("status")]
        assert status_cell.style
        # The deadline in words, and a legend that names the columns.
        rows = target_progress(app.view, app.day())
        assert targets.column_text("days") == [
            f"closed {r.deadline}" if r.days_left < 0 else f"{r.days_left} d left"
            for r in rows]
        assert any(r.days_left < 0 for r in rows)  # the demo has a target already closed
        legend = str(app.screen.query_one("#targets-legend", Static).content)
        assert all(word in legend for word in ("Counties", "Province", "Trend", "Status"))


async def test_the_status_words_are_in_the_users_language(demo_db: Path) -> None:
    app = make_app(demo_db, lang="zh")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        shown = app.screen.query_one("#targets", LineTable).column_text("status")
        assert set(shown) <= {"已达标", "进度正常", "有风险", "进度落后", "无数据"}
        assert all(text.startswith(("还剩", "已截止")) for text in
                   app.screen.query_one("#targets", LineTable).column_text("days"))


def test_a_passed_deadline_says_closed_and_when(demo_db: Path) -> None:
    from tracker.storage.store import Store

    set_language("en")
    view = Store(demo_db).view()
    row = target_progress(view, date(2019, 6, 26))[0]
    closed = row._replace(deadline=date(2020, 12, 31), days_left=-2162)
    assert deadline_text(closed).plain == "closed 2020-12-31"
    assert deadline_text(row._replace(days_left=0)).plain == "due today"
    assert deadline_text(row._replace(days_left=552)).plain == "552 d left"


async def test_each_target_shows_its_trend_and_where_it_will_stand(demo_db: Path) -> None:
    from tracker.screens.dashboard import judge

    app = make_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        targets = app.screen.query_one("#targets", LineTable)
        judged = judge(app.view, app.day())
        for text, indicator in zip(targets.column_text("trend"), app.view.plan.indicators,
                                   strict=True):
            found = judged[indicator.id]
            spark, _arrow, projected = text.rpartition(" ")
            # one glyph per quarter end (blank before the first figure), then the projection
            assert len(spark) == len(found.series) and set(spark.strip()) <= set("▁▂▃▄▅▆▇█")
            assert found.projected is not None
            assert projected in {f"→{found.projected:.0f}%", f"→{found.projected:.2f}"}
        # the digitized share rises in the demo: its sparkline climbs
        first = targets.column_text("trend")[0].split()[0]
        assert first[-1] > first[0]


async def test_a_yearly_target_names_the_year_its_counties_reported_in(demo_db: Path) -> None:
    """In January, before this year's inspections are reported, the yearly targets show
    last year's count, named, rather than a 0/100 that reads as failure."""
    from tracker.app import TrackerApp
    from tracker.storage.store import Store

    app = TrackerApp(Store(demo_db, clock=Clock()), lang="en", as_of=date(2019, 1, 15))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        targets = app.screen.query_one("#targets", LineTable)
        meeting = dict(zip([i.id for i in app.view.plan.indicators],
                           targets.column_text("meeting"), strict=True))
        yearly = [i for i in app.view.plan.indicators if i.period.value == "yearly"]
        assert yearly
        this_year = target_progress(app.view, date(2019, 1, 15))
        for indicator in yearly:
            row = next(r for r in this_year if r.indicator.id == indicator.id)
            if row.with_data:  # reports this year: this year's count
                assert meeting[indicator.id].endswith(f"2019: {row.meeting}/100")
            else:  # none yet: last year's, named
                last = target_progress(app.view, date(2018, 12, 31))
                before = next(r for r in last if r.indicator.id == indicator.id)
                assert meeting[indicator.id].endswith(f"2018: {before.meeting}/100")
                assert "0/100" not in meeting[indicator.id].split(":")[1][:3]
        assert any("2018: " in meeting[i.id] for i in yearly)  # the demo has such a target


async def test_at_80_columns_in_chinese_every_target_column_is_whole(demo_db: Path) -> None:
    """The table fits 80 columns without scrolling sideways: the deadline reads whole
    ("还剩 554 天", "已截止 2017"), not cut to "还剩 55"."""
    app = make_app(demo_db, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        targets = app.screen.query_one("#targets", LineTable)
        assert targets.max_scroll_x == 0
        widths = targets.column_widths(targets.scrollable_content_region.width)
        days = targets.column_text("days")
        assert widths[-1] >= max(len(t) + sum(1 for ch in t if ord(ch) > 0x2E80)
                                 for t in days)
        rows = target_progress(app.view, app.day())
        assert days == [f"已截止 {r.deadline.year}" if r.days_left < 0
                        else f"还剩 {r.days_left} 天" for r in rows]


async def test_quick_steps_into_the_past_judge_the_date_shown_one_at_a_time(
        demo_db: Path, monkeypatch) -> None:
    """`[` pressed again while the targets of the date before are still being judged (a
    thread that cannot be stopped; seconds at a long journal): no second thread starts
    meanwhile, and once the first is done the targets are judged for the date shown,
    not left at one passed on the way."""
    import threading

    from tracker.screens import dashboard

    release = threading.Event()
    judged_days: list[date] = []
    real_judge = dashboard.judge

    def held_judge(view, day: date):  # the first one waits until the test lets it go
        judged_days.append(day)
        if len(judged_days) == 1:
            release.wait(60)
        return real_judge(view, day)

    app = make_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)  # today's targets judged
        monkeypatch.setattr(dashboard, "judge", held_judge)
        for _ in range(3):
            await pilot.press("left_square_bracket")
        for _ in range(200):  # the title says the date once its view is loaded
            if "2019-03-26" in app.sub_title:
                break
            await pilot.pause(0.02)
        await pilot.pause()
        targets = app.screen.query_one("#targets", LineTable)
        assert "2019-03-26" in app.sub_title
        assert set(targets.column_text("status")) == {"…"}  # still being judged
        assert judged_days == [date(2019, 5, 26)]  # the first step's, held: no other
        release.set()
        await settle(pilot)
        assert judged_days == [date(2019, 5, 26), date(2019, 3, 26)]
        assert targets.column_text("status") == expected_statuses(app.view, app.day())
