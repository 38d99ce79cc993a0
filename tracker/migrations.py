"""Schema migrations of the state document.

``MIGRATIONS[n]`` turns a schema-``n`` document into schema ``n + 1`` in place. The store
takes a backup, then migrates under the lock and records a ``migrate`` event, so that
replaying history applies the same function at the same point. Schema 1 is the first
released schema, so the registry is empty until a change to the document needs one.

A migration must be idempotent: replaying history builds documents with today's code
from the ``init`` event, then applies every recorded ``migrate`` event to them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


MIGRATIONS: dict[int, Callable[[Tables], None]] = {1: _v1_to_v2}


def migrate_tables(tables: Tables, old: int, new: int) -> None:
    for version in range(old, new):
        MIGRATIONS[version](tables)
        tables["meta"]["1"]["schema"] = version + 1
