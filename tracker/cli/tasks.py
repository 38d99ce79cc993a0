"""Subcommands on tasks and counties: list, agenda, show, county, set, note, followup,
measure, history, open. Dates typed relative (+2w, today) count from the store's today: a
demo database's own day, else the real one."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from tracker.cli import common
from tracker.cli.common import (
    as_of_date,
    clearable_date,
    date_option,
    demo_banner,
    open_store,
    print_changes,
    print_json,
    refuse_as_of,
    service,
    store_today,
    write_json_array,
)
from tracker.domain.errors import NotFoundError, TrackerError, UsageError
from tracker.domain.queries import parse_word, resolve_county, resolve_task
from tracker.i18n import _

if TYPE_CHECKING:
    from tracker.domain.model import Task
    from tracker.domain.state import StateView


def _task_json(view: StateView, task: Task, today: date) -> dict[str, Any]:
    county = view.plan.county(task.county)
    prefecture = view.plan.prefecture(county.prefecture)
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
    from tracker.domain.queries import TaskFilter, filter_tasks

    store = open_store(args)
    view = store.view(as_of_date(args, store))
    today = view.as_of or store_today(store)
    task_filter = TaskFilter.build(
        view.plan, prefecture=args.prefecture, county=args.county, rec=args.rec,
        status=args.status, owner=args.owner, overdue=args.overdue, stale=args.stale,
        due_before=date_option(args.due_before, "--due-before", today),
        due_after=date_option(args.due_after, "--due-after", today),
        next_before=date_option(args.next_before, "--next-before", today),
        next_after=date_option(args.next_after, "--next-after", today),
    )
    tasks = filter_tasks(view, task_filter, today)
    if args.json:
        demo_banner(view, to_stderr=True)
        print_json([_task_json(view, task, today) for task in tasks])
        return 0
    from tracker.formats.lines import render_task_list

    render_task_list(view, tasks, today)
    return 0


def cmd_agenda(args: argparse.Namespace) -> int:
    """The day's follow-ups: overdue, today, the next N days; yours unless told whose."""
    from datetime import timedelta

    from tracker.domain.queries import (
        TaskFilter,
        followup_queue,
        group_owner,
        owns_any,
    )

    store = open_store(args)
    view = store.view(as_of_date(args, store))
    today = view.as_of or store_today(store)
    if not 0 <= args.days <= 366:
        raise UsageError("agenda.bad_days", days=args.days)
    until = today + timedelta(days=args.days)
    chosen = [group_owner(g, view.survey_groups) for text in args.group or []
              for g in text.split(",") if g.strip()]
    chosen += [o.strip() for text in args.owner or [] for o in text.split(",") if o.strip()]
    owners: set[str] | None
    if chosen:
        owners = {name.lower() for name in chosen}
        scope = ", ".join(chosen)
    else:
        groups, owners = my_scope(store)
        scope = _("agenda.scope_mine", names=", ".join([store.user, *groups]))
        if not groups and not owns_any(view, owners):
            if not (args.prefecture or args.rec):
                hint = _("agenda.no_groups", user=store.user, groups=view.survey_groups)
                if args.json:
                    print(hint, file=sys.stderr)
                    print_json({"today": today.isoformat(), "until": until.isoformat(),
                                "owners": [], "tasks": [], "hint": hint})
                else:
                    print(hint)
                return 0
            owners, scope = None, _("agenda.scope_all")
    task_filter = (TaskFilter.build(view.plan, prefecture=args.prefecture, rec=args.rec)
                   if args.prefecture or args.rec else None)
    tasks = followup_queue(view, today, owners=owners, task_filter=task_filter, until=until)
    from tracker.formats.lines import agenda_json, render_agenda

    if args.json:
        demo_banner(view, to_stderr=True)
        print_json(agenda_json(view, tasks, today, until,
                               None if owners is None else sorted(owners)))
        return 0
    render_agenda(view, tasks, today, until, scope=scope)
    return 0


def my_scope(store: Any) -> tuple[list[str], set[str]]:
    """Whose follow-ups are "mine" (agenda, notice): my survey groups (the Unix groups
    g01..g20 I am in; in service mode, my editor limits' groups) and the owners they
    make with me."""
    from tracker.domain.queries import is_survey_group, my_owners

    if service() is not None:  # one account for all: the groups are the tracker's
        from tracker.domain.roles import users_of

        entry = users_of(store.view().meta).get(store.user) or {}
        groups = sorted(g for g in entry.get("groups", []) if is_survey_group(g))
    else:
        from tracker.storage.identity import unix_groups

        groups = sorted(g.upper() for g in unix_groups() if is_survey_group(g))
    return groups, my_owners(store.user, groups)


def my_followups(store: Any, view: StateView, today: date, until: date) -> list[Task]:
    """The agenda's query for "mine" up to ``until`` (tracker agenda, tracker notice)."""
    from tracker.domain.queries import followup_queue

    _groups, owners = my_scope(store)
    return followup_queue(view, today, owners=owners, until=until)


def cmd_show(args: argparse.Namespace) -> int:
    """A task; or, given a county (``tracker show 绥中``), the county."""
    store = open_store(args, lazy=True)
    view = store.view(as_of_date(args, store))
    try:
        task_id = resolve_task(view, args.task)
    except NotFoundError:
        try:
            code = resolve_county(view.plan, args.task)
        except NotFoundError:
            raise NotFoundError("show.unknown", query=args.task) from None
        return _show_county(args, store, view, code)
    task = view.task(task_id)
    events = view.task_events(task.id)
    if args.json:
        from tracker.formats.terminal import show_json

        demo_banner(view, to_stderr=True)
        today = view.as_of or store_today(store)
        print_json(show_json(view, task, events, _task_json(view, task, today)))
        return 0
    from tracker.formats.terminal import render_task

    render_task(view, task, events, view.as_of or store_today(store))
    return 0


def cmd_county(args: argparse.Namespace) -> int:
    """A county: its figures, its targets judged, its seven tasks."""
    store = open_store(args)
    view = store.view(as_of_date(args, store))
    return _show_county(args, store, view, resolve_county(view.plan, args.county))


def _show_county(args: argparse.Namespace, store: Any, view: Any, code: str) -> int:
    today = view.as_of or store_today(store)
    if args.json:
        from tracker.formats.terminal import county_json

        demo_banner(view, to_stderr=True)
        print_json(county_json(view, code, today))
        return 0
    from tracker.formats.terminal import render_county

    render_county(view, code, today)
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    """One task's fields; or, given list filters in place of a task, every task they
    select, in one write, after a preview (applied only with --yes)."""
    from tracker.domain.commands import SetFields, validate_owner
    from tracker.domain.fields import Status

    refuse_as_of(args)
    bulk = _bulk_given(args)
    store = open_store(args, lazy=not bulk)
    view = store.view()
    today = store.clock().date()
    changes: dict[str, Any] = {}
    if args.status is not None:
        changes["status"] = Status(parse_word("status", args.status,
                                              tuple(s.value for s in Status)))
    if args.owner is not None:
        changes["owner"] = validate_owner(args.owner, view.survey_groups, store.user,
                                          known_account=store.owner_known)
    if args.due is not None:
        changes["due"] = clearable_date(args.due, "--due", today)
    if args.next is not None:
        changes["next_followup"] = clearable_date(args.next, "--next", today)
    if args.cadence is not None:
        from tracker.domain.dates import validate_cadence

        changes["cadence"] = (None if args.cadence.strip().lower() in ("", "-", "none")
                              else validate_cadence(args.cadence))
    if args.priority is not None:
        changes["priority"] = parse_word("priority", args.priority, ("low", "normal", "high"))
    if not changes:
        raise UsageError("set.no_options")
    if bulk:
        from tracker.domain.commands import changes_anything

        if args.expect_version is not None:
            raise UsageError("bulk.no_expect_version")
        tasks = [task for task in _bulk_tasks(args, view, today)
                 if changes_anything(view.task_doc(task.id), changes)]
        if not tasks:
            print(_("bulk.nothing_to_change"))
            return 0
        return _bulk_apply(store, [SetFields(task.id, changes, task.version, args.comment)
                                   for task in tasks], len(tasks), args.yes)
    task_id = resolve_task(view, _one_task(args))
    result = common.apply(store, SetFields(task_id, changes, args.expect_version, args.comment))
    print_changes(result.events)
    return 0


BULK_FILTERS = ("prefecture", "county", "rec", "where_status", "where_owner", "overdue",
                "stale", "due_before", "due_after", "next_before", "next_after")


def _bulk_given(args: argparse.Namespace) -> bool:
    """Whether list filters select the tasks (in place of one task)."""
    given = any(getattr(args, name, None) for name in BULK_FILTERS)
    if given and args.task:
        raise UsageError("bulk.task_and_filters", task=args.task)
    if not given and getattr(args, "yes", False):
        raise UsageError("bulk.yes_without_filters")
    return given


def _one_task(args: argparse.Namespace) -> str:
    if not args.task:
        raise UsageError("bulk.no_task")
    return str(args.task)


def _bulk_tasks(args: argparse.Namespace, view: StateView, today: date) -> list[Task]:
    """The tasks the filters select, as `tracker list` would list them."""
    from tracker.domain.queries import TaskFilter, filter_tasks

    task_filter = TaskFilter.build(
        view.plan, prefecture=args.prefecture, county=args.county, rec=args.rec,
        status=args.where_status, owner=args.where_owner, overdue=args.overdue,
        stale=args.stale,
        due_before=date_option(args.due_before, "--due-before", today),
        due_after=date_option(args.due_after, "--due-after", today),
        next_before=date_option(args.next_before, "--next-before", today),
        next_after=date_option(args.next_after, "--next-after", today),
    )
    tasks = filter_tasks(view, task_filter, today)
    if not tasks:
        raise NotFoundError("bulk.no_match")
    return tasks


def _refused(error: TrackerError, count: int) -> TrackerError:
    """The refusal of one task, as the refusal of the batch (one line, its exit code)."""
    import copy

    refused = copy.copy(error)
    refused.key, refused.params = "bulk.refused", {"count": count, "reason": error.message}
    return refused


def _bulk_apply(store: Any, commands: list[Any], count: int, yes: bool) -> int:
    """Say what the commands would change (every rule checked, nothing written); with
    ``yes``, apply them in one write (one commit group: all or nothing)."""
    from tracker.formats.lines import preview_lines

    try:
        events = store.preview(*commands)
    except TrackerError as error:
        raise _refused(error, count) from None
    if not yes:
        common.previewed(events)
        print(_("bulk.preview", count=count))
        for line in preview_lines(events):
            print(line)
        print(_("bulk.needs_yes", count=count))
        return 0
    try:
        result = common.apply(store, *commands)
    except TrackerError as error:
        raise _refused(error, count) from None
    print_changes(result.events)
    print(_("bulk.done", count=count, events=len(result.events)))
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    from tracker.domain.commands import AddNote

    refuse_as_of(args)
    store = open_store(args, lazy=True)
    task_id = resolve_task(store.view(), args.task)
    print_changes(common.apply(store, AddNote(task_id, args.text)).events)
    return 0


def cmd_followup(args: argparse.Namespace) -> int:
    """A follow-up of one task; or, given list filters in place of a task, the same
    follow-up of every task they select, in one write (previewed; applied with --yes)."""
    from tracker.domain.commands import LogFollowup
    from tracker.domain.fields import FollowupKind

    refuse_as_of(args)
    bulk = _bulk_given(args)
    store = open_store(args, lazy=not bulk)
    view = store.view()
    today = store.clock().date()
    kind = parse_word("kind", args.kind, tuple(k.value for k in FollowupKind))
    next_date = date_option(args.next, "--next", today)
    on = date_option(args.date, "--date", today)
    if bulk:
        tasks = _bulk_tasks(args, view, today)
        return _bulk_apply(store, [LogFollowup(task.id, FollowupKind(kind), args.outcome,
                                               next=next_date, on=on,
                                               seen_version=task.version)
                                   for task in tasks], len(tasks), args.yes)
    task_id = resolve_task(view, _one_task(args))
    command = LogFollowup(task_id, FollowupKind(kind), args.outcome, next=next_date, on=on)
    print_changes(common.apply(store, command).events)
    return 0


def cmd_measure(args: argparse.Namespace) -> int:
    from tracker.domain.commands import Measure, parse_value

    refuse_as_of(args)
    store = open_store(args, lazy=True)
    view = store.view()
    today = store.clock().date()
    code = resolve_county(view.plan, args.county)
    from tracker.domain.queries import resolve_indicator

    key = resolve_indicator(view.plan, args.key)
    value = parse_value(view.plan, key, args.value, today=today)
    on = date_option(args.date, "--date", today) or today
    # The command refuses a part above its whole (more digitized than permanent volumes).
    # The same value for the same day changes nothing, as an import skips it.
    same = [m for m in view.measurements(code, key) if m.date == on]
    if same and same[-1].value == value:
        from tracker.cli.common import value_text

        print(_("measure.same", county=code, key=key, value=value_text(value),
                date=on.isoformat()))
        return 0
    print_changes(common.apply(store, Measure(code, key, value, on, args.source)).events)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """The changes, oldest first: streamed as they are read (text and JSON), so that
    memory stays bounded and the first lines come at once on any journal's length.
    To page: ``tracker history | less`` (docs/performance.md)."""
    store = open_store(args)
    view = store.view()
    task_id = resolve_task(view, args.task) if args.task else None
    until = as_of_date(args, store)
    since = date_option(args.since, "--since", store.clock().date())

    def chosen() -> Iterator[dict[str, Any]]:
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
            yield event

    if args.json:
        write_json_array({k: v for k, v in e.items() if k != "new" or e["type"] != "init"}
                         for e in chosen())
        return 0
    from tracker.formats.lines import stream_history

    demo_banner(view)
    stream_history(view, chosen())
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    """The app, on the dashboard or on a task, county or recommendation (``tracker.cli``
    runs it inside ``runtime.app_start()``)."""
    store = open_store(args)
    as_of = as_of_date(args, store)
    view = store.view(as_of)  # a bad database fails here, before the screen opens
    if args.target:
        from tracker.domain.queries import resolve_target

        resolve_target(view, args.target)
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise UsageError("cli.needs_terminal")
    from tracker.app import run_app
    from tracker.cli.common import config

    settings = config()
    return run_app(store, lang=getattr(args, "lang", None) or settings.get("language"),
                   start=args.target, as_of=as_of, service=service() is not None,
                   theme=settings.get("theme") or os.environ.get("TEXTUAL_THEME"),
                   ascii_mode=bool(settings.get("ascii")),
                   config_file=settings.user_file)
