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
from typing import Any, TextIO

from tracker import runtime
from tracker.cli import common
from tracker.domain.errors import TrackerError
from tracker.domain.text import clean_text
from tracker.i18n import _, set_language

__all__ = ["main", "run"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line (``sys.argv[1:]`` when ``argv`` is None); the exit code."""
    raw = list(sys.argv[1:] if argv is None else argv)
    from tracker.cli.notice import cmd_notice_main, is_notice

    if is_notice(raw):  # a login script's: silent on any error, within its time limit,
        return cmd_notice_main(raw)  # and without the parser's imports
    from tracker.cli.parser import (
        _join_negative_offsets,
        _pre_language,
        build_parser,
        command_name,
        handler,
    )

    args_list = _join_negative_offsets(raw)
    name = command_name(args_list)
    try:
        configured = common.config().get("language")
    except TrackerError as error:  # a bad config file: one line, in the locale's language
        set_language(_pre_language(args_list))
        print(_("cli.error", message=clean_text(error.message)), file=sys.stderr)
        return error.exit_code
    set_language(_pre_language(args_list, configured))
    parser = build_parser(name)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    common.take_flags(args)
    if not getattr(args, "handler", None):
        args.handler = handler("open")
        args.target = None
    if args.command == "shell":  # the request it serves picks (tracker.cli.shell)
        return _handle(args)
    with runtime.command_scope(opens_app=args.command in (None, "open")):
        return _handle(args)


def _handle(args: argparse.Namespace) -> int:
    try:
        if _writes_json(args):
            return _write_json(args)
        return int(args.handler(args))
    except TrackerError as error:
        # The message may quote what was typed: never let it drive the terminal.
        print(_("cli.error", message=clean_text(error.message)), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _drop_output(sys.stdout)
        return 0
    finally:
        _reset()


def _writes_json(args: argparse.Namespace) -> bool:
    """A write command with --json (`config KEY` without a value only reads)."""
    if not (getattr(args, "write", False) and getattr(args, "json", False)):
        return False
    return not (getattr(args, "command", None) == "config" and args.value is None)


def _write_json(args: argparse.Namespace) -> int:
    """Run a write with its words on standard error, then what it did as JSON on
    standard output (tracker.cli.common.written_json)."""
    common.take_written()
    with contextlib.redirect_stdout(sys.stderr):
        code = int(args.handler(args))
    extra: dict[str, Any] = {"dry_run": True} if getattr(args, "dry_run", False) else {}
    would = common.take_previewed()
    if would:  # a bulk change without --yes: what it would change, nothing written
        extra = {"dry_run": True, "would_change": [common.change_entry(e) for e in would]}
    events = common.take_written()
    data = common.written_json(events, **extra)
    counties = {e["county"] for e in events if e.get("county") and "version" not in e}
    if counties:  # a county's new version is in the state, not in its events
        view = common.open_store(args).view()
        data["versions"].update({doc["code"]: doc["version"]
                                 for doc in view.tables["counties"].values()
                                 if doc["code"] in counties})
    common.print_json(data)
    return code


def _reset() -> None:
    """What one command line set for the process (the ASCII stream, the configuration):
    undone, for a caller that runs several in one process (the tests)."""
    from tracker import glyphs

    if isinstance(sys.stdout, glyphs.AsciiStream):
        with contextlib.suppress(ValueError, OSError):
            sys.stdout.flush()
        sys.stdout = sys.stdout.inner
    glyphs.use_ascii(False)
    common.set_config(None)
    common.take_written()


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
