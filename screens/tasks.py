"""The task table shared by the county and recommendation screens."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text

from tracker.domain.model import Task
from tracker.domain.pinyin import keys_of
from tracker.domain.state import StateView
from tracker.formats.terminal import task_flags
from tracker.i18n import _
from tracker.screens.base import MAX_ROWS, cell, status_cell
from tracker.screens.linetable import Column, LineTable

NARROW = 100  # below this many columns, long names are cut to fit the other columns


def name_width(app: Any, narrow: int = 12) -> int | None:
    """A fixed width for county-name columns on narrow terminals (None: fit content)."""
    return narrow if app.size.width < NARROW else None


def search_text(view: StateView, task: Task) -> str:
    """What the `/` filter matches for a task: id, county and prefecture names, owner."""
    county = view.plan.county(task.county)
    prefecture = view.plan.prefecture(county.prefecture)
    return " ".join((task.id, county.name.zh, county.name.en, prefecture.name.zh,
                     prefecture.name.en, task.owner or "", task.status.value,
                     keys_of(county.name.zh, prefecture.name.zh))).lower()


class Searcher:
    """Per-view cache of each task's search text, so filtering costs a substring test."""

    def __init__(self) -> None:
        self._view: StateView | None = None
        self._texts: dict[str, str] = {}

    def matches(self, view: StateView, tasks: list[Task], query: str) -> list[Task]:
        if view is not self._view:
            self._view, self._texts = view, {}
        words = query.lower().split()
        if not words:
            return tasks
        found = []
        for task in tasks:
            text = self._texts.get(task.id)
            if text is None:
                text = self._texts[task.id] = search_text(view, task)
            if all(word in text for word in words):
                found.append(task)
        return found


class TaskTable(LineTable):
    """Tasks with county, recommendation, status, owner, due and next follow-up."""

    def __init__(self, *, id: str | None = None, county: bool = True, rec: bool = True) -> None:
        super().__init__(id=id)
        self.with_county = county
        self.with_rec = rec
        self.marked: set[str] = set()  # rows marked with Space, for a bulk change

    def on_mount(self) -> None:
        self.set_columns([
            Column("id", _("col.id")),
            *([Column("county", _("col.county"), shrink=12)]
              if self.with_county else []),
            *([Column("rec", _("col.rec"))] if self.with_rec else []),
            Column("status", _("col.status")),
            Column("owner", _("col.owner")),
            Column("due", _("col.due")),
            Column("next", _("col.next")),
            Column("flags", _("col.flags"), flex=True),  # fits the width left
        ])

    def show(self, view: StateView, tasks: list[Task], day: date,
             limit: int = MAX_ROWS) -> int:
        """Fill with up to ``limit`` tasks, keeping the cursor; returns how many are
        hidden."""
        shown = tasks[:limit]
        rows: list[tuple[str, list[Any]]] = []
        for task in shown:
            county = view.plan.county(task.county)
            flags = task_flags(task, day, view.stale_days)
            rows.append((task.id, [
                Text("● " + task.id, style="bold") if task.id in self.marked
                else task.id,
                *([cell(county.name.get())] if self.with_county else []),
                *([task.recommendation] if self.with_rec else []),
                status_cell(task.status), cell(task.owner),
                cell(task.due, "red" if task.is_overdue(day) else ""),
                cell(task.next_followup),
                Text(" ".join(flags), style="bold red")]))
        self.set_rows(rows)
        return len(tasks) - len(shown)

    def current_task(self) -> str | None:
        return self.cursor_key

    def row_keys(self) -> list[str]:
        return [row.key for row in self.rows]
