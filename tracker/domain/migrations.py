"""Schema migrations of the state document.

``MIGRATIONS[n]`` turns a schema-``n`` document into schema ``n + 1`` in place. The store
takes a backup, then migrates under the lock and records a ``migrate`` event, so that
replaying history applies the same function at the same point.

* 1 -> 2: notes, follow-ups and measurement series leave the state (they are in the
  journal);
* 2 -> 3: roles: ``meta.users``, the creator as admin;
* 3 -> 4: a county keeps, beside each key's latest measurement, the few dated values
  before it (``earlier``, tracker.domain.events). They come from the journal, which a migration
  of the tables alone cannot read: the store reads them when it migrates the file and
  records them in the ``migrate`` event (``add_earlier``), so that a replay puts back the
  same. Migrated without them (a state read as migrated, a restored backup), a county has
  no ``earlier`` and its series is read from the journal as in schema 3.

A migration must be idempotent: replaying history builds documents with today's code
from the ``init`` event, then applies every recorded ``migrate`` event to them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Values a county document keeps before each key's latest (schema 4):
# tracker.domain.progress.TREND_POINTS - 1.
EARLIER = 3

Tables = dict[str, dict[str, dict[str, Any]]]


def task_doc_v2(doc: dict[str, Any]) -> dict[str, Any]:
    doc.pop("notes", None)
    followups = doc.pop("followups", None)
    if followups is not None:
        doc["last_followup"] = followups[-1] if followups else None
    doc.setdefault("last_followup", None)
    return doc


def county_doc_v2(doc: dict[str, Any]) -> dict[str, Any]:
    for key, series in list(doc.get("measurements", {}).items()):
        if isinstance(series, list):  # ordered by date, the last recorded last
            if series:
                doc["measurements"][key] = series[-1]
            else:
                del doc["measurements"][key]
    return doc


def _v1_to_v2(tables: Tables) -> None:
    for doc in tables["tasks"].values():
        task_doc_v2(doc)
    for doc in tables["counties"].values():
        county_doc_v2(doc)


def _v2_to_v3(tables: Tables) -> None:
    """Roles: ``meta.users``, with the database's creator as its admin (the account that
    ran `tracker init`, as a new database has). Idempotent: a list that has an admin
    already (a replay builds it from the init event) is left as it is."""
    from tracker.domain.roles import ADMIN, user_entry

    meta = tables["meta"]["1"]
    users = meta.setdefault("users", {})
    creator = meta.get("created_by")
    if creator and not any(entry.get("role") == ADMIN for entry in users.values()):
        users[creator] = user_entry(ADMIN)


def _v3_to_v4(tables: Tables) -> None:
    """Nothing to change in the documents themselves: ``earlier`` is added from the
    journal by ``add_earlier`` (a document without it reads its series from the journal);
    a new database gets it from its ``init`` event."""


def earlier_of(series: dict[str, list[Any]]) -> dict[str, list[list[Any]]]:
    """A county's ``earlier`` from its series per key (oldest first, one value per date:
    tracker.domain.timeline.series_of): the ``EARLIER`` values before the latest."""

    return {key: [[m.date.isoformat(), m.value] for m in rows[-EARLIER - 1:-1]]
            for key, rows in series.items() if len(rows) > 1}


def add_earlier(tables: Tables, earlier: dict[str, dict[str, list[list[Any]]]]) -> None:
    """Give every county document its ``earlier`` (county code -> key -> values), as
    recorded in a 3 -> 4 ``migrate`` event. Idempotent."""
    for doc in tables["counties"].values():
        doc["earlier"] = {key: [list(point) for point in rows]
                          for key, rows in earlier.get(doc["code"], {}).items()}


MIGRATIONS: dict[int, Callable[[Tables], None]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}


def migrate_tables(tables: Tables, old: int, new: int) -> None:
    for version in range(old, new):
        MIGRATIONS[version](tables)
        tables["meta"]["1"]["schema"] = version + 1
