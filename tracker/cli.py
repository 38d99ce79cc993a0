"""The `tracker` command: parse -> Command -> Store.apply -> print.

Only the app subcommand imports Textual; everything else stays light so that a CLI edit
costs little more than Python's own start-up.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from tracker.errors import NotFoundError, TrackerError, UsageError
from tracker.i18n import _, language_from_env, set_language
from tracker.text import clean_text

Handler = Callable[[argparse.Namespace], int]


def default_db_path(environ: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """``TRACKER_DB``, else ``$XDG_DATA_HOME/tracker/tracker.json`` (~/.local/share)."""
    env = os.environ if environ is None else environ
    if env.get("TRACKER_DB"):
        return Path(env["TRACKER_DB"]).expanduser()
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tracker" / "tracker.json"


# -- argument parsing ----------------------------------------------------------------------
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


def _date_arg(option: str) -> Callable[[str], date]:
    from tracker.dates import parse_date

    def parse(text: str) -> date:
        return parse_date(text, option=option)

    return parse


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
_kept: list[Any] | None = None


def _keep(*objects: Any) -> None:
    if _kept is not None:
        _kept.extend(objects)


def run() -> None:
    """The `tracker` script: ``main()``, then out. A one-shot command ends without the
    interpreter's teardown, which would free every object the command read, one by one
    (~10-15 ms after reading a large database), for nothing: the files it wrote are
    closed and fsynced by then; only the standard streams are left to flush. For the
    same reason its store and snapshot are kept past its return (``_keep``)."""
    global _kept
    _kept = []
    code, one_shot = _main(None)
    if not one_shot:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away, or a closed stream: nothing more to say to it.
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(code)


# -- shared helpers ------------------------------------------------------------------------
def _store(args: argparse.Namespace, *, lazy: bool = False) -> Any:
    """The store; ``lazy`` for commands that read or change a few documents, so that
    they need not parse a large database whole."""
    from storage.store import Store

    path = Path(args.db).expanduser() if getattr(args, "db", None) else default_db_path()
    store = Store(path, lazy=lazy)
    _keep(store)  # and with it the state it reads
    return store


def _as_of(args: argparse.Namespace) -> date | None:
    text = getattr(args, "as_of", None)
    return _date_arg("--as-of")(text) if text else None


def _date_opt(value: str | None, option: str) -> date | None:
    return _date_arg(option)(value) if value else None


def _view(args: argparse.Namespace) -> Any:
    return _store(args).view(_as_of(args))


def _refuse_as_of(args: argparse.Namespace) -> None:
    if getattr(args, "as_of", None):
        raise UsageError("cli.as_of_read_only")


def resolve_task(view: Any, text: str) -> str:
    """A task id (``211421-2.5``), or a county name or code with the recommendation
    (``绥中-2.5``, ``Suizhong 2.5``)."""
    value = text.strip()
    if value in view.index.tasks:
        return value
    for separator in ("-", " ", ":"):
        if separator in value:
            county_text, _sep, rec = value.rpartition(separator)
            try:
                view.plan.recommendation(rec.strip())
            except NotFoundError:
                continue
            try:
                code = resolve_county(view.plan, county_text)
            except NotFoundError:
                break
            return f"{code}-{rec.strip()}"
    raise NotFoundError("task.unknown", task=text)


def resolve_county(plan: Any, text: str) -> str:
    matches = plan.find_counties(text.strip())
    if not matches:
        raise NotFoundError("county.unknown", query=text)
    if len(matches) > 1:
        names = ", ".join(f"{c.code} {c.name.get()}" for c in matches[:8])
        raise UsageError("county.ambiguous", query=text, matches=names)
    return matches[0].code


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _demo_banner(view: Any, *, to_stderr: bool = False) -> None:
    if view.demo:
        print(_("demo.banner"), file=sys.stderr if to_stderr else sys.stdout)


# -- commands ------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    from tracker.plan import BUILTIN_PLANS, builtin_plan, load_plan

    _refuse_as_of(args)
    plan = builtin_plan(args.plan) if args.plan in BUILTIN_PLANS else load_plan(args.plan)
    store = _store(args)
    store.create(plan, force=args.force)
    print(_("init.done", path=str(store.path), plan=plan.id, tasks=len(plan.counties) *
            len(plan.recommendations)))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from tracker.demo import build_demo

    _refuse_as_of(args)
    store = _store(args)
    events = build_demo(store, seed=args.seed, force=args.force)
    print(_("demo.done", path=str(store.path), events=events))
    print(_("demo.banner"))
    return 0


def _task_json(view: Any, task: Any) -> dict[str, Any]:
    county = view.plan.county(task.county)
    prefecture = view.plan.prefecture(county.prefecture)
    today = view.as_of or date.today()
    data = {
        "id": task.id,
        "county_code": task.county,
        "county": county.name.get(),
        "county_zh": county.name.zh,
        "county_en": county.name.en,
        "prefecture": prefecture.name.get(),
        "prefecture_code": prefecture.code,
        "recommendation": task.recommendation,
        "status": task.status.value,
        "owner": task.owner,
        "due": task.due.isoformat() if task.due else None,
        "next_followup": task.next_followup.isoformat() if task.next_followup else None,
        "cadence": task.cadence,
        "priority": task.priority.value,
        "overdue": task.is_overdue(today),
        "stale": task.is_stale(today, view.stale_days),
        "updated_at": task.updated_at.isoformat(),
        "updated_by": task.updated_by,
        "version": task.version,
    }
    if view.demo:
        data["demo"] = True
    return data


def cmd_list(args: argparse.Namespace) -> int:
    from tracker.queries import TaskFilter, filter_tasks

    view = _view(args)
    today = view.as_of or date.today()
    task_filter = TaskFilter.build(
        view.plan, prefecture=args.prefecture, county=args.county, rec=args.rec,
        status=args.status, owner=args.owner, overdue=args.overdue, stale=args.stale,
        due_before=_date_opt(args.due_before, "--due-before"),
        due_after=_date_opt(args.due_after, "--due-after"),
    )
    tasks = filter_tasks(view, task_filter, today)
    if args.json:
        _demo_banner(view, to_stderr=True)
        _print_json([_task_json(view, task) for task in tasks])
        return 0
    from tracker.render import render_task_list

    render_task_list(view, tasks, today)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    store = _store(args, lazy=True)
    view = store.view(_as_of(args))
    task = view.task(resolve_task(view, args.task))
    events = view.task_events(task.id)
    if args.json:
        from tracker.render import show_json

        _demo_banner(view, to_stderr=True)
        _print_json(show_json(view, task, events, _task_json(view, task)))
        return 0
    from tracker.render import render_task

    render_task(view, task, events)
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from tracker.commands import SetFields, validate_owner
    from tracker.fields import Status

    _refuse_as_of(args)
    store = _store(args, lazy=True)
    view = store.view()
    task_id = resolve_task(view, args.task)
    changes: dict[str, Any] = {}
    if args.status is not None:
        try:
            changes["status"] = Status(args.status.strip().lower())
        except ValueError:
            raise UsageError("status.unknown", value=args.status,
                             known=", ".join(s.value for s in Status)) from None
    if args.owner is not None:
        changes["owner"] = validate_owner(args.owner, view.survey_groups, store.user)
    if args.due is not None:
        changes["due"] = _clearable_date(args.due, "--due")
    if args.next is not None:
        changes["next_followup"] = _clearable_date(args.next, "--next")
    if args.cadence is not None:
        from tracker.dates import validate_cadence

        changes["cadence"] = (None if args.cadence.strip().lower() in ("", "-", "none")
                              else validate_cadence(args.cadence))
    if args.priority is not None:
        changes["priority"] = args.priority
    if not changes:
        raise UsageError("set.no_options")
    result = store.apply(SetFields(task_id, changes, args.expect_version, args.comment))
    _print_changes(result.events)
    return 0


def _clearable_date(text: str, option: str) -> date | None:
    if text.strip().lower() in ("-", "none"):
        return None
    return _date_arg(option)(text)


def _print_changes(events: list[dict[str, Any]]) -> None:
    from tracker.fields import field_value

    for event in events:
        field = event.get("field")
        old, new = _plain(event.get("old")), _plain(event.get("new"))
        if event["type"] == "set":
            old, new = field_value(field, event.get("old")), field_value(field, event.get("new"))
            field = _(f"field.{field}")
        print(_(f"changed.{event['type']}", task=event.get("task") or event.get("county"),
                field=field, old=old, new=new, version=event.get("version", "")))


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return str(value.get("value", value.get("outcome", "")))
    return str(value)


def cmd_note(args: argparse.Namespace) -> int:
    from tracker.commands import AddNote

    _refuse_as_of(args)
    store = _store(args, lazy=True)
    task_id = resolve_task(store.view(), args.task)
    _print_changes(store.apply(AddNote(task_id, args.text)).events)
    return 0


def cmd_followup(args: argparse.Namespace) -> int:
    from tracker.commands import LogFollowup
    from tracker.fields import FollowupKind

    _refuse_as_of(args)
    store = _store(args, lazy=True)
    task_id = resolve_task(store.view(), args.task)
    command = LogFollowup(task_id, FollowupKind(args.kind), args.outcome,
                          next=_date_opt(args.next, "--next"),
                          on=_date_opt(args.date, "--date"))
    _print_changes(store.apply(command).events)
    return 0


def cmd_measure(args: argparse.Namespace) -> int:
    from tracker.commands import Measure, parse_value

    _refuse_as_of(args)
    store = _store(args, lazy=True)
    view = store.view()
    code = resolve_county(view.plan, args.county)
    key = args.key.strip()
    value = parse_value(view.plan, key, args.value)
    on = _date_opt(args.date, "--date") or date.today()
    _check_part_of_whole(view, code, key, value)
    _print_changes(store.apply(Measure(code, key, value, on, args.source)).events)
    return 0


def _check_part_of_whole(view: Any, code: str, key: str, value: Any) -> None:
    """More digitized than permanent volumes is a typo: refuse it, naming both."""
    from tracker.commands import part_over_whole

    latest = {f.id: view.latest(code, f.id) for f in view.plan.facts}
    values = {k: m.value for k, m in latest.items() if m is not None}
    values[key] = value
    found = part_over_whole(view.plan, values)
    if found:
        part, whole = found
        raise UsageError("measure.part_over_whole", county=code,
                         part=view.plan.fact(part).title.get(), part_value=values[part],
                         whole=view.plan.fact(whole).title.get(), whole_value=values[whole])


def cmd_import(args: argparse.Namespace) -> int:
    """Check a file of county figures, show what changes, and record them in one write."""
    from tracker import imports

    _refuse_as_of(args)
    if (args.file is None) == (args.template is None):
        raise UsageError("import.file_or_template")
    store = _store(args)
    view = store.view()
    if args.template is not None:
        imports.write_template(view.plan, Path(args.template))
        print(_("import.template_done", path=args.template,
                columns=len(imports.template_headers(view.plan))))
        return 0
    batch = imports.read_import(view, Path(args.file), today=store.clock().date())
    for line in imports.lines(view.plan, batch):
        print(line)
    if batch.changes and not args.dry_run:
        store.apply(*batch.commands())
    print(imports.summary(batch, dry_run=args.dry_run))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    view = _view(args)
    as_of = view.as_of or date.today()
    if args.json:
        from tracker.render import report_json

        _demo_banner(view, to_stderr=True)
        _print_json(report_json(view, as_of))
        return 0
    from tracker.render import render_report

    render_report(view, as_of)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    store = _store(args)
    view = store.view()
    task_id = resolve_task(view, args.task) if args.task else None
    since = _date_opt(args.since, "--since")
    until = _as_of(args)
    events = []
    for event in store.task_events(task_id) if task_id else store.events():
        day = event["ts"][:10]
        if task_id and event.get("task") != task_id:
            continue
        if args.user is not None and event.get("user") != args.user:
            continue
        if since and day < since.isoformat():
            continue
        if until and day > until.isoformat():
            break
        events.append(event)
    if args.json:
        _print_json([{k: v for k, v in e.items() if k != "new" or e["type"] != "init"}
                     for e in events])
        return 0
    from tracker.render import render_history

    _demo_banner(view)
    render_history(view, events)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    store = _store(args)
    findings = store.verify()
    if args.json:
        _print_json({"ok": not findings,
                     "findings": [{"key": f.key, "message": _(f.key, **f.params), **f.params}
                                  for f in findings]})
    elif findings:
        for finding in findings:
            print(_(finding.key, **finding.params))
        print(_("verify.failed", count=len(findings)))
    else:
        head = store.view().head
        print(_("verify.ok", events=head.get("seq", 0), hash=head.get("hash", "")[:16]))
    return 1 if findings else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Checks of the files, lock, space, backups and terminal; exit 1 on any error."""
    from storage.doctor import ERROR, report_json, report_lines, run_checks

    path = Path(args.db).expanduser() if getattr(args, "db", None) else default_db_path()
    if path.exists():
        _store(args).check_reader()  # unknown users refused (unknown_users = deny)
    checks = run_checks(path)
    if args.json:
        _print_json(report_json(path, checks))
    else:
        print("\n".join(report_lines(path, checks)))
    return 1 if any(check.level == ERROR for check in checks) else 0


def cmd_backup(args: argparse.Namespace) -> int:
    store = _store(args)
    target = store.backup(Path(args.output) if args.output else None)
    print(_("backup.done", path=str(target)))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _refuse_as_of(args)
    store = _store(args)
    result = store.restore(Path(args.file))
    print(_("restore.done", file=args.file, events=len(result.events)))
    return 0


# -- snapshots: export, diff, merge -----------------------------------------------------------
def _export_format(fmt: str | None, path: Path) -> str:
    from tracker.export import FORMATS

    chosen = (fmt or path.suffix.lstrip(".")).lower()
    chosen = {"markdown": "md", "htm": "html"}.get(chosen, chosen)
    if chosen not in FORMATS:
        if fmt:
            raise UsageError("export.bad_choice", option="--format", value=fmt,
                             known=", ".join(FORMATS))
        raise UsageError("export.bad_format", path=str(path))
    return chosen


def _snapshot_of(store: Any, view: Any, **selection: Any) -> Any:
    from tracker.snapshot import build_snapshot

    as_of = view.as_of or store.clock().date()
    head = view.head or store.view().head  # a view rebuilt as of a date has no head
    return build_snapshot(view, as_of, generated_at=store.clock(), generated_by=store.user,
                          head=head, **selection)


def _write_snapshot(snapshot: Any, fmt: str, path: Path, store: Any = None) -> tuple[str, Path]:
    from storage.files import write_with_checksum
    from tracker.export import render

    if store is not None:  # an export must never replace the database's own files
        own = {store.path, store.history.path, store.lock_path}
        if path.resolve() in {p.resolve() for p in own}:
            raise UsageError("export.own_file", path=str(path))
    return write_with_checksum(path, render(snapshot, fmt))


def export_snapshot(store: Any, view: Any, fmt: str, path: Path,
                    **selection: Any) -> tuple[Any, str, Path]:
    """Write the snapshot of ``view`` to ``path`` (and ``PATH.sha256``); the CLI's
    export and the app's both come here. Returns the snapshot, digest, checksum file."""
    snapshot = _snapshot_of(store, view, **selection)
    digest, checksum = _write_snapshot(snapshot, fmt, path, store)
    return snapshot, digest, checksum


def cmd_export(args: argparse.Namespace) -> int:
    path = Path(args.output).expanduser()
    fmt = _export_format(args.format, path)
    store = _store(args)
    view = store.view(_as_of(args))
    snapshot, digest, checksum = export_snapshot(
        store, view, fmt, path, prefecture=args.prefecture, rec=args.rec)
    _keep(view, snapshot)
    _demo_banner(view, to_stderr=True)
    print(_("export.done", path=str(path), tasks=len(snapshot["tasks"]),
            counties=len(snapshot["counties"]), date=snapshot["provenance"]["as_of"],
            sha=digest[:16], checksum=str(checksum)))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from tracker.snapshot import check_compatible, day_before, diff_snapshots, load_snapshot

    since = _date_opt(args.since, "--since")
    if (since is None) == (len(args.snapshots) != 2) or (since and args.snapshots):
        raise UsageError("diff.usage")
    if since is not None:
        store = _store(args)
        old = _snapshot_of(store, store.view(day_before(since)))
        new = _snapshot_of(store, store.view(_as_of(args)))
        named = [(str(store.path), old), (str(store.path), new)]
    else:
        named = [(name, load_snapshot(Path(name))) for name in args.snapshots]
        check_compatible(named, same_date=False)
    old, new = named[0][1], named[1][1]
    changes = diff_snapshots(old, new)
    if args.json:
        _print_json(changes)
        return 0
    _print_diff(changes, [old, new], live=since is not None)
    return 0


def _print_diff(changes: dict[str, Any], snapshots: list[Any], *, live: bool) -> None:
    """The changes as plain lines; names in the current language, user text cleaned."""
    from tracker.i18n import get_language
    from tracker.snapshot import county_names
    from tracker.text import clean_text

    lang = get_language()
    counties = county_names(snapshots, lang)
    titles = {raw["id"]: raw["title"][lang] for s in snapshots for raw in s["indicators"]}

    def name(code: str) -> str:
        return f"{code} {counties.get(code, '')}"

    def value(v: Any) -> str:
        return "-" if v is None else _value_text(v)

    def progress(status: str) -> str:
        return _(f"progress.{status}")

    new = _("diff.live") if live else changes["to"]["as_of"]
    if changes["from"]["demo"] or changes["to"]["demo"]:
        print(_("demo.banner"))
    print(_("diff.title", old=changes["from"]["as_of"], new=new))
    blocks = {
        "diff.status_moves": [
            f"  {m['task']}  {name(m['county'])}  "
            f"{_('status.' + m['from'])} → {_('status.' + m['to'])}"
            for m in changes["status_moves"]],
        "diff.followups": [
            f"  {f['task']}  {name(f['county'])}  {f['date']} {_('kind.' + f['kind'])}: "
            + clean_text(f["outcome"], single_line=True) for f in changes["followups"]],
        "diff.indicators": [
            f"  {name(c['county'])}  {titles.get(c['indicator'], c['indicator'])}  "
            f"{value(c['from'])} → {value(c['to'])}  "
            f"({progress(c['status_from'])} → {progress(c['status_to'])})"
            for c in changes["indicator_changes"]],
        "diff.crossed": [
            f"  {name(c['county'])}  {titles.get(c['indicator'], c['indicator'])}  "
            f"{_('diff.now_met' if c['met'] else 'diff.no_longer_met')} "
            f"({value(c['from'])} → {value(c['to'])})" for c in changes["crossed"]],
    }
    for key, lines in blocks.items():
        print()
        print(_(key, count=len(lines)))
        for line in lines or [_("diff.none")]:
            print(clean_text(line))


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return _("value.yes") if value else _("value.no")
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def cmd_merge(args: argparse.Namespace) -> int:
    from storage.store import local_now
    from tracker.identity import current_user
    from tracker.snapshot import load_snapshot, merge_snapshots

    named = [(name, load_snapshot(Path(name))) for name in args.snapshots]
    merged = merge_snapshots(named, generated_at=local_now(), generated_by=current_user())
    if args.output is None:
        from tracker.export import write_json

        if args.format not in (None, "json"):
            raise UsageError("export.bad_choice", option="--format", value=args.format,
                             known="json (-o PATH for the others)")
        sys.stdout.write(write_json(merged).decode())
        return 0
    path = Path(args.output).expanduser()
    digest, checksum = _write_snapshot(merged, _export_format(args.format, path), path)
    print(_("merge.done", count=len(named), counties=len(merged["counties"]),
            tasks=len(merged["tasks"])))
    print(_("export.done", path=str(path), tasks=len(merged["tasks"]),
            counties=len(merged["counties"]), date=merged["provenance"]["as_of"],
            sha=digest[:16], checksum=str(checksum)))
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    """The app, on the dashboard or on a task, county or recommendation."""
    import gc

    # Reading the state and importing Textual create objects by the hundred thousand,
    # all kept: the GC would walk them again and again (~10 ms of the start). The app
    # turns it on again after its first frame.
    gc.disable()
    store = _store(args)
    view = store.view(_as_of(args))  # a bad database fails here, before the screen opens
    if args.target:
        from screens.registry import resolve_target

        resolve_target(view, args.target)
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise UsageError("cli.needs_terminal")
    from tracker.app import run_app

    return run_app(store, lang=getattr(args, "lang", None), start=args.target,
                   as_of=_as_of(args))


def cmd_config(args: argparse.Namespace) -> int:
    from tracker.commands import SETTINGS, SetSetting, setting_value

    store = _store(args)
    if args.key is None or args.value is None:
        settings = store.view().meta["settings"]
        for key in SETTINGS:
            if args.key in (None, key):
                print(f"{key} = {setting_value(settings, key)}")
        if args.key is not None and args.key not in SETTINGS:
            raise UsageError("setting.unknown", key=args.key, known=", ".join(SETTINGS))
        return 0
    _refuse_as_of(args)
    _print_changes(store.apply(SetSetting(args.key, args.value)).events)
    return 0


# -- users and roles ----------------------------------------------------------------------------
def cmd_users(args: argparse.Namespace) -> int:
    """`tracker users list|add|set|remove`: everyone may list; admins change."""
    from tracker.commands import AddUser, RemoveUser, SetUser
    from tracker.roles import ADMIN, require

    store = _store(args)
    if args.users_command == "list":
        view = store.view()
        if args.json:
            from tracker.render import users_json

            _print_json(users_json(view, store.user))
            return 0
        from tracker.render import render_users

        render_users(view, store.user)
        return 0
    _refuse_as_of(args)
    # Said before the arguments are looked into; the store checks again under the lock.
    require(store.access(), ADMIN, "role.action.users")
    command: Any
    if args.users_command == "remove":
        command = RemoveUser(args.account)
    else:
        view = store.view()
        prefectures = (None if args.prefecture is None else
                       tuple(view.plan.find_prefecture(p).code for p in args.prefecture))
        groups = None if args.group is None else tuple(args.group)
        if args.users_command == "add":
            command = AddUser(_os_account(args.account), args.role, prefectures or (),
                              groups or ())
        else:
            if args.unlimited:
                if prefectures or groups:
                    raise UsageError("users.limits_conflict")
                prefectures = groups = ()
            if args.role is None and prefectures is None and groups is None:
                raise UsageError("users.nothing")
            command = SetUser(args.account, args.role, prefectures, groups)
    for event in store.apply(command).events:
        print(_user_change(event))
    return 0


def _os_account(name: str) -> str:
    """Users are OS accounts: one that this server does not have is a typing mistake."""
    import pwd

    try:
        pwd.getpwnam(name.strip())
    except (KeyError, ValueError):  # ValueError: a NUL in the name
        raise UsageError("users.no_account", name=clean_text(name, single_line=True)) from None
    return name.strip()


def _user_change(event: dict[str, Any]) -> str:
    from tracker.render import describe_user

    old, new = event.get("old"), event.get("new")
    if old is None:
        return _("changed.user.added", account=event["account"], new=describe_user(new))
    if new is None:
        return _("changed.user.removed", account=event["account"], old=describe_user(old))
    return _("changed.user.changed", account=event["account"], old=describe_user(old),
             new=describe_user(new))
