"""Snapshots: where every task and county stands as of a date, as one JSON-able document.

A snapshot is what `tracker export` writes (JSON as is, the other formats rendered from
it by tracker.formats.export), what `tracker diff` compares and what `tracker merge` combines.
Its schema is docs/snapshot-format.md. Building one reads the view only through
StateView.measurements (via tracker.domain.progress) and Task.last_followup.

The same database at the same as-of date gives the same document, apart from
``provenance.generated_at``: lists follow the plan's order, numbers are rounded to a
fixed number of places, nothing depends on the clock but that field.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from tracker.domain.errors import SnapshotError
from tracker.domain.model import Status, Task
from tracker.domain.plan import Comparison, Indicator, IndicatorKind, Period, Plan, Text
from tracker.domain.progress import CountyValue, ProgressStatus, county_progresses, rollup
from tracker.domain.state import StateView
from tracker.formats.trends import build_trends

FORMAT = "tracker-snapshot"
VERSION = 1
PLACES = 2  # decimals kept of computed numbers (shares, trends, projections)
Snapshot = dict[str, Any]


def _round(value: Any) -> Any:
    return round(value, PLACES) if isinstance(value, float) else value


def _text(text: Text) -> dict[str, str]:
    return {"zh": text.zh, "en": text.en}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# -- building ------------------------------------------------------------------------------
def build_snapshot(view: StateView, as_of: date, *, generated_at: datetime, generated_by: str,
                   prefecture: str | None = None, rec: str | None = None,
                   head: dict[str, Any] | None = None, trends: bool = True) -> Snapshot:
    """The snapshot of ``view`` as of ``as_of``, optionally of one prefecture and of some
    recommendations (``rec``: ids, comma-separated); names as `tracker list` takes them.
    ``head``: the database's history head when it was read (a view rebuilt as of a past
    date has none of its own); default the view's. ``trends``: chart every target
    quarter by quarter (tracker.formats.trends), which reads every county's series off
    the journal; diff does without."""
    plan = view.plan
    chosen_counties: frozenset[str] | None = None
    chosen_recs: frozenset[str] | None = None
    if prefecture or rec:
        from tracker.domain.queries import TaskFilter

        selection = TaskFilter.build(plan, prefecture=prefecture, rec=rec)
        chosen_counties, chosen_recs = selection.counties, selection.recs
    counties = [c for c in plan.counties
                if chosen_counties is None or c.code in chosen_counties]
    recs = [r for r in plan.recommendations if chosen_recs is None or r.id in chosen_recs]
    rec_ids = {r.id for r in recs}
    indicators = [i for i in plan.indicators if i.recommendation in rec_ids]
    # The selected task documents in plan order: by their county's place, then their
    # recommendation's.
    county_place = {c.code: n for n, c in enumerate(counties)}
    rec_place = {r.id: n for n, r in enumerate(recs)}
    docs = sorted((doc for doc in view.tables["tasks"].values()
                   if doc["county"] in county_place and doc["rec"] in rec_place),
                  key=lambda doc: (county_place[doc["county"]], rec_place[doc["rec"]]))
    values = {c.code: county_progresses(view, c.code, indicators, as_of) for c in counties}
    present = {c.prefecture for c in counties}
    prefectures = [p for p in plan.prefectures if p.code in present]
    head = head or view.head
    snapshot: Snapshot = {
        "format": FORMAT,
        "version": VERSION,
        "provenance": {
            "plan": {"id": plan.id, "sha256": plan.sha256, "title": _text(plan.title)},
            "as_of": as_of.isoformat(),
            "generated_at": generated_at.isoformat(timespec="seconds"),
            "generated_by": generated_by,
            "history_head": {"seq": head.get("seq"), "hash": head.get("hash")},
            "demo": view.demo,
            "selection": {
                "prefecture": prefectures[0].code if prefecture and prefectures else None,
                "recommendations": [r.id for r in recs] if rec else None,
            },
            "sources": [],
        },
        "recommendations": [{"id": r.id, "title": _text(r.title)} for r in recs],
        "indicators": [indicator_json(plan, i) for i in indicators],
        "prefectures": [{"code": p.code, "name": _text(p.name)} for p in prefectures],
        "counties": [{"code": c.code, "name": _text(c.name), "prefecture": c.prefecture,
                      "values": {k: value_json(v) for k, v in values[c.code].items()},
                      "facts": facts_json(view, c.code, plan, as_of)}
                     for c in counties],
        "tasks": task_rows(docs, as_of, view.stale_days,
                           {c.code: c.prefecture for c in plan.counties}),
    }
    snapshot["rollups"] = rollups(snapshot, values)
    if trends:
        snapshot["trends"] = build_trends(view, indicators,
                                          [(c.code, c.prefecture) for c in counties], as_of)
    return snapshot


def facts_json(view: StateView, code: str, plan: Plan, as_of: date) -> dict[str, Any]:
    """The county's latest value of every fact of the plan, as of ``as_of``, with its date."""
    facts = {}
    for fact in plan.facts:
        latest = view.latest(code, fact.id)
        if latest is not None and latest.date > as_of:
            series = [m for m in view.measurements(code, fact.id) if m.date <= as_of]
            latest = series[-1] if series else None
        facts[fact.id] = {"value": None if latest is None else latest.value,
                          "measured_on": None if latest is None else latest.date.isoformat()}
    return facts


def indicator_json(plan: Plan, indicator: Indicator) -> dict[str, Any]:
    """The indicator as the plan file states it (docs/plan-format.md)."""
    return next(dict(raw) for raw in plan.raw["indicators"] if raw["id"] == indicator.id)


def value_json(value: CountyValue) -> dict[str, Any]:
    return {
        "value": _round(value.value), "met": value.met, "required": value.required,
        "part": value.part, "whole": value.whole, "measured_on": _iso(value.measured_on),
        "trend": _round(value.trend), "projected": _round(value.projected),
        "status": value.status.value,
    }


def task_rows(docs: Iterable[dict[str, Any]], as_of: date, stale_days: int,
              prefecture_of: dict[str, str]) -> list[dict[str, Any]]:
    """``task_json`` of each task document, read off the documents."""
    return [task_json(Task.from_doc(doc), as_of, stale_days, prefecture_of) for doc in docs]


def task_json(task: Task, as_of: date, stale_days: int,
              prefecture_of: dict[str, str]) -> dict[str, Any]:
    last = task.last_followup
    return {
        "id": task.id,
        "county": task.county,
        "prefecture": prefecture_of[task.county],
        "recommendation": task.recommendation,
        "status": task.status.value,
        "owner": task.owner,
        "due": _iso(task.due),
        "next_followup": _iso(task.next_followup),
        "last_followup": None if last is None else {
            "date": last.date.isoformat(), "kind": last.kind.value, "outcome": last.outcome,
            "by": last.by, "at": last.at.isoformat(), "next": _iso(last.next)},
        "overdue": task.is_overdue(as_of),
        "stale": task.is_stale(as_of, stale_days),
    }


# -- roll-ups (from the document alone, so that merged snapshots roll up the same way) -----
def indicator_from_json(raw: dict[str, Any]) -> Indicator:
    return Indicator(
        id=raw["id"], title=Text(**raw["title"]), kind=IndicatorKind(raw["kind"]),
        unit=Text(**raw["unit"]), recommendation=raw["recommendation"],
        comparison=Comparison(raw["comparison"]), threshold=raw["threshold"],
        deadline=date.fromisoformat(raw["deadline"]) if raw["deadline"] else None,
        period=Period(raw["period"]), derived_from=tuple(raw["derived_from"]),
        baseline=Text(**raw["baseline"]))


def value_from_json(raw: dict[str, Any]) -> CountyValue:
    on = raw["measured_on"]
    return CountyValue(
        raw["value"], raw["met"], raw["required"], raw["part"], raw["whole"],
        date.fromisoformat(on) if on else None, raw["trend"], raw["projected"],
        ProgressStatus(raw["status"]))


def rollups(snapshot: Snapshot,
            values: dict[str, dict[str, CountyValue]] | None = None) -> dict[str, Any]:
    """The selection as a whole (``total``) and each prefecture: per indicator, counties
    meeting, share meeting, the area's value, statuses; tasks per status. ``values``:
    the county values the snapshot was built from, if at hand (else read from it)."""
    as_of = date.fromisoformat(snapshot["provenance"]["as_of"])
    indicators = [indicator_from_json(raw) for raw in snapshot["indicators"]]
    counties = snapshot["counties"]
    if values is None:
        values = {c["code"]: {k: value_from_json(v) for k, v in c["values"].items()}
                  for c in counties}

    # Tasks per status of each prefecture's counties (the total: of every county's).
    prefecture_of = {c["code"]: c["prefecture"] for c in counties}
    by_prefecture: dict[str, Counter[str]] = {}
    for task in snapshot["tasks"]:
        prefecture = prefecture_of.get(task["county"])
        if prefecture is not None:
            by_prefecture.setdefault(prefecture, Counter())[task["status"]] += 1

    def area(codes: list[str], statuses: Counter[str]) -> dict[str, Any]:
        standings = [values[code] for code in codes]
        return {
            "counties": len(codes),
            "tasks": {s.value: statuses.get(s.value, 0) for s in Status},
            "indicators": {i.id: rollup_json(rollup(i, [s[i.id] for s in standings], as_of))
                           for i in indicators},
        }

    codes_of: dict[str, list[str]] = {}
    for county in counties:
        codes_of.setdefault(county["prefecture"], []).append(county["code"])
    return {
        "total": area([c["code"] for c in counties], sum(by_prefecture.values(), Counter())),
        "prefectures": [{"code": p["code"], **area(codes_of.get(p["code"], []),
                                                   by_prefecture.get(p["code"], Counter()))}
                        for p in snapshot["prefectures"]],
    }


def rollup_json(row: Any) -> dict[str, Any]:
    return {
        "counties": row.counties, "with_data": row.with_data, "meeting": row.meeting,
        "share_meeting": _round(row.share_meeting),
        "value": _round(row.province_value), "required": _round(row.province_required),
        "gap": row.gap, "deadline": row.deadline.isoformat(), "days_left": row.days_left,
        "statuses": {s.value: n for s, n in row.statuses.items()},
    }


def target_row(indicator: Indicator, raw: dict[str, Any]) -> Any:
    """A roll-up entry as tracker.domain.progress.TargetProgress (for render's formatting)."""
    from tracker.domain.progress import TargetProgress

    return TargetProgress(
        indicator=indicator, counties=raw["counties"], with_data=raw["with_data"],
        meeting=raw["meeting"], province_value=raw["value"], province_required=raw["required"],
        deadline=date.fromisoformat(raw["deadline"]), days_left=raw["days_left"],
        statuses={ProgressStatus(k): n for k, n in raw["statuses"].items()}, gap=raw["gap"])


# -- reading -------------------------------------------------------------------------------
TOP_KEYS = ("provenance", "recommendations", "indicators", "prefectures", "counties", "tasks",
            "rollups")


def load_snapshot(path: Path) -> Snapshot:
    """A JSON snapshot from ``path``, checked enough that diff and merge can trust it."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise SnapshotError("snapshot.missing", path=str(path)) from None
    except OSError as error:
        raise SnapshotError("snapshot.unreadable", path=str(path),
                            reason=error.strerror or str(error)) from None
    except UnicodeDecodeError:
        raise SnapshotError("snapshot.not_snapshot", path=str(path)) from None
    except json.JSONDecodeError as error:
        raise SnapshotError("snapshot.not_json", path=str(path), line=error.lineno,
                            column=error.colno, problem=error.msg) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError("snapshot.not_snapshot", path=str(path))
    if not isinstance(data.get("version"), int) or data["version"] > VERSION:
        raise SnapshotError("snapshot.newer", path=str(path), found=data.get("version"),
                            supported=VERSION)
    for key in TOP_KEYS:
        if key not in data:
            raise SnapshotError("snapshot.malformed", path=str(path), where=key)
    try:  # everything diff and merge read, read once here
        date.fromisoformat(data["provenance"]["as_of"])
        data["provenance"]["plan"]["id"]
        for raw in data["indicators"]:
            indicator_from_json(raw)
        for county in data["counties"]:
            county["code"], county["prefecture"], county["name"]["zh"], county["name"]["en"]
            for value in county["values"].values():
                value_from_json(value)
        for task in data["tasks"]:
            task["id"], task["county"], task["status"], task["last_followup"]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SnapshotError("snapshot.malformed", path=str(path), where=str(error)) from None
    return data


# -- merge ---------------------------------------------------------------------------------
def _plan_id(snapshot: Snapshot) -> str:
    return str(snapshot["provenance"]["plan"]["id"])


def check_compatible(named: Sequence[tuple[str, Snapshot]], *, same_date: bool) -> None:
    """Refuse snapshots whose targets differ (or, for a merge, whose as-of dates do):
    their figures could not be added up or compared."""
    first_name, first = named[0]
    targets = {raw["id"]: raw for raw in first["indicators"]}
    recs = [r["id"] for r in first["recommendations"]]
    for name, other in named[1:]:
        theirs = {raw["id"]: raw for raw in other["indicators"]}
        differing = sorted(k for k in targets.keys() | theirs.keys()
                           if _target_terms(targets.get(k)) != _target_terms(theirs.get(k)))
        if differing or [r["id"] for r in other["recommendations"]] != recs:
            raise SnapshotError(
                "snapshot.plan_mismatch", path=name, plan=_plan_id(other), other=first_name,
                other_plan=_plan_id(first),
                what=", ".join(differing) or ", ".join(r["id"] for r in other["recommendations"]))
        if same_date and other["provenance"]["as_of"] != first["provenance"]["as_of"]:
            raise SnapshotError("snapshot.date_mismatch", path=name,
                                date=other["provenance"]["as_of"], other=first_name,
                                other_date=first["provenance"]["as_of"])


def _target_terms(raw: dict[str, Any] | None) -> Any:
    """What makes two plans' indicators the same target (titles may be worded apart)."""
    if raw is None:
        return None
    return tuple(raw.get(k) for k in ("kind", "recommendation", "comparison", "threshold",
                                      "deadline", "period", "derived_from"))


def merge_snapshots(named: Sequence[tuple[str, Snapshot]], *, generated_at: datetime,
                    generated_by: str) -> Snapshot:
    """One snapshot of all the counties and tasks of ``named`` (file name, snapshot),
    rolled up anew. Refuses differing targets or dates, and a county found twice."""
    check_compatible(named, same_date=True)
    seen: dict[str, str] = {}
    for name, snapshot in named:
        for county in snapshot["counties"]:
            if county["code"] in seen:
                raise SnapshotError("snapshot.county_twice", code=county["code"], path=name,
                                    other=seen[county["code"]])
            seen[county["code"]] = name
    first = named[0][1]
    plans = {(_plan_id(s), s["provenance"]["plan"].get("sha256")) for _n, s in named}
    if len(plans) == 1:
        plan = first["provenance"]["plan"]
    else:
        titles = [s["provenance"]["plan"]["title"] for _n, s in named]
        plan = {"id": "+".join(dict.fromkeys(_plan_id(s) for _n, s in named)), "sha256": None,
                "title": {lang: " + ".join(dict.fromkeys(t[lang] for t in titles))
                          for lang in ("zh", "en")}}
    prefectures: dict[str, dict[str, Any]] = {}
    for _name, snapshot in named:
        for p in snapshot["prefectures"]:
            prefectures.setdefault(p["code"], p)
    merged: Snapshot = {
        "format": FORMAT,
        "version": VERSION,
        "provenance": {
            "plan": plan,
            "as_of": first["provenance"]["as_of"],
            "generated_at": generated_at.isoformat(timespec="seconds"),
            "generated_by": generated_by,
            "history_head": None,
            "demo": any(s["provenance"].get("demo") for _n, s in named),
            "selection": {"prefecture": None, "recommendations": None},
            "sources": [_source(name, s) for name, s in named],
        },
        "recommendations": first["recommendations"],
        "indicators": first["indicators"],
        "prefectures": list(prefectures.values()),
        "counties": [c for _n, s in named for c in s["counties"]],
        "tasks": [t for _n, s in named for t in s["tasks"]],
    }
    merged["rollups"] = rollups(merged)
    merged["trends"] = merge_trends([s for _n, s in named])
    return merged


def merge_trends(snapshots: Sequence[Snapshot]) -> dict[str, Any]:
    """The prefectures' trends of every snapshot side by side, where they were charted on
    the same dates; the whole's points count the counties meeting and with data, but have
    no area value (a share of the whole is no sum of the parts' shares)."""
    trends = [s.get("trends") or {"dates": [], "indicators": {}} for s in snapshots]
    dates = trends[0]["dates"]
    if any(t["dates"] != dates for t in trends):
        return {"dates": [], "indicators": {}}
    indicators: dict[str, Any] = {}
    for trend in trends:
        for key, areas in trend["indicators"].items():
            entry = indicators.setdefault(key, {"total": None, "prefectures": {}})
            entry["prefectures"].update(areas["prefectures"])
    for entry in indicators.values():  # counties add up; the area value does not
        series = list(entry["prefectures"].values())
        entry["total"] = [{"value": None, "meeting": sum(s[n]["meeting"] for s in series),
                           "with_data": sum(s[n]["with_data"] for s in series)}
                          for n in range(len(dates))]
    return {"dates": dates, "indicators": indicators}


def _source(name: str, snapshot: Snapshot) -> dict[str, Any]:
    p = snapshot["provenance"]
    return {"file": name, "plan": p["plan"]["id"], "plan_sha256": p["plan"].get("sha256"),
            "generated_at": p.get("generated_at"), "generated_by": p.get("generated_by"),
            "history_head": p.get("history_head"), "demo": p.get("demo"),
            "selection": p.get("selection"), "counties": len(snapshot["counties"])}


# -- diff ----------------------------------------------------------------------------------
def diff_snapshots(old: Snapshot, new: Snapshot) -> dict[str, Any]:
    """What changed from ``old`` to ``new``: status moves, tasks with a new follow-up,
    county indicator values that changed, and counties that crossed a threshold."""
    old_tasks = {t["id"]: t for t in old["tasks"]}
    moves, followups = [], []
    for task in new["tasks"]:
        before = old_tasks.get(task["id"])
        if before is None:
            continue
        if before["status"] != task["status"]:
            moves.append({"task": task["id"], "county": task["county"],
                          "from": before["status"], "to": task["status"]})
        last, earlier = task["last_followup"], before["last_followup"]
        if last is not None and (earlier is None or earlier.get("at") != last.get("at")):
            followups.append({"task": task["id"], "county": task["county"], **last})
    old_values = {c["code"]: c["values"] for c in old["counties"]}
    changes, crossed = [], []
    for county in new["counties"]:
        for key, value in county["values"].items():
            before = old_values.get(county["code"], {}).get(key)
            if before is None:
                continue
            if (before["value"], before["status"]) != (value["value"], value["status"]):
                changes.append({"county": county["code"], "indicator": key,
                                "from": before["value"], "to": value["value"],
                                "status_from": before["status"], "status_to": value["status"]})
            if bool(before["met"]) != bool(value["met"]):
                crossed.append({"county": county["code"], "indicator": key,
                                "met": bool(value["met"]), "from": before["value"],
                                "to": value["value"]})
    return {
        "from": _ends(old), "to": _ends(new), "status_moves": moves, "followups": followups,
        "indicator_changes": changes, "crossed": crossed,
    }


def _ends(snapshot: Snapshot) -> dict[str, Any]:
    p = snapshot["provenance"]
    return {"as_of": p["as_of"], "generated_at": p.get("generated_at"),
            "history_head": p.get("history_head"), "demo": p.get("demo")}


def day_before(day: date) -> date:
    """`diff --since D` compares with the state at the end of the day before D, so that
    changes made on D count, as in `history --since D`."""
    return day - timedelta(days=1)


def county_names(snapshots: Iterable[Snapshot], lang: str) -> dict[str, str]:
    return {c["code"]: c["name"][lang] for s in snapshots for c in s["counties"]}
