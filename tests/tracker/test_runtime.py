"""tracker.runtime: the one place that changes the process (the garbage collector), and
the contract its docstring states: pauses nest across threads and always end, a host's
own setting is kept, the script exits normally, and nobody else touches those switches."""

from __future__ import annotations

import ast
import gc
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker import runtime

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = (ROOT / "tracker", ROOT / "storage", ROOT / "screens")
# Process-wide switches only tracker/runtime.py may throw: module -> functions.
SWITCHES = {"gc": {"disable", "enable", "freeze", "unfreeze"}, "sys": {"setswitchinterval"},
            "os": {"_exit"}}
# Calls that are known and due to go, with who removes them. An entry that no longer
# matches a call fails the test, so that it is removed with the call.
PENDING: dict[tuple[str, str], str] = {}  # (file, call): why it is still there


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Each test starts with the collector on and no pause open, and leaves it so."""
    assert runtime._pauses == 0 and not runtime._app_starting
    was = gc.isenabled()
    gc.enable()
    yield
    assert runtime._pauses == 0 and not runtime._app_starting
    if not was:
        gc.disable()


def test_a_pause_ends_with_its_block_even_on_error() -> None:
    with pytest.raises(ValueError), runtime.gc_paused():
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()


def test_pauses_nest() -> None:
    with runtime.gc_paused():
        with runtime.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause is still open
    assert gc.isenabled()


def test_a_host_that_switched_the_collector_off_keeps_it_off() -> None:
    gc.disable()
    with runtime.gc_paused():
        pass
    assert not gc.isenabled()
    with runtime.app_start():
        runtime.end_app_start()
    assert not gc.isenabled()


def test_pauses_from_two_threads_overlap_without_switching_it_on_early() -> None:
    """A worker's parse that ends inside the app's start pause, and one that begins
    inside it and ends after: the collector is off while any pause is open."""
    inside, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def worker() -> None:
        with runtime.gc_paused():
            inside.set()
            release.wait(10)
        seen.append(gc.isenabled())

    with runtime.app_start():
        thread = threading.Thread(target=worker)
        thread.start()
        assert inside.wait(10)
        runtime.end_app_start()  # the first frame, while the worker still parses
        assert not gc.isenabled()
        release.set()
        thread.join(10)
    assert seen == [True] and gc.isenabled()


def test_the_app_start_pause_ends_at_the_first_frame_or_when_the_app_never_got_there(
) -> None:
    with runtime.app_start():
        assert not gc.isenabled()
        runtime.end_app_start()
        assert gc.isenabled()
        runtime.end_app_start()  # again: nothing to end
        assert gc.isenabled()
    with pytest.raises(RuntimeError), runtime.app_start():  # e.g. no terminal
        raise RuntimeError
    assert gc.isenabled()


def test_freeze_and_thaw() -> None:
    runtime.freeze_loaded()
    try:
        assert gc.get_freeze_count() > 0
    finally:
        runtime.thaw()
    assert gc.get_freeze_count() == 0


def test_a_one_shot_command_freezes_what_its_pauses_built_and_gives_it_back() -> None:
    """Inside one_shot the end of the outermost pause freezes (nested pauses: only the
    outer one's end); outside it a pause freezes nothing; the block's end unfreezes."""
    assert gc.get_freeze_count() == 0
    with runtime.gc_paused():
        built = [{"n": n} for n in range(1000)]
    assert gc.get_freeze_count() == 0  # not a one-shot command: nothing frozen
    with runtime.one_shot():
        with runtime.gc_paused():
            with runtime.gc_paused():
                built = [{"n": n} for n in range(1000)]
            assert gc.get_freeze_count() == 0  # the outer pause is still open
        frozen = gc.get_freeze_count()
        assert frozen >= len(built) and gc.isenabled()
        with runtime.one_shot():  # nested (tracker shell inside a test's main)
            pass
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_the_cli_reads_in_a_one_shot_scope_and_opens_the_app_in_its_start_pause(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read's state is out of the collector's scans while the command works and given
    back after it; the app (its start pause, ended at its first frame) is not frozen by
    its reads until it freezes them itself."""
    from tracker.cli import main
    from tracker.cli import tasks as cli_tasks

    seen: list[tuple[str, int, bool]] = []
    listing = cli_tasks.cmd_list

    def spy_list(args: object) -> int:
        code = listing(args)
        seen.append(("list", gc.get_freeze_count(), gc.isenabled()))
        return code

    def spy_open(args: object) -> int:
        from tracker.storage.store import Store

        Store(db).view()
        seen.append(("open", gc.get_freeze_count(), gc.isenabled()))
        return 0

    monkeypatch.setattr(cli_tasks, "cmd_list", spy_list)
    monkeypatch.setattr(cli_tasks, "cmd_open", spy_open)
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert main(["--db", str(db), "list", "--json"]) == 0
    assert gc.get_freeze_count() == 0
    assert main(["--db", str(db)]) == 0
    (_l, frozen, collecting), (_o, app_frozen, app_collecting) = seen
    assert frozen > 1000 and collecting  # the state, and the collector on for the rest
    assert app_frozen == 0 and not app_collecting  # the start pause, nothing frozen
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def _switch_calls(path: Path) -> list[tuple[int, str]]:
    """(line, "module.function") of each call or reference to a switch in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.attr in SWITCHES.get(node.value.id, ()):
            found.append((node.lineno, f"{node.value.id}.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module in SWITCHES:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                      if alias.name in SWITCHES[node.module]]
    return found


def test_nothing_but_runtime_throws_a_process_wide_switch() -> None:
    offenders, pending = [], set()
    for folder in FOLDERS:
        for path in sorted(folder.rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if where == "tracker/runtime.py":
                continue
            for line, call in _switch_calls(path):
                if (where, call) in PENDING:
                    pending.add((where, call))
                else:
                    offenders.append(f"{where}:{line}: {call}")
    assert not offenders, "use tracker.runtime instead:\n" + "\n".join(offenders)
    assert pending == set(PENDING), f"gone, remove from PENDING: {set(PENDING) - pending}"


def _tracker_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_DB", "LANGUAGE", "LC_ALL")}
    env["LANG"] = "C.UTF-8"
    return env


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("runtime") / "tracker.json"
    subprocess.run([sys.executable, "-m", "tracker", "--db", str(path), "init"], check=True,
                   capture_output=True, env=_tracker_env(), timeout=60)
    return path


def test_the_script_exits_normally(db: Path) -> None:
    """atexit handlers run and buffered output arrives: no os._exit."""
    code = ("import atexit, sys\n"
            "atexit.register(lambda: sys.stderr.write('atexit ran\\n'))\n"
            f"sys.argv = ['tracker', '--db', {str(db)!r}, 'list', '--json']\n"
            "from tracker.cli import run\n"
            "run()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_tracker_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "atexit ran" in done.stderr and done.stdout.rstrip().endswith("]")


def test_a_reader_that_goes_away_is_not_an_error(db: Path) -> None:
    """The script's last flush meets a closed pipe: exit 0, nothing said. (Rich's tables
    have their own rule for this: Console.on_broken_pipe exits 1.)"""
    process = subprocess.Popen([sys.executable, "-m", "tracker", "--db", str(db), "list",
                                "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=_tracker_env())
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # as `tracker list | head -0` would
    error = process.stderr.read().decode()
    assert process.wait(60) == 0, error
    assert error == ""
