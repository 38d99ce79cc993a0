"""Compare a state document with the replay of its history, naming what differs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tracker.domain.events import META_ID, PLAN_ID, Tables

_SHOWN = 60


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _by(tables: Tables, table: str, key: str) -> dict[Any, dict[str, Any]]:
    return {doc.get(key): doc for doc in tables.get(table, {}).values()
            if isinstance(doc, dict)}


def compare_tables(state: Tables, replay: Tables) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(catalog key, params)`` for every difference; nothing if they agree."""
    state_meta = {k: v for k, v in state.get("meta", {}).get(META_ID, {}).items()
                  if k != "head"}
    replay_meta = replay["meta"].get(META_ID, {})
    for name in sorted(state_meta.keys() | replay_meta.keys()):
        if state_meta.get(name) != replay_meta.get(name):
            yield "verify.meta_differs", {"field": name, "state": _short(state_meta.get(name)),
                                          "history": _short(replay_meta.get(name))}
    if state.get("plan", {}).get(PLAN_ID) != replay["plan"].get(PLAN_ID):
        yield "verify.plan_differs", {}
    for table, key, what in (("tasks", "id", "task"), ("counties", "code", "county")):
        ours, theirs = _by(state, table, key), _by(replay, table, key)
        for ident in sorted(ours.keys() - theirs.keys(), key=str):
            yield f"verify.{what}_extra", {"id": ident}
        for ident in sorted(theirs.keys() - ours.keys(), key=str):
            yield f"verify.{what}_missing", {"id": ident}
        for ident in sorted(ours.keys() & theirs.keys(), key=str):
            a, b = ours[ident], theirs[ident]
            if a == b:
                continue
            for name in sorted(a.keys() | b.keys()):
                if a.get(name) != b.get(name):
                    yield f"verify.{what}_differs", {
                        "id": ident, "field": name, "state": _short(a.get(name)),
                        "history": _short(b.get(name)),
                    }
