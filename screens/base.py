"""What every tracker screen shares: localized bindings and refresh-in-place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from screens.localize import localize_bindings
from tracker.i18n import _
from tracker.model import Status
from tracker.render import STATUS_STYLE
from tracker.text import clean_text

if TYPE_CHECKING:
    from tracker.app import TrackerApp

STATUS_GLYPH = {
    Status.NOT_STARTED: "·",
    Status.IN_PROGRESS: "◐",
    Status.BLOCKED: "✗",
    Status.DONE: "●",
    Status.VERIFIED: "✔",
    Status.NOT_APPLICABLE: "–",
}


def cell(value: Any, style: str = "") -> Text:
    """A table cell or label for stored or user text: literal, no control characters."""
    return Text("-" if value is None else clean_text(str(value)), style=style,
                no_wrap=True, overflow="ellipsis")


def status_cell(status: Status, *, glyph_only: bool = False) -> Text:
    label = STATUS_GLYPH[status] if glyph_only else (
        f"{STATUS_GLYPH[status]} {_(f'status.{status.value}')}")
    return Text(label, style=STATUS_STYLE[status])


def status_legend() -> Text:
    """What the status glyphs mean (tables that show glyphs only)."""
    legend = Text()
    for status in Status:
        legend.append(f"{STATUS_GLYPH[status]} ", style=STATUS_STYLE[status])
        legend.append(f"{_(f'status.{status.value}')}  ", style="dim")
    return legend


class TrackerScreen(Screen[Any]):
    """A full screen of the app. Subclasses implement ``refresh_data`` (called when the
    store changes: keep the cursor and scroll) and ``relabel`` (language switched)."""

    @property
    def tracker(self) -> TrackerApp:
        return self.app  # type: ignore[return-value]

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self)

    def refresh_data(self) -> None:
        """Re-read ``self.tracker.view``."""

    def relabel(self) -> None:
        """Rebuild the screen in the new language: compose again, then set up the new
        widgets as on first mount."""
        self.refresh(recompose=True)
        self.call_after_refresh(self.on_mount)

    def on_mount(self) -> None:
        """Set up columns and fill the widgets (subclasses)."""


class TrackerModal(ModalScreen[Any]):
    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self)


def keep_cursor(table: DataTable[Any], fill: Any) -> None:
    """Refill ``table`` with ``fill()`` keeping the cursor on the same row key and the
    scroll position (live refresh must not move the user's place)."""
    key = None
    if table.row_count and table.cursor_row >= 0:
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            key = None
    scroll_y = table.scroll_y
    column = table.cursor_column
    table.clear()
    fill()
    if key is not None:
        try:
            row = table.get_row_index(key)
        except RowDoesNotExist:  # the row is gone after the change: stay near it
            row = min(table.cursor_row, max(table.row_count - 1, 0))
        table.move_cursor(row=row, column=column, animate=False, scroll=False)
    table.scroll_to(y=scroll_y, animate=False)
