"""Commands: what a user asks the store to do. Each is a frozen value (a ``Command``) that
turns, against the current state, into a list of history events, or refuses with a
TrackerError. The store stamps and chains the events and applies them with
:func:`tracker.domain.events.apply_event`.

Every rule of a command is checked in its ``events()``, which the store runs under the
lock, whoever calls ``Store.apply`` (the CLI, the app, an import, a test): a value of
the wrong type or out of bounds, a part above its whole, an owner that is neither a
survey group nor an account, a date outside the window (tracker.domain.dates). The CLI
and the screens check the same things early for a friendlier moment, never instead.
Value rules refuse with the same UsageError (and exit code) as the early checks.

The same commands serve the CLI, the app and the tests.
"""

from __future__ import annotations

import copy
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, dataclass_transform

from tracker.domain.errors import ConflictError, InvalidEdit, NotFoundError, UsageError
from tracker.domain.events import Index, Tables
from tracker.domain.fields import EDITABLE_FIELDS, FollowupKind, Priority, Status
from tracker.domain.lifecycle import check_move
from tracker.domain.roles import ADMIN, EDITOR, ROLES, UNKNOWN_USERS, user_entry, users_of
from tracker.domain.text import clean_text
from tracker.i18n import _

if TYPE_CHECKING:
    from tracker.domain.plan import IndicatorKind, Plan

Event = dict[str, Any]

MAX_TEXT = 20_000
# A figure's size: a float holds every integer below 2**53 exactly, so that a value
# survives a JSON round trip (and a spreadsheet) unchanged.
MAX_VALUE = 2**53
# Each setting: its default, then (int, low, high) or the tuple of allowed words.
SETTINGS: dict[str, tuple[Any, Any]] = {
    "stale_days": (90, (int, 1, 3650)),
    "unknown_users": ("viewer", UNKNOWN_USERS),
    "attachment_max_mb": (50, (int, 1, 2048)),  # the largest attachment, in MB
}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_NAME = 255  # an attachment's name, in characters


def _no_account(name: str) -> bool:
    return False


class Context:
    """What a command sees: the state (tables and index), who and when; and what the
    store knows that the domain must not look up itself: which OS accounts exist
    (``known_account``, injected by the store: tracker.storage.identity)."""

    __slots__ = ("_plan", "index", "known_account", "source", "tables", "today", "ts", "user")

    def __init__(self, tables: Tables, index: Index, user: str, today: date, ts: str, *,
                 known_account: Callable[[str], bool] = _no_account,
                 source: str = "") -> None:
        self.tables, self.index, self.user, self.today, self.ts = tables, index, user, today, ts
        self.known_account = known_account
        self.source = source  # the database file, named by errors in its stored plan
        self._plan: Plan | None = None

    @property
    def plan(self) -> Plan:
        """The stored plan, parsed once per process (tracker.domain.state.plan_for)."""
        if self._plan is None:
            from tracker.domain.state import plan_for

            self._plan = plan_for(self.tables, self.source)
        return self._plan

    @property
    def survey_groups(self) -> int:
        """How many survey groups (G01..Gnn) the plan has, without parsing the plan."""
        return int(self.tables["plan"]["1"]["plan"]["survey"]["groups"])

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


@dataclass_transform(frozen_default=True)
class Command(ABC):
    """What every command is: a frozen value that says which role it needs (``needs``:
    a tracker.domain.roles role, or None for the store's own work: create, migrate), what
    it does for a refusal (``action``, a catalog key), which task or county it touches
    (``subject_task``/``subject_county``, for an editor's limits), and its events. The
    store checks the role and the limits under the lock (tracker.storage.store), then
    calls ``events``, which checks the command's own rules.

    A subclass declares its fields as a dataclass does (annotations, defaults after the
    fields without), and type checkers read it as a frozen dataclass
    (``dataclass_transform``); it is built, compared, hashed and shown by the fields,
    and refuses to be changed. Not ``@dataclass`` itself: generating the methods of the
    fifteen commands, and importing ``dataclasses`` for it, cost every one-shot edit
    ~18 ms of its ~95 (docs/performance.md)."""

    __slots__ = ()

    _fields: ClassVar[tuple[str, ...]] = ()  # in declaration order
    _defaults: ClassVar[dict[str, Any]] = {}
    needs: ClassVar[str | None] = ADMIN
    action: ClassVar[str] = "role.action.other"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # This class's own annotations, as text (``from __future__ import annotations``);
        # not inspect.get_annotations: importing inspect costs what this saves.
        own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
        added = [name for name, kind in own.items() if not str(kind).startswith("ClassVar")]
        # A parent command's fields come first, as a dataclass's do.
        cls._fields = (*(f for f in cls._fields if f not in added), *added)
        cls._defaults = {**cls._defaults, **{name: cls.__dict__[name] for name in added
                                             if name in cls.__dict__}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} values")
        values = dict(zip(fields, args, strict=False))
        for name, value in kwargs.items():
            if name not in fields or name in values:
                raise TypeError(f"{type(self).__name__}: unexpected or repeated {name!r}")
            values[name] = value
        for name in fields:
            if name not in values:
                if name not in self._defaults:
                    raise TypeError(f"{type(self).__name__}: {name!r} is required")
                values[name] = self._defaults[name]
            object.__setattr__(self, name, values[name])

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a {type(self).__name__} is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a {type(self).__name__} is frozen: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"

    @property
    def subject_task(self) -> str | None:
        return None

    @property
    def subject_county(self) -> str | None:
        return None

    @abstractmethod
    def events(self, ctx: Context) -> list[Event]:
        """The events this command makes against ``ctx``'s state, or a TrackerError."""


def _text(value: str, what: str, *, single_line: bool = False, required: bool = True) -> str:
    cleaned = clean_text(value, single_line=single_line)
    if required and not cleaned:
        raise InvalidEdit("text.empty", what=_(f"text.what.{what}"))
    if len(cleaned) > MAX_TEXT:
        raise InvalidEdit("text.too_long", what=_(f"text.what.{what}"), limit=MAX_TEXT)
    return cleaned


_GROUP = re.compile(r"^G(\d{2})$")


def validate_owner(value: str, groups: int, user: str, *,
                   known_account: Callable[[str], bool]) -> str | None:
    """What a user typed as an owner: ``-``/``none`` (no owner), ``me``, a survey group
    (G01..Gnn, any case) or an account on this server (``known_account``: the store's,
    tracker.storage.identity.account_exists). The early check of the CLI and the screens;
    the store checks the result again (:func:`check_owner`)."""
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
    if not known_account(text):
        raise UsageError("owner.unknown", value=value, groups=groups)
    return text


def check_owner(value: Any, groups: int, known_account: Callable[[str], bool]) -> str | None:
    """An owner as stored: None, a survey group G01..Gnn of the plan (as written: upper
    case), or an account ``known_account`` knows."""
    if value is None:
        return None
    shown = clean_text(str(value), single_line=True)
    if not isinstance(value, str):
        raise UsageError("owner.unknown", value=shown, groups=groups)
    match = _GROUP.match(value)
    if match:
        if 1 <= int(match.group(1)) <= groups:
            return value
        raise UsageError("owner.bad_group", value=shown, groups=groups)
    if not value or not known_account(value):
        raise UsageError("owner.unknown", value=shown, groups=groups)
    return value


class Init(Command):
    """Create the database from a plan (the first event of every history)."""

    plan: dict[str, Any]
    demo: bool = False
    today: date | None = None  # a demo database's own day (see Store.clock)

    needs: ClassVar[str | None] = None  # a new database has no users yet: its creator is admin
    action: ClassVar[str] = "role.action.init"

    def events(self, ctx: Context) -> list[Event]:
        from tracker.domain.events import SCHEMA_VERSION
        from tracker.domain.plan import plan_digest

        event: Event = {"type": "init", "new": self.plan, "demo": self.demo,
                        "schema": SCHEMA_VERSION, "plan_sha256": plan_digest(self.plan)}
        if self.demo and self.today is not None:
            event["today"] = self.today.isoformat()
        return [event]


class SetFields(Command):
    """Change task fields. ``seen_version`` is the task version the user was looking at:
    a field changed by someone else since then is refused; other fields merge.

    ``changes`` maps field names (tracker.domain.fields.EDITABLE_FIELDS) to values:
    a Status, a Priority (or their words), an owner (None, G01..Gnn, an account), dates
    (``datetime.date`` or ISO text, None to clear) within the window of
    tracker.domain.dates, a cadence (tracker.domain.dates.validate_cadence, None for none)."""

    task: str
    changes: dict[str, Any]
    seen_version: int | None = None
    comment: str | None = None

    needs: ClassVar[str | None] = EDITOR
    action: ClassVar[str] = "role.action.edit"

    @property
    def subject_task(self) -> str | None:
        return self.task

    def events(self, ctx: Context) -> list[Event]:
        doc = ctx.task_doc(self.task)
        comment = _text(self.comment, "comment", required=False) if self.comment else None
        unknown = [name for name in self.changes if name not in EDITABLE_FIELDS]
        if unknown:
            raise UsageError("set.unknown_field", task=self.task,
                             field=clean_text(str(unknown[0]), single_line=True),
                             known=", ".join(EDITABLE_FIELDS))
        _check_conflicts(doc, self.changes, self.seen_version)
        events: list[Event] = []
        for name in EDITABLE_FIELDS:
            if name not in self.changes:
                continue
            new = _checked_field(ctx, name, self.changes[name])
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


class Undo(Command):
    """Take back field changes of one's own (``tracker undo``, ``u`` in the app) as new
    ``set`` events that name what they undo (``"undoes": seq``). ``targets`` are the
    ``set`` events to take back, as the journal has them (the store finds them:
    tracker.storage.store.Store.undo_command); ``reasons`` is, for each, the task's status
    reason before it (restored with the status, so that it need not be typed again).

    Refused: an event that is not the user's own, or not a change of a task field (notes
    and follow-ups stay: they happened); a field that anyone changed since (the conflict
    message of an edit based on that event's version). The status goes back to what it
    was without the lifecycle's move rules: it was a status the task had. An undo is a
    change like any other: undoing it redoes."""

    targets: tuple[dict[str, Any], ...]
    reasons: tuple[str | None, ...] = ()

    needs: ClassVar[str | None] = EDITOR
    action: ClassVar[str] = "role.action.undo"

    @property
    def subject_task(self) -> str | None:
        return next((str(t["task"]) for t in self.targets if t.get("task")), None)

    def events(self, ctx: Context) -> list[Event]:
        if not self.targets:
            raise InvalidEdit("undo.nothing", user=ctx.user)
        events: list[Event] = []
        for number, target in enumerate(self.targets):
            seq = target.get("seq")
            if target.get("user") != ctx.user:
                raise InvalidEdit("undo.not_yours", seq=seq,
                                  user=clean_text(str(target.get("user")), single_line=True))
            field = target.get("field")
            if target.get("type") != "set" or not target.get("task") \
                    or field not in EDITABLE_FIELDS:
                raise InvalidEdit("undo.not_a_change", seq=seq,
                                  kind=_(f"undo.kind.{target.get('type')}")
                                  if target.get("type") in UNDO_KINDS else target.get("type"))
            doc = ctx.task_doc(str(target["task"]))
            seen = target.get("version")
            if isinstance(seen, int):
                _check_conflicts(doc, [field], seen)
            if doc[field] != target.get("new"):  # an old journal without versions
                _check_conflicts(doc, [field], -1)
            old = _checked_field(ctx, field, target.get("old"))
            reason = self.reasons[number] if number < len(self.reasons) else None
            events.append({"type": "set", "task": target["task"], "field": field,
                           "old": doc[field], "new": old,
                           "comment": reason if field == "status" else None,
                           "undoes": seq})
        return events


UNDO_KINDS = ("note", "followup", "measure", "init", "setting", "user", "put", "migrate")


def changes_anything(doc: dict[str, Any], changes: dict[str, Any]) -> bool:
    """Whether ``changes`` (as SetFields takes them) would change task ``doc``: a bulk
    change leaves out the tasks that already have the values."""
    return any(_stored(value) != doc.get(name) for name, value in changes.items())


def _checked_field(ctx: Context, name: str, value: Any) -> Any:
    """A task field's new value as stored (words, ISO dates), once it has passed its
    field's rules."""
    if name in ("status", "priority"):
        kind: type[Status] | type[Priority] = Status if name == "status" else Priority
        try:
            return kind(value).value
        except ValueError:
            raise UsageError(f"{name}.unknown",
                             value=clean_text(str(value), single_line=True),
                             known=", ".join(member.value for member in kind)) from None
    if name == "owner":  # a group, a user listed here (service mode), or an OS account
        listed = users_of(ctx.tables["meta"]["1"])
        return check_owner(value, ctx.survey_groups,
                           lambda account: account in listed or ctx.known_account(account))
    if value is None:
        return None
    if name == "cadence":
        if not isinstance(value, str):
            raise UsageError("cadence.bad", option=_("field.cadence"), value=str(value))
        from tracker.domain.dates import validate_cadence

        return validate_cadence(value, option=_("field.cadence"))
    return checked_date(value, _(f"field.{name}")).isoformat()  # due, next_followup


def checked_date(value: Any, what: str) -> date:
    """A date a command keeps (a ``datetime.date`` or ISO text) within the window of
    tracker.domain.dates; ``what`` names it in the refusal."""
    from tracker.domain.dates import ACCEPTED_FORMS, check_window

    day: date | None = None
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
    if day is None:
        raise UsageError("date.bad", option=what,
                         value=clean_text(str(value), single_line=True), forms=ACCEPTED_FORMS)
    check_window(day, what)
    return day


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


class AddNote(Command):
    task: str
    text: str

    needs: ClassVar[str | None] = EDITOR
    action: ClassVar[str] = "role.action.note"

    @property
    def subject_task(self) -> str | None:
        return self.task

    def events(self, ctx: Context) -> list[Event]:
        ctx.task_doc(self.task)
        return [{"type": "note", "task": self.task, "new": _text(self.text, "note")}]


class LogFollowup(Command):
    """A call, visit, document or meeting. Moves the next follow-up date: to ``next`` if
    given, else along the task's cadence from the follow-up's date. The follow-up's date
    has come and is in the window of tracker.domain.dates; the next is not before it."""

    task: str
    kind: FollowupKind
    outcome: str
    next: date | None = None
    on: date | None = None
    seen_version: int | None = None

    needs: ClassVar[str | None] = EDITOR
    action: ClassVar[str] = "role.action.followup"

    @property
    def subject_task(self) -> str | None:
        return self.task

    def events(self, ctx: Context) -> list[Event]:
        doc = ctx.task_doc(self.task)
        try:
            kind = FollowupKind(self.kind)
        except ValueError:
            raise UsageError("followup.kind_unknown",
                             value=clean_text(str(self.kind), single_line=True),
                             known=", ".join(k.value for k in FollowupKind)) from None
        on = checked_date(self.on or ctx.today, _("date.what.followup"))
        if on > ctx.today:  # a follow-up is what happened; what is planned is --next
            raise InvalidEdit("followup.future", date=on.isoformat(),
                              today=ctx.today.isoformat())
        next_date = self.next
        if next_date is None and doc["cadence"]:
            anchor = date.fromisoformat(doc["next_followup"]) if doc["next_followup"] else on
            from tracker.domain.dates import next_followup

            next_date = next_followup(doc["cadence"], anchor, on)
        if next_date is not None:
            next_date = checked_date(next_date, _("field.next_followup"))
            if next_date < on:
                raise UsageError("followup.next_before", next=next_date.isoformat(),
                                 date=on.isoformat())
        events: list[Event] = [{
            "type": "followup", "task": self.task,
            "new": {"date": on.isoformat(), "kind": kind.value,
                    "outcome": _text(self.outcome, "outcome"),
                    "next": next_date.isoformat() if next_date else None},
        }]
        if next_date is not None and next_date.isoformat() != doc["next_followup"]:
            _check_conflicts(doc, ("next_followup",), self.seen_version)
            events.append({"type": "set", "task": self.task, "field": "next_followup",
                           "old": doc["next_followup"], "new": next_date.isoformat(),
                           "comment": None})
        return events


def attachment_limit(settings: dict[str, Any]) -> int:
    """The largest attachment the database takes, in bytes (setting attachment_max_mb)."""
    return int(setting_value(settings, "attachment_max_mb")) * 1024 * 1024


def attachment_name(name: str) -> str:
    """An attachment's name as kept: its last path component, one line, not empty."""
    base = clean_text(str(name), single_line=True).replace("\\", "/").rsplit("/", 1)[-1]
    base = base.strip()
    if not base or base in (".", ".."):
        raise UsageError("attach.bad_name", name=clean_text(str(name), single_line=True))
    return base[:MAX_NAME]


class Attach(Command):
    """Record that a file (stored content-addressed beside the database, by its SHA-256:
    tracker.storage.attachments) is evidence for a task. The file itself is never in the
    journal: the event names it (name, size, media type, hash). The size is within the
    database's limit (setting attachment_max_mb)."""

    task: str
    sha256: str
    name: str
    size: int
    media_type: str
    note: str | None = None

    needs: ClassVar[str | None] = EDITOR
    action: ClassVar[str] = "role.action.attach"

    @property
    def subject_task(self) -> str | None:
        return self.task

    def events(self, ctx: Context) -> list[Event]:
        ctx.task_doc(self.task)
        if not isinstance(self.sha256, str) or not _SHA256.match(self.sha256):
            raise UsageError("attach.bad_hash", value=clean_text(str(self.sha256),
                                                                  single_line=True))
        limit = attachment_limit(ctx.tables["meta"]["1"]["settings"])
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise UsageError("attach.bad_size", size=clean_text(str(self.size)))
        if self.size > limit:
            raise InvalidEdit("attach.too_large", name=attachment_name(self.name),
                              size=self.size, limit=limit // (1024 * 1024))
        media = clean_text(str(self.media_type), single_line=True)[:100] or \
            "application/octet-stream"
        note = _text(self.note, "note") if self.note else None
        return [{"type": "attach", "task": self.task,
                 "new": {"sha256": self.sha256, "name": attachment_name(self.name),
                         "size": self.size, "media_type": media, "note": note}}]


YES = {"yes", "y", "true", "1", "是", "有", "已"}
NO = {"no", "n", "false", "0", "否", "无", "未"}


def measure_kind(plan: Plan, key: str) -> IndicatorKind:
    """The kind of value ``key`` (a fact, or an indicator measured directly) takes; an
    indicator computed from facts is refused (its facts are what is recorded)."""
    if any(fact.id == key for fact in plan.facts):
        return plan.fact(key).kind
    indicator = plan.indicator(key)
    if indicator.derived_from:
        raise UsageError("measure.derived", key=key, inputs=", ".join(indicator.derived_from))
    return indicator.kind


def value_fits(kind: IndicatorKind, value: Any) -> bool:
    """Whether ``value`` is a value of ``kind`` as the store keeps it: a count an int
    >= 0, an amount a finite number >= 0, a percent one from 0 to 100, yes/no a bool, a
    date ISO text within the window of tracker.domain.dates; numbers below MAX_VALUE."""
    from tracker.domain.plan import IndicatorKind

    if kind is IndicatorKind.YES_NO:
        return isinstance(value, bool)
    if kind is IndicatorKind.DATE:
        from tracker.domain.dates import in_window

        try:
            day = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return False
        return day is not None and day.isoformat() == value and in_window(day)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if kind is IndicatorKind.COUNT and not isinstance(value, int):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if not 0 <= value < MAX_VALUE:
        return False
    return not (kind is IndicatorKind.PERCENT and value > 100)


def check_value(plan: Plan, key: str, value: Any, shown: str | None = None) -> IndicatorKind:
    """Refuse a value that is not one of ``key``'s kind (:func:`value_fits`); ``shown``
    is what the user typed, for the message. Returns the kind."""
    kind = measure_kind(plan, key)
    if not value_fits(kind, value):
        raise UsageError("measure.bad_value", key=key,
                         value=clean_text(str(value) if shown is None else shown,
                                          single_line=True),
                         kind=kind.value)
    return kind


def parse_value(plan: Plan, key: str, text: str, *, today: date | None = None) -> Any:
    """A measurement value for a fact or indicator, typed by its kind (and checked as the
    store will: :func:`check_value`)."""
    from tracker.domain.plan import IndicatorKind

    kind = measure_kind(plan, key)
    raw = text.strip().replace(",", "").replace("，", "")
    value: Any
    try:
        if kind is IndicatorKind.YES_NO:
            if raw.lower() in YES:
                value = True
            elif raw.lower() in NO:
                value = False
            else:
                raise ValueError(text)
        elif kind is IndicatorKind.DATE:
            from tracker.domain.dates import parse_date

            value = parse_date(raw, today=today, option=key).isoformat()
        elif kind is IndicatorKind.COUNT:
            value = int(raw)
        else:
            value = float(raw.rstrip("%"))
    except ValueError:
        from tracker.i18n import _

        raise UsageError("measure.bad_value", key=key, value=text,
                         kind=_(f"import.kind.{kind.value}")) from None
    check_value(plan, key, value, shown=text)
    return value


def part_over_whole(plan: Plan, values: dict[str, Any]) -> tuple[str, str] | None:
    """The (part, whole) facts of a share indicator (digitized of permanent volumes)
    whose values in ``values`` put the part above the whole, if any."""
    for part, whole in share_pairs(plan):
        if (values.get(part) is not None and values.get(whole) is not None
                and values[part] > values[whole]):
            return part, whole
    return None


def share_pairs(plan: Plan) -> list[tuple[str, str]]:
    """The (part, whole) facts of every share indicator (a percent derived from two)."""
    from tracker.domain.plan import IndicatorKind

    return [(indicator.derived_from[0], indicator.derived_from[1])
            for indicator in plan.indicators
            if indicator.kind is IndicatorKind.PERCENT and len(indicator.derived_from) == 2]


def value_as_of(doc: dict[str, Any], key: str, day: str) -> Any:
    """A county's value of ``key`` as of ``day`` (ISO), as far as its document tells:
    the latest if it is dated by then, else the last of the kept earlier values dated by
    then (schema 4). None if it had none by then. Where the document cannot tell (no
    ``earlier``, or the kept values do not reach back that far), the latest: a check
    against it refuses rather than lets a typo through."""
    from tracker.domain.migrations import EARLIER

    latest = doc["measurements"].get(key)
    if latest is None:
        return None
    if latest["date"] <= day:
        return latest["value"]
    earlier = doc.get("earlier")
    if earlier is None:
        return latest["value"]
    rows = earlier.get(key, [])
    before = [value for when, value in rows if when <= day]
    if before:
        return before[-1]
    return None if len(rows) < EARLIER else latest["value"]


class Measure(Command):
    """A dated value of a county fact (holdings, staff...) or indicator: of the key's
    kind (:func:`check_value`), dated in the window and not after today, and no part
    above its whole (digitized permanent volumes above permanent volumes) as of its
    date, against the county's values in the state."""

    county: str
    key: str
    value: Any
    on: date
    source: str | None = None

    needs: ClassVar[str | None] = EDITOR
    action: ClassVar[str] = "role.action.measure"

    @property
    def subject_county(self) -> str | None:
        return self.county

    def events(self, ctx: Context) -> list[Event]:
        doc = ctx.county_doc(self.county)
        on = checked_date(self.on, _("date.what.measure"))
        if on > ctx.today:  # a figure is as of a day that has come
            raise InvalidEdit("measure.future", date=on.isoformat(),
                              today=ctx.today.isoformat())
        plan = ctx.plan
        check_value(plan, self.key, self.value)
        self._check_part_of_whole(plan, doc, on.isoformat())
        source = _text(self.source, "source", single_line=True) if self.source else None
        return [{"type": "measure", "county": self.county, "field": self.key,
                 "new": {"date": on.isoformat(), "value": self.value, "source": source}}]

    def _check_part_of_whole(self, plan: Plan, doc: dict[str, Any], day: str) -> None:
        """More digitized than permanent volumes is a typo: refuse it, naming both."""
        pairs = [pair for pair in share_pairs(plan) if self.key in pair]
        if not pairs:
            return
        values = {key: value_as_of(doc, key, day) for pair in pairs for key in pair}
        values[self.key] = self.value
        found = part_over_whole(plan, values)
        if found:
            part, whole = found
            raise UsageError("measure.part_over_whole", county=self.county,
                             part=plan.fact(part).title.get(), part_value=values[part],
                             whole=plan.fact(whole).title.get(), whole_value=values[whole])


class SetSetting(Command):
    key: str
    value: str

    needs: ClassVar[str | None] = ADMIN
    action: ClassVar[str] = "role.action.config"

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


class Restore(Command):
    """Bring tasks and county facts back to a backup's state, as new events. ``upto`` is
    the seq of the backup's last event: measurements recorded after it are taken back.
    What happened stays: notes and follow-ups are in the journal and are kept, a task's
    last follow-up with them, and a due date that the restore moves is a new revision."""

    tables: Tables
    source: str
    upto: int
    comment: str = ""

    needs: ClassVar[str | None] = ADMIN
    action: ClassVar[str] = "role.action.restore"

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


class Migrate(Command):
    """Bring the state from schema ``old`` to ``new`` (the store's own work, after its
    backup: tracker.storage.store.Store.migrate)."""

    old: int
    new: int
    earlier: dict[str, Any] | None = None  # 3 -> 4: what the journal's series held

    needs: ClassVar[str | None] = None  # whoever opens the database first after an upgrade

    def events(self, ctx: Context) -> list[Event]:
        event: Event = {"type": "migrate", "old": self.old, "new": self.new}
        if self.earlier is not None:
            event["earlier"] = self.earlier
        return [event]


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


class AddUser(Command):
    """List an account with a role (and, for an editor, limits)."""

    name: str
    role: str
    prefectures: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    needs: ClassVar[str | None] = ADMIN
    action: ClassVar[str] = "role.action.users"

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


class SetUser(Command):
    """Change a listed account's role or limits. ``prefectures``/``groups`` None: kept
    (an editor's); an empty tuple clears them. A role other than editor has none."""

    name: str
    role: str | None = None
    prefectures: tuple[str, ...] | None = None
    groups: tuple[str, ...] | None = None

    needs: ClassVar[str | None] = ADMIN
    action: ClassVar[str] = "role.action.users"

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


class RemoveUser(Command):
    """Unlist an account: it is then an unknown user (a viewer, or refused)."""

    name: str

    needs: ClassVar[str | None] = ADMIN
    action: ClassVar[str] = "role.action.users"

    def events(self, ctx: Context) -> list[Event]:
        name, users, old = _listed(ctx, self.name)
        _keep_an_admin(users, name, None)
        return [{"type": "user", "account": name, "old": old, "new": None}]


# -- contacts and digests (tracker remind) -------------------------------------------------------
_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+$")
_GROUP_NAME = re.compile(r"^G\d{2}$")


def check_email(text: str) -> str:
    """An address as a digest is sent to: one mailbox, no display name (exit 2 if not)."""
    address = text.strip()
    if len(address) > 254 or not _EMAIL.match(address):
        raise UsageError("contact.bad_email", value=clean_text(text, single_line=True))
    return address


def contacts_of(meta: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Users' and survey groups' e-mail, digest language and (a group's) leader."""
    contacts: dict[str, dict[str, Any]] = meta.get("contacts") or {}
    return contacts


class SetContact(Command):
    """A listed user's or a survey group's e-mail address for the digest (`tracker
    remind`), the language of its digest, and a group's leader (a listed user, to whom
    what the group lets slip is escalated). None: kept; "": cleared."""

    name: str
    email: str | None = None
    language: str | None = None
    leader: str | None = None

    needs: ClassVar[str | None] = ADMIN
    action: ClassVar[str] = "role.action.users"

    def events(self, ctx: Context) -> list[Event]:
        meta = ctx.tables["meta"]["1"]
        group = _GROUP_NAME.match(self.name.strip().upper())
        if group:
            name = self.name.strip().upper()
            if not 1 <= int(name[1:]) <= ctx.survey_groups:
                raise UsageError("owner.bad_group", value=name, groups=ctx.survey_groups)
        else:
            name = _account(self.name)
            if name not in users_of(meta):
                raise NotFoundError("users.unknown", name=name)
            if self.leader:
                raise UsageError("contact.leader_group_only", name=name)
        old = contacts_of(meta).get(name)
        new = dict(old or {})
        for key, value in (("email", self.email), ("language", self.language),
                           ("leader", self.leader)):
            if value is None:
                continue
            if value == "":
                new.pop(key, None)
            elif key == "email":
                new[key] = check_email(value)
            elif key == "language":
                if value not in ("zh", "en"):
                    raise UsageError("contact.bad_language", value=clean_text(value))
                new[key] = value
            else:
                leader = _account(value)
                if leader not in users_of(meta):
                    raise NotFoundError("users.unknown", name=leader)
                new[key] = leader
        if new == (old or {}):
            raise InvalidEdit("contact.same", name=name)
        return [{"type": "contact", "name": name, "old": old, "new": new or None}]


class RecordDigests(Command):
    """What one `tracker remind` run did: per recipient, the day, the tasks listed (and
    escalated), whether the mail went, and why not. A digest recorded as sent for a
    recipient on a day is not sent again that day."""

    records: tuple[dict[str, Any], ...]

    needs: ClassVar[str | None] = ADMIN
    action: ClassVar[str] = "role.action.remind"

    def events(self, ctx: Context) -> list[Event]:
        events: list[Event] = []
        for record in self.records:
            checked_date(record["date"], "digest")
            events.append({"type": "digest", "name": str(record["name"]),
                           "email": check_email(str(record["email"])),
                           "date": str(record["date"]),
                           "tasks": [str(t) for t in record["tasks"]],
                           "escalated": [str(t) for t in record.get("escalated", ())],
                           "sent": bool(record["sent"]),
                           "error": record.get("error")})
        if not events:
            raise InvalidEdit("remind.nothing")
        return events


def digest_sent(meta: dict[str, Any], name: str, email: str, day: str) -> bool:
    """Whether ``name``'s digest for ``day`` already went to ``email``."""
    last: dict[str, Any] = (meta.get("digests") or {}).get(name) or {}
    return last.get("date") == day and last.get("sent") is True and last.get("email") == email
