"""Every allowed and refused status move, reasons, due-date slips, conflicts and merges."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product

import pytest

from tracker.domain.commands import AddNote, LogFollowup, SetFields
from tracker.domain.errors import InvalidEdit
from tracker.domain.lifecycle import ALLOWED, needs_reason
from tracker.domain.model import FollowupKind, Status
from tracker.storage.store import Store

S = Status
TASK = "211421-2.5"

EXPECTED_MOVES = {
    (S.NOT_STARTED, S.IN_PROGRESS), (S.IN_PROGRESS, S.DONE), (S.DONE, S.VERIFIED),
    (S.NOT_STARTED, S.BLOCKED), (S.IN_PROGRESS, S.BLOCKED), (S.BLOCKED, S.IN_PROGRESS),
    (S.NOT_STARTED, S.NOT_APPLICABLE), (S.IN_PROGRESS, S.NOT_APPLICABLE),
    (S.BLOCKED, S.NOT_APPLICABLE), (S.DONE, S.IN_PROGRESS), (S.VERIFIED, S.IN_PROGRESS),
    (S.NOT_APPLICABLE, S.IN_PROGRESS),
}
# A path from not_started to each status, using only allowed moves with reasons.
PATHS = {
    S.NOT_STARTED: [],
    S.IN_PROGRESS: [S.IN_PROGRESS],
    S.BLOCKED: [S.BLOCKED],
    S.DONE: [S.IN_PROGRESS, S.DONE],
    S.VERIFIED: [S.IN_PROGRESS, S.DONE, S.VERIFIED],
    S.NOT_APPLICABLE: [S.NOT_APPLICABLE],
}


def test_table_is_the_issue_s_lifecycle() -> None:
    table = {(old, new) for old, news in ALLOWED.items() for new in news}
    assert table == EXPECTED_MOVES


def _bring_to(store: Store, task: str, status: Status) -> None:
    for step in PATHS[status]:
        store.apply(SetFields(task, {"status": step}, comment="setting up"))


@pytest.mark.parametrize(("old", "new"), [p for p in product(S, S) if p[0] != p[1]])
def test_every_move(store: Store, old: Status, new: Status) -> None:
    _bring_to(store, TASK, old)
    if (old, new) in EXPECTED_MOVES:
        if needs_reason(old, new):
            with pytest.raises(InvalidEdit, match="needs a reason"):
                store.apply(SetFields(TASK, {"status": new}))
        store.apply(SetFields(TASK, {"status": new}, comment="because"))
        assert store.view().task(TASK).status is new
    else:
        with pytest.raises(InvalidEdit) as caught:
            store.apply(SetFields(TASK, {"status": new}, comment="because"))
        message = str(caught.value)
        assert f"({old.value}) to " in message and f"({new.value});" in message
        for allowed in ALLOWED[old]:
            assert allowed.value in message
        assert store.view().task(TASK).status is old


def test_reasons_required_exactly_for_block_na_and_reopen() -> None:
    needing = {(o, n) for o, n in EXPECTED_MOVES if needs_reason(o, n)}
    assert needing == {
        (S.NOT_STARTED, S.BLOCKED), (S.IN_PROGRESS, S.BLOCKED),
        (S.NOT_STARTED, S.NOT_APPLICABLE), (S.IN_PROGRESS, S.NOT_APPLICABLE),
        (S.BLOCKED, S.NOT_APPLICABLE), (S.DONE, S.IN_PROGRESS), (S.VERIFIED, S.IN_PROGRESS),
        (S.NOT_APPLICABLE, S.IN_PROGRESS),
    }


def test_reason_is_kept_with_the_status(store: Store) -> None:
    store.apply(SetFields(TASK, {"status": S.BLOCKED}, comment="县财政资金未到位"))
    assert store.view().task(TASK).reason == "县财政资金未到位"


def test_due_later_needs_reason_and_every_revision_is_kept(store: Store, clock) -> None:
    with pytest.raises(InvalidEdit, match="needs a reason"):
        store.apply(SetFields(TASK, {"due": date(2021, 6, 30)}))
    store.apply(SetFields(TASK, {"due": date(2021, 6, 30)}, comment="funding in 2021"))
    clock.advance(days=3)
    store.apply(SetFields(TASK, {"due": date(2021, 3, 31)}))  # earlier: no reason needed
    task = store.view().task(TASK)
    assert task.due == date(2021, 3, 31)
    assert [(r.previous, r.due, r.reason) for r in task.due_revisions] == [
        (date(2020, 12, 31), date(2021, 6, 30), "funding in 2021"),
        (date(2021, 6, 30), date(2021, 3, 31), None),
    ]
    assert task.due_revisions[0].at < task.due_revisions[1].at


def test_clearing_the_due_date_needs_a_reason(store: Store) -> None:
    with pytest.raises(InvalidEdit, match="needs a reason"):
        store.apply(SetFields(TASK, {"due": None}))
    store.apply(SetFields(TASK, {"due": None}, comment="county merged into a district"))
    task = store.view().task(TASK)
    assert task.due is None and task.due_revisions[-1].reason == "county merged into a district"


def test_notes_never_conflict(store: Store) -> None:
    store.apply(AddNote(TASK, "first"))
    store.apply(AddNote(TASK, "second"))
    assert [n.text for n in store.view().timeline(TASK).notes] == ["first", "second"]


def test_followup_moves_next_date_along_cadence(store: Store, clock) -> None:
    store.apply(SetFields(TASK, {"cadence": "monthly", "next_followup": date(2018, 3, 15)}))
    clock.advance(days=16)  # 2018-03-17: the call was yesterday
    store.apply(LogFollowup(TASK, FollowupKind.CALL, "called the bureau",
                            on=date(2018, 3, 16)))
    task = store.view().task(TASK)
    assert task.next_followup == date(2018, 4, 15)
    assert task.last_followup is not None and task.last_followup.next == date(2018, 4, 15)
    assert [f.outcome for f in store.view().timeline(TASK).followups] == ["called the bureau"]
    # An explicit next date wins over the cadence.
    store.apply(LogFollowup(TASK, FollowupKind.VISIT, "visited", next=date(2018, 5, 2)))
    assert store.view().task(TASK).next_followup == date(2018, 5, 2)


def test_followup_without_cadence_keeps_next_date(store: Store) -> None:
    store.apply(SetFields(TASK, {"next_followup": date(2018, 3, 15)}))
    store.apply(LogFollowup(TASK, FollowupKind.DOCUMENT, "received the plan"))
    task = store.view().task(TASK)
    assert task.next_followup == date(2018, 3, 15)
    assert task.last_followup is not None and task.last_followup.date == date(2018, 3, 1)


def test_nothing_to_change_is_said(store: Store) -> None:
    with pytest.raises(InvalidEdit, match="nothing changes"):
        store.apply(SetFields(TASK, {"owner": None}))


def test_stale_after_configured_days(store: Store, clock) -> None:
    clock.advance(days=89)
    view = store.view()
    today = clock().date()
    assert not view.task(TASK).is_stale(today, view.stale_days)
    assert view.task(TASK).is_stale(date(2018, 5, 30), view.stale_days)  # 90 days on
    from tracker.domain.commands import SetSetting

    store.apply(SetSetting("stale_days", "30"))
    view = store.view()
    assert view.stale_days == 30 and view.task(TASK).is_stale(today, view.stale_days)


def test_a_follow_up_dated_after_today_is_refused(store: Store) -> None:
    """A follow-up records what happened; a planned call is the next follow-up date."""
    today = store.clock().date()
    with pytest.raises(InvalidEdit, match="after today"):
        store.apply(LogFollowup(TASK, FollowupKind.CALL, "will call",
                                on=today + timedelta(days=1)))
    assert store.view().task(TASK).last_followup is None
    store.apply(LogFollowup(TASK, FollowupKind.CALL, "called", on=today))
    assert store.view().task(TASK).last_followup.outcome == "called"  # type: ignore[union-attr]


def test_an_early_follow_up_moves_the_next_date_a_step_past_the_scheduled_one(
        store: Store) -> None:
    """Calling before the scheduled date covers that call: the next is a step after it
    (it used to stay on the date already covered)."""
    store.apply(SetFields(TASK, {"cadence": "quarterly", "next_followup": date(2018, 3, 20)}))
    store.apply(LogFollowup(TASK, FollowupKind.CALL, "called early"))  # today: 2018-03-01
    assert store.view().task(TASK).next_followup == date(2018, 6, 20)


def test_an_emptied_owner_field_is_refused_and_dash_means_none(store: Store) -> None:
    from tracker.domain.commands import validate_owner
    from tracker.domain.errors import UsageError

    known = store.known_account
    with pytest.raises(UsageError, match="or - for none"):
        validate_owner("  ", 20, "someone", known_account=known)
    assert validate_owner("-", 20, "someone", known_account=known) is None
    assert validate_owner("g07", 20, "someone", known_account=known) == "G07"
