"""Trends: each target rolled up at every quarter end, for the charts of the summary and
the workbook, and the status of a target over a whole area.

The figures at a past date are those the live view gives as of that date
(tracker.domain.progress.county_value looks back to the latest measurement dated on or
before it), rolled up by the same arithmetic as the snapshot's roll-ups
(tracker.domain.progress.rollup): a chart's last point is the roll-up's value.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date
from typing import Any

from tracker.domain.plan import Comparison, Indicator, IndicatorKind
from tracker.domain.progress import CountyValue, ProgressStatus, assess, county_value, rollup
from tracker.domain.state import StateView

MAX_POINTS = 16  # a chart's points at most: quarters, or longer steps over a long history


class _Dated:
    """A view's measurements as they stood on ``day``, found by bisection in each series
    (read once): what county_value needs of a view (plan, latest), without cutting the
    series anew for every date."""

    def __init__(self, view: StateView) -> None:
        self.view = view
        self.plan = view.plan
        self.as_of: date | None = None
        self.day = date.max
        self._series: dict[tuple[str, str], tuple[list[date], list[Any]]] = {}

    def _of(self, code: str, key: str) -> tuple[list[date], list[Any]]:
        found = self._series.get((code, key))
        if found is None:
            series = self.view.measurements(code, key)
            found = self._series[code, key] = ([m.date for m in series], series)
        return found

    def latest(self, code: str, key: str) -> Any:
        dates, series = self._of(code, key)
        at = bisect_right(dates, self.day)
        return series[at - 1] if at else None

    def measurements(self, code: str, key: str) -> list[Any]:
        dates, series = self._of(code, key)
        return series[:bisect_right(dates, self.day)]


def chart_dates(start: date, end: date) -> list[date]:
    """Quarter ends from ``start`` to ``end`` (and ``end``), every second, fourth...
    quarter end where there would be more than MAX_POINTS."""
    days = quarter_ends(start, end)
    step = 1
    while len(days) / step > MAX_POINTS:
        step *= 2
    if step == 1:
        return days
    kept = days[-1::-step][::-1]  # counted back from the as-of date, which stays
    return kept


def quarter_ends(start: date, end: date) -> list[date]:
    """Every quarter end from the one on or after ``start`` up to ``end``, then ``end``
    itself (the as-of date) if it is not a quarter end."""
    days: list[date] = []
    year, quarter = start.year, (start.month - 1) // 3
    while True:
        month = 3 * quarter + 3
        day = date(year, month, 31 if month in (3, 12) else 30)
        if day > end:
            break
        if day >= start:
            days.append(day)
        quarter += 1
        if quarter == 4:
            year, quarter = year + 1, 0
    if not days or days[-1] != end:
        days.append(end)
    return days


def first_measured(view: StateView, codes: Sequence[str], keys: Sequence[str]) -> date | None:
    """The date of the earliest measurement of any of ``keys`` in the counties ``codes``."""
    first: date | None = None
    for code in codes:
        for key in keys:
            series = view.measurements(code, key)
            if series and (first is None or series[0].date < first):
                first = series[0].date
    return first


def _keys(indicator: Indicator) -> tuple[str, ...]:
    return indicator.derived_from or (indicator.id,)


def build_trends(view: StateView, indicators: Sequence[Indicator],
                 counties: Sequence[tuple[str, str]], as_of: date) -> dict[str, Any]:
    """``{"dates": [...], "indicators": {id: {"total": [...], "prefectures": {code: [...]}}}}``:
    for every indicator and area, one point per date, ``{"value", "meeting",
    "with_data"}``, as the snapshot's roll-ups state them. ``counties``: (county code,
    prefecture code) of the selection."""
    codes = [code for code, _prefecture in counties]
    # From the first measurement in the whole database (not only the selection's), so
    # that snapshots of parts of it share their dates and merge.
    every = [c.code for c in view.plan.counties]
    view.read_all_series()  # first_measured reads every county's
    start = first_measured(view, every, sorted({k for i in view.plan.indicators
                                                for k in _keys(i)}))
    if start is None or start > as_of:
        return {"dates": [], "indicators": {}}
    dates = chart_dates(start, as_of)
    dated = _Dated(view)
    prefectures: dict[str, list[str]] = {}
    for code, prefecture in counties:
        prefectures.setdefault(prefecture, []).append(code)
    result: dict[str, Any] = {}
    for indicator in indicators:
        total: list[dict[str, Any]] = []
        by_prefecture: dict[str, list[dict[str, Any]]] = {p: [] for p in prefectures}
        for day in dates:
            dated.day = day
            values = {code: county_value(dated, code, indicator, day)  # type: ignore[arg-type]
                      for code in codes}
            total.append(_point(indicator, list(values.values()), day))
            for prefecture, members in prefectures.items():
                by_prefecture[prefecture].append(
                    _point(indicator, [values[code] for code in members], day))
        result[indicator.id] = {"total": total, "prefectures": by_prefecture}
    return {"dates": [d.isoformat() for d in dates], "indicators": result}


def _point(indicator: Indicator, values: list[CountyValue], day: date) -> dict[str, Any]:
    row = rollup(indicator, values, day, count_statuses=False)
    value = row.province_value
    return {"value": None if value is None else round(value, 2), "meeting": row.meeting,
            "with_data": row.with_data}


# -- an area's status on a target ----------------------------------------------------------
def charted_value(indicator: Indicator, point: dict[str, Any], counties: int) -> float | None:
    """What a chart draws for one point: the area value for a share or an amount, else
    the share of the area's counties that meet the target (in %)."""
    if numeric_target(indicator):
        value = point["value"]
        return None if value is None else float(value)
    if not counties or not point["with_data"]:
        return None
    return 100.0 * point["meeting"] / counties


def numeric_target(indicator: Indicator) -> bool:
    """Whether the area value itself is held against the threshold (shares, amounts);
    other targets are met when every county meets them."""
    return indicator.kind in (IndicatorKind.PERCENT, IndicatorKind.AMOUNT) and \
        indicator.comparison in (Comparison.AT_LEAST, Comparison.AT_MOST)


def charted_threshold(indicator: Indicator) -> float:
    if numeric_target(indicator):
        return float(indicator.threshold)  # type: ignore[arg-type]
    return 100.0


def area_status(indicator: Indicator, dates: Sequence[str], points: Sequence[dict[str, Any]],
                counties: int, as_of: date) -> tuple[ProgressStatus, float | None]:
    """The area's status on the target and its projection at the deadline, by the rule
    of docs/progress.md applied to the charted series: the area value against the
    threshold for shares and amounts; the share of counties meeting against 100% for
    the others (a yes/no target is met when every county meets it)."""
    series = [(date.fromisoformat(d), charted_value(indicator, p, counties))
              for d, p in zip(dates, points, strict=True)]
    known = [(d, v) for d, v in series if v is not None]
    if not known:
        return ProgressStatus.NO_DATA, None
    as_share = indicator._replace(
        kind=IndicatorKind.PERCENT if not numeric_target(indicator) else indicator.kind,
        comparison=indicator.comparison if numeric_target(indicator) else Comparison.AT_LEAST,
        threshold=charted_threshold(indicator))
    day, value = known[-1]
    threshold = charted_threshold(indicator)
    met = value <= threshold if as_share.comparison == Comparison.AT_MOST else value >= threshold
    current = CountyValue(value, met, measured_on=day)
    assessed = assess(as_share, current, known, as_of)
    return assessed.status, assessed.projected
