"""The load run (``python bench/run.py --only load``): 8 processes x 200 edits at once.

* ours: the mixed load of tests/faults/test_load.py through ``Store.apply``: notes on
  shared and own tasks, priority and status changes that state the version seen (so
  some are refused as conflicts), measurements; then every accepted edit is looked for
  and ``verify`` is run;
* plain TinyDB (default JSONStorage) under the same number of processes and updates, as
  in bench/lose.py: each process increments its own counter (a read-modify-write of the
  whole file holding the 700 tasks' documents); then the counters are read back.

Reported: edits per second, and how many acknowledged updates are not in the file.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import lose
from timing import table

from tracker.domain.plan import builtin_plan
from tracker.storage.store import Store

WRITERS = 8
EDITS = 200


def _task_ids(count: int) -> list[str]:
    plan = builtin_plan()
    return [f"{c.code}-{r.id}" for c in plan.counties for r in plan.recommendations][:count]


def _load_writer(path: str, number: int, edits: int, shared: list[str], own: str,
                 counties: tuple[str, str], barrier: Any, queue: Any) -> None:
    from datetime import date, timedelta

    from tracker.domain.commands import AddNote, Measure, SetFields
    from tracker.domain.errors import ConflictError, TrackerError

    store = Store(Path(path), lock_timeout=120)
    rng = random.Random(number)
    accepted: list[tuple[str, Any]] = []
    conflicts = errors = 0
    barrier.wait()
    for i in range(edits):
        kind, task = i % 6, shared[i % len(shared)]
        if kind == 0:
            command: Any = AddNote(task, f"w{number} note {i}")
            done: tuple[str, Any] = ("note", (task, f"w{number} note {i}"))
        elif kind in (1, 2, 4):
            target = own if kind == 4 else task
            seen = store.view().task(target)
            if kind == 1:
                change = {"priority": "low" if seen.priority.value == "high" else "high"}
            else:
                change = {"status": "blocked" if seen.status.value == "in_progress"
                          else "in_progress"}
            time.sleep(rng.uniform(0, 0.004))  # think time between reading and saving
            command = SetFields(target, change, seen_version=seen.version,
                                comment=f"w{number} {i}")
            done = ("set", None)
        elif kind == 3:
            code = counties[0] if i % 12 == 3 else counties[1]
            value = number * 1000 + i
            command = Measure(code, "staff", value, date(2018, 1, 1) + timedelta(days=value))
            done = ("measure", (code, value))
        else:
            command = AddNote(own, f"w{number} own {i}")
            done = ("note", (own, f"w{number} own {i}"))
        try:
            result = store.apply(command)
        except ConflictError:
            conflicts += 1
        except TrackerError:
            errors += 1
        else:
            accepted.append((done[0], done[1] if done[1] else result.events[0]["seq"]))
    queue.put((accepted, conflicts, errors))


def store_load(db: Path, writers: int = WRITERS, edits: int = EDITS) -> dict[str, Any]:
    Store(db).create(builtin_plan())
    ids = _task_ids(2 + writers)
    codes = sorted({t.split("-")[0] for t in _task_ids(700)})
    barrier = lose._fork.Barrier(writers + 1)
    queue = lose._fork.Queue()
    processes = [lose._fork.Process(target=_load_writer, args=(
        str(db), n, edits, ids[:2], ids[2 + n], (codes[0], codes[1 + n]), barrier, queue))
        for n in range(writers)]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    results = [queue.get(timeout=600) for _ in processes]
    seconds = time.perf_counter() - started
    for process in processes:
        process.join()
    accepted = [a for r in results for a in r[0]]
    store = Store(db)
    view = store.view()
    seqs = {e["seq"] for e in store.events()}
    missing = 0
    for kind, what in accepted:
        if kind == "note":
            task, text = what
            missing += text not in {n.text for n in view.timeline(task).notes}
        elif kind == "measure":
            code, value = what
            missing += value not in {m.value for m in view.measurements(code, "staff")}
        else:
            missing += what not in seqs
    return {"attempted": writers * edits, "accepted": len(accepted),
            "conflicts": sum(r[1] for r in results), "errors": sum(r[2] for r in results),
            "missing": missing, "seconds": seconds, "verify": not store.verify()}


def plain_load(work: Path, writers: int = WRITERS, edits: int = EDITS) -> dict[str, Any]:
    db = work / "seed" / "tracker.json"
    Store(db).create(builtin_plan())
    seed = work / "seed" / "plain.json"
    seed.write_text(json.dumps(json.loads(db.read_text(encoding="utf-8"))), encoding="utf-8")
    out = lose.plain_trial(seed, work / "plain" / "plain.json", writers, edits)
    lost = None if out.survived is None else out.acknowledged - out.survived
    return {"attempted": writers * edits, "accepted": out.acknowledged, "errors": out.errors,
            "missing": lost, "seconds": out.seconds, "parses": out.parses}


def say(text: str = "") -> None:
    print(text, flush=True)


def part(work: Path, quick: bool) -> None:
    writers, edits = (WRITERS, 25) if quick else (WRITERS, EDITS)
    say(f"\n== load: {writers} processes x {edits} edits at once (start barrier) ==")
    say("ours: notes, priority/status changes stating the version seen (some refused as "
        "conflicts), measurements, through Store.apply; plain TinyDB: each process "
        "increments its own counter (table.update) in a file of the 700 tasks' documents.")
    ours = store_load(work / "load" / "ours" / "tracker.json", writers, edits)
    plain = plain_load(work / "load", writers, edits)
    rows = []
    for name, r in (("our Store", ours), ("plain TinyDB", plain)):
        lost = "file unreadable" if r["missing"] is None else (
            f"{r['missing']} ({r['missing'] / r['accepted']:.0%})" if r["accepted"] else "-")
        rows.append([name, r["attempted"], r["accepted"], r.get("conflicts", "-"), r["errors"],
                     lost, f"{r['seconds']:.1f}", f"{r['accepted'] / r['seconds']:.0f}",
                     "ok" if r.get("verify") else ("-" if "verify" not in r else "FAILED")])
    say(table(["store", "attempted", "acknowledged", "refused (conflict)", "errors",
               "acknowledged but lost", "seconds", "edits/s", "verify"], rows,
              right=(1, 2, 3, 4, 6, 7)))
