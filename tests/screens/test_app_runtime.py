"""The app's side of tracker.runtime's contract: the start's GC pause (which `tracker`
begins before it reads the store) ends at the first frame, the loaded state is frozen
out of the collector's way, and given back when the app unmounts."""

from __future__ import annotations

import gc
import time
from pathlib import Path

from tests.screens.factory import make_app
from tracker import runtime


async def test_the_start_pause_ends_at_the_first_frame(demo_db: Path) -> None:
    gc.enable()
    with runtime.app_start():  # as tracker.cli.main does around cmd_open
        app = make_app(demo_db)
        assert not gc.isenabled()
        async with app.run_test(size=(80, 24)) as pilot:
            deadline = time.monotonic() + 30
            while not gc.isenabled() and time.monotonic() < deadline:
                await pilot.pause()
            assert gc.isenabled() and gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
    assert gc.isenabled()
