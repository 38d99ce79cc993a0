"""Errors a user can cause. Each carries a catalog key and parameters, so that the CLI
and the app can show it in the user's language; ``str(error)`` renders it in the
current language."""

from __future__ import annotations

from typing import Any


class TrackerError(Exception):
    """Base of every error meant for people. Caught at the edges (CLI, app)."""

    exit_code = 1

    def __init__(self, message_key: str, /, **params: Any) -> None:
        super().__init__(message_key)
        self.key = message_key
        self.params = params

    @property
    def message(self) -> str:
        from tracker.i18n import _

        return _(self.key, **self.params)

    def __str__(self) -> str:
        return self.message


class UsageError(TrackerError):
    """A bad argument or option value (exit code 2)."""

    exit_code = 2


class NotFoundError(TrackerError):
    """A task, county, recommendation or indicator that does not exist: a name typed
    that names nothing is a bad argument, as a malformed value is (exit code 2)."""

    exit_code = 2


class InvalidEdit(TrackerError):
    """An edit the domain refuses: a move the lifecycle does not allow, a missing reason."""


class ConflictError(TrackerError):
    """Someone else changed the same field since the version the edit was based on."""


class PlanError(TrackerError):
    """A plan file that cannot be loaded: names the file, the path inside it and the fault."""


class StorageError(TrackerError):
    """A database file that cannot be read or written safely."""


class SnapshotError(TrackerError):
    """A snapshot file that cannot be read, or snapshots that cannot be compared or merged."""


class AccessDenied(TrackerError):
    """The user's role does not allow this (tracker.domain.roles): says which role is needed."""
