"""Inline SVG charts for the printable pages: no script, no link, no font to fetch; they
read in black and white too (the threshold is dashed, the projection dotted, the trend
solid), and every label is escaped text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT = 230, 62
LEFT, RIGHT, TOP, BOTTOM = 26, 8, 6, 14


def trend_svg(points: Sequence[tuple[date, float]], *, threshold: float,
              deadline: date | None, projected: float | None, percent: bool,
              label: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    """A small line chart: the values from the first measurement on, the threshold
    line, and the projection from the last value to the deadline."""
    if not points:
        return ""
    start = points[0][0]
    end = max(points[-1][0], deadline or points[-1][0])
    top = 100.0 if percent else max([threshold, *[v for _d, v in points],
                                     projected or 0.0]) * 1.15 or 1.0
    span = max(1, (end - start).days)

    def x(day: date) -> float:
        return LEFT + (width - LEFT - RIGHT) * (day - start).days / span

    def y(value: float) -> float:
        return TOP + (height - TOP - BOTTOM) * (1 - max(0.0, min(value, top)) / top)

    line = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}">',
        f'<line x1="{LEFT}" y1="{y(0):.1f}" x2="{width - RIGHT}" y2="{y(0):.1f}" '
        'stroke="#888" stroke-width="0.6"/>',
        f'<line x1="{LEFT}" y1="{y(threshold):.1f}" x2="{width - RIGHT}" '
        f'y2="{y(threshold):.1f}" stroke="#555" stroke-width="0.8" stroke-dasharray="4 2"/>',
        f'<text x="{LEFT - 2}" y="{y(threshold) + 3:.1f}" font-size="7" text-anchor="end">'
        f'{escape(_number(threshold, percent))}</text>',
        f'<text x="{LEFT - 2}" y="{y(0) + 3:.1f}" font-size="7" text-anchor="end">0</text>',
        f'<polyline points="{line}" fill="none" stroke="#1f4e79" stroke-width="1.6"/>',
    ]
    last_day, last = points[-1]
    parts.append(f'<circle cx="{x(last_day):.1f}" cy="{y(last):.1f}" r="1.8" fill="#1f4e79"/>')
    if projected is not None and deadline is not None and deadline > last_day:
        parts.append(f'<line x1="{x(last_day):.1f}" y1="{y(last):.1f}" x2="{x(deadline):.1f}" '
                     f'y2="{y(projected):.1f}" stroke="#1f4e79" stroke-width="1" '
                     'stroke-dasharray="1 2"/>')
    parts.append(f'<text x="{LEFT}" y="{height - 3}" font-size="7">{start.year}</text>')
    parts.append(f'<text x="{width - RIGHT}" y="{height - 3}" font-size="7" '
                 f'text-anchor="end">{end.isoformat()}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float, percent: bool) -> str:
    text = f"{value:g}"
    return text + "%" if percent else text


def share_bar_svg(share: float, *, width: int = 60, height: int = 9) -> str:
    """A bar filled to ``share`` (0-1), outlined so that it reads without colour."""
    filled = max(0.0, min(1.0, share)) * (width - 2)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="bar" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}">'
            f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="none" '
            'stroke="#555"/>'
            f'<rect x="1" y="1" width="{filled:.1f}" height="{height - 2}" fill="#777"/></svg>')
