"""Plain aligned text for the commands a login script runs (`tracker agenda`): columns
padded by display width (Chinese names are two cells a character), without Rich's Console
and Table, whose import and layout cost more than the whole command may (docs: under
100 ms). Colour only on a terminal, and never with NO_COLOR. User text is cleaned of
control characters before it is written."""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Iterable, Sequence
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


def grid_lines(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int, *,
               right: Iterable[int] = (), flex: int | None = None) -> list[str]:
    """Columns two spaces apart, each as wide as its widest cell, those in ``right``
    aligned right (numbers). Column ``flex`` takes what the others leave of ``width`` and
    wraps its cells, a row then taking several lines; when the line is still too wide,
    headers wider than their cells wrap at their spaces. The header is underlined by a
    rule."""
    count = len(headers)
    aligned_right = set(right)
    cells = [max((cell_len(row[i]) for row in rows), default=0) for i in range(count)]
    widths = [max(c, cell_len(h)) for c, h in zip(cells, headers, strict=True)]
    gaps = 2 * (count - 1)
    others = [i for i in range(count) if i != flex]
    least = 0 if flex is None else max(10, cell_len(headers[flex]) // 2)
    for i in others:
        if sum(widths[j] for j in others) + least + gaps <= width:
            break
        longest_word = max((cell_len(word) for word in headers[i].split()), default=0)
        widths[i] = max(cells[i], longest_word)
    if flex is not None:
        left = width - gaps - sum(widths[i] for i in others)
        widths[flex] = max(min(widths[flex], left), least)

    def block(row: Sequence[str]) -> list[str]:
        pieces = [[c] if cell_len(c) <= w else wrap_words(c, w)
                  for c, w in zip(row, widths, strict=True)]
        lines = []
        for k in range(max(map(len, pieces))):
            line = []
            for i, (piece, w) in enumerate(zip(pieces, widths, strict=True)):
                text = piece[k] if k < len(piece) else ""
                pad = " " * (w - cell_len(text))
                line.append(pad + text if i in aligned_right else text + pad)
            lines.append("  ".join(line).rstrip())
        return lines

    out = block(headers)
    out.append("─" * min(width, sum(widths) + gaps))
    for row in rows:
        out += block(row)
    return out


def banner_lines(view: StateView, on: bool, width: int) -> list[str]:
    """The demo's banner (with its own day) and an as-of banner, as the lines begin,
    wrapped to ``width``."""
    texts = []
    if view.demo:
        day = view.meta.get("demo_today")
        texts.append(_("demo.banner_dated", date=day) if day else _("demo.banner"))
    if view.as_of is not None:
        texts.append(_("asof.banner", date=view.as_of.isoformat()))
    return [paint(line, "bold", on) for text in texts for line in wrap_words(text, width)]


def render_report(view: StateView, as_of: date, *, out: TextIO | None = None) -> None:
    """`tracker report`: progress toward each target, tasks by recommendation, the
    prefectures by target. Plain columns (:func:`grid_lines`), not Rich tables, whose
    import and layout were most of the command (docs/performance.md); 80 columns and
    up, wider terminals get the counties with data and the recommendations' titles."""
    from tracker.domain.model import Status
    from tracker.domain.progress import report_rollups, target_value, threshold_text

    stream = out or sys.stdout
    on = colour(stream)
    width = width_of(stream)
    wide = width >= 110
    plan = view.plan
    report = report_rollups(view, as_of)
    lines = banner_lines(view, on, width)
    lines += [paint(line, "bold", on) for line in wrap_words(plan.title.get(), width)]
    if view.as_of is None:
        lines.append(_("report.as_of", date=as_of.isoformat()))

    keys = ["rec", "meeting", *(["with_data"] if wide else []), "province", "threshold",
            "deadline", "days"]
    rows = []
    for number, row in enumerate(report.targets, start=1):
        rows.append([f"T{number}", clean_text(row.indicator.title.get(), single_line=True),
                     row.indicator.recommendation,
                     f"{row.meeting}/{row.counties}",
                     *([str(row.with_data)] if wide else []), target_value(row),
                     threshold_text(row), row.deadline.isoformat(), str(row.days_left)])
    headers = ["#", _("col.indicator"), *(_(f"col.{key}") for key in keys)]
    right = {headers.index(_(f"col.{k}")) for k in ("meeting", "with_data", "days")
             if k in keys}
    lines += ["", paint(_("report.targets"), "bold", on),
              *grid_lines(headers, rows, width, right=right, flex=1),
              *wrap(_("report.targets_caption"), width)]

    statuses = list(Status)
    headers = [_("col.rec"), *([_("col.title")] if wide else []),
               *(_(f"status.{s.value}") for s in statuses), _("flag.overdue"), _("flag.stale")]
    rows = []
    for rec in plan.recommendations:
        counts = report.recommendations[rec.id]
        rows.append([rec.id, *([clean_text(rec.title.get(), single_line=True)] if wide else []),
                     *(str(counts.statuses.get(s, 0)) for s in statuses),
                     str(counts.overdue), str(counts.stale)])
    first_number = 2 if wide else 1
    lines += ["", paint(_("report.by_rec"), "bold", on),
              *grid_lines(headers, rows, width, right=range(first_number, len(headers)))]

    closing = (Status.DONE, Status.VERIFIED, Status.NOT_APPLICABLE)
    headers = [_("col.prefecture"), _("col.closed"),
               *(f"T{n}" for n in range(1, len(report.targets) + 1))]
    rows = []
    for prefecture in plan.prefectures:
        pref_counts, targets = report.prefectures[prefecture.code]
        closed = sum(pref_counts.get(s, 0) for s in closing)
        rows.append([clean_text(prefecture.name.get(), single_line=True),
                     f"{closed}/{sum(pref_counts.values())}",
                     *(f"{r.meeting}/{r.counties}" for r in targets)])
    lines += ["", paint(_("report.by_prefecture"), "bold", on),
              *grid_lines(headers, rows, width, right=range(1, len(headers)))]
    stream.write("\n".join(lines) + "\n")


def cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with an ellipsis (never padded)."""
    return text if cell_len(text) <= width else fit(text, width).rstrip()


def render_task_list(view: StateView, tasks: Sequence[Task], today: date, *,
                     out: TextIO | None = None) -> None:
    """`tracker list`: one aligned line per task, then the count. Plain columns, not a
    Rich table: Rich's layout of 700 rows costs several times the rest of the command
    (docs/performance.md). Ids, statuses and dates are never cut; on a terminal narrower
    than 110 columns the prefecture is left out and the county and owner give way."""
    from tracker.domain.model import Status

    stream = out or sys.stdout
    on = colour(stream)
    width = width_of(stream)
    wide = width >= 110
    plan = view.plan
    stale_days = view.stale_days
    statuses = {s: _(f"status.{s.value}") for s in Status}
    overdue, stale = _("flag.overdue"), _("flag.stale")
    rows = []
    for task in tasks:
        county = plan.county(task.county)
        name, owner = county.name.get(), clean_text(task.owner or "-", single_line=True)
        if not wide:
            name, owner = cut(name, 14), cut(owner, 12)
        flags = [word for word, on_task in ((overdue, task.is_overdue(today)),
                                            (stale, task.is_stale(today, stale_days)))
                 if on_task]
        rows.append([task.id, *([plan.prefecture(county.prefecture).name.get()] if wide
                                else []),
                     name, task.recommendation, statuses[task.status], owner,
                     task.due.isoformat() if task.due else "-",
                     task.next_followup.isoformat() if task.next_followup else "-",
                     " ".join(flags)])
    keys = ["id", *(["prefecture"] if wide else []), "county", "rec", "status", "owner",
            "due", "next", "flags"]
    lines = banner_lines(view, on, width)
    table = table_lines([_(f"col.{key}") for key in keys], rows, width)
    if on:  # the flags (the last column) in red
        table[2:] = [line if not row[-1] else line[:len(line) - len(row[-1])]
                     + paint(row[-1], "overdue", on) for line, row in zip(
                         table[2:], rows, strict=True)]
    lines += table
    lines.append(_("list.count", count=len(tasks)))
    stream.write("\n".join(lines) + "\n")


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken at the last space that fits
    (or anywhere in a word longer than a line, as in Chinese text)."""
    lines: list[str] = []
    line, used = "", 0
    for char in text:
        size = cell_len(char)
        if used + size > width and line:
            space = line.rfind(" ")
            if char != " " and space > 0 and cell_len(line[space + 1:]) < width // 3:
                lines.append(line[:space])
                line = line[space + 1:]
            else:
                lines.append(line)
                line = ""
            used = cell_len(line)
            if char == " " and not line:
                continue
        line += char
        used += size
    lines.append(line)
    return [piece.rstrip() for piece in lines]


def wrap_words(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells: words kept whole where they fit
    (Latin text), a word longer than a line and text without spaces (Chinese) broken
    anywhere (:func:`wrap`)."""
    if " " not in text:
        return wrap(text, width)
    lines: list[str] = []
    line = ""
    for word in text.split():
        joined = f"{line} {word}" if line else word
        if cell_len(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        pieces = wrap(word, width)
        lines += pieces[:-1]
        line = pieces[-1]
    lines.append(line)
    return lines


def stream_history(view: StateView, events: Iterable[dict[str, Any]], *, with_task: bool = True,
                   out: TextIO | None = None) -> int:
    """`tracker history`: one event after another as it is read, never the whole
    journal in memory (500,000 events), so the first screen is out at once and a reader
    that stops (``| head``, ``| less`` then ``q``) stops the reading. The columns have
    fixed widths (seq as wide as the head's; who and task cut), since a width taken from
    every row would mean reading them all first. On a terminal the change (then the
    comment) wraps under itself; to a pipe each event is one line. Returns the count."""
    from tracker.formats.terminal import describe_event

    stream = out or sys.stdout
    tty = stream.isatty()
    width = width_of(stream)
    plan = view.plan
    widths = [max(len(str(view.head.get("seq") or 0)), cell_len(_("col.seq"))), 16,
              max(12, cell_len(_("col.who")))]
    headers = [_("col.seq"), _("col.when"), _("col.who")]
    if with_task:
        widths.append(max(10, cell_len(_("col.task"))))
        headers.append(_("col.task"))
    indent = sum(widths) + 2 * len(widths)
    room = max(width - indent, 20)
    comment = _("col.comment")
    stream.write("  ".join(fit(h, w) for h, w in zip(headers, widths, strict=True))
                 + "  " + _("col.change") + "\n")
    stream.write("─" * min(width, indent + room) + "\n")
    count = 0
    for e in events:
        cells = [str(e["seq"]), e["ts"][:16].replace("T", " "),
                 clean_text(str(e.get("user") or ""), single_line=True)]
        if with_task:
            cells.append(clean_text(str(e.get("task") or e.get("county") or ""),
                                    single_line=True))
        change = clean_text(describe_event(e, plan), single_line=True)
        note = e.get("comment")
        if note:
            change += f"  {comment}: {clean_text(str(note), single_line=True)}"
        head = "  ".join(fit(c, w) for c, w in zip(cells, widths, strict=True)) + "  "
        if tty:
            pieces = wrap(change, room)
            stream.write(head + pieces[0] + "".join(
                "\n" + " " * indent + piece for piece in pieces[1:]) + "\n")
        else:
            stream.write(head + change + "\n")
        count += 1
    stream.write(_("history.count", count=count) + "\n")
    return count


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
