"""The fault tests use the storage tests' fixtures: a fresh database, the real `tracker`
command, English messages, and running as `nobody` where permission bits must bind."""

from tests.storage.conftest import (  # noqa: F401 - fixtures, found by name
    db,
    english,
    open_dir,
    tracker,
    unprivileged,
)
