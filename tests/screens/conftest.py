from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.screens.factory import build_demo_files, copy_db
from tracker.i18n import set_language


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_files(tmp_path_factory.mktemp("demo-source"))


@pytest.fixture
def demo_db(demo_source: Path, tmp_path: Path) -> Path:
    return copy_db(demo_source, tmp_path)


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    set_language("en")
