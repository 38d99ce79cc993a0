"""Databases the end-to-end tests share, made by the installed command."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli import run
from tests.e2e.tmux import TMUX, Tmux


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
    target = tmp_path / "demo.json"
    shutil.copy(demo_db, target)
    shutil.copy(demo_db.with_name(demo_db.name + ".history"),
                target.with_name(target.name + ".history"))
    return target


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
