"""Every rule of a command is the store's: a bad command given straight to Store.apply
(not through the CLI or a screen, which check early on top) is refused, and nothing is
written: neither the journal nor the state changes.

The database is the built-in plan's, created by the account running the tests (its
admin); the store's clock is 2018-03-01."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tracker.domain.commands import (
    MAX_VALUE,
    AddNote,
    Command,
    LogFollowup,
    Measure,
    SetFields,
    value_fits,
)
from tracker.domain.errors import TrackerError, UsageError
from tracker.domain.fields import FollowupKind, Status
from tracker.domain.plan import IndicatorKind, builtin_plan
from tracker.storage.store import Store

CST = timezone(timedelta(hours=8))
TODAY = date(2018, 3, 1)
SUIZHONG = "211421"
TASK = "211421-2.5"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "tracker.json",
                  clock=lambda: datetime.combine(TODAY, datetime.min.time(), CST))
    store.create(builtin_plan())
    store.apply(Measure(SUIZHONG, "permanent_volumes", 43179, date(2017, 12, 31)),
                Measure(SUIZHONG, "digitized_permanent_volumes", 40000, date(2017, 12, 31)))
    return store


def refused(store: Store, command: Command, match: str,
            error: type[TrackerError] = UsageError) -> None:
    """``command`` is refused by the store with ``error`` naming ``match``; the journal
    and the state file are as they were."""
    journal, state = store.history.size(), store.path.read_bytes()
    with pytest.raises(error, match=match):
        store.apply(command)
    assert store.history.size() == journal
    assert store.path.read_bytes() == state


# -- Measure ------------------------------------------------------------------------------
def test_a_part_above_its_whole_is_refused_either_way(store: Store) -> None:
    refused(store, Measure(SUIZHONG, "digitized_permanent_volumes", 50000, date(2018, 1, 31)),
            r"Permanent holdings digitized \(50000\) would be more than Permanent holdings "
            r"\(43179\)")
    refused(store, Measure(SUIZHONG, "permanent_volumes", 39999, date(2018, 1, 31)),
            r"\(40000\) would be more than Permanent holdings \(39999\)")


def test_a_part_is_held_against_its_whole_as_of_its_own_date(store: Store) -> None:
    """A figure dated before the whole was counted is not held against it; one dated
    after is (an import of last year's figures must not trip over this year's)."""
    store.apply(Measure(SUIZHONG, "permanent_volumes", 1000, date(2017, 6, 30)))
    store.apply(Measure(SUIZHONG, "digitized_permanent_volumes", 900, date(2017, 6, 30)))
    refused(store, Measure(SUIZHONG, "digitized_permanent_volumes", 1001, date(2017, 7, 1)),
            r"\(1001\) would be more than Permanent holdings \(1000\)")
    store.apply(Measure(SUIZHONG, "digitized_permanent_volumes", 41000, date(2018, 1, 1)))


@pytest.mark.parametrize(("key", "value"), [
    ("staff", 3.5),  # a count is a whole number
    ("staff", True),  # ... not a yes/no
    ("staff", -1),
    ("staff", "12"),
    ("holdings", MAX_VALUE),  # would not survive a JSON round trip exactly
    ("maintenance_fee", math.nan),
    ("maintenance_fee", math.inf),
    ("maintenance_fee", -0.5),
    ("budget_funding", 1),  # yes/no is a bool
    ("budget_funding", "yes"),
    ("assessment_date_set", "2020-13-01"),
    ("assessment_date_set", "20200101"),  # ISO, as stored
    ("assessment_date_set", "1900-01-01"),  # outside the window
    ("assessment_date_set", date(2020, 1, 1)),  # stored as text
])
def test_a_value_not_of_its_kind_is_refused(store: Store, key: str, value: Any) -> None:
    refused(store, Measure(SUIZHONG, key, value, date(2018, 1, 31)), "is not a valid")


def test_a_computed_indicator_or_an_unknown_key_is_refused(store: Store) -> None:
    refused(store, Measure(SUIZHONG, "digitized_share", 50.0, date(2018, 1, 31)),
            "record those instead")
    refused(store, Measure(SUIZHONG, "volumes", 5, date(2018, 1, 31)), "volumes",
            TrackerError)


def test_a_figure_dated_before_the_window_is_refused(store: Store) -> None:
    refused(store, Measure(SUIZHONG, "staff", 5, date(1948, 12, 31)),
            "outside the dates the tracker keeps")


def test_value_fits_says_what_the_store_keeps() -> None:
    assert value_fits(IndicatorKind.PERCENT, 100) and value_fits(IndicatorKind.PERCENT, 0.5)
    assert not value_fits(IndicatorKind.PERCENT, 100.01)
    assert value_fits(IndicatorKind.COUNT, MAX_VALUE - 1)
    assert not value_fits(IndicatorKind.AMOUNT, -MAX_VALUE)
    assert value_fits(IndicatorKind.DATE, "2100-12-31")
    assert not value_fits(IndicatorKind.DATE, "2101-01-01")


# -- SetFields ----------------------------------------------------------------------------
@pytest.mark.parametrize(("changes", "match"), [
    ({"owner": "no-such-account-here"}, "nor an account on this server"),
    ({"owner": "G21"}, "survey groups are G01 to G20"),
    ({"owner": "G00"}, "survey groups are G01 to G20"),
    ({"owner": 7}, "nor an account"),
    ({"status": "finished"}, "is not a status"),
    ({"priority": "urgent"}, "is not a priority"),
    ({"priority": None}, "is not a priority"),
    ({"due": date(2101, 1, 1)}, "outside the dates the tracker keeps"),
    ({"due": "2020-02-30"}, "is not a date"),
    ({"next_followup": date(1948, 12, 31)}, "outside the dates the tracker keeps"),
    ({"next_followup": datetime(2018, 4, 1, 9, 0)}, "is not a date"),
    ({"cadence": "FREQ=NEVER"}, "is not a cadence"),
    ({"cadence": "FREQ=MONTHLY;INTERVAL=0"}, "is not a cadence"),
    ({"cadence": "FREQ=MONTHLY;COUNT=2"}, "has no more dates"),
    ({"colour": "red"}, "is not a field that can be set"),
])
def test_a_field_value_its_rules_refuse_is_refused(store: Store, changes: dict[str, Any],
                                                   match: str) -> None:
    refused(store, SetFields(TASK, changes), match)


def test_an_owner_is_a_group_or_an_account_the_store_knows(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.json", known_account={"wang.li"}.__contains__)
    store.create(builtin_plan())
    refused(store, SetFields(TASK, {"owner": "zhang.san"}), "nor an account")
    store.apply(SetFields(TASK, {"owner": "wang.li"}))
    store.apply(SetFields(TASK, {"owner": "G07"}))
    store.apply(SetFields(TASK, {"owner": None}))
    assert [e["new"] for e in store.task_events(TASK) if e.get("field") == "owner"] == [
        "wang.li", "G07", None]


def test_good_values_are_stored_as_words_and_iso_dates(store: Store) -> None:
    store.apply(SetFields(TASK, {"status": Status.IN_PROGRESS, "priority": "high",
                                 "next_followup": date(2018, 4, 1), "due": "2020-06-30",
                                 "cadence": "Monthly"}, comment="sooner"))
    doc = store.view().task(TASK)
    assert (doc.status, doc.priority.value, doc.due, doc.cadence) == (
        Status.IN_PROGRESS, "high", date(2020, 6, 30), "monthly")


# -- LogFollowup --------------------------------------------------------------------------
@pytest.mark.parametrize(("command", "match"), [
    (LogFollowup(TASK, "email", "sent"), "is not a kind of follow-up"),  # type: ignore[arg-type]  # a bad kind on purpose
    (LogFollowup(TASK, FollowupKind.CALL, "called", on=date(1948, 12, 31)),
     "outside the dates the tracker keeps"),
    (LogFollowup(TASK, FollowupKind.CALL, "called", on=date(2018, 2, 1),
                 next=date(2018, 1, 31)), "before the follow-up itself"),
    (LogFollowup(TASK, FollowupKind.CALL, "called", next=date(2101, 1, 1)),
     "outside the dates the tracker keeps"),
])
def test_a_followup_its_rules_refuse_is_refused(store: Store, command: LogFollowup,
                                                match: str) -> None:
    refused(store, command, match)


def test_a_followup_whose_next_date_is_its_own_is_kept(store: Store) -> None:
    store.apply(LogFollowup(TASK, FollowupKind.VISIT, "visited", on=date(2018, 2, 1),
                            next=date(2018, 2, 1)))
    assert store.view().task(TASK).next_followup == date(2018, 2, 1)


# -- the commands themselves --------------------------------------------------------------
def test_a_command_built_on_another_keeps_its_fields_first() -> None:
    class Noted(AddNote):
        pinned: bool = False

    assert Noted._fields == ("task", "text", "pinned")
    assert Noted(TASK, "text") == Noted(TASK, "text", False) != Noted(TASK, "text", True)
    assert AddNote._fields == ("task", "text")  # the parent is unchanged
    assert (Noted(TASK, "x").needs, Noted(TASK, "x").subject_task) == ("editor", TASK)


def test_commands_are_frozen_values_that_say_what_they_need() -> None:
    note = AddNote(TASK, "text")
    with pytest.raises(AttributeError):
        note.text = "other"  # type: ignore[misc]  # frozen on purpose
    with pytest.raises(AttributeError):
        del note.text
    assert note == AddNote(TASK, "text") == AddNote(task=TASK, text="text")
    assert note != AddNote(TASK, "other") and note != (TASK, "text")
    assert hash(note) == hash(AddNote(TASK, "text"))
    assert repr(note) == f"AddNote(task={TASK!r}, text='text')"
    assert SetFields(TASK, {}).seen_version is None  # a default
    for wrong in ((TASK,), (TASK, "a", "b"), ()):
        with pytest.raises(TypeError):
            AddNote(*wrong)
    with pytest.raises(TypeError):
        AddNote(TASK, "text", colour="red")
    with pytest.raises(TypeError):
        AddNote(TASK, "text", task=TASK)
    assert (note.needs, note.action, note.subject_task, note.subject_county) == (
        "editor", "role.action.note", TASK, None)
    measure = Measure(SUIZHONG, "staff", 5, TODAY)
    assert (measure.subject_task, measure.subject_county) == (None, SUIZHONG)
