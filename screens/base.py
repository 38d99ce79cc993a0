"""What every tracker screen shares: catching up with the data, the `/` filter, modals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from rich.text import Text
from textual import events
from textual.containers import ScrollableContainer
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import Input

from tracker.domain.model import Status
from tracker.domain.text import clean_text
from tracker.formats.terminal import STATUS_STYLE
from tracker.glyphs import shown
from tracker.i18n import _, get_language
from tracker.screens.widgets import FilterInput

if TYPE_CHECKING:
    from textual.widgets import DataTable

    from tracker.domain.commands import Command
    from tracker.domain.state import StateView
    from tracker.storage.store import Store

# A table shows at most this many rows (all of a province's counties, or of one
# recommendation's tasks); beyond that the user types to narrow it. Building the rows'
# cells costs per row (drawing them only per visible line: screens.linetable), so this
# keeps every keystroke quick on large databases.
MAX_ROWS = 100
# While a filter is typed, the best matches are what the user reads: fewer rows keep
# each keystroke quick; leaving the field shows MAX_ROWS again (FilteredScreen.row_limit).
FILTERED_ROWS = 20

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
    label = shown(STATUS_GLYPH[status]) if glyph_only else (
        f"{shown(STATUS_GLYPH[status])} {_(f'status.{status.value}')}")
    return Text(label, style=STATUS_STYLE[status])


def status_legend() -> Text:
    """What the status glyphs mean (tables that show glyphs only)."""
    legend = Text()
    for status in Status:
        legend.append(f"{shown(STATUS_GLYPH[status])} ", style=STATUS_STYLE[status])
        legend.append(f"{_(f'status.{status.value}')}  ", style="dim")
    return legend


class Host(Protocol):
    """What the screens ask of the app that hosts them (tracker.app.TrackerApp), besides
    Textual's own App: the store and the state shown, the date looked at, the user's
    role, and the one way to change anything (``submit``). Screens never import the app
    itself."""

    store: Store
    view: StateView
    as_of: date | None

    def today(self) -> date: ...

    def day(self) -> date: ...

    def may_edit(self) -> bool: ...

    def allows(self, role: str) -> bool: ...

    def my_groups(self) -> list[str]: ...

    def can_edit(self, *, task: str | None = None, county: str | None = None,
                 action: str) -> bool: ...

    # A sequence of commands, applied all or nothing. Typed as Any until the Command
    # base class lands in tracker.domain.commands (issue 11, typed commands).
    def submit(self, commands: Sequence[Command], on_done: Callable[[Any], None] | None = None,
               *, action: str) -> None: ...

    def submit_attachment(self, task: str, path: str, before: Sequence[Command],
                          on_done: Callable[[Any], None] | None = None, *,
                          action: str) -> None: ...

    service: bool

    def open_target(self, text: str) -> None: ...

    def reload(self) -> None: ...


class TrackerScreen(Screen[Any]):
    """A full screen of the app. Subclasses implement ``build`` (set up what compose made
    and fill it) and ``refresh_data`` (re-read ``self.tracker.view`` in place, keeping the
    cursor and scroll).

    A screen is never asked to refresh before it exists: the app posts ``Changed`` to the
    screen on top (a message waits until the screen has composed and mounted), and a
    screen below catches up when it is shown again (``on_screen_resume``), only if the
    data or the language changed since it last drew."""

    ACTION_SCOPE: ClassVar[str] = ""  # its keys in screens.actions

    class Changed(Message):
        """The app's data (or language) changed: catch up if shown."""

    @property
    def tracker(self) -> Host:
        return self.app  # type: ignore[return-value]

    def __init__(self) -> None:
        super().__init__()
        self._drawn: tuple[object, str] | None = None  # (view, language) last drawn

    def _now(self) -> tuple[object, str]:
        return self.tracker.view, get_language()

    def on_mount(self) -> None:
        """Runs after the subclass's own on_mount handlers (Textual calls each class's)."""
        self.build()
        self._drawn = self._now()

    def build(self) -> None:
        """Set up columns and fill the widgets (subclasses)."""

    def refresh_data(self) -> None:
        """Re-read ``self.tracker.view``."""

    async def catch_up(self) -> None:
        """Draw what changed since this screen last drew: everything again in a new
        language, else the data in place."""
        if self._drawn is None:  # not built yet: build() will draw the current state
            return
        view, language = self._now()
        if language != self._drawn[1]:
            await self.relabel()
        elif view is not self._drawn[0]:
            self.refresh_data()
        self._drawn = (view, language)

    async def on_tracker_screen_changed(self, message: TrackerScreen.Changed) -> None:
        await self.catch_up()

    def on_screen_resume(self) -> None:
        # Once Textual's own resume handling (focus, layout) is done.
        self.call_next(self.catch_up)

    async def relabel(self) -> None:
        """Rebuild the screen in the new language: compose again, then build."""
        await self.recompose()
        self.build()

    def takes_text(self) -> bool:
        """Whether keys typed now are text for this screen (the app's keys are off)."""
        return False

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_page(self, direction: int) -> None:
        """PageDown/PageUp with the focus outside a table: the screen's scroll area."""
        for area in self.query(ScrollableContainer):
            if area.max_scroll_y:
                if direction > 0:
                    area.scroll_page_down(animate=False)
                else:
                    area.scroll_page_up(animate=False)
                return


class FilteredScreen(TrackerScreen):
    """A screen with a `/` filter (a FilterInput with id ``filter``) over one table."""

    FILTERED_TABLE = ""  # the selector of the table the filter narrows
    # `/` was pressed and the keys typed with it are still on their way through the
    # table (Textual moves the focus only after the keys already queued are forwarded).
    # Ends when the filter gets a key itself (FilterInput.Typing), or is left with Enter
    # or Escape. A change refreshes the footer: while it is set, the app's keys are off
    # (and not shown).
    _opening = reactive(False, bindings=True, repaint=False)

    # The user is typing in the filter: the table shows only FILTERED_ROWS rows so that
    # each keystroke stays quick; leaving the field (Enter, Down, Tab) shows MAX_ROWS.
    _typing = False

    def action_back(self) -> None:
        """Escape in the table: a filter in force is cleared first (as in the field),
        then the next Escape goes back."""
        field = self.query_one("#filter", FilterInput)
        if field.value or field.display:
            self._opening = False
            field.action_hide()
            self.query_one(self.FILTERED_TABLE).focus()
            return
        super().action_back()

    def filter_changed(self) -> None:
        """The filter text changed: show the matching rows (default: refresh all)."""
        self.refresh_data()

    def filter_text(self) -> str:
        return self.query_one("#filter", FilterInput).value

    def row_limit(self) -> int:
        """How many rows the table shows now: few while a filter is typed, else all."""
        return FILTERED_ROWS if self._typing and self.filter_text().strip() else MAX_ROWS

    def hidden_hint(self, count: int) -> str:
        """What to do about ``count`` rows not shown: filter, or narrow the filter."""
        key = "tasks.hidden_narrow" if self.filter_text().strip() else "tasks.hidden"
        return _(key, count=count)

    def takes_text(self) -> bool:
        return self._opening

    def on_filter_input_typing(self, event: FilterInput.Typing) -> None:
        self._opening = False  # the keys go to the field itself now

    def on_filter_input_hidden(self, event: FilterInput.Hidden) -> None:
        self._opening = False

    def on_input_changed(self, event: Input.Changed) -> None:
        self._typing = self._opening or event.input.has_focus
        self.filter_changed()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.leave_filter()

    def on_filter_input_leave(self, event: FilterInput.Leave) -> None:
        self.leave_filter()

    def on_input_blurred(self, event: Input.Blurred) -> None:
        """Left the field another way (Tab, a click): the table shows all it may again."""
        if self._typing:
            self._typing = False
            self.filter_changed()

    def leave_filter(self) -> None:
        """Enter or Down in the filter: the table, all matching rows up to MAX_ROWS, and
        the cursor on the first of them (a second Enter opens it)."""
        self._opening = False
        self._typing = False
        self.filter_changed()
        table: Any = self.query_one(self.FILTERED_TABLE)  # a LineTable or a DataTable
        table.focus()
        if table.row_count:
            table.move_cursor(row=0, animate=False)

    def action_filter(self) -> None:
        self._opening = True
        self.query_one("#filter", FilterInput).show()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the filter opens, letters are text, not this screen's commands."""
        return not self._opening or action == "filter"

    def on_key(self, event: events.Key) -> None:
        """Keys typed right after `/`, before Textual has moved the focus (it does so
        on its next turn), belong in the filter, not to the table's key bindings."""
        if event.key == "slash" and not self._opening:
            self._opening = True  # the `/` binding shows the field once this has bubbled
            return
        if self._opening and event.key == "enter":  # typed with the rest: ends the filter
            self._opening = False
            event.stop()
            event.prevent_default()
            self.leave_filter()
            return
        if self._opening and event.is_printable and event.character:
            field = self.query_one("#filter", FilterInput)
            field.insert_text_at_cursor(event.character)
            event.stop()
            event.prevent_default()


class TrackerModal(ModalScreen[Any]):
    """A modal of the app (a form, help): its keys come from screens.actions."""

    ACTION_SCOPE: ClassVar[str] = ""


def keep_cursor(table: DataTable[Any], fill: Any, row: int | None = None) -> None:
    """Refill ``table`` with ``fill()`` keeping the cursor on the same row key and the
    scroll position (live refresh must not move the user's place). With ``row``, the
    cursor stays at that row position instead (the user's own edit moved its row away
    and the next one is what they work on)."""
    from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

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
    if row is not None:
        table.move_cursor(row=min(row, max(table.row_count - 1, 0)), column=column,
                          animate=False, scroll=False)
    elif key is not None:
        try:
            row = table.get_row_index(key)
        except RowDoesNotExist:  # the row is gone after the change: stay near it
            row = min(table.cursor_row, max(table.row_count - 1, 0))
        table.move_cursor(row=row, column=column, animate=False, scroll=False)
    table.scroll_to(y=scroll_y, animate=False)
