"""Counties (2): the 100 counties with a status glyph per recommendation, digitized
share and next follow-up; sortable, filter as you type. Enter opens a county."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Header, Static

from tracker.domain.pinyin import keys_of, name_order
from tracker.domain.progress import county_value
from tracker.i18n import _
from tracker.screens import actions
from tracker.screens.base import FilteredScreen, cell, status_cell, status_legend
from tracker.screens.linetable import Column, LineTable
from tracker.screens.widgets import FilterInput, Footer

SORTS = ("code", "prefecture", "county", "share", "next")


class CountiesScreen(FilteredScreen):
    FILTERED_TABLE = "#counties"
    ACTION_SCOPE = "counties"
    BINDINGS = actions.bindings(ACTION_SCOPE)

    def __init__(self) -> None:
        super().__init__()
        self.sort = 0
        self._cache_key: tuple[Any, Any] | None = None
        self._cache: list[tuple[Any, ...]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterInput(id="filter")
        yield LineTable(id="counties")
        yield Static(id="counties-status", classes="status-line")
        yield Footer()

    def build(self) -> None:
        table = self.query_one("#counties", LineTable)
        recs = self.tracker.view.plan.recommendations
        table.set_columns([
            Column("code", _("col.code")),
            Column("prefecture", _("col.prefecture")),
            Column("county", _("col.county"), shrink=14),
            Column("recs", _("counties.col.recs", first=recs[0].id, last=recs[-1].id)),
            Column("share", _("col.digitized"), justify="right"),
            Column("next", _("col.next")),
        ])
        self.refresh_data()
        table.focus()

    def _all_rows(self) -> list[tuple[Any, ...]]:
        """Every county's row with its search text, computed once per view and day (a
        keystroke in the filter then costs only substring tests)."""
        view, day = self.tracker.view, self.tracker.day()
        if self._cache_key is not None and self._cache_key[0] is view \
                and self._cache_key[1] == day:
            return self._cache
        share = next((i for i in view.plan.indicators if i.id == "digitized_share"), None)
        by_county: dict[str, dict[str, Any]] = {}
        for task in view.tasks():
            entry = by_county.setdefault(task.county, {"tasks": {}, "next": None})
            entry["tasks"][task.recommendation] = task
            if task.status.is_open and task.next_followup and (
                    entry["next"] is None or task.next_followup < entry["next"]):
                entry["next"] = task.next_followup
        rows = []
        for county in view.plan.counties:
            prefecture = view.plan.prefecture(county.prefecture)
            haystack = " ".join((county.code, county.name.zh, county.name.en,
                                 prefecture.name.zh, prefecture.name.en,
                                 keys_of(county.name.zh, prefecture.name.zh))).lower()
            value = county_value(view, county.code, share, day).value if share else None
            entry = by_county.get(county.code, {"tasks": {}, "next": None})
            rows.append((county.code, prefecture.name.get(), county.name.get(),
                         [entry["tasks"].get(r.id) for r in view.plan.recommendations],
                         value, entry["next"], haystack))
        self._cache_key, self._cache = (view, day), rows
        return rows

    def rows(self) -> list[tuple[Any, ...]]:
        """The counties matching the filter, in the chosen order."""
        query = self.query_one("#filter", FilterInput).value.lower().split()
        rows = [r for r in self._all_rows() if all(word in r[6] for word in query)]
        key = SORTS[self.sort]
        if key == "share":
            rows.sort(key=lambda r: (r[4] is None, r[4] or 0))
        elif key == "next":
            rows.sort(key=lambda r: (r[5] is None, r[5] or date.max))
        elif key in ("prefecture", "county"):  # Chinese names in pinyin order
            column = SORTS.index(key)
            rows.sort(key=lambda r: (name_order(r[column]), r[0]))
        else:
            rows.sort(key=lambda r: r[SORTS.index(key)])
        return rows

    def refresh_data(self) -> None:
        rows = self.rows()
        limit = self.row_limit()
        shown = []
        for code, prefecture, name, tasks, share, next_date, _text in rows[:limit]:
            glyphs = Text(" ").join(status_cell(t.status, glyph_only=True) if t
                                    else Text("?") for t in tasks)
            share_text = Text("-" if share is None else f"{share:.1f}%",
                              style="" if share is None or share >= 60 else "yellow")
            shown.append((code, [code, cell(prefecture), cell(name), glyphs, share_text,
                                 cell(next_date)]))
        self.query_one("#counties", LineTable).set_rows(shown)
        status = _("counties.status", count=len(rows), sort=_(f"sort.{SORTS[self.sort]}"))
        if len(rows) > limit:
            status += " " + self.hidden_hint(len(rows) - limit)
        line = Text(status + "   ", style="dim", no_wrap=True, overflow="ellipsis")
        line.append_text(status_legend())
        self.query_one("#counties-status", Static).update(line, layout=False)

    def action_sort(self) -> None:
        self.sort = (self.sort + 1) % len(SORTS)
        self.refresh_data()

    def on_line_table_selected(self, event: LineTable.Selected) -> None:
        from tracker.screens.county import CountyScreen

        self.app.push_screen(CountyScreen(event.key))
