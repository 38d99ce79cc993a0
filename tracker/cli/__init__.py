"""The `tracker` command: parse -> Command -> Store.apply -> print.

Only the app subcommand imports Textual; everything else stays light so that a CLI edit
costs little more than Python's own start-up.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from tracker import runtime
from tracker.cli.parser import _join_negative_offsets, _pre_language, build_parser, command_name
from tracker.cli.tasks import cmd_open
from tracker.domain.errors import TrackerError
from tracker.domain.text import clean_text
from tracker.i18n import _, set_language

__all__ = ["main", "run"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line (``sys.argv[1:]`` when ``argv`` is None); the exit code."""
    args_list = _join_negative_offsets(list(sys.argv[1:] if argv is None else argv))
    set_language(_pre_language(args_list))
    parser = build_parser(command_name(args_list))
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if not getattr(args, "handler", None):
        args.handler = cmd_open
        args.target = None
    if args.handler is cmd_open:
        with runtime.app_start():  # the collector pauses until the app's first frame
            return _handle(args)
    return _handle(args)


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
        _drop_output(sys.stdout)
        return 0


def _drop_output(stream: TextIO) -> None:
    """The reader (head, less) went away: not an error worth a message. Point the stream
    at /dev/null so that the interpreter's final flush does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def run() -> None:
    """The `tracker` script: ``main()``, the streams flushed, a normal exit (see
    ``runtime.before_exit`` for what it spares the interpreter's teardown)."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            _drop_output(stream)
        except ValueError:  # a closed stream: nothing more to say to it
            pass
    runtime.before_exit()
    sys.exit(code)
