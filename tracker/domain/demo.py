"""A synthetic demo history, 2017-06 to 2020-12, for trying the tracker and for tests.

Everything here is invented except what the report states, which the 2017 baseline
reproduces: 71 of the 100 counties had digitized less than 30% of their permanent
holdings, Suizhong (211421) 100%; 93 counties held an enforcement inspection in 2017;
the maintenance fee was not fully allocated in 6 areas. The database is marked as demo
and every output says so. The same seed gives the same history.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Protocol

from tracker.domain.commands import (
    AddNote,
    AddUser,
    Command,
    LogFollowup,
    Measure,
    SetFields,
)
from tracker.domain.model import FollowupKind, Status
from tracker.domain.plan import Plan, builtin_plan

CST = timezone(timedelta(hours=8))
START = date(2017, 6, 1)
END = date(2020, 12, 31)
SUIZHONG = "211421"
UNDER_30_IN_2017 = 71
INSPECTED_IN_2017 = 93
FEE_SHORT_IN_2017 = 6
STAFF = ("demo.wang", "demo.li", "demo.zhang", "demo.liu", "demo.chen", "demo.yang",
         "demo.zhao", "demo.huang", "demo.zhou", "demo.wu")
LEADER = "demo.sun"

CALL_OUTCOMES = (
    "电话联系县档案局，对方表示本季度内上报进展。",
    "县局反映经费尚未落实，需政府常务会研究。",
    "已确认数字化外包合同签订，下月开始扫描。",
    "The county bureau confirmed the budget line for next year.",
    "县档案馆馆长出差，约定下周再联系。",
)
VISIT_OUTCOMES = (
    "实地查看库房，“三室分开”已完成，八防设施基本到位。",
    "走访县直机关三家，文书档案集中管理已落实。",
    "Visited the archives: scanning room set up, two operators trained.",
)
DOCUMENT_OUTCOMES = (
    "收到县政府关于档案工作纳入绩效考核的文件。",
    "收到数字化进度表（截至本月底）。",
    "Received the county's security responsibility agreement.",
)
NOTES = (
    "县里新建馆舍预计2019年投入使用。",
    "需要协调财政局落实每卷2元的保护费。",
    "Staff turnover: the digitization lead moved to another post.",
    "乡镇档案室整改清单已下发。",
)
BLOCK_REASONS = ("县财政资金未到位", "馆舍改造停工，等待审批", "Waiting for the county IT plan")


@dataclass
class _Item:
    when: datetime
    user: str
    command: Command


Add = Callable[[date, Command], None]


class DemoStore(Protocol):
    """What the demo needs of a store (tracker.storage.store.Store; the domain does not
    import storage)."""

    user: str

    def create(self, plan: Plan, *, demo: bool = False, force: bool = False,
               when: datetime | None = None) -> Any: ...

    def apply_all(self, items: Iterable[tuple[Command, str, datetime | None]]) -> Any: ...


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), CST)


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def demo_items(plan: Plan, seed: int = 2017) -> list[_Item]:
    """The demo's commands with their synthetic time and user, oldest first."""
    rng = random.Random(seed)
    codes = [c.code for c in plan.counties]
    items: list[_Item] = []

    def add(day: date, command: Command, user: str | None = None) -> None:
        # Nothing is recorded after the demo's end (a Q4 2020 figure is in by Dec 31).
        items.append(_Item(_at(min(day, END), rng), user or rng.choice(STAFF), command))

    # The 2017 baseline, as the survey groups recorded it in June 2017.
    others = [c for c in codes if c != SUIZHONG]
    under_30 = set(rng.sample(others, UNDER_30_IN_2017))
    not_inspected = set(rng.sample(codes, len(codes) - INSPECTED_IN_2017))
    fee_short = set(rng.sample(codes, FEE_SHORT_IN_2017))
    survey_day = date(2017, 5, 20)
    share_2017: dict[str, float] = {}
    permanent: dict[str, int] = {}
    for code in codes:
        holdings = rng.randrange(30_000, 260_000, 100)
        permanent[code] = int(holdings * rng.uniform(0.35, 0.7))
        if code == SUIZHONG:
            share = 1.0
        elif code in under_30:
            share = rng.uniform(0.0, 0.29)
        else:
            share = rng.uniform(0.31, 0.75)
        share_2017[code] = share
        standard = plan.staffing.required(holdings)
        staff = max(3, int(standard * rng.uniform(0.3, 1.05)))
        day = _day_between(rng, date(2017, 6, 1), date(2017, 6, 28))
        source = "2017年5月调研"
        add(day, Measure(code, "holdings", holdings, survey_day, source))
        add(day, Measure(code, "permanent_volumes", permanent[code], survey_day, source))
        add(day, Measure(code, "digitized_permanent_volumes", int(permanent[code] * share),
                         survey_day, source))
        add(day, Measure(code, "staff", staff, survey_day, source))
        inspected = code not in not_inspected
        add(day, Measure(code, "enforcement_inspection", inspected,
                         _day_between(rng, date(2017, 3, 1), date(2017, 5, 15)), source))
        fee = rng.uniform(0.5, 1.8) if code in fee_short else rng.choice((2.0, 2.5, 3.0))
        add(day, Measure(code, "maintenance_fee", round(fee, 2), survey_day, source))
        add(day, Measure(code, "budget_funding", rng.random() < 0.45, survey_day, source))
        add(day, Measure(code, "development_plan", rng.random() < 0.3, survey_day, source))

    # Owners and cadences: each survey group follows up the counties it visited.
    for number, code in enumerate(codes):
        group = f"G{number % plan.survey_groups + 1:02d}"
        day = _day_between(rng, date(2017, 6, 5), date(2017, 6, 30))
        for rec in plan.recommendations:
            cadence = "monthly" if rec.id in ("2.5", "2.4") else "quarterly"
            add(day, SetFields(f"{code}-{rec.id}", {
                "owner": group, "cadence": cadence,
                "next_followup": (day + timedelta(days=30)).isoformat(),
            }))

    # 2017-2020: the work itself.
    for code in codes:
        yearly_share = share_2017[code]
        pace = rng.uniform(0.08, 0.22)
        for year in (2017, 2018, 2019, 2020):
            for quarter_end in (date(year, 3, 31), date(year, 6, 30), date(year, 9, 30),
                                date(year, 12, 31)):
                if quarter_end <= date(2017, 6, 30):
                    continue
                yearly_share = min(1.0, yearly_share + pace / 4 * rng.uniform(0.3, 1.4))
                if code == SUIZHONG:
                    yearly_share = 1.0
                day = quarter_end + timedelta(days=rng.randint(3, 20))
                add(day, Measure(code, "digitized_permanent_volumes",
                                 int(permanent[code] * yearly_share), quarter_end,
                                 "季度报表"))
            if year >= 2018:
                day = _day_between(rng, date(year, 3, 1), date(year, 11, 30))
                add(day, Measure(code, "enforcement_inspection", rng.random() < 0.95, day,
                                 "执法检查通报"))
                add(day, Measure(code, "maintenance_fee",
                                 rng.choice((1.5, 2.0, 2.0, 2.5, 3.0)), day, "财政预算"))
        add(_day_between(rng, date(2017, 12, 1), date(2017, 12, 20)),  # reported in December
            Measure(code, "security_mechanism", rng.random() < 0.88,
                    date(2017, 12, 1), "安全责任书"))
        for key, chance in (("budget_funding", 0.8), ("development_plan", 0.75)):
            day = _day_between(rng, date(2018, 1, 10), date(2020, 10, 30))
            add(day, Measure(code, key, rng.random() < chance, day, "县政府文件"))
        if rng.random() < 0.7:
            day = _day_between(rng, date(2018, 3, 1), date(2020, 6, 30))
            target = _day_between(rng, date(2020, 3, 1), date(2021, 6, 30))
            add(day, Measure(code, "assessment_date_set", target.isoformat(), day,
                             "数字档案馆测评申请计划"))

    for code in codes:
        for rec in plan.recommendations:
            _task_story(plan, f"{code}-{rec.id}", rng, add)

    items.sort(key=lambda item: item.when)
    return items


def _task_story(plan: Plan, task_id: str, rng: random.Random, add: Add) -> None:
    """One task's life: started, followed up, perhaps blocked, done, verified."""
    start = _day_between(rng, date(2017, 7, 1), date(2018, 12, 31))
    if rng.random() < 0.06:
        add(start, SetFields(task_id, {"status": Status.NOT_APPLICABLE},
                             comment="该区无乡村，不适用 / district without villages"))
        return
    if rng.random() < 0.08:
        return  # never started
    add(start, SetFields(task_id, {"status": Status.IN_PROGRESS}))
    day = start
    for _ in range(rng.randint(1, 5)):
        day = day + timedelta(days=rng.randint(20, 150))
        if day > END:
            return
        kind = rng.choice(list(FollowupKind))
        outcome = {FollowupKind.CALL: CALL_OUTCOMES, FollowupKind.VISIT: VISIT_OUTCOMES,
                   FollowupKind.DOCUMENT: DOCUMENT_OUTCOMES,
                   FollowupKind.MEETING: CALL_OUTCOMES}[kind]
        add(day, LogFollowup(task_id, kind, rng.choice(outcome), on=day))
        if rng.random() < 0.25:
            add(day, AddNote(task_id, rng.choice(NOTES)))
    if rng.random() < 0.12:
        day += timedelta(days=rng.randint(5, 40))
        add(day, SetFields(task_id, {"status": Status.BLOCKED},
                           comment=rng.choice(BLOCK_REASONS)))
        if rng.random() < 0.5:
            return
        day += timedelta(days=rng.randint(30, 120))
        add(day, SetFields(task_id, {"status": Status.IN_PROGRESS}))
    if rng.random() < 0.15:
        day += timedelta(days=rng.randint(5, 40))
        add(day, SetFields(task_id, {"due": date(2021, 6, 30)},
                           comment="县里申请延期：经费2021年到位"))
    if rng.random() < 0.6:
        done = day + timedelta(days=rng.randint(30, 400))
        if done <= END:
            add(done, SetFields(task_id, {"status": Status.DONE}))
            verified = done + timedelta(days=rng.randint(10, 90))
            if rng.random() < 0.7 and verified <= END:
                add(verified, SetFields(task_id, {"status": Status.VERIFIED}))


def build_demo(store: DemoStore, *, seed: int = 2017, force: bool = False) -> int:
    """Create the demo database in ``store``; returns the number of events."""
    plan = builtin_plan()
    start = datetime.combine(START, time(9, 0), CST)
    store.create(plan, demo=True, force=force, when=start)
    # Whoever builds the demo is its admin (as with init); the staff who make its history
    # are editors, one leader reads.
    store.apply_all([(AddUser(name, "editor"), store.user, start) for name in STAFF]
                    + [(AddUser(LEADER, "viewer"), store.user, start)])
    result = store.apply_all((item.command, item.user, item.when)
                             for item in demo_items(plan, seed))
    return int(result.events[-1]["seq"])
