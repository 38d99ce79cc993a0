"""Processes for the hardening tests (run as scripts, not collected).

    python hardening_workers.py notes DB BARRIER TASK N   N notes on TASK, one JSON line per ack
    python hardening_workers.py import DB BARRIER COUNTY N   N multi-event writes (4 values each)
    python hardening_workers.py unlink PATH STOP          remove PATH every ~2 ms until STOP exists
    python hardening_workers.py storm DB REPORTS TASK,TASK COUNTY   fork server of the storm
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path


def _wait(path: Path) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"barrier {path} did not appear")
        time.sleep(0.001)


def notes(db: str, barrier: str, task: str, count: int) -> None:
    from tracker.domain.commands import AddNote
    from tracker.storage.store import Store

    store = Store(db, lock_timeout=60)
    print(json.dumps({"ready": True}), flush=True)
    _wait(Path(barrier))
    for i in range(count):
        text = f"{task} note {i}"
        store.apply(AddNote(task, text))
        print(json.dumps({"note": text}), flush=True)


def imports(db: str, barrier: str, county: str, count: int) -> None:
    """Writes of four measurements each (one command of four events, like an import)."""
    from tracker.domain.commands import Measure
    from tracker.storage.store import Store

    store = Store(db, lock_timeout=60)
    print(json.dumps({"ready": True}), flush=True)
    _wait(Path(barrier))
    for i in range(count):
        on = date(2019, 1, 1) + timedelta(days=i)
        store.apply(*[Measure(county, "staff", 10 * i + k, on + timedelta(days=k * 1000))
                      for k in range(4)])
        print(json.dumps({"batch": i}), flush=True)


def unlink(path: str, stop: str) -> None:
    """Remove the lock file again and again; every other time an old tracker would have
    made it anew (it is re-created), so that both removal and replacement happen."""
    removed = rounds = 0
    while not os.path.exists(stop):
        rounds += 1
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            removed += 1
        if rounds % 2:
            with contextlib.suppress(OSError):
                Path(path).touch()
        time.sleep(0.002)
    print(json.dumps({"removed": removed}), flush=True)


def _storm_writer(db: str, run: str, number: int, task: str, county: str) -> None:
    """Edit until killed, reporting each acknowledged write: writer 0 writes commands
    of four measurements (one commit of four events, like an import), the others notes."""
    from tracker.domain.commands import AddNote, Measure
    from tracker.storage.store import Store

    store = Store(db, lock_timeout=60)
    i = 0
    while True:
        if number == 0:
            base = int(run) * 1000 + i * 4
            on = date(2018, 1, 1) + timedelta(days=i % 500)
            result = store.apply(*[Measure(county, "staff", base + k, on + timedelta(days=k))
                                   for k in range(4)])
        else:
            result = store.apply(AddNote(task, f"run {run} w{number} edit {i}"))
        print(json.dumps({"seqs": [e["seq"] for e in result.events]}), flush=True)
        i += 1


def storm(db: str, reports: str, tasks: str, county: str, writers: str) -> None:
    """For each line RUN on stdin, fork WRITERS writers at once (separate processes, with
    everything imported), print their pids, then their exit statuses once the test has
    killed them."""
    from tracker.i18n import set_language
    from tracker.storage.store import Store  # noqa: F401 - imported before the forks

    set_language("en")
    print(json.dumps({"ready": True}), flush=True)
    names = tasks.split(",")
    for line in sys.stdin:
        run = line.strip()
        pids = []
        for number in range(int(writers)):
            pid = os.fork()
            if pid == 0:
                try:
                    fd = os.open(Path(reports) / f"run-{run}-w{number}.jsonl",
                                 os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    os.dup2(fd, sys.stdout.fileno())
                    _storm_writer(db, run, number, names[number % len(names)], county)
                finally:
                    os._exit(1)
            pids.append(pid)
        print(json.dumps({"pids": pids}), flush=True)
        statuses = [os.waitpid(pid, 0)[1] for pid in pids]
        print(json.dumps({"statuses": statuses}), flush=True)


if __name__ == "__main__":
    kind, *args = sys.argv[1:]
    if kind == "notes":
        notes(args[0], args[1], args[2], int(args[3]))
    elif kind == "import":
        imports(args[0], args[1], args[2], int(args[3]))
    elif kind == "unlink":
        unlink(args[0], args[1])
    elif kind == "storm":
        storm(*args)
    else:
        raise SystemExit(f"unknown worker {kind}")
