"""Writer processes of the fault tests (run as scripts, not collected).

Each prints one JSON line, flushed, per edit: what it tried, and whether the store
accepted it (with the seq of each event it wrote) or refused it (with the message), so
the test knows exactly what every user was told.

    python workers.py load DB BARRIER N EDITS SHARED_TASKS OWN_TASK COUNTY OWN_COUNTY
    python workers.py forkserver DB NOTE_TASK SET_TASK COUNTY REPORT_DIR
    python workers.py stall DB TASK      (stops inside the lock, in the middle of an edit)
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tracker.domain.commands import AddNote, Command, Context, Measure, SetFields
from tracker.domain.errors import ConflictError
from tracker.i18n import set_language
from tracker.storage.store import Store

MEASURE_KEY = "staff"


def report(**done: Any) -> None:
    sys.stdout.write(json.dumps(done, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def wait_for(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"barrier {path} did not appear within {seconds} s")
        time.sleep(0.001)


def load(db: str, barrier: str, number: int, edits: int, shared: list[str], own: str,
         county: str, own_county: str) -> None:
    """Edits in turn: a note on a shared task; the priority of a shared task and the
    status of a shared task, both stating the version seen (others change the same
    fields, so some are refused); a measurement of the shared or its own county; the
    status of its own task (seen version, never refused); a note on its own task."""
    set_language("en")
    store = Store(db, lock_timeout=120)
    rng = random.Random(number)
    report(ready=number)
    wait_for(Path(barrier), 60)
    for i in range(edits):
        kind = i % 6
        task = shared[i % len(shared)]
        if kind == 0:
            command: Any = AddNote(task, f"w{number} note {i}")
            what = {"type": "note", "task": task, "new": f"w{number} note {i}"}
        elif kind in (1, 2):
            seen = store.view().task(task)
            if kind == 1:
                field, value = "priority", "low" if seen.priority.value == "high" else "high"
                comment = None
            else:
                field = "status"
                value = "blocked" if seen.status.value == "in_progress" else "in_progress"
                comment = f"w{number} status {i}"
            # think time between reading and saving, as a user has: others get in
            time.sleep(rng.uniform(0, 0.004))
            command = SetFields(task, {field: value}, seen_version=seen.version,
                                comment=comment)
            what = {"type": "set", "task": task, "field": field, "new": value,
                    "seen": seen.version}
        elif kind == 3:
            code = county if i % 12 == 3 else own_county
            on = (date(2000, 1, 1) + timedelta(days=number * 1000 + i)).isoformat()  # all past
            command = Measure(code, MEASURE_KEY, number * 1000 + i, date.fromisoformat(on),
                              f"w{number}")
            what = {"type": "measure", "county": code, "field": MEASURE_KEY,
                    "new": {"date": on, "value": number * 1000 + i, "source": f"w{number}"}}
        elif kind == 4:
            seen = store.view().task(own)
            value = "blocked" if seen.status.value == "in_progress" else "in_progress"
            command = SetFields(own, {"status": value}, seen_version=seen.version,
                                comment=f"w{number} own {i}")
            what = {"type": "set", "task": own, "field": "status", "new": value,
                    "seen": seen.version}
        else:
            command = AddNote(own, f"w{number} own note {i}")
            what = {"type": "note", "task": own, "new": f"w{number} own note {i}"}
        try:
            result = store.apply(command)
        except ConflictError as refused:
            report(i=i, result="conflict", message=str(refused), **what)
        else:
            report(i=i, result="ok", seqs=[e["seq"] for e in result.events], **what)


def crash(db: str, run: str, note_task: str, set_task: str, county: str) -> None:
    """Edit until killed: a note, a date, a measurement, in turn."""
    store = Store(db, lock_timeout=60)
    i = 0
    while True:
        kind = i % 3
        if kind == 0:
            text = f"run {run} edit {i}"
            result = store.apply(AddNote(note_task, text))
            report(type="note", task=note_task, new=text, seqs=[e["seq"] for e in result.events])
        elif kind == 1:
            value = (date(2021, 1, 1) + timedelta(days=(int(run) * 100 + i) % 3000)).isoformat()
            if store.view().task(set_task).next_followup != date.fromisoformat(value):
                result = store.apply(SetFields(set_task, {"next_followup": value}))
                report(type="set", task=set_task, field="next_followup", new=value,
                       seqs=[e["seq"] for e in result.events])
        else:
            on = date(2018, 1, 1) + timedelta(days=i % 1000)
            result = store.apply(Measure(county, MEASURE_KEY, int(run) * 10_000 + i, on))
            report(type="measure", county=county, field=MEASURE_KEY,
                   new={"date": on.isoformat(), "value": int(run) * 10_000 + i,
                        "source": None},
                   seqs=[e["seq"] for e in result.events])
        i += 1


def fork_server(db: str, note_task: str, set_task: str, county: str, reports: str) -> None:
    """Start crash writers on request, fast: each line ``RUN`` on stdin forks a writer
    (a separate process, with everything already imported) that reports into
    ``reports/run-RUN.jsonl``; prints ``pid PID``, then ``exit STATUS`` once it is gone
    (the test kills it)."""
    set_language("en")
    assert Store(db).view().plan  # parsed here once: a Measure checks its value against it
    report(ready=True)
    for line in sys.stdin:
        run = line.strip()
        pid = os.fork()
        if pid == 0:  # the writer
            try:
                fd = os.open(Path(reports) / f"run-{run}.jsonl",
                             os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(fd, sys.stdout.fileno())
                crash(db, run, note_task, set_task, county)
            finally:
                os._exit(1)
        report(pid=pid)
        _pid, status = os.waitpid(pid, 0)
        report(status=status)


class _Stall(Command):
    """A command that stops inside the store's lock (in the middle of an edit), after
    saying so, until the process is killed (a Command: the store reads its role)."""

    task: str

    def events(self, ctx: Context) -> list[dict[str, Any]]:
        report(inside_lock=True)
        time.sleep(120)
        return [{"type": "note", "task": self.task, "new": "never saved"}]


def stall(db: str, task: str) -> None:
    Store(db).apply(_Stall(task))


def main(argv: list[str]) -> None:
    if argv[0] == "load":
        db, barrier, number, edits, shared, own, county, own_county = argv[1:]
        load(db, barrier, int(number), int(edits), shared.split(","), own, county,
             own_county)
    elif argv[0] == "stall":
        stall(*argv[1:])
    elif argv[0] == "forkserver":
        fork_server(*argv[1:])
    else:
        raise SystemExit(f"unknown worker {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
