"""Databases the end-to-end tests share, made by the installed command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_cli import run


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
