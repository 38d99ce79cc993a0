"""`tracker verify` reads the journal once: the warnings it prints (clocks ahead, a
command cut short at the end) are the ones ``Store.warnings`` finds reading the journal
on its own, full or since the last checkpoint found sound (issue 17); and a line that is
JSON but not an event is named, not a traceback."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from tracker.domain.commands import AddNote, Measure
from tracker.storage import checkpoints
from tracker.storage.store import Store

from .storage_helpers import RunTracker, task_ids

TASKS = task_ids(12)


def _keys(found: list) -> list[tuple[str, object]]:
    return [(f.key, f.params.get("seq")) for f in found]


def _clocks_off(db: Path) -> datetime:
    """Notes a day apart up to today, after the init event (today): among them one
    from a writer 400 days ahead (seq 22) and one 3 days behind (seq 42)."""
    now = datetime.now().astimezone().replace(microsecond=0)
    for n in range(60):
        moment = now - timedelta(days=60 - n)
        if n == 20:
            moment = now + timedelta(days=400)
        elif n == 40:
            moment -= timedelta(days=3)
        Store(db, clock=lambda moment=moment: moment).apply(AddNote(TASKS[n % 12], f"n{n}"))
    return now


def test_the_warnings_verify_prints_are_those_of_the_journal(
        db: Path, small_checkpoints: None, tracker: RunTracker) -> None:
    _clocks_off(db)
    assert checkpoints.listed(checkpoints.folder_of(db))
    for args in (["--full"], [], ["--full"]):  # the second: since the last sound checkpoint
        result = json.loads(tracker(db, "verify", "--json", *args).stdout)
        store = Store(db)
        store.verify(full=bool(args))
        expected = store.warnings(store.checked.offset)
        assert store.checked.warnings == expected
        assert [(w["key"], w["seq"]) for w in result["warnings"]] == _keys(expected)
        assert result["ok"]
    full = Store(db)
    full.verify()
    # init (today) before notes from 60 days ago; the clock ahead; the one behind.
    assert sorted(_keys(full.checked.warnings or [])) == [
        ("verify.time_future", 22), ("verify.time_order", 1), ("verify.time_order", 22),
        ("verify.time_order", 41)]


def test_a_command_cut_short_at_the_end_is_still_reported(db: Path,
                                                          tracker: RunTracker) -> None:
    journal = db.with_name(db.name + ".history")
    whole, state = journal.read_bytes(), db.read_bytes()
    Store(db).apply(*[Measure("211421", "staff", 10 + k, date(2018, 1, 1)
                              + timedelta(days=30 * k)) for k in range(4)])
    lines = journal.read_bytes()[len(whole):].splitlines(keepends=True)
    journal.write_bytes(whole + b"".join(lines[:2]))  # a writer killed mid-append
    db.write_bytes(state)
    store = Store(db)
    assert store.verify() == []
    assert store.checked.warnings is None  # the journal ends inside a command: ask it
    result = json.loads(tracker(db, "verify", "--json").stdout)
    assert result["ok"]
    assert [w["key"] for w in result["warnings"]] == ["verify.group_incomplete"]


def test_a_line_that_is_json_but_not_an_event_is_named(db: Path, tracker: RunTracker) -> None:
    """A journal line ``[1]`` (JSON, not an event) made verify die with a traceback."""
    journal = db.with_name(db.name + ".history")
    journal.write_bytes(journal.read_bytes() + b"[1]\n")
    result = tracker(db, "verify")
    assert result.returncode == 1, result.stderr
    assert "event 2: cannot be applied" in result.stdout
    assert "Traceback" not in result.stderr
