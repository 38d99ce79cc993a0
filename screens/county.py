"""One county: its 7 tasks, holdings and staffing against the 1985 standard, and its
measurements over time as sparklines."""

from __future__ import annotations

from rich.table import Table as RichTable
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Label, Sparkline, Static

from tracker.domain.progress import county_value
from tracker.glyphs import shown
from tracker.i18n import _
from tracker.screens import actions
from tracker.screens.base import TrackerScreen, cell
from tracker.screens.bulk import BulkMarks
from tracker.screens.tasks import TaskTable
from tracker.screens.trend import TrendChart, indicator_points
from tracker.screens.widgets import Footer, SectionTitle

SERIES = ("digitized_permanent_volumes", "permanent_volumes", "holdings", "staff")


class CountyScreen(BulkMarks, TrackerScreen):
    ACTION_SCOPE = "county"
    BULK_TABLE = "#county-tasks"
    BINDINGS = actions.bindings(ACTION_SCOPE)

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(id="county-title")
            yield TaskTable(id="county-tasks", county=False)
            yield Static(id="county-facts")
            yield SectionTitle(_("county.trends"))
            yield TrendChart(id="county-trend")
            for key in SERIES:
                with Horizontal(classes="spark-row"):
                    yield Label(id=f"label-{key}", classes="spark-label")
                    yield Sparkline([], id=f"spark-{key}", classes="spark")
        yield Footer()

    def build(self) -> None:
        self.refresh_data()
        self.query_one("#county-tasks", TaskTable).focus()

    def refresh_data(self) -> None:
        view = self.tracker.view
        plan = view.plan
        day = self.tracker.day()
        county = plan.county(self.code)
        prefecture = plan.prefecture(county.prefecture)
        title = Text(f"{county.code}  ", style="bold")
        title.append(f"{county.name.get()} · {prefecture.name.get()}", style="bold")
        self.query_one("#county-title", Static).update(title)
        tasks = [t for t in view.tasks() if t.county == self.code]
        self.query_one("#county-tasks", TaskTable).show(view, tasks, day)
        grid = RichTable.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for fact in plan.facts:
            latest = view.latest(self.code, fact.id)
            value = "-" if latest is None else f"{latest.value:,} ({latest.date})"
            grid.add_row(cell(fact.title.get()), cell(value))
        for indicator in plan.indicators:
            standing = county_value(view, self.code, indicator, day)
            if standing.required is not None:
                text = _("county.staffing", staff=standing.value, required=standing.required)
            elif standing.value is None:
                text = "-"
            elif isinstance(standing.value, bool):
                text = _("value.yes") if standing.value else _("value.no")
            elif isinstance(standing.value, float):
                text = f"{standing.value:.1f}"
            else:
                text = str(standing.value)
            mark = {True: (shown("✔"), "green"), False: (shown("✗"), "red"),
                    None: ("?", "dim")}[standing.met]
            line = Text(f"{mark[0]} ", style=mark[1])
            line.append(text)
            grid.add_row(cell(indicator.title.get()), line)
        self.query_one("#county-facts", Static).update(grid)
        headline = plan.indicators[0]
        points, threshold, unit, top = indicator_points(
            view, headline, [(self.code, county.prefecture)], day)
        self.query_one("#county-trend", TrendChart).show(
            headline.title.get(), points, threshold=threshold, unit=unit, top=top)
        for key in SERIES:
            series = view.measurements(self.code, key)
            values = [float(m.value) for m in series]
            label = plan.fact(key).title.get()
            if series:
                label += f" {series[0].date.year}–{series[-1].date.year}"
            self.query_one(f"#label-{key}", Label).update(cell(label))
            self.query_one(f"#spark-{key}", Sparkline).data = values or [0.0]

    def on_line_table_selected(self, event: TaskTable.Selected) -> None:
        from tracker.screens.task import TaskScreen

        self.app.push_screen(TaskScreen(event.key))

    def action_measure(self) -> None:
        from tracker.screens.task import first_key, record_measure

        task_id = self.query_one("#county-tasks", TaskTable).current_task()
        view = self.tracker.view
        rec = view.task(task_id).recommendation if task_id else ""
        record_measure(self.tracker, self.code, first_key(view, rec))

    def action_followup(self) -> None:
        from tracker.screens.task import log_followup

        task_id = self.query_one("#county-tasks", TaskTable).current_task()
        if task_id:
            log_followup(self.tracker, self.tracker.view.task(task_id))
