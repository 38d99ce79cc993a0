"""A light table for the dashboard's panels, drawn line by line.

The dashboard shows four small tables (8 to 14 rows). As DataTables they cost more than
the whole of a hello-world Textual app's start (each row is measured cell by cell before
the first frame), and a Rich ``Table`` in a ``Static`` costs as much. A ``LineTable``
keeps its rows as ``Text`` cells and draws each line on demand through Textual's line API
(``render_line``): widths are the columns' own, the one flexible column takes what the
others leave, and nothing is measured twice. It has what the dashboard needs of a table:
a header line, zebra rows, a row or cell cursor moved with the arrow keys, Home and End,
and Enter (or a click) to open the row under the cursor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from tracker.screens.widgets import page_outer

GAP = 1  # blank cells either side of a cell, as DataTable's cell padding
MIN_FLEX = 8  # the flexible column never gets narrower than this
SIDE_STEP = 8  # cells that Left/Right scroll a wide table with a row cursor


class Column(NamedTuple):
    key: str
    label: Text | str
    width: int | None = None  # None: as wide as its widest cell or its label
    flex: bool = False  # takes what the other columns leave of the widget's width
    justify: str = "left"
    shrink: int | None = None  # may be cut to this width when the table does not fit


class Row(NamedTuple):
    key: str
    cells: list[Text]


def _text(value: Text | str) -> Text:
    return value if isinstance(value, Text) else Text(value)


class LineTable(ScrollView, can_focus=True):
    """A header line and one line per row, with a row (or, with ``cursor="cell"``, a
    cell) cursor. ``Selected`` is posted on Enter or a click.

    With ``height: auto`` (the dashboard) it is as tall as its rows and a scrolling
    ancestor brings the cursor into view; given less height (the lists) it scrolls its
    rows itself under a header that stays. Only the lines on screen are drawn, so a
    change of rows costs what the visible lines cost, not what the rows do."""

    DEFAULT_CSS = """
    LineTable {
        height: auto;
        overflow-x: auto;
        overflow-y: auto;
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .line-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .line-table--title {
            text-style: bold;
        }
        & > .line-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .line-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .line-table--even {
            background: $surface-lighten-1 50%;
        }
        &:dark > .line-table--even {
            background: $surface-darken-1 40%;
        }
        & > .line-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    COMPONENT_CLASSES = {"line-table--title", "line-table--header", "line-table--even",
                         "line-table--cursor"}
    BINDINGS = [
        Binding("enter", "select", show=False),
        Binding("up", "move(-1, 0)", show=False),
        Binding("down", "move(1, 0)", show=False),
        Binding("left", "move(0, -1)", show=False),
        Binding("right", "move(0, 1)", show=False),
        Binding("home", "edge(-1)", show=False),
        Binding("end", "edge(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
    ]

    class Selected(Message):
        """Enter or a click on a row: its key and the cursor's column."""

        def __init__(self, table: LineTable, key: str, column: int) -> None:
            super().__init__()
            self.table = table
            self.key = key
            self.column = column

        @property
        def control(self) -> LineTable:
            return self.table

    def __init__(self, *, id: str | None = None, classes: str | None = None,
                 cursor: str = "row", title: Text | str | None = None,
                 legend: Text | str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.cursor = cursor
        # A panel's title (a blank line, then the title in bold) and a line under the
        # rows, drawn by the table itself: two widgets fewer per panel to mount.
        self.title = None if title is None else _text(title)
        self.legend = None if legend is None else _text(legend)
        self.columns: list[Column] = []
        self.rows: list[Row] = []
        self.cursor_row = 0
        self.cursor_column = 0
        self._widths: tuple[int, list[int]] | None = None  # (for width, widths)

    # -- content ---------------------------------------------------------------------------
    def set_columns(self, columns: Iterable[Column]) -> None:
        self.columns = list(columns)
        self._widths = None
        self._size_changed()
        self.refresh(layout=True)

    def set_rows(self, rows: Iterable[tuple[str, Sequence[Text | str]]]) -> None:
        """Replace the rows; the cursor stays on the row with the same key (or near where
        it was, if that row is gone), so a live refresh does not move the user's place."""
        key = self.cursor_key
        self.rows = [Row(k, [_text(c) for c in cells]) for k, cells in rows]
        keys = [row.key for row in self.rows]
        if key in keys:
            self.cursor_row = keys.index(key)
        self.cursor_row = max(0, min(self.cursor_row, len(self.rows) - 1))
        self._widths = None
        self._size_changed()
        self.refresh()
        # The screen repaints in the frame it draws next, these rows included: a keystroke
        # in a filter lays out its Input, and the screen's pass for it, which comes before
        # this widget's next idle (when it would tell the screen it needs a repaint),
        # would otherwise paint the Input alone and these rows a frame (~30 ms) later.
        if self.is_attached:
            self.screen.refresh()

    def _size_changed(self) -> None:
        natural = self._natural()
        # What scrolls sideways: all columns (a flexible one at its narrowest), without
        # the last cell's trailing blank.
        widths = [MIN_FLEX if column.flex else min(width, column.shrink or width)
                  for column, width in zip(self.columns, natural, strict=False)]
        width = max(0, sum(widths) + 2 * GAP * len(widths) - GAP)
        size = Size(width, self._top + len(self.rows) + (self.legend is not None))
        if size == self.virtual_size:
            return
        if self.styles.height is None or self.styles.height.is_auto or not self.is_attached:
            self.virtual_size = size  # the table's own height follows (a layout)
            return
        # A table of fixed height (the lists): new rows change what scrolls, not the
        # screen's layout, so the rows are repainted in the frame of the keystroke that
        # changed them rather than after a layout of the whole screen. Only a scroll bar
        # that appears or goes needs one.
        room = self.container_size
        if ((size.height > room.height) != self.show_vertical_scrollbar
                or (size.width > room.width) != self.show_horizontal_scrollbar):
            self.virtual_size = size
            return
        self.set_reactive(Widget.virtual_size, size)
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            bar.window_virtual_size = size.height
            bar.window_size = room.height - self.scrollbar_size_horizontal
            bar.refresh()
        if self.show_horizontal_scrollbar:
            bar = self.horizontal_scrollbar
            bar.window_virtual_size = size.width
            bar.window_size = room.width - self.scrollbar_size_vertical
            bar.refresh()
        self.scroll_to(y=min(self.scroll_y, self.max_scroll_y), animate=False,
                       immediate=True)
        self.refresh()

    def move_cursor(self, *, row: int, column: int | None = None, animate: bool = False,
                    scroll: bool = True) -> None:
        """Put the cursor on ``row`` (and ``column``), as DataTable.move_cursor does."""
        self._move_to(row, self.cursor_column if column is None else column, scroll=scroll)

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def cursor_key(self) -> str | None:
        return self.rows[self.cursor_row].key if self.rows else None

    def column_index(self, key: str) -> int:
        return next(n for n, column in enumerate(self.columns) if column.key == key)

    def column_text(self, key: str) -> list[str]:
        """The plain text of one column, top to bottom."""
        index = self.column_index(key)
        return [row.cells[index].plain for row in self.rows]

    # -- geometry --------------------------------------------------------------------------
    def _natural(self) -> list[int]:
        widths = []
        for n, column in enumerate(self.columns):
            if column.width is not None:
                widths.append(column.width)
                continue
            widest = cell_len(_text(column.label).plain)
            for row in self.rows:
                if n < len(row.cells):
                    widest = max(widest, row.cells[n].cell_len)
            widths.append(widest)
        return widths

    def column_widths(self, width: int) -> list[int]:
        """Each column's width in cells (without the gaps) when drawn ``width`` wide."""
        if self._widths is not None and self._widths[0] == width:
            return self._widths[1]
        widths = self._natural()
        room = width - 2 * GAP * len(widths) - sum(MIN_FLEX for c in self.columns if c.flex)
        over = sum(w for c, w in zip(self.columns, widths, strict=False) if not c.flex) - room
        for n, column in enumerate(self.columns):  # names cut (…) when it does not fit
            if over > 0 and column.shrink is not None and widths[n] > column.shrink:
                cut = min(widths[n] - column.shrink, over)
                widths[n] -= cut
                over -= cut
        for n, column in enumerate(self.columns):
            if column.flex:
                others = sum(w for i, w in enumerate(widths) if i != n)
                widths[n] = max(MIN_FLEX, width - others - 2 * GAP * len(widths))
        self._widths = (width, widths)
        return widths

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return sum(self._natural()) + 2 * GAP * len(self.columns)

    @property
    def _body(self) -> int:
        """How many rows fit under the header, above a horizontal scroll bar (all of them
        when the height is auto)."""
        height = self.scrollable_content_region.height
        return max(1, height - self._top - (self.legend is not None))

    @property
    def _top(self) -> int:
        """Lines above the first row: the title's two, then the header."""
        return (2 if self.title is not None else 0) + 1

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._top + len(self.rows) + (self.legend is not None)

    # -- drawing ---------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        top = self._top
        if y < top - 1:  # the title: a blank line, then the title
            if y == 0 or self.title is None:
                return Strip.blank(width, base)
            line = Text(" " * GAP, end="") + self.title
            line.stylize(self.get_component_rich_style("line-table--title"))
        elif y == top - 1:
            cells = [_text(column.label) for column in self.columns]
            line = self._line(cells, self.get_component_rich_style("line-table--header"))
        elif y - top < len(self.rows) - int(self.scroll_y) and y - top < self._body:
            row = y - top + int(self.scroll_y)
            style = (self.get_component_rich_style("line-table--even") if row % 2
                     else Style())
            cursor = self.cursor_column if row == self.cursor_row else None
            line = self._line(self.rows[row].cells, style, cursor)
        elif self.legend is not None and y - top == min(len(self.rows), self._body):
            line = Text(" " * GAP, end="") + self.legend
            line.truncate(width, overflow="ellipsis")
        else:
            return Strip.blank(width, base)
        strip = Strip(line.render(self.app.console))
        x = int(self.scroll_x)
        if x:
            strip = strip.crop(x, x + width)
        return strip.adjust_cell_length(width, base).apply_style(base)

    def _line(self, cells: Sequence[Text], style: Style, cursor: int | None = None) -> Text:
        widths = self.column_widths(self.scrollable_content_region.width)
        line = Text(style=style, no_wrap=True, end="")
        starts = []
        for n, (column, width) in enumerate(zip(self.columns, widths, strict=False)):
            value = cells[n].copy() if n < len(cells) else Text()
            value.no_wrap = True
            value.truncate(width, overflow="ellipsis")
            pad = width - value.cell_len
            if column.justify == "right":
                value.pad_left(pad)
            elif column.justify == "center":
                value.pad_left(pad // 2)
                value.pad_right(pad - pad // 2)
            else:
                value.pad_right(pad)
            starts.append(len(line))
            line.append(" " * GAP)
            line.append_text(value)
            line.append(" " * GAP)
        if cursor is not None:
            highlight = self.get_component_rich_style("line-table--cursor")
            if self.cursor == "cell" and starts:
                at = min(cursor, len(starts) - 1)
                end = starts[at + 1] if at + 1 < len(starts) else len(line)
                line.stylize(highlight, starts[at], end)
            else:
                line.stylize(highlight)
        return line

    # -- keys and mouse --------------------------------------------------------------------
    def _move_to(self, row: int, column: int, *, scroll: bool = True) -> None:
        if not self.rows:
            return
        self.cursor_row = max(0, min(row, len(self.rows) - 1))
        if self.cursor == "cell":
            self.cursor_column = max(0, min(column, len(self.columns) - 1))
        self.refresh()
        if scroll:
            self._reveal()

    def _reveal(self) -> None:
        """Bring the cursor's line into view: scroll the rows under the header, then the
        nearest scrolling ancestor (on the first row, the title and header with it)."""
        first = int(self.scroll_y)
        if self.cursor_row < first:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= first + self._body:
            self.scroll_to(y=self.cursor_row - self._body + 1, animate=False, immediate=True)
        line = self._top + self.cursor_row - int(self.scroll_y)
        for node in self.ancestors:
            if isinstance(node, Widget) and node.allow_vertical_scroll:
                window = node.content_region
                if self.outer_size.height <= window.height:  # all of it fits: show it
                    top, bottom = self.region.y, self.region.y + self.outer_size.height
                else:  # the cursor's line (on the first row, the title and header too)
                    top = self.region.y + (line if self.cursor_row else 0)
                    bottom = self.region.y + line + 1
                if top < window.y:
                    node.scroll_to(y=node.scroll_y - (window.y - top), animate=False)
                elif bottom > window.bottom:
                    node.scroll_to(y=node.scroll_y + (bottom - window.bottom),
                                   animate=False)
                return

    def action_move(self, rows: int, columns: int) -> None:
        if columns and self.cursor != "cell":  # a row cursor: Left/Right scroll sideways
            self.scroll_to(x=self.scroll_x + columns * SIDE_STEP, animate=False)
            return
        self._move_to(self.cursor_row + rows, self.cursor_column + columns)

    def action_page(self, direction: int) -> None:
        """A page of rows; a table that shows all its rows (the dashboard's panels) pages
        the screen around it, as Table does, and when that is at its end, goes to its
        own first or last row without scrolling back to it."""
        if self.max_scroll_y == 0:
            if not page_outer(self, direction):
                self._move_to(len(self.rows) - 1 if direction > 0 else 0,
                              self.cursor_column, scroll=False)
            return
        self._move_to(self.cursor_row + direction * self._body, self.cursor_column)

    def action_edge(self, direction: int) -> None:
        self._move_to(0 if direction < 0 else len(self.rows) - 1, self.cursor_column)

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.Selected(self, self.rows[self.cursor_row].key,
                                            self.cursor_column))

    def on_click(self, event: events.Click) -> None:
        row = event.y - self._top + int(self.scroll_y)
        if self._top <= event.y and 0 <= row < len(self.rows):
            column = self.cursor_column
            if self.cursor == "cell":
                x = event.x + int(self.scroll_x)
                widths = self.column_widths(self.scrollable_content_region.width)
                for n, width in enumerate(widths):
                    x -= width + 2 * GAP
                    if x < 0:
                        column = n
                        break
            self._move_to(row, column)
            self.action_select()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
