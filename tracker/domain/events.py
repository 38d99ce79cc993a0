"""History events and the projection that turns them into the current state.

The current state is a set of tables (the TinyDB document: table -> doc id -> doc).
``apply_event`` is the only code that changes it: the store uses it for live edits, for
rolling forward after a crash, and ``verify`` uses it to replay history from nothing
and compare. Events are plain dicts so that they serialise exactly as they are stored.

Event fields: ``seq``, ``ts`` (ISO time with offset), ``user`` (OS account), ``type``,
then by type: ``task``/``county``, ``field``, ``old``, ``new``, ``comment``, ``source``;
and ``prev``/``hash`` for the chain (added by the store).

What only grows lives in the journal alone: a task's notes and follow-ups, and a county's
measurement series. The state keeps what reads need at once and what stays the same size
(a task's last follow-up, a county's latest measurement of each fact and indicator), so
that an edit costs the same after 500,000 notes as after none (schema 2; schema 1 kept
the lists in the state). Readers get the full lists from the journal
(``tracker.domain.timeline``).

Since schema 4 a county document also keeps, per key, the ``EARLIER`` values dated
before its latest (``earlier``: key -> ``[[date, value], ...]``, oldest first): with the
latest, the points a trend is drawn from (tracker.domain.progress), so that an export need not
read every measurement back from the journal. A document without ``earlier`` (a schema-3
state read as migrated, a restored schema-3 backup) is read from the journal as before.

Who may do what (schema 3) is in ``meta.users``: account -> role and limits
(tracker.domain.roles). The account that creates a database is its first admin; ``user``
events (``account``, ``old``, ``new``; ``new`` None when unlisted) change the list.

`tracker remind` (no schema change: both keys are optional): ``contact`` events (``name``
of a user or survey group, ``old``, ``new``: email, language, a group's leader) keep
``meta.contacts``; ``digest`` events (``name``, ``email``, ``date``, ``tasks``,
``escalated``, ``sent``, ``error``) record every digest tried, and ``meta.digests`` keeps
each recipient's last, so that a second run the same day sends nothing again.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from tracker.domain.fields import EDITABLE_FIELDS
from tracker.domain.migrations import (
    EARLIER,
    add_earlier,
    county_doc_v2,
    migrate_tables,
    task_doc_v2,
)
from tracker.domain.roles import ADMIN, user_entry

SCHEMA_VERSION = 4
META_ID = "1"
PLAN_ID = "1"

Tables = dict[str, dict[str, dict[str, Any]]]


def canonical(event: dict[str, Any]) -> str:
    """The exact text an event is hashed and stored as."""
    return json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def event_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode()).hexdigest()


def empty_tables() -> Tables:
    return {"meta": {}, "plan": {}, "tasks": {}, "counties": {}}


def task_id(county: str, rec: str) -> str:
    return f"{county}-{rec}"


def new_task_doc(county: str, rec: str, due: str | None, ts: str, user: str) -> dict[str, Any]:
    return {
        "id": task_id(county, rec),
        "county": county,
        "rec": rec,
        "status": "not_started",
        "owner": None,
        "due": due,
        "next_followup": None,
        "cadence": None,
        "priority": "normal",
        "reason": None,
        "version": 0,
        "created_at": ts,
        "updated_at": ts,
        "updated_by": user,
        "changed": {},
        "due_revisions": [],
        "last_followup": None,
    }


class Index:
    """Lookups into the tables by task id and county code (built once per load)."""

    __slots__ = ("counties", "tasks")

    def __init__(self, tables: Tables) -> None:
        self.rebuild(tables)

    def rebuild(self, tables: Tables) -> None:
        """Index ``tables`` anew (after an event that replaces them: init, migrate)."""
        self.tasks = _idents(tables["tasks"], "id")
        self.counties = _idents(tables["counties"], "code")


def _idents(table: Any, field: str) -> Mapping[str, str]:
    """``field`` -> document key. A table that can find a document by the field on its
    bytes, without parsing the others (storage.atomic.LazyTable), makes the mapping."""
    by_field = getattr(table, "by_field", None)
    if by_field is not None:
        return by_field(field)
    return dict(zip(map(itemgetter(field), table.values()), table, strict=True))


def _init(tables: Tables, index: Index, event: dict[str, Any]) -> None:
    plan = event["new"]
    ts, user = event["ts"], event["user"]
    tables.clear()
    tables.update(empty_tables())
    tables["plan"][PLAN_ID] = {"plan": plan, "version": 1}
    if event.get("plan_sha256"):  # lets a reader find the parsed plan without hashing it
        tables["plan"][PLAN_ID]["sha256"] = event["plan_sha256"]
    tables["meta"][META_ID] = {
        # The schema the database was created with: replaying an old history and then
        # its `migrate` events ends at the schema the state file has.
        "schema": event.get("schema", 1),
        "plan_id": plan["id"],
        "demo": bool(event.get("demo", False)),
        "created_at": ts,
        "created_by": user,
        "settings": {"stale_days": 90},
        # The creator is the first admin (databases made before roles get the same from
        # the 2 -> 3 migration).
        "users": {user: user_entry(ADMIN)},
    }
    if event.get("today"):  # a demo database's own day (storage.store.Store.clock)
        tables["meta"][META_ID]["demo_today"] = event["today"]
    deadlines = {rec["id"]: rec["deadline"] for rec in plan["recommendations"]}
    number = 0
    for county_number, county in enumerate(plan["counties"], start=1):
        tables["counties"][str(county_number)] = {
            "code": county["code"], "version": 0, "measurements": {},
        }
        if tables["meta"][META_ID]["schema"] >= 4:
            tables["counties"][str(county_number)]["earlier"] = {}
        for rec in plan["recommendations"]:
            number += 1
            tables["tasks"][str(number)] = new_task_doc(
                county["code"], rec["id"], deadlines[rec["id"]], ts, user
            )
    index.rebuild(tables)


def _touch(doc: dict[str, Any], event: dict[str, Any]) -> None:
    doc["version"] += 1
    doc["updated_at"] = event["ts"]
    doc["updated_by"] = event["user"]


def _set(tables: Tables, index: Index, event: dict[str, Any]) -> None:
    doc = tables["tasks"][index.tasks[event["task"]]]
    field = event["field"]
    if field not in EDITABLE_FIELDS:
        raise ValueError(f"unknown field {field!r} in event {event['seq']}")
    doc[field] = event["new"]
    if field == "status":
        doc["reason"] = event.get("comment")
    if field == "due":
        doc["due_revisions"].append({
            "at": event["ts"], "by": event["user"], "due": event["new"],
            "previous": event["old"], "reason": event.get("comment"),
        })
    _touch(doc, event)
    doc["changed"][field] = [doc["version"], event["user"], event["ts"]]


def _note(tables: Tables, index: Index, event: dict[str, Any]) -> None:
    # The note itself stays in the journal; the task only records that it changed.
    _touch(tables["tasks"][index.tasks[event["task"]]], event)


def _followup(tables: Tables, index: Index, event: dict[str, Any]) -> None:
    doc = tables["tasks"][index.tasks[event["task"]]]
    doc["last_followup"] = followup_entry(event)
    _touch(doc, event)


def followup_entry(event: dict[str, Any]) -> dict[str, Any]:
    entry = dict(event["new"])
    entry.update(at=event["ts"], by=event["user"])
    return entry


def _measure(tables: Tables, index: Index, event: dict[str, Any]) -> None:
    doc = tables["counties"][index.counties[event["county"]]]
    entry = dict(event["new"])
    entry.update(at=event["ts"], by=event["user"])
    record_measurement(doc, event["field"], entry)
    doc["version"] += 1


def record_measurement(doc: dict[str, Any], key: str, entry: dict[str, Any]) -> None:
    """Put a measurement into a county document: the latest by measurement date (of the
    same date, the last recorded) and, where the document keeps them, the ``EARLIER``
    dated values before it, as the journal's series would end (tracker.domain.timeline.series_of:
    one value per date, a later figure for a date corrects the earlier one)."""
    current = doc["measurements"].get(key)
    earlier = doc.get("earlier")
    if earlier is not None:
        rows = [*earlier.get(key, ()), *([[current["date"], current["value"]]]
                                         if current is not None else [])]
        at = len(rows)
        while at and rows[at - 1][0] > entry["date"]:
            at -= 1
        point = [entry["date"], entry["value"]]
        if at and rows[at - 1][0] == entry["date"]:
            rows[at - 1] = point
        else:
            rows.insert(at, point)
        kept = rows[-EARLIER - 1:-1]
        if kept:
            earlier[key] = kept
        else:
            earlier.pop(key, None)
    if current is None or current["date"] <= entry["date"]:
        doc["measurements"][key] = entry


def _setting(tables: Tables, index: Index, event: dict[str, Any]) -> None:
    tables["meta"][META_ID]["settings"][event["field"]] = event["new"]


def _user(tables: Tables, index: Index, event: dict[str, Any]) -> None:
    users = tables["meta"][META_ID].setdefault("users", {})
    if event["new"] is None:
        users.pop(event["account"], None)
    else:
        users[event["account"]] = copy.deepcopy(event["new"])


def _contact(tables: Tables, index: Index, event: dict[str, Any]) -> None:
    contacts = tables["meta"][META_ID].setdefault("contacts", {})
    if event["new"] is None:
        contacts.pop(event["name"], None)
    else:
        contacts[event["name"]] = copy.deepcopy(event["new"])


def _digest(tables: Tables, index: Index, event: dict[str, Any]) -> None:
    """The last digest of each recipient (the journal keeps every one)."""
    digests = tables["meta"][META_ID].setdefault("digests", {})
    digests[event["name"]] = {"date": event["date"], "email": event["email"],
                              "sent": event["sent"], "tasks": list(event["tasks"])}


def _put(tables: Tables, index: Index, event: dict[str, Any]) -> None:
    """Replace a whole task or county document (restore from a backup). A document put
    by a schema-1 restore is brought to today's shape as the migration would."""
    if event.get("task"):
        key = index.tasks[event["task"]]
        tables["tasks"][key] = task_doc_v2(copy.deepcopy(event["new"]))
    else:
        key = index.counties[event["county"]]
        tables["counties"][key] = county_doc_v2(copy.deepcopy(event["new"]))


def _migrate(tables: Tables, index: Index, event: dict[str, Any]) -> None:
    migrate_tables(tables, event["old"], event["new"])
    if "earlier" in event:  # 3 -> 4: what the journal's series held then
        add_earlier(tables, event["earlier"])
    index.rebuild(tables)


APPLY = {
    "init": _init,
    "set": _set,
    "note": _note,
    "attach": _note,  # the file's record stays in the journal, as a note does
    "followup": _followup,
    "measure": _measure,
    "setting": _setting,
    "user": _user,
    "contact": _contact,
    "digest": _digest,
    "put": _put,
    "migrate": _migrate,
}


def apply_event(tables: Tables, index: Index, event: dict[str, Any]) -> None:
    """Apply one event to the tables in place."""
    APPLY[event["type"]](tables, index, event)
