"""Checkpoints of the state: the state as of a day from the nearest checkpoint is the
state a replay of the whole journal gives (over a random history whose clocks jump back
and ahead), checkpoints sit on commit boundaries, and `verify` names one that was
tampered with or damaged."""

from __future__ import annotations

import gzip
import json
import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tracker.domain.commands import AddNote, SetFields
from tracker.domain.errors import TrackerError
from tracker.domain.events import SCHEMA_VERSION
from tracker.domain.plan import builtin_plan
from tracker.domain.verify import compare_tables
from tracker.storage import checkpoints
from tracker.storage.history import group_part
from tracker.storage.store import Store

from .storage_helpers import RunTracker, task_ids

CST = timezone(timedelta(hours=8))
TASKS = task_ids(30)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2018, 1, 2, 9, 0, tzinfo=CST)

    def __call__(self) -> datetime:
        return self.now


def _random_history(db: Path, seed: int, commits: int = 160) -> Store:
    rng = random.Random(seed)
    clock = Clock()
    store = Store(db, clock=clock, known_account=lambda name: True)
    store.create(builtin_plan(), when=clock.now)
    for n in range(commits):
        step = rng.random()
        if step < 0.05:  # a writer's clock behind the others
            clock.now -= timedelta(days=rng.randrange(1, 6))
        elif step < 0.1:  # ... or ahead
            clock.now += timedelta(days=rng.randrange(5, 20))
        else:
            clock.now += timedelta(hours=rng.randrange(1, 30))
        task = rng.choice(TASKS)
        if rng.random() < 0.6:
            store.apply(AddNote(task, f"call {n}"))
        else:  # a group of two or three events, "txn": [i, n]
            fields = {"owner": f"G{n % 20 + 1:02d}", "priority": ["low", "high"][n % 2]}
            if rng.random() < 0.5:
                fields["status"] = rng.choice(["in_progress", "blocked"])
            try:
                store.apply(SetFields(task, fields))
            except TrackerError:  # a status move the lifecycle refuses
                store.apply(AddNote(task, f"call {n}"))
    return store


def _same(a: tuple[dict, object], b: tuple[dict, object]) -> bool:
    return not list(compare_tables(a[0], b[0])) and not list(compare_tables(b[0], a[0]))


@pytest.mark.parametrize("seed", [1, 2])
def test_checkpoint_as_of_equals_replay_as_of(tmp_path: Path, small_checkpoints: None,
                                              seed: int) -> None:
    store = _random_history(tmp_path / "tracker.json", seed)
    found = checkpoints.listed(checkpoints.folder_of(store.path))
    assert len(found) >= 5
    events = list(store.events())
    first, last = date.fromisoformat(events[0]["ts"][:10]), store.clock().date()
    served = 0
    day = first - timedelta(days=2)
    while day <= last + timedelta(days=1):
        fast = checkpoints.state_as_of(store.path, store.history, day, SCHEMA_VERSION)
        plain = store.replay(day, from_checkpoint=False)
        assert _same(store.replay(day), plain), day
        served += fast is not None
        day += timedelta(days=3)
    assert served > 10  # the checkpoints served, not only the replay from the start


def test_checkpoints_sit_on_commit_boundaries(tmp_path: Path, small_checkpoints: None) -> None:
    store = _random_history(tmp_path / "tracker.json", 3)
    by_seq = {e["seq"]: e for e in store.events()}
    raw = store.history.path.read_bytes()
    for checkpoint in checkpoints.listed(checkpoints.folder_of(store.path)):
        part = group_part(by_seq[checkpoint.seq])
        assert part is None or part[0] == part[1]
        assert raw[:checkpoint.size].endswith(b"\n")
        assert json.loads(raw[:checkpoint.size].splitlines()[-1])["seq"] == checkpoint.seq


def _rewrite(path: Path, change: object) -> None:
    header, state = gzip.decompress(path.read_bytes()).split(b"\n", 1)
    tables = json.loads(state)
    change(tables)  # type: ignore[operator]
    path.write_bytes(gzip.compress(header + b"\n" + json.dumps(tables).encode()))


def test_verify_names_a_tampered_or_damaged_checkpoint(tmp_path: Path, small_checkpoints: None,
                                                       tracker: RunTracker) -> None:
    store = _random_history(tmp_path / "tracker.json", 4, commits=60)
    assert tracker(store.path, "verify").returncode == 0
    found = checkpoints.listed(checkpoints.folder_of(store.path))
    tampered = checkpoints.folder_of(store.path) / found[1].name

    def done(tables: dict) -> None:
        doc = next(iter(tables["tasks"].values()))
        doc["status"] = "verified"

    _rewrite(tampered, done)
    # The incremental verify (from the last checkpoint found sound) sees the file changed;
    # the full one replays to it and names the difference.
    result = tracker(store.path, "verify")
    assert result.returncode == 1
    assert f"checkpoint {found[1].name}: changed since a verify found it sound" \
        in result.stdout
    result = tracker(store.path, "verify", "--full")
    assert result.returncode == 1
    assert f"checkpoint {found[1].name}: differs from the history" in result.stdout
    # verify's advice is to delete it: a cache of the journal.
    tampered.unlink()
    assert tracker(store.path, "verify", "--full").returncode == 0
    damaged = checkpoints.folder_of(store.path) / found[2].name
    damaged.write_bytes(damaged.read_bytes()[:40])
    result = tracker(store.path, "verify", "--full")
    assert result.returncode == 1
    assert f"checkpoint {found[2].name}: cannot be read" in result.stdout


def test_a_checkpoint_holds_the_replay_at_its_seq_byte_for_byte(
        tmp_path: Path, small_checkpoints: None, tracker: RunTracker) -> None:
    """What lets verify compare a checkpoint without parsing it: a writer's checkpoint
    is the replay's own bytes (checkpoints.state_bytes). A change written in that same
    form is still named, and so is one in another layout (the test above)."""
    store = _random_history(tmp_path / "tracker.json", 7, commits=60)
    folder = checkpoints.folder_of(store.path)
    found = checkpoints.listed(folder)
    for checkpoint in found:
        _header, state = checkpoints.read_bytes(folder, checkpoint)
        replayed = store._replay_to_seq(checkpoint.seq)[0]
        assert state == checkpoints.state_bytes(replayed), checkpoint.name
    path = folder / found[2].name
    header, state = gzip.decompress(path.read_bytes()).split(b"\n", 1)
    tables = json.loads(state)
    next(iter(tables["tasks"].values()))["owner"] = "G99"
    path.write_bytes(gzip.compress(header + b"\n" + checkpoints.state_bytes(tables)))
    result = tracker(store.path, "verify", "--full")
    assert result.returncode == 1
    assert f"checkpoint {found[2].name}: differs from the history" in result.stdout


def test_checkpoints_built_over_an_old_journal_serve_the_same_past(
        tmp_path: Path, small_checkpoints: None) -> None:
    store = _random_history(tmp_path / "tracker.json", 5, commits=100)
    folder = checkpoints.folder_of(store.path)
    for checkpoint in checkpoints.listed(folder):  # a journal from before checkpoints
        (folder / checkpoint.name).unlink()
    assert store.build_checkpoints() >= 3
    for checkpoint in checkpoints.listed(folder):  # as a writer would have written them
        assert checkpoints.read_bytes(folder, checkpoint)[1] == checkpoints.state_bytes(
            store._replay_to_seq(checkpoint.seq)[0])
    assert store.build_checkpoints() == 0  # only over a journal that has none
    first = date.fromisoformat(next(iter(store.events()))["ts"][:10])
    for offset in range(0, 200, 4):
        day = first + timedelta(days=offset)
        assert checkpoints.state_as_of(store.path, store.history, day, SCHEMA_VERSION) \
            is not None or offset < 10
        assert _same(store.replay(day), store.replay(day, from_checkpoint=False)), day
    assert not store.verify()


def test_verify_checks_since_the_last_sound_checkpoint_and_says_so(
        tmp_path: Path, small_checkpoints: None, tracker: RunTracker) -> None:
    store = _random_history(tmp_path / "tracker.json", 6, commits=60)
    first = tracker(store.path, "verify")
    assert first.returncode == 0, first.stdout
    assert "since checkpoint" not in first.stdout  # nothing verified before: all of it
    found = checkpoints.listed(checkpoints.folder_of(store.path))
    for n in range(5):
        store.apply(AddNote(TASKS[n], f"later call {n}"))
    head = store.view().head["seq"]
    again = json.loads(tracker(store.path, "verify", "--json").stdout)
    assert again["ok"]
    assert again["checked"] == {"first": found[-1].seq + 1, "last": head,
                                "since_checkpoint": found[-1].name, "full": False}
    text = tracker(store.path, "verify").stdout
    assert (f"checked events {found[-1].seq + 1} to {head}, since checkpoint "
            f"{found[-1].name}") in text
    full = json.loads(tracker(store.path, "verify", "--full", "--json").stdout)
    assert full["ok"] and full["checked"]["first"] == 1 and full["checked"]["full"]
    # An event after the checkpoint edited: the incremental verify finds it.
    journal = store.history.path
    raw = journal.read_bytes()
    journal.write_bytes(raw.replace(b"later call 3", b"later call 8"))
    result = tracker(store.path, "verify")
    assert result.returncode == 1 and "event" in result.stdout
    journal.write_bytes(raw)
    # The checkpoint it starts from changed since: back to the whole history.
    _rewrite(checkpoints.folder_of(store.path) / found[-1].name, lambda tables: None)
    result = json.loads(tracker(store.path, "verify", "--json").stdout)
    assert result["checked"]["first"] == 1
