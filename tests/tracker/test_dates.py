"""Every accepted date form, the bad ones, and cadence arithmetic."""

from datetime import date

import pytest

from tracker.domain.dates import next_occurrence, parse_date, validate_cadence
from tracker.domain.errors import UsageError
from tracker.i18n import set_language

TODAY = date(2020, 1, 31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-12-31", date(2020, 12, 31)),
        ("2020/12/31", date(2020, 12, 31)),
        ("2020.12.31", date(2020, 12, 31)),
        ("2020-1-5", date(2020, 1, 5)),
        ("2020年12月31日", date(2020, 12, 31)),
        ("2020年1月5日", date(2020, 1, 5)),
        ("2020年1月5号", date(2020, 1, 5)),
        ("２０２０－１２－３１", date(2020, 12, 31)),
        ("today", TODAY),
        ("TODAY", TODAY),
        ("今天", TODAY),
        ("+2w", date(2020, 2, 14)),
        ("-3d", date(2020, 1, 28)),
        ("+1m", date(2020, 2, 29)),  # calendar month: Jan 31 + 1 month = Feb 29 (leap)
        ("+1y", date(2021, 1, 31)),
        (" 2020-12-31 ", date(2020, 12, 31)),
    ],
)
def test_accepted_forms(text: str, expected: date) -> None:
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    "text", ["", "31/12/2020", "2020-13-01", "2020-02-30", "2020年2月30日", "tomorrow",
             "+2", "2w", "+2x", "20201231x", "12", "2020-12", "--1d", "+99999d"],
)
def test_bad_forms_name_the_option_value_and_forms(text: str) -> None:
    set_language("en")
    with pytest.raises(UsageError) as caught:
        parse_date(text, today=TODAY, option="--due")
    message = str(caught.value)
    assert message.startswith("--due:")
    assert repr(text).strip("'") in message
    assert "2020年12月31日" in message and "+2w" in message


def test_bad_date_message_in_chinese() -> None:
    set_language("zh")
    try:
        with pytest.raises(UsageError) as caught:
            parse_date("2020-02-30", option="--due")
        assert "不是日历上的日期" in str(caught.value)
    finally:
        set_language("en")


def test_monthly_cadence_keeps_month_end() -> None:
    # Plain RRULE monthly from Jan 31 would skip February; we step calendar months.
    assert next_occurrence("monthly", date(2020, 1, 31), date(2020, 2, 1)) == date(2020, 2, 29)
    assert next_occurrence("monthly", date(2020, 1, 15), date(2020, 1, 15)) == date(2020, 2, 15)


def test_named_cadences_from_far_anchor() -> None:
    assert next_occurrence("weekly", date(2017, 1, 2), date(2020, 6, 10)) == date(2020, 6, 15)
    assert next_occurrence("quarterly", date(2017, 3, 31), date(2020, 7, 1)) == date(2020, 9, 30)
    # An anchor in the future is itself the next date.
    assert next_occurrence("monthly", date(2021, 5, 1), date(2020, 1, 1)) == date(2021, 5, 1)


def test_rrule_cadence() -> None:
    rule = validate_cadence("RRULE:FREQ=MONTHLY;BYMONTHDAY=15;INTERVAL=2")
    assert rule == "FREQ=MONTHLY;BYMONTHDAY=15;INTERVAL=2"
    assert next_occurrence(rule, date(2020, 1, 15), date(2020, 1, 20)) == date(2020, 3, 15)


@pytest.mark.parametrize("text", [
    "daily-ish", "FREQ=SOMETIMES", "BYDAY=MO", "", "FREQ=YEARLY;INTERVAL=0",
    "FREQ=DAILY;COUNT=1", "FREQ=DAILY;UNTIL=20000101", "FREQ=MONTHLY;BYMONTH=13",
    "FREQ=DAILY\nEXDATE:20200101"])
def test_bad_cadence(text: str) -> None:
    with pytest.raises(UsageError):
        validate_cadence(text)


def test_rule_that_ran_out_is_a_refused_edit_not_a_hang() -> None:
    from tracker.domain.errors import InvalidEdit

    rule = "FREQ=WEEKLY;UNTIL=20200301"  # stored before it ran out
    with pytest.raises(InvalidEdit):
        next_occurrence(rule, date(2020, 1, 1), date(2020, 3, 1))
