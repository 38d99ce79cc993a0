"""History (5): everyone's changes, newest first; `/` filters by user, county,
recommendation or date, and finds what people wrote (notes, follow-up outcomes, reasons,
the values changed: tracker.domain.search, as `tracker search` does); every word must
match. ``since:DATE``, ``until:DATE`` and ``user:NAME`` in the filter narrow it to a date
range and a person."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Header, Static

from tracker.domain.errors import TrackerError
from tracker.domain.pinyin import keys_of
from tracker.domain.search import EventFilter, event_search_text, split_filter
from tracker.formats.terminal import describe_event
from tracker.i18n import _
from tracker.screens import actions
from tracker.screens.base import FilteredScreen, cell, keep_cursor
from tracker.screens.datatable import Table
from tracker.screens.widgets import FilterInput, Footer


class HistoryScreen(FilteredScreen):
    FILTERED_TABLE = "#history"
    ACTION_SCOPE = "history"
    BINDINGS = actions.bindings(ACTION_SCOPE)

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []
        self._texts: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterInput(id="filter")
        yield Table(id="history")
        yield Static(id="history-status", classes="status-line")
        yield Footer()

    def build(self) -> None:
        # Fixed widths: the columns do not wait on the table measuring the rows a worker
        # adds (that measurement, left to an idle moment, sometimes never widened them).
        table = self.query_one("#history", Table)
        for label, width in ((_("col.seq"), 5), (_("col.when"), 16), (_("col.who"), 10),
                             (_("col.task"), 10), (_("col.change"), 40)):
            table.add_column(label, width=width)
        table.add_column(_("col.comment"))
        self.query_one("#history", Table).focus()
        self.refresh_data()

    def refresh_data(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="history")
    def _load(self) -> None:
        events = list(self.tracker.store.events())
        if self.tracker.as_of is not None:
            limit = self.tracker.as_of.isoformat()
            events = [e for e in events if e["ts"][:10] <= limit]
        plan = self.tracker.view.plan
        names = {c.code: f"{c.name.zh} {c.name.en} {keys_of(c.name.zh)}"
                 for c in plan.counties}
        texts = []
        for e in events:
            task = e.get("task") or ""
            county = e.get("county") or task.split("-")[0]
            texts.append(" ".join((e.get("user", ""), task, county, names.get(county, ""),
                                   e["ts"][:10], e.get("type", ""))).lower()
                         + " " + event_search_text(e))
        # A message, not call_from_thread: dropped if the screen has closed meanwhile.
        self.post_message(self.Read(events, texts))

    class Read(Message):
        """The worker has read the journal: the events and each one's search text."""

        def __init__(self, events: list[dict[str, Any]], texts: list[str]) -> None:
            super().__init__()
            self.events = events
            self.texts = texts

    def on_history_screen_read(self, message: HistoryScreen.Read) -> None:
        self.events, self._texts = message.events, message.texts
        self._fill()

    def _fill(self) -> None:
        query = self.query_one("#filter", FilterInput).value
        limit = self.row_limit()
        note = ""
        try:
            words, keep = split_filter(query, self.tracker.today())
        except TrackerError as error:  # a since:/until: date being typed: say so
            words, keep, note = [], EventFilter(), error.message
        picked = [e for e, text in zip(self.events, self._texts, strict=True)
                  if keep.keeps(e)
                  and all(word in text or (word == e.get("task", "").split("-")[-1])
                          for word in words)]
        picked.reverse()
        table = self.query_one("#history", Table)
        plan = self.tracker.view.plan

        def fill() -> None:
            for e in picked[:limit]:
                table.add_row(str(e["seq"]), e["ts"][:16].replace("T", " "), cell(e["user"]),
                              cell(e.get("task") or e.get("county") or ""),
                              cell(describe_event(e, plan)), cell(e.get("comment")),
                              key=str(e["seq"]))

        keep_cursor(table, fill)
        status = _("history.count", count=len(picked))
        if len(picked) > limit:
            status += "  " + self.hidden_hint(len(picked) - limit)
        status += "  " + (note or _("search.history_hint"))
        self.query_one("#history-status", Static).update(Text(status, style="dim"))

    def filter_changed(self) -> None:
        self._fill()

    def on_data_table_row_selected(self, event: Table.RowSelected) -> None:
        seq = int(str(event.row_key.value))
        task = next((e.get("task") for e in self.events if e["seq"] == seq), None)
        if task:
            from tracker.screens.task import TaskScreen

            self.app.push_screen(TaskScreen(task))
