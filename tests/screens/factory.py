"""Apps for the screen tests: a demo database (built once, copied per test), a fixed
clock, a chosen language. Snapshot tests and pilot tests both start here."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tracker.app import TrackerApp
from tracker.domain.demo import build_demo
from tracker.storage.store import Store

CST = timezone(timedelta(hours=8))
NOW = datetime(2021, 3, 1, 10, 0, tzinfo=CST)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def build_demo_files(folder: Path) -> Path:
    """The demo database in ``folder`` (its history is deterministic)."""
    path = folder / "demo.json"
    build_demo(Store(path, clock=Clock()))
    return path


def copy_db(source: Path, folder: Path) -> Path:
    target = folder / "tracker.json"
    shutil.copy(source, target)
    shutil.copy(source.with_name(source.name + ".history"),
                target.with_name(target.name + ".history"))
    return target


def make_app(path: Path, lang: str = "en", start: str | None = None,
             clock: Clock | None = None) -> TrackerApp:
    return TrackerApp(Store(path, clock=clock or Clock()), lang=lang, start=start)
