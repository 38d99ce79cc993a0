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

import functools
import math
import re
from datetime import date, datetime, timedelta
from typing import Any

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


# Cadences are follow-ups: a day is the finest step (SECONDLY spun a core for minutes).
ALLOWED_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
RFC_FREQUENCIES = ("SECONDLY", "MINUTELY", "HOURLY", *ALLOWED_FREQUENCIES)
# A next date is looked for at most this far after the day it follows (a rule whose dates
# are rarer than that, or that has none, is refused), and the rule's iteration starts at
# most one step before that day, so that at most MAX_PERIODS of the rule's periods are
# walked whatever the rule (days for DAILY): each is a few microseconds.
HORIZON_YEARS = 10
MAX_PERIODS = 4000
_FREQ = re.compile(r"(?:^|;)FREQ=([A-Z]+)", re.IGNORECASE)


_TIME_OF_DAY = re.compile(r"(?:^|;)BY(?:HOUR|MINUTE|SECOND)=", re.IGNORECASE)


def _frequency(rule: str) -> str:
    """The rule's FREQ, or "" if it has none or names times of day (BYHOUR, BYMINUTE,
    BYSECOND: a follow-up is a day, and those multiply the occurrences walked)."""
    found = _FREQ.search(rule)
    if found is None or _TIME_OF_DAY.search(rule):
        return ""
    return found.group(1).upper()


def validate_cadence(text: str, *, option: str = "--cadence") -> str:
    """Normalise a cadence: a named one, or an RFC 5545 RRULE that dateutil accepts, of
    a DAILY or slower frequency, with a next date within HORIZON_YEARS."""
    value = text.strip()
    if value.lower() in NAMED_CADENCES:
        return value.lower()
    rule = value[6:] if value.upper().startswith("RRULE:") else value
    # One rule line, starting with its frequency; no INTERVAL=0 (dateutil would loop).
    if not _RRULE.match(rule) or re.search(r"INTERVAL=0*(;|$)", rule, re.IGNORECASE):
        raise UsageError("cadence.bad", option=option, value=text)
    frequency = _FREQ.search(rule)
    if frequency is None or frequency.group(1).upper() not in RFC_FREQUENCIES:
        raise UsageError("cadence.bad", option=option, value=text)
    if re.search(r"(?:^|;)(?:COUNT|UNTIL)=", rule, re.IGNORECASE):
        # A rule that ends would leave a task with no next follow-up one day.
        raise UsageError("cadence.ends", option=option, value=text)
    if _frequency(rule) not in ALLOWED_FREQUENCIES:
        raise UsageError("cadence.too_often", option=option, value=text,
                         allowed=", ".join(ALLOWED_FREQUENCIES))
    from dateutil.rrule import rrule, rrulestr

    try:
        parsed = rrulestr(rule, dtstart=datetime(2020, 1, 1))
    except (ValueError, TypeError, OverflowError):
        raise UsageError("cadence.bad", option=option, value=text) from None
    if not isinstance(parsed, rrule):
        raise UsageError("cadence.bad", option=option, value=text)
    today = date.today()
    try:
        next_occurrence(rule.upper(), today, today)
    except InvalidEdit:
        # A rule that ends (COUNT, UNTIL) would leave a task with no next follow-up.
        raise UsageError("cadence.ends", option=option, value=text) from None
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
    return _next_of_rule(cadence, anchor, after)


def _next_of_rule(cadence: str, anchor: date, after: date) -> date:
    """The RRULE case of :func:`next_occurrence`, with its work bounded (MAX_PERIODS of
    the rule's periods at most): a rule of a frequency finer than a day (stored before
    they were refused) or without a date within HORIZON_YEARS is a refused edit."""
    from dateutil.rrule import rrule, rrulestr

    if _frequency(cadence) not in ALLOWED_FREQUENCIES:
        raise InvalidEdit("cadence.exhausted", value=cadence, after=after.isoformat())
    try:
        rule = rrulestr(cadence, dtstart=datetime.combine(anchor, datetime.min.time()))
    except (ValueError, TypeError, OverflowError):
        raise InvalidEdit("cadence.exhausted", value=cadence, after=after.isoformat()) from None
    if not isinstance(rule, rrule):
        raise InvalidEdit("cadence.exhausted", value=cadence, after=after.isoformat())
    start = _start_near(rule, anchor, after)
    try:
        horizon = datetime.combine(after.replace(year=after.year + HORIZON_YEARS),
                                   datetime.max.time())
    except ValueError:  # 29 February, or past the year 9999
        horizon = datetime.combine(min(after, date(9989, 1, 1)) + timedelta(
            days=365 * HORIZON_YEARS), datetime.max.time())
    if not _dates_often_enough(cadence):
        raise InvalidEdit("cadence.exhausted", value=cadence, after=after.isoformat())
    # dateutil keeps a parsed rule's UNTIL and COUNT only in these two attributes.
    until, count = rule._until, rule._count  # type: ignore[attr-defined]
    bounded = rule.replace(dtstart=datetime.combine(start, datetime.min.time()),
                           until=min(until, horizon) if until else horizon, count=None)
    if rule_periods(bounded) > MAX_PERIODS:
        raise InvalidEdit("cadence.exhausted", value=cadence, after=after.isoformat())
    end_of_after = datetime.combine(after, datetime.max.time())
    for number, found in enumerate(bounded, start=1):
        if count is not None and number > count:
            break
        if found > end_of_after:
            return found.date()
    raise InvalidEdit("cadence.exhausted", value=cadence, after=after.isoformat())


def _start_near(rule: Any, anchor: date, after: date) -> date:
    """Where to start the rule's walk: the anchor moved forward by a whole number of the
    rule's steps, to at most a year before ``after``, so that its dates are the same
    (the same weekday and place in the interval for DAILY and WEEKLY; whole years for
    MONTHLY and YEARLY, so the same day of the month). A COUNT rule, whose dates are
    counted from the anchor, and an anchor on 29 February start at the anchor."""
    from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY

    if rule._count is not None or after <= anchor:
        return anchor
    freq, interval = rule._freq, rule._interval
    if freq in (DAILY, WEEKLY):
        step = interval * (7 if freq == WEEKLY else 1)
        return anchor + timedelta(days=max(0, (after - anchor).days // step - 1) * step)
    if (anchor.month, anchor.day) == (2, 29):
        return anchor
    years = interval if freq == YEARLY else math.lcm(interval, 12) // 12 \
        if freq == MONTHLY else 0
    if not years:
        return anchor
    steps = max(0, (after.year - anchor.year) // years - 1)
    return anchor.replace(year=anchor.year + steps * years)


@functools.lru_cache(maxsize=256)
def _dates_often_enough(cadence: str) -> bool:
    """Whether the rule, without its end (COUNT, UNTIL), has at least two dates in the
    last HORIZON_YEARS + 1 years of the calendar (9989-9999).

    dateutil checks a rule's end only at a date that passes its filters, so a rule
    without any (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30``) walks every day to the year 9999
    (11 s, measured), and a very rare one walks decades. Walked from 9989, either kind
    stops at the calendar's end after at most ~4,000 periods (days, for DAILY): such a
    rule is refused, and one that passes has dates often enough that a next date is a
    short walk from one step before the day it follows."""
    from dateutil.rrule import rrule, rrulestr

    probe = rrulestr(cadence, dtstart=datetime(9999 - HORIZON_YEARS, 1, 1))
    if not isinstance(probe, rrule):  # a set of rules: not a cadence (validate_cadence)
        return False
    probe = probe.replace(count=None, until=None)
    return any(number >= 2 for number, _date in enumerate(probe, start=1))


def rule_periods(rule: object) -> int:
    """How many periods of its frequency (days, weeks, months, years) dateutil walks
    for ``rule`` from its start to its end: the bound of the work of a next date. A rule
    without an end (a COUNT rule, whose count may never be reached) counts as unbounded
    beyond its horizon from the start."""
    from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY

    start = rule._dtstart  # type: ignore[attr-defined]
    end = rule._until  # type: ignore[attr-defined]
    if end is None:
        end = start.replace(year=min(9999, start.year + HORIZON_YEARS))
    days = (end - start).days + 1
    freq = rule._freq  # type: ignore[attr-defined]
    if freq == DAILY:
        return days
    if freq == WEEKLY:
        return days // 7 + 1
    if freq == MONTHLY:
        return (end.year - start.year) * 12 + end.month - start.month + 1
    if freq == YEARLY:
        return end.year - start.year + 1
    return MAX_PERIODS + 1  # finer than a day: never walked
