"""The dashboard judges each target (issue 13): met / on track / at risk / off track /
no data in words and colour, as the exports judge them; a passed deadline in words; a
legend for the columns."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.screens.factory import make_app
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
        assert "Province" in targets.legend.plain and "Status" in targets.legend.plain


async def test_the_status_words_are_in_the_users_language(demo_db: Path) -> None:
    app = make_app(demo_db, lang="zh")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        shown = app.screen.query_one("#targets", LineTable).column_text("status")
        assert set(shown) <= {"已达标", "进度正常", "有风险", "进度落后", "无数据"}
        assert all(text.startswith(("还剩", "已于")) for text in
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
