"""`make bench`, the app: start-up, filtering as you type, and what it costs when idle.

1. Start-up to the first interactive frame, whole process, beside a minimal Textual app
   in the same run. ``python bench/app.py --child hello`` (an App showing
   ``Static("hello")``) and ``python bench/app.py --child tracker DB`` (what
   ``tracker --db DB`` does: import the CLI, open the Store, read the view, import the
   app, run TrackerApp), both headless at 80x24, bytecode cached. A child stops in a
   ``call_after_refresh`` callback scheduled from its first screen's ``on_mount``: it runs
   once that screen has been laid out and rendered with nothing left dirty, and
   re-schedules itself until a Footer, if any, shows its keys (Textual's fills them in a
   frame after the first; the tracker's draws them in the first).
   The parent takes CLOCK_MONOTONIC before ``Popen``; the child reports it in the
   callback. Then the same as users run it: the real ``tracker --db DB`` (and the hello
   app, not headless) in a pseudo-terminal of 80x24, timed until the terminal has
   received the footer's text (``hello``).
2. Filtering as you type, in-process with Textual's pilot at 80x24: Counties (key 2) and
   a recommendation's tasks (3, Enter), ``/``, then a query typed one key at a time and
   deleted again. Per key: felt, from the key event to the frame that repaints the table
   (frames are timed in ``App._display`` and encoded as the terminal driver would);
   settled (the last frame) and echo (the first); the pilot's ``press`` + ``pause``
   (which sleeps in 20 ms steps until the app looks idle: ~100 ms whatever the app
   does); and the screen's ``refresh_data`` alone. At 14,000 tasks also with what-ifs
   for the hot spots (fewer rows, ``gc.freeze()``), applied only here.
3. Idle: CPU time a started app uses while nobody types, beside the hello app: headless
   (``getrusage`` in the child) and in a pseudo-terminal (``/proc/PID/task/*/schedstat``,
   which also counts Textual's input thread).
4. The past: ``[`` (a month back) pressed several times and ``]`` as many times back to
   today, in-process with the pilot at 80x24, on 700 tasks with 500,000 more journal
   events (``--quick``: 20,000, over the same months) and their checkpoints, as
   bench/reads.py builds them; the app's today is the day after the journal's last
   event. Per key: from the key event to the first frame after the screen redrew for
   the new date (the title shows it), and to the last frame it caused (the dashboard's
   trend columns come from a worker after that); the view's load (``Store.view``, in
   the app's loader thread) and the screen's ``refresh_data`` alone. Then quick taps:
   five ``[`` 100 ms apart on the dashboard (key events posted as the terminal driver
   posts them), from the last to the final date shown.

``python bench/app.py [--quick]`` runs this part alone (as ``bench/run.py --only app``).
The child processes import nothing from here but the standard library.
"""

# ruff: noqa: E402  (the parent's imports come after the children's exit, below)
from __future__ import annotations

import json
import os
import sys
import time

SIZE = (80, 24)
SETTLE = 1.0  # seconds after the first frame before an idle measurement starts


# -- the child processes (kept light: only what the measured program itself imports) --------
def _cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(mode: str, db: str | None, idle: float, terminal: bool) -> int:
    """Run one app at 80x24 (headless unless ``terminal``); print when its first screen was
    painted and, with ``idle`` > 0, the CPU time it used in the ``idle`` seconds after."""
    marks: dict[str, float] = {}

    def interactive(screen: object) -> bool:
        # Textual's Footer has a child widget per key once it has composed them (a frame
        # after the first); the tracker's (screens.widgets.Footer) is one widget that
        # records the keys it drew.
        footers = screen.query("Footer")  # type: ignore[attr-defined]
        return all(footer.children or getattr(footer, "_keys", None) for footer in footers)

    def after_refresh(screen: object, deadline: float) -> None:
        app = screen.app  # type: ignore[attr-defined]
        marks.setdefault("painted", time.monotonic())
        if not interactive(screen) and time.monotonic() < deadline:
            # Look again in 2 ms, not straight after the next refresh: a chain of
            # after-refresh callbacks keeps the app from the idle in which Textual
            # composes the footer's keys (the frame would then never come).
            app.set_timer(0.002, lambda: after_refresh(screen, deadline))
            return
        marks["frame"] = time.monotonic()
        if terminal:
            return  # the parent watches the terminal, measures and quits us
        if idle <= 0:
            app.exit()
            return

        def begin() -> None:  # after the repaints that follow the first frame
            marks["cpu0"] = _cpu()
            marks["idle_start"] = time.monotonic()
            app.set_timer(idle, done)

        def done() -> None:
            marks["cpu1"] = _cpu()
            marks["idle_end"] = time.monotonic()
            app.exit()

        app.set_timer(SETTLE, begin)

    def start(screen: object) -> None:
        screen.call_after_refresh(  # type: ignore[attr-defined]
            after_refresh, screen, time.monotonic() + 10)

    run = {"size": SIZE, "headless": True} if not terminal else {}
    if mode == "hello":
        from textual.app import App, ComposeResult
        from textual.widgets import Static

        marks["imported"] = time.monotonic()

        class Hello(App[None]):
            def compose(self) -> ComposeResult:
                yield Static("hello")

            def on_mount(self) -> None:
                start(self.screen)

        Hello().run(**run)  # type: ignore[arg-type]
    elif mode == "widgets":
        # The dashboard built from Textual's stock widgets (a header, a footer,
        # four DataTables of 8-14 rows in a scrolling grid), no store, none of our code:
        # ~1.5x hello. The tracker draws its panels itself (screens/linetable.py) and
        # its footer in one widget, which is how it gets under 1.3x.
        from textual.app import App, ComposeResult
        from textual.containers import Grid, Vertical, VerticalScroll
        from textual.widgets import DataTable, Footer, Header, Static

        marks["imported"] = time.monotonic()

        class Widgets(App[None]):
            def compose(self) -> ComposeResult:
                yield Header()
                with VerticalScroll(), Grid():
                    for _n in range(4):
                        with Vertical():
                            yield Static("title")
                            yield DataTable()
                yield Footer()

            def on_mount(self) -> None:
                for table in self.query(DataTable):
                    table.add_columns(*"abcde")
                    for row in range(14):
                        table.add_row(*(f"cell {row} {c}" for c in range(5)))
                start(self.screen)

        Widgets().run(**run)  # type: ignore[arg-type]
    elif mode == "tracker" and db:
        from pathlib import Path

        import tracker.cli  # noqa: F401  (the `tracker` script imports it first)
        from tracker import runtime

        with runtime.app_start():  # as tracker.cli.main does around cmd_open
            from tracker.storage.store import Store

            store = Store(Path(db))
            store.view()  # cmd_open reads the view before it imports the app
            marks["store"] = time.monotonic()
            from tracker.app import TrackerApp
            from tracker.screens.dashboard import DashboardScreen

            marks["imported"] = time.monotonic()

            class Dashboard(DashboardScreen):
                def on_mount(self) -> None:
                    # Textual calls every class's on_mount along the MRO: the dashboard's
                    # own fills the tables after this one returns, before the callback runs.
                    start(self)

            class Tracker(TrackerApp):
                def _home(self) -> Dashboard:
                    return Dashboard()

            Tracker(store).run(**run)  # type: ignore[arg-type]
    else:
        sys.stderr.write("usage: app.py --child hello|widgets|tracker DB [--idle SECONDS]\n")
        return 2
    marks["exited"] = time.monotonic()
    if "frame" not in marks:
        sys.stderr.write("the app exited before its first frame\n")
        return 1
    sys.stdout.write(json.dumps(marks) + "\n")
    return 0


def child_main(argv: list[str]) -> int:
    args = list(argv)
    idle = 0.0
    if "--idle" in args:
        at = args.index("--idle")
        idle = float(args[at + 1])
        del args[at:at + 2]
    terminal = "--terminal" in args
    if terminal:
        args.remove("--terminal")
    return _child(args[0] if args else "", args[1] if len(args) > 1 else None, idle, terminal)


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    sys.exit(child_main(sys.argv[2:]))


# -- the parent: databases, runs, tables ---------------------------------------------------------
# (imported here, below the child's exit, so that the children never load them)
import asyncio
import contextlib
import fcntl
import re
import select
import statistics
import struct
import subprocess
import termios
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from timing import in_child, ms, ratio, standalone, table

HERE = Path(__file__).resolve()
AddTarget = Callable[[str, str, str, bool | None], None]
STARTUP_LIMIT = 1.3  # tracker / hello, to the first interactive frame
KEY_LIMIT_MS = 50.0  # per keystroke at 14,000 tasks
PAST_KEY_LIMIT_MS = 150.0  # `[` / `]` per key, 700 tasks with 500,000 events (issue 17)
# bench/reads.py's journal: 500,000 events 30 s apart, about six months; a shorter one
# (--quick) is spread over the same months, so that `[` has as many months to go back.
PAST_SPAN = timedelta(seconds=30) * 500_000


@dataclass
class AppSettings:
    runs: int = 11  # start-ups of each program, interleaved
    terminal_runs: int = 7  # ... in a pseudo-terminal
    rounds: int = 2  # times each query is typed and deleted, per screen
    idle: float = 5.0  # seconds of idle measured
    past_events: int = 500_000  # journal events on the 700 tasks, for `[` / `]`
    months: int = 5  # `[` pressed this many times, then `]` as many


QUICK = AppSettings(runs=3, terminal_runs=2, rounds=1, idle=1.5, past_events=20_000)


@dataclass
class Databases:
    demo: Path  # `tracker demo`: 700 tasks and ~10,800 events of history
    large: Path  # the synthetic plan: 14,000 tasks, a fresh journal


def say(text: str = "") -> None:
    print(text, flush=True)


def child_env(work: Path) -> dict[str, str]:
    """As bench/run.py runs tracker: bytecode cached (in ``work``), no TRACKER_DB; and
    English, so that the filter queries and the footer marker are known."""
    env = dict(os.environ)
    env.pop("TRACKER_DB", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(name, None)
    env["LANG"] = "C.UTF-8"
    env.pop("TEXTUAL", None)  # no devtools
    env["TERM"] = "xterm-256color"
    return env


# The `tracker` the terminal runs use: as users install it (`pip install .`, set by
# bench/run.py), else the dev venv's (an editable install: its import hook costs ~4-12 ms
# of every start).
INSTALLED: list[str] | None = None


def tracker_script() -> list[str]:
    if INSTALLED:
        return INSTALLED
    script = Path(sys.executable).parent / "tracker"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]


def build_databases(work: Path, env: dict[str, str]) -> Databases:
    import synth

    from tracker.storage.store import Store

    demo = work / "app-demo" / "tracker.json"
    demo.parent.mkdir(parents=True)
    done = subprocess.run([*tracker_script(), "--db", str(demo), "demo"], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"tracker demo failed: {(done.stderr or done.stdout)[:300]}")
    large = work / "app-14000" / "tracker.json"
    Store(large).create(synth.synthetic_plan(), when=synth.HISTORY_START)
    return Databases(demo, large)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- 1. start-up -----------------------------------------------------------------------------------
def run_child(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """One headless child; its marks relative to the moment before it was started (ms)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(HERE), "--child", *args], env=env,
                          capture_output=True, text=True, check=False)
    ended = time.monotonic()
    if done.returncode != 0:
        raise RuntimeError(f"app.py --child {' '.join(args)} failed ({done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()[-600:]}")
    marks = json.loads(done.stdout.strip().splitlines()[-1])
    out = {name: (value - started) * 1000 for name, value in marks.items()
           if name not in ("cpu0", "cpu1")}
    out["process"] = (ended - started) * 1000
    if "cpu0" in marks:
        seconds = marks["idle_end"] - marks["idle_start"]
        out["idle_cpu_ms_per_s"] = (marks["cpu1"] - marks["cpu0"]) * 1000 / seconds
    return out


_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")


class Terminal:
    """A program in a pseudo-terminal of 80x24, its output read (and thrown away) as a
    terminal would."""

    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        self.started = time.monotonic()
        self.process = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                                        env=env, start_new_session=True, close_fds=True)
        os.close(slave)
        self.master = master
        self.output = bytearray()

    def read_until(self, marker: bytes, timeout: float = 20.0) -> float:
        """Seconds from start until ``marker`` has been written to the terminal."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.drain(0.5) is None:
                break
            # Text on screen, without the escape sequences between its pieces (a frame
            # may write one word in two pieces, moving the cursor in between).
            if marker in _ESCAPES.sub(b"", self.output):
                return time.monotonic() - self.started
        tail = bytes(self.output[-400:]).decode("utf-8", "replace")
        self.close()
        raise RuntimeError(f"{marker!r} never reached the terminal; last output: {tail!r}")

    def drain(self, wait: float) -> int | None:
        """Read what is there (waiting up to ``wait`` s); None once the program has gone."""
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return 0
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return None
        self.output += data
        return len(data)

    def idle_cpu(self, seconds: float) -> float:
        """CPU ms per second the program uses over ``seconds`` while we only read."""
        before, started = self.cpu(), time.monotonic()
        while time.monotonic() - started < seconds:
            self.drain(0.1)
        return (self.cpu() - before) * 1000 / (time.monotonic() - started)

    def cpu(self) -> float:
        """Seconds on a CPU, all threads (schedstat: nanoseconds, unlike stat's ticks)."""
        total = 0
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError, IndexError):  # a thread ended
                total += int((task / "schedstat").read_text().split()[0])
        return total / 1e9

    def close(self) -> None:
        if self.master < 0:
            return
        try:
            os.write(self.master, b"\x11")  # ctrl+q: both apps quit on it
            deadline = time.monotonic() + 5
            while self.process.poll() is None and time.monotonic() < deadline:
                self.drain(0.05)
        except OSError:
            pass
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        os.close(self.master)
        self.master = -1


def startup(settings: AppSettings, dbs: Databases, env: dict[str, str],
            add_target: AddTarget) -> dict[str, Any]:
    say(f"\n-- Start-up to the first interactive frame, 80x24 (median of {settings.runs} "
        "runs each, interleaved, after a warm-up) --")
    programs = [("hello (Static)", ["hello"]),
                ("Textual, stock widgets for it", ["widgets"]),
                ("tracker, demo db (700 tasks)", ["tracker", str(dbs.demo)]),
                ("tracker, 14,000 tasks", ["tracker", str(dbs.large)])]
    samples: dict[str, list[dict[str, float]]] = {name: [] for name, _ in programs}
    for _name, args in programs:
        run_child(args, env)  # warm-up: writes the bytecode cache
    for _ in range(settings.runs):
        for name, args in programs:
            samples[name].append(run_child(args, env))
    med = {name: {key: _median([s[key] for s in runs if key in s]) for key in runs[0]}
           for name, runs in samples.items()}
    hello = med["hello (Static)"]["frame"]
    rows = []
    for name, _args in programs:
        m = med[name]
        rows.append([name, ms(m.get("store")), ms(m["imported"]), ms(m["painted"]),
                     ms(m["frame"]), ms(m["process"]), ratio(m["frame"] / hello)])
    say("headless (app.run(headless=True, size=(80, 24))), ms from before Popen:")
    say(table(["program", "store read", "imports done", "first paint", "interactive",
               "process exit", "interactive / hello"], rows, right=(1, 2, 3, 4, 5, 6)))
    say("  store read: tracker.cli and storage.store imported, Store.view() done; imports "
        "done: + textual and the app; first paint: the first screen rendered (tables "
        "filled); interactive: painted with the footer's keys too (headless, the same "
        "frame; in a terminal they come a frame or two later); process exit: the child "
        "has exited.")

    say(f"\nin a pseudo-terminal (real driver and output), median of "
        f"{settings.terminal_runs} runs, ms until the frame is in the terminal:")
    terminal = [("hello (Static)", [sys.executable, str(HERE), "--child", "hello",
                                    "--terminal"], b"hello"),
                ("tracker --db demo", [*tracker_script(), "--db", str(dbs.demo)],
                 b"commands"),
                ("tracker --db 14,000 tasks", [*tracker_script(), "--db", str(dbs.large)],
                 b"commands")]
    tty: dict[str, list[float]] = {name: [] for name, _c, _m in terminal}
    for _name, cmd, marker in terminal:  # a warm-up each: writes the bytecode caches
        term = Terminal(cmd, env)
        try:
            term.read_until(marker)
        finally:
            term.close()
    for _ in range(settings.terminal_runs):
        for name, cmd, marker in terminal:
            term = Terminal(cmd, env)
            try:
                tty[name].append(term.read_until(marker) * 1000)
            finally:
                term.close()
    tty_med = {name: _median(values) for name, values in tty.items()}
    rows = [[name, ms(tty_med[name]), ratio(tty_med[name] / tty_med["hello (Static)"])]
            for name, _c, _m in terminal]
    say(table(["program", "first frame ms", "/ hello"], rows, right=(1, 2)))

    for label, name in (("demo db", "tracker, demo db (700 tasks)"),
                        ("14,000 tasks", "tracker, 14,000 tasks")):
        value = med[name]["frame"] / hello
        add_target(f"app start to interactive dashboard, {label}, tracker/hello",
                   f"<= {STARTUP_LIMIT}x", f"{ratio(value)} ({ms(med[name]['frame'])} ms)",
                   value <= STARTUP_LIMIT)
    return {"headless": med, "terminal": tty_med}


# -- 2. filtering as you type ----------------------------------------------------------------------
@dataclass
class Typing:
    label: str  # "Counties", "Recommendation 1.1"
    open_ms: float  # key(s) to the screen painted
    keys: list[str]
    pilot_ms: list[float]
    felt_ms: list[float]  # key event to the frame that repainted the table (the largest)
    settled_ms: list[float]  # key event to the last frame it caused
    echo_ms: list[float]  # key event to the first frame after refresh_data
    refresh_ms: list[float]  # refresh_data alone
    rows: list[int]  # rows matching after each key


# The what-ifs measured earlier (fewer rows while filtering, gc.freeze() after a load)
# are now what the app does, so only the app as it is is measured.
VARIANTS = {"": "as is"}


def _time_frames(app: Any) -> list[tuple[float, int]]:
    """From now on, each frame ``app`` paints: (when it was ready, its size in bytes),
    rendered and encoded as the terminal driver would."""
    paints: list[tuple[float, int]] = []
    display = app._display

    def timed_display(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is None or app._batch_count:
            return
        size = 0
        if hasattr(renderable, "render_segments"):  # as the terminal driver would
            size = len(renderable.render_segments(app.console))
        paints.append((time.perf_counter(), size))

    app._display = timed_display
    return paints


async def _typing(db: Path, where: str, query: str, rounds: int, variant: str) -> Typing:

    from tracker.app import TrackerApp
    from tracker.storage.store import Store

    app = TrackerApp(Store(db), lang="en")
    refreshes: list[tuple[float, float]] = []
    async with app.run_test(size=SIZE) as pilot:
        paints = _time_frames(app)
        await pilot.pause()

        async def settled(keys: list[str]) -> float:
            start = time.perf_counter()
            count = len(paints)
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            return ((paints[-1][0] if len(paints) > count else time.perf_counter())
                    - start) * 1000

        if where == "counties":
            open_ms = await settled(["2"])
            label = "Counties (2)"
        else:
            await pilot.press("3")
            await pilot.pause()
            open_ms = await settled(["enter"])
            label = f"Recommendation {getattr(app.screen, 'rec_id', '?')} tasks (3, Enter)"
        screen = app.screen
        await pilot.press("slash")
        await pilot.pause()
        filter_input = screen.query_one("#filter")
        filter_input.cursor_blink = False  # its timer would repaint twice a second
        refresh_data = screen.refresh_data  # type: ignore[attr-defined]

        def timed_refresh() -> None:
            started = time.perf_counter()
            refresh_data()
            refreshes.append((started, time.perf_counter()))

        screen.refresh_data = timed_refresh  # type: ignore[attr-defined]
        keys = ([*(c if c != " " else "space" for c in query)]
                + ["backspace"] * len(query)) * rounds
        out = Typing(label, open_ms, keys, [], [], [], [], [], [])
        for key in keys:
            n_paints, n_refreshes = len(paints), len(refreshes)
            started = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            out.pilot_ms.append((time.perf_counter() - started) * 1000)
            mine = refreshes[n_refreshes:]
            if not mine:
                raise RuntimeError(f"{label}: key {key!r} did not refresh the table")
            frames = [p for p in paints[n_paints:] if p[0] >= mine[-1][1]]
            if not frames:
                raise RuntimeError(f"{label}: key {key!r}: no frame after the refresh")
            largest = max(frames, key=lambda p: p[1])  # the first of the largest
            out.felt_ms.append((largest[0] - started) * 1000)
            out.settled_ms.append((frames[-1][0] - started) * 1000)
            out.echo_ms.append((frames[0][0] - started) * 1000)
            out.refresh_ms.append(sum(end - begin for begin, end in mine) * 1000)
            table_ = screen.query_one(screen.FILTERED_TABLE)  # type: ignore[attr-defined]
            out.rows.append(table_.row_count)  # type: ignore[attr-defined]
    return out


def typing(db: str, where: str, query: str, rounds: int, variant: str = "") -> Typing:
    return asyncio.run(_typing(Path(db), where, query, rounds, variant))


def filtering(settings: AppSettings, dbs: Databases, add_target: AddTarget) -> list[Any]:
    say("\n-- Filter as you type (`/`, a query typed one key at a time, then deleted; "
        "in-process pilot, 80x24) --")
    cases = [("700", dbs.demo, "shenhe", ""), ("14,000", dbs.large, "county 17", "")]
    cases += [("14,000", dbs.large, "county 17", v) for v in VARIANTS if v]
    rows, results = [], []
    for label, db, query, variant in cases:
        for where in ("counties", "recommendation"):
            got: Typing = in_child(typing, str(db), where, query, settings.rounds, variant)
            results.append((label, variant, got))
            rows.append([label, got.label, VARIANTS[variant], len(got.keys),
                         ms(got.open_ms), ms(_median(got.pilot_ms)),
                         ms(_median(got.echo_ms)),
                         ms(_median(got.felt_ms)), ms(max(got.felt_ms)),
                         ms(_median(got.settled_ms)), ms(max(got.settled_ms)),
                         ms(_median(got.refresh_ms)), ms(max(got.refresh_ms)),
                         f"{min(got.rows)}-{max(got.rows)}"])
    say(f'typed: "shenhe" at 700 tasks, "county 17" at 14,000, then as many backspaces; '
        f"{settings.rounds} round(s). ms per key:")
    say(table(["tasks", "screen", "app", "keys", "open", "pilot", "echo", "felt",
               "felt max", "settled", "max", "refresh_data", "max", "rows"], rows,
              right=tuple(range(3, 13))))
    say("  felt: from the key event to the frame that repaints the table (the largest "
        "frame the key caused; frames are rendered and encoded as the terminal driver "
        "would); settled: to the last frame it caused (scroll bar, status line); echo: "
        "to the first frame after refresh_data (the typed character); pilot: press + "
        "pause as a test sees it (includes the pilot's 20 ms sleeps); refresh_data: the "
        "screen's own code per key; open: the key that opens the screen (2, or Enter on "
        "recommendation 1.1) to its last frame; rows: table rows after each key "
        "(capped at MAX_ROWS). Medians unless marked max.")
    for label, variant, got in results:
        if label != "14,000" or variant:
            continue
        worst = max(got.felt_ms)
        add_target(f"filter keystroke, {got.label.split(' (')[0]}, 14,000 tasks (max)",
                   f"<= {KEY_LIMIT_MS:.0f} ms", f"{ms(worst)} ms (median "
                   f"{ms(_median(got.felt_ms))})", worst <= KEY_LIMIT_MS)
    return results


# -- 3. idle -------------------------------------------------------------------------------------
def idle(settings: AppSettings, dbs: Databases, env: dict[str, str],
         add_target: AddTarget) -> dict[str, float]:
    say(f"\n-- Idle: CPU used in {settings.idle:g} s with nobody typing, after the first "
        "frame --")
    out: dict[str, float] = {}
    for name, args in (("hello (Static), headless", ["hello"]),
                       ("tracker, demo db, headless", ["tracker", str(dbs.demo)])):
        got = run_child([*args, "--idle", str(settings.idle)], env)
        out[name] = got["idle_cpu_ms_per_s"]
    for name, cmd, marker in (
            ("hello (Static), terminal", [sys.executable, str(HERE), "--child", "hello",
                                          "--terminal"], b"hello"),
            ("tracker --db demo, terminal", [*tracker_script(), "--db", str(dbs.demo)],
             b"commands")):
        term = Terminal(cmd, env)
        try:
            term.read_until(marker)
            settle = time.monotonic()
            while time.monotonic() - settle < SETTLE:  # the repaints after the first frame
                term.drain(0.1)
            out[name] = term.idle_cpu(settings.idle)
        finally:
            term.close()
    say(table(["program", "CPU ms per s idle", "% of one CPU"],
              [[name, ms(value), f"{value / 10:.2f}%"] for name, value in out.items()],
              right=(1, 2)))
    say(f"  from {SETTLE:g} s after the first frame; headless: getrusage in the child; "
        "terminal: /proc/PID/task/*/schedstat (all threads, incl. Textual's input thread).")
    extra = out["tracker --db demo, terminal"] - out["hello (Static), terminal"]
    add_target("idle CPU, tracker on demo db (terminal)", "reported (1 poll/s)",
               f"{ms(out['tracker --db demo, terminal'])} ms/s ({extra:+.1f} vs hello)", None)
    return out


# -- 4. the past: `[` and `]` ---------------------------------------------------------------------
def build_past(work: Path, events: int) -> tuple[Path, date]:
    """700 tasks (the built-in plan) with ``events`` more journal events over
    PAST_SPAN and their checkpoints, as bench/reads.py's past; returns the database and
    the day after its last event (the app's today)."""
    import synth

    from tracker.domain.plan import builtin_plan
    from tracker.storage.store import Store

    db = work / "app-past" / "tracker.json"
    db.parent.mkdir(parents=True)
    Store(db).create(builtin_plan(), when=synth.HISTORY_START - timedelta(days=1))
    synth.grow_history(db, events, "notes", step=PAST_SPAN / events)
    Store(db).build_checkpoints()
    last = Store(db).history.tail(4096)[-1]
    return db, datetime.fromisoformat(last["ts"]).date() + timedelta(days=1)


@dataclass
class PastKeys:
    label: str  # the screen
    keys: list[str]
    days: list[str]  # the date the title shows after each key
    shown_ms: list[float]  # key event to the first frame after the screen redrew
    settled_ms: list[float]  # key event to the last frame the key caused
    load_ms: list[float]  # Store.view(as_of) in the app's loader thread
    refresh_ms: list[float]  # the screen's refresh_data


def _past_app(db: Path, today: date) -> tuple[Any, list[float]]:
    """The app on ``db`` with ``today`` as its today, and the times of its view loads
    (Store.view, in its loader thread), ms."""
    import synth

    from tracker.app import TrackerApp
    from tracker.storage.store import Store

    def clock() -> datetime:
        return datetime(today.year, today.month, today.day, 10, tzinfo=synth.CST)

    store = Store(db, clock=clock)
    loads: list[float] = []
    view = store.view

    def timed_view(as_of: date | None = None) -> Any:
        started = time.perf_counter()
        try:
            return view(as_of)
        finally:
            loads.append((time.perf_counter() - started) * 1000)

    store.view = timed_view  # type: ignore[method-assign]
    return TrackerApp(store, lang="en"), loads


def _time_refreshes(app: Any) -> list[tuple[float, float, Any]]:
    """From now on, each refresh_data of the screen on top: (start, end, the view drawn)."""
    refreshes: list[tuple[float, float, Any]] = []
    screen = app.screen
    refresh_data = screen.refresh_data

    def timed_refresh() -> None:
        started = time.perf_counter()
        refresh_data()
        refreshes.append((started, time.perf_counter(), app.view))

    screen.refresh_data = timed_refresh
    return refreshes


async def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60  # a hang, not a measure
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come")
        await asyncio.sleep(0.001)


async def _settle(app: Any, pilot: Any) -> None:
    """Until no worker runs and the messages they sent are handled: a worker's result
    may start another (the dashboard judges the date shown once the one before is
    judged)."""
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise RuntimeError("the app did not settle")


async def _past_keys(db: Path, today: date, where: str, months: int,
                     rounds: int) -> PastKeys:
    from tracker.app import add_months

    app, loads = _past_app(db, today)
    async with app.run_test(size=SIZE) as pilot:
        paints = _time_frames(app)
        if where == "counties":
            await pilot.press("2")
        label = {"dashboard": "Dashboard", "counties": "Counties (2)"}[where]
        await app.workers.wait_for_complete()
        await pilot.pause()
        refreshes = _time_refreshes(app)
        keys = (["left_square_bracket"] * months + ["right_square_bracket"] * months) * rounds
        out = PastKeys(label, keys, [], [], [], [], [])
        for key in keys:
            expected = add_months(app.day(), -1 if key == "left_square_bracket" else 1)
            if expected >= today:
                expected = None
            n_paints, n_refreshes, n_loads = len(paints), len(refreshes), len(loads)
            started = time.perf_counter()
            await pilot.press(key)
            await _wait_for(lambda day=expected, since=n_refreshes: any(
                v is app.view and v.as_of == day for _s, _e, v in refreshes[since:]),
                f"{label}: the screen as of {expected or 'today'} after {key}")
            redrawn = refreshes[-1][1]
            await _wait_for(lambda at=redrawn: bool(paints) and paints[-1][0] >= at,
                            f"{label}: a frame after the redraw")
            await _settle(app, pilot)  # the dashboard's trends, then idle
            frames = [p for p in paints[n_paints:] if p[0] >= redrawn]
            shown = (expected.isoformat() if expected else
                     f"today {today.isoformat()}")
            if shown.split()[-1] not in app.sub_title:
                raise RuntimeError(f"{label}: the title says {app.sub_title!r} after {key}")
            out.days.append(shown)
            out.shown_ms.append((frames[0][0] - started) * 1000)
            out.settled_ms.append((paints[-1][0] - started) * 1000)
            out.load_ms.append(sum(loads[n_loads:]))
            out.refresh_ms.append(sum((end - begin) * 1000
                                      for begin, end, _v in refreshes[n_refreshes:]))
    return out


async def _past_burst(db: Path, today: date, months: int, gap: float) -> list[float]:
    """On the dashboard, `[` tapped ``months`` times ``gap`` seconds apart, then `]` as
    many: the key events posted as the terminal driver posts them (the pilot's press
    would wait for the app to go idle after each). Per direction: from the last tap to
    the first frame after the screen redrew for the final date, and to the last frame
    (ms)."""
    from textual.events import Key

    from tracker.app import add_months

    app, _loads = _past_app(db, today)
    out: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        paints = _time_frames(app)
        await app.workers.wait_for_complete()
        await pilot.pause()
        refreshes = _time_refreshes(app)
        for key, character, step in (("left_square_bracket", "[", -1),
                                     ("right_square_bracket", "]", 1)):
            final: date | None = add_months(app.day(), step * months)
            if final is not None and final >= today:
                final = None
            since = len(refreshes)
            for _ in range(months):
                last = time.perf_counter()
                app.post_message(Key(key, character))
                await asyncio.sleep(gap)
            await _wait_for(lambda day=final, since=since: any(
                v is app.view and v.as_of == day for _s, _e, v in refreshes[since:]),
                f"the dashboard as of {final or 'today'} after {months} x {key}")
            redrawn = refreshes[-1][1]
            await _wait_for(lambda at=redrawn: bool(paints) and paints[-1][0] >= at,
                            "a frame after the redraw")
            first = next(p[0] for p in paints if p[0] >= redrawn)
            await _settle(app, pilot)
            out += [(first - last) * 1000, (paints[-1][0] - last) * 1000]
    return out


def past_burst(db: str, today: str, months: int, gap: float) -> list[float]:
    return asyncio.run(_past_burst(Path(db), date.fromisoformat(today), months, gap))


def past_keys(db: str, today: str, where: str, months: int, rounds: int) -> PastKeys:
    return asyncio.run(_past_keys(Path(db), date.fromisoformat(today), where, months,
                                  rounds))


def the_past(settings: AppSettings, work: Path, add_target: AddTarget) -> list[PastKeys]:
    events = settings.past_events
    say(f"\n-- The past: `[` {settings.months} times, then `]` back to today "
        f"({settings.rounds} round(s); in-process pilot, 80x24) --")
    t0 = time.perf_counter()
    db, today = build_past(work, events)
    say(f"database: 700 tasks +{events:,} events to {today - timedelta(days=1)}, "
        f"checkpoints built; the app's today {today}; built in "
        f"{time.perf_counter() - t0:.1f} s")
    results: list[PastKeys] = [
        in_child(past_keys, str(db), today.isoformat(), where, settings.months,
                 settings.rounds) for where in ("dashboard", "counties")]
    rows = [[got.label, len(got.keys), ms(_median(got.shown_ms)), ms(max(got.shown_ms)),
             ms(_median(got.settled_ms)), ms(max(got.settled_ms)),
             ms(_median(got.load_ms)), ms(max(got.load_ms)),
             ms(_median(got.refresh_ms)), ms(max(got.refresh_ms))] for got in results]
    say(table(["screen", "keys", "shown", "max", "settled", "max", "view load", "max",
               "refresh_data", "max"], rows, right=tuple(range(1, 10))))
    say(f"  dates: {', '.join(results[0].days)}")
    say("  shown: from the key event to the first frame after the screen redrew for the "
        "new date (its title says it); settled: to the last frame the key caused (the "
        "dashboard's trend columns, judged in a worker); view load: Store.view(as_of) "
        "in the app's loader thread (the nearest checkpoint plus the events since); "
        "refresh_data: the screen's own code. Medians unless marked max.")
    gap = 0.1
    burst = in_child(past_burst, str(db), today.isoformat(), settings.months, gap)
    say(f"  quick taps (one run), dashboard: {settings.months} x `[` {gap * 1000:.0f} ms "
        f"apart, from the last to the final date shown {ms(burst[0])} ms, settled "
        f"{ms(burst[1])} ms; "
        f"{settings.months} x `]` back: shown {ms(burst[2])} ms, settled {ms(burst[3])} ms")
    add_target(f"`[` x {settings.months} quick taps, last tap to the date shown, "
               f"+{events // 1000}k events", "reported", f"{ms(burst[0])} ms "
               f"(`]` back: {ms(burst[2])})", None)
    for got in results:
        worst = max(got.shown_ms)
        add_target(f"`[` / `]` per key, {got.label.split(' (')[0]}, 700 tasks "
                   f"+{events // 1000}k events (max)", f"< {PAST_KEY_LIMIT_MS:.0f} ms",
                   f"{ms(worst)} ms (median {ms(_median(got.shown_ms))})",
                   worst < PAST_KEY_LIMIT_MS)
    return results


# -- the part --------------------------------------------------------------------------------------
def part(settings: AppSettings, work: Path, add_target: AddTarget) -> dict[str, Any]:
    say("\n== The app: start-up, filter per keystroke, idle CPU, the past ==")
    env = child_env(work)
    t0 = time.perf_counter()
    dbs = build_databases(work, env)
    say(f"databases: demo ({dbs.demo.stat().st_size / 1e6:.2f} MB state, `tracker demo`) "
        f"and 14,000 tasks ({dbs.large.stat().st_size / 1e6:.2f} MB state, synthetic "
        f"plan, fresh journal); built in {time.perf_counter() - t0:.1f} s")
    results: dict[str, Any] = {}
    results["startup"] = startup(settings, dbs, env, add_target)
    results["filter"] = filtering(settings, dbs, add_target)
    results["idle"] = idle(settings, dbs, env, add_target)
    results["past"] = the_past(settings, work, add_target)
    return results


def main(argv: list[str] | None = None) -> int:
    return standalone("app", lambda work, add, quick: part(QUICK if quick else AppSettings(),
                                                         work, add), argv)


if __name__ == "__main__":
    sys.exit(main())
