"""Recommendations (3): the seven, with the findings each answers and their indicators.
Enter opens one: its county tasks, filterable as you type."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from tracker.domain.model import CLOSED_STATUSES
from tracker.i18n import _
from tracker.screens import actions
from tracker.screens.base import FilteredScreen, TrackerScreen, cell, keep_cursor
from tracker.screens.bulk import BulkMarks
from tracker.screens.datatable import Table
from tracker.screens.tasks import Searcher, TaskTable
from tracker.screens.trend import TrendChart, indicator_points
from tracker.screens.widgets import FilterInput, Footer, bar


class RecommendationsScreen(TrackerScreen):
    ACTION_SCOPE = "recommendations"
    BINDINGS = actions.bindings(ACTION_SCOPE)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Table(id="recs")
        with VerticalScroll(classes="detail"):
            yield Static(id="rec-detail")
        yield Footer()

    def build(self) -> None:
        self.query_one("#recs", Table).add_columns(
            _("col.rec"), _("col.title"), _("col.findings"), _("col.closed"))
        self.refresh_data()
        self.query_one("#recs", Table).focus()

    def refresh_data(self) -> None:
        view = self.tracker.view
        table = self.query_one("#recs", Table)
        tasks = view.tasks()

        def fill() -> None:
            for rec in view.plan.recommendations:
                mine = [t for t in tasks if t.recommendation == rec.id]
                closed = sum(1 for t in mine if t.status in CLOSED_STATUSES)
                table.add_row(cell(rec.id), cell(rec.title.get()), cell(", ".join(rec.findings)),
                              bar(closed / len(mine) if mine else 0), key=rec.id)

        keep_cursor(table, fill)
        self._detail()

    def _detail(self) -> None:
        table = self.query_one("#recs", Table)
        if not table.row_count:
            return
        plan = self.tracker.view.plan
        rec_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        rec = plan.recommendation(rec_id)
        text = Text(f"{rec.id} {rec.title.get()}\n", style="bold")
        text.append(rec.summary.get() + "\n\n")
        text.append(_("rec.findings") + "\n", style="bold")
        for finding_id in rec.findings:
            finding = plan.finding(finding_id)
            text.append(f"  {finding.id} {finding.title.get()}\n")
        indicators = [i for i in plan.indicators if i.recommendation == rec.id]
        text.append(_("rec.indicators") + "\n", style="bold")
        for indicator in indicators:
            text.append(f"  {indicator.title.get()}\n")
        if not indicators:
            text.append("  -\n", style="dim")
        self.query_one("#rec-detail", Static).update(text)

    def on_data_table_row_highlighted(self, event: Table.RowHighlighted) -> None:
        self._detail()

    def on_data_table_row_selected(self, event: Table.RowSelected) -> None:
        self.app.push_screen(RecommendationScreen(str(event.row_key.value)))


class RecommendationScreen(BulkMarks, FilteredScreen):
    """One recommendation's county tasks (optionally opened on one prefecture)."""

    FILTERED_TABLE = "#rec-tasks"

    ACTION_SCOPE = "recommendation"
    BULK_TABLE = "#rec-tasks"
    BINDINGS = actions.bindings(ACTION_SCOPE)

    def __init__(self, rec_id: str, prefecture: str | None = None,
                 indicator: str | None = None) -> None:
        super().__init__()
        self.rec_id = rec_id
        self.prefecture = prefecture
        self.indicator = indicator  # a target's drill-down: its trend above the tasks
        self.searcher = Searcher()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="rec-title")
        if self.indicator:
            yield TrendChart(id="rec-trend")
        yield FilterInput(id="filter")
        yield TaskTable(id="rec-tasks", rec=False)
        yield Static(id="rec-status", classes="status-line")
        yield Footer()

    def build(self) -> None:
        rec = self.tracker.view.plan.recommendation(self.rec_id)
        self.query_one("#rec-title", Static).update(
            Text(f"{rec.id} {rec.title.get()}", style="bold"))
        if self.prefecture:
            prefecture = self.tracker.view.plan.prefecture(self.prefecture)
            self.query_one("#filter", FilterInput).value = prefecture.name.get()
            self.query_one("#filter", FilterInput).show(focus=False)
        self.refresh_data()
        self.query_one("#rec-tasks", TaskTable).focus()

    @work(thread=True, exclusive=True, group="trend")
    def _trend(self) -> None:
        """The target's trend over the province, read off the journal in a thread."""
        view, day = self.tracker.view, self.tracker.day()
        indicator = view.plan.indicator(self.indicator or "")
        counties = [(c.code, c.prefecture) for c in view.plan.counties]
        points, threshold, unit, top = indicator_points(view, indicator, counties, day)
        chart = self.query_one("#rec-trend", TrendChart)
        self.app.call_from_thread(chart.show, indicator.title.get(), points,
                                  threshold=threshold, unit=unit, top=top)

    def refresh_data(self) -> None:
        view = self.tracker.view
        if self.indicator:
            self._trend()
        tasks = [t for t in view.tasks() if t.recommendation == self.rec_id]
        query = self.query_one("#filter", FilterInput).value
        found = self.searcher.matches(view, tasks, query)
        hidden = self.query_one("#rec-tasks", TaskTable).show(view, found, self.tracker.day(),
                                                              self.row_limit())
        status = _("tasks.count", count=len(found))
        if hidden:
            status += "  " + self.hidden_hint(hidden)
        self.query_one("#rec-status", Static).update(Text(status, style="dim"), layout=False)

    def action_followup(self) -> None:
        from tracker.screens.task import log_followup

        task_id = self.query_one("#rec-tasks", TaskTable).current_task()
        if task_id:
            log_followup(self.tracker, self.tracker.view.task(task_id))

    def on_line_table_selected(self, event: TaskTable.Selected) -> None:
        from tracker.screens.task import TaskScreen

        self.app.push_screen(TaskScreen(event.key))
