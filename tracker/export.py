"""Writers: a snapshot (tracker.snapshot) as CSV, XLSX, JSON, Markdown or HTML bytes.

Every writer renders the same document, so a merged snapshot exports like a live one.
Words come from the catalogs in the current language; names are taken in that language
from the snapshot's bilingual texts. Text is data everywhere: CSV and XLSX cells never
become formulas, Markdown escapes its punctuation, HTML escapes everything.
openpyxl is imported only when XLSX is asked for.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tracker.i18n import _, get_language
from tracker.model import Status
from tracker.progress import ProgressStatus
from tracker.snapshot import Snapshot, indicator_from_json, target_row
from tracker.text import clean_text

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


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def task_table(snapshot: Snapshot) -> Table:
    """One row per task: where it stands and its recommendation's indicator values."""
    lang = _lang()
    counties = {c["code"]: c for c in snapshot["counties"]}
    prefectures = {p["code"]: p["name"][lang] for p in snapshot["prefectures"]}
    indicators = snapshot["indicators"]
    headers = [_(f"col.{k}") for k in ("id", "prefecture", "code", "county", "rec",
                                       "status", "owner", "due", "next")]
    headers += [_("export.col.last_date"), _("export.col.last_kind"),
                _("export.col.last_outcome"), _("flag.overdue"), _("flag.stale")]
    for raw in indicators:
        title = raw["title"][lang]
        headers += [_("export.col.value", title=title, unit=raw["unit"][lang]),
                    _("export.col.progress", title=title)]
    table = Table(_("export.tasks"), headers)
    # Words looked up once per distinct key, not once per cell (14,000 rows).
    status = _Memo(lambda text: _(f"status.{text}"))
    kind = _Memo(lambda text: _(f"kind.{text}"))
    progress = _Memo(_progress)
    yes_no = {True: _yes_no(True), False: _yes_no(False)}
    owners = _Memo(lambda text: clean_text(text or "") or None)
    for task in snapshot["tasks"]:
        county = counties[task["county"]]
        last = task["last_followup"] or {}
        row: list[Any] = [
            task["id"], prefectures.get(task["prefecture"], task["prefecture"]),
            task["county"], county["name"][lang], task["recommendation"],
            status[str, task["status"]], owners[str, task["owner"]],
            task["due"], task["next_followup"], last.get("date"),
            kind[str, last["kind"]] if last else None,
            clean_text(last.get("outcome") or "", single_line=True) or None,
            yes_no[bool(task["overdue"])], yes_no[bool(task["stale"])],
        ]
        for raw in indicators:
            value = county["values"][raw["id"]]
            if raw["recommendation"] == task["recommendation"]:
                row += [_display(raw, value), progress[str, value["status"]]]
            else:
                row += [None, None]
        table.rows.append(row)
    return table


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
    from tracker.render import threshold_text  # rich is only needed for the reports

    return threshold_text(target_row(indicator_from_json(raw), _EMPTY_ROW))


_EMPTY_ROW = {"counties": 0, "with_data": 0, "meeting": 0, "value": None, "required": None,
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
    CRLF line ends; three blocks separated by an empty line: metadata, tasks, roll-ups."""
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for number, table in enumerate((metadata_table(snapshot), task_table(snapshot),
                                    rollup_table(snapshot))):
        if number:
            writer.writerow([])
        writer.writerow([neutralise(table.title)])
        writer.writerow([neutralise(h) for h in table.headers])
        cell = _Memo(_csv_cell)  # most cells repeat (statuses, flags, dates, names)
        writer.writerows([cell[type(c), c] for c in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")


# -- XLSX --------------------------------------------------------------------------------------
def write_xlsx(snapshot: Snapshot) -> bytes:
    """Sheets tasks, roll-ups and metadata; frozen header row, widths from the content;
    text stays text (a cell starting with = is a string, never a formula). Written by
    tracker.xlsx in one pass (openpyxl took ~1.2 s for 14,000 tasks)."""
    from tracker.xlsx import Sheet, workbook

    sheets = [Sheet(_sheet_name(table.title), table.headers,
                    [[_xlsx_cell(c) for c in row] for row in table.rows], _widths(table))
              for table in (task_table(snapshot), rollup_table(snapshot),
                            metadata_table(snapshot))]
    generated = datetime.fromisoformat(snapshot["provenance"]["generated_at"])
    return workbook(sheets, title=snapshot["provenance"]["plan"]["title"][_lang()],
                    creator=snapshot["provenance"]["generated_by"],
                    moment=generated.astimezone(UTC))


def _xlsx_cell(value: Any) -> Any:
    # Stored text is cleaned on entry; a hand-edited snapshot may still hold control
    # characters, which XLSX cannot store.
    if isinstance(value, str) and not value.isprintable():
        return clean_text(value)
    return value


def _sheet_name(title: str) -> str:
    return re.sub(r"[\\/?*\[\]:]", " ", title)[:31]


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _widths(table: Table, sample: int = 300) -> list[float]:
    """Column widths from the header and the first ``sample`` rows, 6 to 50 characters."""
    widths = [_width(h) for h in table.headers]
    for row in table.rows[:sample]:
        for column, value in enumerate(row):
            widths[column] = max(widths[column], _width(value))
    return [min(50, max(6, w + 2)) for w in widths]


# -- JSON --------------------------------------------------------------------------------------
def write_json(snapshot: Snapshot) -> bytes:
    """The document itself (docs/snapshot-format.md), one task or county per line: the
    C encoder does each line, and line-based diffs of two snapshots read well."""
    dump = line_encoder()
    out = ["{"]  # pieces joined once at the end (no copies of the 3 MB task list)
    for number, (key, value) in enumerate(snapshot.items()):
        head = f"{',' if number else ''}\n {dump(key)}: "
        if isinstance(value, list) and value:
            out += [head, "[\n  ", ",\n  ".join([dump(item) for item in value]), "\n ]"]
        elif isinstance(value, dict) and value:
            out += [head, "{\n  ", ",\n  ".join([f"{dump(k)}: {dump(v)}"
                                                  for k, v in value.items()]), "\n }"]
        else:
            out += [head, dump(value)]
    out.append("\n}\n")
    return "".join(out).encode("utf-8")


def line_encoder() -> Callable[[Any], str]:
    """``json.JSONEncoder(ensure_ascii=False).encode``, the same text, with one C encoder
    made once for all lines: ``encode`` makes a new one for every call, which costs more
    than encoding a short line (-15 ms over 16,000 lines)."""
    from json import encoder

    plain = json.JSONEncoder(ensure_ascii=False)
    if encoder.c_make_encoder is None:  # no C accelerator: the plain encoder
        return plain.encode
    make = encoder.c_make_encoder(
        {}, plain.default, encoder.encode_basestring, None, plain.key_separator,
        plain.item_separator, plain.sort_keys, plain.skipkeys, plain.allow_nan)
    join = "".join

    def dump(value: Any) -> str:
        return join(make(value, 0))

    return dump


# -- the printable report (Markdown, HTML) -----------------------------------------------------
@dataclass(frozen=True)
class Bar:
    """A progress bar cell: ``share`` of 1, and the words beside it."""

    share: float
    label: str


def report_tables(snapshot: Snapshot) -> list[Table]:
    """The dashboard's tables: targets, tasks by recommendation, prefectures x targets;
    then every task."""
    from tracker.render import target_value, threshold_text

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
    counts: dict[str, dict[str, int]] = {}
    for task in snapshot["tasks"]:
        per = counts.setdefault(task["recommendation"], {})
        per[task["status"]] = per.get(task["status"], 0) + 1
    for rec in snapshot["recommendations"]:
        per = counts.get(rec["id"], {})
        by_rec.rows.append([rec["id"], rec["title"][lang],
                            *[per.get(s.value, 0) for s in Status]])
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


def _md(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Bar):
        return _text_bar(value)
    text = clean_text(str(value), single_line=True)
    return _MD_SPECIAL.sub(r"\\\1", text)


class _Memo(dict[tuple[type, Any], str]):
    """``f(value)`` per distinct (type, value) of a table's cells, worked out once (the
    type in the key keeps True apart from 1, and 1 from 1.0)."""

    def __init__(self, f: Callable[[Any], str]) -> None:
        super().__init__()
        self._f = f

    def __missing__(self, key: tuple[type, Any]) -> str:
        text = self[key] = self._f(key[1])
        return text


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
        md = _Memo(_md)  # most cells repeat (statuses, flags, dates, names)
        lines += ["| " + " | ".join([md[type(c), c] for c in row]) + " |"
                  for row in table.rows]
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


def _td(value: Any) -> str:
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return f'<td class="n">{_h(value)}</td>' if numeric else f"<td>{_h(value)}</td>"


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
        td = _Memo(_td)  # most cells repeat (statuses, flags, dates, names)
        out.extend("<tr>" + "".join([td[type(c), c] for c in row]) + "</tr>"
                   for row in table.rows)
        out.append("</tbody></table>")
    out.append("</body></html>\n")
    return "\n".join(out).encode("utf-8")


WRITERS: dict[str, Callable[[Snapshot], bytes]] = {
    "csv": write_csv, "xlsx": write_xlsx, "json": write_json, "md": write_md,
    "html": write_html,
}
