"""The app on the demo's day, and its screenshot (issue 13)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.screens.factory import make_app
from tests.screens.pilot import settle
from tracker.domain.demo import DEFAULT_TODAY


async def test_the_app_lives_on_the_demos_day(demo_db: Path) -> None:
    app = make_app(demo_db)  # the test clock says 2021-03-01: the demo's own day wins
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.today() == DEFAULT_TODAY
        assert DEFAULT_TODAY.isoformat() in app.sub_title


async def test_the_screenshot_goes_to_the_current_directory_and_says_where(
        demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("HOME", str(tmp_path / "no-such-home"))  # no ~/Downloads
    app = make_app(demo_db)
    notices: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(app, "notify", lambda message, **kw: notices.append(message))
        saved = app.deliver_screenshot()
        assert saved is not None and Path(saved).parent == here
        assert Path(saved).read_text(encoding="utf-8").lstrip().startswith("<svg")
        assert notices[-1] == f"Screenshot saved: {saved}"
        # A directory that cannot be written: the database's folder instead.
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != here
                            and real_access(p, mode))
        saved = app.deliver_screenshot()
        assert saved is not None and Path(saved).parent == demo_db.parent
