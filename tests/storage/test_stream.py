"""`tracker history` streams the journal: the events read chunk by chunk are those the
whole-file read gives (a torn last line and an unfinished trailing commit group left
out), and the command's text and JSON are what it printed from the whole list."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tracker.domain.commands import AddNote, SetFields
from tracker.storage.history import History
from tracker.storage.store import Store

from .storage_helpers import RunTracker, task_ids

TASKS = task_ids(5)


def _journal(db: Path) -> Path:
    return db.with_name(db.name + ".history")


def _grow(db: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = Store(db)
    for n in range(40):
        task = rng.choice(TASKS)
        if rng.random() < 0.5:
            store.apply(AddNote(task, f"call {n} 县档案馆 " + "x" * rng.randrange(200)))
        else:  # two fields: a group of two events, "txn": [1, 2] and [2, 2]
            store.apply(SetFields(task, {"owner": f"G{n % 20 + 1:02d}",
                                         "priority": ["low", "high"][n % 2]}))


def _tail_variants(db: Path) -> list[bytes]:
    """Journal ends a crash can leave: whole, a torn last line, a group cut after its
    first event (its second never written)."""
    raw = _journal(db).read_bytes()
    lines = raw.splitlines(keepends=True)
    group = [line for line in lines if b'"txn":[1,2]' in line][-1]
    return [raw, raw + lines[-1][:25], raw + group, raw + group + lines[-1][:10]]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_streamed_history_equals_the_whole_read(db: Path, seed: int) -> None:
    _grow(db, seed)
    for raw in _tail_variants(db):
        _journal(db).write_bytes(raw)
        history = History(_journal(db))
        whole, _end = history.read_from(0)
        assert len(whole) > 40
        for chunk in (7, 64, 333, 4096, 1 << 20):  # lines cut anywhere across chunks
            assert list(history.stream(0, chunk=chunk)) == whole
        # Up to an offset (a view's head): the whole read of that prefix.
        middle = sum(len(line) + 1 for line in raw.split(b"\n")[:len(whole) // 2])
        prefix = History(_journal(db))
        _journal(db).write_bytes(raw[:middle])
        expected, _end = prefix.read_from(0)
        _journal(db).write_bytes(raw)
        assert list(history.stream(0, middle, chunk=50)) == expected
        assert list(Store(db).events()) == whole


def test_history_text_and_json_stream_the_same_events(db: Path, tracker: RunTracker) -> None:
    _grow(db, 4)
    whole, _end = History(_journal(db)).read_from(0)
    result = tracker(db, "history", "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    # Byte for byte what json.dump of the whole list printed (indent 2, UTF-8 kept).
    expected = [{k: v for k, v in e.items() if k != "new" or e["type"] != "init"}
                for e in whole]
    assert result.stdout == json.dumps(expected, ensure_ascii=False, indent=2) + "\n"
    assert shown == expected
    text = tracker(db, "history").stdout.splitlines()
    events = [line for line in text if line[:1].isdigit()]
    assert len(events) == len(whole)  # to a pipe: one line per event
    assert [int(line.split()[0]) for line in events] == [e["seq"] for e in whole]
    assert text[-1] == f"Changes: {len(whole)}"
    one = tracker(db, "history", "--user", "nobody", "--json")
    assert one.stdout == "[]\n"


@pytest.mark.parametrize("damage", [b'{"seq": 1},{"seq": 2}', b"", b"   ", b"not json",
                                    b'{"note": "\xff"}', b'{"open": [1'])
def test_a_damaged_line_is_named_by_its_offset_whichever_read(db: Path, damage: bytes
                                                               ) -> None:
    """Lines are parsed a chunk at a time as one array: a line holding two values or
    none, or a broken one, is still refused as the line it is, at its byte offset."""
    from tracker.domain.errors import StorageError

    _grow(db, 4)
    lines = _journal(db).read_bytes().split(b"\n")[:-1]
    at = len(lines) // 2
    offset = sum(len(line) + 1 for line in lines[:at])
    _journal(db).write_bytes(b"\n".join([*lines[:at], damage, *lines[at:]]) + b"\n")
    history = History(_journal(db))
    reads = [lambda: history.read_from(0)] + [
        lambda chunk=chunk: list(history.stream(0, chunk=chunk)) for chunk in (64, 1 << 20)]
    for read in reads:
        with pytest.raises(StorageError) as caught:
            read()
        assert caught.value.key == "history.corrupt"
        assert caught.value.params["offset"] == offset
