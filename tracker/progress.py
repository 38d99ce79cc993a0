"""Progress toward the targets, per county and rolled up per prefecture and province.

A county's value for an indicator is its latest measurement on or before the as-of date
(for a yearly target, the latest in the as-of year). Derived indicators are computed
from the county facts they name:

* ``digitized_share`` = digitized permanent volumes / permanent volumes x 100;
* ``staffing``: met when staff >= the 1985 standard for the county's holdings.

Province values weigh counties by size where that is what the target means: the
province's digitized share is total digitized permanent volumes over total permanent
volumes (not an average of shares); staffing compares total staff with the total the
standard requires. Yes/no targets give the share of counties with data that answer yes;
a date target gives the share of all counties that have set one (no date recorded means
none is set); amounts give the mean over counties with data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from tracker.model import Status
from tracker.plan import Comparison, Indicator, IndicatorKind, Period
from tracker.state import StateView


@dataclass(frozen=True, slots=True)
class CountyValue:
    """One county's standing on one indicator."""

    value: Any  # float for percent/amount, int for count, bool, ISO date str; None = no data
    met: bool | None  # None: no data
    required: int | None = None  # staffing: what the standard requires


@dataclass(frozen=True, slots=True)
class TargetProgress:
    indicator: Indicator
    counties: int
    with_data: int
    meeting: int
    province_value: float | None
    province_required: float | None
    deadline: date
    days_left: int  # negative: past the deadline


def _latest(view: StateView, code: str, key: str, as_of: date, period: Period) -> Any:
    latest = view.latest(code, key)  # from the state, without reading the series
    if latest is not None and latest.date > as_of:  # dated after as_of: look back
        earlier = [m for m in view.measurements(code, key) if m.date <= as_of]
        latest = earlier[-1] if earlier else None
    if latest is None or (period == Period.YEARLY and latest.date.year != as_of.year):
        return None
    return latest.value


def county_value(view: StateView, code: str, indicator: Indicator, as_of: date) -> CountyValue:
    if indicator.kind is IndicatorKind.PERCENT and len(indicator.derived_from) == 2:
        part_key, whole_key = indicator.derived_from
        part = _latest(view, code, part_key, as_of, indicator.period)
        whole = _latest(view, code, whole_key, as_of, indicator.period)
        if part is None or not whole:
            return CountyValue(None, None)
        share = min(100.0, 100.0 * part / whole)
        return CountyValue(share, _compare(indicator, share))
    if indicator.comparison == Comparison.AT_LEAST_STANDARD:
        staff_key, holdings_key = indicator.derived_from
        staff = _latest(view, code, staff_key, as_of, indicator.period)
        holdings = _latest(view, code, holdings_key, as_of, indicator.period)
        if staff is None or holdings is None:
            return CountyValue(staff, None)
        required = view.plan.staffing.required(int(holdings))
        return CountyValue(staff, staff >= required, required)
    value = _latest(view, code, indicator.id, as_of, indicator.period)
    if value is None:
        return CountyValue(None, None)
    return CountyValue(value, _compare(indicator, value))


def _compare(indicator: Indicator, value: Any) -> bool:
    comparison, threshold = indicator.comparison, indicator.threshold
    if comparison == Comparison.SET:
        return bool(value)
    if comparison == Comparison.EQUAL:
        return value == threshold
    if comparison == Comparison.AT_LEAST:
        return float(value) >= float(threshold)  # type: ignore[arg-type]
    if comparison == Comparison.AT_MOST:
        return float(value) <= float(threshold)  # type: ignore[arg-type]
    raise ValueError(f"comparison {comparison} needs county facts")


def target_progress(view: StateView, as_of: date,
                    counties: list[str] | None = None) -> list[TargetProgress]:
    """One row per indicator over ``counties`` (default: all)."""
    codes = counties if counties is not None else [c.code for c in view.plan.counties]
    rows = []
    for indicator in view.plan.indicators:
        values = [(code, county_value(view, code, indicator, as_of)) for code in codes]
        known = [(code, v) for code, v in values if v.met is not None]
        province, required = _province(view, indicator, known, as_of, len(codes))
        deadline = indicator.deadline_for(as_of)
        rows.append(TargetProgress(
            indicator=indicator, counties=len(codes), with_data=len(known),
            meeting=sum(1 for _code, v in known if v.met), province_value=province,
            province_required=required, deadline=deadline,
            days_left=(deadline - as_of).days,
        ))
    return rows


def _province(view: StateView, indicator: Indicator, known: list[tuple[str, CountyValue]],
              as_of: date, counties: int) -> tuple[float | None, float | None]:
    if not known:
        return None, None
    if indicator.kind is IndicatorKind.PERCENT and len(indicator.derived_from) == 2:
        part_key, whole_key = indicator.derived_from
        part = sum(_latest(view, c, part_key, as_of, indicator.period) or 0 for c, _v in known)
        whole = sum(_latest(view, c, whole_key, as_of, indicator.period) or 0 for c, _v in known)
        return (100.0 * part / whole if whole else None), None
    if indicator.comparison == Comparison.AT_LEAST_STANDARD:
        staff = sum(v.value for _c, v in known)
        required = sum(v.required or 0 for _c, v in known)
        return float(staff), float(required)
    if indicator.kind is IndicatorKind.AMOUNT:
        return sum(float(v.value) for _c, v in known) / len(known), None
    if indicator.comparison == Comparison.SET:  # no date recorded means none is set
        return 100.0 * sum(1 for _c, v in known if v.met) / counties, None
    return 100.0 * sum(1 for _c, v in known if v.met) / len(known), None


def status_counts(view: StateView, rec: str | None = None,
                  counties: set[str] | None = None) -> Counter[Status]:
    counts: Counter[Status] = Counter()
    for task in view.tasks():
        if rec is not None and task.recommendation != rec:
            continue
        if counties is not None and task.county not in counties:
            continue
        counts[task.status] += 1
    return counts
