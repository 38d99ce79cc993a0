"""The `tracker` command: parse -> Command -> Store.apply -> print.

Only the app subcommand imports Textual; everything else stays light so that a CLI edit
costs little more than Python's own start-up.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Sequence

from tracker.cli import common
from tracker.cli.parser import _command_name, _join_negative_offsets, _pre_language, build_parser
from tracker.cli.tasks import cmd_open
from tracker.domain.errors import TrackerError
from tracker.domain.text import clean_text
from tracker.i18n import _, set_language

__all__ = ["main", "run"]


def main(argv: Sequence[str] | None = None) -> int:
    return _main(argv)[0]


def _main(argv: Sequence[str] | None) -> tuple[int, bool]:
    """The exit code, and whether the command was a one-shot one (not the app)."""
    args_list = _join_negative_offsets(list(sys.argv[1:] if argv is None else argv))
    set_language(_pre_language(args_list))
    parser = build_parser(_command_name(args_list))
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit_:
        return int(exit_.code or 0), True
    if not getattr(args, "handler", None):
        args.handler = cmd_open
        args.target = None
    if args.handler is cmd_open:
        return _handle(args), False
    # A one-shot command: what it reads and builds (a 14,000-task state is ~10^6 objects)
    # lives until it ends, and none of it is in a cycle. The collector would walk it again
    # and again for nothing (~20 ms of an export).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _handle(args), True
    finally:
        if enabled:
            gc.enable()


def _handle(args: argparse.Namespace) -> int:
    try:
        return args.handler(args)
    except TrackerError as error:
        # The message may quote what was typed: never let it drive the terminal.
        print(_("cli.error", message=clean_text(error.message)), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (head, less) went away: not an error worth a message. Point stdout
        # at /dev/null so that the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


# What a one-shot command read and built, kept until the process ends (see ``run``);
# None when main() runs in a longer-lived process (the tests), which frees as usual.


def run() -> None:
    """The `tracker` script: ``main()``, then out. A one-shot command ends without the
    interpreter's teardown, which would free every object the command read, one by one
    (~10-15 ms after reading a large database), for nothing: the files it wrote are
    closed and fsynced by then; only the standard streams are left to flush. For the
    same reason its store and snapshot are kept past its return (``_keep``)."""
    common.keep_until_exit()
    code, one_shot = _main(None)
    if not one_shot:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away, or a closed stream: nothing more to say to it.
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(code)
