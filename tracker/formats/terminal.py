"""Rich tables for the CLI. User text is always wrapped in ``Text`` (never markup)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracker.domain.errors import NotFoundError
from tracker.domain.fields import field_value as field_value
from tracker.domain.model import Status, Task
from tracker.domain.progress import report_rollups, threshold_text
from tracker.domain.state import StateView
from tracker.domain.text import clean_text
from tracker.domain.timeline import timeline_of
from tracker.i18n import _
from tracker.storage.doctor import ERROR, LEVELS, OK, WARNING, Check

STATUS_STYLE = {
    Status.NOT_STARTED: "dim",
    Status.IN_PROGRESS: "cyan",
    Status.BLOCKED: "red",
    Status.DONE: "green",
    Status.VERIFIED: "bold green",
    Status.NOT_APPLICABLE: "dim italic",
}


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _t(value: Any, style: str = "") -> Text:
    """User or stored text as a literal cell, with control characters removed."""
    return Text("-" if value is None else clean_text(str(value)), style=style)


def _status(status: Status) -> Text:
    return Text(_(f"status.{status.value}"), style=STATUS_STYLE[status])


def _banner(out: Console, view: StateView) -> None:
    if view.demo:
        day = view.meta.get("demo_today")
        out.print(Text(_("demo.banner_dated", date=day) if day else _("demo.banner"),
                       style="bold yellow"))
    if view.as_of is not None:
        out.print(Text(_("asof.banner", date=view.as_of.isoformat()), style="bold"))


def show_json(view: StateView, task: Task, events: list[dict[str, Any]],
              base: dict[str, Any]) -> dict[str, Any]:
    rec = view.plan.recommendation(task.recommendation)
    indicators = [i for i in view.plan.indicators if i.recommendation == rec.id]
    keys = {k for i in indicators for k in (i.derived_from or (i.id,))}
    timeline = timeline_of(events)
    return {
        **base,
        "recommendation_title": rec.title.get(),
        "reason": task.reason,
        "due_revisions": [{"at": r.at.isoformat(), "by": r.by,
                           "due": r.due.isoformat() if r.due else None,
                           "previous": r.previous.isoformat() if r.previous else None,
                           "reason": r.reason} for r in task.due_revisions],
        "notes": [{"at": n.at.isoformat(), "by": n.by, "text": n.text}
                  for n in timeline.notes],
        "followups": [{"at": f.at.isoformat(), "by": f.by, "date": f.date.isoformat(),
                       "kind": f.kind.value, "outcome": f.outcome,
                       "next": f.next.isoformat() if f.next else None}
                      for f in timeline.followups],
        "measurements": {key: [{"date": m.date.isoformat(), "value": m.value,
                                "source": m.source, "by": m.by}
                               for m in view.measurements(task.county, key)]
                         for key in sorted(keys)},
        "attachments": attachments_of(events),
        "history": [{k: e.get(k) for k in ("seq", "ts", "user", "type", "field", "old",
                                             "new", "comment")} for e in events],
    }


def render_task(view: StateView, task: Task, events: list[dict[str, Any]],
                today: date | None = None) -> None:
    out = console()
    _banner(out, view)
    county = view.plan.county(task.county)
    prefecture = view.plan.prefecture(county.prefecture)
    rec = view.plan.recommendation(task.recommendation)
    today = view.as_of or today or date.today()
    title = Text(f"{task.id}  ", style="bold")
    title.append(f"{prefecture.name.get()} / {county.name.get()}  ·  {rec.id} {rec.title.get()}")
    out.print(title)
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold", no_wrap=True)
    fields.add_column()
    rows = task_fields(task, today, _status(task.status))
    for key, value in rows:
        fields.add_row(_(f"col.{key}"), value)
    out.print(fields)
    if task.due_revisions:
        out.print(Text(_("show.due_revisions"), style="bold"))
        table = Table(box=box.SIMPLE_HEAD, show_edge=False)
        for key in ("when", "who", "from", "to", "reason"):
            table.add_column(_(f"col.{key}"))
        for r in task.due_revisions:
            table.add_row(f"{r.at:%Y-%m-%d %H:%M}", _t(r.by), _t(r.previous), _t(r.due),
                          _t(r.reason))
        out.print(table)
    timeline = task_timeline(events, newest_first=False)
    if timeline:
        out.print(Text(_("show.timeline"), style="bold"))
        for line in timeline:
            out.print(line)
    indicators = [i for i in view.plan.indicators if i.recommendation == rec.id]
    if indicators:
        out.print(Text(_("show.measurements"), style="bold"))
        table = Table(box=box.SIMPLE_HEAD, show_edge=False)
        for key in ("indicator", "date", "value", "source", "who"):
            table.add_column(_(f"col.{key}"))
        for indicator in indicators:
            for key in indicator.derived_from or (indicator.id,):
                name = (view.plan.fact(key).title.get() if indicator.derived_from
                        else indicator.title.get())
                for m in view.measurements(task.county, key):
                    table.add_row(_t(name), m.date.isoformat(), _t(_value(m.value)),
                                  _t(m.source), _t(m.by))
        out.print(table)
    if events:
        out.print(Text(_("show.history"), style="bold"))
        render_history(view, events, out=out, with_task=False)


def task_fields(task: Task, today: date, status: Text) -> list[tuple[str, Text]]:
    """(column key, value) for a task's fields, as the CLI and the task screen show them;
    ``status`` is the caller's rendering of the status, the reason is added to it."""
    if task.reason:
        status.append("  ")
        status.append(clean_text(task.reason), style="italic")
    due = _t(task.due, "red" if task.is_overdue(today) else "")
    if task.due_revisions:
        due.append("  " + _("task.due_revised", count=len(task.due_revisions)), style="dim")
    return [
        ("status", status), ("owner", _t(task.owner)), ("due", due),
        ("next", _t(task.next_followup)),
        ("cadence", _t(field_value("cadence", task.cadence))),
        ("priority", _t(_(f"priority.{task.priority.value}"))),
        ("updated", _t(f"{task.updated_at:%Y-%m-%d %H:%M} {task.updated_by}")),
        ("version", _t(task.version)),
    ]


def task_flags(task: Task, today: date, stale_days: int) -> list[str]:
    """The words that flag a task in lists: overdue, stale."""
    flags = []
    if task.is_overdue(today):
        flags.append(_("flag.overdue"))
    if task.is_stale(today, stale_days):
        flags.append(_("flag.stale"))
    return flags


def task_timeline(events: list[dict[str, Any]], *, newest_first: bool = True) -> list[Text]:
    """A task's notes and follow-ups (from its events) as lines, newest first as the task
    screen shows them (the latest is what a caller wants, and at 80x24 the oldest would
    push it off the screen); ``newest_first=False`` for the CLI, whose last lines are the
    ones left in view (user text literal)."""
    timeline = timeline_of(events)
    dated: list[tuple[str, Text]] = []
    for note in timeline.notes:
        line = Text(f"{note.at:%Y-%m-%d %H:%M} {clean_text(note.by)}  ", style="dim")
        line.append(_("show.note") + ": ", style="bold")
        line.append(clean_text(note.text))
        dated.append((note.at.isoformat(), line))
    for f in timeline.followups:
        line = Text(f"{f.at:%Y-%m-%d %H:%M} {clean_text(f.by)}  ", style="dim")
        line.append(f"{_(f'kind.{f.kind.value}')} {f.date}: ", style="bold")
        line.append(clean_text(f.outcome))
        if f.next:
            line.append(f"  → {f.next}", style="cyan")
        dated.append((f.at.isoformat(), line))
    for attached in attachments_of(events):
        line = Text(f"{attached['at'][:16].replace('T', ' ')} {clean_text(attached['by'])}  ",
                    style="dim")
        line.append(_("show.attachment") + ": ", style="bold")
        line.append(_("show.attachment_line", name=clean_text(attached["name"]),
                      size=human_size(attached["size"]), type=attached["media_type"],
                      sha=attached["sha256"][:12]))
        if attached.get("note"):
            line.append("  " + clean_text(attached["note"]))
        dated.append((attached["at"], line))
    # By time, then as recorded (two entries of one second keep their order, reversed too).
    order = sorted(range(len(dated)), key=lambda i: (dated[i][0], i), reverse=newest_first)
    return [dated[i][1] for i in order]


def attachments_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A task's attachments, from its events, oldest first: name, size, media type,
    hash, note, when and by whom (never the file: the tracker does not open it)."""
    return [{**e["new"], "at": e["ts"], "by": e["user"], "seq": e.get("seq")}
            for e in events if e.get("type") == "attach"]


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def _value(value: Any) -> str:
    if value is True:
        return _("value.yes")
    if value is False:
        return _("value.no")
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def render_history(view: StateView, events: list[dict[str, Any]], *, out: Console | None = None,
                   with_task: bool = True) -> None:
    out = out or console()
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    columns = ["seq", "when", "who"] + (["task"] if with_task else []) + ["change", "comment"]
    for key in columns:
        table.add_column(_(f"col.{key}"), no_wrap=key != "comment" and key != "change")
    for e in events:
        row: list[Any] = [str(e["seq"]), e["ts"][:16].replace("T", " "), _t(e["user"])]
        if with_task:
            row.append(_t(e.get("task") or e.get("county") or ""))
        row.append(_t(describe_event(e, view.plan)))
        row.append(_t(e.get("comment")))
        table.add_row(*row)
    out.print(table)
    out.print(_("history.count", count=len(events)))


def describe_event(e: dict[str, Any], plan: Any = None) -> str:
    """One line for a history event; with ``plan``, fact and indicator titles."""
    kind = e["type"]
    if kind == "set" and e.get("undoes"):
        return _("event.undo", seq=e["undoes"], change=describe_event(
            {k: v for k, v in e.items() if k != "undoes"}, plan))
    if kind == "set":
        return _("event.set", field=_(f"field.{e['field']}"),
                 old=field_value(e["field"], e.get("old")),
                 new=field_value(e["field"], e.get("new")))
    if kind == "note":
        return _("event.note", text=e["new"])
    if kind == "attach":
        return _("event.attach", name=e["new"]["name"], sha=e["new"]["sha256"][:12])
    if kind == "followup":
        return _("event.followup", kind=_(f"kind.{e['new']['kind']}"),
                 outcome=e["new"]["outcome"])
    if kind == "measure":
        return _("event.measure", key=_measure_title(plan, e["field"]),
                 value=_value(e["new"]["value"]), date=e["new"]["date"])
    if kind == "init":
        return _("event.init", plan=e["new"]["id"])
    if kind == "setting":
        return _("event.setting", key=e["field"], old=_plain(e.get("old")),
                 new=_plain(e.get("new")))
    if kind == "put":
        return _("event.put", source=e.get("source", ""))
    if kind == "user":
        change = "added" if e.get("old") is None else "removed" if e.get("new") is None \
            else "changed"
        return _(f"event.user.{change}", account=e.get("account", ""),
                 old=describe_user(e.get("old")), new=describe_user(e.get("new")))
    if kind == "contact":
        new = e.get("new") or {}
        return _("event.contact", name=e.get("name", ""), email=new.get("email", "-"),
                 leader=new.get("leader", "-"))
    if kind == "digest":
        return _("event.digest" if e.get("sent") else "event.digest_failed",
                 name=e.get("name", ""), email=e.get("email", ""),
                 tasks=len(e.get("tasks", [])), escalated=len(e.get("escalated", [])),
                 error=e.get("error") or "")
    return _("event.other", kind=kind)


def describe_user(entry: dict[str, Any] | None) -> str:
    """A user's role and limits in one phrase: "editor (prefectures 211400; groups G07)"."""
    from tracker.domain.roles import describe_limits

    if not entry:
        return "-"
    from tracker.i18n import _

    role = _(f"role.name.{entry['role']}")
    if entry.get("prefectures") or entry.get("groups"):
        return f"{role} ({describe_limits(entry['prefectures'], entry['groups'])})"
    return role


def _plain(value: Any) -> str:
    return "-" if value is None else _value(value)


def _measure_title(plan: Any, key: str) -> str:
    if plan is not None:
        for item in (*plan.facts, *plan.indicators):
            if item.id == key:
                return str(item.title.get())
    return key


# -- report ----------------------------------------------------------------------------------
def report_json(view: StateView, as_of: date) -> dict[str, Any]:
    plan = view.plan
    report = report_rollups(view, as_of)
    return {
        "plan": plan.id,
        "as_of": as_of.isoformat(),
        "demo": view.demo,
        "history_head": view.head.get("hash"),
        "targets": [
            {"indicator": r.indicator.id, "recommendation": r.indicator.recommendation,
             "counties": r.counties, "with_data": r.with_data, "meeting": r.meeting,
             "province_value": r.province_value, "province_required": r.province_required,
             "deadline": r.deadline.isoformat(), "days_left": r.days_left}
            for r in report.targets
        ],
        "recommendations": [
            {"id": rec.id, "status": {s.value: n for s, n in
                                      report.recommendations[rec.id].statuses.items()}}
            for rec in plan.recommendations
        ],
        "prefectures": [
            {"code": p.code, "name": p.name.get(),
             "status": {s.value: n for s, n in report.prefectures[p.code].statuses.items()},
             "targets": {r.indicator.id: r.meeting for r in report.prefectures[p.code].targets}}
            for p in plan.prefectures
        ],
    }


def users_json(view: StateView, user: str) -> dict[str, Any]:
    """`tracker users list --json`: the listed users, the unknown-user policy, you."""
    from tracker.domain.roles import access_of, unknown_policy, users_of

    meta = view.meta
    users = users_of(meta)
    you = access_of(meta, user)
    contacts = meta.get("contacts") or {}
    groups = {name: entry for name, entry in sorted(contacts.items()) if name not in users}
    return {
        **({"group_contacts": groups} if groups else {}),
        "users": [{"user": name, "role": entry["role"],
                   "prefectures": list(entry.get("prefectures", [])),
                   "groups": list(entry.get("groups", [])),
                   **({"email": contacts[name]["email"]}
                      if contacts.get(name, {}).get("email") else {})}
                  for name, entry in sorted(users.items())],
        "unknown_users": unknown_policy(meta),
        "you": {"user": user, "role": you.role, "listed": you.listed},
    }


def render_users(view: StateView, user: str, *, out: Console | None = None) -> None:
    """`tracker users list`: user, role, limits (prefectures by code and name)."""
    out = out or console()
    data = users_json(view, user)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for key in ("user", "role", "limits"):
        table.add_column(_(f"users.col.{key}"), no_wrap=key != "limits")
    for entry in data["users"]:
        limits = []
        if entry["prefectures"]:
            names = []
            for code in entry["prefectures"]:
                try:
                    names.append(f"{code} {view.plan.prefecture(code).name.get()}")
                except NotFoundError:  # not in this plan (the command checks new ones)
                    names.append(code)
            limits.append(_("role.limits.prefectures", codes=", ".join(names)))
        if entry["groups"]:
            limits.append(_("role.limits.groups", groups=", ".join(entry["groups"])))
        table.add_row(_t(entry["user"]), _(f"role.name.{entry['role']}"),
                      _t("; ".join(limits) if limits else "-"))
    out.print(table)
    out.print(_(f"users.unknown_policy.{data['unknown_users']}"))
    you = data["you"]
    out.print(_("users.you" if you["listed"] else "users.you_unlisted", user=clean_text(user),
                role=_(f"role.name.{you['role']}") if you["role"] else "-"))


# -- tracker doctor -------------------------------------------------------------------
def _doctor_message(check: Check) -> tuple[str, str | None]:
    message = clean_text(_(check.key, **check.params), single_line=True)
    fix = clean_text(_(check.fix, **check.fix_params), single_line=True) if check.fix else None
    return message, fix


def doctor_counts(checks: list[Check]) -> dict[str, int]:
    return {level: sum(1 for c in checks if c.level == level) for level in LEVELS}


def doctor_lines(db: Path, checks: list[Check]) -> list[str]:
    """The text report: a title, one line per check (level, check, message), the fix
    under each warning and error, and a count."""
    def pad(text: str, width: int) -> str:
        return text + " " * (width - cell_len(text))

    levels = {level: _(f"doctor.level.{level}") for level in LEVELS}
    names = {c.name: _(f"doctor.check.{c.name}") for c in checks}
    level_width = max(cell_len(v) for v in levels.values()) + 2
    name_width = max((cell_len(v) for v in names.values()), default=0) + 2
    lines = [_("doctor.title", path=str(db))]
    for check in checks:
        message, fix = _doctor_message(check)
        lines.append("  " + pad(levels[check.level], level_width)
                     + pad(names[check.name], name_width) + message)
        if fix:
            lines.append(" " * (2 + level_width + name_width) + _("doctor.fix_line", fix=fix))
    number = doctor_counts(checks)
    lines.append(_("doctor.summary", ok=number[OK], warnings=number[WARNING],
                   errors=number[ERROR]))
    return lines


def doctor_json(db: Path, checks: list[Check]) -> dict[str, Any]:
    number = doctor_counts(checks)
    rows = []
    for check in checks:
        message, fix = _doctor_message(check)
        rows.append({"check": check.name, "level": check.level, "message": message,
                     "fix": fix, "key": check.key, "params": check.params})
    return {"database": str(db), "ok": number[ERROR] == 0, "errors": number[ERROR],
            "warnings": number[WARNING], "checks": rows}


# -- a county: tracker show 绥中 / tracker county 绥中 ---------------------------------------
PROGRESS_STYLE = {"met": "bold green", "on_track": "green", "at_risk": "yellow",
                  "off_track": "bold red", "no_data": "dim"}


def _threshold(indicator: Any) -> str:
    """The threshold as the report prints it (progress.threshold_text reads only the row's
    indicator)."""
    row: Any = SimpleNamespace(indicator=indicator)
    return threshold_text(row)


def county_value_text(indicator: Any, value: Any) -> str:
    """A county's value on one indicator as people read it: 39.6%, yes, 12/20 people."""
    if value.value is None:
        return "-"
    if value.required is not None:
        return f"{value.value}/{value.required}"
    if isinstance(value.value, float) and str(indicator.kind.value) == "percent":
        return f"{value.value:.1f}%"
    return _value(value.value)


def county_json(view: StateView, code: str, today: date) -> dict[str, Any]:
    """The county's figures (latest value, date, source), every target with its value
    against the threshold and its status (docs/progress.md), and its tasks."""
    from tracker.domain.progress import county_progress

    plan = view.plan
    county = plan.county(code)
    prefecture = plan.prefecture(county.prefecture)
    figures = []
    recorded = [(f.id, f.title) for f in plan.facts] + [
        (i.id, i.title) for i in plan.indicators if not i.derived_from]
    for key, name in recorded:
        latest = view.latest(code, key)
        figures.append({"key": key, "title": name.get(),
                        "value": None if latest is None else latest.value,
                        "date": None if latest is None else latest.date.isoformat(),
                        "source": None if latest is None else latest.source})
    targets = []
    for indicator in plan.indicators:
        value = county_progress(view, code, indicator, today)
        targets.append({"indicator": indicator.id, "title": indicator.title.get(),
                        "recommendation": indicator.recommendation,
                        "value": value.value, "required": value.required,
                        "threshold": _threshold(indicator), "met": value.met,
                        "status": value.status.value,
                        "measured_on": value.measured_on.isoformat()
                        if value.measured_on else None,
                        "projected": value.projected})
    tasks = [{"id": t.id, "recommendation": t.recommendation,
              "title": plan.recommendation(t.recommendation).title.get(),
              "status": t.status.value, "owner": t.owner,
              "next_followup": t.next_followup.isoformat() if t.next_followup else None,
              "due": t.due.isoformat() if t.due else None}
             for t in view.tasks() if t.county == code]
    data: dict[str, Any] = {
        "code": code, "county": county.name.get(), "county_zh": county.name.zh,
        "county_en": county.name.en, "prefecture_code": prefecture.code,
        "prefecture": prefecture.name.get(), "as_of": today.isoformat(),
        "figures": figures, "targets": targets, "tasks": tasks}
    if view.demo:
        data["demo"] = True
    return data


def render_county(view: StateView, code: str, today: date) -> None:
    out = console()
    _banner(out, view)
    data = county_json(view, code, today)
    plan = view.plan
    title = Text(f"{code}  ", style="bold")
    title.append(f"{data['prefecture']} / {data['county']}")
    title.append("  " + _("county.as_of", date=today.isoformat()), style="dim")
    out.print(title)

    figures = Table(title=_("county.figures"), title_justify="left", box=box.SIMPLE_HEAD,
                    show_edge=False)
    for key in ("figure", "value", "date", "source"):
        figures.add_column(_(f"col.{key}"), no_wrap=key != "figure")
    for row in data["figures"]:
        figures.add_row(_t(row["title"]), _t(None if row["value"] is None
                                              else _value(row["value"])),
                        _t(row["date"]), _t(row["source"]))
    out.print(figures)

    targets = Table(title=_("county.targets"), title_justify="left", box=box.SIMPLE_HEAD,
                    show_edge=False)
    for key in ("rec", "indicator", "value", "threshold", "status"):
        targets.add_column(_(f"col.{key}"), no_wrap=key != "indicator")
    for indicator, row in zip(plan.indicators, data["targets"], strict=True):
        from tracker.domain.progress import county_progress

        value = county_progress(view, code, indicator, today)
        targets.add_row(indicator.recommendation, _t(indicator.title.get()),
                        county_value_text(indicator, value), row["threshold"],
                        Text(_(f"progress.{row['status']}"),
                             style=PROGRESS_STYLE[row["status"]]))
    out.print(targets)

    tasks = Table(title=_("county.tasks"), title_justify="left", box=box.SIMPLE_HEAD,
                  show_edge=False)
    for key in ("id", "title", "status", "owner", "next"):
        tasks.add_column(_(f"col.{key}"), no_wrap=key != "title")
    for task in (t for t in view.tasks() if t.county == code):
        tasks.add_row(task.id, _t(plan.recommendation(task.recommendation).title.get()),
                      _status(task.status), _t(task.owner),
                      _t(task.next_followup if task.status.is_open else None))
    out.print(tasks)
