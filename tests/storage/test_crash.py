"""A writer killed at any instant (kill -9, power cut) leaves a database that opens,
verifies, and holds every edit the writer had reported as saved."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from storage.history import History
from storage.store import Store
from tracker.commands import AddNote, SetFields

from .storage_helpers import WORKERS, RunTracker, cli_env, task_ids

ITERATIONS = 30


def _comparable(event: dict[str, Any]) -> tuple[Any, ...]:
    if event["type"] == "note":
        return ("note", event["task"], event.get("new", event.get("text")))
    return ("set", event["task"], event["field"], event.get("new", event.get("value")))


def _run_and_kill(db: Path, run: int, note_task: str, set_task: str,
                  delay: float) -> list[dict[str, Any]]:
    """Start a crash writer, kill -9 it after ``delay`` s; the edits it reported."""
    writer = subprocess.Popen(
        [sys.executable, str(WORKERS), "crash", str(db), str(run), note_task, set_task],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
    lines: list[str] = []

    def collect() -> None:
        assert writer.stdout is not None
        lines.extend(writer.stdout)

    reader = threading.Thread(target=collect)
    reader.start()
    time.sleep(delay)  # the random instant of the crash, not a wait for something
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    reader.join(timeout=30)
    assert writer.returncode == -signal.SIGKILL, writer.stderr.read() if writer.stderr else ""
    return [json.loads(line) for line in lines if line.endswith("\n")]


def test_kill_9_at_random_instants_loses_no_acknowledged_edit(
        db: Path, tracker: RunTracker) -> None:
    note_task, set_task = task_ids(2)
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    total_reported = 0
    for run in range(ITERATIONS):
        start_seq = Store(db).view().head["seq"]
        done = _run_and_kill(db, run, note_task, set_task, rng.uniform(0.05, 0.6))
        total_reported += len(done)
        context = f"seed {seed}, run {run}, {len(done)} edits reported"

        listed = tracker(db, "list", "--json")
        assert listed.returncode == 0, f"{context}: {listed.stderr}"
        assert len(json.loads(listed.stdout)) == 700
        verified = tracker(db, "verify")
        assert verified.returncode == 0, f"{context}: {verified.stdout}{verified.stderr}"

        # Every reported edit is in the state, and in history in the order reported;
        # at most one more (done, but killed before it could say so).
        store = Store(db)
        view = store.view()
        notes = [n.text for n in view.timeline(note_task).notes]
        reported_notes = [d["text"] for d in done if d["type"] == "note"]
        assert [t for t in notes if t.startswith(f"run {run} ")][:len(reported_notes)] == \
            reported_notes, context
        made = [_comparable(e) for e in store.events() if e["seq"] > start_seq]
        assert made[:len(done)] == [_comparable(d) for d in done], context
        assert len(made) - len(done) in (0, 1), context
        sets = [m for m in made if m[0] == "set"]
        if sets:
            assert view.task(set_task).next_followup.isoformat() == sets[-1][3], context
    assert total_reported > ITERATIONS, "the writer should have completed edits before kills"

    # and after all that, an ordinary edit still works, the database verifies, and the
    # temp files of state writes cut short are cleared away
    edited = tracker(db, "note", note_task, "after the crashes")
    assert edited.returncode == 0, edited.stderr
    assert tracker(db, "verify").returncode == 0
    assert list(db.parent.glob(f".{db.name}.*.tmp")) == []


# -- unit level: the two states a crash can leave ------------------------------------------
def test_torn_last_journal_line_is_ignored_then_cut_by_the_next_write(db: Path) -> None:
    task = task_ids(1)[0]
    Store(db).apply(AddNote(task, "before the crash"))
    journal = db.with_name(db.name + ".history")
    whole = journal.read_bytes()
    # A writer died in the middle of appending an event longer than the next one.
    torn = b'{"new":"' + b"x" * 4000 + b'","prev":"'
    with journal.open("ab") as handle:
        handle.write(torn)

    reader = Store(db)
    assert [n.text for n in reader.view().timeline(task).notes] == ["before the crash"]
    assert len(list(reader.events())) == 2
    assert reader.verify() == []

    Store(db).apply(AddNote(task, "after the crash"))
    data = journal.read_bytes()
    assert data.startswith(whole)
    assert data.endswith(b"\n")
    assert b"xxxx" not in data, "the torn bytes must be gone, not left after the new event"
    lines = data.splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3]
    store = Store(db)
    assert [n.text for n in store.view().timeline(task).notes] == [
        "before the crash", "after the crash"]
    assert store.verify() == []


def test_journal_written_but_state_not_rolls_forward(db: Path) -> None:
    task = task_ids(1)[0]
    state_before = db.read_bytes()
    store = Store(db)
    head = dict(store.view().head)
    # What a writer killed between its journal append and its state write leaves:
    # the event in the journal, the state file as it was.
    event = {"ts": head["ts"], "user": store.user, "type": "note", "task": task,
             "new": "journalled only", "version": 1}
    history = History(db.with_name(db.name + ".history"))
    history.append(History.chain([event], head["seq"], head["hash"]), head["size"])
    assert db.read_bytes() == state_before

    fresh = Store(db)
    assert [n.text for n in fresh.view().timeline(task).notes] == ["journalled only"]
    assert fresh.view().head["seq"] == 2
    assert fresh.verify() == []

    # The next write persists the rolled-forward edit along with its own.
    Store(db).apply(SetFields(task, {"priority": "high"}))
    on_disk = json.loads(db.read_text(encoding="utf-8"))
    doc = next(d for d in on_disk["tasks"].values() if d["id"] == task)
    assert doc["priority"] == "high"
    assert [n.text for n in Store(db).view().timeline(task).notes] == ["journalled only"]
    assert on_disk["meta"]["1"]["head"]["seq"] == 3
    assert Store(db).verify() == []


def test_a_reader_recovers_when_a_writer_takes_its_journal_append_back(db: Path) -> None:
    """A writer whose state write fails (disk full) cuts its event off the journal again.
    A long-running reader (the app) that saw the event in between must not be stuck on
    "journal shorter than expected" afterwards: the files on disk are consistent."""
    task = task_ids(1)[0]
    reader = Store(db)
    head = dict(reader.view().head)
    history = History(db.with_name(db.name + ".history"))
    event = {"ts": head["ts"], "user": reader.user, "type": "note", "task": task,
             "new": "never saved", "version": 1}
    history.append(History.chain([event], head["seq"], head["hash"]), head["size"])
    assert [n.text for n in reader.view().timeline(task).notes] == ["never saved"]
    history.truncate(head["size"])  # what the failed writer does

    assert [n.text for n in reader.view().timeline(task).notes] == []
    reader.apply(AddNote(task, "saved"))
    assert [n.text for n in Store(db).view().timeline(task).notes] == ["saved"]
    assert Store(db).verify() == []
