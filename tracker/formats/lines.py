"""Plain aligned text for the commands a login script runs (`tracker agenda`): columns
padded by display width (Chinese names are two cells a character), without Rich's Console
and Table, whose import and layout cost more than the whole command may (docs: under
100 ms). Colour only on a terminal, and never with NO_COLOR. User text is cleaned of
control characters before it is written."""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any, TextIO

from tracker.domain.model import Task
from tracker.domain.queries import bucket
from tracker.domain.state import StateView
from tracker.domain.text import clean_text
from tracker.i18n import _


def cell_len(text: str) -> int:
    """Display width: wide and fullwidth characters (Chinese) take two cells. (Rich's
    cell_len, whose import costs more than this command may spend.)"""
    if text.isascii():
        return len(text)
    width = unicodedata.east_asian_width
    return sum(2 if width(char) in ("W", "F") else 0 if unicodedata.combining(char) else 1
               for char in text)


STYLES = {"overdue": "1;31", "today": "1;33", "bold": "1", "dim": "2"}


def colour(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def paint(text: str, style: str, on: bool) -> str:
    return f"\x1b[{STYLES[style]}m{text}\x1b[0m" if on and style else text


def width_of(stream: TextIO) -> int:
    try:
        return int(os.environ.get("COLUMNS", "0")) or os.get_terminal_size(
            stream.fileno()).columns
    except (ValueError, OSError, AttributeError):
        return 80


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells (with an ellipsis) or padded to it."""
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    out, used = [], 0
    for char in text:
        size = cell_len(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + "…" + " " * (width - 1 - used)


def table_lines(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> list[str]:
    """Columns two spaces apart; the last column takes what is left of ``width`` (cut,
    never wrapped); the header is underlined by a rule."""
    if not rows:
        return []
    widths = [max(cell_len(h), *(cell_len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    used = sum(widths[:-1]) + 2 * (len(widths) - 1)
    widths[-1] = max(min(widths[-1], width - used), cell_len(headers[-1]), 4)
    lines = ["  ".join(fit(h, w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("─" * min(width, sum(widths) + 2 * (len(widths) - 1)))
    for row in rows:
        lines.append("  ".join(fit(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
    return lines


def agenda_rows(view: StateView, tasks: Sequence[Task], today: date, *,
                wide: bool) -> list[tuple[str, list[str]]]:
    """(bucket, cells) for each task of the agenda, as `tracker agenda` prints them."""
    plan = view.plan
    rows = []
    for task in tasks:
        county = plan.county(task.county)
        cells = [task.next_followup.isoformat() if task.next_followup else "-", task.id]
        if wide:
            cells.append(plan.prefecture(county.prefecture).name.get())
        cells += [county.name.get(), _(f"status.{task.status.value}"),
                  clean_text(task.owner or "-", single_line=True)]
        last = task.last_followup
        cells.append("-" if last is None else clean_text(
            f"{last.date} {_(f'kind.{last.kind.value}')}: {last.outcome}", single_line=True))
        rows.append((bucket(task, today), cells))
    return rows


def render_agenda(view: StateView, tasks: Sequence[Task], today: date, until: date, *,
                  scope: str, out: TextIO | None = None) -> None:
    """The agenda: a title (whose, as of when), then overdue, today and the coming days,
    each with its count, as aligned columns."""
    stream = out or sys.stdout
    on = colour(stream)
    width = width_of(stream)
    wide = width >= 110
    lines: list[str] = []
    if view.demo:
        lines.append(paint(_("demo.banner_dated", date=today.isoformat()), "bold", on))
    lines.append(paint(_("agenda.title", scope=scope, today=today.isoformat(),
                         until=until.isoformat()), "bold", on))
    rows = agenda_rows(view, tasks, today, wide=wide)
    headers = [_("col.next"), _("col.id"), *([_("col.prefecture")] if wide else []),
               _("col.county"), _("col.status"), _("col.owner"), _("col.last")]
    groups: dict[str, list[list[str]]] = {"overdue": [], "today": [], "coming": []}
    for name, cells in rows:
        groups[name if name in ("overdue", "today") else "coming"].append(cells)
    # One set of column widths for all three groups, so that they line up.
    table = table_lines(headers, [c for g in groups.values() for c in g], width)
    if not rows:
        lines.append(_("agenda.nothing", until=until.isoformat()))
    lines += table[:2]
    body = iter(table[2:])
    styles = {"overdue": "overdue", "today": "today", "coming": "bold"}
    for name, cells_list in groups.items():
        if not cells_list:
            continue
        lines.append(paint(_(f"agenda.group.{name}", count=len(cells_list),
                             days=(until - today).days), styles[name], on))
        lines += [next(body) for _cells in cells_list]
    counts = {name: len(cells) for name, cells in groups.items()}
    lines.append(_("agenda.count", **counts))
    stream.write("\n".join(lines) + "\n")


def agenda_json(view: StateView, tasks: Sequence[Task], today: date, until: date,
                owners: list[str] | None) -> dict[str, Any]:
    plan = view.plan
    counts = dict.fromkeys(("overdue", "today", "week", "later"), 0)
    items = []
    for task in tasks:
        county = plan.county(task.county)
        where = bucket(task, today)
        counts[where] += 1
        last = task.last_followup
        items.append({
            "id": task.id, "bucket": where,
            "next_followup": task.next_followup.isoformat() if task.next_followup else None,
            "county_code": task.county, "county": county.name.get(),
            "prefecture_code": county.prefecture,
            "prefecture": plan.prefecture(county.prefecture).name.get(),
            "recommendation": task.recommendation, "status": task.status.value,
            "owner": task.owner, "due": task.due.isoformat() if task.due else None,
            "last_followup": None if last is None else {
                "date": last.date.isoformat(), "kind": last.kind.value,
                "outcome": last.outcome},
        })
    data: dict[str, Any] = {"today": today.isoformat(), "until": until.isoformat(),
                            "owners": owners, "counts": counts, "tasks": items}
    if view.demo:
        data["demo"] = True
    return data


def preview_lines(events: list[dict[str, Any]]) -> list[str]:
    """What a bulk change would do, one line an event (nothing is written yet)."""
    from tracker.domain.fields import field_value
    from tracker.i18n import _

    lines = []
    for event in events:
        task = event.get("task") or event.get("county") or ""
        if event["type"] == "set":
            name = event["field"]
            lines.append(_("bulk.line.set", task=task, field=_(f"field.{name}"),
                           old=field_value(name, event.get("old")),
                           new=field_value(name, event.get("new"))))
        elif event["type"] == "followup":
            new = event["new"]
            lines.append(_("bulk.line.followup", task=task, kind=_(f"kind.{new['kind']}"),
                           date=new["date"], outcome=clean_text(new["outcome"],
                                                                single_line=True)))
        else:
            lines.append(_("bulk.line.other", task=task, type=event["type"]))
    return lines
