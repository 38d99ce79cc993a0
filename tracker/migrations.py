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

MIGRATIONS: dict[int, Callable[[Tables], None]] = {}


def migrate_tables(tables: Tables, old: int, new: int) -> None:
    for version in range(old, new):
        MIGRATIONS[version](tables)
        tables["meta"]["1"]["schema"] = version + 1
