"""What plain TinyDB loses: several processes updating one file at once.

Each writer process waits at a barrier, then makes its updates as fast as it can and
counts those that returned without an error (acknowledged). Afterwards the file is read
and the updates that survived are counted.

* plain TinyDB (default JSONStorage): each writer increments its own counter document
  with ``table.update(increment("n"), doc_ids=[mine])``, a read-modify-write of the
  whole file with no lock;
* our Store: each writer adds notes to one shared task with ``Store.apply(AddNote)``.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_fork = multiprocessing.get_context("fork")


@dataclass
class Outcome:
    acknowledged: int
    errors: int
    survived: int | None  # None: the file no longer parses
    parses: bool
    seconds: float
    detail: str = ""


def _plain_writer(path: str, doc_id: int, count: int, barrier: Any, queue: Any) -> None:
    from tinydb import TinyDB
    from tinydb.operations import increment

    acknowledged = errors = 0
    db = TinyDB(path)
    counters = db.table("counters")
    barrier.wait()
    for _ in range(count):
        try:
            counters.update(increment("n"), doc_ids=[doc_id])
            acknowledged += 1
        except Exception:  # a torn read (JSONDecodeError, ValueError...): not acknowledged
            errors += 1
    db.close()
    queue.put((acknowledged, errors))


def _store_writer(path: str, task: str, writer: int, count: int, barrier: Any,
                  queue: Any) -> None:
    from tracker.domain.commands import AddNote
    from tracker.domain.errors import TrackerError
    from tracker.storage.store import Store

    acknowledged = errors = 0
    store = Store(Path(path))
    barrier.wait()
    for number in range(count):
        try:
            store.apply(AddNote(task, f"writer {writer} note {number}"))
            acknowledged += 1
        except TrackerError:
            errors += 1
    queue.put((acknowledged, errors))


def _run(target: Any, args_for: Any, writers: int) -> tuple[int, int, float]:
    barrier = _fork.Barrier(writers + 1)
    queue = _fork.Queue()
    processes = [_fork.Process(target=target, args=(*args_for(w), barrier, queue))
                 for w in range(writers)]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    results = [queue.get(timeout=300) for _ in processes]  # a dead writer: queue.Empty
    seconds = time.perf_counter() - started
    for process in processes:
        process.join()
    return sum(r[0] for r in results), sum(r[1] for r in results), seconds


def plain_trial(seed_file: Path, path: Path, writers: int, count: int) -> Outcome:
    """``seed_file``: a plain TinyDB file with the tracker's documents (so that each
    write costs what it would); a ``counters`` table is added for the writers."""
    from tinydb import TinyDB

    data = json.loads(seed_file.read_text())
    data["counters"] = {str(w + 1): {"n": 0} for w in range(writers)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    acknowledged, errors, seconds = _run(
        _plain_writer, lambda w: (str(path), w + 1, count), writers)
    try:
        final = json.loads(path.read_text())
        survived = sum(int(final["counters"][str(w + 1)]["n"]) for w in range(writers))
        parses = True
        with TinyDB(path) as db:  # and TinyDB itself can still open it
            db.table("counters").all()
    except (ValueError, KeyError, TypeError):
        survived, parses = None, False
    return Outcome(acknowledged, errors, survived, parses, seconds)


def store_trial(db: Path, task: str, writers: int, count: int) -> Outcome:
    from tracker.storage.store import Store

    acknowledged, errors, seconds = _run(
        _store_writer, lambda w: (str(db), task, w, count), writers)
    store = Store(db)
    survived = sum(1 for note in store.view().timeline(task).notes
                   if note.text.startswith("writer "))
    findings = store.verify()
    detail = "verify: ok" if not findings else f"verify: {len(findings)} findings"
    return Outcome(acknowledged, errors, survived, True, seconds, detail)
