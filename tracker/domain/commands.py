"""Commands: what a user asks the store to do. Each turns, against the current state,
into a list of history events (or refuses with a TrackerError). The store stamps and
chains the events and applies them with :func:`tracker.domain.events.apply_event`.

The same commands serve the CLI, the app and the tests.
"""

from __future__ import annotations

import copy
import pwd
import re
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from tracker.domain.errors import ConflictError, InvalidEdit, NotFoundError, UsageError
from tracker.domain.events import Index, Tables
from tracker.domain.fields import EDITABLE_FIELDS, FollowupKind, Priority, Status
from tracker.domain.lifecycle import check_move
from tracker.domain.roles import ADMIN, EDITOR, ROLES, UNKNOWN_USERS, user_entry, users_of
from tracker.domain.text import clean_text
from tracker.i18n import _

if TYPE_CHECKING:
    from tracker.domain.plan import Plan

Event = dict[str, Any]

MAX_TEXT = 20_000
# Each setting: its default, then (int, low, high) or the tuple of allowed words.
SETTINGS: dict[str, tuple[Any, Any]] = {
    "stale_days": (90, (int, 1, 3650)),
    "unknown_users": ("viewer", UNKNOWN_USERS),
}

# Every command says which role it needs (``NEEDS``: a tracker.domain.roles role, or None for
# what the store itself does: create, migrate) and names what it does for a refusal
# (``ACTION``, a catalog key). The store checks both under the lock (storage.store).


class Context:
    """What a command sees: the state (tables and index), who and when."""

    __slots__ = ("index", "tables", "today", "ts", "user")

    def __init__(self, tables: Tables, index: Index, user: str, today: date, ts: str) -> None:
        self.tables, self.index, self.user, self.today, self.ts = tables, index, user, today, ts

    def task_doc(self, task_id: str) -> dict[str, Any]:
        key = self.index.tasks.get(task_id)
        if key is None:
            raise NotFoundError("task.unknown", task=task_id)
        return self.tables["tasks"][key]

    def county_doc(self, code: str) -> dict[str, Any]:
        key = self.index.counties.get(code)
        if key is None:
            raise NotFoundError("county.unknown", query=code)
        return self.tables["counties"][key]


def _text(value: str, what: str, *, single_line: bool = False, required: bool = True) -> str:
    cleaned = clean_text(value, single_line=single_line)
    if required and not cleaned:
        raise InvalidEdit("text.empty", what=_(f"text.what.{what}"))
    if len(cleaned) > MAX_TEXT:
        raise InvalidEdit("text.too_long", what=_(f"text.what.{what}"), limit=MAX_TEXT)
    return cleaned


_GROUP = re.compile(r"^G(\d{2})$")


def validate_owner(value: str, groups: int, user: str) -> str | None:
    """An owner is a survey group (G01..G20) or an OS account on this server."""
    text = value.strip()
    if not text:  # an emptied field is not a choice: "-" says "no owner"
        raise UsageError("owner.empty", groups=groups)
    if text.lower() in ("-", "none"):
        return None
    if text.lower() == "me":
        return user
    match = _GROUP.match(text.upper())
    if match:
        if 1 <= int(match.group(1)) <= groups:
            return text.upper()
        raise UsageError("owner.bad_group", value=value, groups=groups)
    try:
        pwd.getpwnam(text)
    except KeyError:
        raise UsageError("owner.unknown", value=value, groups=groups) from None
    return text


def plan_sha256(raw: dict[str, Any]) -> str:
    import hashlib

    from tracker.domain.plan import canonical_json

    return hashlib.sha256(canonical_json(raw)).hexdigest()


class Init(NamedTuple):
    """Create the database from a plan (the first event of every history)."""

    plan: dict[str, Any]
    demo: bool = False
    today: date | None = None  # a demo database's own day (see Store.clock)

    NEEDS = None  # a new database has no users yet: its creator becomes its admin
    ACTION = "role.action.init"

    def events(self, ctx: Context) -> list[Event]:
        from tracker.domain.events import SCHEMA_VERSION

        event: Event = {"type": "init", "new": self.plan, "demo": self.demo,
                        "schema": SCHEMA_VERSION, "plan_sha256": plan_sha256(self.plan)}
        if self.demo and self.today is not None:
            event["today"] = self.today.isoformat()
        return [event]


class SetFields(NamedTuple):
    """Change task fields. ``seen_version`` is the task version the user was looking at:
    a field changed by someone else since then is refused; other fields merge."""

    task: str
    changes: dict[str, Any]
    seen_version: int | None = None
    comment: str | None = None

    NEEDS = EDITOR
    ACTION = "role.action.edit"

    def events(self, ctx: Context) -> list[Event]:
        doc = ctx.task_doc(self.task)
        comment = _text(self.comment, "comment", required=False) if self.comment else None
        _check_conflicts(doc, self.changes, self.seen_version)
        events: list[Event] = []
        for name in EDITABLE_FIELDS:
            if name not in self.changes:
                continue
            new = _stored(self.changes[name])
            old = doc[name]
            if new == old:
                continue
            if name == "status":
                check_move(self.task, Status(old), Status(new), comment)
            if name == "due" and old and (new is None or new > old) and not comment:
                # Later, or no due date at all: oversight asks why the date slipped.
                raise InvalidEdit("due.reason_required", task=self.task, old=old,
                                  new=new or "-")
            events.append({"type": "set", "task": self.task, "field": name, "old": old,
                           "new": new, "comment": comment})
        if not events:
            raise InvalidEdit("set.nothing", task=self.task)
        return events


def _stored(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Status | Priority):
        return value.value
    return value


def _check_conflicts(doc: dict[str, Any], fields: Any, seen: int | None) -> None:
    if seen is not None and seen > doc["version"]:
        raise InvalidEdit("edit.future_version", task=doc["id"], seen=seen,
                          version=doc["version"])
    if seen is None or seen == doc["version"]:
        return
    for name in fields:
        changed = doc["changed"].get(name)
        if changed and changed[0] > seen:
            from tracker.domain.fields import field_value

            raise ConflictError("edit.conflict", task=doc["id"], field=_(f"field.{name}"),
                                user=changed[1], at=changed[2][:16].replace("T", " "),
                                current=field_value(name, doc[name]), seen=seen)


class AddNote(NamedTuple):
    task: str
    text: str

    NEEDS = EDITOR
    ACTION = "role.action.note"

    def events(self, ctx: Context) -> list[Event]:
        ctx.task_doc(self.task)
        return [{"type": "note", "task": self.task, "new": _text(self.text, "note")}]


class LogFollowup(NamedTuple):
    """A call, visit, document or meeting. Moves the next follow-up date: to ``next`` if
    given, else along the task's cadence from the follow-up's date."""

    task: str
    kind: FollowupKind
    outcome: str
    next: date | None = None
    on: date | None = None
    seen_version: int | None = None

    NEEDS = EDITOR
    ACTION = "role.action.followup"

    def events(self, ctx: Context) -> list[Event]:
        doc = ctx.task_doc(self.task)
        on = self.on or ctx.today
        if on > ctx.today:  # a follow-up is what happened; what is planned is --next
            raise InvalidEdit("followup.future", date=on.isoformat(),
                              today=ctx.today.isoformat())
        next_date = self.next
        if next_date is None and doc["cadence"]:
            anchor = date.fromisoformat(doc["next_followup"]) if doc["next_followup"] else on
            from tracker.domain.dates import next_followup

            next_date = next_followup(doc["cadence"], anchor, on)
        events: list[Event] = [{
            "type": "followup", "task": self.task,
            "new": {"date": on.isoformat(), "kind": FollowupKind(self.kind).value,
                    "outcome": _text(self.outcome, "outcome"),
                    "next": next_date.isoformat() if next_date else None},
        }]
        if next_date is not None and next_date.isoformat() != doc["next_followup"]:
            _check_conflicts(doc, ("next_followup",), self.seen_version)
            events.append({"type": "set", "task": self.task, "field": "next_followup",
                           "old": doc["next_followup"], "new": next_date.isoformat(),
                           "comment": None})
        return events


YES = {"yes", "y", "true", "1", "是", "有", "已"}
NO = {"no", "n", "false", "0", "否", "无", "未"}


def parse_value(plan: Plan, key: str, text: str, *, today: date | None = None) -> Any:
    """A measurement value for a fact or indicator, typed by its kind."""
    from tracker.domain.plan import IndicatorKind

    if key in {f.id for f in plan.facts}:
        kind = plan.fact(key).kind
    else:
        indicator = plan.indicator(key)
        if indicator.derived_from:
            raise UsageError("measure.derived", key=key, inputs=", ".join(indicator.derived_from))
        kind = indicator.kind
    raw = text.strip().replace(",", "").replace("，", "")
    try:
        if kind is IndicatorKind.YES_NO:
            if raw.lower() in YES:
                return True
            if raw.lower() in NO:
                return False
            raise ValueError(text)
        if kind is IndicatorKind.DATE:
            from tracker.domain.dates import parse_date

            return parse_date(raw, today=today, option=key).isoformat()
        if kind is IndicatorKind.COUNT:
            value: Any = int(raw)
        else:
            value = float(raw.rstrip("%"))
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(text)
        if value < 0 or (kind is IndicatorKind.PERCENT and value > 100):
            raise ValueError(text)
        return value
    except ValueError:
        from tracker.i18n import _

        raise UsageError("measure.bad_value", key=key, value=text,
                         kind=_(f"import.kind.{kind.value}")) from None


def part_over_whole(plan: Plan, values: dict[str, Any]) -> tuple[str, str] | None:
    """The (part, whole) facts of a share indicator (digitized of permanent volumes)
    whose values in ``values`` put the part above the whole, if any."""
    from tracker.domain.plan import IndicatorKind

    for indicator in plan.indicators:
        if indicator.kind is IndicatorKind.PERCENT and len(indicator.derived_from) == 2:
            part, whole = indicator.derived_from
            if (values.get(part) is not None and values.get(whole) is not None
                    and values[part] > values[whole]):
                return part, whole
    return None


class Measure(NamedTuple):
    """A dated value of a county fact (holdings, staff...) or indicator."""

    county: str
    key: str
    value: Any
    on: date
    source: str | None = None

    NEEDS = EDITOR
    ACTION = "role.action.measure"

    def events(self, ctx: Context) -> list[Event]:
        ctx.county_doc(self.county)
        if self.on > ctx.today:  # a figure is as of a day that has come
            raise InvalidEdit("measure.future", date=self.on.isoformat(),
                              today=ctx.today.isoformat())
        source = _text(self.source, "source", single_line=True) if self.source else None
        return [{"type": "measure", "county": self.county, "field": self.key,
                 "new": {"date": self.on.isoformat(), "value": self.value, "source": source}}]


class SetSetting(NamedTuple):
    key: str
    value: str

    NEEDS = ADMIN
    ACTION = "role.action.config"

    def events(self, ctx: Context) -> list[Event]:
        value = parse_setting(self.key, self.value)
        old = setting_value(ctx.tables["meta"]["1"]["settings"], self.key)
        if old == value:
            raise InvalidEdit("setting.same", key=self.key, value=value)
        return [{"type": "setting", "field": self.key, "old": old, "new": value}]


def parse_setting(key: str, text: str) -> Any:
    if key not in SETTINGS:
        raise UsageError("setting.unknown", key=key, known=", ".join(SETTINGS))
    rule = SETTINGS[key][1]
    if rule[0] is int:
        _kind, low, high = rule
        try:
            value = int(text)
            if not low <= value <= high:
                raise ValueError(text)
        except ValueError:
            raise UsageError("setting.bad", key=key, value=text, low=low,
                             high=high) from None
        return value
    word = text.strip().lower()
    if word not in rule:
        raise UsageError("setting.bad_choice", key=key, value=text, known=", ".join(rule))
    return word


def setting_value(settings: dict[str, Any], key: str) -> Any:
    """A setting's value, or its default if it was never set."""
    value = settings.get(key)
    return SETTINGS[key][0] if value is None else value


ACCESS_SETTINGS = ("unknown_users",)
_BOOKKEEPING = ("version", "changed", "updated_at", "updated_by", "last_followup",
                "due_revisions")


class Restore(NamedTuple):
    """Bring tasks and county facts back to a backup's state, as new events. ``upto`` is
    the seq of the backup's last event: measurements recorded after it are taken back.
    What happened stays: notes and follow-ups are in the journal and are kept, a task's
    last follow-up with them, and a due date that the restore moves is a new revision."""

    tables: Tables
    source: str
    upto: int
    comment: str = ""

    NEEDS = ADMIN
    ACTION = "role.action.restore"

    def events(self, ctx: Context) -> list[Event]:
        backup_index = Index(self.tables)
        events: list[Event] = []
        for task_id, key in ctx.index.tasks.items():
            current = ctx.tables["tasks"][key]
            old = self.tables["tasks"].get(backup_index.tasks.get(task_id, ""), None)
            if old is None or _same(old, current):
                continue
            new = copy.deepcopy(old)
            new["version"] = current["version"] + 1
            new["changed"] = dict(current["changed"])
            for name in EDITABLE_FIELDS:
                if old[name] != current[name]:
                    new["changed"][name] = [new["version"], ctx.user, ctx.ts]
            new["updated_at"], new["updated_by"] = ctx.ts, ctx.user
            new["last_followup"] = current["last_followup"]
            new["due_revisions"] = list(current["due_revisions"])
            if old["due"] != current["due"]:
                new["due_revisions"].append({
                    "at": ctx.ts, "by": ctx.user, "due": old["due"],
                    "previous": current["due"], "reason": self.comment or None})
            events.append({"type": "put", "task": task_id, "old": current, "new": new,
                           "comment": self.comment, "source": self.source})
        for code, key in ctx.index.counties.items():
            current = ctx.tables["counties"][key]
            old = self.tables["counties"].get(backup_index.counties.get(code, ""), None)
            if old is None or old["measurements"] == current["measurements"]:
                continue
            new = copy.deepcopy(old)
            new["version"] = current["version"] + 1
            events.append({"type": "put", "county": code, "old": current, "new": new,
                           "upto": self.upto, "comment": self.comment,
                           "source": self.source})
        settings = self.tables["meta"]["1"]["settings"]
        for name, value in settings.items():
            if name in ACCESS_SETTINGS:
                continue  # who may do what is today's decision, not the backup's
            old_value = ctx.tables["meta"]["1"]["settings"].get(name)
            if old_value != value:
                events.append({"type": "setting", "field": name, "old": old_value,
                               "new": value, "comment": self.comment, "source": self.source})
        if not events:
            raise InvalidEdit("restore.nothing", file=self.source)
        return events


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a.get(k) == b.get(k) for k in a.keys() | b.keys() if k not in _BOOKKEEPING)


# -- users and roles (admins only; tracker.domain.roles) -----------------------------------------
_ACCOUNT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")


def _account(name: str) -> str:
    """An account name as the OS spells it (the CLI also checks that it exists)."""
    text = name.strip()
    if not _ACCOUNT.match(text):
        raise UsageError("users.bad_name", name=clean_text(name, single_line=True))
    return text


def _role(role: str) -> str:
    word = role.strip().lower()
    if word not in ROLES:
        raise UsageError("users.bad_role", role=clean_text(role, single_line=True),
                         known=", ".join(ROLES))
    return word


def _limits(ctx: Context, role: str, prefectures: Any, groups: Any
            ) -> tuple[list[str], list[str]]:
    """Checked limits: prefecture codes of the plan, survey groups G01..Gnn; for editors
    only (an admin or viewer has no limits to keep)."""
    prefectures, groups = list(prefectures or ()), list(groups or ())
    if role != EDITOR:
        if prefectures or groups:
            raise UsageError("users.limits_editor_only", role=role)
        return [], []
    raw = ctx.tables["plan"]["1"]["plan"]
    known = {p["code"] for p in raw["prefectures"]}
    for code in prefectures:
        if code not in known:
            raise UsageError("users.unknown_prefecture",
                             value=clean_text(code, single_line=True))
    count = int(raw["survey"]["groups"])
    checked = []
    for group in groups:
        match = _GROUP.match(group.strip().upper())
        if not match or not 1 <= int(match.group(1)) <= count:
            raise UsageError("owner.bad_group", value=clean_text(group, single_line=True),
                             groups=count)
        checked.append(group.strip().upper())
    return prefectures, checked


def _users(ctx: Context) -> dict[str, dict[str, Any]]:
    return users_of(ctx.tables["meta"]["1"])


def _keep_an_admin(users: dict[str, dict[str, Any]], name: str,
                   new: dict[str, Any] | None) -> None:
    if new is not None and new["role"] == ADMIN:
        return
    if not any(entry["role"] == ADMIN for other, entry in users.items() if other != name):
        raise InvalidEdit("users.last_admin", name=name)


class AddUser(NamedTuple):
    """List an account with a role (and, for an editor, limits)."""

    name: str
    role: str
    prefectures: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    NEEDS = ADMIN
    ACTION = "role.action.users"

    def events(self, ctx: Context) -> list[Event]:
        name, role = _account(self.name), _role(self.role)
        users = _users(ctx)
        if name in users:
            raise InvalidEdit("users.exists", name=name, role=users[name]["role"])
        new = user_entry(role, *_limits(ctx, role, self.prefectures, self.groups))
        return [{"type": "user", "account": name, "old": None, "new": new}]


def _listed(ctx: Context, account: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The account's name, the users table and its entry; an unlisted one is refused."""
    name = _account(account)
    users = _users(ctx)
    entry = users.get(name)
    if entry is None:
        raise NotFoundError("users.unknown", name=name)
    return name, users, entry


class SetUser(NamedTuple):
    """Change a listed account's role or limits. ``prefectures``/``groups`` None: kept
    (an editor's); an empty tuple clears them. A role other than editor has none."""

    name: str
    role: str | None = None
    prefectures: tuple[str, ...] | None = None
    groups: tuple[str, ...] | None = None

    NEEDS = ADMIN
    ACTION = "role.action.users"

    def events(self, ctx: Context) -> list[Event]:
        name, users, old = _listed(ctx, self.name)
        role = _role(self.role) if self.role is not None else old["role"]
        keep = role == EDITOR
        prefectures = (old["prefectures"] if keep else []) if self.prefectures is None \
            else self.prefectures
        groups = (old["groups"] if keep else []) if self.groups is None else self.groups
        new = user_entry(role, *_limits(ctx, role, prefectures, groups))
        if new == old:
            raise InvalidEdit("users.same", name=name)
        _keep_an_admin(users, name, new)
        return [{"type": "user", "account": name, "old": old, "new": new}]


class RemoveUser(NamedTuple):
    """Unlist an account: it is then an unknown user (a viewer, or refused)."""

    name: str

    NEEDS = ADMIN
    ACTION = "role.action.users"

    def events(self, ctx: Context) -> list[Event]:
        name, users, old = _listed(ctx, self.name)
        _keep_an_admin(users, name, None)
        return [{"type": "user", "account": name, "old": old, "new": None}]
