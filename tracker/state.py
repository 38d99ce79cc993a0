"""The read model: one consistent view of the database, current or as of a date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.events import META_ID, Index, Tables
from tracker.model import Measurement, Task, measurement_of
from tracker.plan import Plan
from tracker.timeline import Timeline, series_of, timeline_of


@dataclass
class StateView:
    tables: Tables
    index: Index
    plan: Plan
    as_of: date | None = None
    # Where notes, follow-ups and measurement series are read (the store's journal).
    journal: Any = field(default=None, repr=False)
    _tasks: list[Task] | None = field(default=None, repr=False)
    _series: dict[str, dict[str, list[Measurement]]] = field(default_factory=dict, repr=False)

    @property
    def meta(self) -> dict[str, Any]:
        return self.tables["meta"][META_ID]

    @property
    def demo(self) -> bool:
        return bool(self.meta.get("demo"))

    @property
    def stale_days(self) -> int:
        return int(self.meta["settings"].get("stale_days", 90))

    @property
    def head(self) -> dict[str, Any]:
        return self.meta.get("head", {})

    def tasks(self) -> list[Task]:
        if self._tasks is None:
            self._tasks = [Task.from_doc(doc) for doc in self.tables["tasks"].values()]
        return self._tasks

    def task(self, task_id: str) -> Task:
        from tracker.errors import NotFoundError

        key = self.index.tasks.get(task_id)
        if key is None:
            raise NotFoundError("task.unknown", task=task_id)
        return Task.from_doc(self.tables["tasks"][key])

    def county_doc(self, code: str) -> dict[str, Any]:
        return self.tables["counties"][self.index.counties[code]]

    def task_events(self, task_id: str) -> list[dict[str, Any]]:
        """One task's events up to the view's date, oldest first."""
        events: list[dict[str, Any]] = self.journal.task_events(task_id)
        if self.as_of is not None:
            limit = self.as_of.isoformat()
            events = [e for e in events if e["ts"][:10] <= limit]
        return events

    def timeline(self, task_id: str) -> Timeline:
        """A task's notes and follow-ups (read off the journal)."""
        return timeline_of(self.task_events(task_id))

    def measurements(self, code: str, key: str) -> list[Measurement]:
        """Measurements of ``key`` for county ``code`` up to the view's date, read off
        the journal (the state keeps only the latest)."""
        series = self._series.get(code)
        if series is None:  # a view is read-only: read each county once
            self.county_doc(code)  # an unknown county is a KeyError, as before
            series = series_of(self.journal.county_events(code), self.as_of)
            self._series[code] = series
        return series.get(key, [])

    def latest(self, code: str, key: str) -> Measurement | None:
        """The latest measurement of ``key`` (by its date, up to the view's date)."""
        entry = self.county_doc(code)["measurements"].get(key)
        if entry is None:
            return None
        if self.as_of is not None and entry["date"] > self.as_of.isoformat():
            series = self.measurements(code, key)  # dated after the view: look back
            return series[-1] if series else None
        return measurement_of(key, entry)
