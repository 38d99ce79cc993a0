"""`make bench`, the app beside its peer: vit 2.2 (Taskwarrior's full-screen interface)
and a Textual hello-world, at 700, 14,000 and 70,000 tasks (issue 17).

Each program runs as users run it, in a pseudo-terminal of 80x24 (bench/app.py's
``Terminal``), and is timed from before its start until its first screen is in the
terminal: vit's header ("N tasks shown", once `task next` has listed every pending
task), the tracker's footer ("commands"), the hello-world's text. Its memory is the
peak resident size of the process then (``VmHWM``; for vit, the Python process, not
the `task` it runs). vit reads a Taskwarrior database of as many pending tasks as the
tracker's has tasks (bench/taskw.py); the tracker reads a fresh database of the
built-in plan (700) or the synthetic plan (bench/synth.py). Runs interleave the three,
after a warm-up each; medians.

``python bench/vit.py [--quick]`` runs this part alone (as ``bench/run.py --only vit``;
``--quick``: 700 tasks, two runs). vit and Taskwarrior come from Debian's packages,
installed by the bench if missing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

import app as app_bench
import reads
import taskw
from timing import ms, ratio, table

say = app_bench.say


def peak_mib(pid: int) -> float | None:
    """The process's peak resident size so far (``VmHWM``), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def first_screen(cmd: list[str], env: dict[str, str], marker: bytes) -> tuple[float, float]:
    """Milliseconds until ``marker`` is in the terminal, and the peak MiB then."""
    term = app_bench.Terminal(cmd, env)
    try:
        seconds = term.read_until(marker, timeout=120.0)
        return seconds * 1000, peak_mib(term.process.pid) or 0.0
    finally:
        term.close()


def part(work: Path, add_target: Callable[..., None], *, quick: bool = False) -> None:
    sizes = [700] if quick else [700, 14_000, 70_000]
    counts = ", ".join(f"{s:,}" for s in sizes)
    say(f"\n== The app beside vit and a Textual hello-world, {counts} tasks, in a "
        "pseudo-terminal of 80x24 ==")
    vit, how = taskw.ensure_program("vit", "vit")
    task_path, task_how = taskw.ensure_taskwarrior()
    say(f"vit: {vit or '-'} ({how}); Taskwarrior: {task_path or '-'} ({task_how}); "
        f"tracker: {' '.join(app_bench.tracker_script())}")
    env = app_bench.child_env(work)
    config = work / "vit"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.ini").touch()  # else vit asks whether to create one
    hello = [sys.executable, str(Path(app_bench.__file__)), "--child", "hello", "--terminal"]
    rows: list[list[Any]] = []
    for size in sizes:
        db = reads._database(work, size, f"app-{size}")
        programs: list[tuple[str, list[str], dict[str, str], bytes]] = [
            ("hello (Static)", hello, env, b"hello"),
            ("tracker", [*app_bench.tracker_script(), "--db", str(db)], env, b"commands")]
        if vit and task_path:
            tw = taskw.TaskDB(task_path, work / f"app-tw-{size}", size)
            tw.load()
            programs.append(("vit", [vit], {**env, **tw.env, "VIT_DIR": str(config)},
                             b"tasks shown"))
        runs = 2 if quick else (3 if size >= 70_000 else 5)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name, *_r in programs}
        for _name, cmd, program_env, marker in programs:  # warm-up: bytecode, page cache
            first_screen(cmd, program_env, marker)
        for _ in range(runs):
            for name, cmd, program_env, marker in programs:
                samples[name].append(first_screen(cmd, program_env, marker))
        med = {name: (median(t for t, _m in values), median(m for _t, m in values))
               for name, values in samples.items()}
        for name in med:
            rows.append([f"{size:,}", name, ms(med[name][0]), f"{med[name][1]:.0f}",
                         ratio(med[name][0] / med["hello (Static)"][0]),
                         ratio(med[name][0] / med["vit"][0]) if "vit" in med else ""])
        if "vit" in med:
            add_target(f"app first screen vs vit, {size:,} tasks (terminal)", "reported",
                       f"{ratio(med['tracker'][0] / med['vit'][0])} "
                       f"({ms(med['tracker'][0])} vs {ms(med['vit'][0])} ms)", None)
    say(table(["tasks", "program", "first screen ms", "peak MiB", "/ hello", "/ vit"],
              rows, right=(2, 3, 4, 5)))


if __name__ == "__main__":  # a standalone run: python bench/vit.py [--quick]
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        found: list[Any] = []
        part(Path(folder), lambda *row: found.append(row), quick="--quick" in sys.argv)
        for row in found:
            print(row)
