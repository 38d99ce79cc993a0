"""Subcommands on snapshots and figures: report, export, diff, merge, import."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracker.cli import common
from tracker.cli.common import (
    as_of_date,
    date_option,
    demo_banner,
    open_store,
    print_json,
    read_stdin,
    refuse_as_of,
    store_today,
    value_text,
)
from tracker.domain.errors import TrackerError, UsageError
from tracker.domain.text import clean_text
from tracker.i18n import _


def cmd_import(args: argparse.Namespace) -> int:
    """Check files of county figures, show what changes, and record them in one write;
    or write a template (one, or one per county)."""
    from tracker.formats import imports

    refuse_as_of(args)
    if args.per_county is not None and args.template is None:
        raise UsageError("import.per_county_needs_template")
    if bool(args.file) == (args.template is not None) or (
            args.template == "" and args.per_county is None):
        raise UsageError("import.file_or_template")
    store = open_store(args)
    view = store.view()
    if args.per_county is not None:
        written = imports.write_county_templates(view, Path(args.per_county))
        print(_("import.per_county_done", count=len(written), path=args.per_county))
        return 0
    if args.template:
        imports.write_template(view.plan, Path(args.template))
        print(_("import.template_done", path=clean_text(args.template, single_line=True),
                columns=len(imports.template_headers(view.plan))))
        return 0
    if args.file == ["-"]:  # standard input (service mode): CSV, or XLSX (a ZIP)
        with _stdin_file(imports.MAX_BYTES) as stdin_path:
            return _import_one(store, view, stdin_path, dry_run=args.dry_run)
    paths = imports.import_files([Path(name) for name in args.file])
    if not paths:
        raise UsageError("import.no_files", path=args.file[0])
    if len(paths) == 1 and not Path(args.file[0]).is_dir():
        return _import_one(store, view, paths[0], dry_run=args.dry_run)
    outcomes = imports.read_imports(view, paths, today=store.clock().date())
    refused = [o for o in outcomes if o.batch is None]
    for outcome in outcomes:
        if outcome.batch is not None:
            print(_("import.file_ok", file=outcome.batch.file,
                    values=len(outcome.batch.changes), unchanged=outcome.batch.unchanged))
            for line in imports.lines(view.plan, outcome.batch):
                print(f"  {line}")
        elif outcome.refused is not None:
            print(outcome.refused.message)
    if refused:
        raise TrackerError("import.files_refused", refused=len(refused), count=len(outcomes))
    batches = [o.batch for o in outcomes if o.batch is not None]
    commands = [c for batch in batches for c in batch.commands()]
    counties = len({c.county for batch in batches for c in batch.changes})
    if commands and not args.dry_run:
        common.apply(store, *commands)
    print(_("import.files_would" if args.dry_run else "import.files_done", count=len(batches),
            values=len(commands), counties=counties))
    return 0


def _import_one(store: Any, view: Any, path: Path, *, dry_run: bool) -> int:
    from tracker.formats import imports

    batch = imports.read_import(view, path, today=store.clock().date())
    for line in imports.lines(view.plan, batch):
        print(line)
    if batch.changes and not dry_run:
        common.apply(store, *batch.commands())
    print(imports.summary(batch, dry_run=dry_run))
    return 0


@contextlib.contextmanager
def _stdin_file(limit: int) -> Iterator[Path]:
    """``import -``: standard input, kept in a private folder for the reader (which takes
    a path), named by what it is since it has no name; at most ``limit`` + 1 bytes are
    read (the reader refuses a file over its limit)."""
    import tempfile

    data = read_stdin(limit + 1)
    name = "stdin.xlsx" if data.startswith(b"PK\x03\x04") else "stdin.csv"
    with tempfile.TemporaryDirectory(prefix="tracker-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


def cmd_report(args: argparse.Namespace) -> int:
    store = open_store(args)
    view = store.view(as_of_date(args, store))
    as_of = view.as_of or store_today(store)  # a demo database's own day
    if args.json:
        from tracker.formats.terminal import report_json

        demo_banner(view, to_stderr=True)
        print_json(report_json(view, as_of))
        return 0
    from tracker.formats.lines import render_report

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
    from tracker.formats.export import STDOUT, Options, export_snapshot, snapshot_of

    to_stdout = args.output == STDOUT
    path = Path(args.output).expanduser()
    fmt = _export_format(args.format, path) if not to_stdout else _export_format(
        args.format or "json", Path("-.json"))
    if args.table is not None and fmt != "csv":
        raise UsageError("export.table_csv_only")
    if args.details and fmt != "html":
        raise UsageError("export.details_html_only")
    if args.county and fmt not in ("html", "xlsx"):
        raise UsageError("export.county_formats")
    since = date_option(args.since, "--since")
    store = open_store(args)
    view = store.view(as_of_date(args, store))
    options = Options(table=args.table or "tasks", details=args.details,
                      facts=[dict(f) for f in view.plan.raw["facts"]])
    selection: dict[str, Any] = {"prefecture": args.prefecture, "rec": args.rec}
    if args.county:
        from tracker.domain.queries import resolve_county
        from tracker.formats.trends import build_trends

        county = view.plan.county(resolve_county(view.plan, args.county))
        selection["prefecture"] = county.prefecture
        trends = build_trends(view, view.plan.indicators, [(county.code, county.prefecture)],
                              view.as_of or store.clock().date())
        options = options._replace(county=county.code, county_trends=trends)
    if since is not None:
        from tracker.formats.snapshot import day_before, diff_snapshots

        old = snapshot_of(store, store.view(day_before(since)), trends=False, **selection)
        new = snapshot_of(store, view, trends=False, **selection)
        options = options._replace(changes=diff_snapshots(old, new), since=since.isoformat())
    if options.table in ("measurements", "history", "attachments"):
        options = options._replace(live=_live_tables(store, view, options.table, selection))
    snapshot, digest, checksum = export_snapshot(
        store, view, fmt, args.output if to_stdout else path, force=args.force,
        options=options, trends=fmt != "csv", **selection)
    demo_banner(view, to_stderr=True)
    tasks, counties = len(snapshot["tasks"]), len(snapshot["counties"])
    if options.county:  # the one-pager shows the county's own
        tasks = sum(1 for t in snapshot["tasks"] if t["county"] == options.county)
        counties = 1
    shown = "-" if to_stdout else clean_text(str(path), single_line=True)
    done = _("export.done", path=shown, tasks=tasks, counties=counties,
             date=snapshot["provenance"]["as_of"],
             sha=digest[:16], checksum=clean_text(str(checksum or "-"), single_line=True))
    print(done, file=sys.stderr if to_stdout else sys.stdout)
    return 0


def _live_tables(store: Any, view: Any, table: str, selection: dict[str, Any]) -> dict[str, Any]:
    """The measurements or the history of the selection, read off the database."""
    from tracker.formats import tables
    from tracker.formats.export import snapshot_of

    snapshot = snapshot_of(store, view, trends=False, **selection)
    if table == "measurements":
        return {table: tables.measurement_table(view, snapshot)}
    codes = {c["code"] for c in snapshot["counties"]}
    every = len(codes) == len(view.plan.counties)
    if table == "attachments":
        return {table: tables.attachment_table(
            [e for e in store.attachment_records()
             if every or e["task"].split("-")[0] in codes], snapshot)}
    events = [e for e in store.events()
              if every or (e.get("county") or (e.get("task") or "-").split("-")[0]) in codes]
    return {table: tables.history_table(events, snapshot)}


def cmd_diff(args: argparse.Namespace) -> int:
    from tracker.formats.export import snapshot_of
    from tracker.formats.snapshot import check_compatible, day_before, diff_snapshots, load_snapshot

    since = date_option(args.since, "--since")
    if (since is None) == (len(args.snapshots) != 2) or (since and args.snapshots):
        raise UsageError("diff.usage")
    if since is not None:
        store = open_store(args)
        old = snapshot_of(store, store.view(day_before(since)), trends=False)
        new = snapshot_of(store, store.view(as_of_date(args, store)), trends=False)
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
    from tracker.formats.export import write_snapshot
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
