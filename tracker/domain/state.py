"""The read model: one consistent view of the database, current or as of a date."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tracker.domain.events import META_ID, PLAN_ID, Index, Tables
from tracker.domain.migrations import EARLIER as _EARLIER

if TYPE_CHECKING:
    from tracker.domain.model import Measurement, Task
    from tracker.domain.plan import Plan
    from tracker.domain.timeline import Timeline

# The read model's values (tracker.domain.model: NamedTuples) and the plan are imported when
# first used: a one-shot edit by task id needs neither.

_plans: dict[str, Plan] = {}


def plan_for(tables: Tables, source: str) -> Plan:
    """The Plan stored in a database, parsed and validated once per process per plan.

    The plan document records its sha256 (databases made before that are hashed here).
    The stored copy is validated and used even when it is a built-in plan: reading the
    package's file again would cost the app's start-up more than it saves."""
    from tracker.domain.errors import StorageError
    from tracker.domain.plan import plan_digest, plan_from_dict

    doc = tables["plan"][PLAN_ID]
    raw = doc.get("plan") if isinstance(doc, dict) else None
    if not isinstance(raw, dict):
        raise StorageError("db.not_tracker", path=source)
    sha = doc.get("sha256")
    if sha is None:
        sha = plan_digest(raw)
    plan = _plans.get(sha)
    if plan is not None:
        return plan
    plan = plan_from_dict(raw, source=source, sha256=sha)
    _plans[sha] = plan
    return plan


class StateView:
    def __init__(self, tables: Tables, index: Index, source: str, as_of: date | None = None,
                 journal: Any = None) -> None:
        self.tables = tables
        self.index = index
        self.source = source  # the database file, named by errors in its stored plan
        self.as_of = as_of
        self.journal = journal  # where notes, follow-ups and series are read (the store)
        self._tasks: list[Task] | None = None
        self._statuses: list[tuple[str, str, str]] | None = None
        self._series: dict[str, dict[str, list[Measurement]]] = {}

    @cached_property
    def plan(self) -> Plan:
        """The plan, parsed when first needed (a one-shot edit by id never needs it)."""
        return plan_for(self.tables, self.source)

    @property
    def _end(self) -> int | None:
        """Where this state ends in the journal: a colleague's later events are not read
        into this view (an as-of view has no head; its events are cut by date)."""
        size = self.head.get("size")
        return size if isinstance(size, int) else None

    @property
    def survey_groups(self) -> int:
        """How many survey groups (G01..Gnn) the plan has, without parsing the plan."""
        return int(self.tables["plan"][PLAN_ID]["plan"]["survey"]["groups"])

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
        from tracker.domain.model import Task

        if self._tasks is None:
            self._tasks = [Task.from_doc(doc) for doc in self.tables["tasks"].values()]
        return self._tasks

    def statuses(self) -> list[tuple[str, str, str]]:
        """``(county, recommendation, status)`` of every task, read off the documents
        without building Task values (counts over 14,000 tasks on the dashboard)."""
        if self._statuses is None:
            self._statuses = [(doc["county"], doc["rec"], doc["status"])
                              for doc in self.tables["tasks"].values()]
        return self._statuses

    def task(self, task_id: str) -> Task:
        from tracker.domain.errors import NotFoundError
        from tracker.domain.model import Task

        key = self.index.tasks.get(task_id)
        if key is None:
            raise NotFoundError("task.unknown", task=task_id)
        return Task.from_doc(self.tables["tasks"][key])

    def task_doc(self, task_id: str) -> dict[str, Any]:
        """A task's document as stored (read only)."""
        return self.tables["tasks"][self.index.tasks[task_id]]

    def county_doc(self, code: str) -> dict[str, Any]:
        return self.tables["counties"][self.index.counties[code]]

    def task_events(self, task_id: str) -> list[dict[str, Any]]:
        """One task's events up to the view's date, oldest first."""
        events: list[dict[str, Any]] = self.journal.task_events(task_id, self._end)
        if self.as_of is not None:
            limit = self.as_of.isoformat()
            events = [e for e in events if e["ts"][:10] <= limit]
        return events

    def timeline(self, task_id: str) -> Timeline:
        """A task's notes and follow-ups (read off the journal)."""
        from tracker.domain.timeline import timeline_of

        return timeline_of(self.task_events(task_id))

    def measurements(self, code: str, key: str) -> list[Measurement]:
        """Measurements of ``key`` for county ``code`` up to the view's date, read off
        the journal (the state keeps only the latest). One county is found by a byte
        search; from the third county on, every county's are read in one pass."""
        from tracker.domain.timeline import series_of

        series = self._series.get(code)
        if series is None:  # a view is read-only: read each county once
            self.county_doc(code)  # an unknown county is a KeyError, as before
            if len(self._series) < 2:
                series = series_of(self.journal.county_events(code, self._end), self.as_of)
            else:
                self.read_all_series()
                series = self._series[code]
            self._series[code] = series
        return series.get(key, [])

    def read_all_series(self) -> None:
        """Every county's measurement series, in one pass over the journal: for a caller
        about to ask for most counties' (the trends), which would otherwise search the
        whole journal for the first two counties' first."""
        from tracker.domain.timeline import series_of

        by_county = self.journal.all_county_events(self._end)
        for other in self.index.counties:
            if other not in self._series:
                self._series[other] = series_of(by_county.get(other, []), self.as_of)

    def kept(self, code: str, key: str) -> tuple[list[list[Any]], bool] | None:
        """The end of the series of ``key`` for county ``code`` as the state keeps it
        (schema 4: up to ``EARLIER`` values before the latest, then the latest), as
        ``[ISO date, value]`` pairs oldest first, and whether that is the whole series.
        None where the state cannot say: a view as of a date (its series are cut by
        date from the journal), a county document without ``earlier`` (read as
        migrated from schema 3)."""
        if self.as_of is not None:
            return None
        doc = self.county_doc(code)
        earlier = doc.get("earlier")
        if earlier is None:
            return None
        latest = doc["measurements"].get(key)
        if latest is None:
            return [], True
        rows = earlier.get(key, [])
        return [*rows, [latest["date"], latest["value"]]], len(rows) < _EARLIER

    def latest(self, code: str, key: str) -> Measurement | None:
        """The latest measurement of ``key`` (by its date, up to the view's date)."""
        from tracker.domain.model import measurement_of

        entry = self.county_doc(code)["measurements"].get(key)
        if entry is None:
            return None
        if self.as_of is not None and entry["date"] > self.as_of.isoformat():
            series = self.measurements(code, key)  # dated after the view: look back
            return series[-1] if series else None
        return measurement_of(key, entry)
