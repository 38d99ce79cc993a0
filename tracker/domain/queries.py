"""What the CLI and the app both ask of a state: the task filters of `tracker list`
and the tables, resolving what a user typed (a task, county or recommendation), "my"
owners and the follow-up buckets."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple

from tracker.domain.errors import NotFoundError, UsageError
from tracker.domain.text import clean_text

if TYPE_CHECKING:  # a one-shot edit resolves its task without the plan or the read model
    from tracker.domain.model import Status, Task
    from tracker.domain.plan import Plan
    from tracker.domain.state import StateView


class TaskFilter(NamedTuple):
    counties: frozenset[str] | None = None
    recs: frozenset[str] | None = None
    statuses: frozenset[Status] | None = None
    owner: str | None = None
    overdue: bool = False
    stale: bool = False
    due_before: date | None = None
    due_after: date | None = None
    next_before: date | None = None
    next_after: date | None = None

    @classmethod
    def build(cls, plan: Plan, *, prefecture: str | None = None, county: str | None = None,
              rec: str | None = None, status: str | None = None, owner: str | None = None,
              overdue: bool = False, stale: bool = False, due_before: date | None = None,
              due_after: date | None = None, next_before: date | None = None,
              next_after: date | None = None) -> TaskFilter:
        """From user text: names or codes, comma-separated lists for rec and status."""
        counties: set[str] | None = None
        if prefecture:
            pref = plan.find_prefecture(prefecture)
            counties = {c.code for c in plan.counties_in(pref.code)}
        if county:
            found = {c.code for c in plan.find_counties(county)}
            if not found:
                raise NotFoundError("county.unknown", query=county)
            counties = found if counties is None else counties & found
        recs = None
        if rec:
            recs = frozenset(resolve_recommendation(plan, r) for r in rec.split(","))
        statuses = None
        if status:
            statuses = frozenset(parse_status(s) for s in status.split(","))
        return cls(frozenset(counties) if counties is not None else None, recs, statuses,
                   owner.strip() if owner else None, overdue, stale, due_before, due_after,
                   next_before, next_after)

    def matches(self, task: Task, today: date, stale_days: int) -> bool:
        if self.counties is not None and task.county not in self.counties:
            return False
        if self.recs is not None and task.recommendation not in self.recs:
            return False
        if self.statuses is not None and task.status not in self.statuses:
            return False
        if self.owner is not None and (task.owner or "").lower() != self.owner.lower():
            return False
        if self.overdue and not task.is_overdue(today):
            return False
        if self.stale and not task.is_stale(today, stale_days):
            return False
        if self.due_before is not None and (task.due is None or task.due >= self.due_before):
            return False
        if self.due_after is not None and (task.due is None or task.due <= self.due_after):
            return False
        nxt = task.next_followup
        if self.next_before is not None and (nxt is None or nxt >= self.next_before):
            return False
        return not (self.next_after is not None and (nxt is None or nxt <= self.next_after))


def filter_tasks(view: StateView, task_filter: TaskFilter, today: date) -> list[Task]:
    """The tasks ``task_filter`` keeps, in the state's order. The county, recommendation
    and status are tested on the stored documents first, so that a Task is built only
    for a task those keep (`tracker list --prefecture P` builds one prefecture's);
    ``matches`` then judges every condition, those three again included."""
    counties, recs = task_filter.counties, task_filter.recs
    statuses = (None if task_filter.statuses is None
                else {s.value for s in task_filter.statuses})
    docs = [doc for doc in view.tables["tasks"].values()
            if (counties is None or doc["county"] in counties)
            and (recs is None or doc["rec"] in recs)
            and (statuses is None or doc["status"] in statuses)]
    stale_days = view.stale_days
    from tracker.domain.model import Task

    return [t for t in map(Task.from_doc, docs) if task_filter.matches(t, today, stale_days)]


# -- what a user typed ---------------------------------------------------------------------
# The words of a fixed vocabulary (statuses, follow-up kinds, priorities, roles), as a user
# types them in either language: the id (``in_progress``), or its name in the catalog of
# either language (``in progress``, ``进行中``), any case, with spaces or hyphens for
# underscores. The catalog key of a word's name is ``PREFIX + id``.
WORD_PREFIXES = {"status": "status.", "kind": "kind.", "priority": "priority.",
                 "role": "role.name."}


def word_names(vocabulary: str, ident: str) -> set[str]:
    """The ways to type one word: its id and its name in each language, folded."""
    from tracker.i18n import translate

    names = {_fold(ident)}
    for lang in ("en", "zh"):
        name = _fold(translate(lang, WORD_PREFIXES[vocabulary] + ident))
        names.add(name)
        if lang == "zh" and len(name) > 2 and name.endswith("者"):
            names.add(name[:-1])  # 编辑者 or 编辑, 查看者 or 查看
    return names


def _fold(text: str) -> str:
    return " ".join(text.strip().casefold().replace("_", " ").replace("-", " ").split())


def parse_word(vocabulary: str, text: str, idents: tuple[str, ...]) -> str:
    """The id among ``idents`` that ``text`` names (see WORD_PREFIXES); a UsageError that
    lists them, in the user's language, otherwise."""
    from tracker.i18n import _

    folded = _fold(text)
    for ident in idents:
        if folded in word_names(vocabulary, ident):
            return ident
    names = {ident: _(WORD_PREFIXES[vocabulary] + ident) for ident in idents}
    known = _("list.separator").join(
        ident if _fold(name) == _fold(ident) else _("word.named", id=ident, name=name)
        for ident, name in names.items())
    raise UsageError(f"word.unknown.{vocabulary}", value=clean_text(text, single_line=True),
                     known=known)


def parse_status(text: str) -> Status:
    from tracker.domain.model import Status

    return Status(parse_word("status", text, tuple(s.value for s in Status)))


def resolve_recommendation(plan: Plan, text: str) -> str:
    """A recommendation id (``2.5``) as typed; unknown: a UsageError listing them."""
    from tracker.i18n import _

    try:
        return plan.recommendation(text.strip()).id
    except NotFoundError:
        known = _("list.separator").join(f"{r.id} {r.title.get()}"
                                         for r in plan.recommendations)
        raise UsageError("rec.unknown", value=clean_text(text, single_line=True),
                         known=known) from None


def resolve_indicator(plan: Plan, text: str) -> str:
    """A fact or indicator id as typed (``staff``, ``digitized_permanent_volumes``), or
    its title in either language; unknown: a UsageError listing the valid ones."""
    from tracker.i18n import _

    key = text.strip()
    # (id, title, computed): only what is not computed from facts can be recorded.
    items = [(f.id, f.title, False) for f in plan.facts] + [
        (i.id, i.title, bool(i.derived_from)) for i in plan.indicators]
    for ident, title, _computed in items:
        if key == ident or _fold(key) in (_fold(title.zh), _fold(title.en)):
            return ident
    known = _("list.separator").join(
        f"{ident} ({title.get()})" for ident, title, computed in items if not computed)
    raise UsageError("indicator.unknown", value=clean_text(key, single_line=True),
                     known=known)


def resolve_task(view: StateView, text: str) -> str:
    """A task id (``211421-2.5``), or a county name or code with the recommendation
    (``绥中-2.5``, ``Suizhong 2.5``)."""
    value = text.strip()
    if value in view.index.tasks:
        return value
    for separator in ("-", " ", ":"):
        if separator in value:
            county_text, _sep, rec = value.rpartition(separator)
            try:
                view.plan.recommendation(rec.strip())
            except NotFoundError:
                continue
            try:
                code = resolve_county(view.plan, county_text)
            except NotFoundError:
                break
            return f"{code}-{rec.strip()}"
    raise NotFoundError("task.unknown", task=text)


def resolve_county(plan: Plan, text: str) -> str:
    matches = plan.find_counties(text.strip())
    if not matches:
        raise NotFoundError("county.unknown", query=text)
    if len(matches) > 1:
        names = ", ".join(f"{c.code} {c.name.get()}" for c in matches[:8])
        raise UsageError("county.ambiguous", query=text, matches=names)
    return matches[0].code


def resolve_target(view: StateView, text: str) -> tuple[str, str]:
    """("task"|"county"|"rec", id) for a task id, county code/name or recommendation id."""
    value = text.strip()
    try:
        return "rec", view.plan.recommendation(value).id
    except NotFoundError:
        pass
    try:
        return "task", resolve_task(view, value)
    except NotFoundError:
        pass
    return "county", resolve_county(view.plan, value)


# -- the follow-up queue ---------------------------------------------------------------------
def is_survey_group(name: str) -> bool:
    """G01..G99, any case: the owner names of survey groups (and their Unix groups)."""
    return len(name) == 3 and name[0] in "gG" and name[1:].isdigit()


def my_owners(user: str, groups: list[str]) -> set[str]:
    """The owners whose tasks are "mine": me and my survey groups (of ``groups``, the
    Unix groups I am in, those named G01..G20), lower-cased."""
    return {user.lower(), *(g.lower() for g in groups if is_survey_group(g))}


def bucket(task: Task, today: date) -> str:
    """Where a task with a next follow-up date falls in the queue: overdue, today, this
    week (to Sunday) or later."""
    assert task.next_followup is not None
    if task.next_followup < today:
        return "overdue"
    if task.next_followup == today:
        return "today"
    if task.next_followup <= today + timedelta(days=6 - today.weekday()):
        return "week"
    return "later"


BUCKETS = ("overdue", "today", "week", "later")


def followup_queue(view: StateView, today: date, *, owners: set[str] | None = None,
                   task_filter: TaskFilter | None = None,
                   until: date | None = None) -> list[Task]:
    """The follow-up queue: open tasks with a next follow-up date, soonest first (then by
    id), as the Follow-ups screen and `tracker agenda` list them. ``owners``: only the
    tasks these own (lower-case, as my_owners gives them); ``task_filter``: only those it
    matches; ``until``: none whose next follow-up is after that day."""
    from tracker.domain.fields import OPEN_STATUSES
    from tracker.domain.model import Task

    # Read off the documents first: a Task is built only for what the queue keeps (the
    # agenda of a login script reads a few dozen of 700, or of 14,000).
    open_statuses = {s.value for s in OPEN_STATUSES}
    last = until.isoformat() if until is not None else None
    queue = []
    stale_days = view.stale_days
    for doc in view.tables["tasks"].values():
        nxt = doc["next_followup"]
        if nxt is None or doc["status"] not in open_statuses:
            continue
        if last is not None and nxt > last:
            continue
        if owners is not None and (doc["owner"] or "").lower() not in owners:
            continue
        task = Task.from_doc(doc)
        if task_filter is not None and not task_filter.matches(task, today, stale_days):
            continue
        queue.append(task)
    queue.sort(key=lambda t: (t.next_followup, t.id))
    return queue


def owns_any(view: StateView, owners: set[str]) -> bool:
    """Whether any task (open or not) is owned by one of ``owners`` (lower-case)."""
    return any((doc.get("owner") or "").lower() in owners
               for doc in view.tables["tasks"].values())


def group_owner(text: str, groups: int) -> str:
    """A survey group as typed (``G07``, ``g7``, ``7``) as its owner name, ``G07``."""
    word = text.strip().upper()
    if word.startswith("G"):
        word = word[1:]
    if word.isdigit() and 1 <= int(word) <= groups:
        return f"G{int(word):02d}"
    raise UsageError("owner.bad_group", value=clean_text(text, single_line=True),
                     groups=groups)
