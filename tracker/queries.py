"""Task filters shared by `tracker list` and the app's tables."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from tracker.errors import NotFoundError, UsageError
from tracker.model import Status, Task
from tracker.plan import Plan
from tracker.state import StateView


class TaskFilter(NamedTuple):
    counties: frozenset[str] | None = None
    recs: frozenset[str] | None = None
    statuses: frozenset[Status] | None = None
    owner: str | None = None
    overdue: bool = False
    stale: bool = False
    due_before: date | None = None
    due_after: date | None = None

    @classmethod
    def build(cls, plan: Plan, *, prefecture: str | None = None, county: str | None = None,
              rec: str | None = None, status: str | None = None, owner: str | None = None,
              overdue: bool = False, stale: bool = False, due_before: date | None = None,
              due_after: date | None = None) -> TaskFilter:
        """From user text: names or codes, comma-separated lists for rec and status."""
        counties: set[str] | None = None
        if prefecture:
            pref = plan.find_prefecture(prefecture)
            counties = {c.code for c in plan.counties_in(pref.code)}
        if county:
            found = {c.code for c in plan.find_counties(county)}
            if not found:
                raise NotFoundError("county.unknown", query=county)
            counties = found if counties is None else counties & found
        recs = None
        if rec:
            recs = frozenset(plan.recommendation(r.strip()).id for r in rec.split(","))
        statuses = None
        if status:
            try:
                statuses = frozenset(Status(s.strip().lower()) for s in status.split(","))
            except ValueError:
                raise UsageError("status.unknown", value=status,
                                 known=", ".join(s.value for s in Status)) from None
        return cls(frozenset(counties) if counties is not None else None, recs, statuses,
                   owner.strip() if owner else None, overdue, stale, due_before, due_after)

    def matches(self, task: Task, today: date, stale_days: int) -> bool:
        if self.counties is not None and task.county not in self.counties:
            return False
        if self.recs is not None and task.recommendation not in self.recs:
            return False
        if self.statuses is not None and task.status not in self.statuses:
            return False
        if self.owner is not None and (task.owner or "").lower() != self.owner.lower():
            return False
        if self.overdue and not task.is_overdue(today):
            return False
        if self.stale and not task.is_stale(today, stale_days):
            return False
        if self.due_before is not None and (task.due is None or task.due >= self.due_before):
            return False
        return not (self.due_after is not None and (task.due is None
                                                     or task.due <= self.due_after))


def filter_tasks(view: StateView, task_filter: TaskFilter, today: date) -> list[Task]:
    return [t for t in view.tasks() if task_filter.matches(t, today, view.stale_days)]
