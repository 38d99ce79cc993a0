"""Small helpers the benchmarks share: medians, running a measurement in a child process,
and printing aligned tables."""

from __future__ import annotations

import multiprocessing
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from queue import Empty
from typing import Any

_fork = multiprocessing.get_context("fork")


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000.0


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _child(queue: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        queue.put(("ok", fn(*args)))
    except BaseException as error:  # report it to the parent, which raises it
        queue.put(("error", f"{type(error).__name__}: {error}"))


def in_child(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in a forked process and return its result, so that what one
    measurement keeps in memory (and hands to the garbage collector) cannot slow the
    next one."""
    queue = _fork.Queue()
    process = _fork.Process(target=_child, args=(queue, fn, args))
    process.start()
    while True:
        try:
            status, value = queue.get(timeout=1.0)
            break
        except Empty:
            if not process.is_alive() and queue.empty():
                raise RuntimeError(
                    f"measurement process died (exit {process.exitcode})") from None
    process.join()
    if status != "ok":
        raise RuntimeError(value)
    return value


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *,
          right: Sequence[int] = ()) -> str:
    """Rows as aligned text (columns listed in ``right`` aligned to the right)."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(row):
            out.append(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def standalone(name: str, run: Callable[[Path, Callable[..., None], bool], Any],
               argv: list[str] | None = None) -> int:
    """A part of `make bench` run alone: ``run(work, add_target, quick)`` in a temporary
    directory (removed after), then its targets as a table."""
    import argparse
    import shutil
    import tempfile

    parser = argparse.ArgumentParser(description=f"the {name} part of `make bench`, alone")
    parser.add_argument("--quick", action="store_true", help="small numbers: a smoke run")
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, str, bool | None]] = []
    work = Path(tempfile.mkdtemp(prefix=f"tracker-{name}-bench-"))
    try:
        run(work, lambda *row: rows.append(row), args.quick)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n" + table(["what", "target", "measured", "verdict"],
                       [[w, t, m, verdict(ok)] for w, t, m, ok in rows]), flush=True)
    return 0
