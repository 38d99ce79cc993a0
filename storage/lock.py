"""The inter-process lock: ``flock`` on a separate lock file that is never deleted.

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

from tracker.storage.files import describe_os_error, open_shared

from tracker.domain.errors import StorageError

DEFAULT_TIMEOUT = 15.0


@contextlib.contextmanager
def locked(path: Path, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` body."""
    try:
        fd = open_shared(path, os.O_RDWR)
    except OSError as error:
        raise StorageError("db.lock_failed", path=str(path),
                           reason=describe_os_error(error)) from None
    try:
        deadline = time.monotonic() + timeout
        delay = 0.0005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StorageError("db.busy", path=str(path), seconds=int(timeout)) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.005)
            except OSError as error:
                raise StorageError("db.lock_failed", path=str(path),
                                   reason=describe_os_error(error)) from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
