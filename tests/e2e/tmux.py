"""Drive the installed `tracker` in a real terminal: a private tmux server per test.

Each ``Tmux`` owns one server (``tmux -L <unique socket>``, no user config) and kills it
on ``close()``. Programs run under ``env -i`` with only the variables a test names, so
the outer environment (LANG, LC_*, NO_COLOR, TRACKER_DB...) cannot leak in. Waiting is
always polling ``capture-pane`` against a deadline, never a fixed sleep.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

TMUX = shutil.which("tmux")
WAIT = 60.0  # seconds: a deadline only a hang reaches (a busy machine is slower), never a measure
POLL = 0.02  # seconds between captures


class Timeout(AssertionError):
    pass


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes (CJK wide and fullwidth characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def app_env(term: str = "xterm-256color", lang: str | None = "C.UTF-8",
            **extra: str) -> dict[str, str]:
    """The whole environment the program in the pane gets (``lang=None``: LANG unset)."""
    env = {"HOME": os.environ.get("HOME", "/tmp"), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "TERM": term}
    for name in ("USER", "LOGNAME"):  # who edits: kept as the outer session has it
        if name in os.environ:
            env[name] = os.environ[name]
    if lang is not None:
        env["LANG"] = lang
    env.update(extra)
    return env


def env_command(argv: Sequence[str], env: dict[str, str]) -> str:
    """A shell-safe ``env -i VAR=... argv...`` line."""
    return shlex.join(["env", "-i", *(f"{k}={v}" for k, v in env.items()), *argv])


class Tmux:
    """One private tmux server; sessions are named by the caller."""

    def __init__(self) -> None:
        assert TMUX is not None
        self.socket = f"tracker-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # tmux itself needs a UTF-8 locale to pass CJK through send-keys and capture-pane.
        self._env = {**os.environ, "LANG": "C.UTF-8"}
        for name in ("LC_ALL", "LC_CTYPE", "TMUX", "TMUX_PANE"):
            self._env.pop(name, None)

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([TMUX or "tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, env=self._env, check=check,
                              timeout=30)

    def start(self, name: str, shell_line: str, *, width: int = 80,
              height: int = 24) -> None:
        """A detached session running ``shell_line`` (through /bin/sh) at width x height.
        The pane stays after the program ends, so its last words can still be read."""
        self.tmux("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height),
                  shell_line, ";", "set-option", "-t", name, "remain-on-exit", "on")

    def capture(self, target: str, *, history: bool = False) -> str:
        """The pane's text (with ``history``, also what scrolled off its top)."""
        return self.tmux("capture-pane", "-p", "-t", target,
                         *(("-S", "-") if history else ())).stdout

    def send_keys(self, target: str, *keys: str) -> None:
        """Named keys (Enter, Down, Escape, C-u) or single characters, one per argument."""
        self.tmux("send-keys", "-t", target, *keys)

    def type(self, target: str, text: str) -> None:
        """Literal text, as typed (or as an input method commits it)."""
        self.tmux("send-keys", "-t", target, "-l", text)

    def display(self, target: str, fmt: str) -> str:
        return self.tmux("display-message", "-p", "-t", target, fmt).stdout.strip()

    def cursor(self, target: str) -> tuple[int, int]:
        """Where the terminal cursor rests: two reads 50 ms apart that agree (while the
        app writes a frame the cursor passes over the screen for a moment)."""
        last = None
        deadline = time.monotonic() + WAIT
        while True:
            x, y = self.display(target, "#{cursor_x},#{cursor_y}").split(",")
            now = int(x), int(y)
            if now == last or time.monotonic() > deadline:
                return now
            last = now
            time.sleep(0.05)

    def pane_pid(self, target: str) -> int:
        return int(self.display(target, "#{pane_pid}"))

    def styled(self, target: str) -> str:
        """The pane's text with its colours and attributes as SGR escape sequences."""
        return self.tmux("capture-pane", "-p", "-e", "-t", target).stdout

    def wait_for(self, target: str, predicate: Callable[[str], bool] | str,
                 timeout: float = WAIT, what: str = "") -> str:
        """Poll the pane until ``predicate(text)`` (or the text contains the string).
        Fails at once if the program in the pane has ended or printed a traceback."""
        check = (lambda screen: predicate in screen) if isinstance(predicate, str) else predicate
        what = what or repr(predicate)
        deadline = time.monotonic() + timeout
        while True:
            # One tmux call: the screen, then whether the pane's program has ended.
            out = self.tmux("capture-pane", "-p", "-t", target, ";",
                            "display-message", "-p", "-t", target, "#{pane_dead}").stdout
            screen, _sep, dead = out.rstrip("\n").rpartition("\n")
            if check(screen):
                return screen
            if dead == "1" or "Traceback (most recent call last)" in screen:
                raise Timeout(f"the program in {target} ended or crashed while waiting for "
                              f"{what}:\n{self.capture(target, history=True)}")
            if time.monotonic() > deadline:
                raise Timeout(f"waited {timeout:.0f}s for {what}; the pane shows:\n{screen}")
            time.sleep(POLL)

    def wait_all(self, target: str, *texts: str, timeout: float = WAIT,
                 what: str = "") -> str:
        """Poll until every one of ``texts`` is on the pane at once (a screen is painted
        in several writes: one text showing does not mean the rest is there yet)."""
        return self.wait_for(target, lambda screen: all(t in screen for t in texts),
                             timeout, what or " + ".join(map(repr, texts)))

    def wait_exit(self, target: str, timeout: float = WAIT) -> str:
        """Wait until the pane's program has ended; returns everything the pane showed
        (tmux scrolls the last lines up when it marks the pane dead)."""
        wait_until(lambda: self.display(target, "#{pane_dead}") == "1", timeout,
                   f"the program in {target} to end")
        return self.capture(target, history=True)

    def kill_session(self, name: str) -> None:
        self.tmux("kill-session", "-t", name)

    def close(self) -> None:
        self.tmux("kill-server", check=False)
        base = Path(self._env.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
        (base / self.socket).unlink(missing_ok=True)


def process_gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie nobody reaped counts as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``check`` until true; returns the seconds it took."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise Timeout(f"waited {timeout:.0f}s for {what}")
        time.sleep(POLL)
    return time.monotonic() - start
