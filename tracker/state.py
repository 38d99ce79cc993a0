"""The read model: one consistent view of the database, current or as of a date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.events import META_ID, Index, Tables
from tracker.model import Measurement, Task, measurements_of
from tracker.plan import Plan


@dataclass
class StateView:
    tables: Tables
    index: Index
    plan: Plan
    as_of: date | None = None
    _tasks: list[Task] | None = field(default=None, repr=False)
    _series: dict[tuple[str, str], list[Measurement]] = field(default_factory=dict, repr=False)

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

    def measurements(self, code: str, key: str) -> list[Measurement]:
        """Measurements of ``key`` for county ``code`` up to the view's date."""
        series = self._series.get((code, key))
        if series is None:  # a view is read-only: build each series once
            series = measurements_of(self.county_doc(code), key)
            if self.as_of is not None:
                series = [m for m in series if m.date <= self.as_of]
            self._series[(code, key)] = series
        return series

    def latest(self, code: str, key: str) -> Measurement | None:
        series = self.measurements(code, key)
        return series[-1] if series else None
