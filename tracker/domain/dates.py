"""Dates: the one place where text becomes a ``datetime.date``.

Accepted forms (what staff type and what county spreadsheets contain):
``2020-12-31``, ``2020/12/31``, ``2020.12.31``, ``2020年12月31日``, ``today`` / ``今天``,
and offsets from today: ``+2w``, ``-3d``, ``+1m``, ``+1y`` (d, w, m, y; months and years
by calendar arithmetic, so ``+1m`` from Jan 31 is Feb 28/29).
Recurring follow-ups use :func:`next_occurrence` (``dateutil.rrule`` for RRULE strings).

A date the tracker stores (a due date, a follow-up, a figure's date or a date-valued
figure) lies in :data:`EARLIEST` .. :data:`LATEST`: 1949, when the province's archives
bureaus were founded, to 2100. Outside that window a date is a typo (``+100y``,
``0202-12-31``); the store refuses it (tracker.domain.commands), whoever asks.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from dateutil.relativedelta import relativedelta

from tracker.domain.errors import InvalidEdit, UsageError

EARLIEST = date(1949, 1, 1)
LATEST = date(2100, 12, 31)

ACCEPTED_FORMS = "2020-12-31, 2020/12/31, 2020年12月31日, today, +2w, -3d, +1m"

_NUMERIC = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$")
_CHINESE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
_OFFSET = re.compile(r"^([+-])\s*(\d{1,4})\s*([dwmy])$", re.IGNORECASE)
_TODAY = {"today", "今天", "今日"}
_RRULE = re.compile(r"^FREQ=[A-Z]+(;[A-Z]+=[-+,0-9A-Z]+)*$", re.IGNORECASE)
_FULLWIDTH = str.maketrans("０１２３４５６７８９－／．＋", "0123456789-/.+")

NAMED_CADENCES = {  # the names are tracker.domain.fields.CADENCE_NAMES
    "weekly": relativedelta(weeks=1),
    "monthly": relativedelta(months=1),
    "quarterly": relativedelta(months=3),
}


def parse_date(text: str, *, today: date | None = None, option: str = "date") -> date:
    """Parse one of the accepted forms; a bad value raises UsageError naming ``option``."""
    value = text.strip().translate(_FULLWIDTH)
    base = today or date.today()
    if value.lower() in _TODAY:
        return base
    match = _NUMERIC.match(value) or _CHINESE.match(value)
    if match:
        year, month, day = (int(part) for part in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            raise UsageError("date.invalid_day", option=option, value=text,
                             forms=ACCEPTED_FORMS) from None
    match = _OFFSET.match(value)
    if match:
        sign, amount, unit = match.groups()
        count = int(amount) * (1 if sign == "+" else -1)
        delta = {
            "d": relativedelta(days=count),
            "w": relativedelta(weeks=count),
            "m": relativedelta(months=count),
            "y": relativedelta(years=count),
        }[unit.lower()]
        try:
            return base + delta
        except (OverflowError, ValueError):
            raise UsageError("date.out_of_range", option=option, value=text,
                             forms=ACCEPTED_FORMS) from None
    raise UsageError("date.bad", option=option, value=text, forms=ACCEPTED_FORMS)


def in_window(day: date) -> bool:
    """Whether ``day`` is a plausible date for the tracker to keep (EARLIEST..LATEST)."""
    return EARLIEST <= day <= LATEST


def check_window(day: date, what: str) -> None:
    """Refuse a date outside EARLIEST..LATEST; ``what`` names it (already translated)."""
    if not in_window(day):
        raise UsageError("date.out_of_window", what=what, value=day.isoformat(),
                         low=EARLIEST.isoformat(), high=LATEST.isoformat())


def parse_iso(text: str) -> date:
    """A stored date (always ISO); stored data is ours, so a bad one is a bug, not input."""
    return date.fromisoformat(text)


def validate_cadence(text: str, *, option: str = "--cadence") -> str:
    """Normalise a cadence: a named one, or an RFC 5545 RRULE that dateutil accepts."""
    value = text.strip()
    if value.lower() in NAMED_CADENCES:
        return value.lower()
    rule = value[6:] if value.upper().startswith("RRULE:") else value
    # One rule line, starting with its frequency; no INTERVAL=0 (dateutil would loop).
    if not _RRULE.match(rule) or re.search(r"INTERVAL=0*(;|$)", rule, re.IGNORECASE):
        raise UsageError("cadence.bad", option=option, value=text)
    from dateutil.rrule import rrule, rrulestr

    try:
        parsed = rrulestr(rule, dtstart=datetime(2020, 1, 1))
    except (ValueError, TypeError, OverflowError):
        raise UsageError("cadence.bad", option=option, value=text) from None
    if not isinstance(parsed, rrule) or parsed.after(datetime.now()) is None:
        # A rule that ends (COUNT, UNTIL) would leave a task with no next follow-up.
        raise UsageError("cadence.ends", option=option, value=text)
    return rule.upper()


def next_followup(cadence: str, scheduled: date | None, on: date) -> date:
    """The next follow-up after one made on ``on``, along ``cadence`` from the scheduled
    date: a follow-up made early covers the one scheduled, so the next is a step after
    that; one made late moves to the cadence's first date after ``on``."""
    anchor = scheduled or on
    return next_occurrence(cadence, anchor, max(anchor, on))


def next_occurrence(cadence: str, anchor: date, after: date) -> date:
    """The first date of ``cadence`` strictly after ``after``, counting from ``anchor``.

    Named cadences step by calendar months/weeks from the anchor (so a monthly follow-up
    anchored on the 31st falls on the last day of shorter months instead of skipping
    them, which plain RRULE monthly would do). RRULE strings go through dateutil.rrule.
    """
    step = NAMED_CADENCES.get(cadence)
    if step is not None:
        if anchor > after:
            return anchor
        # Jump close to the target first so that a far anchor does not loop for long.
        count = 0
        if step.months:
            months = (after.year - anchor.year) * 12 + after.month - anchor.month
            count = max(0, months // step.months - 1)
        elif step.days:
            count = max(0, (after - anchor).days // step.days - 1)
        while True:
            candidate = anchor + step * count
            if candidate > after:
                return candidate
            count += 1
    from dateutil.rrule import rrulestr

    rule = rrulestr(cadence, dtstart=datetime.combine(anchor, datetime.min.time()))
    found = rule.after(datetime.combine(after, datetime.max.time()))
    if found is None:
        raise InvalidEdit("cadence.exhausted", value=cadence, after=after.isoformat())
    return found.date()
