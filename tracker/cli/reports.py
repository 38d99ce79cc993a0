"""Subcommands on snapshots and figures: report, export, diff, merge, import."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from tracker.cli.common import (
    as_of_date,
    date_option,
    demo_banner,
    keep,
    open_store,
    open_view,
    print_json,
    refuse_as_of,
    value_text,
)
from tracker.domain.errors import UsageError
from tracker.domain.text import clean_text
from tracker.formats.export import snapshot_of, write_snapshot
from tracker.i18n import _


def cmd_import(args: argparse.Namespace) -> int:
    """Check a file of county figures, show what changes, and record them in one write."""
    from tracker.formats import imports

    refuse_as_of(args)
    if (args.file is None) == (args.template is None):
        raise UsageError("import.file_or_template")
    store = open_store(args)
    view = store.view()
    if args.template is not None:
        imports.write_template(view.plan, Path(args.template))
        print(_("import.template_done", path=clean_text(args.template, single_line=True),
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
    view = open_view(args)
    as_of = view.as_of or date.today()
    if args.json:
        from tracker.formats.terminal import report_json

        demo_banner(view, to_stderr=True)
        print_json(report_json(view, as_of))
        return 0
    from tracker.formats.terminal import render_report

    render_report(view, as_of)
    return 0


def _export_format(fmt: str | None, path: Path) -> str:
    from tracker.formats.export import FORMATS

    chosen = (fmt or path.suffix.lstrip(".")).lower()
    chosen = {"markdown": "md", "htm": "html"}.get(chosen, chosen)
    if chosen not in FORMATS:
        if fmt:
            raise UsageError("export.bad_choice", option="--format", value=fmt,
                             known=", ".join(FORMATS))
        raise UsageError("export.bad_format", path=clean_text(str(path), single_line=True))
    return chosen


def cmd_export(args: argparse.Namespace) -> int:
    path = Path(args.output).expanduser()
    fmt = _export_format(args.format, path)
    store = open_store(args)
    view = store.view(as_of_date(args))
    from tracker.formats.export import export_snapshot

    snapshot, digest, checksum = export_snapshot(
        store, view, fmt, path, prefecture=args.prefecture, rec=args.rec)
    keep(view, snapshot)
    demo_banner(view, to_stderr=True)
    print(_("export.done", path=clean_text(str(path), single_line=True),
            tasks=len(snapshot["tasks"]),
            counties=len(snapshot["counties"]), date=snapshot["provenance"]["as_of"],
            sha=digest[:16], checksum=clean_text(str(checksum), single_line=True)))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from tracker.formats.snapshot import check_compatible, day_before, diff_snapshots, load_snapshot

    since = date_option(args.since, "--since")
    if (since is None) == (len(args.snapshots) != 2) or (since and args.snapshots):
        raise UsageError("diff.usage")
    if since is not None:
        store = open_store(args)
        old = snapshot_of(store, store.view(day_before(since)))
        new = snapshot_of(store, store.view(as_of_date(args)))
        named = [(str(store.path), old), (str(store.path), new)]
    else:
        named = [(name, load_snapshot(Path(name))) for name in args.snapshots]
        check_compatible(named, same_date=False)
    old, new = named[0][1], named[1][1]
    changes = diff_snapshots(old, new)
    if args.json:
        print_json(changes)
        return 0
    _print_diff(changes, [old, new], live=since is not None)
    return 0


def _print_diff(changes: dict[str, Any], snapshots: list[Any], *, live: bool) -> None:
    """The changes as plain lines; names in the current language, user text cleaned."""
    from tracker.formats.snapshot import county_names
    from tracker.i18n import get_language

    lang = get_language()
    counties = county_names(snapshots, lang)
    titles = {raw["id"]: raw["title"][lang] for s in snapshots for raw in s["indicators"]}

    def name(code: str) -> str:
        return f"{code} {counties.get(code, '')}"

    def value(v: Any) -> str:
        return "-" if v is None else value_text(v)

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


def cmd_merge(args: argparse.Namespace) -> int:
    from tracker.formats.snapshot import load_snapshot, merge_snapshots
    from tracker.storage.identity import current_user
    from tracker.storage.store import local_now

    named = [(name, load_snapshot(Path(name))) for name in args.snapshots]
    merged = merge_snapshots(named, generated_at=local_now(), generated_by=current_user())
    if args.output is None:
        from tracker.formats.export import write_json

        if args.format not in (None, "json"):
            raise UsageError("export.bad_choice", option="--format", value=args.format,
                             known="json (-o PATH for the others)")
        sys.stdout.write(write_json(merged).decode())
        return 0
    path = Path(args.output).expanduser()
    digest, checksum = write_snapshot(merged, _export_format(args.format, path), path)
    print(_("merge.done", count=len(named), counties=len(merged["counties"]),
            tasks=len(merged["tasks"])))
    print(_("export.done", path=clean_text(str(path), single_line=True),
            tasks=len(merged["tasks"]),
            counties=len(merged["counties"]), date=merged["provenance"]["as_of"],
            sha=digest[:16], checksum=clean_text(str(checksum), single_line=True)))
    return 0
