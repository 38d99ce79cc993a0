"""Persistence: the Store that the CLI and the app call, and what keeps it safe."""

from tracker.storage.store import Store

__all__ = ["Store"]
