"""Subcommands on tasks and counties: list, show, set, note, followup, measure, history, open."""

from __future__ import annotations

import argparse
import gc
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from tracker.cli.common import (
    as_of_date,
    clearable_date,
    date_option,
    demo_banner,
    open_store,
    open_view,
    print_changes,
    print_json,
    refuse_as_of,
)
from tracker.domain.errors import UsageError
from tracker.domain.queries import resolve_county, resolve_task

if TYPE_CHECKING:
    from tracker.domain.model import Task
    from tracker.domain.state import StateView


def _task_json(view: StateView, task: Task) -> dict[str, Any]:
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
    from tracker.domain.queries import TaskFilter, filter_tasks

    view = open_view(args)
    today = view.as_of or date.today()
    task_filter = TaskFilter.build(
        view.plan, prefecture=args.prefecture, county=args.county, rec=args.rec,
        status=args.status, owner=args.owner, overdue=args.overdue, stale=args.stale,
        due_before=date_option(args.due_before, "--due-before"),
        due_after=date_option(args.due_after, "--due-after"),
    )
    tasks = filter_tasks(view, task_filter, today)
    if args.json:
        demo_banner(view, to_stderr=True)
        print_json([_task_json(view, task) for task in tasks])
        return 0
    from tracker.formats.terminal import render_task_list

    render_task_list(view, tasks, today)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    store = open_store(args, lazy=True)
    view = store.view(as_of_date(args))
    task = view.task(resolve_task(view, args.task))
    events = view.task_events(task.id)
    if args.json:
        from tracker.formats.terminal import show_json

        demo_banner(view, to_stderr=True)
        print_json(show_json(view, task, events, _task_json(view, task)))
        return 0
    from tracker.formats.terminal import render_task

    render_task(view, task, events)
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from tracker.domain.commands import SetFields, validate_owner
    from tracker.domain.fields import Status

    refuse_as_of(args)
    store = open_store(args, lazy=True)
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
        changes["owner"] = validate_owner(args.owner, view.survey_groups, store.user,
                                          known_account=store.known_account)
    if args.due is not None:
        changes["due"] = clearable_date(args.due, "--due")
    if args.next is not None:
        changes["next_followup"] = clearable_date(args.next, "--next")
    if args.cadence is not None:
        from tracker.domain.dates import validate_cadence

        changes["cadence"] = (None if args.cadence.strip().lower() in ("", "-", "none")
                              else validate_cadence(args.cadence))
    if args.priority is not None:
        changes["priority"] = args.priority
    if not changes:
        raise UsageError("set.no_options")
    result = store.apply(SetFields(task_id, changes, args.expect_version, args.comment))
    print_changes(result.events)
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    from tracker.domain.commands import AddNote

    refuse_as_of(args)
    store = open_store(args, lazy=True)
    task_id = resolve_task(store.view(), args.task)
    print_changes(store.apply(AddNote(task_id, args.text)).events)
    return 0


def cmd_followup(args: argparse.Namespace) -> int:
    from tracker.domain.commands import LogFollowup
    from tracker.domain.fields import FollowupKind

    refuse_as_of(args)
    store = open_store(args, lazy=True)
    task_id = resolve_task(store.view(), args.task)
    command = LogFollowup(task_id, FollowupKind(args.kind), args.outcome,
                          next=date_option(args.next, "--next"),
                          on=date_option(args.date, "--date"))
    print_changes(store.apply(command).events)
    return 0


def cmd_measure(args: argparse.Namespace) -> int:
    from tracker.domain.commands import Measure, parse_value

    refuse_as_of(args)
    store = open_store(args, lazy=True)
    view = store.view()
    code = resolve_county(view.plan, args.county)
    key = args.key.strip()
    value = parse_value(view.plan, key, args.value)
    on = date_option(args.date, "--date") or date.today()
    # The command refuses a part above its whole (more digitized than permanent volumes).
    print_changes(store.apply(Measure(code, key, value, on, args.source)).events)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    store = open_store(args)
    view = store.view()
    task_id = resolve_task(view, args.task) if args.task else None
    since = date_option(args.since, "--since")
    until = as_of_date(args)
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
        print_json([{k: v for k, v in e.items() if k != "new" or e["type"] != "init"}
                     for e in events])
        return 0
    from tracker.formats.terminal import render_history

    demo_banner(view)
    render_history(view, events)
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    """The app, on the dashboard or on a task, county or recommendation."""

    # Reading the state and importing Textual create objects by the hundred thousand,
    # all kept: the GC would walk them again and again (~10 ms of the start). The app
    # turns it on again after its first frame.
    gc.disable()
    store = open_store(args)
    view = store.view(as_of_date(args))  # a bad database fails here, before the screen opens
    if args.target:
        from tracker.domain.queries import resolve_target

        resolve_target(view, args.target)
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise UsageError("cli.needs_terminal")
    from tracker.app import run_app

    return run_app(store, lang=getattr(args, "lang", None), start=args.target,
                   as_of=as_of_date(args))
