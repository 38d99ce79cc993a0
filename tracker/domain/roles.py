"""Roles: who may read and change what. Kept in the state (``meta.users``), changed only
by admins through commands (so every change is an event in history), and checked by the
store under the lock for every command, the CLI's and the app's alike.

* ``admin``: everything, including users, settings and restore;
* ``editor``: tasks, notes, follow-ups, measurements and imports; optionally limited to
  some prefectures (by code) and/or survey groups (tasks owned by G01..G20): a task is
  within the limits if its county is in one of the prefectures *or* its owner is one of
  the groups; a county (measurements) if it is in one of the prefectures or one of its
  tasks is owned by one of the groups;
* ``viewer``: reads and exports.

An account not listed is a viewer, or is refused even reading when the setting
``unknown_users`` is ``deny``. This module is pure and light (the one-shot `tracker set`
imports it): no plan, no model.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from tracker.domain.errors import AccessDenied

VIEWER, EDITOR, ADMIN = "viewer", "editor", "admin"
ROLES = (VIEWER, EDITOR, ADMIN)
_RANK = {role: rank for rank, role in enumerate(ROLES)}
UNKNOWN_USERS = ("viewer", "deny")  # the values of the `unknown_users` setting
META_ID = "1"
PLAN_ID = "1"

Tables = dict[str, dict[str, dict[str, Any]]]


class Access(NamedTuple):
    """What one account may do in one database. ``role`` None: refused entirely."""

    user: str
    role: str | None
    prefectures: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    listed: bool = False

    @property
    def limited(self) -> bool:
        return self.role == EDITOR and bool(self.prefectures or self.groups)

    def allows(self, need: str) -> bool:
        return self.role is not None and _RANK[self.role] >= _RANK[need]


def user_entry(role: str, prefectures: Any = (), groups: Any = ()) -> dict[str, Any]:
    """A ``meta.users`` value, as stored (limits sorted, so that equal means equal)."""
    return {"role": role, "prefectures": sorted(set(prefectures)),
            "groups": sorted(set(groups))}


def users_of(meta: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The listed users. A database from before roles (schema 2) lists none: its creator
    is its admin, as the migration will make it."""
    users = meta.get("users")
    if users is None:
        creator = meta.get("created_by")
        return {creator: user_entry(ADMIN)} if creator else {}
    return users


def unknown_policy(meta: dict[str, Any]) -> str:
    return str(meta.get("settings", {}).get("unknown_users", "viewer"))


def access_of(meta: dict[str, Any], user: str) -> Access:
    entry = users_of(meta).get(user)
    if entry is None:
        return Access(user, None if unknown_policy(meta) == "deny" else VIEWER)
    return Access(user, entry["role"], tuple(entry.get("prefectures", ())),
                  tuple(entry.get("groups", ())), listed=True)


def admins(meta: dict[str, Any]) -> list[str]:
    return sorted(name for name, entry in users_of(meta).items() if entry["role"] == ADMIN)


# -- checks -----------------------------------------------------------------------------
def require(access: Access, need: str, action: str) -> None:
    """Refuse (AccessDenied, naming the role needed) unless ``access`` has ``need``.
    ``action`` is the catalog key of what was attempted (``role.action.*``)."""
    if access.role is None:
        raise AccessDenied("role.denied", user=access.user)
    if not access.allows(need):
        raise AccessDenied("role.needed", user=access.user, role=access.role, need=need,
                           action=_action(action))


def require_reader(access: Access) -> None:
    if access.role is None:
        raise AccessDenied("role.denied", user=access.user)


def _action(key: str) -> str:
    from tracker.i18n import _

    return _(key)


class Scope:
    """Answers "may this limited editor change this task / county?" against one state;
    the plan's county -> prefecture map is read from the stored plan once."""

    def __init__(self, access: Access, tables: Tables, index: Any) -> None:
        self.access = access
        self.tables = tables
        self.index = index
        self._prefecture_of: dict[str, str] | None = None
        self._groups = {g.upper() for g in access.groups}

    def prefecture_of(self, county: str) -> str:
        if self._prefecture_of is None:
            raw = self.tables["plan"][PLAN_ID]["plan"]
            self._prefecture_of = {c["code"]: c["prefecture"] for c in raw["counties"]}
        return self._prefecture_of.get(county, "")

    def _owned(self, task_doc: dict[str, Any]) -> bool:
        return (task_doc.get("owner") or "").upper() in self._groups

    def task_allowed(self, task: str) -> bool:
        if not self.access.limited:
            return True
        key = self.index.tasks.get(task)
        if key is None:
            return True  # unknown: the command itself says so
        doc = self.tables["tasks"][key]
        return (self.prefecture_of(doc["county"]) in self.access.prefectures
                or self._owned(doc))

    def county_allowed(self, county: str) -> bool:
        if not self.access.limited:
            return True
        if county not in self.index.counties:
            return True  # unknown: the command itself says so
        if self.prefecture_of(county) in self.access.prefectures:
            return True
        if not self._groups:
            return False
        prefix = f"{county}-"
        return any(self._owned(self.tables["tasks"][key])
                   for ident, key in self.index.tasks.items() if ident.startswith(prefix))

    def check(self, *, task: str | None = None, county: str | None = None) -> None:
        if task is not None and not self.task_allowed(task):
            doc = self.tables["tasks"][self.index.tasks[task]]
            raise AccessDenied("role.out_of_scope_task", user=self.access.user, task=task,
                               prefecture=self.prefecture_of(doc["county"]),
                               owner=doc.get("owner") or "-", limits=describe_limits(
                                   self.access.prefectures, self.access.groups))
        if county is not None and not self.county_allowed(county):
            raise AccessDenied("role.out_of_scope_county", user=self.access.user,
                               county=county, prefecture=self.prefecture_of(county),
                               limits=describe_limits(self.access.prefectures,
                                                      self.access.groups))


def describe_limits(prefectures: Any, groups: Any) -> str:
    """"prefectures 211400; groups G07" in the current language, or "all"."""
    from tracker.i18n import _

    parts = []
    if prefectures:
        parts.append(_("role.limits.prefectures", codes=", ".join(prefectures)))
    if groups:
        parts.append(_("role.limits.groups", groups=", ".join(groups)))
    return "; ".join(parts) if parts else _("role.limits.none")
