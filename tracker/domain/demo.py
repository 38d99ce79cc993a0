"""A synthetic demo history from 2017-06 to the demo's own day (by default 2019-06-26),
for trying the tracker and for tests. The demo lives on that day: its database records it
and the store takes it as today (storage.store.Store.clock), so that the follow-ups due
today and this week, and a few overdue, are there to be worked.

One story: each note and follow-up fits its task's recommendation (``STORIES``), and a task
is done or verified only when the figures behind its recommendation's targets agree, then
and on the demo's day (``agrees``); tests/tracker/test_demo.py walks the demo to hold it.

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
from typing import Any, NamedTuple, Protocol

from tracker.domain.commands import (
    AddNote,
    AddUser,
    Command,
    LogFollowup,
    Measure,
    SetFields,
)
from tracker.domain.errors import UsageError
from tracker.domain.model import FollowupKind, Status
from tracker.domain.plan import Plan, builtin_plan

CST = timezone(timedelta(hours=8))
START = date(2017, 6, 1)
END = date(2020, 12, 31)  # the plan's deadline: the latest day a demo may live on
FIRST_DAY = date(2017, 9, 1)  # the earliest (three months of history)
DEFAULT_TODAY = date(2019, 6, 26)  # a Wednesday halfway: calls due today and this week
SUIZHONG = "211421"
UNDER_30_IN_2017 = 71
INSPECTED_IN_2017 = 93
FEE_SHORT_IN_2017 = 6
STAFF = ("demo.wang", "demo.li", "demo.zhang", "demo.liu", "demo.chen", "demo.yang",
         "demo.zhao", "demo.huang", "demo.zhou", "demo.wu")
LEADER = "demo.sun"

class Story(NamedTuple):
    """What the survey groups write about one recommendation's tasks: follow-up outcomes
    by kind, notes, reasons for a block. Each text fits its recommendation (a test holds
    the demo to it)."""

    outcomes: dict[FollowupKind, tuple[str, ...]]
    notes: tuple[str, ...]
    blocks: tuple[str, ...]


CALL, VISIT, DOCUMENT, MEETING = (FollowupKind.CALL, FollowupKind.VISIT,
                                  FollowupKind.DOCUMENT, FollowupKind.MEETING)
# Said of any recommendation's call: nothing was settled.
ANY_CALL = ("县档案馆馆长出差，约定下周再联系。",)
STORIES: dict[str, Story] = {
    "1.1": Story({
        CALL: ("县政府办公室表示档案经费将列入明年预算。", "县财政局确认每卷2元的保护费已列支。",
               "The county government confirmed archives work is in its annual assessment."),
        VISIT: ("与分管副县长座谈，档案工作已写入县政府工作报告。",),
        DOCUMENT: ("收到县政府关于档案工作纳入绩效考核的文件。", "收到县财政局档案经费预算批复。"),
        MEETING: ("参加县政府常务会，研究档案事业经费。",),
    }, ("需要协调财政局落实每卷2元的保护费。", "县委办表示年底前出台档案事业发展规划。"),
        ("县财政资金未到位",)),
    "1.2": Story({
        CALL: ("县局反映“6·9国际档案日”宣传活动已准备就绪。",
               "Agreed to put the archives' exhibition on the county's website."),
        VISIT: ("参观县档案馆“档案见证历史”展览，观众反响良好。",),
        DOCUMENT: ("收到县局档案宣传月活动总结。",),
        MEETING: ("与县委宣传部商定档案宣传进社区活动。",),
    }, ("县电视台同意制作档案专题片。",), ("宣传经费未落实",)),
    "2.1": Story({
        CALL: ("县局反映执法检查已列入年度计划。",
               "The county bureau will inspect three township archives rooms next month."),
        VISIT: ("走访县直机关三家，文书档案集中管理已落实。",),
        DOCUMENT: ("收到县档案执法检查通报。",),
        MEETING: ("参加县档案工作联席会，部署乡镇档案室整改。",),
    }, ("乡镇档案室整改清单已下发。",), ("乡镇机构改革，档案室人员未定",)),
    "2.2": Story({
        CALL: ("县局反映新馆土建已封顶。",
               "The county bureau says the new repository opens next spring."),
        VISIT: ("实地查看库房，“三室分开”已完成，八防设施基本到位。",),
        DOCUMENT: ("收到新馆建设可行性研究报告批复。",),
        MEETING: ("参加新馆建设协调会，确定搬迁时间表。",),
    }, ("县里新建馆舍预计2019年投入使用。",), ("馆舍改造停工，等待审批",)),
    "2.3": Story({
        CALL: ("县编办表示将增加两个事业编制。",
               "The county bureau has advertised two archivist posts."),
        VISIT: ("与县局人员座谈，业务培训需求已汇总。",),
        DOCUMENT: ("收到县编办关于档案馆编制调整的批复。",),
        MEETING: ("参加县编委会，研究档案馆人员编制。",),
    }, ("Staff turnover: the archives' deputy director moved to another post.",),
        ("编制冻结，等待机构改革方案",)),
    "2.4": Story({
        CALL: ("县局确认已与各立档单位签订档案安全责任书。",),
        VISIT: ("检查库房消防设施，灭火器已更换。",),
        DOCUMENT: ("Received the county's security responsibility agreement.",
                   "收到县档案安全应急预案。"),
        MEETING: ("参加县档案安全工作会议。",),
    }, ("库房温湿度记录需每日填写。",), ("消防改造资金未到位",)),
    "2.5": Story({
        CALL: ("已确认数字化外包合同签订，下月开始扫描。", "电话联系县档案局，数字化进度正常。"),
        VISIT: ("Visited the archives: scanning room set up, two operators trained.",),
        DOCUMENT: ("收到数字化进度表（截至本月底）。", "收到数字档案馆测评申请计划。"),
        MEETING: ("参加县信息化工作会议，数字档案馆建设列入计划。",),
    }, ("Staff turnover: the digitization lead moved to another post.",),
        ("Waiting for the county IT plan", "数字化外包经费未到位")),
}
NOT_APPLICABLE = ("2.1", "该区无乡镇，乡镇档案室整改不适用 / a district without townships")
DELAY = "县里申请延期：经费2021年到位"


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
               when: datetime | None = None, today: date | None = None) -> Any: ...

    def apply_all(self, items: Iterable[tuple[Command, str, datetime | None]]) -> Any: ...


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), CST)


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


class Figures:
    """The figures the demo records, per county and key: (as of, recorded on, value), so
    that a task's story can ask whether the figures behind its indicators agree."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], list[tuple[date, date, Any]]] = {}

    def add(self, recorded: date, command: Measure) -> None:
        self.rows.setdefault((command.county, command.key), []).append(
            (command.on, recorded, command.value))

    def latest(self, code: str, key: str, day: date, *, year: bool = False) -> Any:
        """The latest value as of ``day`` (dated and recorded by then); ``year``: dated
        in ``day``'s year if there is one, else the latest before it (a county that
        has not yet reported this year has not gone back on last year's figure)."""
        known = [(on, value) for on, recorded, value in self.rows.get((code, key), ())
                 if on <= day and recorded <= day]
        if not known:
            return None
        known.sort(key=lambda row: row[0])
        if year:
            this_year = [row for row in known if row[0].year == day.year]
            known = this_year or known
        return known[-1][1]


def agrees(plan: Plan, figures: Figures, code: str, rec: str, day: date) -> bool:
    """Whether, as of ``day``, the county's figures meet every target of ``rec`` (a
    recommendation without targets: always). The rule of tracker.domain.progress."""
    for indicator in plan.indicators:
        if indicator.recommendation != rec:
            continue
        if indicator.id == "digitized_share":
            part = figures.latest(code, "digitized_permanent_volumes", day)
            whole = figures.latest(code, "permanent_volumes", day)
            if part is None or not whole or min(100.0, part / whole * 100) < 60:
                return False
        elif indicator.id == "staffing":
            staff = figures.latest(code, "staff", day)
            holdings = figures.latest(code, "holdings", day)
            if staff is None or holdings is None or staff < plan.staffing.required(holdings):
                return False
        else:
            value = figures.latest(code, indicator.id, day,
                                   year=indicator.period.value == "yearly")
            if value is None:
                return False
            if isinstance(indicator.threshold, bool):
                if value is not indicator.threshold:
                    return False
            elif isinstance(indicator.threshold, int | float) and value < indicator.threshold:
                return False
    return True


def queue_day(rng: random.Random, today: date, cadence_days: int) -> date:
    """The next follow-up of an open task on the demo's day: a few overdue, some today,
    some later this week, the rest within the cadence."""
    draw = rng.random()
    if draw < 0.06:
        return today - timedelta(days=rng.randint(1, 12))
    if draw < 0.13:
        return today
    if draw < 0.28 and today.weekday() < 6:
        return today + timedelta(days=rng.randint(1, 6 - today.weekday()))
    return today + timedelta(days=rng.randint(7, cadence_days))


def demo_items(plan: Plan, seed: int = 2017, today: date = DEFAULT_TODAY) -> list[_Item]:
    """The demo's commands with their synthetic time and user, oldest first; nothing
    after ``today``, the demo's own day."""
    rng = random.Random(seed)
    codes = [c.code for c in plan.counties]
    items: list[_Item] = []
    figures = Figures()

    def add(day: date, command: Command, user: str | None = None) -> None:
        if day > today:
            return  # the demo's history stops at its own day
        if isinstance(command, Measure):
            figures.add(day, command)
        items.append(_Item(_at(day, rng), user or rng.choice(STAFF), command))

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

    # 2017 to the demo's day: the figures. Yearly ones (the budget's maintenance fee, the
    # enforcement inspection) are in by mid-year.
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
                day = _day_between(rng, date(year, 3, 1), date(year, 6, 15))
                add(day, Measure(code, "enforcement_inspection", rng.random() < 0.95, day,
                                 "执法检查通报"))
                day = _day_between(rng, date(year, 1, 10), date(year, 3, 31))
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

    districts = {c.code for c in plan.counties if c.kind == "district"}
    for code in codes:
        for rec in plan.recommendations:
            _task_story(plan, code, rec.id, rng, add, figures, today,
                        district=code in districts)

    items.sort(key=lambda item: item.when)
    return items


def _task_story(plan: Plan, code: str, rec: str, rng: random.Random, add: Add,
                figures: Figures, today: date, *, district: bool) -> None:
    """One task's life to the demo's day: started, followed up (in words that fit its
    recommendation), perhaps blocked, done and verified once its figures agree; an open
    task has its next follow-up near the demo's day."""
    task_id = f"{code}-{rec}"
    story = STORIES[rec]
    cadence_days = 30 if rec in ("2.4", "2.5") else 91
    latest_start = max(date(2017, 7, 1), min(date(2018, 12, 31), today - timedelta(days=60)))
    start = _day_between(rng, date(2017, 7, 1), latest_start)
    if rec == NOT_APPLICABLE[0] and district and rng.random() < 0.3:
        add(start, SetFields(task_id, {"status": Status.NOT_APPLICABLE},
                             comment=NOT_APPLICABLE[1]))
        return
    if rng.random() < 0.08:  # never started: the first contact is planned
        target = queue_day(rng, today, cadence_days)
        add(min(today, target) - timedelta(days=rng.randint(1, 20)),
            SetFields(task_id, {"next_followup": target.isoformat()}))
        return
    add(start, SetFields(task_id, {"status": Status.IN_PROGRESS}))
    done: date | None = None
    if rng.random() < 0.6 and agrees(plan, figures, code, rec, today):
        planned = start + timedelta(days=rng.randint(60, 600))
        # Done on the planned day if the figures agree by then, else once they do (the
        # county's report that settles it arrives in the weeks before the demo's day).
        for day in (planned, planned + (today - planned) / 2, today - timedelta(days=12)):
            if start < day < today and agrees(plan, figures, code, rec, day):
                done = day
                break
    if done is None:
        target = queue_day(rng, today, cadence_days)
        last = (target - timedelta(days=rng.randint(14, 30)) if target < today
                else today - timedelta(days=rng.randint(1, min(25, cadence_days - 1))))
        last = max(last, start + timedelta(days=1))
        until = last
    else:
        until = done

    def followup(day: date, next_day: date | None = None) -> None:
        kind = rng.choice(list(story.outcomes))
        texts = story.outcomes[kind] + (ANY_CALL if kind is CALL else ())
        add(day, LogFollowup(task_id, kind, rng.choice(texts), next=next_day, on=day))
        if rng.random() < 0.25:
            add(day, AddNote(task_id, rng.choice(story.notes)))

    day = start
    while True:
        day = day + timedelta(days=rng.randint(20, 150))
        if day >= until:
            break
        followup(day)
    if done is None:
        followup(until, target)
        if rng.random() < 0.12 and until - start > timedelta(days=20):
            blocked = _day_between(rng, start + timedelta(days=5), until - timedelta(days=1))
            add(blocked, SetFields(task_id, {"status": Status.BLOCKED},
                                   comment=rng.choice(story.blocks)))
            resumed = blocked + timedelta(days=rng.randint(30, 120))
            if rng.random() < 0.5 and resumed < until:
                add(resumed, SetFields(task_id, {"status": Status.IN_PROGRESS}))
        if rec in ("1.1", "2.2", "2.5") and rng.random() < 0.15:
            add(_day_between(rng, start + timedelta(days=1), until),
                SetFields(task_id, {"due": date(2021, 6, 30)}, comment=DELAY))
        return
    add(done, SetFields(task_id, {"status": Status.DONE}))
    verified = done + timedelta(days=rng.randint(10, 90))
    if rng.random() < 0.7 and verified <= today:
        add(verified, SetFields(task_id, {"status": Status.VERIFIED}))


def check_today(today: date) -> None:
    """The demo's day lies in the plan period, after its first months of history."""
    if not FIRST_DAY <= today <= END:
        raise UsageError("demo.today_range", date=today.isoformat(),
                         first=FIRST_DAY.isoformat(), last=END.isoformat())


def build_demo(store: DemoStore, *, seed: int = 2017, force: bool = False,
               today: date = DEFAULT_TODAY) -> int:
    """Create the demo database in ``store``, living on ``today`` (its own clock: see
    storage.store.Store.clock); returns the number of events."""
    check_today(today)
    plan = builtin_plan()
    start = datetime.combine(START, time(9, 0), CST)
    store.create(plan, demo=True, force=force, when=start, today=today)
    # Whoever builds the demo is its admin (as with init); the staff who make its history
    # are editors, one leader reads.
    store.apply_all([(AddUser(name, "editor"), store.user, start) for name in STAFF]
                    + [(AddUser(LEADER, "viewer"), store.user, start)])
    result = store.apply_all((item.command, item.user, item.when)
                             for item in demo_items(plan, seed, today))
    return int(result.events[-1]["seq"])
