"""The app's trend chart: text that reads at 80x24, on the county screen and on a
target's drill-down from the dashboard."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.screens.factory import make_app
from tracker.screens.recommendations import RecommendationScreen
from tracker.screens.trend import HEIGHT, TrendChart, trend_text


def test_trend_text_draws_bars_a_threshold_line_and_the_dates() -> None:
    points = [(date(2017, 6, 30), 20.0), (date(2018, 6, 30), 40.0), (date(2019, 6, 30), 70.0)]
    text = trend_text("Digitized", points, threshold=60.0)
    lines = text.plain.splitlines()
    assert lines[0] == "Digitized" and len(lines) == 1 + HEIGHT + 1
    assert all(len(line) <= 80 for line in lines)
    assert "100%" in lines[1] and any("60%" in line and "┄" in line for line in lines)
    assert lines[-1].split()[0] == "2017-06-30" and lines[-1].endswith("2019-06-30 70.0%")
    assert "█" in text.plain
    plain = trend_text("Digitized", points, threshold=60.0, ascii_only=True).plain
    assert "█" not in plain and "┄" not in plain and "#" in plain and "-" in plain
    assert trend_text("x", [], threshold=1.0).plain == "x  -"


async def test_county_screen_and_target_drill_down_show_the_trend(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_target("211421")
        await pilot.pause()
        chart = app.screen.query_one("#county-trend", TrendChart)
        drawn = str(chart.render())
        # The series runs from the first figures to the demo's own day.
        assert "60%" in drawn and "\n       2017-" in drawn and "2019-06-26 100.0%" in drawn
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        app.screen.query_one("#targets").focus()
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RecommendationScreen) and app.screen.indicator
        drawn = str(app.screen.query_one("#rec-trend", TrendChart).render())
        assert "%" in drawn and "2017" in drawn
