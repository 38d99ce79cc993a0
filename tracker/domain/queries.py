"""What the CLI and the app both ask of a state: the task filters of `tracker list`
and the tables, resolving what a user typed (a task, county or recommendation), "my"
owners and the follow-up buckets."""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from tracker.domain.errors import NotFoundError, UsageError
from tracker.domain.model import Status, Task
from tracker.domain.plan import Plan
from tracker.domain.state import StateView


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


# -- what a user typed ---------------------------------------------------------------------
def resolve_task(view: StateView, text: str) -> str:
    """A task id (``211421-2.5``), or a county name or code with the recommendation
    (``绥中-2.5``, ``Suizhong 2.5``)."""
    value = text.strip()
    if value in view.index.tasks:
        return value
    for separator in ("-", " ", ":"):
        if separator in value:
            county_text, _sep, rec = value.rpartition(separator)
            try:
                view.plan.recommendation(rec.strip())
            except NotFoundError:
                continue
            try:
                code = resolve_county(view.plan, county_text)
            except NotFoundError:
                break
            return f"{code}-{rec.strip()}"
    raise NotFoundError("task.unknown", task=text)


def resolve_county(plan: Plan, text: str) -> str:
    matches = plan.find_counties(text.strip())
    if not matches:
        raise NotFoundError("county.unknown", query=text)
    if len(matches) > 1:
        names = ", ".join(f"{c.code} {c.name.get()}" for c in matches[:8])
        raise UsageError("county.ambiguous", query=text, matches=names)
    return matches[0].code


def resolve_target(view: StateView, text: str) -> tuple[str, str]:
    """("task"|"county"|"rec", id) for a task id, county code/name or recommendation id."""
    value = text.strip()
    try:
        return "rec", view.plan.recommendation(value).id
    except NotFoundError:
        pass
    try:
        return "task", resolve_task(view, value)
    except NotFoundError:
        pass
    return "county", resolve_county(view.plan, value)


# -- the follow-up queue ---------------------------------------------------------------------
def is_survey_group(name: str) -> bool:
    """G01..G99, any case: the owner names of survey groups (and their Unix groups)."""
    return len(name) == 3 and name[0] in "gG" and name[1:].isdigit()


def my_owners(user: str, groups: list[str]) -> set[str]:
    """The owners whose tasks are "mine": me and my survey groups (of ``groups``, the
    Unix groups I am in, those named G01..G20), lower-cased."""
    return {user.lower(), *(g.lower() for g in groups if is_survey_group(g))}


def bucket(task: Task, today: date) -> str:
    """Where a task with a next follow-up date falls in the queue: overdue, today, this
    week (to Sunday) or later."""
    assert task.next_followup is not None
    if task.next_followup < today:
        return "overdue"
    if task.next_followup == today:
        return "today"
    if task.next_followup <= today + timedelta(days=6 - today.weekday()):
        return "week"
    return "later"
