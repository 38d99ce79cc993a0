"""Subcommands that find and take back: `search` (what people wrote, in the journal) and
`undo` (one's own last change, or a given event of one's own)."""

from __future__ import annotations

import argparse

from tracker.cli.common import (
    as_of_date,
    date_option,
    demo_banner,
    open_store,
    print_changes,
    print_json,
    refuse_as_of,
    store_today,
)
from tracker.domain.errors import UsageError
from tracker.domain.text import clean_text
from tracker.i18n import _


def cmd_search(args: argparse.Namespace) -> int:
    from tracker.domain.queries import resolve_task
    from tracker.domain.search import EventFilter

    store = open_store(args)
    view = store.view()
    today = store_today(store)
    if not args.text.strip():
        raise UsageError("search.empty")
    until = as_of_date(args, store)
    since = date_option(args.since, "--since", today)
    task = resolve_task(view, args.task) if args.task else None
    keep = EventFilter(task=task, user=args.user,
                       since=since.isoformat() if since else None,
                       until=until.isoformat() if until else None)
    hits = store.search(args.text, keep)
    if args.json:
        from tracker.formats.found import hits_json

        demo_banner(view, to_stderr=True)
        print_json(hits_json(hits))
        return 0
    from tracker.formats.found import render_hits

    demo_banner(view)
    render_hits(hits, args.text)
    return 0


def event_number(text: str) -> int:
    """An event as typed: its number in history (``123`` or ``#123``)."""
    word = text.strip().lstrip("#")
    if not word.isdigit() or int(word) < 1:
        raise UsageError("undo.bad_event", value=clean_text(text, single_line=True))
    return int(word)


def cmd_undo(args: argparse.Namespace) -> int:
    refuse_as_of(args)
    store = open_store(args)
    seq = event_number(args.event) if args.event else None
    result = store.apply(store.undo_command(seq))
    print_changes(result.events)
    undone = ", ".join(f"#{e['undoes']}" for e in result.events)
    print(_("undo.done", undone=undone, seq=", ".join(f"#{e['seq']}" for e in result.events)))
    return 0
