"""Writer processes for the concurrency tests (run as scripts, not collected).

Each prints one JSON line, flushed, after every edit the store has acknowledged, so the
test knows exactly which edits a user was told were saved.

    python workers.py concurrent DB BARRIER N EDITS SHARED OWN
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tracker.domain.commands import AddNote, SetFields
from tracker.storage.store import Store

# The field of the shared task that worker N sets (each its own, so all of them merge).
SHARED_FIELDS = ("owner", "cadence", "priority", "next_followup")


def report(**done: Any) -> None:
    sys.stdout.write(json.dumps(done) + "\n")
    sys.stdout.flush()


def shared_value(field: str, step: int) -> str:
    """The value worker sets at its ``step``-th edit of ``field`` (never the same twice
    in a row, so no edit is a no-op)."""
    if field == "owner":
        return f"G{step % 20 + 1:02d}"
    if field == "cadence":
        return ("weekly", "monthly")[step % 2]
    if field == "priority":
        return ("high", "low")[step % 2]
    return (date(2022, 1, 1) + timedelta(days=step)).isoformat()


def wait_for(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"barrier {path} did not appear within {seconds} s")
        time.sleep(0.001)


def concurrent(db: str, barrier: str, number: int, edits: int, shared: str, own: str) -> None:
    """Edits by worker ``number``, in turn: a note on the shared task, a note on its own
    task, a date on its own task, and its own field of the shared task (stating the
    version it saw, which others keep changing in other fields: the store must merge)."""
    store = Store(db, lock_timeout=60)
    field = SHARED_FIELDS[number]
    report(ready=number)
    wait_for(Path(barrier), 60)
    for i in range(edits):
        kind = i % 4
        if kind == 0:
            text = f"w{number} shared {i}"
            store.apply(AddNote(shared, text))
            report(type="note", task=shared, text=text)
        elif kind == 1:
            text = f"w{number} own {i}"
            store.apply(AddNote(own, text))
            report(type="note", task=own, text=text)
        elif kind == 2:
            value = (date(2021, 1, 1) + timedelta(days=i)).isoformat()
            store.apply(SetFields(own, {"next_followup": value}))
            report(type="set", task=own, field="next_followup", value=value)
        else:
            seen = store.view().task(shared).version
            value = shared_value(field, i // 4)
            store.apply(SetFields(shared, {field: value}, seen_version=seen))
            report(type="set", task=shared, field=field, value=value)
        # A moment of "think time", as people have between edits. Without it the lock
        # (flock, not fair) tends to go back to the process that just released it, and
        # the workers' edits would come in long runs instead of interleaving.
        time.sleep(random.uniform(0, 0.002))


def main(argv: list[str]) -> None:
    if argv[0] == "concurrent":
        db, barrier, number, edits, shared, own = argv[1:]
        concurrent(db, barrier, int(number), int(edits), shared, own)
    else:
        raise SystemExit(f"unknown worker {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
