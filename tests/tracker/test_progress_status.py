"""Progress statuses at the edges of their rule (docs/progress.md), roll-ups on small
hand-computed cases, and the as-of date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.tracker.conftest import measure_on
from tracker.domain.commands import Measure
from tracker.domain.plan import builtin_plan
from tracker.domain.progress import (
    CountyValue,
    ProgressStatus,
    county_progress,
    rollup,
    slope_per_day,
    target_progress,
)
from tracker.storage.store import Store

PLAN = builtin_plan()
SHARE = PLAN.indicator("digitized_share")  # >= 60 %, due 2020-12-31
STAFFING = PLAN.indicator("staffing")
BUDGET = PLAN.indicator("budget_funding")  # yes/no, due 2020-12-31
DEADLINE = date(2020, 12, 31)
A, B, C = "211421", "210102", "210103"
MET, ON, RISK, OFF, NONE = (ProgressStatus.MET, ProgressStatus.ON_TRACK,
                            ProgressStatus.AT_RISK, ProgressStatus.OFF_TRACK,
                            ProgressStatus.NO_DATA)


_measure = measure_on


def _shares(store: Store, code: str, *points: tuple[date, int], record=_measure) -> None:
    """Digitized shares in percent of 1,000 permanent volumes, on the given dates
    (recorded on those dates; ``record=_now``: at the test clock's time)."""
    record(store, code, "permanent_volumes", 1000, points[0][0])
    for day, percent in points:
        record(store, code, "digitized_permanent_volumes", percent * 10, day)


def _now(store: Store, code: str, key: str, value, on: date) -> None:
    store.apply(Measure(code, key, value, on, "test"))


@pytest.mark.parametrize(("days_before_deadline", "expected"), [
    (10, ON),  # 40 -> 50 in 10 days, 10 days left: the projection reaches exactly 60
    (11, ON),
    (5, RISK),  # closes exactly half of the 10-point gap
    (6, RISK),
    (4, OFF),  # closes 4 of 10 points: less than half
])
def test_projection_edges(store: Store, days_before_deadline: int, expected) -> None:
    latest = DEADLINE - timedelta(days=days_before_deadline)
    _shares(store, A, (latest - timedelta(days=10), 40), (latest, 50))
    value = county_progress(store.view(), A, SHARE, latest)
    assert value.value == pytest.approx(50.0)
    assert value.trend == pytest.approx(365.0)  # one point a day
    assert value.projected == pytest.approx(min(100.0, 50 + days_before_deadline))
    assert value.status is expected


def test_met_no_data_and_single_measurement(store: Store) -> None:
    view_day = date(2019, 1, 1)
    assert county_progress(store.view(), A, SHARE, view_day).status is NONE
    _shares(store, A, (date(2018, 6, 30), 59))
    one = county_progress(store.view(), A, SHARE, view_day)
    assert (one.status, one.trend, one.projected) == (RISK, None, None)  # no trend yet
    _shares(store, B, (date(2018, 6, 30), 60))
    assert county_progress(store.view(), B, SHARE, view_day).status is MET


def test_falling_or_flat_trend_is_off_track(store: Store) -> None:
    _shares(store, A, (date(2018, 1, 1), 50), (date(2018, 7, 1), 40))
    falling = county_progress(store.view(), A, SHARE, date(2018, 12, 1))
    assert falling.status is OFF and falling.trend < 0
    _shares(store, B, (date(2018, 1, 1), 40), (date(2018, 7, 1), 40))
    assert county_progress(store.view(), B, SHARE, date(2018, 12, 1)).status is OFF


def test_deadline_day_is_still_open_the_day_after_is_not(store: Store) -> None:
    _measure(store, A, "budget_funding", False, date(2018, 1, 1))
    view = store.view()
    assert county_progress(view, A, BUDGET, DEADLINE).status is RISK
    assert county_progress(view, A, BUDGET, DEADLINE + timedelta(days=1)).status is OFF
    _measure(store, A, "budget_funding", True, date(2021, 1, 5))
    assert county_progress(store.view(), A, BUDGET, date(2021, 2, 1)).status is MET


def test_trend_uses_only_the_last_four_dates() -> None:
    days = [date(2018, 1, d) for d in (1, 2, 3, 4, 5)]
    # An outlier on the first date is ignored: the last four rise one a day.
    assert slope_per_day([(days[0], 90.0), *[(d, float(i)) for i, d in
                                             enumerate(days[1:])]]) == pytest.approx(1.0)
    # Two values on one date: the last recorded counts.
    assert slope_per_day([(days[0], 0.0), (days[1], 5.0), (days[1], 1.0)]) == pytest.approx(1.0)
    assert slope_per_day([(days[0], 3.0)]) is None


def test_staffing_is_held_against_the_standard_and_its_trend(store: Store) -> None:
    _measure(store, A, "holdings", 60_000, date(2018, 1, 1))  # standard: 10 people
    _measure(store, A, "staff", 6, date(2018, 1, 1))
    _measure(store, A, "staff", 8, date(2019, 1, 1))  # +2 a year; 2 years left -> 12
    value = county_progress(store.view(), A, STAFFING, date(2019, 1, 1))
    assert (value.required, value.met) == (10, False)
    assert value.trend == pytest.approx(2.0, abs=0.01)
    assert value.status is ON


def test_roll_up_counts_share_and_staffing_gap(store: Store) -> None:
    # A: 12 staff for 10 required (surplus 2); B: 5 for 10 (short 5); C: no data.
    for code, staff in ((A, 12), (B, 5)):
        _measure(store, code, "holdings", 60_000, date(2018, 1, 1))
        _measure(store, code, "staff", staff, date(2018, 1, 1))
    rows = {r.indicator.id: r for r in target_progress(store.view(), date(2018, 6, 1),
                                                      [A, B, C], statuses=True)}
    staffing = rows["staffing"]
    assert (staffing.meeting, staffing.with_data, staffing.counties) == (1, 2, 3)
    assert staffing.share_meeting == pytest.approx(1 / 3)
    assert (staffing.province_value, staffing.province_required) == (17, 20)
    assert staffing.gap == 5  # A's surplus does not fill B's gap
    assert staffing.statuses[MET] == 1 and staffing.statuses[NONE] == 1
    assert sum(staffing.statuses.values()) == 3


def test_roll_up_of_given_values_alone() -> None:
    values = [CountyValue(90.0, True, part=900, whole=1000, status=MET),
              CountyValue(1.0, False, part=90, whole=9000, status=OFF),
              CountyValue(None, None)]
    row = rollup(SHARE, values, date(2019, 1, 1))
    assert row.province_value == pytest.approx(9.9)  # 990 / 10,000 volumes
    assert (row.meeting, row.with_data, row.counties) == (1, 2, 3)
    assert row.statuses == {MET: 1, ON: 0, RISK: 0, OFF: 1, NONE: 1}
    assert row.gap is None


def test_as_of_reads_the_past_from_history(store: Store, clock) -> None:
    _shares(store, A, (date(2018, 1, 1), 20), record=_now)
    clock.advance(days=400)
    _shares(store, A, (date(2019, 3, 1), 70), record=_now)  # recorded on 2019-04-05
    day_before = (clock.now - timedelta(days=2)).date()
    past = store.view(day_before)
    assert county_progress(past, A, SHARE, day_before).value == pytest.approx(20.0)
    now = store.view()
    assert county_progress(now, A, SHARE, clock.now.date()).status is MET
