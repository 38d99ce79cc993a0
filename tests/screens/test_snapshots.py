"""Snapshots of every screen at 80x24, in Chinese and in English, on the demo database.

Update after an intended change with `pytest tests/screens/test_snapshots.py
--snapshot-update`, then look at the report before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.screens.factory import make_app
from tests.screens.pilot import settle

pytestmark = pytest.mark.slow  # 22 screens rendered: about 15-25 s

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
