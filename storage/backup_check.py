"""What `restore` checks in a backup before it writes anything (issue 12, attack 4).

A backup was restored document by document without a look: one with ``"status":
"hacked"`` made `list`, `show`, `report`, `export` and the app end in a traceback while
`verify` and `doctor` said ok. Every document of a backup is checked here against the
schema and the plan (the database's own): the set of task ids and county codes equal to
the plan's, each task's fields (status, priority, owner, dates, cadence, version, the
records of changes), each county's figures (facts of the plan, dated, finite numbers that
survive JSON exactly), the settings (known ones, in range). The first problem is named.
Users and roles are never taken from a backup (restore leaves them as they are)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any

from tracker.domain.errors import StorageError, TrackerError
from tracker.domain.roles import users_of
from tracker.storage.identity import account_exists

SAFE_INTEGER = 2**53  # a measurement must survive a JSON round trip exactly


class _Bad(Exception):
    """A problem at ``where`` (a document and field, as stored): catalog key
    ``restore.bad.WHAT`` with ``params``."""

    def __init__(self, where: str, what: str, **params: Any) -> None:
        super().__init__(where, what)
        self.where, self.what, self.params = where, what, params


def _iso_date(value: Any, where: str, *, optional: bool = True) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise _Bad(where, "date")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise _Bad(where, "date") from None


def _timestamp(value: Any, where: str, *, optional: bool = True) -> None:
    from datetime import datetime

    if value is None and optional:
        return
    if not isinstance(value, str):
        raise _Bad(where, "time")
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(where, "time") from None


def _text(value: Any, where: str, *, optional: bool = True) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or len(value) > 20_000:
        raise _Bad(where, "text")


def _number(value: Any, where: str) -> None:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if abs(value) >= SAFE_INTEGER:
            raise _Bad(where, "too_large")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Bad(where, "not_finite")
        if abs(value) >= SAFE_INTEGER:
            raise _Bad(where, "too_large")
        return
    if isinstance(value, str):  # a date-valued fact
        _iso_date(value, where)
        return
    raise _Bad(where, "value")


def _task(doc: Any, key: str, plan: Any, user: str,
          known_owner: Callable[[str], bool]) -> str:
    from tracker.domain.commands import validate_owner
    from tracker.domain.dates import validate_cadence
    from tracker.domain.fields import Priority, Status

    where = f"tasks/{key}"
    if not isinstance(doc, dict):
        raise _Bad(where, "document")
    ident = doc.get("id")
    if not isinstance(ident, str):
        raise _Bad(where, "no_id")
    where = f"task {ident}"
    if f"{doc.get('county')}-{doc.get('rec')}" != ident:
        raise _Bad(where, "id_parts")
    if doc.get("status") not in {s.value for s in Status}:
        raise _Bad(f"{where}: status", "status", value=repr(doc.get("status")))
    if doc.get("priority") not in {p.value for p in Priority}:
        raise _Bad(f"{where}: priority", "priority", value=repr(doc.get("priority")))
    owner = doc.get("owner")
    if owner is not None:
        try:
            if not isinstance(owner, str) or validate_owner(
                    owner, plan.survey_groups, user, known_account=known_owner) != owner:
                raise _Bad(f"{where}: owner", "owner", value=repr(owner))
        except TrackerError:
            raise _Bad(f"{where}: owner", "owner", value=repr(owner)) from None
    for name in ("due", "next_followup"):
        _iso_date(doc.get(name), f"{where}: {name}")
    cadence = doc.get("cadence")
    if cadence is not None:
        try:
            if not isinstance(cadence, str):
                raise _Bad(f"{where}: cadence", "cadence_type")
            validate_cadence(cadence)
        except TrackerError:
            raise _Bad(f"{where}: cadence", "cadence", value=repr(cadence)) from None
    version = doc.get("version")
    if type(version) is not int or version < 0:
        raise _Bad(f"{where}: version", "version")
    _text(doc.get("reason"), f"{where}: reason")
    for name in ("created_at", "updated_at"):
        _timestamp(doc.get(name), f"{where}: {name}")
    _text(doc.get("updated_by"), f"{where}: updated_by")
    if not isinstance(doc.get("changed"), dict):
        raise _Bad(f"{where}: changed", "changed")
    revisions = doc.get("due_revisions")
    if not isinstance(revisions, list) or not all(isinstance(r, dict) for r in revisions):
        raise _Bad(f"{where}: due_revisions", "revisions")
    last = doc.get("last_followup")
    if last is not None:
        if not isinstance(last, dict):
            raise _Bad(f"{where}: last_followup", "followup")
        _iso_date(last.get("date"), f"{where}: last_followup", optional=False)
    return ident


def _county(doc: Any, key: str, facts: set[str]) -> str:
    where = f"counties/{key}"
    if not isinstance(doc, dict) or not isinstance(doc.get("code"), str):
        raise _Bad(where, "county_document")
    code = doc["code"]
    where = f"county {code}"
    version = doc.get("version")
    if type(version) is not int or version < 0:
        raise _Bad(f"{where}: version", "version")
    for table in ("measurements", "earlier"):
        figures = doc.get(table, {})
        if not isinstance(figures, dict):
            raise _Bad(f"{where}: {table}", "figures")
        for fact, entry in figures.items():
            if fact not in facts:
                raise _Bad(f"{where}: {table}", "unknown_figure", value=repr(fact))
            entries = entry if table == "earlier" else [entry]
            if not isinstance(entries, list):
                raise _Bad(f"{where}: {fact}", "figure_list")
            for one in entries:
                if isinstance(one, dict):
                    _iso_date(one.get("date"), f"{where}: {fact}", optional=False)
                    _number(one.get("value"), f"{where}: {fact}")
                elif isinstance(one, list) and one:
                    _iso_date(one[0], f"{where}: {fact}", optional=False)
                    for value in one[1:2]:
                        _number(value, f"{where}: {fact}")
                else:
                    raise _Bad(f"{where}: {fact}", "dated_figure")
    return code


def _settings(settings: Any) -> None:
    from tracker.domain.commands import SETTINGS

    if not isinstance(settings, dict):
        raise _Bad("settings", "settings")
    for name, value in settings.items():
        if name not in SETTINGS:
            raise _Bad(f"setting {name}", "unknown_setting")
        rule = SETTINGS[name][1]
        if rule[0] is int:
            _kind, low, high = rule
            if type(value) is not int or not low <= value <= high:
                raise _Bad(f"setting {name}", "setting_range", value=repr(value), low=low,
                           high=high)
        elif value not in rule:
            raise _Bad(f"setting {name}", "setting_choice", value=repr(value),
                       known=", ".join(rule))


def check_backup(data: Any, current: Any, plan: Any, user: str, source: str) -> None:
    """Raise StorageError ``restore.invalid`` naming the first problem of backup
    ``data`` (already migrated to today's schema) against the database's ``current``
    tables and ``plan``; nothing else is looked at once a problem is found."""
    from tracker.domain.events import META_ID

    try:
        meta = data.get("meta", {}).get(META_ID)
        if not isinstance(meta, dict):
            raise _Bad("meta", "no_meta")
        _settings(meta.get("settings", {}))
        tasks, counties = data.get("tasks"), data.get("counties")
        if not isinstance(tasks, dict) or not isinstance(counties, dict):
            raise _Bad("tables", "no_tables")
        listed = users_of(current["meta"][META_ID])

        def known_owner(name: str) -> bool:  # a listed user (service mode) or an account
            return name in listed or account_exists(name)

        seen = {_task(doc, key, plan, user, known_owner) for key, doc in tasks.items()}
        if len(seen) != len(tasks):
            raise _Bad("tasks", "task_twice")
        wanted = {doc["id"] for doc in current["tasks"].values()}
        if seen - wanted:
            raise _Bad("tasks", "task_foreign", value=sorted(seen - wanted)[0])
        if wanted - seen:
            raise _Bad("tasks", "task_missing", value=sorted(wanted - seen)[0])
        facts = {fact.id for fact in plan.facts}
        codes = {_county(doc, key, facts) for key, doc in counties.items()}
        if len(codes) != len(counties):
            raise _Bad("counties", "county_twice")
        wanted_codes = {doc["code"] for doc in current["counties"].values()}
        if codes - wanted_codes:
            raise _Bad("counties", "county_foreign", value=sorted(codes - wanted_codes)[0])
        if wanted_codes - codes:
            raise _Bad("counties", "county_missing", value=sorted(wanted_codes - codes)[0])
    except _Bad as bad:
        from tracker.domain.text import clean_text
        from tracker.i18n import _
        from tracker.storage.files import shown_path

        params = {k: clean_text(str(v), single_line=True)[:80] for k, v in bad.params.items()}
        raise StorageError("restore.invalid", path=shown_path(source),
                           where=clean_text(bad.where, single_line=True)[:120],
                           problem=_(f"restore.bad.{bad.what}", **params)) from None
    except (AttributeError, KeyError, TypeError):
        from tracker.storage.files import shown_path

        raise StorageError("restore.not_backup", path=shown_path(source)) from None
