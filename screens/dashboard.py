"""Dashboard (1): where the province stands against each target and whether it is on
track (met / on track / at risk / off track / no data, by the rule of docs/progress.md as
the exports apply it: tracker.formats.trends.area_status), status counts per
recommendation, the prefecture x recommendation matrix, and colleagues' recent changes."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.events import DescendantFocus, Resize
from textual.message import Message
from textual.widgets import Header, Static

from tracker.domain.model import CLOSED_STATUSES, Status
from tracker.domain.plan import IndicatorKind, Period
from tracker.domain.progress import (
    ProgressStatus,
    TargetProgress,
    county_value,
    rollup,
    status_counts,
    target_progress,
    target_value,
    threshold_text,
)
from tracker.domain.state import StateView
from tracker.formats.terminal import PROGRESS_STYLE, describe_event
from tracker.i18n import _
from tracker.screens import actions
from tracker.screens.base import TrackerScreen, cell, status_cell, status_legend
from tracker.screens.linetable import Column, LineTable
from tracker.screens.trend import sparkline
from tracker.screens.widgets import Footer, bar, shade

RECENT = 8
WIDE = 150


class DashboardScreen(TrackerScreen):
    """The panels are LineTables, not DataTables: four DataTables cost more than a whole
    hello-world Textual app's start (docs/performance.md), and this is the first screen."""

    ACTION_SCOPE = "dashboard"
    BINDINGS = actions.bindings(ACTION_SCOPE)
    # on_mount focuses the targets without scrolling: Textual's auto focus would centre
    # the first table before layout and scroll the section title out of view.
    AUTO_FOCUS = ""  # not None: None means "as the app says"

    def compose(self) -> ComposeResult:
        yield Header()
        # Not focusable itself: Tab goes from table to table (each scrolls into view).
        with VerticalScroll(id="dash-scroll", can_focus=False), Grid(id="dash"):
            with Vertical(id="targets-panel"):
                yield LineTable(id="targets", title=_("dash.targets"))
                yield Static(Text(_("dash.targets_legend"), style="dim"), id="targets-legend")
            yield LineTable(id="by-rec", title=_("dash.by_rec"), legend=status_legend())
            yield LineTable(id="matrix", title=_("dash.matrix"), cursor="cell")
            yield LineTable(id="recent", title=_("dash.recent"))
        yield Footer()

    def build(self) -> None:
        self.set_class(self.app.size.width >= WIDE, "wide")
        self.query_one("#targets", LineTable).set_columns([
            Column("n", "#"),
            Column("title", _("col.indicator"), flex=True),
            Column("meeting", _("dash.col.bar"), justify="right"),
            Column("province", _("dash.col.province"), shrink=12),
            Column("trend", _("dash.col.trend")),
            Column("status", _("dash.col.status")),
            Column("days", _("dash.col.days"), justify="right"),
        ])
        self.query_one("#by-rec", LineTable).set_columns([
            Column("rec", _("col.rec")),
            Column("title", _("col.title"), width=24),
            *[Column(status.value, status_cell(status, glyph_only=True), justify="right")
              for status in Status],
        ])
        self.query_one("#matrix", LineTable).set_columns([
            Column("prefecture", _("col.prefecture")),
            *[Column(rec.id, rec.id) for rec in self.tracker.view.plan.recommendations],
        ])
        self.query_one("#recent", LineTable).set_columns([
            Column("when", _("col.when")), Column("who", _("col.who")),
            Column("task", _("col.task")), Column("change", _("col.change"), flex=True),
        ])
        self.refresh_data()
        self.query_one("#targets", LineTable).focus(scroll_visible=False)  # titles in view

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """A table got the focus (Tab): its panel, title included, scrolls into view."""
        if isinstance(event.widget, LineTable):
            self.query_one("#dash-scroll", VerticalScroll).scroll_to_widget(
                event.widget, animate=False)

    def on_resize(self, event: Resize) -> None:
        wide = event.size.width >= WIDE
        if wide != self.has_class("wide"):
            self.set_class(wide, "wide")
            self._show_targets()  # bars and longer trends on a wide terminal

    # The targets' statuses, trends and projections, judged off the quarter-end series (as
    # the exports judge them): tens of milliseconds over the demo, so in a worker after the
    # first frame, kept per (view, day). Until then those columns read "…".
    _judged: tuple[Any, date, dict[str, Judgement]] | None = None
    # One judge at a time. A thread cannot be stopped, and at a long journal a judge
    # takes seconds (every county's series is read from it): each `[` of a quick run
    # would add one, all of them competing with the screen for the interpreter. While
    # one runs, the next waits; its result then starts the one for the date shown.
    _judging: Any = None  # the Worker running, if any

    class Judged(Message):
        def __init__(self, view: Any, day: date, judged: dict[str, Judgement]) -> None:
            super().__init__()
            self.view, self.day, self.judged = view, day, judged

    @work(thread=True, group="dash-judge")  # one at a time: _start_judging
    def _judge(self, view: Any, day: date) -> None:
        self.post_message(self.Judged(view, day, judge(view, day)))

    def on_dashboard_screen_judged(self, message: DashboardScreen.Judged) -> None:
        self._judging = None
        self._judged = (message.view, message.day, message.judged)
        if message.view is self.tracker.view and message.day == self.tracker.day():
            self._show_targets()
        else:  # the date moved on meanwhile: judge the one shown now
            self._start_judging(self.tracker.view, self.tracker.day())

    def _start_judging(self, view: Any, day: date) -> None:
        if self._judging is None or self._judging.is_finished:
            self._judging = self._judge(view, day)

    def _show_targets(self) -> None:
        view = self.tracker.view
        day = self.tracker.day()
        kept = self._judged
        judged = kept[2] if kept and kept[0] is view and kept[1] == day else None
        if judged is None:
            self._start_judging(view, day)
        wide = self.has_class("wide")
        ascii_only = getattr(self.app, "ascii_mode", False) is True
        targets: list[tuple[str, list[Text | str]]] = []
        for number, row in enumerate(target_rows(view, day), start=1):
            province = Text(target_value(row))
            province.append(f" ({threshold_text(row)})", style="dim")
            found = judged.get(row.indicator.id) if judged is not None else None
            targets.append((row.indicator.recommendation + "#" + row.indicator.id,
                            [f"T{number}", cell(row.indicator.title.get()),
                             meeting_text(row, day, wide=wide), province,
                             trend_cell(found, points=16 if wide else 4,
                                        ascii_only=ascii_only),
                             status_text(found), deadline_text(row, narrow=not wide)]))
        self.query_one("#targets", LineTable).set_rows(targets)

    def refresh_data(self) -> None:
        view = self.tracker.view
        self._show_targets()

        self.query_one("#by-rec", LineTable).set_rows(
            (rec.id, [rec.id, cell(rec.title.get()),
                      *[str(counts.get(s, 0)) for s in Status]])
            for rec in view.plan.recommendations
            for counts in [status_counts(view, rec.id)])

        county_prefecture = {c.code: c.prefecture for c in view.plan.counties}
        closed_statuses = {s.value for s in CLOSED_STATUSES}
        closed: dict[tuple[str, str], int] = {}
        total: dict[tuple[str, str], int] = {}
        for county, rec_id, status in view.statuses():
            key = (county_prefecture[county], rec_id)
            total[key] = total.get(key, 0) + 1
            if status in closed_statuses:
                closed[key] = closed.get(key, 0) + 1
        matrix = []
        for prefecture in view.plan.prefectures:
            cells: list[Any] = [cell(prefecture.name.get())]
            for rec in view.plan.recommendations:
                key = (prefecture.code, rec.id)
                cells.append(shade(closed.get(key, 0) / total[key] if total.get(key)
                                   else 0))
            matrix.append((prefecture.code, cells))
        self.query_one("#matrix", LineTable).set_rows(matrix)

        others = self._recent()
        recent = [(str(event["seq"]),
                   [event["ts"][:16].replace("T", " "), cell(event["user"]),
                    cell(event.get("task") or event.get("county") or ""),
                    cell(describe_event(event, view.plan))])
                  for event in reversed(others)]
        self.query_one("#recent", LineTable).set_rows(
            recent or [("", ["", "", "", cell(_("dash.no_recent"))])])

    def _recent(self) -> list[dict[str, Any]]:
        """Colleagues' last RECENT events up to the app's date: from the last 16 KB of
        the journal (up to that date) when that holds them, else from its last 256 KB."""
        limit = self.tracker.as_of.isoformat() if self.tracker.as_of else None
        mine = self.tracker.store.user
        history = self.tracker.store.history
        others: list[dict[str, Any]] = []
        for window in (16_384, 262_144):
            others = [e for e in history.tail(window, until=limit)
                      if e.get("user") != mine][-RECENT:]
            if len(others) >= RECENT or history.size() <= window:  # enough, or all of it
                break
        return others

    def on_line_table_selected(self, event: LineTable.Selected) -> None:
        """Enter on a row: the recommendation, the prefecture's tasks for it, the task."""
        table, key = event.table, event.key
        if table.id == "by-rec":
            self.tracker.open_target(key)
        elif table.id == "targets":  # the recommendation, with the target's trend
            from tracker.screens.recommendations import RecommendationScreen

            rec, _hash, indicator = key.partition("#")
            self.app.push_screen(RecommendationScreen(rec, indicator=indicator))
        elif table.id == "matrix":
            recs = self.tracker.view.plan.recommendations
            rec = recs[event.column - 1].id if event.column >= 1 else recs[0].id
            from tracker.screens.recommendations import RecommendationScreen

            self.app.push_screen(RecommendationScreen(rec, prefecture=key))
        elif table.id == "recent" and key:
            task = table.rows[table.cursor_row].cells[2].plain
            if task:
                self.tracker.open_target(task)


class Judgement(NamedTuple):
    """A target over the province, judged off its quarter-end series."""

    status: ProgressStatus
    projected: float | None  # the charted value expected at the deadline
    series: list[float | None]  # the charted value at each quarter end, the as-of date last
    top: float  # the scale of the series (100 for shares)
    unit: str  # "%" or ""


def judge(view: StateView, day: date) -> dict[str, Judgement]:
    """Every target's status, projection and trend, by the exports' rule
    (tracker.formats.trends.area_status, docs/progress.md)."""
    from tracker.formats.trends import (
        area_status,
        build_trends,
        charted_threshold,
        charted_value,
        numeric_target,
    )

    counties = [(c.code, c.prefecture) for c in view.plan.counties]
    trends = build_trends(view, view.plan.indicators, counties, day)
    judged = {}
    for indicator in view.plan.indicators:
        found = trends["indicators"].get(indicator.id)
        if not found:
            judged[indicator.id] = Judgement(ProgressStatus.NO_DATA, None, [], 100.0, "%")
            continue
        series = [charted_value(indicator, point, len(counties)) for point in found["total"]]
        status, projected = area_status(indicator, trends["dates"], found["total"],
                                        len(counties), day)
        percent = not numeric_target(indicator) or indicator.kind is IndicatorKind.PERCENT
        top = 100.0 if percent else max(
            [charted_threshold(indicator), *[v for v in series if v is not None]]) * 1.2
        judged[indicator.id] = Judgement(status, projected, series, top,
                                         "%" if percent else "")
    return judged


def target_rows(view: StateView, day: date) -> list[TargetProgress]:
    """The province's targets as of ``day``; a yearly target in a year with no report yet
    stands as of the end of the last year that has some (its ``deadline`` says which)."""
    rows = target_progress(view, day)
    first = view.plan.survey_start.year
    for n, row in enumerate(rows):
        if row.indicator.period is not Period.YEARLY or row.with_data:
            continue
        for year in range(day.year - 1, first - 1, -1):
            before = rollup(row.indicator,
                            [county_value(view, c.code, row.indicator, date(year, 12, 31))
                             for c in view.plan.counties],
                            date(year, 12, 31), count_statuses=False)
            if before.with_data:
                rows[n] = before._replace(days_left=row.days_left)
                break
    return rows


def meeting_text(row: TargetProgress, day: date, *, wide: bool) -> Text:
    """How many counties meet the target: "61/100", after a bar when ``wide``. A yearly
    target names its year ("2020: 93/100"): the as-of year once it has reports, else the
    last year that has (at 80 columns the as-of year goes without saying). The column is
    right-aligned, so the counts line up under each other."""
    year = row.deadline.year
    label = Text(f"{row.meeting}/{row.counties}")
    if row.indicator.period is Period.YEARLY and (wide or year != day.year):
        label = Text.assemble((f"{year}: ", "" if year == day.year else "yellow"), label)
    if not wide:
        return label
    text = bar(row.meeting / row.counties if row.counties else 0, percent=False)
    text.append(" " * (1 + max(0, 12 - label.cell_len)))
    return text + label


def trend_cell(found: Judgement | None, *, points: int, ascii_only: bool) -> Text:
    """The province value's last ``points`` quarter ends as a sparkline, then the value
    projected at the deadline ("→ 61%")."""
    if found is None:
        return Text("…", style="dim")
    text = sparkline(found.series[-points:], top=found.top, ascii_only=ascii_only)
    if found.projected is not None:
        arrow = "->" if ascii_only else "→"
        number = f"{found.projected:.0f}" if found.unit else f"{found.projected:.2f}"
        text.append(f" {arrow}{number}{found.unit}", style="")
    return text


def status_text(found: Judgement | None) -> Text:
    if found is None:
        return Text("…", style="dim")
    return Text(_(f"progress.{found.status.value}"), style=PROGRESS_STYLE[found.status.value])


def deadline_text(row: TargetProgress, *, narrow: bool = False) -> Text:
    """When the target falls due, in words: "552 d left", "due today", or "closed
    2020-12-31" once passed (a count of days since then says nothing useful); ``narrow``
    (80 columns) names a year-end deadline by its year: "closed 2017"."""
    if row.days_left < 0:
        deadline = row.deadline
        when = (str(deadline.year) if narrow and (deadline.month, deadline.day) == (12, 31)
                else deadline.isoformat())
        return Text(_("dash.closed", date=when), style="dim")
    if row.days_left == 0:
        return Text(_("dash.due_today"), style="bold yellow")
    return Text(_("dash.days_left", days=row.days_left))
