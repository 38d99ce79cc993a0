"""Dashboard (1): where the province stands against each target and whether it is on
track (met / on track / at risk / off track / no data, by the rule of docs/progress.md as
the exports apply it: tracker.formats.trends.area_status), status counts per
recommendation, the prefecture x recommendation matrix, and colleagues' recent changes."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.events import DescendantFocus, Resize
from textual.message import Message
from textual.widgets import Header

from tracker.domain.model import CLOSED_STATUSES, Status
from tracker.domain.progress import (
    ProgressStatus,
    TargetProgress,
    status_counts,
    target_progress,
    target_value,
    threshold_text,
)
from tracker.formats.terminal import PROGRESS_STYLE, describe_event
from tracker.i18n import _
from tracker.screens import actions
from tracker.screens.base import TrackerScreen, cell, status_cell, status_legend
from tracker.screens.linetable import Column, LineTable
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
            yield LineTable(id="targets", title=_("dash.targets"),
                            legend=Text(_("dash.targets_legend"), style="dim"))
            yield LineTable(id="by-rec", title=_("dash.by_rec"), legend=status_legend())
            yield LineTable(id="matrix", title=_("dash.matrix"), cursor="cell")
            yield LineTable(id="recent", title=_("dash.recent"))
        yield Footer()

    def build(self) -> None:
        self.set_class(self.app.size.width >= WIDE, "wide")
        self.query_one("#targets", LineTable).set_columns([
            Column("n", "#"),
            Column("title", _("col.indicator"), flex=True),
            Column("bar", _("dash.col.bar")),
            Column("province", _("dash.col.province"), shrink=13),
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
        self.set_class(event.size.width >= WIDE, "wide")

    # The targets' statuses, judged off the quarter-end series (as the exports judge them):
    # tens of milliseconds over the demo, so in a worker after the first frame, kept per
    # (view, day). Until then the status column reads "…".
    _judged: tuple[Any, date, dict[str, tuple[ProgressStatus, float | None]]] | None = None

    class Judged(Message):
        def __init__(self, view: Any, day: date,
                     statuses: dict[str, tuple[ProgressStatus, float | None]]) -> None:
            super().__init__()
            self.view, self.day, self.statuses = view, day, statuses

    @work(thread=True, exclusive=True, group="dash-judge")
    def _judge(self, view: Any, day: date) -> None:
        from tracker.formats.trends import area_status, build_trends

        counties = [(c.code, c.prefecture) for c in view.plan.counties]
        trends = build_trends(view, view.plan.indicators, counties, day)
        statuses = {}
        for indicator in view.plan.indicators:
            found = trends["indicators"].get(indicator.id)
            statuses[indicator.id] = (
                area_status(indicator, trends["dates"], found["total"], len(counties), day)
                if found else (ProgressStatus.NO_DATA, None))
        self.post_message(self.Judged(view, day, statuses))

    def on_dashboard_screen_judged(self, message: DashboardScreen.Judged) -> None:
        self._judged = (message.view, message.day, message.statuses)
        if message.view is self.tracker.view and message.day == self.tracker.day():
            self._show_targets()

    def _show_targets(self) -> None:
        view = self.tracker.view
        day = self.tracker.day()
        judged = self._judged
        statuses = judged[2] if judged and judged[0] is view and judged[1] == day else None
        if statuses is None:
            self._judge(view, day)
        targets: list[tuple[str, list[Text | str]]] = []
        for number, row in enumerate(target_progress(view, day), start=1):
            province = Text(target_value(row))
            province.append(f" ({threshold_text(row)})", style="dim")
            meeting = bar(row.meeting / row.counties if row.counties else 0, percent=False)
            meeting.append(f" {row.meeting:>3}/{row.counties}")
            found = statuses.get(row.indicator.id) if statuses is not None else None
            status = (Text("…", style="dim") if found is None else
                      Text(_(f"progress.{found[0].value}"), style=PROGRESS_STYLE[found[0].value]))
            targets.append((row.indicator.recommendation + "#" + row.indicator.id,
                            [f"T{number}", cell(row.indicator.title.get()), meeting,
                             province, status, deadline_text(row)]))
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


def deadline_text(row: TargetProgress) -> Text:
    """When the target falls due, in words: "552 d left", "due today", or "closed
    2020-12-31" once passed (a count of days since then says nothing useful)."""
    if row.days_left < 0:
        return Text(_("dash.closed", date=row.deadline.isoformat()), style="dim")
    if row.days_left == 0:
        return Text(_("dash.due_today"), style="bold yellow")
    return Text(_("dash.days_left", days=row.days_left))
