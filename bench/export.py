"""`make bench`, export: `tracker export` in each format, as a whole process, for the
province (the demo database: 100 counties, 700 tasks) and for 20 times as many tasks,
held to the bounds of issue 14: within 0.6 s and 3 s.

The province: `tracker demo --today 2020-12-31` (its history from 2017-06 to 2020-12,
its own day the plan's end), exported as of 2020-12-31. 14,000 tasks: the synthetic plan
of bench/synth.py (2,000 counties x 7 recommendations), created fresh, then 40,000
journal events (half notes, half county measurements), so that every county has dated
figures for the progress math and the trend charts. Each export builds the snapshot
(progress, roll-ups and quarterly trends), renders the file and writes it with its
.sha256 atomically: the medians of ``runs`` runs after a warm-up; bytecode is cached.
Also: the in-process time of each writer alone, for where it goes.

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
from timing import median_ms, ms, standalone, table, verdict

FORMATS = ("json", "csv", "md", "html", "xlsx")
BOUNDS = {700: 0.6, 14_000: 3.0}  # seconds, whole process (issue 14)
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

    from tracker.formats.export import render
    from tracker.formats.snapshot import build_snapshot
    from tracker.storage.store import Store

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


def province(work: Path, tracker: list[str], env: dict[str, str]) -> Path:
    db = work / "export-700-2020" / "tracker.json"
    if not db.exists():  # the demo whose own day is the plan's end, to export as of it
        db.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([*tracker, "--db", str(db), "demo", "--today", "2020-12-31"],
                       env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return db


def part(work: Path, add_target: AddTarget, *, quick: bool = False,
         tracker: list[str] | None = None, installed: str = "") -> dict[str, Any]:
    """``tracker``: the command to time (`make bench` passes the tracker installed as
    users install it, as for the other parts; alone, the dev venv's)."""
    say("\n== Export: `tracker export` of 700 and 14,000 tasks, against 0.6 s and 3 s ==")
    runs = 3 if quick else 7
    env = _env(work)
    if tracker is None:
        script = Path(sys.executable).parent / "tracker"
        tracker = [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]
        installed = "the dev venv's (editable: its import hook adds ~10 ms to every start)"
    say(f"tracker: {installed}")
    t0 = time.perf_counter()
    databases = {700: (province(work, tracker, env), "2020-12-31"),
                 14_000: (build(work, 4_000 if quick else 40_000), None)}
    say(f"databases built in {time.perf_counter() - t0:.1f} s")
    out = work / "out"
    out.mkdir(exist_ok=True)
    rows = []
    found: dict[str, float] = {}
    for tasks, (db, as_of) in databases.items():
        bound = BOUNDS[tasks]
        for fmt in FORMATS:
            target = out / f"snapshot-{tasks}.{fmt}"
            cmd = [*tracker, "--db", str(db), "export", "--force", "-o", str(target)]
            if as_of:
                cmd += ["--as-of", as_of]
            samples = [_timed(cmd, env) for _ in range(runs + 1)][1:]
            seconds = median_ms(samples) / 1000
            ok = seconds <= bound
            found[f"{fmt} {tasks}"] = seconds
            rows.append([f"{tasks:,}", fmt, f"{target.stat().st_size / 1e6:.1f} MB",
                         ms(seconds * 1000), ms(bound * 1000), verdict(ok)])
            add_target(f"`tracker export --format {fmt}`, {tasks:,} tasks",
                       f"<= {bound:g} s", f"{seconds:.2f} s", ok)
    say(table(["tasks", "format", "file", "ms", "bound ms", "within"], rows,
              right=(2, 3, 4)))
    say(f"(medians of {runs} runs each, after a warm-up)")
    say("\nIn-process, 14,000 tasks, one process, median of 3 (ms):")
    times = in_process(databases[14_000][0])
    say(table(["step", "ms"], [[k, ms(v)] for k, v in times.items()], right=(1,)))
    return {"ours": found, "steps": times}


def main(argv: list[str] | None = None) -> int:
    return standalone("export", lambda work, add, quick: part(work, add, quick=quick), argv)


if __name__ == "__main__":
    sys.exit(main())
