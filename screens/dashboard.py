"""Dashboard (1): where the province stands against each target, status counts per
recommendation, the prefecture x recommendation matrix, and colleagues' recent changes."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.events import DescendantFocus, Resize
from textual.widgets import Footer, Header, Static

from screens.base import (
    PANEL_BINDINGS,
    TrackerScreen,
    cell,
    keep_cursor,
    status_cell,
    status_legend,
)
from screens.widgets import SectionTitle, Table, bar, shade
from tracker.i18n import _
from tracker.model import CLOSED_STATUSES, Status
from tracker.progress import status_counts, target_progress
from tracker.render import describe_event, target_value, threshold_text

RECENT = 8
WIDE = 150
# Columns of the targets table other than the title, with cell padding and scrollbars:
# "T8", the bar "██████████ 100/100", "1791/2751 (≥ standard)" and the days "-2155".
TARGET_FIXED = 4 + 20 + 24 + 7 + 7


class DashboardScreen(TrackerScreen):
    BINDINGS = PANEL_BINDINGS
    # on_mount focuses the targets without scrolling: Textual's auto focus would centre
    # the first table before layout and scroll the section title out of view.
    AUTO_FOCUS = ""  # not None: None means "as the app says"
    _target_width = 0

    def compose(self) -> ComposeResult:
        yield Header()
        # Not focusable itself: Tab goes from table to table (each scrolls into view).
        with VerticalScroll(id="dash-scroll", can_focus=False), Grid(id="dash"):
            with Vertical(classes="dash-cell"):
                yield SectionTitle(_("dash.targets"))
                yield Table(id="targets")
            with Vertical(classes="dash-cell"):
                yield SectionTitle(_("dash.by_rec"))
                yield Table(id="by-rec")
                yield Static(status_legend(), classes="legend")
            with Vertical(classes="dash-cell"):
                yield SectionTitle(_("dash.matrix"))
                yield Table(id="matrix")
            with Vertical(classes="dash-cell"):
                yield SectionTitle(_("dash.recent"))
                yield Table(id="recent")
        yield Footer()

    def _target_columns(self, width: int) -> None:
        """The target title gets what the fixed columns leave of ``width``."""
        table = self.query_one("#targets", Table)
        table.clear(columns=True)
        title_width = max(12, width - TARGET_FIXED)
        table.add_column("#", key="n")
        table.add_column(_("col.indicator"), key="title", width=title_width)
        table.add_column(_("dash.col.bar"), key="bar")
        table.add_column(_("dash.col.province"), key="province")
        table.add_column(_("dash.col.days"), key="days")
        self._target_width = width

    def _column_width(self) -> int:
        width = self.app.size.width
        return width // 2 - 2 if width >= WIDE else width

    def on_mount(self) -> None:
        self._target_columns(self._column_width())
        by_rec = self.query_one("#by-rec", Table)
        by_rec.add_column(_("col.rec"), key="rec")
        by_rec.add_column(_("col.title"), key="title", width=24)
        for status in Status:
            by_rec.add_column(status_cell(status, glyph_only=True), key=status.value)
        matrix = self.query_one("#matrix", Table)
        matrix.cursor_type = "cell"
        matrix.add_column(_("col.prefecture"), key="prefecture")
        for rec in self.tracker.view.plan.recommendations:
            matrix.add_column(rec.id, key=rec.id)
        self.query_one("#recent", Table).add_columns(
            _("col.when"), _("col.who"), _("col.task"), _("col.change"))
        self.refresh_data()
        self.query_one("#targets", Table).focus(scroll_visible=False)  # titles in view

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """A table got the focus (Tab): its panel, title included, scrolls into view."""
        if isinstance(event.widget, Table) and event.widget.parent is not None:
            self.query_one("#dash-scroll", VerticalScroll).scroll_to_widget(
                event.widget.parent, animate=False)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE, "wide")
        if self._column_width() != self._target_width:
            self._target_columns(self._column_width())
            self.refresh_data()

    def refresh_data(self) -> None:
        view = self.tracker.view
        day = self.tracker.day()
        rows = target_progress(view, day)
        targets = self.query_one("#targets", Table)

        def fill_targets() -> None:
            for number, row in enumerate(rows, start=1):
                days = Text(str(row.days_left), style="" if row.days_left >= 0 else "red",
                            justify="right")
                province = Text(target_value(row))
                province.append(f" ({threshold_text(row)})", style="dim")
                meeting = bar(row.meeting / row.counties if row.counties else 0, percent=False)
                meeting.append(f" {row.meeting:>3}/{row.counties}")
                targets.add_row(f"T{number}", cell(row.indicator.title.get()), meeting,
                                province, days,
                                key=row.indicator.recommendation + "#" + row.indicator.id)

        keep_cursor(targets, fill_targets)
        by_rec = self.query_one("#by-rec", Table)

        def fill_by_rec() -> None:
            for rec in view.plan.recommendations:
                counts = status_counts(view, rec.id)
                by_rec.add_row(rec.id, cell(rec.title.get()),
                               *[str(counts.get(s, 0)) for s in Status], key=rec.id)

        keep_cursor(by_rec, fill_by_rec)
        matrix = self.query_one("#matrix", Table)
        county_prefecture = {c.code: c.prefecture for c in view.plan.counties}
        closed_statuses = {s.value for s in CLOSED_STATUSES}

        def fill_matrix() -> None:
            closed: dict[tuple[str, str], int] = {}
            total: dict[tuple[str, str], int] = {}
            for county, rec_id, status in view.statuses():
                key = (county_prefecture[county], rec_id)
                total[key] = total.get(key, 0) + 1
                if status in closed_statuses:
                    closed[key] = closed.get(key, 0) + 1
            for prefecture in view.plan.prefectures:
                cells: list[Any] = [cell(prefecture.name.get())]
                for rec in view.plan.recommendations:
                    key = (prefecture.code, rec.id)
                    cells.append(shade(closed.get(key, 0) / total[key] if total.get(key)
                                       else 0))
                matrix.add_row(*cells, key=prefecture.code)

        keep_cursor(matrix, fill_matrix)
        recent = self.query_one("#recent", Table)
        events = self.tracker.store.history.tail()
        if self.tracker.as_of is not None:
            limit = self.tracker.as_of.isoformat()
            events = [e for e in events if e["ts"][:10] <= limit]
        mine = self.tracker.store.user
        others = [e for e in events if e.get("user") != mine][-RECENT:]

        def fill_recent() -> None:
            for event in reversed(others):
                recent.add_row(event["ts"][:16].replace("T", " "), cell(event["user"]),
                               cell(event.get("task") or event.get("county") or ""),
                               cell(describe_event(event, view.plan)), key=str(event["seq"]))

        keep_cursor(recent, fill_recent)
        if not others:
            recent.add_row("", "", "", cell(_("dash.no_recent")))

    def _open(self, table: Table) -> None:
        """Enter on a row: the recommendation, the prefecture's tasks for it, the task."""
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        if table.id == "by-rec":
            self.tracker.open_target(key)
        elif table.id == "targets":
            self.tracker.open_target(key.split("#")[0])
        elif table.id == "matrix":
            column = table.cursor_column
            recs = self.tracker.view.plan.recommendations
            rec = recs[column - 1].id if column >= 1 else recs[0].id
            from screens.recommendations import RecommendationScreen

            self.app.push_screen(RecommendationScreen(rec, prefecture=key))
        elif table.id == "recent":
            task = table.get_row(key)[2]
            if str(task):
                self.tracker.open_target(str(task))

    def on_data_table_row_selected(self, event: Table.RowSelected) -> None:
        self._open(event.data_table)  # type: ignore[arg-type]

    def on_data_table_cell_selected(self, event: Table.CellSelected) -> None:
        self._open(event.data_table)  # type: ignore[arg-type]
