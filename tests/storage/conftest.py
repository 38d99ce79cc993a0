"""Fixtures of the storage tests: a fresh database, the real `tracker` command in a
subprocess (English messages), and running it as an account that is not root."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker import i18n
from tracker.domain.plan import builtin_plan
from tracker.storage import checkpoints
from tracker.storage.store import Store

from .storage_helpers import TRACKER, RunTracker, cli_env, unprivileged_prefix


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """In-process messages (str(error)) in English, as the CLI runs get."""
    before = i18n.get_language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A new database of the built-in plan (one `init` event, 700 tasks)."""
    path = tmp_path / "tracker.json"
    Store(path).create(builtin_plan())
    return path


@pytest.fixture
def tracker() -> RunTracker:
    """Run the real `tracker` command: ``tracker(db, "list", "--json")``; ``as_user`` is
    a command prefix (from the ``unprivileged`` fixture)."""

    def run(db: Path, *args: str, as_user: list[str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [*(as_user or []), TRACKER, "--db", str(db), *args]
        return subprocess.run(command, capture_output=True, text=True, env=cli_env(),
                              timeout=timeout, check=False)

    return run


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory that another account can reach (pytest's tmp_path is under a 0700
    directory of ours): for the tests that run `tracker` as `nobody`."""
    path = Path(tempfile.mkdtemp(prefix="tracker-storage-test-"))
    path.chmod(0o755)
    yield path
    for root, dirs, _files in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
    shutil.rmtree(path)


@pytest.fixture
def unprivileged(open_dir: Path) -> list[str]:
    """A command prefix to run as an account that permission bits bind (root reads a
    chmod 000 file): empty if they bind us. Skips only where no such account can be used."""
    prefix = unprivileged_prefix(open_dir)
    if prefix is None:
        pytest.skip("permission bits do not bind this user (root) and neither setpriv nor "
                    "runuser (or no 'nobody' account) is available to drop privileges")
    return prefix


@pytest.fixture
def small_checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint every 25 events whatever the journal's growth (the real spacing
    needs thousands of events per checkpoint)."""
    monkeypatch.setattr(checkpoints, "EVERY", 25)
    monkeypatch.setattr(checkpoints, "ROOM", 0.0)
    monkeypatch.setattr(checkpoints, "UNREAD_LIMIT", 100)
