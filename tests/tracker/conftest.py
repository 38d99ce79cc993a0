from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from tracker.domain.demo import build_demo
from tracker.domain.plan import builtin_plan
from tracker.i18n import set_language
from tracker.storage.store import Store

CST = timezone(timedelta(hours=8))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2018, 3, 1, 9, 0, tzinfo=CST))


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The demo database, built once for the session: tests read it and do not edit it
    (one that reorders the cached copy in memory makes the store read the file again)."""
    store = Store(tmp_path_factory.mktemp("demo") / "tracker.json")
    build_demo(store)
    return store


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Store:
    s = Store(tmp_path / "tracker.json", clock=clock)
    s.create(builtin_plan())
    return s


def measure_on(store: Store, code: str, key: str, value: object, on: date) -> None:
    """Record a figure on the day it is dated (a figure cannot be dated after the day it
    is recorded), whatever the test's clock says."""
    from tracker.domain.commands import Measure

    when = datetime.combine(on, time(12), tzinfo=CST)
    store.apply_all([(Measure(code, key, value, on, "test"), store.user, when)])
