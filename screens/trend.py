"""A target's trend as a small text chart: the county screen and a target's drill-down.

One column per quarter (tracker.formats.trends: the points the exports chart), bars in
eighths of a line, the threshold as a dotted line across, the scale and the first and
last dates beside. Text, not a plot library: six lines that read at 80x24, in any
terminal and over SSH (``ascii`` draws with ``#`` and ``-`` where block glyphs are
ambiguous-width). Textual's Sparkline has no threshold nor scale; textual-plotext would
bring plotext and its canvas for what is six lines of text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.text import Text
from textual.widgets import Static

from tracker.domain.plan import Indicator
from tracker.domain.state import StateView

BLOCKS = " ▁▂▃▄▅▆▇█"
HEIGHT = 5  # lines of bars
COLUMN = 2  # characters per point


def trend_text(title: str, points: Sequence[tuple[date, float]], *, threshold: float | None,
               top: float = 100.0, unit: str = "%", ascii_only: bool = False) -> Text:
    """The chart as rich Text: a title line, HEIGHT lines of bars, a line of dates."""
    out = Text(title, style="bold")
    if not points:
        out.append("  -", style="dim")
        return out
    top = max([top, threshold or 0.0, *[v for _d, v in points]]) or 1.0
    levels = [round(max(0.0, v) / top * HEIGHT * 8) for _d, v in points]
    line_at = None if threshold is None else min(HEIGHT - 1, int(threshold / top * HEIGHT))
    for row in range(HEIGHT - 1, -1, -1):  # top line first
        label = f"{top:g}{unit}" if row == HEIGHT - 1 else (
            f"{threshold:g}{unit}" if row == line_at else "")
        out.append(f"\n{label:>6} ", style="dim")
        for level in levels:
            filled = level - row * 8
            if filled >= 8:
                glyph = "#" if ascii_only else BLOCKS[8]
            elif filled > 0:
                glyph = "#" if ascii_only else BLOCKS[filled]
            else:
                glyph = ""
            if glyph:
                out.append(glyph * COLUMN, style="bold blue")
            elif row == line_at:
                out.append(("-" if ascii_only else "┄") * COLUMN, style="yellow")
            else:
                out.append(" " * COLUMN)
    first, last = points[0], points[-1]
    span = len(points) * COLUMN
    dates = f"{first[0].isoformat()}"
    end = f"{last[0].isoformat()} {last[1]:.1f}{unit}"
    gap = max(1, span - len(dates) - len(end))
    out.append(f"\n{'':>6} {dates}{' ' * gap}{end}", style="dim")
    return out


class TrendChart(Static):
    """A Static showing ``trend_text``; ``show`` replaces what it draws."""

    DEFAULT_CSS = "TrendChart { height: auto; margin: 0 0 1 0; }"

    def show(self, title: str, points: Sequence[tuple[date, float]], *,
             threshold: float | None, unit: str = "%", top: float = 100.0) -> None:
        ascii_only = getattr(self.app, "ascii_mode", False) is True
        self.update(trend_text(title, points, threshold=threshold, unit=unit, top=top,
                               ascii_only=ascii_only))


def indicator_points(view: StateView, indicator: Indicator,
                     counties: Sequence[tuple[str, str]], day: date,
                     ) -> tuple[list[tuple[date, float]], float, str, float]:
    """The charted points of ``indicator`` over ``counties`` (as the exports chart it),
    its threshold line, unit and scale."""
    from tracker.formats.trends import (
        build_trends,
        charted_threshold,
        charted_value,
        numeric_target,
    )

    trends = build_trends(view, [indicator], counties, day)
    found = trends["indicators"].get(indicator.id)
    points: list[tuple[date, float]] = []
    if found:
        for text, point in zip(trends["dates"], found["total"], strict=True):
            value = charted_value(indicator, point, len(counties))
            if value is not None:
                points.append((date.fromisoformat(text), value))
    percent = not numeric_target(indicator) or indicator.kind.value == "percent"
    threshold = charted_threshold(indicator)
    top = 100.0 if percent else max([threshold, *[v for _d, v in points]]) * 1.2
    return points, threshold, "%" if percent else "", top


def sparkline(values: Sequence[float | None], *, top: float, ascii_only: bool = False) -> Text:
    """One line of eighth-blocks, a point per character (no data: a blank), scaled to
    ``top``: the dashboard's trend column."""
    out = Text(style="blue")
    for value in values:
        if value is None:
            out.append(" ")
            continue
        level = round(max(0.0, min(value, top)) / top * 8) if top > 0 else 0
        if ascii_only:
            out.append("_.-=#"[min(4, level // 2)])
        else:
            out.append(BLOCKS[max(1, level)])  # a measured zero still shows as a floor
    return out
