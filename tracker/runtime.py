"""The process-wide tweaks the tracker makes, all of them, and the contract they keep.

What is changed: only Python's cyclic garbage collector (the ``gc`` module), in two ways.

* **Paused** (``gc.disable``) while a large amount of long-lived data is built, for
  whoever is running at the time, every thread:

  - ``gc_paused()``: around parsing a state file (``tracker.storage.atomic``): many new
    containers (~7,500 at the demo's 700 tasks, ~20 times that at 14,000), none of them
    garbage, which the collector would walk again and again while they are made (a large
    document spends 40-100 % more time).
  - ``app_start()`` / ``end_app_start()``: from the moment the CLI decides to open the
    app (before it reads the store and imports Textual) until the app's first frame.
    That start builds ~30,000 containers the collector tracks (the state, Textual's
    modules, the screens), all of which live on: the pause is ~35 ms of a ~215 ms start
    to an interactive dashboard at the demo's 700 tasks.

  Pauses nest, from any thread: the collector runs again when the last open pause ends,
  and only if it was enabled when the first began (a host process that switched it off
  itself, such as a test, keeps it off). A pause always ends: ``gc_paused`` is a context
  manager; the app's start pause is ended by the app after its first frame, or by
  ``app_start()``'s exit if the app never got that far (a bad database, no terminal).

* **Frozen** (``gc.freeze``), which moves every object alive at that moment into a
  generation the collector never scans; nothing is freed or moved:

  - ``freeze_loaded()``: by the app after its first frame and after each reload, so that
    the state the screens read (kept until the next reload) is not walked by every
    collection while someone types. ``thaw()`` (``gc.unfreeze``) gives those objects
    back to the collector before the app drops that state for a new one, and when the
    app unmounts (tests run many apps in one process).
  - ``one_shot()``: around every CLI command but the app (``command_scope``). What a
    pause builds in a one-shot command (the state it reads, a replayed past) lives until
    the command ends, so the end of the outermost pause freezes it: otherwise the
    collections that follow walk it again (the parse leaves it all in the youngest
    generation): ~20 ms, a fifth to a third of `tracker report` or `list` at 14,000
    tasks (~150,000 containers). When the block ends, everything frozen is given back
    (``gc.unfreeze``), for a caller that runs several commands in one process (the
    tests, `tracker shell`).
  - ``before_exit()``: by the ``tracker`` script when its command is done, just before
    a normal ``sys.exit``: the interpreter's teardown then does not walk what the
    command read (10-15 ms at 700 tasks, a fifth of a one-shot edit). Files are closed,
    ``atexit`` handlers run and the streams are flushed as in any exit.

Why it is safe with the app's threads (its UI thread, Textual's input thread, the
workers that reload the store): ``gc.disable/enable/freeze/unfreeze`` each run under the
GIL, and the pause count is kept under a lock, so a worker's parse inside the app's start
pause, or two reloads at once, nest instead of switching the collector on early or
leaving it off. None of these changes what any thread computes: reference counting frees
every object that is not in a cycle as usual, and the most a pause or a freeze can cost
is memory held by cyclic garbage until the collector runs again (or, frozen in a
one-shot command, until it ends).

What the tracker does not do, and why: no ``sys.setswitchinterval`` (it would change how
often the app's UI thread gets the GIL), no ``os._exit`` (it skips ``atexit``, buffered
output and finalizers), no patching of a standard module (``tracker.cli.parser`` subclasses
argparse instead). Nothing outside this module calls ``gc.disable``, ``gc.enable`` or
``gc.freeze`` (tests/tracker/test_runtime.py checks the source).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

__all__ = ["app_start", "before_exit", "command_scope", "end_app_start", "freeze_loaded",
           "gc_paused", "one_shot", "thaw"]

_lock = threading.Lock()
_pauses = 0  # open pauses, all threads together
_was_enabled = False  # whether the collector was on when the first of them began
_app_starting = False  # whether the app's start pause is one of them
_one_shot = 0  # open one_shot() blocks: the end of the outermost pause freezes


def _pause() -> None:
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1


def _resume() -> None:
    global _pauses
    with _lock:
        _pauses -= 1
        if _pauses == 0:
            if _one_shot:
                gc.freeze()  # what the pause built lives until the command ends
            if _was_enabled:
                gc.enable()


@contextmanager
def gc_paused() -> Iterator[None]:
    """The collector paused for the block: around building a large, long-lived document."""
    _pause()
    try:
        yield
    finally:
        _resume()


@contextmanager
def app_start() -> Iterator[None]:
    """Pause the collector for the app's start, which ``end_app_start`` ends at the first
    frame; if the block ends first (the app failed to start, or has quit), it ends here."""
    global _app_starting
    with _lock:
        starting, _app_starting = not _app_starting, True
    if starting:
        _pause()
    try:
        yield
    finally:
        if starting:
            end_app_start()


def end_app_start() -> None:
    """End the app's start pause, if one is open (else nothing)."""
    global _app_starting
    with _lock:
        starting, _app_starting = _app_starting, False
    if starting:
        _resume()


@contextmanager
def one_shot() -> Iterator[None]:
    """A command that runs once and ends (every CLI command but the app): what a pause
    builds in it is frozen when the pause ends, and everything frozen is given back when
    the block ends."""
    global _one_shot
    with _lock:
        _one_shot += 1
    try:
        yield
    finally:
        with _lock:
            _one_shot -= 1
            if _one_shot == 0:
                gc.unfreeze()


def command_scope(*, opens_app: bool) -> AbstractContextManager[None]:
    """What the collector does for one command line: the app's start pause, or a
    one-shot command's freezes."""
    return app_start() if opens_app else one_shot()


def freeze_loaded() -> None:
    """Keep every object alive now out of the collector's scans (``gc.freeze``)."""
    gc.freeze()


def thaw() -> None:
    """Give what ``freeze_loaded`` kept back to the collector (``gc.unfreeze``)."""
    gc.unfreeze()


def before_exit() -> None:
    """The process is about to exit normally: spare the teardown the collector's walks
    over everything still alive (``gc.freeze``). Only for the end of a process."""
    gc.freeze()
