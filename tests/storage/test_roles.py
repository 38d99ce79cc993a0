"""Roles, checked by the store for every command (in process: the whole matrix; the
installed command and other OS accounts are in test_roles_cli.py).

The database is created by the account ``registrar``, its admin; the account acting in
each test is a Store whose ``user`` is set (the CLI and the app take it from the OS)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tracker.domain.commands import (
    AddNote,
    AddUser,
    LogFollowup,
    Measure,
    RemoveUser,
    SetFields,
    SetSetting,
    SetUser,
)
from tracker.domain.errors import AccessDenied, InvalidEdit, NotFoundError, UsageError
from tracker.domain.fields import FollowupKind
from tracker.domain.plan import builtin_plan
from tracker.domain.roles import user_entry
from tracker.storage.store import Store

ADMIN = "registrar"
SUIZHONG = "211421"  # Suizhong County, Huludao (211400)
SUIZHONG_TASK = "211421-2.5"
HEPING = "210102"  # Heping District, Shenyang (210100)
HEPING_TASK = "210102-2.5"
HEPING_OTHER_TASK = "210102-2.4"


def as_user(db: Path, user: str) -> Store:
    store = Store(db)
    store.user = user
    return store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Created by `registrar` (its admin); Heping's task 2.5 is owned by group G07."""
    path = tmp_path / "tracker.json"
    admin = as_user(path, ADMIN)
    admin.create(builtin_plan())
    admin.apply(SetFields(HEPING_TASK, {"owner": "G07"}))
    return path


def files(db: Path) -> dict[str, bytes]:
    """Every file of the database, backups included: a refusal must change none."""
    return {str(p): p.read_bytes() for p in db.parent.rglob("*") if p.is_file()}


# -- the matrix: every command, every kind of account ---------------------------------------
EDITS: dict[str, Callable[[], Any]] = {
    "set": lambda: SetFields(SUIZHONG_TASK, {"priority": "high"}),
    "note": lambda: AddNote(SUIZHONG_TASK, "a note"),
    "followup": lambda: LogFollowup(SUIZHONG_TASK, FollowupKind.CALL, "called"),
    "measure": lambda: Measure(SUIZHONG, "staff", 5, date(2018, 3, 31)),
    "config": lambda: SetSetting("stale_days", "30"),
    "users add": lambda: AddUser("carol", "viewer"),
    "users set": lambda: SetUser(ADMIN, "admin", (), ()),  # no change for the admin...
    "users remove": lambda: RemoveUser("dave"),
}
NEEDS = {"set": "editor", "note": "editor", "followup": "editor", "measure": "editor",
         "config": "admin", "users add": "admin", "users set": "admin",
         "users remove": "admin"}
RANK = {"denied": -1, "viewer": 0, "editor": 1, "admin": 2}
# (who, their role): listed in each role, unlisted (a viewer), unlisted under deny.
ACCOUNTS = [("ann", "admin"), ("ed", "editor"), ("vi", "viewer"), ("stranger", "viewer"),
            ("stranger-denied", "denied")]


def _setup(db: Path, who: str) -> None:
    admin = as_user(db, ADMIN)
    admin.apply(AddUser("dave", "viewer"))
    if who in ("ann", "ed", "vi"):
        admin.apply(AddUser(who, {"ann": "admin", "ed": "editor", "vi": "viewer"}[who]))
    if who == "stranger-denied":
        admin.apply(SetSetting("unknown_users", "deny"))


@pytest.mark.slow  # every command x every account: about 3-7 s
@pytest.mark.parametrize(("who", "role"), ACCOUNTS)
@pytest.mark.parametrize("command", sorted(EDITS))
def test_each_command_needs_its_role(db: Path, command: str, who: str, role: str) -> None:
    _setup(db, who.replace("-denied", "") if role != "denied" else who)
    store = as_user(db, who)
    need = NEEDS[command]
    before = files(db)
    if RANK[role] >= RANK[need]:
        try:
            store.apply(EDITS[command]())
        except InvalidEdit as same:  # "users set" of the admin to admin: allowed, no-op
            assert command == "users set" and "already" in str(same)
        return
    with pytest.raises(AccessDenied) as refused:
        store.apply(EDITS[command]())
    message = str(refused.value)
    if role == "denied":
        assert "unknown users are refused" in message and who in message
    else:
        assert f"needs the {need} role; {who}'s role is {role}" in message
    assert files(db) == before  # nothing written, not even an automatic backup


@pytest.mark.parametrize(("who", "role"), ACCOUNTS)
def test_reading_needs_a_viewer_and_deny_refuses_unknown_accounts(
        db: Path, who: str, role: str) -> None:
    _setup(db, who)
    store = as_user(db, who)
    if role == "denied":
        for read in (store.view, store.verify, store.backup):
            with pytest.raises(AccessDenied, match="unknown users are refused"):
                read()
        assert store.access().role is None
        with pytest.raises(AccessDenied):
            store.view(date(2018, 1, 1))  # the past too
        return
    assert len(store.view().tables["tasks"]) == 700
    assert store.verify() == []
    assert store.backup().exists()
    assert store.access().role == role


def test_restore_is_for_admins_and_refused_before_anything_is_written(db: Path) -> None:
    admin = as_user(db, ADMIN)
    backup = admin.backup()
    admin.apply(SetFields(SUIZHONG_TASK, {"priority": "high"}), AddUser("ed", "editor"))
    before = files(db)
    with pytest.raises(AccessDenied, match="Restoring a backup needs the admin role"):
        as_user(db, "ed").restore(backup)
    assert files(db) == before  # not even the backup a restore takes first
    admin.restore(backup)
    view = Store(db).view()
    assert view.task(SUIZHONG_TASK).priority.value == "normal"
    # Who may do what is today's decision: a restore does not take a user away.
    assert view.meta["users"]["ed"] == user_entry("editor")
    assert Store(db).verify() == []


def test_a_restore_does_not_bring_back_the_unknown_users_policy(db: Path) -> None:
    admin = as_user(db, ADMIN)
    admin.apply(SetSetting("unknown_users", "deny"))
    backup = admin.backup()
    admin.apply(SetSetting("unknown_users", "viewer"), SetSetting("stale_days", "30"))
    admin.restore(backup)
    settings = Store(db).view().meta["settings"]
    assert settings["stale_days"] == 90 and settings["unknown_users"] == "viewer"


def test_only_an_admin_replaces_a_database_with_init_force(db: Path) -> None:
    before = files(db)
    with pytest.raises(AccessDenied, match=r"Replacing the database .* needs the admin"):
        as_user(db, "stranger").create(builtin_plan(), force=True)
    assert files(db) == before
    as_user(db, ADMIN).create(builtin_plan(), force=True)
    assert Store(db).view().meta["users"] == {ADMIN: user_entry("admin")}


def test_init_makes_its_user_the_first_and_only_admin(tmp_path: Path) -> None:
    db = tmp_path / "new.json"
    as_user(db, "founder").create(builtin_plan())
    view = Store(db).view()
    assert view.meta["users"] == {"founder": user_entry("admin")}
    assert Store(db).access().role == "viewer"  # we (not the founder) are not listed
    event = next(iter(Store(db).events()))
    assert (event["type"], event["user"]) == ("init", "founder")


# -- an editor's limits ------------------------------------------------------------------------
def test_an_editor_limited_to_a_prefecture_edits_only_there(db: Path) -> None:
    as_user(db, ADMIN).apply(AddUser("hu", "editor", prefectures=("211400",)))
    hu = as_user(db, "hu")
    hu.apply(SetFields(SUIZHONG_TASK, {"status": "in_progress"}),
             AddNote(SUIZHONG_TASK, "in Huludao"),
             Measure(SUIZHONG, "staff", 4, date(2018, 3, 31)))
    before = files(db)
    for command in (SetFields(HEPING_OTHER_TASK, {"priority": "high"}),
                    AddNote(HEPING_OTHER_TASK, "not mine"),
                    LogFollowup(HEPING_OTHER_TASK, FollowupKind.CALL, "called")):
        with pytest.raises(AccessDenied) as refused:
            hu.apply(command)
        assert ("hu may edit only tasks within prefectures 211400: 210102-2.4 is in "
                "prefecture 210100") in str(refused.value)
    with pytest.raises(AccessDenied, match="only for counties within prefectures 211400"):
        hu.apply(Measure(HEPING, "staff", 4, date(2018, 3, 31)))
    # All or nothing: one task outside the limits refuses the whole batch (an import).
    with pytest.raises(AccessDenied):
        hu.apply(Measure(SUIZHONG, "staff", 9, date(2018, 6, 30)),
                 Measure(HEPING, "staff", 9, date(2018, 6, 30)))
    assert files(db) == before


def test_an_editor_limited_to_a_group_edits_the_tasks_that_group_owns(db: Path) -> None:
    as_user(db, ADMIN).apply(AddUser("g7", "editor", groups=("G07",)))
    g7 = as_user(db, "g7")
    g7.apply(AddNote(HEPING_TASK, "ours"))  # owned by G07
    g7.apply(Measure(HEPING, "staff", 4, date(2018, 3, 31)))  # a county G07 has a task in
    with pytest.raises(AccessDenied, match=r"groups G07: 210102-2.4 .* owned by -"):
        g7.apply(AddNote(HEPING_OTHER_TASK, "not ours"))
    with pytest.raises(AccessDenied, match="only for counties within groups G07"):
        g7.apply(Measure(SUIZHONG, "staff", 4, date(2018, 3, 31)))
    # The group may hand its task on; then it is no longer theirs.
    g7.apply(SetFields(HEPING_TASK, {"owner": "G08"}))
    with pytest.raises(AccessDenied):
        g7.apply(AddNote(HEPING_TASK, "gone"))


def test_prefecture_and_group_limits_add_up(db: Path) -> None:
    as_user(db, ADMIN).apply(AddUser("both", "editor", ("211400",), ("G07",)))
    both = as_user(db, "both")
    both.apply(AddNote(SUIZHONG_TASK, "by prefecture"), AddNote(HEPING_TASK, "by group"))
    with pytest.raises(AccessDenied):
        both.apply(AddNote(HEPING_OTHER_TASK, "neither"))


def test_limits_are_checked_against_the_state_under_the_lock(db: Path) -> None:
    """A stale client cannot widen its limits: the store checks the owner as it is when
    the edit is written, not as the editor last saw it."""
    as_user(db, ADMIN).apply(AddUser("g7", "editor", groups=("G07",)))
    g7 = as_user(db, "g7")
    seen = g7.view().task(HEPING_TASK).version  # G07's when the editor looked
    as_user(db, ADMIN).apply(SetFields(HEPING_TASK, {"owner": "G01"}))
    with pytest.raises(AccessDenied):
        g7.apply(SetFields(HEPING_TASK, {"priority": "high"}, seen_version=seen))


def test_users_limits_are_checked(db: Path) -> None:
    admin = as_user(db, ADMIN)
    with pytest.raises(UsageError, match="unknown prefecture '999900'"):
        admin.apply(AddUser("x", "editor", prefectures=("999900",)))
    with pytest.raises(UsageError, match="G21"):
        admin.apply(AddUser("x", "editor", groups=("G21",)))
    with pytest.raises(UsageError, match="only an editor can be limited"):
        admin.apply(AddUser("x", "viewer", groups=("G01",)))
    with pytest.raises(UsageError, match="unknown role 'boss'"):
        admin.apply(AddUser("x", "boss"))
    with pytest.raises(UsageError, match="not an account name"):
        admin.apply(AddUser("x y", "viewer"))
    admin.apply(AddUser("x", "editor", groups=("g01", "G02")))
    assert Store(db).view().meta["users"]["x"] == user_entry("editor", (), ("G01", "G02"))
    with pytest.raises(InvalidEdit, match="x is a user already"):
        admin.apply(AddUser("x", "viewer"))
    # set: what is given is replaced, the rest kept; another role drops the limits.
    admin.apply(SetUser("x", prefectures=("211400",)))
    assert Store(db).view().meta["users"]["x"] == user_entry("editor", ("211400",),
                                                               ("G01", "G02"))
    admin.apply(SetUser("x", role="viewer"))
    assert Store(db).view().meta["users"]["x"] == user_entry("viewer")
    with pytest.raises(NotFoundError, match="nobody-here is not a listed user"):
        admin.apply(SetUser("nobody-here", role="viewer"))


# -- the last admin ----------------------------------------------------------------------------
def test_the_last_admin_cannot_be_removed_or_demoted(db: Path) -> None:
    admin = as_user(db, ADMIN)
    before = files(db)
    for command in (RemoveUser(ADMIN), SetUser(ADMIN, role="editor"),
                    SetUser(ADMIN, role="viewer")):
        with pytest.raises(InvalidEdit, match="registrar is the last admin"):
            admin.apply(command)
    assert files(db) == before
    admin.apply(AddUser("deputy", "admin"))
    admin.apply(SetUser(ADMIN, role="editor"))  # now there is another
    deputy = as_user(db, "deputy")
    with pytest.raises(InvalidEdit, match="deputy is the last admin"):
        deputy.apply(RemoveUser("deputy"))
    deputy.apply(RemoveUser(ADMIN))
    assert Store(db).view().meta["users"] == {"deputy": user_entry("admin")}


# -- history and verify ------------------------------------------------------------------------
def test_users_changes_are_events_that_verify_replays(db: Path) -> None:
    admin = as_user(db, ADMIN)
    admin.apply(AddUser("ed", "editor", ("211400",)))
    admin.apply(SetUser("ed", groups=("G03",)))
    admin.apply(AddUser("vi", "viewer"))
    admin.apply(RemoveUser("vi"))
    admin.apply(SetSetting("unknown_users", "deny"))
    events = [e for e in Store(db).events() if e["type"] in ("user", "setting")]
    assert [(e["user"], e.get("account") or e["field"], e["old"], e["new"]) for e in events] == [
        (ADMIN, "ed", None, user_entry("editor", ("211400",))),
        (ADMIN, "ed", user_entry("editor", ("211400",)),
         user_entry("editor", ("211400",), ("G03",))),
        (ADMIN, "vi", None, user_entry("viewer")),
        (ADMIN, "vi", user_entry("viewer"), None),
        (ADMIN, "unknown_users", "viewer", "deny"),
    ]
    admin = as_user(db, ADMIN)  # (unknown users are refused now: we are one)
    assert admin.verify() == []
    # Replaying history gives the same users as the state.
    replayed, _index = admin.replay()
    assert replayed["meta"]["1"]["users"] == admin.view().meta["users"]


def test_a_role_given_by_editing_the_state_file_is_named_by_verify(db: Path) -> None:
    """Anyone who can write the files can make themselves admin; verify shows it."""
    state = json.loads(db.read_text(encoding="utf-8"))
    state["meta"]["1"]["users"]["mallory"] = user_entry("admin")
    db.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    findings = Store(db).verify()
    assert [(f.key, f.params["field"]) for f in findings] == [("verify.meta_differs",
                                                                "users")]
