"""The tidy tables of a snapshot: one row per task, county, area x target, measurement
or history event, with a stable code beside every label.

Every tabular format writes these: the CSV (one table a file, headed by the columns'
codes), the workbook's sheets (headed by the columns' labels in the export's language)
and the HTML's task table. A column's code never changes with the language; a
``*_label`` column beside a code holds the words for people. Values are plain Python:
str, int, float, bool, ``datetime.date`` or None (no value).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from tracker.domain.model import Status
from tracker.domain.progress import ProgressStatus, threshold_text
from tracker.domain.text import clean_text
from tracker.formats.snapshot import Snapshot, indicator_from_json, target_row
from tracker.i18n import _, get_language

TABLES = ("tasks", "counties", "rollups", "measurements", "history", "attachments")
LIVE_ONLY = ("measurements", "history", "attachments")  # read off the database, not the snapshot


class Column(NamedTuple):
    code: str  # the CSV header: stable, in English, snake_case
    label: str  # the sheet's header, in the export's language
    kind: str = "text"  # text, int, float, percent, date, bool (how a sheet formats it)
    width: int = 12  # characters, for the sheet


class Table(NamedTuple):
    name: str  # one of TABLES
    title: str  # in the export's language
    columns: list[Column]
    rows: list[list[Any]]


RECOMMENDATION_PREFIX = "R"


def rec_code(rec: str) -> str:
    """A recommendation as the tables write it: ``R1.1``. Written ``1.1`` it would be
    read as a number by pandas (read_csv and read_excel alike: ``1.10`` even as ``1.1``)
    and by Excel."""
    return RECOMMENDATION_PREFIX + rec


def status_label(code: str) -> str:
    """A task status in words, as the exports write it (never a word a spreadsheet or
    pandas reads as missing, such as "n/a")."""
    return _(f"export.status.{code}")


def progress_label(code: str) -> str:
    return _(f"progress.{code}")


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _names(snapshot: Snapshot) -> tuple[dict[str, str], dict[str, str]]:
    lang = get_language()
    prefectures = {p["code"]: p["name"][lang] for p in snapshot["prefectures"]}
    counties = {c["code"]: c["name"][lang] for c in snapshot["counties"]}
    return prefectures, counties


# -- tasks ---------------------------------------------------------------------------------
def task_table(snapshot: Snapshot) -> Table:
    prefectures, counties = _names(snapshot)
    columns = [
        Column("task_id", _("col.id"), width=12),
        Column("prefecture_code", _("export.col.prefecture_code"), width=8),
        Column("prefecture", _("col.prefecture"), width=10),
        Column("county_code", _("col.code"), width=8),
        Column("county", _("col.county"), width=12),
        Column("recommendation", _("col.rec"), width=6),
        Column("status", _("export.col.status_code"), width=14),
        Column("status_label", _("col.status"), width=10),
        Column("owner", _("col.owner"), width=8),
        Column("due", _("col.due"), "date", 11),
        Column("next_followup", _("col.next"), "date", 11),
        Column("last_followup", _("export.col.last_date"), "date", 11),
        Column("last_followup_kind", _("export.col.last_kind_code"), width=9),
        Column("last_followup_kind_label", _("export.col.last_kind"), width=8),
        Column("last_followup_outcome", _("export.col.last_outcome"), width=40),
        Column("overdue", _("flag.overdue"), "bool", 6),
        Column("stale", _("flag.stale"), "bool", 6),
    ]
    rows = []
    for task in snapshot["tasks"]:
        last = task["last_followup"] or {}
        kind = last.get("kind")
        rows.append([
            task["id"], task["prefecture"], prefectures.get(task["prefecture"]),
            task["county"], counties.get(task["county"]), rec_code(task["recommendation"]),
            task["status"], status_label(task["status"]), clean_text(task["owner"] or "") or None,
            _day(task["due"]), _day(task["next_followup"]), _day(last.get("date")),
            kind, _(f"kind.{kind}") if kind else None,
            clean_text(last.get("outcome") or "", single_line=True) or None,
            bool(task["overdue"]), bool(task["stale"]),
        ])
    return Table("tasks", _("export.tasks"), columns, rows)


# -- counties ------------------------------------------------------------------------------
def _shown(value: Any) -> Any:
    """An indicator value as a cell: dates as dates, the rest as they are."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _indicator_kind(raw: dict[str, Any]) -> str:
    return {"percent": "float", "amount": "float", "count": "int", "yes_no": "bool",
            "date": "date"}.get(raw["kind"], "text")


def county_table(snapshot: Snapshot, facts: Iterable[dict[str, Any]] | None = None) -> Table:
    """One row per county: its latest facts, then per target its value (and what the
    standard requires, for staffing), the date of the measurement behind it and its
    status. ``facts``: the plan's facts (id, title, unit), in the order to show them;
    default the facts the snapshot's counties carry."""
    lang = get_language()
    prefectures, _counties = _names(snapshot)
    if facts is None:
        keys = list(snapshot["counties"][0].get("facts", {})) if snapshot["counties"] else []
        facts = [{"id": key, "title": {lang: key}} for key in keys]
    facts = list(facts)
    columns = [
        Column("county_code", _("col.code"), width=8),
        Column("county", _("col.county"), width=12),
        Column("prefecture_code", _("export.col.prefecture_code"), width=8),
        Column("prefecture", _("col.prefecture"), width=10),
    ]
    for fact in facts:
        title = fact["title"][lang]
        columns += [Column(fact["id"], title, "int", 10),
                    Column(f"{fact['id']}_date", _("export.col.measured_on", title=title),
                           "date", 11)]
    for raw in snapshot["indicators"]:
        title = raw["title"][lang]
        key = raw["id"]
        columns.append(Column(key, title, _indicator_kind(raw), 10))
        if raw["comparison"] == ">=standard":
            columns.append(Column(f"{key}_required", _("export.col.required"), "int", 8))
        columns += [Column(f"{key}_date", _("export.col.measured_on", title=title), "date", 11),
                    Column(f"{key}_status", _("export.col.status_code_of", title=title),
                           width=10),
                    Column(f"{key}_status_label", _("export.col.progress", title=title),
                           width=9)]
    rows = []
    for county in snapshot["counties"]:
        row: list[Any] = [county["code"], county["name"][lang], county["prefecture"],
                          prefectures.get(county["prefecture"])]
        for fact in facts:
            entry = county.get("facts", {}).get(fact["id"]) or {}
            row += [entry.get("value"), _day(entry.get("measured_on"))]
        for raw in snapshot["indicators"]:
            value = county["values"][raw["id"]]
            row.append(_shown(value["value"]))
            if raw["comparison"] == ">=standard":
                row.append(value["required"])
            row += [_day(value["measured_on"]), value["status"],
                    progress_label(value["status"])]
        rows.append(row)
    return Table("counties", _("export.counties"), columns, rows)


# -- roll-ups ------------------------------------------------------------------------------
def areas(snapshot: Snapshot) -> list[tuple[str | None, str, dict[str, Any]]]:
    """(prefecture code or None for the whole selection, name, roll-up)."""
    prefectures, _counties = _names(snapshot)
    found: list[tuple[str | None, str, dict[str, Any]]] = [
        (None, _("export.total"), snapshot["rollups"]["total"])]
    return found + [(r["code"], prefectures.get(r["code"], r["code"]), r)
                    for r in snapshot["rollups"]["prefectures"]]


def threshold_of(raw: dict[str, Any]) -> str:
    """The target's threshold in words ("≥60%", "set", "the 1985 standard")."""
    return threshold_text(target_row(indicator_from_json(raw), _EMPTY_ROLLUP))


_EMPTY_ROLLUP: dict[str, Any] = {
    "counties": 0, "with_data": 0, "meeting": 0, "value": None, "required": None,
    "deadline": "2000-01-01", "days_left": 0, "statuses": {}, "gap": None}


def rollup_table(snapshot: Snapshot) -> Table:
    """One row per area (the whole selection, then each prefecture) and target."""
    lang = get_language()
    columns = [
        Column("area_level", _("export.col.area_level_code"), width=10),
        Column("area_code", _("export.col.area_code"), width=8),
        Column("area", _("export.col.area"), width=14),
        Column("indicator", _("export.col.indicator_id"), width=14),
        Column("indicator_title", _("export.col.indicator_title"), width=24),
        Column("recommendation", _("col.rec"), width=6),
        Column("counties", _("export.col.counties"), "int", 7),
        Column("with_data", _("col.with_data"), "int", 7),
        Column("meeting", _("export.col.meeting"), "int", 7),
        Column("share_meeting", _("export.col.share_meeting"), "percent", 8),
        Column("value", _("export.col.area_value"), "float", 9),
        Column("required", _("export.col.required"), "int", 8),
        Column("threshold", _("export.col.threshold"), width=10),
        Column("deadline", _("col.deadline"), "date", 11),
        Column("days_left", _("col.days"), "int", 7),
        *[Column(f"counties_{s.value}", progress_label(s.value), "int", 7)
          for s in ProgressStatus],
        Column("gap", _("export.col.gap"), "int", 8),
    ]
    rows = []
    for code, name, area in areas(snapshot):
        for raw in snapshot["indicators"]:
            r = area["indicators"][raw["id"]]
            rows.append([
                "total" if code is None else "prefecture", code, name, raw["id"],
                raw["title"][lang], rec_code(raw["recommendation"]), r["counties"],
                r["with_data"],
                r["meeting"], r["share_meeting"], r["value"],
                None if r["required"] is None else int(r["required"]), threshold_of(raw),
                _day(r["deadline"]), r["days_left"],
                *[r["statuses"].get(s.value, 0) for s in ProgressStatus], r["gap"]])
    return Table("rollups", _("export.rollups"), columns, rows)


# -- read off the database: measurements and history -----------------------------------------
def measurement_table(view: Any, snapshot: Snapshot) -> Table:
    """Every measurement of every county of the snapshot up to its as-of date."""
    lang = get_language()
    _prefectures, counties = _names(snapshot)
    plan = view.plan
    keys = [(f.id, f.title.get(lang)) for f in plan.facts]
    keys += [(i.id, i.title.get(lang)) for i in plan.indicators if not i.derived_from]
    as_of = date.fromisoformat(snapshot["provenance"]["as_of"])
    columns = [
        Column("county_code", _("col.code"), width=8),
        Column("county", _("col.county"), width=12),
        Column("prefecture_code", _("export.col.prefecture_code"), width=8),
        Column("key", _("export.col.key_code"), width=24),
        Column("key_label", _("export.col.key"), width=16),
        Column("date", _("col.date"), "date", 11),
        Column("value", _("col.value"), width=10),
        Column("source", _("col.source"), width=20),
        Column("recorded_by", _("col.who"), width=10),
        Column("recorded_at", _("export.col.recorded_at"), width=20),
    ]
    rows = []
    for county in snapshot["counties"]:
        code = county["code"]
        for key, label in keys:
            for m in view.measurements(code, key):
                if m.date > as_of:
                    continue
                value = m.value.isoformat() if isinstance(m.value, date) else m.value
                rows.append([code, counties.get(code), county["prefecture"], key, label,
                             m.date, value, clean_text(m.source or "") or None, m.by,
                             m.at.isoformat()])
    return Table("measurements", _("export.measurements"), columns, rows)


def history_table(events: Iterable[dict[str, Any]], snapshot: Snapshot) -> Table:
    """One row per history event up to the snapshot's as-of date: who changed what, when;
    old and new values as JSON text."""
    import json

    as_of = snapshot["provenance"]["as_of"]
    columns = [
        Column("seq", _("col.seq"), "int", 7),
        Column("ts", _("col.when"), width=20),
        Column("date", _("col.date"), "date", 11),
        Column("user", _("col.who"), width=12),
        Column("type", _("export.col.event_type"), width=9),
        Column("task", _("col.task"), width=12),
        Column("county_code", _("col.code"), width=8),
        Column("field", _("export.col.field"), width=14),
        Column("old", _("col.from"), width=24),
        Column("new", _("col.to"), width=24),
        Column("comment", _("col.comment"), width=24),
    ]

    def text(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return clean_text(value)
        return clean_text(json.dumps(value, ensure_ascii=False, sort_keys=True))

    rows = []
    for event in events:
        day = event["ts"][:10]
        if day > as_of:
            break
        task = event.get("task")
        county = event.get("county") or (task.split("-")[0] if task else None)
        rows.append([event["seq"], event["ts"], date.fromisoformat(day), event.get("user"),
                     event["type"], task, county, event.get("field"),
                     text(event.get("old")), text(event.get("new") if event["type"] != "init"
                                                  else None),
                     clean_text(event.get("comment") or "") or None])
    return Table("history", _("export.history"), columns, rows)


def attachment_table(events: Iterable[dict[str, Any]], snapshot: Snapshot) -> Table:
    """One row per attachment recorded up to the snapshot's as-of date: the task, the
    file's name, size, media type and SHA-256 (with which `tracker attachment get`
    gives it back and `sha256sum` checks a copy), who attached it and when."""
    as_of = snapshot["provenance"]["as_of"]
    columns = [
        Column("seq", _("col.seq"), "int", 7),
        Column("ts", _("col.when"), width=20),
        Column("user", _("col.who"), width=12),
        Column("task", _("col.task"), width=12),
        Column("county_code", _("col.code"), width=8),
        Column("name", _("export.col.attachment_name"), width=30),
        Column("size", _("export.col.attachment_size"), "int", 10),
        Column("media_type", _("export.col.media_type"), width=20),
        Column("sha256", _("export.col.sha256"), width=66),
        Column("note", _("col.comment"), width=24),
    ]
    rows = []
    for event in events:
        if event["ts"][:10] > as_of:
            continue
        new, task = event["new"], event["task"]
        rows.append([event["seq"], event["ts"], event.get("user"), task, task.split("-")[0],
                     clean_text(new["name"]), new["size"], new["media_type"], new["sha256"],
                     clean_text(new.get("note") or "") or None])
    return Table("attachments", _("export.attachments"), columns, rows)


def task_status_labels() -> dict[str, str]:
    return {s.value: status_label(s.value) for s in Status}
