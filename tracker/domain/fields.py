"""The words of a task: statuses, priorities, follow-up kinds and the editable fields.
Light to import (no dataclasses): the one-shot CLI edit path needs only these."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Status(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    VERIFIED = "verified"
    NOT_APPLICABLE = "not_applicable"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({Status.NOT_STARTED, Status.IN_PROGRESS, Status.BLOCKED})
CLOSED_STATUSES = frozenset({Status.DONE, Status.VERIFIED, Status.NOT_APPLICABLE})


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class FollowupKind(StrEnum):
    CALL = "call"
    VISIT = "visit"
    DOCUMENT = "document"
    MEETING = "meeting"


# Fields of a task that `set` may change; each is versioned for conflict detection.
EDITABLE_FIELDS = ("status", "owner", "due", "next_followup", "cadence", "priority")

# The cadences with a name (tracker.domain.dates steps them); any other cadence is an RRULE.
CADENCE_NAMES = ("weekly", "monthly", "quarterly")


def field_value(field: str, value: Any) -> str:
    """A task field's value as people read it: statuses, priorities and named cadences
    in the current language; dates and owners as they are."""
    from tracker.i18n import _

    if value is None:
        return "-"
    if field in ("status", "priority") or (field == "cadence" and value in CADENCE_NAMES):
        return _(f"{field}.{value}")
    return str(value)
