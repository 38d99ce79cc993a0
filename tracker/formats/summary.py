"""The leaders' summary of a snapshot, as plain rows: targets with their status, the
prefecture x recommendation matrix, the counties furthest from the headline target and
those that met it, what changed since a date, and where the figures come from.

The HTML page (tracker.formats.html), the Markdown report and the workbook's Summary
sheet all lay these out; nothing here knows a format.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any, NamedTuple

from tracker.domain.model import Status
from tracker.domain.progress import ProgressStatus, target_value, threshold_text
from tracker.formats.snapshot import Snapshot, indicator_from_json, target_row
from tracker.formats.tables import status_label
from tracker.formats.trends import area_status, charted_threshold, charted_value, numeric_target
from tracker.i18n import _, get_language

CLOSED = (Status.DONE.value, Status.VERIFIED.value, Status.NOT_APPLICABLE.value)
FURTHEST = 10  # counties listed as furthest from the headline target
CHANGES_SHOWN = 12  # lines of each kind of change


class Target(NamedTuple):
    number: str  # T1, T2...
    id: str
    title: str
    recommendation: str
    status: str  # a ProgressStatus code
    value: str  # the area value in words
    threshold: str
    meeting: int
    counties: int
    deadline: str
    days_left: int
    charted: list[tuple[date, float]]  # what the chart draws (see trends.charted_value)
    threshold_line: float
    projected: float | None
    percent: bool  # whether the charted values are percentages


def headline(snapshot: Snapshot) -> dict[str, Any] | None:
    """The first target of the plan (liaoning-2017: the digitized share)."""
    return snapshot["indicators"][0] if snapshot["indicators"] else None


def targets(snapshot: Snapshot) -> list[Target]:
    lang = get_language()
    as_of = date.fromisoformat(snapshot["provenance"]["as_of"])
    total = snapshot["rollups"]["total"]
    trends = snapshot.get("trends") or {"dates": [], "indicators": {}}
    found = []
    for number, raw in enumerate(snapshot["indicators"], start=1):
        indicator = indicator_from_json(raw)
        r = total["indicators"][raw["id"]]
        row = target_row(indicator, r)
        trend = (trends["indicators"].get(raw["id"]) or {}).get("total")
        charted: list[tuple[date, float]] = []
        status, projected = ProgressStatus.NO_DATA, None
        if trend:
            for day, point in zip(trends["dates"], trend, strict=True):
                value = charted_value(indicator, point, r["counties"])
                if value is not None:
                    charted.append((date.fromisoformat(day), value))
            status, projected = area_status(indicator, trends["dates"], trend, r["counties"],
                                            as_of)
        found.append(Target(
            f"T{number}", raw["id"], raw["title"][lang], raw["recommendation"], status.value,
            target_value(row), threshold_text(row), r["meeting"], r["counties"],
            r["deadline"], r["days_left"], charted, charted_threshold(indicator), projected,
            indicator.kind.value == "percent" or not numeric_target(indicator)))
    return found


def matrix(snapshot: Snapshot) -> tuple[list[str], list[tuple[str, list[tuple[int, int]]]]]:
    """Recommendation ids, and per prefecture (name) its (closed, all) tasks per
    recommendation, then in all."""
    lang = get_language()
    recs = [r["id"] for r in snapshot["recommendations"]]
    names = {p["code"]: p["name"][lang] for p in snapshot["prefectures"]}
    closed: Counter[tuple[str, str]] = Counter()
    every: Counter[tuple[str, str]] = Counter()
    for task in snapshot["tasks"]:
        key = (task["prefecture"], task["recommendation"])
        every[key] += 1
        closed[key] += task["status"] in CLOSED
    rows = []
    for p in snapshot["prefectures"]:
        cells = [(closed[p["code"], rec], every[p["code"], rec]) for rec in recs]
        cells.append((sum(a for a, _b in cells), sum(b for _a, b in cells)))
        rows.append((names[p["code"]], cells))
    return recs, rows


class CountyStanding(NamedTuple):
    code: str
    name: str
    prefecture: str
    value: float | None
    status: str


def furthest_and_met(snapshot: Snapshot) -> tuple[list[CountyStanding], list[CountyStanding]]:
    """The counties furthest below the headline target (no data first, then the lowest
    values), and those that met it (highest first)."""
    lang = get_language()
    first = headline(snapshot)
    if first is None:
        return [], []
    names = {p["code"]: p["name"][lang] for p in snapshot["prefectures"]}
    standings = []
    for county in snapshot["counties"]:
        value = county["values"][first["id"]]
        number = value["value"] if isinstance(value["value"], int | float) \
            and not isinstance(value["value"], bool) else None
        standings.append(CountyStanding(county["code"], county["name"][lang],
                                        names.get(county["prefecture"], ""), number,
                                        value["status"]))
    behind = [s for s in standings if s.status != ProgressStatus.MET.value]
    behind.sort(key=lambda s: (s.value is not None, s.value or 0.0, s.code))
    met = [s for s in standings if s.status == ProgressStatus.MET.value]
    met.sort(key=lambda s: (-(s.value or 0.0), s.code))
    return behind[:FURTHEST], met


def change_lines(snapshot: Snapshot, changes: dict[str, Any]) -> list[tuple[str, list[str], int]]:
    """(heading, lines, how many in all) per kind of change, each cut at CHANGES_SHOWN."""
    lang = get_language()
    names = {c["code"]: c["name"][lang] for c in snapshot["counties"]}
    titles = {raw["id"]: raw["title"][lang] for raw in snapshot["indicators"]}

    def value(v: Any) -> str:
        return "-" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))

    kinds = [
        ("diff.crossed", [
            f"{names.get(c['county'], c['county'])}: {titles.get(c['indicator'], '')} "
            f"{_('diff.now_met' if c['met'] else 'diff.no_longer_met')} "
            f"({value(c['from'])} → {value(c['to'])})" for c in changes["crossed"]]),
        ("diff.status_moves", [
            f"{m['task']} {names.get(m['county'], m['county'])}: "
            f"{status_label(m['from'])} → {status_label(m['to'])}"
            for m in changes["status_moves"]]),
        ("diff.indicators", [
            f"{names.get(c['county'], c['county'])}: {titles.get(c['indicator'], '')} "
            f"{value(c['from'])} → {value(c['to'])}" for c in changes["indicator_changes"]]),
        ("diff.followups", [
            f"{f['task']} {names.get(f['county'], f['county'])}: {f['date']} "
            f"{_('kind.' + f['kind'])}" for f in changes["followups"]]),
    ]
    return [(_(key, count=len(lines)), lines[:CHANGES_SHOWN], len(lines))
            for key, lines in kinds]


def provenance_rows(snapshot: Snapshot) -> list[tuple[str, Any]]:
    """(label, value): where the snapshot comes from (the short block at the end)."""
    p = snapshot["provenance"]
    lang = get_language()
    head = p.get("history_head") or {}
    selection = p.get("selection") or {}
    names = {x["code"]: x["name"][lang] for x in snapshot["prefectures"]}
    rows: list[tuple[str, Any]] = [
        (_("export.meta.plan"), f"{p['plan']['id']} · {p['plan']['title'][lang]}"),
        (_("export.meta.as_of"), p["as_of"]),
        (_("export.meta.generated_at"), p["generated_at"]),
        (_("export.meta.generated_by"), p["generated_by"]),
        (_("export.meta.head"), f"#{head.get('seq')} {str(head.get('hash') or '')[:16]}"),
        (_("export.meta.plan_sha256"), str(p["plan"].get("sha256") or "")[:16]),
        (_("export.meta.demo"), _("demo.banner") if p.get("demo") else _("value.no")),
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


def summary_tables(snapshot: Snapshot, options: Any = None,
                   ) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The summary as (title, headers, rows) tables, for the Markdown report."""
    found = targets(snapshot)
    rows: list[list[Any]] = [
        [t.number, t.title, t.recommendation, _(f"progress.{t.status}"), t.value, t.threshold,
         f"{t.meeting}/{t.counties}", t.deadline] for t in found]
    tables = [(_("report.targets"), [
        "#", _("col.indicator"), _("col.rec"), _("export.col.area_status"), _("col.province"),
        _("export.col.threshold"), _("export.col.meeting"), _("col.deadline")], rows)]
    recs, cells = matrix(snapshot)
    tables.append((_("export.matrix"), [_("col.prefecture"), *recs, _("export.col.all")],
                   [[name, *[f"{a}/{b}" for a, b in row]] for name, row in cells]))
    behind, met = furthest_and_met(snapshot)
    tables.append((_("export.furthest"), [_("col.county"), _("col.prefecture"),
                                          _("col.value"), _("col.status")],
                   [[s.name, s.prefecture, "-" if s.value is None else f"{s.value:.1f}",
                     _(f"progress.{s.status}")] for s in behind]))
    if options is not None and getattr(options, "changes", None):
        for heading, lines, _count in change_lines(snapshot, options.changes):
            tables.append((heading, ["-"], [[line] for line in lines]))
    tables.append((_("export.met_headline", count=len(met)), [_("col.county"), _("col.prefecture"),
                                                              _("col.value")],
                   [[s.name, s.prefecture, "-" if s.value is None else f"{s.value:.1f}"]
                    for s in met]))
    tables.append((_("export.provenance"), [_("export.col.key"), _("export.col.value_plain")],
                   [list(r) for r in provenance_rows(snapshot)]))
    return tables
