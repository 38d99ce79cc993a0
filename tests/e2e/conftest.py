"""Databases the end-to-end tests share, made by the installed command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli import run
from tests.e2e.tmux import TMUX, Tmux
from tests.screens.factory import copy_db


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.json"
    out = run(path, "init")
    assert "700 tasks" in out.stdout
    return path


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.json"
    run(path, "demo")
    return path


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """The shared demo, copied for a test that writes."""
    return copy_db(demo_db, tmp_path)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    """A private tmux server for the test, killed after it."""
    if TMUX is None:
        pytest.skip("tmux is not installed")
    server = Tmux()
    try:
        yield server
    finally:
        server.close()
