"""Taskwarrior as the whole-process baseline: installed from Debian's packages when
missing, run with an isolated TASKRC/TASKDATA, loaded with ``task import``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

RC_OVERRIDES = ("rc.confirmation=off", "rc.verbose=nothing", "rc.hooks=off")


def ensure_taskwarrior() -> tuple[str | None, str]:
    """The path of ``task`` (installing it with apt-get if missing) and what happened."""
    return ensure_program("task", "taskwarrior")


def ensure_program(command: str, package: str) -> tuple[str | None, str]:
    """The path of ``command``, installing Debian's ``package`` with apt-get if it is
    missing (an `apt-get update` first on a second try), and what happened."""
    found = shutil.which(command)
    if found:
        return found, "found"
    if shutil.which("apt-get") is None:
        return None, "not installed, and no apt-get to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", package]
    for attempt in range(2):
        if attempt:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True,
                           check=False, timeout=300)
        done = subprocess.run(install, env=env, capture_output=True, text=True, check=False,
                              timeout=300)
        found = shutil.which(command)
        if done.returncode == 0 and found:
            return found, "installed with apt-get"
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
    return None, f"apt-get install {package} failed: {tail[0]}"


def version(task: str) -> str:
    done = subprocess.run([task, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


class TaskDB:
    """One Taskwarrior database in ``root`` with ``count`` pending tasks."""

    def __init__(self, task: str, root: Path, count: int) -> None:
        self.task = task
        self.root = root
        self.count = count
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.rc = root / "taskrc"
        self.rc.write_text(
            f"data.location={self.data}\nconfirmation=off\nverbose=nothing\nhooks=off\n"
            "news.version=99.0.0\n"
        )
        self.env = {**os.environ, "TASKRC": str(self.rc), "TASKDATA": str(self.data)}

    def command(self, *args: str) -> list[str]:
        return [self.task, *RC_OVERRIDES, *args]

    def load(self) -> float:
        """Import ``count`` tasks (one per county and recommendation); returns seconds."""
        import time

        tasks = [{
            "uuid": str(uuid.uuid4()),
            "description": f"County {n // 7 + 1:04d}: follow up recommendation {n % 7 + 1}",
            "status": "pending",
            "entry": "20170601T000000Z",
            "project": f"P{n // 700 + 1:02d}",
            "due": "20201231T000000Z",
            "tags": ["followup"],
        } for n in range(self.count)]
        source = self.root / "import.json"
        source.write_text(json.dumps(tasks))
        started = time.perf_counter()
        done = subprocess.run(self.command("import", str(source)), env=self.env,
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"task import failed: {done.stderr.strip()[:200]}")
        pending = (self.data / "pending.data").read_text().count("\n")
        if pending != self.count:
            raise RuntimeError(f"task import: {pending} tasks in pending.data, not {self.count}")
        return seconds
