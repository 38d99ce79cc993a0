"""The DataTable the detail screens use (follow-ups, history, recommendations, a task's
history): kept apart from screens.widgets so that the dashboard, which draws its own
tables (screens.linetable), does not import DataTable at start-up (~3 ms)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tracker.screens.widgets import page_outer


class Table(DataTable[Text | str]):
    """A keyboard-first table: row cursor, zebra stripes, no markup in cells; Home and
    End go to the first and last row (DataTable's own scroll sideways)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "first_row", show=False),
        Binding("end", "last_row", show=False),
    ]

    DEFAULT_CSS = """
    Table { height: auto; max-height: 100%; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)

    def action_page_down(self) -> None:
        if not (self.scroll_y >= self.max_scroll_y and page_outer(self, 1)):
            super().action_page_down()

    def action_page_up(self) -> None:
        if not (self.scroll_y <= 0 and page_outer(self, -1)):
            super().action_page_up()

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0, animate=False)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)
