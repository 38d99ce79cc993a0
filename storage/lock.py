"""The inter-process lock: ``flock`` on the database's folder itself.

A lock file in a folder every colleague can write can be removed or replaced at any
moment: a writer that opened the old file and one that opened the new one then both
"hold the lock" and lose each other's edits (measured: 4 acknowledged edits of 8 writers
lost after one ``rm``). The folder cannot be removed or replaced by them (its parent is
not theirs to write), so the lock is an ``flock`` on an ``O_RDONLY`` descriptor of the
folder: nothing to delete, nothing written.

For trackers of the previous version still open during an upgrade (which lock
``PATH.lock``), the lock file is locked too, after the folder, when it is there: the new
and the old exclude each other as long as the file is left alone, and removing or
replacing it never lets two new trackers overlap (they already hold the folder). A
missing lock file is not re-created: once every old tracker is closed it can be removed.
A symlink or hard link at ``PATH.lock`` is refused (nothing is ever written to it, it is
opened read-only).

The kernel drops an flock when its process dies, so a crashed writer never leaves a
stale lock. A writer that holds the lock for longer than ``timeout`` (stopped with
Ctrl-Z, say) makes others fail with a clear message instead of hanging.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from tracker.domain.errors import StorageError
from tracker.storage.files import describe_os_error, open_checked, shown_path

DEFAULT_TIMEOUT = 15.0


def _flock(fd: int, path: Path, deadline: float, timeout: float) -> None:
    delay = 0.0005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise StorageError("db.busy", path=shown_path(path),
                                   seconds=int(timeout)) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.005)
        except OSError as error:
            raise StorageError("db.lock_failed", path=shown_path(path),
                               reason=describe_os_error(error)) from None


def _open_folder(folder: Path) -> int:
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:
        raise StorageError("db.lock_failed", path=shown_path(folder),
                           reason=describe_os_error(error)) from None


def _open_compat(path: Path) -> int | None:
    """The old lock file, read-only, if it is there (None if not)."""
    try:
        return open_checked(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StorageError("db.lock_failed", path=shown_path(path),
                           reason=describe_os_error(error)) from None


@contextlib.contextmanager
def locked(path: Path, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold the database's exclusive lock for the ``with`` body. ``path`` is the
    compatibility lock file ``PATH.lock``; the lock itself is its folder's."""
    deadline = time.monotonic() + timeout
    folder = path.parent
    fd = _open_folder(folder)
    try:
        _flock(fd, path, deadline, timeout)
        compat = _open_compat(path)
        try:
            if compat is not None:
                _flock(compat, path, deadline, timeout)
            yield
        finally:
            if compat is not None:
                os.close(compat)  # closing drops its flock
    finally:
        os.close(fd)
