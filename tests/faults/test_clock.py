"""Clock weirdness across a day boundary: a machine whose clock is behind (or was set
back) writes after one that is ahead. Its event takes the last event's time, so history
stays in order and `--as-of` (which reads a prefix of the journal) sees both edits on the
same, later day. (The basic case is tests/storage/test_history.py.)"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tracker.domain.commands import SetFields
from tracker.domain.plan import builtin_plan
from tracker.storage.store import Store

from ..storage.storage_helpers import RunTracker, task_ids

CST = timezone(timedelta(hours=8))
TASK = task_ids(1)[0]


def test_a_clock_set_back_over_midnight_keeps_each_time_and_as_of_in_order(
        tmp_path: Path, tracker: RunTracker) -> None:
    db = tmp_path / "tracker.json"
    Store(db, clock=lambda: datetime(2021, 4, 30, 9, 0, tzinfo=CST)).create(builtin_plan())
    ahead = datetime(2021, 5, 2, 0, 10, tzinfo=CST)
    behind = datetime(2021, 5, 1, 23, 50, tzinfo=CST)  # 20 minutes earlier, the day before
    Store(db, clock=lambda: ahead).apply(SetFields(TASK, {"status": "in_progress"}))
    Store(db, clock=lambda: behind).apply(SetFields(TASK, {"owner": "G05"}))
    Store(db, clock=lambda: behind + timedelta(minutes=1)).apply(
        SetFields(TASK, {"priority": "high"}))

    history = json.loads(tracker(db, "history", TASK, "--json").stdout)
    assert [e["field"] for e in history] == ["status", "owner", "priority"]
    # Each event keeps its writer's time (no clamp to the event before: issue 12).
    assert [e["ts"] for e in history] == [
        ahead.isoformat(), behind.isoformat(), (behind + timedelta(minutes=1)).isoformat()]
    assert [e["seq"] for e in history] == [2, 3, 4]

    def shown(*as_of: str) -> dict[str, object]:
        result = tracker(db, "show", TASK, "--json", *as_of)
        assert result.returncode == 0, result.stderr
        data: dict[str, object] = json.loads(result.stdout)
        return data

    # As of a day: the journal up to its last event dated that day or earlier, so the
    # event that the fast clock dated 2 May counts on 1 May with those written after it.
    on_last = shown("--as-of", "2021-04-30")
    assert (on_last["status"], on_last["owner"], on_last["priority"]) == (
        "not_started", None, "normal")
    on_first = shown("--as-of", "2021-05-01")
    assert (on_first["status"], on_first["owner"], on_first["priority"]) == (
        "in_progress", "G05", "high")
    on_second = shown("--as-of", "2021-05-02")
    assert (on_second["status"], on_second["owner"], on_second["priority"]) == (
        "in_progress", "G05", "high")
    assert tracker(db, "verify").returncode == 0
