"""A database file replaced by an atomic rename (or removed) between our open and our
fstat is not a hard link: the open is retried on what the path names now. (Writers saw
the lock file removed every 2 ms refused as "a hard link" in a loaded CI run.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tracker.storage import files


def _replacing_once(monkeypatch: pytest.MonkeyPatch, path: Path, *, remove: bool) -> None:
    """The first open of ``path`` returns a descriptor whose name is then replaced."""
    real_open = os.open
    done = []

    def opening(target, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        fd = real_open(target, flags, *args, **kwargs)
        if str(target) == str(path) and not done:
            done.append(True)
            if remove:
                os.unlink(path)
            else:
                fresh = path.with_name(path.name + ".new")
                fresh.write_bytes(b"new")
                os.replace(fresh, path)
        return fd

    monkeypatch.setattr(os, "open", opening)


def test_a_file_replaced_meanwhile_is_opened_again(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tracker.json"
    path.write_bytes(b"old")
    _replacing_once(monkeypatch, path, remove=False)
    fd = files.open_checked(path, os.O_RDONLY)
    try:
        assert os.read(fd, 10) == b"new"
    finally:
        os.close(fd)


def test_a_file_removed_meanwhile_is_missing(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tracker.json.lock"
    path.write_bytes(b"")
    _replacing_once(monkeypatch, path, remove=True)
    with pytest.raises(FileNotFoundError):
        files.open_checked(path, os.O_RDONLY)


def test_a_real_hard_link_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "tracker.json"
    path.write_bytes(b"x")
    os.link(path, tmp_path / "other")
    with pytest.raises(files.StorageError, match="hard link"):
        files.open_checked(path, os.O_RDONLY)
