"""HTML pages for people: the leaders' summary (at most 3 A4 pages, `--details` adds every
task on landscape pages) and a county's one-pager.

One self-contained page each: inline style and SVG, no script, no link. Every value is
escaped; status is shown in words and colour (and the words alone suffice in black and
white).
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from tracker.domain.text import clean_text
from tracker.formats import summary
from tracker.formats.charts import share_bar_svg, trend_svg
from tracker.formats.snapshot import Snapshot, indicator_from_json
from tracker.formats.tables import task_table
from tracker.formats.trends import charted_threshold, charted_value, numeric_target
from tracker.i18n import _, get_language

STYLE = """
@page { size: A4; margin: 12mm 12mm 14mm; }
@page details { size: A4 landscape; margin: 10mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC",
       sans-serif; font-size: 9pt; margin: 0; color: #111; }
h1 { font-size: 15pt; margin: 0 0 .2em; } h2 { font-size: 11pt; margin: .9em 0 .3em; }
h2, h3 { break-after: avoid; page-break-after: avoid; }
p { margin: .2em 0; }
.demo { border: 2px solid #b58900; padding: .2em .6em; font-weight: bold; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: 1px 4px; text-align: left; vertical-align: middle; }
th { background: #eee; font-weight: bold; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.n, th.n { text-align: right; }
.nowrap, td.name { white-space: nowrap; word-break: keep-all; }
.status { display: inline-block; border: 1px solid; border-radius: 3px; padding: 0 4px;
          font-weight: bold; white-space: nowrap; }
.met { color: #1b5e20; background: #e8f5e9; }
.on_track { color: #0d47a1; background: #e3f2fd; }
.at_risk { color: #8a4b00; background: #fff3e0; }
.off_track { color: #b71c1c; background: #ffebee; }
.no_data { color: #424242; background: #f5f5f5; }
.keep { break-inside: avoid; page-break-inside: avoid; }
.cols { display: flex; gap: 1.2em; } .cols > div { flex: 1; }
.provenance td { font-size: 8pt; } .provenance { width: auto; }
.chart { display: block; }
th, .targets td:nth-child(3), .targets td:nth-child(7), .targets td:nth-child(8),
.matrix td { white-space: nowrap; word-break: keep-all; }
.compact td { font-size: 8pt; } .small { font-size: 7.5pt; color: #444; }
section.details { page: details; break-before: page; }
.details table { table-layout: fixed; font-size: 7.5pt; }
.details td { overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
"""


def h(value: Any) -> str:
    """A value as escaped text (user text cleaned of control characters)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return escape(_("value.yes") if value else _("value.no"))
    if isinstance(value, date):
        return value.isoformat()
    return escape(clean_text(str(value)))


def status_badge(code: str) -> str:
    return f'<span class="status {escape(code)}">{h(_(f"progress.{code}"))}</span>'


def _head(snapshot: Snapshot, title: str) -> list[str]:
    p = snapshot["provenance"]
    lang = get_language()
    out = [f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">',
           f'<head><meta charset="utf-8"><title>{h(title)} · {h(p["as_of"])}</title>',
           f"<style>{STYLE}</style></head>", "<body>", f"<h1>{h(title)}</h1>"]
    if p.get("demo"):
        out.append(f'<p class="demo">{h(_("demo.banner"))}</p>')
    out.append(f"<p>{h(_('export.as_of_line', date=p['as_of']))}</p>")
    return out


def _table(headers: list[str], rows: list[list[str]], *, numeric: set[int] | None = None,
           classes: str = "") -> str:
    """A table of ready-made (escaped) cells."""
    numeric = numeric or set()
    head = "".join(f'<th{" class=n" if i in numeric else ""}>{c}</th>'
                   for i, c in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td{" class=n" if i in numeric else ""}>{c}</td>'
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    cls = f' class="{classes}"' if classes else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def targets_html(snapshot: Snapshot) -> str:
    rows = []
    for t in summary.targets(snapshot):
        chart = trend_svg(t.charted, threshold=t.threshold_line,
                          deadline=date.fromisoformat(t.deadline), projected=t.projected,
                          percent=t.percent, label=t.title)
        rows.append([h(t.number), h(t.title), h(t.recommendation), status_badge(t.status),
                     h(t.value), h(t.threshold), h(f"{t.meeting}/{t.counties}"),
                     h(t.deadline), chart])
    return _table(["#", h(_("col.indicator")), h(_("col.rec")), h(_("export.col.area_status")),
                   h(_("col.province")), h(_("export.col.threshold")),
                   h(_("export.col.meeting")), h(_("col.deadline")),
                   h(_("export.col.trend_chart"))], rows, classes="targets")


def matrix_html(snapshot: Snapshot) -> str:
    recs, rows = summary.matrix(snapshot)
    body = []
    for name, cells in rows:
        body.append([f'<span class="nowrap">{h(name)}</span>'] + [
            f"{share_bar_svg(a / b if b else 0.0, width=34)} {a}/{b}" for a, b in cells])
    return _table([h(_("col.prefecture")), *[h(r) for r in recs], h(_("export.col.all"))],
                  body, classes="matrix")


def counties_html(snapshot: Snapshot) -> str:
    behind, met = summary.furthest_and_met(snapshot)
    first = summary.headline(snapshot)
    if first is None:
        return ""
    title = first["title"][get_language()]
    rows = [[f'<span class="nowrap">{h(s.name)}</span>', h(s.prefecture),
             "-" if s.value is None else f"{s.value:.1f}", status_badge(s.status)]
            for s in behind]
    headers = [h(_("col.county")), h(_("col.prefecture")), h(_("col.value")),
               h(_("col.status"))]
    met_names = "、".join(h(s.name) for s in met) if get_language() == "zh" else ", ".join(
        h(s.name) for s in met)
    return (f'<div class="cols keep"><div><h2>{h(_("export.furthest"))}: {h(title)}</h2>'
            f"{_table(headers, rows, numeric={2})}</div>"
            f'<div><h2>{h(_("export.met_headline", count=len(met)))}: {h(title)}</h2>'
            f"<p>{met_names or h(_('diff.none').strip())}</p></div></div>")


def changes_html(snapshot: Snapshot, changes: dict[str, Any], since: str | None) -> str:
    out = [f'<h2>{h(_("export.changes_since", date=since or changes["from"]["as_of"]))}</h2>']
    for heading, lines, count in summary.change_lines(snapshot, changes):
        out.append(f'<div class="keep"><h3>{h(heading)}</h3><ul>')
        out += [f"<li>{h(line)}</li>" for line in lines]
        if count > len(lines):
            out.append(f"<li>{h(_('export.and_more', count=count - len(lines)))}</li>")
        if not lines:
            out.append(f"<li>{h(_('diff.none').strip())}</li>")
        out.append("</ul></div>")
    return "".join(out)


def provenance_html(snapshot: Snapshot) -> str:
    rows = [[h(k), h(v)] for k, v in summary.provenance_rows(snapshot)]
    table = _table([h(_("export.col.key")), h(_("export.col.value_plain"))], rows,
                   classes="provenance")
    return f'<div class="keep"><h2>{h(_("export.provenance"))}</h2>{table}</div>'


DETAIL_COLUMNS = (("task_id", 9), ("prefecture", 7), ("county", 8), ("recommendation", 4),
                  ("status_label", 7), ("owner", 6), ("due", 8), ("next_followup", 8),
                  ("last_followup", 8), ("last_followup_kind_label", 6),
                  ("last_followup_outcome", 29))


def details_html(snapshot: Snapshot) -> str:
    """Every task, on landscape pages: header row repeated, one line a task."""
    table = task_table(snapshot)
    codes = [c.code for c in table.columns]
    where = [codes.index(code) for code, _w in DETAIL_COLUMNS]
    cols = "".join(f'<col style="width:{w}%">' for _c, w in DETAIL_COLUMNS)
    head = "".join(f"<th>{h(table.columns[i].label)}</th>" for i in where)
    body = "".join("<tr>" + "".join(f"<td>{h(row[i])}</td>" for i in where) + "</tr>"
                   for row in table.rows)
    return (f'<section class="details"><h2>{h(table.title)}</h2>'
            f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></section>")


def summary_page(snapshot: Snapshot, options: Any) -> bytes:
    """The leaders' summary: targets with status and trend, the prefecture x
    recommendation matrix, the counties furthest from the headline target and those
    that met it, the changes since ``options.since``; provenance at the end."""
    title = snapshot["provenance"]["plan"]["title"][get_language()]
    out = _head(snapshot, title)
    out.append(f'<h2>{h(_("report.targets"))}</h2>{targets_html(snapshot)}')
    out.append(f'<p>{h(_("export.chart_legend"))}</p>')
    out.append(f'<div class="keep"><h2>{h(_("export.matrix"))}</h2>{matrix_html(snapshot)}'
               "</div>")
    out.append(counties_html(snapshot))
    if options.changes is not None:
        out.append(changes_html(snapshot, options.changes, options.since))
    out.append(provenance_html(snapshot))
    if options.details:
        out.append(details_html(snapshot))
    out.append("</body></html>\n")
    return "\n".join(out).encode("utf-8")


def _county_value(raw: dict[str, Any], value: dict[str, Any]) -> str:
    shown = value["value"]
    if shown is None:
        return "-"
    if isinstance(shown, bool):
        return _("value.yes") if shown else _("value.no")
    if isinstance(shown, float):
        shown = f"{shown:.1f}"
    if raw["comparison"] == ">=standard" and value["required"] is not None:
        return f"{shown}/{value['required']}"
    return str(shown)


def county_page(snapshot: Snapshot, options: Any) -> bytes:
    """One county on one A4 page: its facts, every target with its status and trend,
    its tasks with owners and dates, the latest follow-ups."""
    lang = get_language()
    county = next(c for c in snapshot["counties"] if c["code"] == options.county)
    names = {p["code"]: p["name"][lang] for p in snapshot["prefectures"]}
    title = f"{county['name'][lang]} · {names.get(county['prefecture'], '')}"
    out = _head(snapshot, title)
    facts = options.facts or [{"id": k, "title": {lang: k}, "unit": {lang: ""}}
                              for k in county.get("facts", {})]
    rows = []
    for fact in facts:
        entry = county.get("facts", {}).get(fact["id"]) or {}
        value = entry.get("value")
        rows.append([h(fact["title"][lang]),
                     "-" if value is None else h(f"{value:,}" if isinstance(value, int)
                                                 else value),
                     h(entry.get("measured_on"))])
    out.append(f'<h2>{h(_("export.county_facts"))}</h2>')
    out.append(_table([h(_("col.indicator")), h(_("col.value")), h(_("col.date"))], rows,
                      numeric={1}))
    target_rows = []
    trends = options.county_trends or {"dates": [], "indicators": {}}
    for number, raw in enumerate(snapshot["indicators"], start=1):
        value = county["values"][raw["id"]]
        indicator = indicator_from_json(raw)
        trend = (trends["indicators"].get(raw["id"]) or {}).get("total") or []
        points = [(date.fromisoformat(d), v) for d, p in zip(trends["dates"], trend,
                                                             strict=True)
                  if (v := charted_value(indicator, p, 1)) is not None]
        chart = trend_svg(points, threshold=charted_threshold(indicator),
                          deadline=indicator.deadline, projected=value["projected"]
                          if numeric_target(indicator) else None,
                          percent=raw["kind"] == "percent" or not numeric_target(indicator),
                          label=raw["title"][lang], width=200, height=40) \
            if len(points) > 1 else ""
        target_rows.append([h(f"T{number}"), h(raw["title"][lang]), status_badge(value["status"]),
                            h(_county_value(raw, value)), h(value["measured_on"]), chart])
    out.append(f'<h2>{h(_("report.targets"))}</h2>')
    out.append(_table(["#", h(_("col.indicator")), h(_("col.status")), h(_("col.value")),
                       h(_("col.date")), h(_("export.col.trend_chart"))], target_rows))
    table = task_table(snapshot)
    codes = [c.code for c in table.columns]
    keep = ["task_id", "recommendation", "status_label", "owner", "due", "next_followup",
            "last_followup", "last_followup_outcome"]
    where = [codes.index(k) for k in keep]
    mine = [row for row in table.rows if row[codes.index("county_code")] == options.county]
    out.append(f'<h2>{h(table.title)}</h2>')
    out.append(_table([h(table.columns[i].label) for i in where],
                      [[f'<span class="nowrap">{h(row[i])}</span>' for i in where[:-1]]
                       + [h(row[where[-1]])] for row in mine], classes="compact"))
    p = snapshot["provenance"]
    head = p.get("history_head") or {}
    out.append(f'<p class="small">{h(_("export.provenance"))}: {h(p["plan"]["id"])} · '
               f'{h(_("export.meta.generated_at"))} {h(p["generated_at"])} · '
               f'{h(p["generated_by"])} · {h(_("export.meta.head"))} #{h(head.get("seq"))} '
               f'{h(str(head.get("hash") or "")[:16])}</p>')
    out.append("</body></html>\n")
    return "\n".join(out).encode("utf-8")
