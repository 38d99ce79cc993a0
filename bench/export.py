"""`make bench`, export: `tracker export` of 14,000 tasks in each format beside
Taskwarrior's `task export` of the same number of tasks.

The database: the synthetic plan of bench/synth.py (2,000 counties x 7 recommendations
= 14,000 tasks), created fresh, then 40,000 journal events (half notes, half county
measurements), so that every county has dated figures for the progress math. Taskwarrior:
14,000 pending tasks loaded with `task import` (bench/taskw.py installs it if missing).

Both sides run as whole processes, as a user runs them, the medians of ``runs`` runs
interleaved (tracker, then task, per round) after a warm-up each; bytecode is cached.
``tracker export`` builds the snapshot (progress for 2,000 counties x 8 indicators, roll-ups
for 20 prefectures) and writes the file and its .sha256 atomically; `task export` prints
its JSON to a pipe. Also: the in-process time of each writer alone, for where it goes.

``python bench/export.py [--quick]`` runs this part alone (as ``bench/run.py --only export``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import synth
import taskw
from timing import median_ms, ms, ratio, standalone, table, verdict

FORMATS = ("json", "csv", "md", "html", "xlsx")
AddTarget = Callable[[str, str, str, bool | None], None]


def say(text: str = "") -> None:
    print(text, flush=True)


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TRACKER_DB", "PYTHONDONTWRITEBYTECODE")}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env["LANG"] = "C.UTF-8"
    return env


def _timed(cmd: list[str], env: dict[str, str], stdout: Any = subprocess.DEVNULL) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {done.stderr.decode()[:300]}")
    return seconds


def build(work: Path, events: int) -> Path:
    from tracker.storage.store import Store

    db = work / "export-14000" / "tracker.json"
    Store(db).create(synth.synthetic_plan(), when=synth.HISTORY_START - timedelta(days=1))
    synth.grow_history(db, events, "notes")
    return db


def in_process(db: Path) -> dict[str, float]:
    """ms to build the snapshot, and to render it in each format (median of 3)."""
    from datetime import datetime

    from tracker.storage.store import Store

    from tracker.formats.export import render
    from tracker.formats.snapshot import build_snapshot

    store = Store(db)
    view = store.view()
    times: dict[str, float] = {}

    def snap() -> Any:
        return build_snapshot(store.view(), store.clock().date(), generated_at=datetime.now(),
                              generated_by="bench", head=view.head)

    samples = []
    for _ in range(3):
        started = time.perf_counter()
        snapshot = snap()
        samples.append(time.perf_counter() - started)
    times["build snapshot"] = median_ms(samples)
    for fmt in FORMATS:
        samples = []
        for _ in range(3):
            started = time.perf_counter()
            render(snapshot, fmt)
            samples.append(time.perf_counter() - started)
        times[f"render {fmt}"] = median_ms(samples)
    return times


def part(work: Path, add_target: AddTarget, *, quick: bool = False,
         tracker: list[str] | None = None, installed: str = "") -> dict[str, Any]:
    """``tracker``: the command to time (`make bench` passes the tracker installed as
    users install it, as for the other parts; alone, the dev venv's)."""
    say("\n== Export: `tracker export` of 14,000 tasks vs Taskwarrior `task export` ==")
    runs = 3 if quick else 9
    env = _env(work)
    t0 = time.perf_counter()
    db = build(work, 4_000 if quick else 40_000)
    say(f"database: 14,000 tasks, {db.stat().st_size / 1e6:.1f} MB state; built in "
        f"{time.perf_counter() - t0:.1f} s")
    task_path, how = taskw.ensure_taskwarrior()
    tw = None
    if task_path:
        tw = taskw.TaskDB(task_path, work / "taskwarrior-export", 14_000)
        say(f"Taskwarrior {taskw.version(task_path)} ({how}); import of 14,000: "
            f"{tw.load():.1f} s")
    else:
        say(f"Taskwarrior: {how}; the comparison is skipped.")
    if tracker is None:
        script = Path(sys.executable).parent / "tracker"
        tracker = [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]
        installed = "the dev venv's (editable: its import hook adds ~10 ms to every start)"
    say(f"tracker: {installed}")
    out = work / "out"
    out.mkdir(exist_ok=True)
    theirs: list[float] = []
    ours: dict[str, list[float]] = {fmt: [] for fmt in FORMATS}
    for round_number in range(runs + 1):
        for fmt in FORMATS:
            seconds = _timed([*tracker, "--db", str(db), "export", "-o",
                              str(out / f"snapshot.{fmt}")], env)
            if round_number:
                ours[fmt].append(seconds)
        if tw is not None:
            seconds = _timed(tw.command("export"), tw.env)
            if round_number:
                theirs.append(seconds)
    task_ms = median_ms(theirs) if theirs else None
    rows = []
    for fmt in FORMATS:
        mine = median_ms(ours[fmt])
        ok = None if task_ms is None else mine <= task_ms
        size = (out / f"snapshot.{fmt}").stat().st_size
        rows.append([fmt, f"{size / 1e6:.1f} MB", ms(mine), ms(task_ms),
                     ratio(mine / task_ms) if task_ms else "-", verdict(ok)])
        add_target(f"`tracker export --format {fmt}` vs `task export`, 14,000 tasks",
                   "<= 1.0x", ratio(mine / task_ms) if task_ms else "skipped", ok)
    say(table(["format", "file", "tracker export ms", "task export ms", "ratio", "<= 1.0x"],
              rows, right=(1, 2, 3, 4)))
    say(f"(medians of {runs} runs each, interleaved, after a warm-up)")
    say("\nIn-process, one process, median of 3 (ms):")
    times = in_process(db)
    say(table(["step", "ms"], [[k, ms(v)] for k, v in times.items()], right=(1,)))
    return {"ours": {k: median_ms(v) for k, v in ours.items()}, "task": task_ms,
            "steps": times}


def main(argv: list[str] | None = None) -> int:
    return standalone("export", lambda work, add, quick: part(work, add, quick=quick), argv)


if __name__ == "__main__":
    sys.exit(main())
