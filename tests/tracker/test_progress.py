"""Progress math on small hand-computed cases."""

from __future__ import annotations

from datetime import date

import pytest

from tests.tracker.conftest import measure_on
from tracker.domain.commands import parse_value
from tracker.domain.errors import UsageError
from tracker.domain.plan import builtin_plan
from tracker.domain.progress import county_value, target_progress
from tracker.storage.store import Store

PLAN = builtin_plan()
A, B, C = "211421", "210102", "210103"  # Suizhong, Heping, Shenhe


_measure = measure_on


def _rows(store: Store, as_of: date, codes=(A, B, C)):
    return {r.indicator.id: r for r in target_progress(store.view(), as_of, list(codes))}


def test_province_share_is_volumes_over_volumes_not_mean_of_shares(store: Store) -> None:
    # A: 900/1000 = 90%; B: 100/9000 = 1.1%. Mean of shares 45.6%; volumes 1000/10000 = 10%.
    for code, permanent, digitized in ((A, 1000, 900), (B, 9000, 100)):
        _measure(store, code, "permanent_volumes", permanent, date(2018, 1, 1))
        _measure(store, code, "digitized_permanent_volumes", digitized, date(2018, 1, 1))
    row = _rows(store, date(2018, 6, 30))["digitized_share"]
    assert row.province_value == pytest.approx(10.0)
    assert (row.meeting, row.with_data, row.counties) == (1, 2, 3)
    assert row.days_left == (date(2020, 12, 31) - date(2018, 6, 30)).days


def test_latest_value_as_of_date(store: Store) -> None:
    share = PLAN.indicator("digitized_share")
    _measure(store, A, "permanent_volumes", 1000, date(2017, 5, 20))
    _measure(store, A, "digitized_permanent_volumes", 200, date(2017, 5, 20))
    _measure(store, A, "digitized_permanent_volumes", 650, date(2019, 12, 31))
    view = store.view()
    assert county_value(view, A, share, date(2018, 1, 1)).value == pytest.approx(20.0)
    assert county_value(view, A, share, date(2018, 1, 1)).met is False
    assert county_value(view, A, share, date(2020, 1, 1)).value == pytest.approx(65.0)
    assert county_value(view, A, share, date(2020, 1, 1)).met is True
    assert county_value(view, A, share, date(2017, 1, 1)).met is None  # no data yet


def test_threshold_edge_is_met(store: Store) -> None:
    share = PLAN.indicator("digitized_share")
    _measure(store, A, "permanent_volumes", 1000, date(2018, 1, 1))
    _measure(store, A, "digitized_permanent_volumes", 600, date(2018, 1, 1))
    assert county_value(store.view(), A, share, date(2018, 2, 1)).met is True
    _measure(store, A, "digitized_permanent_volumes", 599, date(2018, 1, 2))
    assert county_value(store.view(), A, share, date(2018, 2, 1)).met is False


def test_staffing_against_the_1985_standard(store: Store) -> None:
    staffing = PLAN.indicator("staffing")
    _measure(store, A, "holdings", 60_000, date(2018, 1, 1))  # (60000-10000)//5000 = 10
    _measure(store, A, "staff", 10, date(2018, 1, 1))
    _measure(store, B, "holdings", 307_000, date(2018, 1, 1))  # 58 + 1 = 59
    _measure(store, B, "staff", 40, date(2018, 1, 1))
    view = store.view()
    a = county_value(view, A, staffing, date(2018, 6, 1))
    b = county_value(view, B, staffing, date(2018, 6, 1))
    base = PLAN.staffing.base_staff
    assert (a.met, a.required) == (base == 0, 10 + base)
    assert (b.met, b.required) == (False, 59 + base)
    row = _rows(store, date(2018, 6, 1))["staffing"]
    assert (row.province_value, row.province_required) == (50, 69 + 2 * base)


def test_yearly_target_counts_only_this_year(store: Store) -> None:
    inspection = PLAN.indicator("enforcement_inspection")
    _measure(store, A, "enforcement_inspection", True, date(2017, 4, 1))
    view = store.view()
    assert county_value(view, A, inspection, date(2017, 12, 31)).met is True
    assert county_value(view, A, inspection, date(2018, 3, 1)).met is None
    assert inspection.deadline_for(date(2018, 3, 1)) == date(2018, 12, 31)


def test_yes_no_and_amount_roll_ups(store: Store) -> None:
    for code, fee in ((A, 2.0), (B, 1.0), (C, 3.0)):
        _measure(store, code, "maintenance_fee", fee, date(2018, 2, 1))
    _measure(store, A, "budget_funding", True, date(2018, 2, 1))
    _measure(store, B, "budget_funding", False, date(2018, 2, 1))
    rows = _rows(store, date(2018, 6, 1))
    assert rows["maintenance_fee"].province_value == pytest.approx(2.0)
    assert rows["maintenance_fee"].meeting == 2
    assert rows["budget_funding"].province_value == pytest.approx(50.0)
    assert rows["budget_funding"].with_data == 2


def test_deadline_past_is_negative(store: Store) -> None:
    rows = _rows(store, date(2018, 6, 1))
    assert rows["security_mechanism"].days_left == (date(2017, 12, 31) - date(2018, 6, 1)).days
    assert rows["security_mechanism"].days_left < 0


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [("staff", "12", 12), ("holdings", "120,000", 120000), ("budget_funding", "是", True),
     ("budget_funding", "no", False), ("maintenance_fee", "2.5", 2.5),
     ("assessment_date_set", "2020年6月1日", "2020-06-01")],
)
def test_values_are_typed_by_kind(key: str, text: str, expected) -> None:
    assert parse_value(PLAN, key, text) == expected


@pytest.mark.parametrize(
    ("key", "text"),
    [("staff", "twelve"), ("staff", "-1"), ("staff", "1.5"), ("budget_funding", "maybe"),
     ("maintenance_fee", "nan"), ("maintenance_fee", "inf"), ("digitized_share", "50")],
)
def test_bad_values_are_refused(key: str, text: str) -> None:
    with pytest.raises(UsageError):
        parse_value(PLAN, key, text)
