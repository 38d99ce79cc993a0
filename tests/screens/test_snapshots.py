"""Snapshots of every screen at 80x24, in Chinese and in English, on the demo database.

Update after an intended change with `pytest tests/screens/test_snapshots.py
--snapshot-update`, then look at the report before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.screens.factory import make_app
from tests.screens.pilot import settle

pytestmark = pytest.mark.slow  # 30 screens rendered: about 20-35 s

SCREENS = {
    "dashboard": (),
    "counties": ("2",),
    "county": ("2", "enter"),
    "recommendations": ("3",),
    "recommendation": ("3", "enter"),
    "followups": ("4",),
    "history": ("5",),
    "task": ("2", "enter", "enter"),
    "status_form": ("2", "enter", "enter", "s"),
    "followup_form": ("2", "enter", "enter", "f"),
    "help": ("2", "enter", "enter", "question_mark"),
    # the working day (issue 13): the queue narrowed to a survey group, a figure entered
    # where the county is
    "followups_group": ("4", "slash", *"G07", "enter"),
    "measure_form": ("2", "enter", "enter", "m"),
    "county_measure_form": ("2", "enter", "m"),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, demo_db: Path, screen: str, lang: str) -> None:
    app = make_app(demo_db, lang=lang)

    async def run_before(pilot) -> None:
        for key in SCREENS[screen]:
            await pilot.press(key)
            await pilot.pause()
        await settle(pilot)  # a screen may start its loader a frame after it shows

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_wide_dashboard(snap_compare, demo_db: Path, lang: str) -> None:
    """At 160x48 the targets take the whole width: bars, a year of trend, whole dates."""

    async def run_before(pilot) -> None:
        await settle(pilot)

    assert snap_compare(make_app(demo_db, lang=lang), terminal_size=(160, 48),
                        run_before=run_before)
