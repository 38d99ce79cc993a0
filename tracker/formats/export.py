"""Writers: a snapshot (tracker.formats.snapshot) as CSV, XLSX, JSON, Markdown or HTML bytes,
and writing them to a file (with ``PATH.sha256``) or to standard output.

Every writer renders the same document, so a merged snapshot exports like a live one.
Words come from the catalogs in the current language; names are taken in that language
from the snapshot's bilingual texts; every tabular format carries stable codes beside
the labels (tracker.formats.tables). Text is data everywhere: CSV and XLSX cells never
become formulas, Markdown escapes its punctuation, HTML escapes everything.

- CSV (tracker.formats.csvfile): one tidy table a file, header on line 1;
- XLSX (tracker.formats.workbook, XlsxWriter): Summary, Counties, Tasks, Roll-ups, About;
- HTML (tracker.formats.html): the leaders' summary, or a county's one-pager;
- Markdown: the summary's tables as text, then every task;
- JSON: the document itself (docs/snapshot-format.md, docs/snapshot.schema.json).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from tracker.domain.errors import UsageError
from tracker.domain.text import clean_text
from tracker.formats.snapshot import Snapshot
from tracker.formats.tables import Table
from tracker.i18n import _, get_language

FORMATS = ("csv", "xlsx", "json", "md", "html")


class Options(NamedTuple):
    """What to write beside the snapshot itself."""

    table: str = "tasks"  # CSV: which table (tracker.formats.tables.TABLES)
    details: bool = False  # HTML: the task table too, laid out for print
    changes: dict[str, Any] | None = None  # HTML/MD: what changed since --since
    since: str | None = None  # the date the changes are counted from
    county: str | None = None  # HTML/XLSX: one county's one-pager (its code)
    live: dict[str, Table] | None = None  # tables read off the database (measurements...)
    facts: list[dict[str, Any]] | None = None  # the plan's facts (id, title, unit)
    county_trends: dict[str, Any] | None = None  # the county's trends (trends.build_trends)


DEFAULT = Options()


def render(snapshot: Snapshot, fmt: str, options: Options = DEFAULT) -> bytes:
    """The snapshot in ``fmt`` (one of FORMATS)."""
    return WRITERS[fmt](snapshot, options)


# -- JSON ------------------------------------------------------------------------------------
def write_json(snapshot: Snapshot, options: Options = DEFAULT) -> bytes:
    """The document itself (docs/snapshot-format.md), one task or county per line (a
    line-based diff of two snapshots reads well), compact UTF-8."""
    dump = orjson.dumps
    out = [b"{"]
    for number, (key, value) in enumerate(snapshot.items()):
        head = b"%s\n %s: " % (b"," if number else b"", dump(key))
        if isinstance(value, list) and value:
            out += [head, b"[\n  ", b",\n  ".join(map(dump, value)), b"\n ]"]
        elif isinstance(value, dict) and value:
            out += [head, b"{\n  ", b",\n  ".join([b"%s: %s" % (dump(k), dump(v))
                                                   for k, v in value.items()]), b"\n }"]
        else:
            out += [head, dump(value)]
    out.append(b"\n}\n")
    return b"".join(out)


# -- CSV and XLSX ------------------------------------------------------------------------------
def write_csv(snapshot: Snapshot, options: Options = DEFAULT) -> bytes:
    from tracker.formats.csvfile import write_table

    return write_table(pick_table(snapshot, options))


def pick_table(snapshot: Snapshot, options: Options) -> Table:
    from tracker.formats import tables

    if options.live and options.table in options.live:
        return options.live[options.table]
    if options.table in tables.LIVE_ONLY:
        raise UsageError("export.table_live", table=options.table)
    makers: dict[str, Callable[[Snapshot], Table]] = {
        "tasks": tables.task_table, "rollups": tables.rollup_table,
        "counties": lambda s: tables.county_table(s, options.facts)}
    if options.table not in makers:
        raise UsageError("export.bad_choice", option="--table", value=options.table,
                         known=", ".join(tables.TABLES))
    return makers[options.table](snapshot)


def write_xlsx(snapshot: Snapshot, options: Options = DEFAULT) -> bytes:
    from tracker.formats.workbook import workbook

    return workbook(snapshot, options)


def write_html(snapshot: Snapshot, options: Options = DEFAULT) -> bytes:
    from tracker.formats.html import county_page, summary_page

    if options.county:
        return county_page(snapshot, options)
    return summary_page(snapshot, options)


# -- Markdown ----------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def md_cell(value: Any) -> str:
    """A value as a Markdown table cell: on one line, its punctuation escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("value.yes") if value else _("value.no")
    return _MD_SPECIAL.sub(r"\\\1", clean_text(str(value), single_line=True))


def write_md(snapshot: Snapshot, options: Options = DEFAULT) -> bytes:
    """The summary's tables as Markdown, then every task."""
    from tracker.formats.summary import summary_tables
    from tracker.formats.tables import task_table

    p = snapshot["provenance"]
    lines = [f"# {md_cell(p['plan']['title'][get_language()])}", ""]
    if p.get("demo"):
        lines += [f"**{md_cell(_('demo.banner'))}**", ""]
    lines += [md_cell(_("export.as_of_line", date=p["as_of"])), ""]
    tasks = task_table(snapshot)
    keep = ["task_id", "prefecture", "county", "recommendation", "status_label", "owner",
            "due", "next_followup", "last_followup", "last_followup_outcome"]
    where = [[c.code for c in tasks.columns].index(k) for k in keep]
    shown = [(tasks.title, [tasks.columns[i].label for i in where],
              [[row[i] for i in where] for row in tasks.rows])]
    for title, headers, rows in [*summary_tables(snapshot, options), *shown]:
        lines += [f"## {md_cell(title)}", ""]
        lines.append("| " + " | ".join(md_cell(h) for h in headers) + " |")
        lines.append("|" + "---|" * len(headers))
        lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines).encode("utf-8")


WRITERS: dict[str, Callable[[Snapshot, Options], bytes]] = {
    "csv": write_csv, "xlsx": write_xlsx, "json": write_json, "md": write_md,
    "html": write_html,
}


# -- writing a snapshot out (the CLI's export and the app's) -------------------------------
STDOUT = "-"


def snapshot_of(store: Any, view: Any, *, trends: bool = True, **selection: Any) -> Any:
    from tracker.formats.snapshot import build_snapshot

    as_of = view.as_of or store.clock().date()
    head = view.head or store.view().head  # a view rebuilt as of a date has no head
    return build_snapshot(view, as_of, generated_at=store.clock(), generated_by=store.user,
                          head=head, trends=trends, **selection)


def check_target(path: Path, *, force: bool, store: Any = None) -> None:
    """Refuse to write over the database's own files, or over an existing file unless
    ``force`` (the app asks first, then forces)."""
    if store is not None:
        own = {store.path, store.history.path, store.lock_path}
        if path.resolve() in {p.resolve() for p in own}:
            raise UsageError("export.own_file", path=str(path))
    if not force and path.exists():
        raise UsageError("export.exists", path=str(path))


def write_snapshot(snapshot: Any, fmt: str, path: Path | str, store: Any = None, *,
                   force: bool = False, options: Options = DEFAULT,
                   ) -> tuple[str, Path | None]:
    """Write the rendered snapshot to ``path`` with ``PATH.sha256`` beside it (and, for
    a CSV, ``PATH.meta.json``: where the table comes from and what its columns mean); or
    to standard output when ``path`` is ``-`` (no checksum file). Returns the digest and
    the checksum file (None for standard output)."""
    import hashlib

    if str(path) == STDOUT:
        data = render(snapshot, fmt, options)
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return hashlib.sha256(data).hexdigest(), None
    from tracker.storage.files import atomic_write, write_with_checksum

    path = Path(path)
    check_target(path, force=force, store=store)
    data = render(snapshot, fmt, options)
    digest, checksum = write_with_checksum(path, data)
    if fmt == "csv":
        from tracker.formats.csvfile import sidecar

        table = pick_table(snapshot, options)
        atomic_write(path.with_name(path.name + ".meta.json"),
                     sidecar(snapshot, table, path.name, digest))
    return digest, checksum


def export_snapshot(store: Any, view: Any, fmt: str, path: Path | str, *, force: bool = False,
                    options: Options = DEFAULT, **selection: Any,
                    ) -> tuple[Any, str, Path | None]:
    """Write the snapshot of ``view`` to ``path``; the CLI's export and the app's both
    come here. Returns the snapshot, digest, checksum file."""
    snapshot = snapshot_of(store, view, **selection)
    digest, checksum = write_snapshot(snapshot, fmt, path, store, force=force, options=options)
    return snapshot, digest, checksum
