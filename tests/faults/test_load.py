"""Load: 8 processes x 200 edits at once on one database (notes, status and priority
changes stating the version seen, measurements; some on the same tasks). Afterwards
every accepted edit is there, exactly once; every refused one was refused as a conflict,
with a message that says so, and left nothing; `verify` passes.

Throughput is printed (``pytest -s``) and recorded as a property in junit XML; the same
run with plain TinyDB beside it is ``python bench/run.py --only load``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tracker.storage.store import Store

from ..storage.storage_helpers import RunTracker, catalog_fragments, cli_env, task_ids

pytestmark = pytest.mark.slow  # 8 x 200 edits in subprocesses: about 6-17 s

WORKERS = Path(__file__).with_name("workers.py")
PROCESSES = 8
EDITS = 200
CONFLICT_TEXT = catalog_fragments("edit.conflict")


def run_load(db: Path, barrier: Path, processes: int = PROCESSES,
             edits: int = EDITS) -> tuple[list[list[dict[str, Any]]], float]:
    """Start the writers, let them go at once; their reports and the seconds it took."""
    ids = task_ids(2 + processes)
    shared, own = ids[:2], ids[2:]
    plan_counties = sorted({t.split("-")[0] for t in task_ids(700)})
    county, own_counties = plan_counties[0], plan_counties[1:1 + processes]
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKERS), "load", str(db), str(barrier), str(n), str(edits),
             ",".join(shared), own[n], county, own_counties[n]],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
        for n in range(processes)
    ]
    for worker in workers:
        assert worker.stdout is not None
        line = worker.stdout.readline()
        assert line, worker.communicate()[1]
    started = time.perf_counter()
    barrier.touch()
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        reports.append([json.loads(line) for line in out.splitlines()])
    return reports, time.perf_counter() - started


def _matches(event: dict[str, Any], done: dict[str, Any]) -> bool:
    return all(event.get(k) == done[k] for k in ("type", "task", "county", "field", "new")
               if k in done)


def test_eight_writers_two_hundred_edits_each(
        db: Path, tmp_path: Path, tracker: RunTracker,
        record_property: Callable[[str, object], None]) -> None:
    reports, seconds = run_load(db, tmp_path / "go")

    assert [len(r) for r in reports] == [EDITS] * PROCESSES
    done = [d for r in reports for d in r]
    accepted = [d for d in done if d["result"] == "ok"]
    refused = [d for d in done if d["result"] != "ok"]
    assert {d["result"] for d in refused} <= {"conflict"}
    assert refused, "the same-field edits from stale versions should meet some conflicts"
    for d in refused:
        assert all(part in d["message"] for part in CONFLICT_TEXT), d["message"]
        assert d["task"] in d["message"] and d["field"] in d["message"]
        assert d["field"] in ("priority", "status")

    # Every accepted edit is one event in the journal, as reported; nothing else is.
    store = Store(db)
    events = {e["seq"]: e for e in store.events()}
    assert all(len(d["seqs"]) == 1 for d in accepted)
    assert sorted(s for d in accepted for s in d["seqs"]) == list(range(2, len(events) + 1))
    mismatched = [d for d in accepted if not _matches(events[d["seqs"][0]], d)]
    assert mismatched == []

    # ... and the state shows it: the last accepted value of each field, every note in
    # the order made, every measurement, each task's version counting its edits.
    view = store.view()
    last: dict[tuple[str, str], tuple[int, Any]] = {}
    for d in accepted:
        if d["type"] == "set":
            key = (d["task"], d["field"])
            last[key] = max(last.get(key, (0, None)), (d["seqs"][0], d["new"]),
                            key=lambda pair: pair[0])
    for (task, field), (_seq, value) in last.items():
        assert view.tables["tasks"][view.index.tasks[task]][field] == value, (task, field)
    by_task = Counter(d["task"] for d in accepted if "task" in d)
    for task, count in by_task.items():
        assert view.task(task).version == count
        notes = sorted((d["seqs"][0], d["new"]) for d in accepted
                       if d["type"] == "note" and d["task"] == task)
        assert [n.text for n in view.timeline(task).notes] == [text for _s, text in notes]
    measured = Counter((d["county"], d["new"]["value"]) for d in accepted
                       if d["type"] == "measure")
    found = Counter((code, m.value) for code in {c for c, _v in measured}
                    for m in view.measurements(code, "staff"))
    assert found == measured

    result = tracker(db, "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    rate = len(accepted) / seconds
    record_property("load_accepted", len(accepted))
    record_property("load_refused", len(refused))
    record_property("load_seconds", round(seconds, 2))
    record_property("load_edits_per_second", round(rate, 1))
    print(f"\nload: {PROCESSES} processes x {EDITS} edits: {len(accepted)} accepted, "
          f"{len(refused)} refused as conflicts, in {seconds:.1f} s = {rate:.0f} edits/s")
