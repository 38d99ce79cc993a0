"""Issue 12, attack 2: `rm tracker.json.lock` while colleagues save. The lock was an
flock on a file that anyone in the group could remove: writers that opened the new file
and writers that held the old one ran at once (measured: 4 acknowledged edits of 8
writers lost, or the database wedged). The lock is now the database folder's own; here
8 writers save while another process removes (and re-creates) the lock file every few
milliseconds: no acknowledged edit is lost, verify passes, nothing is wedged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tracker.storage.store import Store

from ..storage.storage_helpers import cli_env, task_ids

WORKERS = Path(__file__).with_name("hardening_workers.py")
WRITERS = 8
EDITS = 25


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(WORKERS), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env())


def test_the_lock_file_removed_every_few_ms_during_8_writers_loses_nothing(
        db: Path, tmp_path: Path) -> None:
    lock = db.with_name(db.name + ".lock")
    lock.touch()  # as an older tracker left it
    barrier, stop = tmp_path / "go", tmp_path / "stop"
    tasks = task_ids(WRITERS)
    writers = [_start("notes", str(db), str(barrier), task, str(EDITS)) for task in tasks]
    for writer in writers:
        assert writer.stdout is not None
        assert json.loads(writer.stdout.readline()) == {"ready": True}
    remover = _start("unlink", str(lock), str(stop))
    barrier.touch()
    acknowledged: list[str] = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        acknowledged += [json.loads(line)["note"] for line in out.splitlines()]
    stop.touch()
    out, err = remover.communicate(timeout=60)
    assert remover.returncode == 0, err
    removed = json.loads(out)["removed"]

    assert len(acknowledged) == WRITERS * EDITS
    assert removed > 10, "the lock file should have been removed many times meanwhile"
    store = Store(db)
    assert store.verify() == []
    view = store.view()
    kept = [n.text for task in tasks for n in view.timeline(task).notes]
    assert sorted(kept) == sorted(acknowledged)  # 0 lost, none twice
    assert len(list(store.events())) == 1 + WRITERS * EDITS
    # and nothing is wedged: the next edit works
    from tracker.domain.commands import AddNote

    Store(db).apply(AddNote(tasks[0], "after"))
    assert Store(db).verify() == []
