"""The domain half of a working day: the follow-up queue, words typed in either language,
the next-follow-up filters, survey groups as typed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tracker.domain.commands import SetFields
from tracker.domain.errors import AccessDenied, UsageError
from tracker.domain.model import Status
from tracker.domain.plan import builtin_plan
from tracker.domain.queries import (
    TaskFilter,
    bucket,
    filter_tasks,
    followup_queue,
    group_owner,
    parse_status,
    parse_word,
    resolve_indicator,
    resolve_recommendation,
)
from tracker.domain.roles import EDITOR, Access, require
from tracker.i18n import set_language
from tracker.storage.store import Store

TODAY = date(2021, 3, 10)  # a Wednesday


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "tracker.json")
    store.create(builtin_plan())
    store.apply(
        SetFields("211421-2.5", {"owner": "G07", "next_followup": "2021-03-01"}),
        SetFields("211421-2.4", {"owner": "G07", "next_followup": "2021-03-10"}),
        SetFields("211421-2.3", {"owner": "G07", "next_followup": "2021-03-12"}),
        SetFields("211421-2.2", {"owner": "G08", "next_followup": "2021-03-11"}),
        SetFields("211421-2.1", {"owner": "G07", "next_followup": "2021-04-30"}),
        SetFields("211421-1.1", {"owner": "G07", "next_followup": "2021-03-11",
                                 "status": "not_applicable"}, comment="无"),
    )
    return store


@pytest.fixture(autouse=True)
def english() -> None:
    set_language("en")


def test_the_queue_is_open_tasks_by_next_date_for_whom_and_until_when(store: Store) -> None:
    view = store.view()
    everyone = followup_queue(view, TODAY)
    assert [t.id for t in everyone] == ["211421-2.5", "211421-2.4", "211421-2.2",
                                        "211421-2.3", "211421-2.1"]  # 1.1 is closed
    g07 = followup_queue(view, TODAY, owners={"g07"}, until=date(2021, 3, 17))
    assert [t.id for t in g07] == ["211421-2.5", "211421-2.4", "211421-2.3"]
    assert [bucket(t, TODAY) for t in g07] == ["overdue", "today", "week"]
    only_25 = TaskFilter.build(view.plan, rec="2.5")
    assert [t.id for t in followup_queue(view, TODAY, task_filter=only_25)] == ["211421-2.5"]


def test_list_filters_on_the_next_followup_date(store: Store) -> None:
    view = store.view()
    before = TaskFilter.build(view.plan, next_before=date(2021, 3, 11))
    after = TaskFilter.build(view.plan, next_after=date(2021, 3, 11))
    assert {t.id for t in filter_tasks(view, before, TODAY)} == {"211421-2.5", "211421-2.4"}
    assert {t.id for t in filter_tasks(view, after, TODAY)} == {"211421-2.3", "211421-2.1"}


@pytest.mark.parametrize("typed", ["in_progress", "In Progress", "in-progress", "进行中"])
def test_a_status_in_either_language(typed: str) -> None:
    assert parse_status(typed) is Status.IN_PROGRESS


def test_kinds_priorities_and_roles_in_either_language() -> None:
    kinds = ("call", "visit", "document", "meeting")
    assert parse_word("kind", "电话", kinds) == "call"
    assert parse_word("kind", "MEETING", kinds) == "meeting"
    assert parse_word("priority", "高", ("low", "normal", "high")) == "high"
    roles = ("viewer", "editor", "admin")
    assert [parse_word("role", w, roles) for w in ("编辑", "编辑者", "管理员", "viewer")] == [
        "editor", "editor", "admin", "viewer"]
    set_language("zh")
    with pytest.raises(UsageError) as refused:
        parse_word("kind", "email", kinds)
    assert "不是跟进方式" in refused.value.message and "电话（call）" in refused.value.message


def test_a_refusal_names_the_role_in_the_users_language() -> None:
    set_language("zh")
    with pytest.raises(AccessDenied) as refused:
        require(Access("bob", "viewer"), EDITOR, "role.action.note")
    assert "“编辑者”角色" in refused.value.message and "“查看者”" in refused.value.message
    assert "editor 角色" not in refused.value.message


def test_unknown_indicator_and_recommendation_list_the_valid_ones() -> None:
    plan = builtin_plan()
    assert resolve_indicator(plan, "staff") == "staff"
    assert resolve_indicator(plan, "档案馆人员") == "staff"
    with pytest.raises(UsageError) as refused:
        resolve_indicator(plan, "digitised")
    assert "digitized_permanent_volumes" in refused.value.message
    assert "digitized_share" not in refused.value.message
    with pytest.raises(UsageError) as wrong:
        resolve_recommendation(plan, "9.9")
    assert "2.5 Informatization" in wrong.value.message and wrong.value.exit_code == 2


@pytest.mark.parametrize(("typed", "owner"), [("G07", "G07"), ("g7", "G07"), ("7", "G07"),
                                              (" G20 ", "G20")])
def test_a_survey_group_as_typed(typed: str, owner: str) -> None:
    assert group_owner(typed, 20) == owner


@pytest.mark.parametrize("typed", ["G21", "G00", "x", ""])
def test_not_a_survey_group(typed: str) -> None:
    with pytest.raises(UsageError):
        group_owner(typed, 20)


def test_the_task_screens_timeline_is_newest_first_and_the_clis_oldest_first(
        store: Store) -> None:
    from tracker.domain.commands import AddNote
    from tracker.formats.terminal import task_timeline

    store.apply(AddNote("211421-2.5", "first"))
    store.apply(AddNote("211421-2.5", "second"))
    events = store.view().task_events("211421-2.5")
    assert [line.plain.endswith("second") for line in task_timeline(events)] == [True, False]
    oldest = task_timeline(events, newest_first=False)
    assert [line.plain.endswith("first") for line in oldest] == [True, False]
