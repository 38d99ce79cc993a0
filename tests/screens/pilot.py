"""What every pilot test needs, through Textual's public API only.

- ``await settle(pilot)``: until the app is idle, that is no worker is running and no
  message is waiting in the queue of the app, the screen or any of its widgets (a
  DataTable sizes its columns on the idle that follows its rows, so an empty queue means
  that is done too). A condition, never a time: on a busy machine it takes more rounds.
- ``await until(pilot, condition, what)``: for what the app does on its own clock (the
  once-a-second poll of the file): polls ``condition`` between pauses, and fails only
  after ``DEADLINE`` seconds, which only a hang exceeds.
- ``Notices``: the notifications the app posts, collected from Textual's ``Notify``
  messages: ``app.run_test(message_hook=notices)``; read ``notices.messages``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.notifications import Notification, Notify
from textual.pilot import Pilot

DEADLINE = 60.0  # seconds: a generous bound that only a hang exceeds, never a measure
ROUNDS = 200  # settle rounds: each one lets every queue drain once


def _busy(pilot: Pilot[Any]) -> bool:
    app = pilot.app
    if any(not worker.is_finished for worker in app.workers):
        return True
    nodes = [app, *app.screen.walk_children(with_self=True)]
    return any(node.message_queue_size for node in nodes)


async def settle(pilot: Pilot[Any]) -> None:
    """Until no worker runs and nothing is pending. A worker's result can start another
    (a save's CommandDone starts the reload of the view), so wait again until none is."""
    for _ in range(ROUNDS):
        await pilot.pause(0)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0)
        if not _busy(pilot):
            return
    raise AssertionError(f"the app did not settle in {ROUNDS} rounds")


async def until(pilot: Pilot[Any], condition: Callable[[], bool], what: str,
                seconds: float = DEADLINE) -> None:
    """Wait for something the app does by its own timer (not in answer to a key), then
    settle. ``seconds`` is a deadline for a hang, not a measure of speed."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds:.0f} s for {what}")
        await pilot.pause(0.05)
    await settle(pilot)


class Notices:
    """The notifications an app posted, in order: give it to ``app.run_test`` as its
    ``message_hook`` (Textual calls the hook with every message any widget receives;
    ``App.notify`` posts one ``Notify`` to the app)."""

    def __init__(self) -> None:
        self.posted: list[Notification] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.posted.append(message.notification)

    @property
    def messages(self) -> list[str]:
        return [str(n.message) for n in self.posted]

    def of(self, severity: str) -> list[str]:
        return [str(n.message) for n in self.posted if n.severity == severity]

    def clear(self) -> None:
        self.posted.clear()
