"""Crash: 200 times, a writer is killed with SIGKILL at a random instant while it edits
(notes, dates, measurements). After every kill the database opens, `verify` passes, and
every edit the writer had reported as saved is there, in order; at most one more (saved,
but killed before it could say so).

Half the writers are killed a random few milliseconds after they start (often before
their first edit is through); the other half only once they have reported 1 to 3 edits,
and then a random few milliseconds later. So the storm always includes kills after
completed edits, however slow the machine: the writers' progress is counted in edits,
never against the clock, and waiting for it has a deadline only a hang would reach.

To spend the time on kills rather than on Python start-ups, each writer is forked from a
server process that has imported everything (a separate process all the same: SIGKILL
takes it without any clean-up). Every 25th round the real `tracker list` and
`tracker verify` check it too. The single-state cases (torn journal line, journal ahead
of the state) are unit tests in tests/storage/test_crash.py."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tracker.storage.store import Store

from ..storage.storage_helpers import RunTracker, cli_env, task_ids

pytestmark = pytest.mark.slow  # 200 kills: about 15-30 s

WORKERS = Path(__file__).with_name("workers.py")
ITERATIONS = 200
CLI_EVERY = 25
MAX_DELAY = 0.08  # seconds: the random instant of a kill, after start or after edits
MAX_FIRST_EDITS = 3  # a writer killed after edits has reported 1 to this many first
HANG = 60.0  # seconds: a writer that has not reported its edits by then is hung


class Writers:
    """Crash writers from a fork server (python workers.py forkserver): each one a
    separate process, started in a millisecond with everything imported."""

    def __init__(self, db: Path, note_task: str, set_task: str, county: str,
                 reports: Path) -> None:
        self.reports = reports
        self.server = subprocess.Popen(
            [sys.executable, str(WORKERS), "forkserver", str(db), note_task, set_task, county,
             str(reports)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=cli_env())
        assert "ready" in json.loads(self._line())

    def _line(self) -> str:
        assert self.server.stdout is not None
        line = self.server.stdout.readline()
        assert line, self.server.stderr.read() if self.server.stderr else ""
        return line

    def run_and_kill(self, run: int, delay: float, after: int = 0) -> list[dict[str, Any]]:
        """A writer that edits until SIGKILL comes, ``delay`` s after it started (or
        after it reported ``after`` edits); the edits it reported as saved."""
        assert self.server.stdin is not None
        self.server.stdin.write(f"{run}\n")
        self.server.stdin.flush()
        pid = json.loads(self._line())["pid"]
        report = self.reports / f"run-{run}.jsonl"
        if after:
            deadline = time.monotonic() + HANG
            while len(self._reported(report)) < after:
                assert time.monotonic() < deadline, (
                    f"run {run}: the writer reported {len(self._reported(report))} of "
                    f"{after} edits in {HANG:.0f} s: hung")
                time.sleep(0.001)
        time.sleep(delay)  # the random instant of the crash, not a wait for something
        os.kill(pid, signal.SIGKILL)
        status = json.loads(self._line())["status"]
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status
        return self._reported(report)

    @staticmethod
    def _reported(report: Path) -> list[dict[str, Any]]:
        """The edits a writer has reported so far (whole lines only)."""
        if not report.exists():
            return []  # killed before it even opened its report: it saved nothing either
        text = report.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines(keepends=True)
                if line.endswith("\n")]

    def close(self) -> None:
        assert self.server.stdin is not None
        self.server.stdin.close()
        self.server.wait(timeout=30)


def _comparable(event: dict[str, Any]) -> tuple[Any, ...]:
    return (event["type"], event.get("task") or event.get("county"), event.get("field"),
            json.dumps(event.get("new"), sort_keys=True))


def test_two_hundred_kill_9s_at_random_instants_lose_no_reported_edit(
        db: Path, tracker: RunTracker,
        record_property: Callable[[str, object], None]) -> None:
    note_task, set_task = task_ids(2)
    county = note_task.split("-")[0]
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    started = time.perf_counter()
    reported_total = unreported_total = waited_for = 0
    reports = db.parent / "reports"
    reports.mkdir()
    writers = Writers(db, note_task, set_task, county, reports)
    for run in range(ITERATIONS):
        head = Store(db).view().head
        delay = rng.uniform(0, MAX_DELAY)
        after = rng.randint(1, MAX_FIRST_EDITS) if run % 2 else 0
        done = writers.run_and_kill(run, delay, after)
        context = f"seed {seed}, run {run}, killed {delay * 1000:.0f} ms after " \
                  f"{f'{after} edits' if after else 'its start'}, {len(done)} edits reported"
        assert len(done) >= after, context
        waited_for += after

        store = Store(db)
        view = store.view()  # the database opens
        assert len(view.tables["tasks"]) == 700, context
        assert store.verify() == [], context
        made, _end = store.history.read_from(head["size"])
        # every reported edit is there, in the order reported, with the seq reported
        assert [_comparable(e) for e in made[:len(done)]] == [
            _comparable(d) for d in done], context
        assert [e["seq"] for e in made[:len(done)]] == [d["seqs"][0] for d in done], context
        assert len(made) - len(done) in (0, 1), context
        reported_total += len(done)
        unreported_total += len(made) - len(done)
        notes = [n.text for n in view.timeline(note_task).notes]
        assert [t for t in notes if t.startswith(f"run {run} ")] == [
            e["new"] for e in made if e["type"] == "note"], context
        sets = [e for e in made if e["type"] == "set"]
        if sets:
            assert view.task(set_task).next_followup.isoformat() == sets[-1]["new"], context

        if run % CLI_EVERY == CLI_EVERY - 1:  # and the real command agrees
            listed = tracker(db, "list", "--json")
            assert listed.returncode == 0, f"{context}: {listed.stderr}"
            assert len(json.loads(listed.stdout)) == 700
            verified = tracker(db, "verify")
            assert verified.returncode == 0, f"{context}: {verified.stdout}{verified.stderr}"

    writers.close()
    seconds = time.perf_counter() - started
    # Liveness, counted in edits: the writers killed after edits did make them (each
    # one waited for within HANG seconds), whatever the machine's speed.
    assert reported_total >= waited_for >= ITERATIONS // 2, (reported_total, waited_for)
    # after all that, an ordinary edit works, and the temp files of cut-short state
    # writes are cleared away
    edited = tracker(db, "note", note_task, "after the crashes")
    assert edited.returncode == 0, edited.stderr
    assert tracker(db, "verify").returncode == 0
    assert list(db.parent.glob(f".{db.name}.*.tmp")) == []
    record_property("crash_iterations", ITERATIONS)
    record_property("crash_reported_edits", reported_total)
    record_property("crash_unreported_but_saved", unreported_total)
    print(f"\ncrash: {ITERATIONS} kill -9s (seed {seed}) in {seconds:.1f} s; "
          f"{reported_total} edits reported saved, all there; {unreported_total} saved "
          "but killed before reporting; verify passed every time")


# -- the storm: several writers at once, a multi-event command among them (issue 12) --------
STORM_ROUNDS = 60
STORM_WRITERS = 3
STORM_MAX_DELAY = 0.3  # three writers share two cores: each makes several writes in that


def test_kill_9s_of_several_writers_at_once_keep_every_command_whole(
        db: Path, record_property: Callable[[str, object], None]) -> None:
    """Each round forks three writers at once (one writes commands of four measurements,
    one commit of four events; two write notes), then kills all three with SIGKILL at a
    random instant. After every round: the database opens, verify passes, every write a
    writer reported is there with the seqs reported, at most one more per writer, and
    every command is whole: four measurements of a command or none."""
    from tracker.storage.history import group_part

    workers = Path(__file__).with_name("hardening_workers.py")
    tasks = ",".join(task_ids(3))
    county = task_ids(1)[0].split("-")[0]
    reports = db.parent / "storm"
    reports.mkdir()
    server = subprocess.Popen(
        [sys.executable, str(workers), "storm", str(db), str(reports), tasks, county,
         str(STORM_WRITERS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=cli_env())
    assert server.stdin is not None and server.stdout is not None
    assert json.loads(server.stdout.readline()) == {"ready": True}
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    reported_total = torn_seen = 0
    for run in range(STORM_ROUNDS):
        head = Store(db).view().head
        server.stdin.write(f"{run}\n")
        server.stdin.flush()
        pids = json.loads(server.stdout.readline())["pids"]
        delay = rng.uniform(0, STORM_MAX_DELAY)
        time.sleep(delay)  # the random instant of the crash, not a wait for something
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        statuses = json.loads(server.stdout.readline())["statuses"]
        assert all(os.WIFSIGNALED(s) for s in statuses), statuses
        context = f"seed {seed}, run {run}, killed after {delay * 1000:.0f} ms"

        store = Store(db)
        assert len(store.view().tables["tasks"]) == 700, context
        assert store.verify() == [], context
        torn_seen += any(w.key == "verify.group_incomplete" for w in store.warnings())
        made, _end = store.history.read_from(head["size"])
        by_seq = {e["seq"]: e for e in made}
        for number in range(STORM_WRITERS):
            report = reports / f"run-{run}-w{number}.jsonl"
            done = [json.loads(line) for line in report.read_text().splitlines(keepends=True)
                    if line.endswith("\n")] if report.exists() else []
            for entry in done:  # every acknowledged write is there, whole
                assert all(seq in by_seq for seq in entry["seqs"]), context
            reported_total += len(done)
        # every command whole: a group's parts are all there, in order
        parts = [group_part(e) for e in made]
        for position, part in enumerate(parts):
            if part is not None and part[0] == 1:
                assert parts[position:position + part[1]] == [
                    (k, part[1]) for k in range(1, part[1] + 1)], context
        measures = [e for e in made if e["type"] == "measure"]
        assert len(measures) % 4 == 0, context
        assert all(group_part(e) is not None for e in measures), context
    server.stdin.close()
    server.wait(timeout=30)
    assert reported_total > STORM_ROUNDS, "the writers should have saved before the kills"
    record_property("storm_rounds", STORM_ROUNDS)
    record_property("storm_reported_writes", reported_total)
    print(f"\nstorm: {STORM_ROUNDS} rounds of {STORM_WRITERS} writers killed at once "
          f"(seed {seed}); {reported_total} writes reported, all there and whole; "
          f"a command cut mid-append seen after {torn_seen} rounds")
