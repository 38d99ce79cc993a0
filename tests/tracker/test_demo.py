"""The demo agrees with the report's 2017 baselines, is labelled, and is deterministic."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tracker.storage.store import Store

from tracker.domain.demo import build_demo
from tracker.domain.plan import builtin_plan
from tracker.domain.progress import county_value


def test_2017_baseline(demo: Store) -> None:
    view = demo.view(date(2017, 6, 30))
    plan = builtin_plan()
    share = plan.indicator("digitized_share")
    values = {c.code: county_value(view, c.code, share, date(2017, 6, 30)).value
              for c in plan.counties}
    assert sum(1 for v in values.values() if v < 30) == 71
    assert values["211421"] == 100.0
    inspection = plan.indicator("enforcement_inspection")
    held = [c.code for c in plan.counties
            if county_value(view, c.code, inspection, date(2017, 12, 31)).met]
    assert len(held) == 93
    fee = plan.indicator("maintenance_fee")
    short = [c.code for c in plan.counties
             if county_value(view, c.code, fee, date(2017, 6, 30)).met is False]
    assert len(short) == 6


def test_demo_is_labelled_and_spans_2017_to_2020(demo: Store) -> None:
    view = demo.view()
    assert view.demo
    events = list(demo.events())
    assert events[0]["type"] == "init" and events[0]["demo"] is True
    assert events[0]["ts"].startswith("2017-06-01")
    assert events[-1]["ts"] < "2021-01-01"
    assert {"note", "followup", "measure", "set"} <= {e["type"] for e in events}


def test_demo_progresses_toward_the_target(demo: Store) -> None:
    plan = builtin_plan()
    share = plan.indicator("digitized_share")
    end = demo.view()
    met_2020 = sum(1 for c in plan.counties
                   if county_value(end, c.code, share, date(2020, 12, 31)).met)
    assert 12 < met_2020 < 100


@pytest.mark.slow  # builds the demo twice more: about 1.5-3 s
def test_same_seed_same_history(tmp_path: Path, demo: Store) -> None:
    again = Store(tmp_path / "again.json")
    build_demo(again)
    assert again.history.path.read_bytes() == demo.history.path.read_bytes()
    other = Store(tmp_path / "other.json")
    build_demo(other, seed=7)
    assert other.history.path.read_bytes() != demo.history.path.read_bytes()


def test_demo_verifies(demo: Store) -> None:
    assert demo.verify() == []
