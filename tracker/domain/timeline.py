"""What the journal alone keeps: a task's notes and follow-ups, a county's measurement
series. Built from the events of one task or county (``Store.task_events``,
``Store.county_events``), oldest first."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any, NamedTuple

from tracker.domain.events import followup_entry
from tracker.domain.model import Followup, Measurement, Note, _ts, followup_of, measurement_of

Event = dict[str, Any]


class Timeline(NamedTuple):
    notes: tuple[Note, ...]
    followups: tuple[Followup, ...]


def timeline_of(events: list[Event]) -> Timeline:
    """A task's notes and follow-ups from its events."""
    notes = tuple(Note(_ts(e["ts"]), e["user"], e["new"]) for e in events
                  if e["type"] == "note")
    followups = tuple(followup_of(followup_entry(e)) for e in events
                      if e["type"] == "followup")
    return Timeline(notes, followups)


def series_of(events: list[Event], as_of: date | None = None) -> dict[str, list[Measurement]]:
    """A county's measurements per key from its events, one per measurement date (a
    later figure for the same date corrects the earlier one, as the state's latest value
    does), up to ``as_of`` (recorded and dated by then).

    A ``put`` (a restore) brings the series back to what they were at the backup's last
    event, ``upto``: measurements recorded after it are taken back, as the state's
    latest values are."""
    wanted = sorted({e["upto"] for e in events if e["type"] == "put" and "upto" in e})
    saved: dict[int, dict[str, list[dict[str, Any]]]] = {}
    series: dict[str, list[dict[str, Any]]] = {}
    limit = as_of.isoformat() if as_of else None
    for event in events:
        if limit is not None and event["ts"][:10] > limit:
            break
        while wanted and event["seq"] > wanted[0]:
            saved[wanted.pop(0)] = copy.deepcopy(series)
        if event["type"] == "measure":
            entry = dict(event["new"])
            entry.update(at=event["ts"], by=event["user"])
            rows = series.setdefault(event["field"], [])
            at = len(rows)
            while at and rows[at - 1]["date"] > entry["date"]:
                at -= 1
            if at and rows[at - 1]["date"] == entry["date"]:
                rows[at - 1] = entry  # a second figure for the same date corrects the first
            else:
                rows.insert(at, entry)
        elif event["type"] == "put" and "upto" in event:
            series = copy.deepcopy(saved.get(event["upto"], series))
        elif event["type"] == "put":  # schema 1: the document held the whole series
            series = {key: list(rows) for key, rows in event["new"]["measurements"].items()
                      if isinstance(rows, list)}
    return {
        key: [measurement_of(key, m) for m in rows if limit is None or m["date"] <= limit]
        for key, rows in series.items()
    }
