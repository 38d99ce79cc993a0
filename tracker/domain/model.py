"""Tasks and county facts as the read side sees them: frozen values built from the
stored documents. The write side (commands and events) works on the documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

# Re-exported: the read side's users import them from here.
from tracker.domain.fields import CLOSED_STATUSES as CLOSED_STATUSES
from tracker.domain.fields import EDITABLE_FIELDS as EDITABLE_FIELDS
from tracker.domain.fields import OPEN_STATUSES as OPEN_STATUSES
from tracker.domain.fields import FollowupKind as FollowupKind
from tracker.domain.fields import Priority as Priority
from tracker.domain.fields import Status as Status


class Note(NamedTuple):
    at: datetime
    by: str
    text: str


Day = date  # the type, for the classes below that have a field named ``date``


class Followup(NamedTuple):
    at: datetime
    by: str
    date: Day
    kind: FollowupKind
    outcome: str
    next: Day | None


class DueRevision(NamedTuple):
    at: datetime
    by: str
    due: date | None
    previous: date | None
    reason: str | None


class Measurement(NamedTuple):
    key: str
    date: date
    value: Any
    source: str | None
    by: str
    at: datetime


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


class Task(NamedTuple):
    id: str
    county: str
    recommendation: str
    status: Status
    owner: str | None
    due: date | None
    next_followup: date | None
    cadence: str | None
    priority: Priority
    reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str
    due_revisions: tuple[DueRevision, ...]
    last_followup: Followup | None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Task:
        return cls(
            id=doc["id"],
            county=doc["county"],
            recommendation=doc["rec"],
            status=Status(doc["status"]),
            owner=doc["owner"],
            due=_d(doc["due"]),
            next_followup=_d(doc["next_followup"]),
            cadence=doc["cadence"],
            priority=Priority(doc["priority"]),
            reason=doc.get("reason"),
            version=doc["version"],
            created_at=_ts(doc["created_at"]),
            updated_at=_ts(doc["updated_at"]),
            updated_by=doc["updated_by"],
            due_revisions=tuple(
                DueRevision(_ts(r["at"]), r["by"], _d(r["due"]), _d(r["previous"]), r["reason"])
                for r in doc["due_revisions"]
            ),
            last_followup=followup_of(doc["last_followup"]) if doc["last_followup"] else None,
        )

    def is_overdue(self, today: date) -> bool:
        return self.status.is_open and self.due is not None and self.due < today

    def is_stale(self, today: date, stale_days: int) -> bool:
        """Open and not updated (field, note or follow-up) for ``stale_days`` days."""
        return self.status.is_open and (today - self.updated_at.date()).days >= stale_days



def followup_of(entry: dict[str, Any]) -> Followup:
    return Followup(_ts(entry["at"]), entry["by"], date.fromisoformat(entry["date"]),
                    FollowupKind(entry["kind"]), entry["outcome"], _d(entry["next"]))


def measurement_of(key: str, entry: dict[str, Any]) -> Measurement:
    return Measurement(key, date.fromisoformat(entry["date"]), entry["value"],
                       entry.get("source"), entry["by"], _ts(entry["at"]))
