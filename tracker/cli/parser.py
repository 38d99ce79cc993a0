"""The parser: every subcommand and option, with argparse's own words in the user's language."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tracker.cli.admin import (
    cmd_backup,
    cmd_config,
    cmd_demo,
    cmd_doctor,
    cmd_init,
    cmd_repair,
    cmd_restore,
    cmd_users,
    cmd_verify,
)
from tracker.cli.reports import cmd_diff, cmd_export, cmd_import, cmd_merge, cmd_report
from tracker.cli.tasks import (
    cmd_followup,
    cmd_history,
    cmd_list,
    cmd_measure,
    cmd_note,
    cmd_open,
    cmd_set,
    cmd_show,
)
from tracker.domain.text import clean_text
from tracker.i18n import _, language_from_env

Handler = Callable[[argparse.Namespace], int]


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, sized without importing shutil (as argparse does for every
    parser it builds: a one-shot edit's start-up counts)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        if width is None:
            try:
                columns = int(os.environ.get("COLUMNS", "0")) or os.get_terminal_size(
                    sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
            except (ValueError, OSError, AttributeError):
                columns = 80
            width = columns - 2
        super().__init__(prog, indent_increment, max_help_position, width)


# argparse's own words (its "usage:", section titles and error messages), by message id:
# argparse looks them up through gettext, which has no Chinese catalog for them.
_ARGPARSE_TEXT = {
    "usage: ": "usage", "positional arguments": "positional", "options": "options",
    "show this help message and exit": "help",
    "the following arguments are required: %s": "required",
    "unrecognized arguments: %s": "unrecognized",
    "argument %(argument_name)s: %(message)s": "argument",
    "invalid choice: %(value)r (choose from %(choices)s)": "invalid_choice",
    "invalid %(type)s value: %(value)r": "invalid_value",
    "expected one argument": "one", "expected at most one argument": "at_most_one",
    "expected at least one argument": "at_least_one",
    "expected %s argument": "n", "expected %s arguments": "n_plural",
    "ambiguous option: %(option)s could match %(matches)s": "ambiguous",
    "not allowed with argument %s": "not_allowed",
    "one of the arguments %s is required": "one_of",
    "ignored explicit argument %r": "ignored",
}


def _argparse_text(message: str) -> str:
    key = _ARGPARSE_TEXT.get(message)
    return _(f"argparse.{key}") if key else message


def _argparse_plural(singular: str, plural: str, count: int) -> str:
    return _argparse_text(singular if count == 1 else plural)


argparse._ = _argparse_text  # type: ignore[attr-defined]


argparse.ngettext = _argparse_plural  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors through our catalog, exit code 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(_("cli.usage_error", prog=self.prog, message=clean_text(message)) + "\n")
        raise SystemExit(2)


class _Skipped:
    """Stands for the parser of a subcommand that is not being run: building all fifteen
    (argparse, gettext) costs more than a one-shot edit's own work."""

    def __getattr__(self, name: str) -> Callable[..., _Skipped]:
        return lambda *args, **kwargs: self


GLOBAL_VALUE_OPTIONS = ("--db", "--lang", "--as-of")


def _command_name(argv: Sequence[str]) -> str | None:
    """The subcommand in ``argv`` (the first word that is not a global option or its
    value); "" when there is none (the app: no subcommand's parser is built); None for
    help (every parser is built, for argparse to list them)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in GLOBAL_VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
        elif arg in ("-h", "--help"):
            return None
    return ""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that subcommand's (if there is one by that name:
    else all, so that argparse lists them in its error); with "", none (plain `tracker`
    opens the app: its start-up counts)."""
    common = _Parser(add_help=False)
    common.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                        help=_("cli.opt.db"))
    common.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS,
                        help=_("cli.opt.lang"))
    common.add_argument("--as-of", metavar="DATE", default=argparse.SUPPRESS,
                        help=_("cli.opt.as_of"))

    parser = _Parser(prog="tracker", description=_("cli.description"), parents=[common])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, handler: Handler, *, data: bool = False) -> Any:
        if only is not None and name != only:
            return _Skipped()
        p = sub.add_parser(name, parents=[common], help=_(f"cli.cmd.{name}"),
                           description=_(f"cli.cmd.{name}"))
        p.set_defaults(handler=handler)
        if data:
            p.add_argument("--json", action="store_true", help=_("cli.opt.json"))
        return p

    p = command("init", cmd_init)
    p.add_argument("--plan", metavar="NAME|FILE", default="liaoning-2017",
                   help=_("cli.opt.plan"))
    p.add_argument("--force", action="store_true", help=_("cli.opt.force"))

    p = command("demo", cmd_demo)
    p.add_argument("--force", action="store_true", help=_("cli.opt.force"))
    p.add_argument("--seed", type=int, default=2017, help=_("cli.opt.seed"))

    p = command("list", cmd_list, data=True)
    p.add_argument("--prefecture", metavar="P", help=_("cli.opt.prefecture"))
    p.add_argument("--county", metavar="C", help=_("cli.opt.county"))
    p.add_argument("--rec", metavar="R", help=_("cli.opt.rec"))
    p.add_argument("--status", metavar="S", help=_("cli.opt.status"))
    p.add_argument("--owner", metavar="O", help=_("cli.opt.owner_filter"))
    p.add_argument("--overdue", action="store_true", help=_("cli.opt.overdue"))
    p.add_argument("--stale", action="store_true", help=_("cli.opt.stale"))
    p.add_argument("--due-before", metavar="DATE", help=_("cli.opt.due_before"))
    p.add_argument("--due-after", metavar="DATE", help=_("cli.opt.due_after"))

    p = command("show", cmd_show, data=True)
    p.add_argument("task", metavar="TASK", help=_("cli.arg.task"))

    p = command("set", cmd_set)
    p.add_argument("task", metavar="TASK", help=_("cli.arg.task"))
    p.add_argument("--status", metavar="S", help=_("cli.opt.set_status"))
    p.add_argument("--owner", metavar="O", help=_("cli.opt.owner"))
    p.add_argument("--due", metavar="DATE", help=_("cli.opt.due"))
    p.add_argument("--next", metavar="DATE", help=_("cli.opt.next"))
    p.add_argument("--cadence", metavar="C", help=_("cli.opt.cadence"))
    p.add_argument("--priority", choices=("low", "normal", "high"), help=_("cli.opt.priority"))
    p.add_argument("--comment", metavar="TEXT", help=_("cli.opt.comment"))
    p.add_argument("--expect-version", metavar="N", type=int, help=_("cli.opt.expect_version"))

    p = command("note", cmd_note)
    p.add_argument("task", metavar="TASK", help=_("cli.arg.task"))
    p.add_argument("text", metavar="TEXT", help=_("cli.arg.note"))

    p = command("followup", cmd_followup)
    p.add_argument("task", metavar="TASK", help=_("cli.arg.task"))
    p.add_argument("--kind", required=True, choices=("call", "visit", "document", "meeting"),
                   help=_("cli.opt.kind"))
    p.add_argument("--outcome", required=True, metavar="TEXT", help=_("cli.opt.outcome"))
    p.add_argument("--next", metavar="DATE", help=_("cli.opt.next"))
    p.add_argument("--date", metavar="DATE", help=_("cli.opt.followup_date"))

    p = command("measure", cmd_measure)
    p.add_argument("county", metavar="COUNTY", help=_("cli.arg.county"))
    p.add_argument("key", metavar="INDICATOR", help=_("cli.arg.indicator"))
    p.add_argument("value", metavar="VALUE", help=_("cli.arg.value"))
    p.add_argument("--date", metavar="DATE", help=_("cli.opt.measure_date"))
    p.add_argument("--source", metavar="TEXT", help=_("cli.opt.source"))

    p = command("import", cmd_import)
    p.add_argument("file", metavar="FILE", nargs="?", help=_("cli.arg.import_file"))
    p.add_argument("--dry-run", action="store_true", help=_("cli.opt.dry_run"))
    p.add_argument("--template", metavar="PATH", help=_("cli.opt.template"))

    command("report", cmd_report, data=True)

    p = command("history", cmd_history, data=True)
    p.add_argument("task", metavar="TASK", nargs="?", help=_("cli.arg.task"))
    p.add_argument("--user", metavar="U", help=_("cli.opt.user"))
    p.add_argument("--since", metavar="DATE", help=_("cli.opt.since"))

    command("verify", cmd_verify, data=True)
    command("doctor", cmd_doctor, data=True)

    p = command("backup", cmd_backup)
    p.add_argument("-o", "--output", metavar="PATH", help=_("cli.opt.backup_output"))

    p = command("restore", cmd_restore)
    p.add_argument("file", metavar="FILE", help=_("cli.arg.backup_file"))

    command("repair", cmd_repair)

    p = command("export", cmd_export)
    p.add_argument("--format", metavar="FORMAT", help=_("cli.opt.format"))
    p.add_argument("--prefecture", metavar="P", help=_("cli.opt.prefecture"))
    p.add_argument("--rec", metavar="R", help=_("cli.opt.export_rec"))
    p.add_argument("-o", "--output", metavar="PATH", required=True,
                   help=_("cli.opt.export_output"))

    p = command("diff", cmd_diff, data=True)
    p.add_argument("snapshots", metavar="SNAPSHOT", nargs="*", help=_("cli.arg.snapshot"))
    p.add_argument("--since", metavar="DATE", help=_("cli.opt.diff_since"))

    p = command("merge", cmd_merge)
    p.add_argument("snapshots", metavar="SNAPSHOT", nargs="+", help=_("cli.arg.snapshot"))
    p.add_argument("--format", metavar="FORMAT", help=_("cli.opt.format"))
    p.add_argument("-o", "--output", metavar="PATH", help=_("cli.opt.merge_output"))

    p = command("open", cmd_open)
    p.add_argument("target", metavar="TASK|COUNTY|REC", help=_("cli.arg.target"))

    p = command("config", cmd_config)
    p.add_argument("key", metavar="KEY", nargs="?", help=_("cli.arg.config_key"))
    p.add_argument("value", metavar="VALUE", nargs="?", help=_("cli.arg.config_value"))

    p = command("users", cmd_users)
    if not isinstance(p, _Skipped):
        actions = p.add_subparsers(dest="users_command", metavar="ACTION",
                                   parser_class=_Parser, required=True)

        def action(name: str) -> Any:
            return actions.add_parser(name, parents=[common], help=_(f"cli.cmd.users_{name}"),
                                      description=_(f"cli.cmd.users_{name}"))

        action("list").add_argument("--json", action="store_true", help=_("cli.opt.json"))
        for name in ("add", "set"):
            a = action(name)
            a.add_argument("account", metavar="USER", help=_("cli.arg.account"))
            a.add_argument("--role", metavar="ROLE", required=name == "add",
                           help=_("cli.opt.role"))
            a.add_argument("--prefecture", metavar="P", action="append",
                           help=_("cli.opt.limit_prefecture"))
            a.add_argument("--group", metavar="G", action="append",
                           help=_("cli.opt.limit_group"))
            if name == "set":
                a.add_argument("--unlimited", action="store_true", help=_("cli.opt.unlimited"))
        action("remove").add_argument("account", metavar="USER", help=_("cli.arg.account"))
    if only and only not in sub.choices:
        return build_parser()
    return parser


def _pre_language(argv: Sequence[str]) -> str:
    """--lang is needed before parsing, so that help and errors come out in it."""
    for position, arg in enumerate(argv):
        if arg == "--lang" and position + 1 < len(argv) and argv[position + 1] in ("zh", "en"):
            return argv[position + 1]
        if arg.startswith("--lang=") and arg[7:] in ("zh", "en"):
            return arg[7:]
    return language_from_env()


DATE_OPTIONS = ("--as-of", "--due", "--next", "--date", "--since", "--due-before",
                "--due-after")


def _join_negative_offsets(argv: list[str]) -> list[str]:
    """Let ``--as-of -1d`` mean ``--as-of=-1d`` (argparse takes ``-1d`` for an option)."""
    joined: list[str] = []
    skip = False
    for position, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        following = argv[position + 1] if position + 1 < len(argv) else ""
        if arg in DATE_OPTIONS and following[:1] == "-" and following[1:2].isdigit():
            joined.append(f"{arg}={following}")
            skip = True
        else:
            joined.append(arg)
    return joined
