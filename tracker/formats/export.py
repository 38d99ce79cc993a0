"""Writers: a snapshot (tracker.formats.snapshot) as CSV, XLSX, JSON, Markdown or HTML bytes.

Every writer renders the same document, so a merged snapshot exports like a live one.
Words come from the catalogs in the current language; names are taken in that language
from the snapshot's bilingual texts. Text is data everywhere: CSV and XLSX cells never
become formulas, Markdown escapes its punctuation, HTML escapes everything.
openpyxl is imported only when XLSX is asked for.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from tracker.domain.errors import UsageError
from tracker.domain.model import Status
from tracker.domain.progress import ProgressStatus, target_value, threshold_text
from tracker.domain.text import clean_text
from tracker.formats.snapshot import Snapshot, indicator_from_json, target_row
from tracker.i18n import _, get_language

FORMATS = ("csv", "xlsx", "json", "md", "html")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
BAR_WIDTH = 10


def render(snapshot: Snapshot, fmt: str) -> bytes:
    """The snapshot in ``fmt`` (one of FORMATS)."""
    return WRITERS[fmt](snapshot)


# -- the tables every format shares ---------------------------------------------------------
def _lang() -> str:
    return get_language()


def _yes_no(value: bool) -> str:
    return _("value.yes") if value else _("value.no")


def _display(raw: dict[str, Any], value: dict[str, Any]) -> Any:
    """A county's value for a table cell: numbers stay numbers."""
    v = value["value"]
    if v is None:
        return None
    if isinstance(v, bool):
        return _yes_no(v)
    if raw["comparison"] == ">=standard" and value["required"] is not None:
        return f"{v}/{value['required']}"
    return v


def _progress(status: str) -> str:
    return _(f"progress.{status}")


def _head(snapshot: Snapshot) -> dict[str, Any]:
    return snapshot["provenance"].get("history_head") or {}


def metadata(snapshot: Snapshot) -> list[tuple[str, Any]]:
    """(label, value) rows: where the snapshot comes from."""
    p = snapshot["provenance"]
    lang = _lang()
    head = _head(snapshot)
    selection = p.get("selection") or {}
    names = {x["code"]: x["name"][lang] for x in snapshot["prefectures"]}
    rows: list[tuple[str, Any]] = [
        (_("export.meta.plan"), p["plan"]["id"]),
        (_("export.meta.plan_title"), p["plan"]["title"][lang]),
        (_("export.meta.plan_sha256"), p["plan"].get("sha256")),
        (_("export.meta.as_of"), p["as_of"]),
        (_("export.meta.generated_at"), p["generated_at"]),
        (_("export.meta.generated_by"), p["generated_by"]),
        (_("export.meta.head_seq"), head.get("seq")),
        (_("export.meta.head_hash"), head.get("hash")),
        (_("export.meta.demo"), _("demo.banner") if p.get("demo") else _yes_no(False)),
        (_("export.meta.prefecture"), names.get(selection.get("prefecture") or "",
                                                 _("export.meta.all"))),
        (_("export.meta.recommendations"),
         ", ".join(selection.get("recommendations") or []) or _("export.meta.all")),
        (_("export.meta.counts"), _("export.meta.counts_value",
                                    counties=len(snapshot["counties"]),
                                    tasks=len(snapshot["tasks"]))),
    ]
    for number, source in enumerate(p.get("sources") or [], start=1):
        source_head = source.get("history_head") or {}
        rows.append((_("export.meta.source", number=number), _(
            "export.meta.source_value", file=source["file"], plan=source["plan"],
            counties=source["counties"], generated_at=source.get("generated_at"),
            hash=(source_head.get("hash") or "")[:16])))
    return rows


Cells = Callable[[Any], Any]


class Table:
    """A table of a snapshot: ``rows`` of values; or, for the task table, ``source``,
    which makes the rows (the first ``limit``) with each value as a format's cell."""

    __slots__ = ("headers", "rows", "source", "title")

    def __init__(self, title: str, headers: list[str], rows: list[list[Any]] | None = None,
                 source: Callable[[Cells, int | None], Iterator[list[Any]]] | None = None,
                 ) -> None:
        self.title = title
        self.headers = headers
        self.rows: list[list[Any]] = [] if rows is None else rows
        self.source = source


def table_rows(table: Table, cell: Cells, limit: int | None = None) -> Iterator[list[Any]]:
    """The table's rows (the first ``limit``) with each value as ``cell(value)``, worked
    out once per distinct value (most cells repeat: statuses, flags, dates, names)."""
    if table.source is not None:
        return table.source(cell, limit)
    converted = _Memo(lambda key: cell(key[1]))
    return ([converted[type(c), c] for c in row] for row in table.rows[:limit])


def table_cells(table: Table, cell: Cells, limit: int | None = None) -> list[list[Any]]:
    """``table_rows`` as a list."""
    return list(table_rows(table, cell, limit))


def task_headers(snapshot: Snapshot) -> list[str]:
    lang = _lang()
    headers = [_(f"col.{k}") for k in ("id", "prefecture", "code", "county", "rec",
                                       "status", "owner", "due", "next")]
    headers += [_("export.col.last_date"), _("export.col.last_kind"),
                _("export.col.last_outcome"), _("flag.overdue"), _("flag.stale")]
    for raw in snapshot["indicators"]:
        title = raw["title"][lang]
        headers += [_("export.col.value", title=title, unit=raw["unit"][lang]),
                    _("export.col.progress", title=title)]
    return headers


def task_table(snapshot: Snapshot) -> Table:
    """One row per task: where it stands and its recommendation's indicator values."""
    return Table(_("export.tasks"), task_headers(snapshot),
                 source=lambda cell, limit: task_rows(snapshot, cell, limit))


def task_rows(snapshot: Snapshot, cell: Cells, limit: int | None = None,
              ) -> Iterator[list[Any]]:
    """The rows of the task table, each value as ``cell(value)``: what a format makes of
    a cell, worked out once per distinct value, and once per county for the county's
    three cells. Every format writes its 14,000 task rows from here (converting each of
    their 420,000 cells one by one cost ~45 ms a format, on top of building the table).
    Made as they are taken: the XLSX writer compresses the first while it makes more."""
    lang = _lang()
    counties = {c["code"]: c for c in snapshot["counties"]}
    prefectures = {p["code"]: p["name"][lang] for p in snapshot["prefectures"]}
    indicators = snapshot["indicators"]
    value = _Memo(lambda key: cell(key[1]))  # (type, value): True is not 1, nor 1 1.0

    def word(f: Callable[[str], str]) -> _Memo:
        return _Memo(lambda text: value[str, f(text)])

    def text(f: Callable[[Any], str]) -> _Memo:  # user text: an empty one is no value
        return _Memo(lambda raw: value[str, f(raw)] if f(raw) else none)

    none = value[type(None), None]
    status = word(lambda key: _(f"status.{key}"))
    kind = word(lambda key: _(f"kind.{key}"))
    progress = word(_progress)
    owner = text(lambda raw: clean_text(raw or ""))
    outcome = text(lambda raw: clean_text(raw or "", single_line=True))
    flag = {True: value[str, _yes_no(True)], False: value[str, _yes_no(False)]}
    places = _Memo(lambda key: [value[str, prefectures.get(key[0], key[0])],
                                value[str, key[1]],
                                value[str, counties[key[1]]["name"][lang]]])
    # Per recommendation: the indicator cells, empty but for its own indicators (their
    # positions, filled per task from the county's values).
    blank = [none] * (2 * len(indicators))
    own: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
    for position, raw in enumerate(indicators):
        own.setdefault(raw["recommendation"], []).append((2 * position, raw["id"], raw))
    # Codes and dates are text (or None): looked up by themselves, no type needed. Ids
    # are all different: converted, not looked up.
    plain = _Memo(lambda text: value[type(text), text])
    no_last = [none, none, none]
    fields = itemgetter("id", "prefecture", "county", "recommendation", "status", "owner",
                        "due", "next_followup", "last_followup", "overdue", "stale")
    tasks = snapshot["tasks"] if limit is None else snapshot["tasks"][:limit]
    for ident, city, county, rec, state, who, due, following, last, overdue, stale in map(
            fields, tasks):
        mine = own.get(rec)
        if mine:
            tail = blank.copy()
            values = counties[county]["values"]
            for position, key, raw in mine:
                standing = values[key]
                if standing["value"] is not None:  # most counties, most targets: no data
                    shown = _display(raw, standing)
                    tail[position] = value[type(shown), shown]
                tail[position + 1] = progress[standing["status"]]
        else:
            tail = blank
        yield [
            cell(ident), *places[city, county], plain[rec], status[state], owner[who],
            plain[due], plain[following],
            *([plain[last.get("date")], kind[last["kind"]], outcome[last.get("outcome")]]
              if last else no_last),
            flag[bool(overdue)], flag[bool(stale)], *tail]


def _areas(snapshot: Snapshot) -> list[tuple[str, str, dict[str, Any]]]:
    """(code, name, roll-up) for the whole selection, then each prefecture."""
    lang = _lang()
    names = {p["code"]: p["name"][lang] for p in snapshot["prefectures"]}
    total = snapshot["rollups"]["total"]
    areas = [("", _("export.total"), total)]
    return areas + [(r["code"], names.get(r["code"], r["code"]), r)
                    for r in snapshot["rollups"]["prefectures"]]


def rollup_table(snapshot: Snapshot) -> Table:
    """One row per area and indicator."""
    lang = _lang()
    headers = [_("export.col.area_code"), _("export.col.area"), _("export.col.indicator_id"),
               _("export.col.indicator_title"), _("col.rec"), _("export.col.counties"),
               _("col.with_data"), _("export.col.meeting"), _("export.col.share_meeting"),
               _("export.col.area_value"), _("export.col.required"), _("export.col.threshold"),
               _("col.deadline"), _("col.days"),
               *[_progress(s.value) for s in ProgressStatus], _("export.col.gap")]
    table = Table(_("export.rollups"), headers)
    for code, name, area in _areas(snapshot):
        for raw in snapshot["indicators"]:
            r = area["indicators"][raw["id"]]
            share = r["share_meeting"]
            table.rows.append([
                code or None, name, raw["id"], raw["title"][lang], raw["recommendation"],
                r["counties"], r["with_data"], r["meeting"],
                None if share is None else round(100 * share, 1), r["value"], r["required"],
                _threshold(raw), r["deadline"], r["days_left"],
                *[r["statuses"].get(s.value, 0) for s in ProgressStatus], r["gap"]])
    return table


def _threshold(raw: dict[str, Any]) -> str:
    return threshold_text(target_row(indicator_from_json(raw), _EMPTY_ROW))


_EMPTY_ROW: dict[str, Any] = {
    "counties": 0, "with_data": 0, "meeting": 0, "value": None, "required": None,
    "deadline": "2000-01-01", "days_left": 0, "statuses": {}, "gap": None}


def metadata_table(snapshot: Snapshot) -> Table:
    return Table(_("export.metadata"), [_("export.col.key"), _("export.col.value_plain")],
                 [list(row) for row in metadata(snapshot)])


# -- CSV ---------------------------------------------------------------------------------------
def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(
            value):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(value)
    return neutralise(value)


def write_csv(snapshot: Snapshot) -> bytes:
    """UTF-8 with a BOM (Excel and WPS then read Chinese correctly), RFC 4180 quoting and
    CRLF line ends; three blocks separated by an empty line: metadata, tasks, roll-ups.
    Each row's fields are joined here, quoted as the csv module's writer quotes them (the
    tests hold the two to the same bytes): its writer took ~20 ms more for the tasks."""
    lines = []
    for number, table in enumerate((metadata_table(snapshot), task_table(snapshot),
                                    rollup_table(snapshot))):
        if number:
            lines.append("")
        lines.append(_csv_field(table.title))
        lines.append(",".join([_csv_field(h) for h in table.headers]))
        lines += map(",".join, table_rows(table, _csv_field))
    lines.append("")
    return "\r\n".join(lines).encode("utf-8-sig")


_CSV_QUOTED = re.compile(r'[,"\r\n]')
_FORMULA_FIRST = "".join(FORMULA_START)


def _csv_field(value: Any) -> str:
    """A value as a CSV field: None empty, a formula neutralised, quoted where it holds a
    comma, a quote or a line break (the csv module's QUOTE_MINIMAL)."""
    if type(value) is str and value and value[0] not in _FORMULA_FIRST \
            and not _CSV_QUOTED.search(value):  # most text: as it is
        return value
    value = _csv_cell(value)
    text = value if isinstance(value, str) else str(value)
    if _CSV_QUOTED.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


# -- XLSX --------------------------------------------------------------------------------------
def write_xlsx(snapshot: Snapshot) -> bytes:
    """Sheets tasks, roll-ups and metadata; frozen header row, widths from the content;
    text stays text (a cell starting with = is a string, never a formula). Written by
    tracker.formats.xlsx in one pass (openpyxl took ~1.2 s for 14,000 tasks)."""
    from tracker.formats.xlsx import Sheet, Strings, workbook

    strings = Strings()
    sheets = [Sheet(_sheet_name(table.title), table.headers, table_rows(table, strings.cell),
                    _widths(table))
              for table in (task_table(snapshot), rollup_table(snapshot),
                            metadata_table(snapshot))]
    generated = datetime.fromisoformat(snapshot["provenance"]["generated_at"])
    return workbook(sheets, title=snapshot["provenance"]["plan"]["title"][_lang()],
                    creator=snapshot["provenance"]["generated_by"],
                    moment=generated.astimezone(UTC), strings=strings)


def _sheet_name(title: str) -> str:
    return re.sub(r"[\\/?*\[\]:]", " ", title)[:31]


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    if text.isascii():
        return len(text)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _widths(table: Table, sample: int = 300) -> list[float]:
    """Column widths from the header and the first ``sample`` rows, 6 to 50 characters."""
    # Each cell as its width (worked out once per distinct value), then the widest of
    # each column.
    rows = table_cells(table, _width, sample)
    widths = map(max, zip([_width(h) for h in table.headers], *rows, strict=True))
    return [min(50, max(6, w + 2)) for w in widths]


# -- JSON --------------------------------------------------------------------------------------
def write_json(snapshot: Snapshot) -> bytes:
    """The document itself (docs/snapshot-format.md), one task or county per line, each
    encoded by orjson (compact, UTF-8): line-based diffs of two snapshots read well, and
    14,000 tasks take ~15 ms rather than the standard encoder's ~60."""
    dump = orjson.dumps
    out = [b"{"]  # pieces joined once at the end (no copies of the 3 MB task list)
    for number, (key, value) in enumerate(snapshot.items()):
        head = b"%s\n %s: " % (b"," if number else b"", dump(key))
        if isinstance(value, list) and value:
            out += [head, b"[\n  ", _one_per_line(value), b"\n ]"]
        elif isinstance(value, dict) and value:
            out += [head, b"{\n  ", b",\n  ".join([b"%s: %s" % (dump(k), dump(v))
                                                   for k, v in value.items()]), b"\n }"]
        else:
            out += [head, dump(value)]
    out.append(b"\n}\n")
    return b"".join(out)


def _one_per_line(items: list[Any]) -> bytes:
    """The items' JSON joined by ",\\n  ". Objects that all start with the same key K are
    encoded as one list (a call per item costs more than encoding it) and cut where one
    ends and the next begins, at ``},{"K":``: that text cannot occur inside a string
    (its quote would be escaped), so it occurs once per boundary, and more often only if
    an object nests objects starting with K in a list; then, item by item."""
    dump = orjson.dumps
    first = items[0]
    if isinstance(first, dict) and first:
        key = next(iter(first))
        if all(type(item) is dict and item and next(iter(item)) == key for item in items):
            cut = b"},{" + dump(key) + b":"
            whole = dump(items)[1:-1]
            if whole.count(cut) == len(items) - 1:
                return whole.replace(cut, b"},\n  {" + dump(key) + b":")
    return b",\n  ".join(map(dump, items))


# -- the printable report (Markdown, HTML) -----------------------------------------------------
class Bar(NamedTuple):
    """A progress bar cell: ``share`` of 1, and the words beside it."""

    share: float
    label: str


def report_tables(snapshot: Snapshot) -> list[Table]:
    """The dashboard's tables: targets, tasks by recommendation, prefectures x targets;
    then every task."""
    lang = _lang()
    indicators = [(raw, indicator_from_json(raw)) for raw in snapshot["indicators"]]
    total = snapshot["rollups"]["total"]
    targets = Table(_("report.targets"), [
        "#", _("col.indicator"), _("col.rec"), _("export.col.meeting"), _("col.province"),
        _("export.col.threshold"), _("col.deadline"), _("col.days"),
        *[_progress(s.value) for s in ProgressStatus], _("export.col.gap")])
    for number, (raw, indicator) in enumerate(indicators, start=1):
        r = total["indicators"][raw["id"]]
        row = target_row(indicator, r)
        targets.rows.append([
            f"T{number}", raw["title"][lang], raw["recommendation"],
            Bar(row.share_meeting or 0.0, f"{r['meeting']}/{r['counties']}"),
            target_value(row), threshold_text(row), r["deadline"], r["days_left"],
            *[r["statuses"].get(s.value, 0) for s in ProgressStatus],
            "" if r["gap"] is None else r["gap"]])
    by_rec = Table(_("report.by_rec"), [_("col.rec"), _("col.title"),
                                        *[_(f"status.{s.value}") for s in Status]])
    counts = Counter(map(itemgetter("recommendation", "status"), snapshot["tasks"]))
    for rec in snapshot["recommendations"]:
        by_rec.rows.append([rec["id"], rec["title"][lang],
                            *[counts[rec["id"], s.value] for s in Status]])
    matrix = Table(_("report.by_prefecture"), [
        _("col.prefecture"), _("col.closed"),
        *[f"T{n}" for n in range(1, len(indicators) + 1)]])
    closed = (Status.DONE.value, Status.VERIFIED.value, Status.NOT_APPLICABLE.value)
    for _code, name, area in _areas(snapshot)[1:]:
        tasks = area["tasks"]
        done = sum(tasks.get(s, 0) for s in closed)
        matrix.rows.append([name, f"{done}/{sum(tasks.values())}", *[
            Bar(area["indicators"][raw["id"]]["share_meeting"] or 0.0,
                f"{area['indicators'][raw['id']]['meeting']}/{area['counties']}")
            for raw, _i in indicators]])
    return [targets, by_rec, matrix, task_table(snapshot)]


def _legend(snapshot: Snapshot) -> list[str]:
    lang = _lang()
    return [f"T{n}: {raw['title'][lang]}" for n, raw in enumerate(snapshot["indicators"], 1)]


def _text_bar(bar: Bar) -> str:
    filled = round(max(0.0, min(1.0, bar.share)) * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled) + " " + bar.label


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def _as_is(text: str) -> bool:
    """Whether ``clean_text`` (either way) leaves ``text`` as it is: nothing it removes
    (anything it removes is not printable), no space to trim or collapse."""
    return text.isprintable() and text[:1] != " " and text[-1:] != " " and "  " not in text


def _md(value: Any) -> str:
    if type(value) is str and _as_is(value) and not _MD_SPECIAL.search(value):
        return value  # most text: as it is
    if value is None:
        return ""
    if isinstance(value, Bar):
        return _text_bar(value)
    text = clean_text(str(value), single_line=True)
    return _MD_SPECIAL.sub(r"\\\1", text)


class _Memo(dict[Any, Any]):
    """``f(key)`` per distinct key, worked out once. For table cells the key is the
    value's (type, value): the type keeps True apart from 1, and 1 from 1.0."""

    def __init__(self, f: Callable[[Any], Any]) -> None:
        super().__init__()
        self._f = f

    def __missing__(self, key: Any) -> Any:
        result = self[key] = self._f(key)
        return result


def write_md(snapshot: Snapshot) -> bytes:
    p = snapshot["provenance"]
    lines = [f"# {_md(p['plan']['title'][_lang()])}", ""]
    if p.get("demo"):
        lines += [f"**{_md(_('demo.banner'))}**", ""]
    lines += [f"{_md(_('export.as_of_line', date=p['as_of']))}", ""]
    tables = [metadata_table(snapshot), *report_tables(snapshot)]
    for number, table in enumerate(tables):
        lines += [f"## {_md(table.title)}", ""]
        if number == 3:
            lines += [f"- {_md(item)}" for item in _legend(snapshot)] + [""]
        lines.append("| " + " | ".join(_md(h) for h in table.headers) + " |")
        lines.append("|" + "---|" * len(table.headers))
        lines += ["| " + " | ".join(row) + " |" for row in table_rows(table, _md)]
        lines.append("")
    return "\n".join(lines).encode("utf-8")


HTML_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       font-size: 10pt; margin: 1.5em; color: #111; }
h1 { font-size: 16pt; } h2 { font-size: 12pt; margin-top: 1.5em; }
.demo { border: 2px solid #b58900; background: #fdf6e3; padding: .4em .8em; font-weight: bold; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; } td.n { text-align: right; }
.bar { display: inline-block; width: 6em; height: .8em; background: #eee;
       border: 1px solid #999; vertical-align: middle; margin-right: .4em; }
.bar > span { display: block; height: 100%; background: #2e7d32; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@media print { @page { size: A4 landscape; margin: 12mm; } body { margin: 0; }
               thead { display: table-header-group; } tr { break-inside: avoid; } }
"""


def _h(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Bar):
        width = round(max(0.0, min(1.0, value.share)) * 100)
        return (f'<span class="bar"><span style="width:{width}%"></span></span>'
                f"{_escape(value.label)}")
    return _escape(clean_text(str(value)))


def _escape(text: str) -> str:
    """html.escape(text, quote=True), without importing html (and its entity tables)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#x27;"))


_HTML_SPECIAL = re.compile("[&<>\"']")


def _td(value: Any) -> str:
    """A body cell. Its end tag, and its row's, are left out, as HTML allows before the
    next cell or row (a third of the page's bytes were ``</td>``, 14,000 rows x 30)."""
    if type(value) is str and _as_is(value) and not _HTML_SPECIAL.search(value):
        return f"<td>{value}"  # most text: as it is
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return f'<td class="n">{_h(value)}' if numeric else f"<td>{_h(value)}"


def write_html(snapshot: Snapshot) -> bytes:
    """One self-contained, printable page: inline style, no scripts, no links."""
    p = snapshot["provenance"]
    lang = _lang()
    title = _h(p["plan"]["title"][lang])
    out = [f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">',
           f'<head><meta charset="utf-8"><title>{title} · {_h(p["as_of"])}</title>',
           f"<style>{HTML_STYLE}</style></head>", "<body>", f"<h1>{title}</h1>"]
    if p.get("demo"):
        out.append(f'<p class="demo">{_h(_("demo.banner"))}</p>')
    out.append(f"<p>{_h(_('export.as_of_line', date=p['as_of']))}</p>")
    for number, table in enumerate([metadata_table(snapshot), *report_tables(snapshot)]):
        out.append(f"<h2>{_h(table.title)}</h2>")
        if number == 3:
            out.append("<ul>" + "".join(f"<li>{_h(i)}</li>" for i in _legend(snapshot))
                       + "</ul>")
        out.append("<table><thead><tr>" + "".join(f"<th>{_h(h)}</th>" for h in table.headers)
                   + "</tr></thead><tbody>")
        out += ["<tr>" + "".join(row) for row in table_rows(table, _td)]
        out.append("</tbody></table>")
    out.append("</body></html>\n")
    return "\n".join(out).encode("utf-8")


WRITERS: dict[str, Callable[[Snapshot], bytes]] = {
    "csv": write_csv, "xlsx": write_xlsx, "json": write_json, "md": write_md,
    "html": write_html,
}


# -- writing a snapshot to a file (the CLI's export and the app's) ---------------------
def snapshot_of(store: Any, view: Any, **selection: Any) -> Any:
    from tracker.formats.snapshot import build_snapshot

    as_of = view.as_of or store.clock().date()
    head = view.head or store.view().head  # a view rebuilt as of a date has no head
    return build_snapshot(view, as_of, generated_at=store.clock(), generated_by=store.user,
                          head=head, **selection)


def write_snapshot(snapshot: Any, fmt: str, path: Path, store: Any = None) -> tuple[str, Path]:
    from tracker.storage.files import write_with_checksum

    if store is not None:  # an export must never replace the database's own files
        own = {store.path, store.history.path, store.lock_path}
        if path.resolve() in {p.resolve() for p in own}:
            raise UsageError("export.own_file", path=str(path))
    return write_with_checksum(path, render(snapshot, fmt))


def export_snapshot(store: Any, view: Any, fmt: str, path: Path,
                    **selection: Any) -> tuple[Any, str, Path]:
    """Write the snapshot of ``view`` to ``path`` (and ``PATH.sha256``); the CLI's
    export and the app's both come here. Returns the snapshot, digest, checksum file."""
    snapshot = snapshot_of(store, view, **selection)
    digest, checksum = write_snapshot(snapshot, fmt, path, store)
    return snapshot, digest, checksum
