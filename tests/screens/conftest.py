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
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps what the app remembers between sessions (the follow-up queue's
    choice) in a folder of its own, never in the user's ~/.local/state."""
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    set_language("en")
