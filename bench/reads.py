"""The common commands beside Taskwarrior's, whole process, at 700, 14,000 and 70,000
tasks, with the floors measured in the same run (issue 17: a benchmark without selection).

One table: each row is a command of ours, its Taskwarrior equivalent on a Taskwarrior
database of as many tasks, the medians of interleaved runs, the ratio, and a target where
the issue states one. Then the reads that only we have, on 700 tasks with 500,000 more
journal events: the past (`report --as-of`) beside the present (`report`), the first
screen of `history`, a verify of a day's events, a full verify beside a lean hash-chain
check of the same journal (``bench/chain.py``).

Runs from ``bench/run.py --only reads`` (``--quick``: 700 tasks only, fewer runs)."""

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
from timing import median_ms, ms, ratio, table

from tracker.domain.plan import builtin_plan
from tracker.storage.atomic import load_json
from tracker.storage.store import Store

IO_FLOOR = "I/O: read, fsynced append, atomic replace"
_IO_FLOOR = """\
import os
db = {db!r}
raw = open(db, "rb").read()
fd = os.open(db + ".floor-journal", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
os.write(fd, b'{{"type":"note","new":"called the bureau"}}\\n'); os.fsync(fd); os.close(fd)
tmp = db + ".floor.tmp"
fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, raw); os.fsync(fd); os.close(fd)
os.replace(tmp, db + ".floor")
fd = os.open(os.path.dirname(db), os.O_RDONLY); os.fsync(fd); os.close(fd)
"""


def _env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TRACKER_DB", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env["COLUMNS"] = "120"
    return env


def _run(cmd: list[str] | str, env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, check=False, cwd=cwd,
                          shell=isinstance(cmd, str))
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({done.returncode}): {done.stderr[-400:]!r}")
    return seconds


def _turn(cmd: list[str] | str, i: int) -> list[str] | str:
    """``cmd`` with each ``{a|b}`` as its i-th choice: an edit that changes something on
    every run."""
    def pick(word: str) -> str:
        if word.startswith("{") and word.endswith("}") and "|" in word:
            return word[1:-1].split("|")[i % 2]
        return word.replace("{H|L}", "HL"[i % 2])

    return cmd if isinstance(cmd, str) else [pick(word) for word in cmd]


def _database(work: Path, tasks: int, name: str = "") -> Path:
    db = work / f"reads-{name or tasks}" / "tracker.json"
    db.parent.mkdir(parents=True, exist_ok=True)
    plan = builtin_plan() if tasks == 700 else synth.synthetic_plan(tasks // 700, 100)
    Store(db).create(plan, when=synth.HISTORY_START - timedelta(days=1))
    return db


def _ids(db: Path) -> tuple[str, str, str]:
    """A task in the middle, its county, and a prefecture (the first)."""
    data, _raw, _st = load_json(db)
    docs = list(data["tasks"].values())
    task = docs[len(docs) // 2]
    prefecture = data["plan"][next(iter(data["plan"]))]["plan"]["prefectures"][0]["code"]
    return task["id"], task["county"], prefecture


def part(work: Path, add_target: Callable[..., None], *, quick: bool,
         tracker: list[str], installed: str) -> None:
    sizes = [700] if quick else [700, 14_000, 70_000]
    runs = 3 if quick else 11
    env = _env(work)
    print(f"\n== reads: every common command vs Taskwarrior, {', '.join(f'{s:,}' for s in sizes)}"
          f" tasks ==\ntracker: {installed or 'the dev venv'}; medians of {runs} interleaved "
          "runs after a warm-up", flush=True)
    task_path, how = taskw.ensure_taskwarrior()
    print(f"Taskwarrior: {taskw.version(task_path) if task_path else '-'} ({how})", flush=True)
    rows: list[list[Any]] = []
    python = Path(tracker[0]).parent / "python"
    for size in sizes:
        db = _database(work, size)
        task_id, _county, prefecture = _ids(db)
        tw = None
        if task_path:
            tw = taskw.TaskDB(task_path, work / f"reads-tw-{size}", size)
            tw.load()
        ours = [*tracker, "--db", str(db)]
        middle = str(size // 2)
        pairs: list[tuple[str, list[str] | str, list[str] | str | None, float | None]] = [
            ("set / modify", [*ours, "set", task_id, "--priority", "{high|low}"],
             tw.command(middle, "modify", "priority:{H|L}") if tw else None, None),
            ("note / annotate", [*ours, "note", task_id, "called the bureau"],
             tw.command(middle, "annotate", "called the bureau") if tw else None, None),
            ("list --prefecture / project: list", [*ours, "list", "--prefecture", prefecture],
             tw.command("project:P01", "list") if tw else None, 1.0),
            ("show / info", [*ours, "show", task_id],
             tw.command(middle, "info") if tw else None, None),
            ("history TASK / info", [*ours, "history", task_id],
             tw.command(middle, "info") if tw else None, None),
            ("report / summary", [*ours, "report"],
             tw.command("summary") if tw else None, 1.0),
            ("export json / export", [*ours, "export", "--format", "json", "-o", "-"],
             tw.command("export") if tw else None, None),
        ]
        floor_cmds = {
            "python -c pass": [str(python), "-c", "pass"],
            "parse of the state": [str(python), "-c",
                                   f"import orjson; orjson.loads(open({str(db)!r}, 'rb').read())"],
            # What any durable edit must do: read the state, append a journal line and
            # fsync it, replace the state atomically (temp file, fsync, rename, fsync).
            IO_FLOOR: [str(python), "-c", _IO_FLOOR.format(db=str(db))],
        }
        floors: dict[str, float] = {}
        for what, cmd in floor_cmds.items():
            _run(cmd, env, work)
            floors[what] = median_ms([_run(cmd, env, work) for _ in range(runs)])
            rows.append([f"{size:,}", f"floor: {what}", ms(floors[what]), "", "", ""])
        for what, mine, theirs, limit in pairs:
            a, b = [], []
            for i in range(runs + 1):  # the first: a warm-up
                x = _run(_turn(mine, i), env, work)
                y = _run(_turn(theirs, i), tw.env, work) if theirs and tw else None
                if i:
                    a.append(x)
                    if y is not None:
                        b.append(y)
            ours_ms, theirs_ms = median_ms(a), (median_ms(b) if b else None)
            r = ours_ms / theirs_ms if theirs_ms else None
            target = ""
            if limit is not None and r is not None:
                target = "<= 1.0x" if size >= 14_000 else "< 100 ms"
                ok = r <= limit if size >= 14_000 else ours_ms < 100
                add_target(f"`tracker {what.split(' /')[0]}` vs `task`, {size:,} tasks",
                           target, f"{ratio(r)} ({ms(ours_ms)} ms)", ok)
            if size == 70_000 and what.split(" /")[0] in ("set", "note"):
                over = ours_ms / floors[IO_FLOOR]
                add_target(f"`tracker {what.split(' /')[0]}` vs its I/O floor, {size:,} "
                           "tasks", "<= 3.0x", f"{ratio(over)} ({ms(ours_ms)} ms)",
                           over <= 3.0)
                target = "<= 3x floor"
            rows.append([f"{size:,}", what, ms(ours_ms), ms(theirs_ms), ratio(r), target])
        if size == 700:  # a morning's and a login script's (issues 13, 16), on the demo
            demo = work / "reads-demo" / "tracker.json"  # (its follow-ups due): no peer
            if not demo.exists():
                _run([*tracker, "--db", str(demo), "demo"], env, work)
            on_demo = [*tracker, "--db", str(demo)]
            for what, cmd in (("agenda --group G07 (demo)", [*on_demo, "agenda", "--group",
                                                             "G07"]),
                              ("notice (demo)", [*on_demo, "notice"])):
                _run(cmd, env, work)
                took = median_ms([_run(cmd, env, work) for _ in range(runs)])
                add_target(f"`tracker {what}`, 700 tasks", "< 100 ms", f"{ms(took)} ms",
                           took < 100)
                rows.append([f"{size:,}", what, ms(took), "", "", "< 100 ms"])
    print(table(["tasks", "tracker / task", "tracker ms", "task ms", "ratio", "target"], rows,
                right=(2, 3, 4)), flush=True)
    _past(work, env, tracker, add_target, runs, events=20_000 if quick else 500_000)


def _past(work: Path, env: dict[str, str], tracker: list[str], add_target: Callable[..., None],
          runs: int, *, events: int) -> None:
    """The reads only we have, at 700 tasks and ``events`` more journal events."""
    db = _database(work, 700, "past-seed")
    grown = work / "reads-past" / "tracker.json"
    grown.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".history"):
        (grown.parent / (grown.name + suffix)).write_bytes(
            (db.parent / (db.name + suffix)).read_bytes())
    synth.grow_history(grown, events, "notes")
    started = time.perf_counter()
    written = Store(grown).build_checkpoints()
    built = time.perf_counter() - started
    ours = [*tracker, "--db", str(grown)]
    _run([*ours, "verify", "--full"], env, work)  # marks the checkpoints found sound
    synth.grow_history(grown, 2_880, "notes", seed=7)  # a day of a busy office, 30 s apart
    data, _raw, _st = load_json(grown)
    middle = synth.HISTORY_START + (synth.HISTORY_START + timedelta(seconds=30 * events)
                                    - synth.HISTORY_START) / 2
    day = middle.date().isoformat()
    cases = [("report", [*ours, "report"]),
             (f"report --as-of {day}", [*ours, "report", "--as-of", day]),
             ("history | head -40 (first screen)",
              " ".join([*ours, "history"]) + " | head -40 > /dev/null"),
             ("verify (since the last checkpoint verified)", [*ours, "verify"]),
             # One note of the journal's middle, and a phrase in a dozen (issue 15).
             (f"search 'call {events // 2}'", [*ours, "search", f"call {events // 2}"]),
             (f"search 'BUREAU, CALL {events // 40}'",
              [*ours, "search", f"BUREAU, CALL {events // 40}"]),
             ("verify --full", [*ours, "verify", "--full"]),
             # The floor of a full verify (issue 17): the chain and each line's hash only.
             ("floor: lean chain check", [str(Path(tracker[0]).parent / "python"),
                                          str(Path(__file__).with_name("chain.py")),
                                          str(grown) + ".history"])]
    timings: dict[str, float] = {}
    for _what, cmd in cases:
        _run(cmd, env, work)
    samples: dict[str, list[float]] = {what: [] for what, _cmd in cases}
    for _ in range(runs):
        for what, cmd in cases:
            samples[what].append(_run(cmd, env, work))
    timings = {what: median_ms(values) for what, values in samples.items()}
    print(f"\nThe past and the long journal: 700 tasks, +{events:,} events (+2,880 after the "
          f"last verify); {written} checkpoints built in {built:.1f} s", flush=True)
    rows = [[what, ms(value)] for what, value in timings.items()]
    print(table(["tracker", "ms"], rows, right=(1,)), flush=True)
    now, past = timings["report"], timings[f"report --as-of {day}"]
    add_target(f"`report --as-of` vs `report`, 700 tasks +{events // 1000}k events",
               "<= 1.5x", ratio(past / now), past / now <= 1.5)
    first = timings["history | head -40 (first screen)"]
    add_target(f"`history` first screen, +{events // 1000}k events", "< 300 ms",
               f"{ms(first)} ms", first < 300)
    verify = timings["verify (since the last checkpoint verified)"]
    add_target(f"`verify` of a day's events, +{events // 1000}k events", "< 1 s",
               f"{ms(verify)} ms", verify < 1000)
    for what, value in timings.items():
        if what.startswith("search"):
            add_target(f"`{what}`, +{events // 1000}k events", "< 200 ms", f"{ms(value)} ms",
                       value < 200)
    full, lean = timings["verify --full"], timings["floor: lean chain check"]
    add_target(f"`verify --full` vs a lean chain check, +{events // 1000}k events", "<= 2.0x",
               f"{ratio(full / lean)} ({ms(full)} ms)", full / lean <= 2.0)
    del data


if __name__ == "__main__":  # a standalone run: python bench/reads.py [--quick]
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        found: list[Any] = []
        part(Path(folder), lambda *row: found.append(row), quick="--quick" in sys.argv,
             tracker=[str(Path(sys.executable).parent / "tracker")], installed="")
        for row in found:
            print(row)
