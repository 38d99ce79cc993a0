"""A writer killed at any instant (kill -9, power cut) leaves a database that opens,
verifies, and holds every edit the writer had reported as saved: the two states a crash
can leave, one by one. The 200 kills at random instants are tests/faults/test_crash.py."""

from __future__ import annotations

import json
from pathlib import Path

from tracker.domain.commands import AddNote, SetFields
from tracker.storage.history import History
from tracker.storage.store import Store

from .storage_helpers import task_ids


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
