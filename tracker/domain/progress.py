"""Progress toward the targets, per county and rolled up per prefecture and province.

A county's value for an indicator is its latest measurement on or before the as-of date
(for a yearly target, the latest in the as-of year). Derived indicators are computed
from the county facts they name:

* ``digitized_share`` = digitized permanent volumes / permanent volumes x 100;
* ``staffing``: met when staff >= the 1985 standard for the county's holdings.

Each county also gets a trend (least-squares slope of its last ``TREND_POINTS`` dated
values), a projection to the deadline and a status (``met``, ``on_track``, ``at_risk``,
``off_track``, ``no_data``); docs/progress.md states the rule.

Province values weigh counties by size where that is what the target means: the
province's digitized share is total digitized permanent volumes over total permanent
volumes (not an average of shares); staffing compares total staff with the total the
standard requires, and its gap adds up each county's shortfall. Yes/no targets give the
share of counties with data that answer yes; a date target gives the share of all
counties that have set one (no date recorded means none is set); amounts give the mean
over counties with data.

``rollup`` works on county values alone, so that merged snapshots (tracker.formats.snapshot)
roll up with the same arithmetic as a live database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple

from tracker.domain.model import Measurement, Status
from tracker.domain.plan import Comparison, Indicator, IndicatorKind, Period
from tracker.domain.state import StateView
from tracker.i18n import _

TREND_POINTS = 4  # the trend is the slope of this many latest dated values
AT_RISK_SHARE = 0.5  # the projection closes at least this share of the gap: at risk


class ProgressStatus(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"


class CountyValue(NamedTuple):
    """One county's standing on one indicator."""

    value: Any  # float for percent/amount, int for count, bool, ISO date str; None = no data
    met: bool | None  # None: no data
    required: int | None = None  # staffing: what the standard requires
    part: float | None = None  # derived percent: numerator and denominator
    whole: float | None = None
    measured_on: date | None = None  # date of the latest measurement behind the value
    trend: float | None = None  # units (percentage points) per year; None: too few points
    projected: float | None = None  # value expected at the deadline at that trend
    status: ProgressStatus = ProgressStatus.NO_DATA


class TargetProgress(NamedTuple):
    """One indicator rolled up over a set of counties (a prefecture, the province)."""

    indicator: Indicator
    counties: int
    with_data: int
    meeting: int
    province_value: float | None
    province_required: float | None
    deadline: date
    days_left: int  # negative: past the deadline
    statuses: dict[ProgressStatus, int]
    gap: int | None = None  # staffing: people short of the standard, summed per county

    @property
    def share_meeting(self) -> float | None:
        return self.meeting / self.counties if self.counties else None


def _series(view: StateView, code: str, key: str, as_of: date,
            period: Period) -> list[Measurement]:
    series = [m for m in view.measurements(code, key) if m.date <= as_of]
    if period == Period.YEARLY:
        series = [m for m in series if m.date.year == as_of.year]
    return series


class Point(NamedTuple):
    """A dated value, as much of a Measurement as the progress math reads."""

    date: date
    value: Any


class _Kept(list[Point]):
    """The end of a series as the state keeps it; ``start``: from where on it is
    known whole (None: all of it)."""

    start: date | None = None


class _NotKept(Exception):
    """The state's kept values cannot give this series: read it off the journal."""


def _kept(view: StateView, code: str, key: str, as_of: date, period: Period) -> list[Point]:
    """What ``_series`` ends with (at least the last TREND_POINTS values), from the values
    the state keeps (StateView.kept), without reading the journal; raises _NotKept where
    the state cannot tell (values dated after ``as_of``, an as-of view, an older state)."""
    found = view.kept(code, key)
    if found is None:
        raise _NotKept
    rows, whole = found
    if not rows:
        return _Kept()
    if rows[-1][0] > as_of.isoformat():
        raise _NotKept
    series = _Kept([Point(date.fromisoformat(d), v) for d, v in rows])
    start = None if whole or not series else series[0].date
    if period == Period.YEARLY:
        if start is not None and start.year < as_of.year:
            start = None  # all of the year's values are among those kept
        series = _Kept(m for m in series if m.date.year == as_of.year)
    series.start = start
    return series


def _last(view: StateView, code: str, key: str, as_of: date,
          period: Period) -> list[Measurement]:
    """What ``_series`` ends with, from the state's latest value: without reading the
    series off the journal (the dashboard and the report need no trend)."""
    latest = view.latest(code, key)
    if latest is not None and latest.date > as_of:  # dated after as_of: look back
        return _series(view, code, key, as_of, period)[-1:]
    if latest is None or (period == Period.YEARLY and latest.date.year != as_of.year):
        return []
    return [latest]


def _latest(view: StateView, code: str, key: str, as_of: date, period: Period) -> Any:
    last = _last(view, code, key, as_of, period)
    return last[-1].value if last else None


def _is_share(indicator: Indicator) -> bool:
    return indicator.kind is IndicatorKind.PERCENT and len(indicator.derived_from) == 2


def county_value(view: StateView, code: str, indicator: Indicator, as_of: date) -> CountyValue:
    """The county's latest value and whether it meets the threshold (no trend)."""
    return _value_and_points(view, code, indicator, as_of, _last)[0]


NO_DATA = CountyValue(None, None)  # no value: most counties, most targets


def _measured(measured: dict[str, Any], indicator: Indicator) -> bool:
    """Whether a county whose state keeps ``measured`` (its latest value per key) has any
    value of what ``indicator`` is drawn from. Measurements are only ever added, and the
    current state keeps the latest of every measured key: a key it lacks has no series
    at all, so the county has no data (most counties, most targets: this spares reading
    their series)."""
    return indicator.id in measured or any(key in measured for key in indicator.derived_from)


def county_progresses(view: StateView, code: str, indicators: Sequence[Indicator],
                      as_of: date) -> dict[str, CountyValue]:
    """``county_progress`` of each of ``indicators``, by id."""
    if view.as_of is not None:
        return {i.id: county_progress(view, code, i, as_of) for i in indicators}
    # As county_progress, with the county's measured keys looked up once.
    measured = view.county_doc(code)["measurements"]
    return {i.id: _assessed(view, code, i, as_of) if _measured(measured, i) else NO_DATA
            for i in indicators}


def county_progress(view: StateView, code: str, indicator: Indicator,
                    as_of: date) -> CountyValue:
    """The county's value with its trend, projection to the deadline and status."""
    if view.as_of is None and not _measured(view.county_doc(code)["measurements"], indicator):
        return NO_DATA
    return _assessed(view, code, indicator, as_of)


def _assessed(view: StateView, code: str, indicator: Indicator, as_of: date) -> CountyValue:
    try:
        current, points = _value_and_points(view, code, indicator, as_of, _kept)
    except _NotKept:
        current, points = _value_and_points(view, code, indicator, as_of, _series)
    return assess(indicator, current, points, as_of)


def _value_and_points(view: StateView, code: str, indicator: Indicator, as_of: date,
                      _series: Callable[[StateView, str, str, date, Period],
                                        list[Measurement] | list[Point]],
                      ) -> tuple[CountyValue, list[tuple[date, float]]]:
    """The current value, and the dated numeric values a trend is drawn from (as many
    as ``_series`` gives: ``_last`` gives only the latest)."""
    period = indicator.period
    if _is_share(indicator):
        parts = _series(view, code, indicator.derived_from[0], as_of, period)
        wholes = _series(view, code, indicator.derived_from[1], as_of, period)
        points = _shares(parts, wholes)
        _check_window(parts, wholes, points)
        if not parts or not wholes or not wholes[-1].value:
            return CountyValue(None, None), points
        part, whole = parts[-1].value, wholes[-1].value
        share = min(100.0, 100.0 * part / whole)
        on = max(parts[-1].date, wholes[-1].date)
        return CountyValue(share, _compare(indicator, share), part=part, whole=whole,
                           measured_on=on), points
    if indicator.comparison == Comparison.AT_LEAST_STANDARD:
        staff_key, holdings_key = indicator.derived_from
        staff = _series(view, code, staff_key, as_of, period)
        holdings = _series(view, code, holdings_key, as_of, period)
        points = [(m.date, float(m.value)) for m in staff]
        if not staff or not holdings:
            return CountyValue(staff[-1].value if staff else None, None), points
        required = view.plan.staffing.required(int(holdings[-1].value))
        value = staff[-1].value
        return CountyValue(value, value >= required, required,
                           measured_on=max(staff[-1].date, holdings[-1].date)), points
    series = _series(view, code, indicator.id, as_of, period)
    if not series:
        return CountyValue(None, None), []
    numeric = indicator.kind in (IndicatorKind.PERCENT, IndicatorKind.AMOUNT,
                                 IndicatorKind.COUNT)
    points = [(m.date, float(m.value)) for m in series] if numeric else []
    last = series[-1]
    return CountyValue(last.value, _compare(indicator, last.value),
                       measured_on=last.date), points


def _check_window(parts: list[Measurement] | list[Point],
                  wholes: list[Measurement] | list[Point],
                  points: list[tuple[date, float]]) -> None:
    """Raise _NotKept where the shares drawn from kept values may miss some a trend needs:
    a share dated before the first kept value of a fact whose older values were not kept
    would need them. Fine if the last TREND_POINTS shares are all later, or if no share
    can be that early (a fact kept whole starts later, or has no value at all)."""
    kept = [s for s in (parts, wholes) if isinstance(s, _Kept)]
    starts = [s.start for s in kept if s.start is not None]
    if not starts:
        return
    window = max(starts)
    firsts = [s[0].date if s else date.max for s in kept if s.start is None]
    if firsts and max(firsts) >= window:
        return
    if sum(1 for day, _v in points if day >= window) < TREND_POINTS:
        raise _NotKept


def _shares(parts: list[Measurement] | list[Point],
            wholes: list[Measurement] | list[Point]) -> list[tuple[date, float]]:
    """The share on each date either fact was measured, from the latest of each then."""
    points: list[tuple[date, float]] = []
    i = j = 0
    part = whole = None
    for day in sorted({m.date for m in parts} | {m.date for m in wholes}):
        while i < len(parts) and parts[i].date <= day:
            part, i = parts[i].value, i + 1
        while j < len(wholes) and wholes[j].date <= day:
            whole, j = wholes[j].value, j + 1
        if part is not None and whole:
            points.append((day, min(100.0, 100.0 * part / whole)))
    return points


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


def slope_per_day(points: Sequence[tuple[date, float]]) -> float | None:
    """Least-squares slope of the last TREND_POINTS values (one per date, the last
    recorded wins); None with fewer than two dates."""
    by_day = dict(points)
    recent = sorted(by_day.items())[-TREND_POINTS:]
    if len(recent) < 2:
        return None
    xs = [d.toordinal() for d, _v in recent]
    ys = [v for _d, v in recent]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def assess(indicator: Indicator, current: CountyValue, points: Sequence[tuple[date, float]],
           as_of: date) -> CountyValue:
    """``current`` with trend, projection and status (the rule of docs/progress.md)."""
    if current.met is None:
        return current  # its status is no_data
    deadline = indicator.deadline_for(as_of)
    slope = slope_per_day(points)
    target = (current.required if indicator.comparison == Comparison.AT_LEAST_STANDARD
              else indicator.threshold)
    numeric = (points and not isinstance(target, bool) and target is not None
               and not isinstance(current.value, bool))
    projected = None
    status = ProgressStatus.AT_RISK
    if numeric and slope is not None and current.measured_on is not None:
        latest = float(current.value)
        span = (deadline - current.measured_on).days
        raw = latest + slope * max(span, 0)
        ceiling = 100.0 if indicator.kind is IndicatorKind.PERCENT else None
        projected = max(0.0, raw if ceiling is None else min(ceiling, raw))
        gap = abs(float(target) - latest)  # type: ignore[arg-type]
        closed = (raw - latest) * (1 if float(target) > latest else -1)  # type: ignore[arg-type]
        if closed >= gap:
            status = ProgressStatus.ON_TRACK
        elif closed < AT_RISK_SHARE * gap:
            status = ProgressStatus.OFF_TRACK
    if current.met:
        status = ProgressStatus.MET
    elif as_of > deadline:
        status = ProgressStatus.OFF_TRACK
    trend = None if slope is None or not numeric else slope * 365
    return CountyValue(current.value, current.met, current.required, current.part,
                       current.whole, current.measured_on, trend, projected, status)


def target_progress(view: StateView, as_of: date, counties: list[str] | None = None, *,
                    statuses: bool = False) -> list[TargetProgress]:
    """One row per indicator over ``counties`` (default: all). With ``statuses``, each
    county's trend and status is assessed and counted too (dearer: the dashboard and
    the report do without)."""
    codes = counties if counties is not None else [c.code for c in view.plan.counties]
    value = county_progress if statuses else county_value
    return [rollup(indicator, [value(view, code, indicator, as_of) for code in codes], as_of,
                   count_statuses=statuses)
            for indicator in view.plan.indicators]


def rollup(indicator: Indicator, values: Sequence[CountyValue], as_of: date, *,
           count_statuses: bool = True) -> TargetProgress:
    """One indicator over the counties whose values are given (one per county); the
    statuses are counted when the values were assessed (county_progress)."""
    known = [v for v in values if v.met is not None]
    province, required = _province(indicator, known, len(values))
    gap = None
    if indicator.comparison == Comparison.AT_LEAST_STANDARD and known:
        gap = sum(max(0, (v.required or 0) - int(v.value)) for v in known)
    deadline = indicator.deadline_for(as_of)
    statuses = Counter(v.status for v in values) if count_statuses else Counter()
    return TargetProgress(
        indicator=indicator, counties=len(values), with_data=len(known),
        meeting=sum(1 for v in known if v.met), province_value=province,
        province_required=required, deadline=deadline, days_left=(deadline - as_of).days,
        statuses={s: statuses.get(s, 0) for s in ProgressStatus} if count_statuses else {},
        gap=gap,
    )


def _province(indicator: Indicator, known: list[CountyValue],
              counties: int) -> tuple[float | None, float | None]:
    if not known:
        return None, None
    if _is_share(indicator):
        part = sum(v.part or 0 for v in known)
        whole = sum(v.whole or 0 for v in known)
        return (100.0 * part / whole if whole else None), None
    if indicator.comparison == Comparison.AT_LEAST_STANDARD:
        staff = sum(v.value for v in known)
        required = sum(v.required or 0 for v in known)
        return float(staff), float(required)
    if indicator.kind is IndicatorKind.AMOUNT:
        return sum(float(v.value) for v in known) / len(known), None
    if indicator.comparison == Comparison.SET:  # no date recorded means none is set
        return 100.0 * sum(1 for v in known if v.met) / counties, None
    return 100.0 * sum(1 for v in known if v.met) / len(known), None


class RecCounts(NamedTuple):
    statuses: Counter[Status]
    overdue: int
    stale: int


class PrefectureRollup(NamedTuple):
    statuses: Counter[Status]
    targets: list[TargetProgress]  # one per indicator, over the prefecture's counties


class Report(NamedTuple):
    targets: list[TargetProgress]  # one per indicator, over every county
    recommendations: dict[str, RecCounts]  # by recommendation id, in the plan's order
    prefectures: dict[str, PrefectureRollup]  # by prefecture code, in the plan's order


def report_rollups(view: StateView, as_of: date) -> Report:
    """Every roll-up of `tracker report` in one pass over the tasks and one over the
    counties (O(tasks + counties x indicators)): each county's value of each indicator
    is judged once and rolled up both into the province's row and its prefecture's.
    The same figures as ``target_progress`` and ``status_counts`` per recommendation
    and per prefecture, and ``Task.is_overdue``/``is_stale`` over the tasks
    (tests/tracker/test_report_rollups.py compares them)."""
    from tracker.domain.model import OPEN_STATUSES

    plan = view.plan
    prefecture_of = {c.code: c.prefecture for c in plan.counties}
    by_rec: dict[str, Counter[str]] = {r.id: Counter() for r in plan.recommendations}
    by_pref: dict[str, Counter[str]] = {p.code: Counter() for p in plan.prefectures}
    overdue: Counter[str] = Counter()
    stale: Counter[str] = Counter()
    today = as_of.isoformat()
    # Task.is_stale: (as_of - updated_at's own date).days >= stale_days
    stale_on = date.fromordinal(as_of.toordinal() - view.stale_days).isoformat()
    open_codes = {s.value for s in OPEN_STATUSES}
    docs = list(view.tables["tasks"].values())
    # Counted in C (Counter over tuples), then folded into the roll-ups.
    for (rec, status), n in Counter((d["rec"], d["status"]) for d in docs).items():
        by_rec.setdefault(rec, Counter())[status] += n  # (a rec the plan no longer has)
    for (county, status), n in Counter((d["county"], d["status"]) for d in docs).items():
        pref = prefecture_of.get(county)
        if pref is not None:
            by_pref[pref][status] += n
    open_docs = [d for d in docs if d["status"] in open_codes]
    overdue.update(d["rec"] for d in open_docs if d["due"] and d["due"] < today)
    stale.update(d["rec"] for d in open_docs if d["updated_at"][:10] <= stale_on)
    every = [c.code for c in plan.counties]
    values: dict[str, dict[str, CountyValue]] = {i.id: dict.fromkeys(every, NO_DATA)
                                                 for i in plan.indicators}
    for code in every:
        measured = view.county_doc(code)["measurements"] if view.as_of is None else None
        if measured is not None and not measured:
            continue  # no figure at all (most counties): no data for every target
        for i in plan.indicators:  # as county_value, the county's keys looked up once
            if measured is None or _measured(measured, i):
                values[i.id][code] = county_value(view, code, i, as_of)
    targets = [rollup(i, list(values[i.id].values()), as_of, count_statuses=False)
               for i in plan.indicators]
    prefectures = {}
    for p in plan.prefectures:
        codes = [c.code for c in plan.counties_in(p.code)]
        prefectures[p.code] = PrefectureRollup(
            _statuses(by_pref[p.code]),
            [rollup(i, [values[i.id][code] for code in codes], as_of, count_statuses=False)
             for i in plan.indicators])
    return Report(targets, {rec: RecCounts(_statuses(counts), overdue[rec], stale[rec])
                            for rec, counts in by_rec.items()}, prefectures)


def _statuses(counts: Counter[str]) -> Counter[Status]:
    return Counter({Status(status): n for status, n in counts.items()})


def status_counts(view: StateView, rec: str | None = None,
                  counties: set[str] | None = None) -> Counter[Status]:
    counts: Counter[str] = Counter()
    for county, task_rec, status in view.statuses():
        if rec is not None and task_rec != rec:
            continue
        if counties is not None and county not in counties:
            continue
        counts[status] += 1
    return Counter({Status(status): n for status, n in counts.items()})


# -- how a target reads (the dashboard, the CLI report and the exports) -------------------
def target_value(row: TargetProgress) -> str:
    ind = row.indicator
    if row.province_value is None:
        return "-"
    if ind.kind is IndicatorKind.PERCENT:
        return f"{row.province_value:.1f}%"
    if row.province_required is not None:
        return f"{int(row.province_value)}/{int(row.province_required)}"
    if ind.kind is IndicatorKind.AMOUNT:
        return f"{row.province_value:.2f}"
    return f"{row.province_value:.0f}%"


def threshold_text(row: TargetProgress) -> str:
    ind = row.indicator
    comparison = str(ind.comparison.value)
    if comparison == ">=standard":
        return _("report.threshold_standard")
    if comparison == "set":
        return _("report.threshold_set")
    if isinstance(ind.threshold, bool):
        return _("value.yes") if ind.threshold else _("value.no")
    suffix = "%" if ind.kind is IndicatorKind.PERCENT else ""
    symbol = {">=": "≥", "<=": "≤"}.get(comparison, comparison)
    number = f"{ind.threshold:g}" if ind.threshold is not None else "-"
    return f"{symbol}{number}{suffix}"
