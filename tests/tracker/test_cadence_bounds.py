"""Issue 12, attack 9: `--cadence FREQ=SECONDLY` spun a core for more than 10 minutes and
`FREQ=SECONDLY;BYHOUR=25` ended in a traceback. Cadences are DAILY or slower now, and the
work of any next date is bounded: counted here as the months dateutil walks (its
``_iterinfo.rebuild`` runs once per month or year of the walk), not timed."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date
from unittest import mock

import pytest
from dateutil import rrule as dateutil_rrule

from tracker.domain.dates import next_occurrence, validate_cadence
from tracker.domain.errors import InvalidEdit, UsageError

from ..storage.storage_helpers import TRACKER, cli_env, task_ids

# Months walked: the probe of the calendar's last 11 years (132) plus a next date.
MAX_MONTHS_WALKED = 400


@pytest.fixture
def walked() -> Iterator[list[int]]:
    """Months walked (``rebuild``); the periods of a rule finer than a day (hours,
    minutes, seconds: their time sets) count too, so that the code before the fix
    fails here at once instead of spinning for minutes."""
    count = [0]

    def counting(original: object) -> object:
        def wrapper(self: object, *args: object) -> object:
            count[0] += 1
            if count[0] > 100 * MAX_MONTHS_WALKED:  # fail fast instead of spinning on
                raise AssertionError("the rule's iteration is not bounded")
            return original(self, *args)  # type: ignore[operator]

        return wrapper

    info = dateutil_rrule._iterinfo
    with mock.patch.object(info, "rebuild", counting(info.rebuild)), \
            mock.patch.object(info, "htimeset", counting(info.htimeset)), \
            mock.patch.object(info, "mtimeset", counting(info.mtimeset)), \
            mock.patch.object(info, "stimeset", counting(info.stimeset)):
        yield count


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=MINUTELY;INTERVAL=5", "FREQ=HOURLY",
                                  "FREQ=SECONDLY;BYHOUR=25", "FREQ=DAILY;BYHOUR=9"])
def test_a_cadence_finer_than_a_day_is_refused_in_one_message(
        rule: str, walked: list[int]) -> None:
    with pytest.raises(UsageError) as refused:
        validate_cadence(rule)
    assert refused.value.key == "cadence.too_often"
    assert "DAILY" in str(refused.value)
    assert walked[0] == 0


@pytest.mark.parametrize("rule", [
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",  # never: walked every day to 9999 (11 s)
    "FREQ=DAILY;COUNT=100000000;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",  # about every 28 years
    "FREQ=YEARLY;BYYEARDAY=366;BYDAY=SU"])
def test_a_rule_with_no_or_rare_dates_is_refused_after_a_bounded_walk(
        rule: str, walked: list[int]) -> None:
    with pytest.raises(UsageError) as refused:
        validate_cadence(rule)
    assert refused.value.key == "cadence.ends"
    assert walked[0] <= MAX_MONTHS_WALKED


@pytest.mark.parametrize(("rule", "anchor", "after", "expected"), [
    ("FREQ=DAILY;INTERVAL=3", date(1900, 1, 1), date(2026, 1, 1), date(2026, 1, 3)),
    ("FREQ=WEEKLY;BYDAY=MO,TH", date(1950, 1, 2), date(2026, 12, 2), date(2026, 12, 3)),
    ("FREQ=MONTHLY;BYMONTHDAY=31", date(1990, 1, 31), date(2026, 2, 1), date(2026, 3, 31)),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", date(2020, 2, 29), date(2024, 3, 1),
     date(2028, 2, 29)),
])
def test_a_next_date_from_a_far_anchor_is_right_and_a_short_walk(
        rule: str, anchor: date, after: date, expected: date, walked: list[int]) -> None:
    assert next_occurrence(validate_cadence(rule), anchor, after) == expected
    assert walked[0] <= MAX_MONTHS_WALKED


def test_a_stored_rule_finer_than_a_day_is_a_refused_edit_not_a_spin(
        walked: list[int]) -> None:
    """A database written before the refusal may hold one: its next date is refused."""
    with pytest.raises(InvalidEdit):
        next_occurrence("FREQ=SECONDLY", date(2020, 1, 1), date(2026, 1, 1))
    with pytest.raises(InvalidEdit):
        next_occurrence("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", date(2020, 1, 1),
                        date(2026, 1, 1))
    assert walked[0] <= MAX_MONTHS_WALKED


def test_the_cli_refuses_secondly_with_one_line(tmp_path: object) -> None:
    from pathlib import Path

    db = Path(str(tmp_path)) / "tracker.json"
    env = cli_env()
    subprocess.run([TRACKER, "--db", str(db), "init"], env=env, check=True,
                   capture_output=True)
    result = subprocess.run([TRACKER, "--db", str(db), "set", task_ids(1)[0], "--cadence",
                             "FREQ=SECONDLY;BYHOUR=25"], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "more often than daily" in result.stderr
