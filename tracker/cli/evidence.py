"""Subcommands on evidence: `attach` (a file for a task, stored content-addressed beside
the database: tracker.storage.attachments) and `attachment get` (one written back)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import IO, Any

from tracker.cli.common import open_store, refuse_as_of
from tracker.domain.errors import NotFoundError, UsageError
from tracker.domain.queries import resolve_task
from tracker.domain.text import clean_text
from tracker.i18n import _


def cmd_attach(args: argparse.Namespace) -> int:
    """``FILE`` is read (never opened by any other program); ``-``: standard input, with
    ``--name`` (the only form service mode accepts)."""
    refuse_as_of(args)
    store = open_store(args)
    task_id = resolve_task(store.view(), args.task)
    source: IO[bytes]
    if args.file == "-":
        if not args.name:
            raise UsageError("attach.name_required")
        stream = sys.stdin
        try:
            if stream is None or stream.isatty():
                raise UsageError("cli.stdin_terminal")
            source = stream.buffer
        except (OSError, ValueError, AttributeError) as error:
            raise UsageError("cli.stdin_unreadable",
                             reason=clean_text(str(error), single_line=True)) from None
        name = args.name
        return _attach(store, task_id, source, name, args.note)
    from tracker.storage.attachments import open_source

    path = Path(args.file)
    with open_source(path) as handle:
        return _attach(store, task_id, handle, args.name or path.name, args.note)


def _attach(store: Any, task_id: str, source: IO[bytes], name: str, note: str | None) -> int:
    result = store.attach(task_id, source, name, note)
    event = result.events[-1]
    new = event["new"]
    print(_("changed.attach", task=task_id, name=new["name"], size=new["size"],
            sha=new["sha256"], version=event.get("version", "")))
    return 0


def resolve_attachment(store: Any, text: str) -> str:
    """A recorded attachment's hash from its hash or a prefix of it (8 or more digits)."""
    wanted = text.strip().lower()
    if len(wanted) < 8 or any(c not in "0123456789abcdef" for c in wanted):
        raise UsageError("attach.bad_hash", value=clean_text(text, single_line=True))
    found = sorted({e["new"]["sha256"] for e in store.attachment_records()
                    if str(e["new"].get("sha256", "")).startswith(wanted)})
    if not found:
        raise NotFoundError("attach.unknown", value=wanted)
    if len(found) > 1:
        raise UsageError("attach.ambiguous", value=wanted, count=len(found))
    return found[0]


def cmd_attachment(args: argparse.Namespace) -> int:
    from tracker.storage import attachments

    store = open_store(args)
    store.check_reader()
    sha = resolve_attachment(store, args.sha256)
    # Read whole and checked before anything is written: a changed file is refused
    # rather than half written out (the size is bounded by the attachment limit).
    data = b"".join(attachments.read_chunks(store.path, sha))
    if args.output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    from tracker.storage.files import atomic_write

    target = Path(args.output)
    if os.path.lexists(target) and not args.force:
        raise UsageError("attach.output_exists",
                         path=clean_text(str(target), single_line=True))
    atomic_write(target, data)
    print(_("attach.written", path=clean_text(str(target), single_line=True),
            size=len(data), sha=sha))
    return 0
