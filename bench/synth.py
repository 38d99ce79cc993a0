"""Synthetic data for the benchmarks: a large plan, a long journal, a plain TinyDB twin.

* ``synthetic_plan``: the built-in plan's recommendations, facts and indicators over
  generated prefectures and counties (valid 6-digit codes, names in zh and en).
* ``grow_history``: append N events to a database's journal in the store's exact format
  (canonical JSON, hash-chained, ``version`` stamped like the store does), project them
  into the state and write the state once with the store's own storage class, so that
  ``Store`` accepts the result and ``verify`` passes. It formats events from templates
  instead of calling ``json.dumps`` per event, which makes 500,000 events take seconds.
* ``plain_copy``: the same documents in a file written by TinyDB's default JSONStorage.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tracker.domain.events import META_ID, canonical, event_hash, record_measurement
from tracker.domain.plan import Plan, builtin_plan, plan_from_dict
from tracker.storage.atomic import AtomicJSONStorage, load_json

KINDS = ("district", "county", "county-level city", "autonomous county")
FACTS = ("holdings", "permanent_volumes", "digitized_permanent_volumes", "staff")
USERS = tuple(f"user{n:02d}" for n in range(1, 61))
CST = timezone(timedelta(hours=8))
HISTORY_START = datetime(2018, 1, 2, 8, 0, tzinfo=CST)


def synthetic_plan(prefectures: int = 20, per_prefecture: int = 100) -> Plan:
    """The built-in plan's content over ``prefectures`` x ``per_prefecture`` counties.

    A county's code must start with its prefecture's first four digits (GB/T 2260), so a
    prefecture holds at most 100 codes (``PPPP00``..``PPPP99``); at 100 a county shares
    its code with its prefecture, which the plan allows (separate namespaces)."""
    raw = copy.deepcopy(builtin_plan().raw)
    raw["id"] = f"synthetic-{prefectures * per_prefecture}"
    pref_docs, county_docs, units = [], [], []
    for p in range(prefectures):
        code = f"{71 + p // 50:02d}{(p % 50) + 1:02d}00"
        pref_docs.append({"code": code, "name": {"zh": f"合成{p + 1}市",
                                                 "en": f"Synthetic City {p + 1}"}})
        units.append({"prefecture": code, "county_archives": per_prefecture,
                      "county_organs": per_prefecture, "township_organs": per_prefecture,
                      "villages_communities": per_prefecture})
        for c in range(per_prefecture):
            number = p * per_prefecture + c + 1
            county_docs.append({
                "code": f"{code[:4]}{(c + 1) % 100:02d}",
                "name": {"zh": f"合成{number}县", "en": f"Synthetic County {number}"},
                "kind": KINDS[number % len(KINDS)],
                "prefecture": code,
            })
    raw["prefectures"] = pref_docs
    raw["counties"] = county_docs
    raw["survey_units"] = units
    return plan_from_dict(raw, source=f"{raw['id']}.json")


# -- the journal -----------------------------------------------------------------------------
def _js(value: str) -> str:
    """A JSON string exactly as ``canonical`` writes it (ensure_ascii=False)."""
    return json.dumps(value, ensure_ascii=False)


def _timestamps(count: int, start: datetime, step: timedelta) -> Iterator[tuple[str, str]]:
    """(ISO time, ISO date) for ``count`` events, ``step`` apart; strings made per minute."""
    moment = start
    for _ in range(count):
        yield moment.isoformat(), moment.date().isoformat()
        moment += step


@dataclass
class Grown:
    events: int
    journal_bytes: int
    state_bytes: int
    seconds: float


def grow_history(db: Path, count: int, mix: str, *, seed: int = 1,
                 step: timedelta = timedelta(seconds=30)) -> Grown:
    """Append ``count`` events, ``step`` apart, to the database at ``db`` and write its
    state once.

    ``mix`` is ``"sets"`` (owner and priority changes: the journal grows, the state only
    by the ``changed`` stamp each task gets once) or ``"notes"`` (notes on tasks and
    county measurements: the journal grows; the state keeps only each county's latest
    measurement of each key, schema 2)."""
    import time

    started = time.perf_counter()
    storage = AtomicJSONStorage(db)
    tables = storage.read()
    assert tables is not None
    meta = tables["meta"][META_ID]
    head = dict(meta["head"])
    history = db.with_name(db.name + ".history")
    if os.path.getsize(history) != head["size"]:
        raise RuntimeError(f"{history}: journal and state disagree; roll forward first")
    tasks = list(tables["tasks"].values())
    counties = list(tables["counties"].values())
    task_ids = [_js(doc["id"]) for doc in tasks]
    county_codes = [_js(doc["code"]) for doc in counties]
    user_js = [_js(u) for u in USERS]
    prev, seq = head["hash"], head["seq"]
    start = max(HISTORY_START, datetime.fromisoformat(head["ts"]) + timedelta(minutes=1))
    lines: list[str] = []
    sha = hashlib.sha256
    owners = ['"G01"', '"G02"', '"G03"']
    priorities = ['"low"', '"normal"', '"high"']
    task_count, county_count = len(tasks), len(counties)
    # Per task: current version and last owner/priority event (projected at the end).
    versions = [doc["version"] for doc in tasks]
    owner_of = [_js(doc["owner"]) if doc["owner"] is not None else "null" for doc in tasks]
    prio_of = [_js(doc["priority"]) for doc in tasks]
    last_touch: dict[int, tuple[str, str]] = {}
    changed: dict[tuple[int, str], list[Any]] = {}
    county_versions = [doc["version"] for doc in counties]
    measures: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    stride = 7919  # a prime: consecutive events touch tasks spread over the database
    for number, (ts, day) in enumerate(_timestamps(count, start, step)):
        seq += 1
        who = number % len(USERS)
        user = user_js[who]
        ts_js = f'"{ts}"'
        if mix == "sets":
            t = (number * stride + seed) % task_count
            versions[t] += 1
            if number % 2:
                field, values, current = "owner", owners, owner_of
            else:
                field, values, current = "priority", priorities, prio_of
            old = current[t]
            new = values[(values.index(old) + 1) % 3] if old in values else values[0]
            current[t] = new
            head_part = f'{{"comment":null,"field":"{field}",'
            tail = (f'"new":{new},"old":{old},"prev":"{prev}","seq":{seq},'
                    f'"task":{task_ids[t]},"ts":{ts_js},"type":"set","user":{user},'
                    f'"version":{versions[t]}}}')
            last_touch[t] = (ts, USERS[who])
            changed[(t, field)] = [versions[t], USERS[who], ts]
        elif number % 2:
            t = (number * stride + seed) % task_count
            versions[t] += 1
            text = f"called the bureau, call {number}"
            head_part = "{"
            tail = (f'"new":"{text}","prev":"{prev}","seq":{seq},"task":{task_ids[t]},'
                    f'"ts":{ts_js},"type":"note","user":{user},"version":{versions[t]}}}')
            last_touch[t] = (ts, USERS[who])
        else:
            c = (number * stride + seed) % county_count
            county_versions[c] += 1
            fact = FACTS[number % len(FACTS)]
            value = 1000 + number
            head_part = f'{{"county":{county_codes[c]},"field":"{fact}",'
            tail = (f'"new":{{"date":"{day}","source":null,"value":{value}}},'
                    f'"prev":"{prev}","seq":{seq},"ts":{ts_js},"type":"measure",'
                    f'"user":{user}}}')
            measures.setdefault(c, []).append((fact, {
                "date": day, "value": value, "source": None, "at": ts, "by": USERS[who]}))
        prev = sha((head_part + tail).encode()).hexdigest()
        lines.append(f'{head_part}"hash":"{prev}",{tail}')
    # Self-check: the first and last events are exactly what the store would write.
    for line in (lines[:2] + lines[-2:]) if lines else []:
        event = json.loads(line)
        if canonical(event) != line or event_hash(event) != event["hash"]:
            raise AssertionError(f"synthetic event differs from the store's format: {line}")
    data = ("\n".join(lines) + "\n").encode() if lines else b""
    fd = os.open(history, os.O_WRONLY | os.O_APPEND)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    # Project the events into the state (what tracker.domain.events.apply_event would do).
    for t, doc in enumerate(tasks):
        if versions[t] == doc["version"]:
            continue
        doc["version"] = versions[t]
        doc["updated_at"], doc["updated_by"] = last_touch[t]
        for field, current in (("owner", owner_of), ("priority", prio_of)):
            if (t, field) in changed:
                doc[field] = json.loads(current[t])
                doc["changed"][field] = changed[(t, field)]
    for c, doc in enumerate(counties):
        doc["version"] = county_versions[c]
        for fact, entry in measures.get(c, ()):
            record_measurement(doc, fact, entry)
    if lines:
        last = json.loads(lines[-1])
        meta["head"] = {"seq": last["seq"], "hash": last["hash"],
                        "size": head["size"] + len(data), "ts": last["ts"]}
    storage.write(tables)
    return Grown(count, len(data), os.path.getsize(db), time.perf_counter() - started)


# -- plain TinyDB ------------------------------------------------------------------------------
def plain_copy(db: Path, target: Path) -> int:
    """The state's documents in a file written by TinyDB's own JSONStorage (its default
    format: one line, ASCII-escaped); returns its size."""
    from tinydb import TinyDB

    data, _raw, _st = load_json(db)
    if target.exists():
        target.unlink()
    plain = TinyDB(target)
    plain.storage.write(data)
    plain.close()
    return target.stat().st_size
