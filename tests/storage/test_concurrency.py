"""Several people editing the same database at once: nothing acknowledged is lost, and a
stale edit of a field someone else changed is refused with who, when and what it is now."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tracker.domain.commands import AddUser, SetFields
from tracker.domain.errors import ConflictError
from tracker.domain.plan import builtin_plan
from tracker.i18n import translate
from tracker.storage.store import Store

from .storage_helpers import WORKERS, RunTracker, cli_env, task_ids
from .workers import SHARED_FIELDS

WORKER_COUNT = 4
EDITS = 50


def start_workers(db: Path, barrier: Path, shared: str,
                  own: list[str]) -> list[subprocess.Popen[str]]:
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKERS), "concurrent", str(db), str(barrier), str(n),
             str(EDITS), shared, own[n]],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
        for n in range(WORKER_COUNT)
    ]
    for worker in workers:  # every one is started and waiting before any may edit
        assert worker.stdout is not None
        line = worker.stdout.readline()
        assert line, worker.communicate()[1]
        assert "ready" in json.loads(line)
    return workers


def worker_of(event: dict[str, Any], own: list[str]) -> int:
    """Which worker made ``event`` (by its task, note text or field)."""
    if event["task"] in own:
        return own.index(event["task"])
    if event["type"] == "note":
        return int(event["new"].split()[0][1:])
    return SHARED_FIELDS.index(event["field"])


@pytest.mark.slow  # 4 writer processes: about 1-6 s
def test_concurrent_writers_lose_nothing(db: Path, tmp_path: Path, tracker: RunTracker) -> None:
    ids = task_ids(1 + WORKER_COUNT)
    shared, own = ids[0], ids[1:]
    barrier = tmp_path / "go"
    workers = start_workers(db, barrier, shared, own)
    barrier.touch()
    reports: list[list[dict[str, Any]]] = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        reports.append([json.loads(line) for line in out.splitlines()])

    assert [len(r) for r in reports] == [EDITS] * WORKER_COUNT
    view = Store(db).view()
    shared_doc = view.tables["tasks"][view.index.tasks[shared]]
    shared_notes = [note.text for note in view.timeline(shared).notes]
    for n, done in enumerate(reports):
        own_doc = view.tables["tasks"][view.index.tasks[own[n]]]
        # Every note reported as saved is there, once, in the order it was made.
        mine = [d["text"] for d in done if d["type"] == "note" and d["task"] == shared]
        assert [t for t in shared_notes if t.startswith(f"w{n} ")] == mine
        assert [note.text for note in view.timeline(own[n]).notes] == [
            d["text"] for d in done if d["type"] == "note" and d["task"] == own[n]]
        # The last value each worker set is the value now (nobody else sets those fields).
        own_sets = [d for d in done if d["type"] == "set" and d["task"] == own[n]]
        assert own_doc["next_followup"] == own_sets[-1]["value"]
        shared_sets = [d for d in done if d["type"] == "set" and d["task"] == shared]
        assert shared_sets, "each worker set its field of the shared task"
        assert shared_doc[shared_sets[-1]["field"]] == shared_sets[-1]["value"]
        assert own_doc["version"] == len(own_sets) + len(
            [d for d in done if d["type"] == "note" and d["task"] == own[n]])
    assert shared_doc["version"] == sum(
        1 for done in reports for d in done if d["task"] == shared)

    events = list(Store(db).events())
    assert len(events) == 1 + WORKER_COUNT * EDITS
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert Counter(e["type"] for e in events[1:]) == Counter(
        d["type"] for done in reports for d in done)
    # The barrier worked: the workers' edits are interleaved, not one run after another.
    by = [worker_of(e, own) for e in events[1:]]
    switches = sum(1 for a, b in itertools.pairwise(by) if a != b)
    assert switches >= 5 * WORKER_COUNT, "".join(map(str, by))

    result = tracker(db, "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: 201 events")


# -- optimistic concurrency: an edit states the version it saw -----------------------------
ALICE_AT = datetime(2021, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))


def test_stale_edit_of_the_same_field_is_refused_naming_who_when_and_value(
        tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    admin = Store(db, clock=lambda: ALICE_AT - timedelta(days=30))
    admin.create(builtin_plan())
    admin.apply(AddUser("alice", "editor"))
    task = task_ids(1)[0]
    store = Store(db)
    seen = store.view().task(task).version
    # alice changes the owner first (apply_all lets the test say who and when)
    store.apply_all([(SetFields(task, {"owner": "G03"}, seen_version=seen), "alice", ALICE_AT)])

    bob = Store(db)
    with pytest.raises(ConflictError) as refused:
        bob.apply(SetFields(task, {"owner": "G07"}, seen_version=seen))
    message = str(refused.value)
    assert task in message
    assert "owner" in message
    assert "alice" in message
    assert f"{ALICE_AT:%Y-%m-%d %H:%M}" in message  # to the minute, as people read it
    assert "'G03'" in message
    assert f"version {seen}" in message
    # and nothing of bob's landed
    assert Store(db).view().task(task).owner == "G03"
    assert len(list(Store(db).events())) == 3


def test_edits_of_other_fields_from_the_same_version_merge(db: Path) -> None:
    task = task_ids(1)[0]
    seen = Store(db).view().task(task).version
    Store(db).apply(SetFields(task, {"owner": "G03"}, seen_version=seen))
    Store(db).apply(SetFields(task, {"priority": "high"}, seen_version=seen))
    Store(db).apply(SetFields(task, {"due": "2020-06-30"}, seen_version=seen))
    after = Store(db).view().task(task)
    assert (after.owner, after.priority.value, after.due.isoformat()) == (
        "G03", "high", "2020-06-30")
    assert after.version == seen + 3
    assert Store(db).verify() == []


def test_cli_expect_version_refuses_a_stale_edit_and_merges_others(
        db: Path, tracker: RunTracker) -> None:
    task = task_ids(1)[0]
    first = tracker(db, "set", task, "--owner", "G03", "--expect-version", "0")
    assert first.returncode == 0, first.stderr

    stale = tracker(db, "set", task, "--owner", "G07", "--expect-version", "0")
    assert stale.returncode == 1
    assert "Traceback" not in stale.stderr
    lines = stale.stderr.strip().splitlines()
    assert len(lines) == 1
    changed_at = json.loads(tracker(db, "show", task, "--json").stdout)["updated_at"]
    assert lines[0] == "tracker: " + translate(
        "en", "edit.conflict", task=task, field="owner", user=Store(db).user,
        at=changed_at[:16].replace("T", " "), current="G03", seen=0)

    merged = tracker(db, "set", task, "--priority", "high", "--expect-version", "0")
    assert merged.returncode == 0, merged.stderr
    shown = json.loads(tracker(db, "show", task, "--json").stdout)
    assert (shown["owner"], shown["priority"], shown["version"]) == ("G03", "high", 2)
    assert tracker(db, "verify").returncode == 0
