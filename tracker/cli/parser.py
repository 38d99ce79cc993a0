"""The parser: every subcommand and option, with argparse's own words in the user's language."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, NamedTuple, NoReturn

from tracker.domain.text import clean_text
from tracker.i18n import _, language_from_env

Handler = Callable[[argparse.Namespace], int]


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` finds it: ``COLUMNS``, else
    standard output's terminal, else 80."""
    with contextlib.suppress(KeyError, ValueError):
        columns = int(os.environ["COLUMNS"])
        if columns > 0:
            return columns
    with contextlib.suppress(AttributeError, ValueError, OSError):
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    return 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, with its usage prefix and section titles in the user's
    language (argparse writes them through its own gettext domain, which has no Chinese
    catalog: we translate them here, for our parsers only)."""

    _SECTIONS = {"positional arguments": "argparse.positional", "options": "argparse.options"}

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        # argparse's own default width, without the import of shutil it makes for it in
        # every parser (~3 ms of every command, bz2 and lzma with it).
        super().__init__(prog, indent_increment, max_help_position,
                         _columns() - 2 if width is None else width)

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[argparse._MutuallyExclusiveGroup],
                  prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups,
                          _("argparse.usage") if prefix is None else prefix)

    def start_section(self, heading: str | None) -> None:
        key = self._SECTIONS.get(heading or "")
        super().start_section(_(key) if key else heading)


def _template_pattern(template: str) -> tuple[re.Pattern[str], list[str]]:
    """A regex that matches what ``template`` (printf style, as argparse's messages are)
    gives once filled in, and the names of its placeholders (``p0``, ``p1`` for bare
    ``%s``/``%r``), in order."""
    names: list[str] = []
    pattern = []
    position = 0
    for found in _PLACEHOLDER.finditer(template):
        pattern.append(re.escape(template[position:found.start()]))
        name = found.group(1) or f"p{sum(1 for n in names if n.startswith('p'))}"
        names.append(name)
        pattern.append(f"(?P<{name}>.+?)")
        position = found.end()
    pattern.append(re.escape(template[position:]))
    return re.compile("".join(pattern), re.DOTALL), names


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sr]|%[sr]")

# argparse's error messages (its English templates, as Python 3.11-3.13 write them) and
# the catalog keys of ours.
_ERROR_TEMPLATES = (
    ("the following arguments are required: %s", "required"),
    ("unrecognized arguments: %s", "unrecognized"),
    ("argument %(argument_name)s: %(message)s", "argument"),
    ("invalid choice: %(value)r (choose from %(choices)s)", "invalid_choice"),
    ("invalid %(type)s value: %(value)r", "invalid_value"),
    ("expected one argument", "one"),
    ("expected at most one argument", "at_most_one"),
    ("expected at least one argument", "at_least_one"),
    ("expected %s argument", "n"),
    ("expected %s arguments", "n_plural"),
    ("ambiguous option: %(option)s could match %(matches)s", "ambiguous"),
    ("not allowed with argument %s", "not_allowed"),
    ("one of the arguments %s is required", "one_of"),
    ("ignored explicit argument %r", "ignored"),
)


@cache  # made on the first usage error, not at every start
def _error_patterns() -> list[tuple[tuple[re.Pattern[str], list[str]], str]]:
    """The templates as patterns; those without placeholders first, so that "expected
    one argument" is not read as "expected %s argument"."""
    return sorted(((_template_pattern(english), key) for english, key in _ERROR_TEMPLATES),
                  key=lambda entry: bool(entry[0][1]))


def translate_error(message: str) -> str:
    """argparse's error ``message`` in the user's language: matched against argparse's
    English templates, the words ours, the values (option names, what was typed) as they
    were. A message that matches none (another Python's wording) stays as it is."""
    for (pattern, names), key in _error_patterns():
        found = pattern.fullmatch(message)
        if found is None:
            continue
        values = {name: translate_error(value) if name == "message" else value
                  for name, value in found.groupdict().items()}
        return _fill(_(f"argparse.{key}"), values, names)
    return message


def _fill(template: str, values: dict[str, str], names: list[str]) -> str:
    """``template`` with each placeholder replaced by its value, as text: the values are
    argparse's own renderings (a typed value already quoted for ``%r``)."""
    bare = iter(name for name in names if name.startswith("p"))
    return _PLACEHOLDER.sub(lambda found: values[found.group(1) or next(bare)], template)


class _Parser(argparse.ArgumentParser):
    """argparse in the user's language, without changing argparse for anyone else: our
    formatter, our text for -h/--help, and argparse's error messages translated in
    ``error``, which also reports through our catalog with exit code 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """As argparse's; a help action (argparse adds -h/--help itself, in English)
        says what it does in the user's language."""
        if kwargs.get("action") == "help":
            kwargs["help"] = _("argparse.help")
        return super().add_argument(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        text = clean_text(translate_error(message))
        sys.stderr.write(_("cli.usage_error", prog=self.prog, message=text) + "\n")
        raise SystemExit(2)


class Subcommand(NamedTuple):
    """A subcommand: the module of what runs it (``cmd_<name>`` in tracker.cli.<module>),
    and what adds its own arguments (besides the global options, and ``--json`` where
    ``data``)."""

    module: str
    arguments: Callable[[argparse.ArgumentParser], None] | None
    data: bool = False
    write: bool = False  # --json prints what changed (tracker.cli.common.written_json)


def _global_options() -> _Parser:
    """The options every (sub)command takes, as a parent parser."""
    common = _Parser(add_help=False)
    common.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                        help=_("cli.opt.db"))
    common.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS,
                        help=_("cli.opt.lang"))
    common.add_argument("--as-of", metavar="DATE", default=argparse.SUPPRESS,
                        help=_("cli.opt.as_of"))
    common.add_argument("--ascii", action="store_true", default=argparse.SUPPRESS,
                        help=_("cli.opt.ascii"))
    return common


def package_version() -> str:
    """The installed distribution's version (read only when asked: --version, doctor)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("liaoning-archives-tracker")
    except PackageNotFoundError:
        import tracker

        return str(tracker.__version__)


class _Version(argparse.Action):
    """--version: ``tracker X.Y.Z``, exit 0 (the version read only when asked)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help=_("cli.opt.version"))

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        sys.stdout.write(f"tracker {package_version()}\n")
        parser.exit(0)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser. With ``command``, the name of a subcommand, only that subcommand's
    parser is built: building all of them is ~3 ms of a ~45 ms one-shot edit. With ""
    (plain `tracker`, which opens the app), none; with None (help) or a name that is no
    subcommand's, all of them, so that argparse can list them."""
    common = _global_options()
    parser = _Parser(prog="tracker", description=_("cli.description"), parents=[common])
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    if command == "":
        names = []
    elif command in SUBCOMMANDS:
        names = [command]
    else:
        names = list(SUBCOMMANDS)
    for name in names:
        _module, arguments, data, write = SUBCOMMANDS[name]
        p = sub.add_parser(name, parents=[common], help=_(f"cli.cmd.{name}"),
                           description=_(f"cli.cmd.{name}"))
        p.set_defaults(handler=handler(name))
        if write:
            p.set_defaults(write=True)
        if data or write:
            p.add_argument("--json", action="store_true",
                           help=_("cli.opt.json_write" if write and not data else
                                  "cli.opt.json"))
        if arguments is not None:
            arguments(p)
    return parser


def handler(name: str) -> Handler:
    """What runs subcommand ``name``: ``cmd_<name>`` of its module, imported here, so that
    a one-shot command imports its own module and not the other eight."""
    module = importlib.import_module(f"tracker.cli.{SUBCOMMANDS[name].module}")
    function: Handler = getattr(module, f"cmd_{name}")
    return function


GLOBAL_VALUE_OPTIONS = ("--db", "--lang", "--as-of")


def command_name(argv: Sequence[str]) -> str | None:
    """The subcommand in ``argv`` (the first word that is not a global option or its
    value); "" when there is none (the app); None when help is asked first."""
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


def _init_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plan", metavar="NAME|FILE", default="liaoning-2017",
                   help=_("cli.opt.plan"))
    p.add_argument("--force", action="store_true", help=_("cli.opt.force"))


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help=_("cli.opt.force"))
    p.add_argument("--seed", type=int, default=2017, help=_("cli.opt.seed"))
    p.add_argument("--today", metavar="DATE", help=_("cli.opt.demo_today"))


def _filter_arguments(p: argparse.ArgumentParser, *, bulk: bool = False) -> None:
    """The list filters. In a bulk change (``bulk``) they stand in place of a task, and
    status and owner are --where-status and --where-owner, since --status and --owner
    there are what to set."""
    p.add_argument("--prefecture", metavar="P", help=_("cli.opt.prefecture"))
    p.add_argument("--county", metavar="C", help=_("cli.opt.county"))
    p.add_argument("--rec", metavar="R", help=_("cli.opt.rec"))
    if bulk:
        p.add_argument("--where-status", metavar="S", help=_("cli.opt.where_status"))
        p.add_argument("--where-owner", metavar="O", help=_("cli.opt.where_owner"))
    else:
        p.add_argument("--status", metavar="S", help=_("cli.opt.status"))
        p.add_argument("--owner", metavar="O", help=_("cli.opt.owner_filter"))
    p.add_argument("--overdue", action="store_true", help=_("cli.opt.overdue"))
    p.add_argument("--stale", action="store_true", help=_("cli.opt.stale"))
    p.add_argument("--due-before", metavar="DATE", help=_("cli.opt.due_before"))
    p.add_argument("--due-after", metavar="DATE", help=_("cli.opt.due_after"))
    p.add_argument("--next-before", metavar="DATE", help=_("cli.opt.next_before"))
    p.add_argument("--next-after", metavar="DATE", help=_("cli.opt.next_after"))
    if bulk:
        p.add_argument("--yes", action="store_true", help=_("cli.opt.yes"))


def _agenda_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--group", metavar="G", action="append", help=_("cli.opt.agenda_group"))
    p.add_argument("--owner", metavar="NAME", action="append", help=_("cli.opt.agenda_owner"))
    p.add_argument("--prefecture", metavar="P", help=_("cli.opt.prefecture"))
    p.add_argument("--rec", metavar="R", help=_("cli.opt.rec"))
    p.add_argument("--days", metavar="N", type=int, default=7, help=_("cli.opt.agenda_days"))


def _show_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", metavar="TASK|COUNTY", help=_("cli.arg.task_or_county"))


def _county_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("county", metavar="COUNTY", help=_("cli.arg.county"))


def _set_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", metavar="TASK", nargs="?", help=_("cli.arg.task_or_filters"))
    _filter_arguments(p, bulk=True)
    p.add_argument("--status", metavar="S", help=_("cli.opt.set_status"))
    p.add_argument("--owner", metavar="O", help=_("cli.opt.owner"))
    p.add_argument("--due", metavar="DATE", help=_("cli.opt.due"))
    p.add_argument("--next", metavar="DATE", help=_("cli.opt.next"))
    p.add_argument("--cadence", metavar="C", help=_("cli.opt.cadence"))
    p.add_argument("--priority", metavar="P", help=_("cli.opt.priority"))
    p.add_argument("--comment", metavar="TEXT", help=_("cli.opt.comment"))
    p.add_argument("--expect-version", metavar="N", type=int, help=_("cli.opt.expect_version"))


def _note_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", metavar="TASK", help=_("cli.arg.task"))
    p.add_argument("text", metavar="TEXT", help=_("cli.arg.note"))


def _followup_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", metavar="TASK", nargs="?", help=_("cli.arg.task_or_filters"))
    _filter_arguments(p, bulk=True)
    p.add_argument("--kind", required=True, metavar="KIND", help=_("cli.opt.kind"))
    p.add_argument("--outcome", required=True, metavar="TEXT", help=_("cli.opt.outcome"))
    p.add_argument("--next", metavar="DATE", help=_("cli.opt.next"))
    p.add_argument("--date", metavar="DATE", help=_("cli.opt.followup_date"))


def _attach_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", metavar="TASK", help=_("cli.arg.task"))
    p.add_argument("file", metavar="FILE|-", help=_("cli.arg.attach_file"))
    p.add_argument("--name", metavar="NAME", help=_("cli.opt.attach_name"))
    p.add_argument("--note", metavar="TEXT", help=_("cli.opt.attach_note"))


def _attachment_arguments(p: argparse.ArgumentParser) -> None:
    common = _global_options()
    actions = p.add_subparsers(dest="attachment_command", metavar="ACTION",
                               parser_class=_Parser, required=True)
    get = actions.add_parser("get", parents=[common], help=_("cli.cmd.attachment_get"),
                             description=_("cli.cmd.attachment_get"))
    get.add_argument("sha256", metavar="HASH", help=_("cli.arg.attachment_hash"))
    get.add_argument("-o", "--output", metavar="FILE|-", required=True,
                     help=_("cli.opt.attachment_output"))
    get.add_argument("--force", action="store_true", help=_("cli.opt.attachment_force"))


def _measure_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("county", metavar="COUNTY", help=_("cli.arg.county"))
    p.add_argument("key", metavar="INDICATOR", help=_("cli.arg.indicator"))
    p.add_argument("value", metavar="VALUE", help=_("cli.arg.value"))
    p.add_argument("--date", metavar="DATE", help=_("cli.opt.measure_date"))
    p.add_argument("--source", metavar="TEXT", help=_("cli.opt.source"))


def _import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", nargs="*", help=_("cli.arg.import_file"))
    p.add_argument("--dry-run", action="store_true", help=_("cli.opt.dry_run"))
    p.add_argument("--template", metavar="PATH", nargs="?", const="",
                   help=_("cli.opt.template"))
    p.add_argument("--per-county", metavar="DIR", help=_("cli.opt.per_county"))


def _history_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", metavar="TASK", nargs="?", help=_("cli.arg.task"))
    p.add_argument("--user", metavar="U", help=_("cli.opt.user"))
    p.add_argument("--since", metavar="DATE", help=_("cli.opt.since"))


def _verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--full", action="store_true", help=_("cli.opt.verify_full"))
def _search_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", metavar="TEXT", help=_("cli.arg.search_text"))
    p.add_argument("--task", metavar="TASK", help=_("cli.opt.search_task"))
    p.add_argument("--user", metavar="U", help=_("cli.opt.user"))
    p.add_argument("--since", metavar="DATE", help=_("cli.opt.since"))


def _undo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("event", metavar="EVENT", nargs="?", help=_("cli.arg.undo_event"))


def _backup_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="PATH", help=_("cli.opt.backup_output"))


def _restore_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help=_("cli.arg.backup_file"))


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", metavar="FORMAT", help=_("cli.opt.format"))
    p.add_argument("--prefecture", metavar="P", help=_("cli.opt.prefecture"))
    p.add_argument("--rec", metavar="R", help=_("cli.opt.export_rec"))
    p.add_argument("-o", "--output", metavar="PATH", required=True,
                   help=_("cli.opt.export_output_stdout"))
    p.add_argument("--table", metavar="TABLE", help=_("cli.opt.table"))
    p.add_argument("--details", action="store_true", help=_("cli.opt.details"))
    p.add_argument("--since", metavar="DATE", help=_("cli.opt.export_since"))
    p.add_argument("--county", metavar="COUNTY", help=_("cli.opt.export_county"))
    p.add_argument("--force", action="store_true", help=_("cli.opt.export_force"))


def _diff_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("snapshots", metavar="SNAPSHOT", nargs="*", help=_("cli.arg.snapshot"))
    p.add_argument("--since", metavar="DATE", help=_("cli.opt.diff_since"))


def _merge_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("snapshots", metavar="SNAPSHOT", nargs="+", help=_("cli.arg.snapshot"))
    p.add_argument("--format", metavar="FORMAT", help=_("cli.opt.format"))
    p.add_argument("-o", "--output", metavar="PATH", help=_("cli.opt.merge_output"))


def _shell_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", metavar="NAME", help=_("cli.arg.shell_name"))


def _open_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", metavar="TASK|COUNTY|REC", help=_("cli.arg.target"))


def _config_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("key", metavar="KEY", nargs="?", help=_("cli.arg.config_key"))
    p.add_argument("value", metavar="VALUE", nargs="?", help=_("cli.arg.config_value"))


def _users_arguments(p: argparse.ArgumentParser) -> None:
    common = _global_options()
    actions = p.add_subparsers(dest="users_command", metavar="ACTION", parser_class=_Parser,
                               required=True)

    def action(name: str) -> argparse.ArgumentParser:
        return actions.add_parser(name, parents=[common], help=_(f"cli.cmd.users_{name}"),
                                  description=_(f"cli.cmd.users_{name}"))

    action("list").add_argument("--json", action="store_true", help=_("cli.opt.json"))
    for name in ("add", "set"):
        a = action(name)
        a.set_defaults(write=True)
        a.add_argument("--json", action="store_true", help=_("cli.opt.json_write"))
        a.add_argument("account", metavar="USER", help=_("cli.arg.account"))
        a.add_argument("--role", metavar="ROLE", required=name == "add",
                       help=_("cli.opt.role"))
        a.add_argument("--prefecture", metavar="P", action="append",
                       help=_("cli.opt.limit_prefecture"))
        a.add_argument("--group", metavar="G", action="append",
                       help=_("cli.opt.limit_group"))
        a.add_argument("--key", metavar="FILE|-", help=_("cli.opt.key"))
        if name == "set":
            a.add_argument("--unlimited", action="store_true", help=_("cli.opt.unlimited"))
            a.add_argument("--email", metavar="ADDR", help=_("cli.opt.email"))
            a.add_argument("--language", metavar="zh|en", choices=("zh", "en"),
                           help=_("cli.opt.mail_language"))
            a.add_argument("--leader", metavar="USER", help=_("cli.opt.leader"))
    remove = action("remove")
    remove.set_defaults(write=True)
    remove.add_argument("account", metavar="USER", help=_("cli.arg.account"))
    remove.add_argument("--json", action="store_true", help=_("cli.opt.json_write"))
    action("keys").add_argument("--json", action="store_true", help=_("cli.opt.json"))


def _remind_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help=_("cli.opt.remind_dry_run"))


def _completion_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("shell", metavar="SHELL", nargs="?", choices=("bash", "zsh", "fish"),
                   help=_("cli.arg.shell"))
    p.add_argument("--words", choices=("tasks", "counties"), help=argparse.SUPPRESS)


def _man_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="PATH", help=_("cli.opt.man_output"))


SUBCOMMANDS: dict[str, Subcommand] = {
    "init": Subcommand("admin", _init_arguments),
    "demo": Subcommand("admin", _demo_arguments),
    "list": Subcommand("tasks", _filter_arguments, data=True),
    "agenda": Subcommand("tasks", _agenda_arguments, data=True),
    "show": Subcommand("tasks", _show_arguments, data=True),
    "county": Subcommand("tasks", _county_arguments, data=True),
    "set": Subcommand("tasks", _set_arguments, write=True),
    "note": Subcommand("tasks", _note_arguments, write=True),
    "followup": Subcommand("tasks", _followup_arguments, write=True),
    "measure": Subcommand("tasks", _measure_arguments, write=True),
    "attach": Subcommand("evidence", _attach_arguments),
    "attachment": Subcommand("evidence", _attachment_arguments),
    "import": Subcommand("reports", _import_arguments, write=True),
    "report": Subcommand("reports", None, data=True),
    "history": Subcommand("tasks", _history_arguments, data=True),
    "verify": Subcommand("admin", _verify_arguments, data=True),
    "search": Subcommand("find", _search_arguments, data=True),
    "undo": Subcommand("find", _undo_arguments),
    "repair": Subcommand("admin", None),
    "doctor": Subcommand("admin", None, data=True),
    "backup": Subcommand("admin", _backup_arguments),
    "restore": Subcommand("admin", _restore_arguments, write=True),
    "export": Subcommand("reports", _export_arguments),
    "diff": Subcommand("reports", _diff_arguments, data=True),
    "merge": Subcommand("reports", _merge_arguments),
    "shell": Subcommand("shell", _shell_arguments),
    "open": Subcommand("tasks", _open_arguments),
    "config": Subcommand("admin", _config_arguments, data=True, write=True),
    "users": Subcommand("admin", _users_arguments),
    "notice": Subcommand("notice", None),
    "remind": Subcommand("remind", _remind_arguments, data=True),
    "completion": Subcommand("manual", _completion_arguments),
    "man": Subcommand("manual", _man_arguments),
}


def _pre_language(argv: Sequence[str], configured: str | None = None) -> str:
    """--lang is needed before parsing, so that help and errors come out in it; else the
    configuration's ``language`` (files, TRACKER_LANG), else the locale's."""
    for position, arg in enumerate(argv):
        if arg == "--lang" and position + 1 < len(argv) and argv[position + 1] in ("zh", "en"):
            return argv[position + 1]
        if arg.startswith("--lang=") and arg[7:] in ("zh", "en"):
            return arg[7:]
    return configured or language_from_env()


DATE_OPTIONS = ("--as-of", "--due", "--next", "--date", "--since", "--due-before",
                "--due-after", "--next-before", "--next-after", "--today")


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
