"""`make bench`: how fast tracker's edits are, as ratios against baselines measured in the
same run, and what plain TinyDB loses under concurrent writers.

1. Durable edit latency in-process: ``Store.apply(SetFields/AddNote)`` on 700 and 14,000
   tasks, with a fresh journal and with 500,000 more events in it, beside plain TinyDB
   (``TinyDB(path)``, ``table.update``) on the same documents; the floor (an fsynced atomic
   replace of a file the size of the state); where a one-shot CLI edit spends its time.
2. Whole process: ``tracker set`` as a subprocess beside Taskwarrior's ``task ID modify``
   on the same number of tasks; and a check that CLI commands do not import Textual.
3. Four processes x 50 updates at once: plain TinyDB against our Store.
0. reads (bench/reads.py): every common command (set, note, list, show, history, report,
   export) beside its Taskwarrior equivalent at 700, 14,000 and 70,000 tasks, the floors
   in the same run, and the past on a long journal (report --as-of, history's first
   screen, verify of a day's events at 500,000 events).
4. The app (bench/app.py): start-up to the first interactive frame beside a hello-world
   Textual app, filtering per keystroke at 700 and 14,000 tasks, idle CPU, and `[` / `]`
   (the as-of date a month back / forward) at 700 tasks with 500,000 more events; and
   (bench/vit.py) its first screen and memory in a terminal beside vit, Taskwarrior's
   full-screen interface, at 700, 14,000 and 70,000 tasks.

Work files go to bench/.work/ (gitignored) and are removed at the end (``--keep`` keeps
them). ``--quick`` is a smoke run with small numbers; ``--only app`` (or ``1,2,3``) runs
only those parts. Exits 0 when every part ran: the figures and the verdicts are the output.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import app as app_bench
import export as export_bench
import load
import lose
import reads
import synth
import taskw
import vit as vit_bench
from timing import in_child, median_ms, ms, ratio, table, verdict

from tracker.domain.commands import AddNote, SetFields
from tracker.domain.plan import Plan, builtin_plan, plan_from_dict
from tracker.storage.atomic import AtomicJSONStorage, load_json, split_lines
from tracker.storage.files import atomic_write
from tracker.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"


@dataclass
class Settings:
    events: int = 500_000
    reps_small: int = 45  # in-process edits per operation, 700 tasks
    reps_large: int = 21  # ... 14,000 tasks
    reps_grown: int = 9  # ... on a state grown by 500k notes and measurements
    rounds: int = 3  # each configuration is measured in this many separate processes
    cli_runs: int = 15
    cli_runs_grown: int = 5
    writers: int = 4
    updates: int = 50
    trials: int = 3


@dataclass
class Targets:
    rows: list[tuple[str, str, str, bool | None]] = field(default_factory=list)

    def add(self, what: str, target: str, measured: str, ok: bool | None) -> None:
        self.rows.append((what, target, measured, ok))


def say(text: str = "") -> None:
    print(text, flush=True)


# -- the machine ---------------------------------------------------------------------------------
def machine() -> list[str]:
    def first_line(cmd: list[str], line: int = 0) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
            return out.strip().splitlines()[line]
        except (OSError, IndexError):
            return "?"

    memory = first_line(["free", "-h"], 1).split()
    fs = first_line(["df", "-T", str(ROOT)], 1).split()
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [
        f"cpus: {os.cpu_count()} ({cpu})",
        f"memory: {memory[1] if len(memory) > 1 else '?'}",
        f"python: {platform.python_version()} ({sys.executable})",
        f"filesystem of {ROOT}: {fs[1] if len(fs) > 1 else '?'} ({fs[0] if fs else '?'})",
        f"kernel: {platform.release()}",
        "load average (1, 5, 15 min) at start: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    ]


# -- part 1: in-process edits ----------------------------------------------------------------------
@dataclass
class Database:
    label: str  # "700", "14,000"
    tasks: int
    plan: Plan
    fresh: Path  # a new database: one init event
    plain: Path  # the same documents, written by TinyDB's JSONStorage
    grown: dict[str, Path] = field(default_factory=dict)  # mix -> database with 500k more
    grown_info: dict[str, synth.Grown] = field(default_factory=dict)
    fresh_size: int = 0  # the fresh state's size, before any timed edit


def _copy_db(source: Path, target_dir: Path) -> Path:
    target_dir.mkdir(parents=True)
    for suffix in ("", ".history"):
        shutil.copy2(source.with_name(source.name + suffix),
                     target_dir / (source.name + suffix))
    return target_dir / source.name


def build_database(label: str, plan: Plan, root: Path, events: int) -> Database:
    fresh = root / "fresh" / "tracker.json"
    Store(fresh).create(plan, when=synth.HISTORY_START - timedelta(days=1))
    plain = root / "plain.json"
    synth.plain_copy(fresh, plain)
    db = Database(label, len(plan.counties) * len(plan.recommendations), plan, fresh, plain,
                  fresh_size=fresh.stat().st_size)
    # "control": just enough set events to give every task its `changed` stamps, so the
    # state is as big as after 500k set events but the journal is short.
    for name, mix, count in (("control", "sets", 2 * db.tasks), ("sets", "sets", events),
                             ("notes", "notes", events)):
        grown = _copy_db(fresh, root / name)
        db.grown_info[name] = synth.grow_history(grown, count, mix)
        db.grown[name] = grown
    return db


def _pick(tasks: list[str], rep: int, seed: int) -> str:
    return tasks[(rep * 7919 + seed * 104729) % len(tasks)]


def measure_store(db: Path, reps: int, seed: int) -> dict[str, list[float]]:
    """``reps`` owner changes and ``reps`` notes through one long-lived Store (as the app
    holds one); the first write of a session (which may take an automatic backup) and
    the first load are not timed."""
    store = Store(db)
    view = store.view()
    tasks = list(view.index.tasks)
    owners = {t: view.tables["tasks"][view.index.tasks[t]]["owner"] for t in tasks}
    store.apply(AddNote(_pick(tasks, -1, seed), "warm-up"))
    clock = time.perf_counter
    samples: dict[str, list[float]] = {"set": [], "note": []}
    for rep in range(reps):
        task = _pick(tasks, rep, seed)
        owners[task] = "G10" if owners[task] != "G10" else "G11"
        command = SetFields(task, {"owner": owners[task]})
        started = clock()
        store.apply(command)
        samples["set"].append(clock() - started)
        note = AddNote(task, f"bench note {seed}.{rep}")
        started = clock()
        store.apply(note)
        samples["note"].append(clock() - started)
    return samples


def measure_plain(path: Path, reps: int, seed: int) -> dict[str, list[float]]:
    """The same edits through plain TinyDB: ``TinyDB(path).table("tasks").update``."""
    from tinydb import TinyDB

    docs = json.loads(path.read_text())["tasks"]
    keys = list(docs)
    owners = {k: docs[k]["owner"] for k in keys}
    del docs
    db = TinyDB(path)
    tasks = db.table("tasks")
    tasks.update({"updated_by": "warm-up"}, doc_ids=[int(keys[0])])
    clock = time.perf_counter
    samples: dict[str, list[float]] = {"set": [], "note": []}
    for rep in range(reps):
        key = _pick(keys, rep, seed)
        owners[key] = "G10" if owners[key] != "G10" else "G11"
        change = {"owner": owners[key]}
        started = clock()
        tasks.update(change, doc_ids=[int(key)])
        samples["set"].append(clock() - started)
        note = {"at": "2018-06-01T10:00:00+08:00", "by": "bench", "text": f"note {rep}"}

        def add_note(doc: dict[str, Any], note: dict[str, str] = note) -> None:
            doc.setdefault("notes", []).append(note)

        started = clock()
        tasks.update(add_note, doc_ids=[int(key)])
        samples["note"].append(clock() - started)
    db.close()
    return samples


def measure_floor(state: Path, scratch: Path, reps: int) -> dict[str, list[float]]:
    """The least a durable edit can cost here: an fsynced atomic replace of a file the
    size of the state, and an fsynced append of one journal line."""
    data = state.read_bytes()
    scratch.mkdir(parents=True, exist_ok=True)
    target = scratch / "state.json"
    journal = scratch / "journal"
    line = b'{"comment":null,"field":"owner",' + b"x" * 300 + b"}\n"
    clock = time.perf_counter
    samples: dict[str, list[float]] = {"replace": [], "append": []}
    for _ in range(reps):
        started = clock()
        atomic_write(target, data)
        samples["replace"].append(clock() - started)
        started = clock()
        fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(fd, line)
        os.fsync(fd)
        os.close(fd)
        samples["append"].append(clock() - started)
    return samples


def _median_of(fn: Any, reps: int = 5) -> float:
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return median_ms(samples)


def breakdown(db: Path, scratch: Path) -> dict[str, float]:
    """Where a one-shot edit (a CLI process) spends its time, step by step (ms)."""
    result: dict[str, float] = {}
    data, raw_bytes, _st = load_json(db)
    result["parse state"] = _median_of(lambda: load_json(db))
    result["index lines (encode cache)"] = _median_of(
        lambda: AtomicJSONStorage._index_lines(raw_bytes, data))
    result["split lines (lazy read, one-shot CLI)"] = _median_of(
        lambda: split_lines(raw_bytes, db))
    raw = data["plan"]["1"]["plan"]
    result["Plan from stored plan"] = _median_of(
        lambda: plan_from_dict(raw, source="bench"), 3)
    storage = AtomicJSONStorage(db)
    tables = storage.read()
    assert tables is not None
    doc = next(iter(tables["tasks"].values()))

    def encode_one_changed() -> None:
        doc["version"] += 1
        storage.encode(tables)

    result["encode state (1 doc changed)"] = _median_of(encode_one_changed)
    blob = storage.encode(tables)
    scratch.mkdir(parents=True, exist_ok=True)
    result["atomic replace + fsyncs"] = _median_of(
        lambda: atomic_write(scratch / "state.json", blob))
    return result


def part1(settings: Settings, dbs: list[Database], targets: Targets) -> dict[str, Any]:
    say("\n== 1. Durable edit latency, in-process ==")
    say("ours: Store.apply(SetFields owner) / Store.apply(AddNote): lock, journal append "
        "+ fsync, atomic state replace + fsyncs.")
    say("plain TinyDB: TinyDB(path).table('tasks').update(...) of one document on the same "
        "documents (whole-file rewrite, one fsync, no lock, not atomic).")
    say("Each configuration runs in its own process, "
        f"{settings.rounds} rounds interleaved; the first write of each is not timed.\n")
    medians: dict[tuple[str, str, str], float] = {}
    counts: dict[tuple[str, str], int] = {}
    for db in dbs:
        reps = settings.reps_small if db.tasks < 5000 else settings.reps_large
        configs: list[tuple[str, Any, Path, int]] = [
            ("ours:0", measure_store, db.fresh, reps),
            ("ours:control", measure_store, db.grown["control"], reps),
            ("ours:sets", measure_store, db.grown["sets"], reps),
            ("ours:notes", measure_store, db.grown["notes"], settings.reps_grown),
            ("plain", measure_plain, db.plain, reps),
        ]
        samples: dict[str, dict[str, list[float]]] = {c[0]: {"set": [], "note": []}
                                                       for c in configs}
        for round_number in range(settings.rounds):
            for name, fn, path, count in configs:
                per_round = max(1, count // settings.rounds)
                got = in_child(fn, path, per_round, round_number + 1)
                for op in ("set", "note"):
                    samples[name][op].extend(got[op])
        for name, by_op in samples.items():
            for op, values in by_op.items():
                medians[(db.label, name, op)] = median_ms(values)
                counts[(db.label, name)] = len(values)
        floor = in_child(measure_floor, db.fresh, WORK / "floor", 21)
        medians[(db.label, "floor", "replace")] = median_ms(floor["replace"])
        medians[(db.label, "floor", "append")] = median_ms(floor["append"])

    rows = []
    for db in dbs:
        for op, op_name in (("set", "set owner"), ("note", "add note")):
            ours = medians[(db.label, "ours:0", op)]
            plain = medians[(db.label, "plain", op)]
            goal = "<= 1.0x plain" + (", <= 3 ms" if db.tasks < 5000 else "")
            ok = ours / plain <= 1.0 and (db.tasks >= 5000 or ours <= 3.0)
            rows.append([db.label, op_name, ms(ours), ms(plain), ratio(ours / plain),
                         goal, verdict(ok)])
            if db.tasks < 5000:
                targets.add(f"in-process {op_name}, {db.label} tasks", "<= 3 ms median",
                            f"{ms(ours)} ms", ours <= 3.0)
            targets.add(f"in-process {op_name}, {db.label} tasks, ours/plain TinyDB",
                        "<= 1.0x", ratio(ours / plain), ours / plain <= 1.0)
    say(table(["tasks", "edit", "ours ms", "plain TinyDB ms", "ours/plain", "target",
               "verdict"], rows, right=(2, 3, 4)))
    say(f"(medians of {counts[(dbs[0].label, 'ours:0')]} edits at {dbs[0].label} tasks, "
        f"{counts[(dbs[-1].label, 'ours:0')]} at {dbs[-1].label}; files: "
        + ", ".join(f"{db.label} tasks ours {db.fresh_size / 1e6:.2f} MB, plain "
                    f"{db.plain.stat().st_size / 1e6:.2f} MB" for db in dbs) + ")")

    say(f"\nHistory length: ours after {settings.events:,} more journal events / ours on a "
        "fresh journal")
    rows = []
    for db in dbs:
        for op, op_name in (("set", "set owner"), ("note", "add note")):
            base = medians[(db.label, "ours:0", op)]
            control = medians[(db.label, "ours:control", op)]
            sets = medians[(db.label, "ours:sets", op)]
            notes = medians[(db.label, "ours:notes", op)]
            rows.append([db.label, op_name, ms(base), ms(control), ms(sets),
                         ratio(sets / base), verdict(sets / base <= 1.2),
                         ratio(sets / control), ms(notes), ratio(notes / base),
                         verdict(notes / base <= 1.2)])
            targets.add(f"{op_name}, {db.label} tasks, after {settings.events:,} set events",
                        "<= 1.2x after 0", ratio(sets / base), sets / base <= 1.2)
            targets.add(f"{op_name}, {db.label} tasks, after {settings.events:,} "
                        "note+measure events", "<= 1.2x after 0", ratio(notes / base),
                        notes / base <= 1.2)
            targets.add(f"{op_name}, {db.label} tasks, journal length alone (+sets/control)",
                        "<= 1.2x", ratio(sets / control), sets / control <= 1.2)
    say(table(["tasks", "edit", "fresh ms", "control ms", "+sets ms", "/fresh", "<=1.2x",
               "/control", "+notes/measures ms", "/fresh", "<=1.2x"], rows,
              right=(2, 3, 4, 5, 7, 8, 9)))
    say("control: 2 x tasks set events (every task gets its `changed` stamps, so the state "
        "is as big as after +sets) with a short journal; +sets / control is the cost of "
        "the journal's length alone.")
    say(f"+sets: {settings.events:,} owner/priority changes (the journal grows; the state "
        "grows only by those stamps).")
    say(f"+notes/measures: {settings.events:,} events, half notes on tasks, half county "
        "measurements (both stay in the journal; the state keeps each county's latest "
        "value of each measured key).")
    rows = []
    for db in dbs:
        before = db.fresh_size
        for mix in ("control", "sets", "notes"):
            info = db.grown_info[mix]
            rows.append([db.label, mix, f"{info.events:,}", f"{info.journal_bytes / 1e6:.1f} MB",
                         f"{before / 1e6:.2f} MB", f"{info.state_bytes / 1e6:.2f} MB",
                         f"{info.seconds:.1f} s"])
    say(table(["tasks", "mix", "events added", "journal", "state before", "state after",
               "generated in"], rows, right=(2, 3, 4, 5, 6)))

    say("\nFloor: the least a durable edit costs on this disk")
    rows = []
    for db in dbs:
        size = db.fresh.stat().st_size
        replace = medians[(db.label, "floor", "replace")]
        append = medians[(db.label, "floor", "append")]
        ours = medians[(db.label, "ours:0", "set")]
        rows.append([db.label, f"{size / 1e6:.2f} MB", ms(replace), ms(append),
                     ms(replace + append), ms(ours), ratio(ours / (replace + append))])
    say(table(["tasks", "state file", "atomic replace+fsync ms", "journal append+fsync ms",
               "sum ms", "ours set ms", "ours/floor"], rows, right=(1, 2, 3, 4, 5, 6)))
    return {"medians": medians}


def part1_breakdown(dbs: list[Database]) -> None:
    say("\nWhere a one-shot edit (one CLI process) spends its time in storage (median ms)")
    results = {db.label: in_child(breakdown, db.fresh, WORK / "breakdown") for db in dbs}
    steps = list(next(iter(results.values())))
    rows = [[step, *(ms(results[db.label][step]) for db in dbs)] for step in steps]
    say(table(["step", *(f"{db.label} tasks" for db in dbs)], rows,
              right=tuple(range(1, len(dbs) + 1))))


# -- part 2: whole process -------------------------------------------------------------------------
def cli_env() -> dict[str, str]:
    """The environment for tracker subprocesses: as an installed tracker runs, with its
    modules' bytecode cached (this environment may set PYTHONDONTWRITEBYTECODE=1, which
    recompiles them on every start when no __pycache__ is there), in bench/.work/."""
    env = dict(os.environ)
    env.pop("TRACKER_DB", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    return env


def installed_python(*, reuse: bool = False) -> tuple[Path | None, str]:
    """A Python with the tracker installed as users install it (``pip install .``, not
    editable: the editable install's import hook costs ~12 ms of every start), in
    bench/.work/installed; (None, why) if it cannot be made. ``reuse``: the one an
    earlier part of this run made, if there is one."""
    venv = WORK / "installed"
    python = venv / "bin" / "python"
    if reuse and (venv / "bin" / "tracker").exists():
        return python, f"pip install . into {venv.relative_to(ROOT)}"
    # setuptools copies into ROOT/build only what is newer than the copy there: a stale
    # build directory could put old modules in the installed copy.
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    steps = [[sys.executable, "-m", "venv", "--clear", str(venv)],
             [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              str(ROOT)]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return None, f"{' '.join(step[:4])} failed: {done.stderr.strip()[-200:]}"
    return python, f"pip install . into {venv.relative_to(ROOT)}"


def reads_part(quick: bool, targets: Any) -> None:
    """Every common command beside Taskwarrior's (bench/reads.py), the tracker installed
    as users install it."""
    python, installed = installed_python(reuse=True)
    reads.part(WORK, targets.add, quick=quick,
               tracker=tracker_cmd(python) if python else tracker_cmd(),
               installed=installed if python else "")


def export_part(quick: bool, targets: Any) -> None:
    """The export part, timing the tracker installed as users install it (as part 1 and
    the app's terminal runs do)."""
    python, installed = installed_python(reuse=True)
    export_bench.part(WORK, targets.add, quick=quick,
                      tracker=tracker_cmd(python) if python else None,
                      installed=installed if python else "")


def vit_part(quick: bool, targets: Any) -> None:
    """The app beside vit and a hello-world (bench/vit.py), installed as users install it."""
    python, _installed = installed_python(reuse=True)
    if python:
        app_bench.INSTALLED = tracker_cmd(python)
    vit_bench.part(WORK, targets.add, quick=quick)


def tracker_cmd(python: Path | None = None) -> list[str]:
    script = Path(python or sys.executable).parent / "tracker"
    return [str(script)] if script.exists() else [str(python or sys.executable), "-m",
                                                  "tracker"]


def run_once(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    # From bench/.work: `python -c` and `-m` put the current directory first on sys.path,
    # where the checkout's tracker/ (without storage/ and screens/, which install into
    # it) would hide the installed package.
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False,
                          cwd=WORK)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()[-600:]}")
    return seconds


def middle_task(db: Path) -> str:
    data, _raw, _st = load_json(db)
    docs = list(data["tasks"].values())
    return docs[len(docs) // 2]["id"]


_SET_CYCLE = (["--status", "in_progress"], ["--owner", "G05"],
              ["--status", "blocked", "--comment", "waiting for the bureau"],
              ["--owner", "G06"])
_TASK_CYCLE = ("priority:H", "project:G01", "priority:L", "project:G02")


def imported_modules(args: list[str], env: dict[str, str]) -> tuple[list[str], float]:
    """Modules a tracker command imports (python -X importtime) and their total ms."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "tracker", *args],
                          env=env, capture_output=True, text=True, check=False, cwd=WORK)
    modules, total = [], 0.0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line.split("|")
        name = parts[2]
        if not parts[1].strip().isdigit():
            continue  # the header line
        modules.append(name.strip())
        if name.startswith(" ") and not name.startswith("  "):  # top level
            total += int(parts[1].strip()) / 1000.0
    return modules, total


def app_part(app_settings: Any, targets: Targets) -> None:
    """The app's part, its terminal runs with the tracker installed as users install it."""
    python, installed = installed_python(reuse=True)
    if python:
        app_bench.INSTALLED = tracker_cmd(python)
    say(f"\n(the app in a terminal: {installed if python else installed + '; the dev venv'})")
    app_bench.part(app_settings, WORK, targets.add)


def part2(settings: Settings, dbs: list[Database], targets: Targets) -> None:
    say("\n== 2. Whole process: `tracker set` vs Taskwarrior `task ID modify` ==")
    env = cli_env()
    python, installed = installed_python()
    tracker = tracker_cmd(python)
    say(f"tracker installed: {installed if python else installed + '; using the dev venv'}")
    python = python or Path(sys.executable)
    task_path, how = taskw.ensure_taskwarrior()
    if task_path:
        say(f"Taskwarrior {taskw.version(task_path)} ({how}); isolated TASKRC/TASKDATA, "
            f"{' '.join(taskw.RC_OVERRIDES)}.")
    else:
        say(f"Taskwarrior: {how}; the comparison is skipped.")
    say(f"tracker: {' '.join(Path(a).name for a in tracker)} --db DB set TASK "
        "--status/--owner (alternating, so each run changes something); "
        f"median of {settings.cli_runs} runs, interleaved with task runs, after a warm-up.")
    rows = []
    startup: dict[str, float] = {}
    imports = "import tracker.cli, tracker.domain.commands, tracker.storage.store"
    for name, code in (("python -c pass", "pass"), (f"python -c '{imports}'", imports)):
        run_once([str(python), "-c", code], env)
        startup[name] = median_ms([run_once([str(python), "-c", code], env)
                                   for _ in range(settings.cli_runs)])
    steps: dict[Path, int] = {}  # where each database is in the cycle of edits
    for db in dbs:
        task_id = middle_task(db.fresh)
        tw: taskw.TaskDB | None = None
        tw_note = ""
        if task_path:
            tw = taskw.TaskDB(task_path, WORK / f"taskwarrior-{db.tasks}", db.tasks)
            try:
                tw_note = f"import {db.tasks:,}: {tw.load():.1f} s"
            except (RuntimeError, OSError) as error:
                tw_note = f"skipped: {error}"
                tw = None
        variants = [("fresh journal", db.fresh, settings.cli_runs, env),
                    (f"+{settings.events // 1000}k set events", db.grown["sets"],
                     settings.cli_runs, env),
                    (f"+{settings.events // 1000}k notes/measures", db.grown["notes"],
                     settings.cli_runs_grown, env)]
        for label, path, runs, run_env in variants:
            ours_s, tw_s = [], []
            tw_id = str(db.tasks // 2)
            for i in range(runs + 1):
                step = steps.get(path, 0)
                steps[path] = step + 1
                ours_cmd = [*tracker, "--db", str(path), "set", task_id,
                            *_SET_CYCLE[step % 4]]
                seconds = run_once(ours_cmd, run_env)
                if i:
                    ours_s.append(seconds)
                if tw is not None and label == "fresh journal":
                    seconds = run_once(tw.command(tw_id, "modify", _TASK_CYCLE[i % 4]),
                                       tw.env)
                    if i:
                        tw_s.append(seconds)
            ours = median_ms(ours_s)
            theirs = median_ms(tw_s) if tw_s else None
            limit = 1.0 if db.tasks >= 5000 else 5.0
            ok = None if theirs is None else ours / theirs <= limit
            rows.append([db.label, label, ms(ours), ms(theirs),
                         ratio(ours / theirs) if theirs else "-",
                         f"<= {limit:.0f}x" if theirs else "", verdict(ok) if theirs else "",
                         tw_note if theirs else ""])
            if label == "fresh journal":
                targets.add(f"`tracker set` vs `task modify`, {db.label} tasks", f"<= {limit:.0f}x",
                            ratio(ours / theirs) if theirs else "skipped", ok)
    say(table(["tasks", "database", "tracker set ms", "task modify ms", "ratio", "target",
               "verdict", "note"], rows, right=(2, 3, 4)))
    for name, value in startup.items():
        say(f"  {name}: {ms(value)} ms")

    say(f"\nReads of one task's history, fresh journal vs +{settings.events // 1000}k set "
        "events (one run each, ms; not a target, a hot spot):")
    rows = []
    for db in dbs:
        task_id = middle_task(db.fresh)
        for args in (["show", task_id, "--json"], ["history", task_id, "--json"]):
            fresh = run_once([*tracker, "--db", str(db.fresh), *args], env) * 1000
            grown = run_once([*tracker, "--db", str(db.grown["sets"]), *args], env) * 1000
            rows.append([db.label, f"tracker {args[0]} TASK --json", ms(fresh), ms(grown),
                         ratio(grown / fresh)])
    say(table(["tasks", "command", "fresh ms", "+sets ms", "ratio"], rows, right=(2, 3, 4)))

    say("\nTextual stays out of the CLI (python -X importtime -m tracker ...):")
    db = dbs[0].fresh
    checks = [["list", "--json"], ["show", middle_task(db), "--json"], ["report", "--json"],
              ["history", "--json"], ["verify", "--json"]]
    all_clear = True
    for args in checks:
        modules, total = imported_modules(["--db", str(db), *args], env)
        textual = sorted({m for m in modules if m.split(".")[0] == "textual"})
        all_clear = all_clear and not textual and bool(modules)
        status = "no" if not textual else f"YES ({', '.join(textual[:3])})"
        say(f"  tracker {args[0]:<8} textual imported: {status}   "
            f"({len(modules)} modules, {total:.0f} ms of imports)")
    targets.add("CLI commands import no Textual", "textual imported: no",
                "no" if all_clear else "yes", all_clear)


# -- part 3: concurrent writers --------------------------------------------------------------------
def part3(settings: Settings, plan: Plan, plain_seed: Path) -> None:
    say(f"\n== 3. What plain TinyDB loses: {settings.writers} processes x {settings.updates} "
        "updates at once (start barrier) ==")
    say("plain: each process increments its own counter document (table.update, "
        "read-modify-write) in a file holding the 700-task documents.")
    say("ours: each process adds notes to one shared task with Store.apply(AddNote).")
    say("acknowledged: the update returned normally; errors: it raised (a torn read); "
        "survived: counted in the file afterwards.")
    rows = []
    total = settings.writers * settings.updates
    for trial in range(1, settings.trials + 1):
        out = lose.plain_trial(plain_seed, WORK / "lose" / f"plain-{trial}.json",
                               settings.writers, settings.updates)
        lost = (f"{(out.acknowledged - out.survived) / out.acknowledged:.0%}"
                if out.survived is not None and out.acknowledged else "all (unreadable)")
        rows.append(["plain TinyDB", trial, total, out.acknowledged, out.errors,
                     "-" if out.survived is None else out.survived, lost,
                     "yes" if out.parses else "NO", f"{out.seconds:.2f}", ""])
    for trial in range(1, settings.trials + 1):
        db = WORK / "lose" / f"store-{trial}" / "tracker.json"
        Store(db).create(plan, when=synth.HISTORY_START)
        task = middle_task(db)
        out = lose.store_trial(db, task, settings.writers, settings.updates)
        lost = (f"{(out.acknowledged - (out.survived or 0)) / out.acknowledged:.0%}"
                if out.acknowledged else "-")
        rows.append(["our Store", trial, total, out.acknowledged, out.errors, out.survived,
                     lost, "yes" if out.parses else "NO", f"{out.seconds:.2f}", out.detail])
    say(table(["store", "trial", "attempted", "acknowledged", "errors", "survived", "lost",
               "file parses", "seconds", ""], rows, right=(2, 3, 4, 5, 6, 8)))


# -- main ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small numbers: a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep bench/.work/ afterwards")
    parser.add_argument("--events", type=int, help="journal events to add (default 500,000)")
    parser.add_argument("--only", metavar="PARTS", default="reads,1,2,3,app,vit,export,load",
                        help="comma-separated parts to run: reads, 1, 2, 3, app, vit, "
                             "export, load (default: all)")
    args = parser.parse_args(argv)
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    unknown = only - {"reads", "1", "2", "3", "app", "vit", "export", "load"}
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}")
    app_settings = app_bench.QUICK if args.quick else app_bench.AppSettings()
    settings = Settings()
    if args.quick:
        settings = Settings(events=20_000, reps_small=9, reps_large=3, reps_grown=3,
                            rounds=1, cli_runs=3, cli_runs_grown=1, updates=10, trials=1)
    if args.events is not None:
        settings.events = args.events
    started = time.perf_counter()
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    targets = Targets()
    try:
        say("tracker benchmarks (make bench)")
        for line in machine():
            say(f"  {line}")
        dbs: list[Database] = []
        if only & {"1", "2", "3"}:
            say(f"\nBuilding databases: 700 tasks (built-in plan) and 14,000 tasks "
                f"(synthetic plan, 2,000 counties in 20 prefectures), each also with "
                f"{settings.events:,} more journal events ...")
            t0 = time.perf_counter()
            dbs = [build_database("700", builtin_plan(), WORK / "db-700", settings.events),
                   build_database("14,000", synth.synthetic_plan(), WORK / "db-14000",
                                  settings.events)]
            gc.collect()
            say(f"  built in {time.perf_counter() - t0:.1f} s")
        failed = []
        for name, run in (("reads", lambda: reads_part(args.quick, targets)),
                          ("1", lambda: part1(settings, dbs, targets)),
                          ("1 (breakdown)", lambda: part1_breakdown(dbs)),
                          ("2", lambda: part2(settings, dbs, targets)),
                          ("3", lambda: part3(settings, dbs[0].plan, dbs[0].plain)),
                          ("app", lambda: app_part(app_settings, targets)),
                          ("vit", lambda: vit_part(args.quick, targets)),
                          ("export", lambda: export_part(args.quick, targets)),
                          ("load", lambda: load.part(WORK, args.quick))):
            if name.split()[0] not in only:
                continue
            try:
                run()
            except Exception as error:  # report it and go on with the other parts
                failed.append(name)
                say(f"\n!! part {name} failed: {type(error).__name__}: {error}")

        say("\n== Targets ==")
        say(table(["what", "target", "measured", "verdict"],
                  [[w, t, m, verdict(ok)] for w, t, m, ok in targets.rows]))
        met = sum(1 for *_x, ok in targets.rows if ok)
        missed = sum(1 for *_x, ok in targets.rows if ok is False)
        say(f"\n{met} met, {missed} missed; total time {time.perf_counter() - started:.0f} s")
        say("load average (1, 5, 15 min) at the end: "
            + ", ".join(f"{x:.2f}" for x in os.getloadavg())
            + " (other work on this machine makes the figures noisier; ratios are "
            "measured interleaved, so they suffer less)")
        if failed:
            say(f"parts that failed to run: {', '.join(failed)}")
    finally:
        if not args.keep:
            shutil.rmtree(WORK, ignore_errors=True)
    # A missed target is a figure, not a failure; a benchmark that could not run is.
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
