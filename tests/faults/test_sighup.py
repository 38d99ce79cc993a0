"""SIGHUP (the SSH connection dropped) in the middle of an edit: the writer dies, the
kernel drops its lock, the database is whole and verifies, and the next edit goes through
at once. (The app's own SIGHUP handling is tested with the app.)"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker.storage.store import Store

from ..storage.storage_helpers import TRACKER, RunTracker, cli_env, task_ids

WORKERS = Path(__file__).with_name("workers.py")
TASK = task_ids(1)[0]
ROUNDS = 20


@pytest.fixture(autouse=True)
def hang_ups_end_processes() -> Iterator[None]:
    """SIGHUP at its default (it ends the process), as in a login session. Under
    `nohup` (or a CI runner that ignores it) the ignored signal is inherited by every
    process the test starts, through exec: their hang-ups would do nothing."""
    before = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGHUP, before)


def lock_is_free(lock: Path) -> bool:
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # (closing drops our lock, if we got it)
    return True


@contextlib.contextmanager
def holding(lock: Path) -> Iterator[None]:
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def has_open(pid: int, path: Path) -> bool:
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                    return True
    return False


def test_sighup_inside_the_lock_leaves_the_database_whole_and_unlocked(
        db: Path, tracker: RunTracker) -> None:
    # The lock is an flock on the database's folder (storage.lock).
    lock, journal = db.parent, db.with_name(db.name + ".history")
    state_before, journal_before = db.read_bytes(), journal.read_bytes()
    writer = subprocess.Popen([sys.executable, str(WORKERS), "stall", str(db), TASK],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=cli_env())
    assert writer.stdout is not None
    assert json.loads(writer.stdout.readline()) == {"inside_lock": True}
    assert not lock_is_free(lock)

    writer.send_signal(signal.SIGHUP)
    writer.wait(timeout=30)

    assert writer.returncode == -signal.SIGHUP
    assert lock_is_free(lock)
    assert (db.read_bytes(), journal.read_bytes()) == (state_before, journal_before)
    assert Store(db).verify() == []
    # No one holds the lock (checked above), so the next edit does not wait for it: it
    # goes through (a held lock would end it with the lock's timeout message instead).
    edited = tracker(db, "note", TASK, "after the hang-up")
    assert edited.returncode == 0, edited.stderr


@pytest.mark.slow  # 20 CLI processes: about 2-5 s
def test_cli_writers_hung_up_at_random_instants_of_their_edit(db: Path) -> None:
    """The real `tracker note`: it waits for the lock (held by the test); every other
    writer is hung up right there, while it waits (so some hang-ups always come before
    the save, however fast the machine); the others get the lock when the test lets go
    and are hung up a random few milliseconds later: mostly while they hold the lock,
    sometimes just after they saved."""
    lock = db.parent  # the lock is an flock on the database's folder (storage.lock)
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    hung_up = 0
    for run in range(ROUNDS):
        text = f"hang-up {run}"
        waiting = run % 2 == 0  # hung up while it waits for the lock
        with holding(lock):
            writer = subprocess.Popen([TRACKER, "--db", str(db), "note", TASK, text],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env=cli_env())
            deadline = time.monotonic() + 30
            while not has_open(writer.pid, lock):  # it is waiting for the lock
                assert writer.poll() is None, writer.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.005)
            if waiting:
                writer.send_signal(signal.SIGHUP)
        if not waiting:
            time.sleep(rng.uniform(0, 0.03))  # the random instant, not a wait for something
            writer.send_signal(signal.SIGHUP)
        out, err = writer.communicate(timeout=30)
        context = f"seed {seed}, run {run}: {writer.returncode} {out} {err}"
        assert writer.returncode in ((-signal.SIGHUP,) if waiting else (0, -signal.SIGHUP)), \
            context
        assert "Traceback" not in err, context
        hung_up += writer.returncode == -signal.SIGHUP

        assert lock_is_free(lock), context
        store = Store(db)
        assert store.verify() == [], context
        notes = [n.text for n in store.view().timeline(TASK).notes]
        if writer.returncode == 0:
            assert notes[-1] == text, context
        assert notes.count(text) <= (0 if waiting else 1), context
    assert hung_up >= ROUNDS // 2, f"seed {seed}: {hung_up} hung up"
