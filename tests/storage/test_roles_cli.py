"""Roles through the installed `tracker` command: for every command, the role just
below the one it needs is refused in one line naming that role (exit 1, no byte
changed), and the role it needs is enough. Then two real OS accounts on one database,
and `tracker users`.

The database is created in process by the account `registrar` (its admin), so that the
account running these tests is an ordinary user whose role the test decides."""

from __future__ import annotations

import json
import pwd
from datetime import datetime
from pathlib import Path

import pytest

from tracker.domain.commands import AddNote, AddUser, SetFields, SetSetting
from tracker.domain.plan import builtin_plan
from tracker.storage.identity import current_user
from tracker.storage.store import Store

from .storage_helpers import OTHER_ACCOUNT, RunTracker, hand_over

ADMIN = "registrar"
ME = current_user()
TASK = "211421-2.5"


def admin(db: Path) -> Store:
    store = Store(db)
    store.user = ADMIN
    return store


@pytest.fixture
def roles_db(tmp_path: Path) -> Path:
    """Created by `registrar`, with a backup to restore and a file to import beside it."""
    db = tmp_path / "data" / "tracker.json"
    founding = Store(db, clock=lambda: datetime(2018, 1, 2, 9, 0).astimezone())
    founding.user = ADMIN
    founding.create(builtin_plan())  # in the past, so that there is a past to look at
    store = admin(db)
    store.backup(tmp_path / "backup.json")
    store.apply(SetFields(TASK, {"priority": "high"}), AddUser("olduser", "viewer"))
    (tmp_path / "figures.csv").write_text("county,date,staff\n绥中,2017-06-30,5\n",
                                          encoding="utf-8")
    return db


def be(db: Path, role: str) -> None:
    """Make the account running the tests ``role`` (or unknown under deny: "denied")."""
    if role == "denied":
        admin(db).apply(SetSetting("unknown_users", "deny"))
    else:
        admin(db).apply(AddUser(ME, role))


def files(db: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in db.parent.rglob("*") if p.is_file()}


def commands(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """Each command line and the role it needs."""
    return {
        "list": (["list", "--json"], "viewer"),
        "show": (["show", TASK, "--json"], "viewer"),
        "report": (["report", "--json"], "viewer"),
        "history": (["history", "--json"], "viewer"),
        "verify": (["verify"], "viewer"),
        "export": (["export", "-o", str(tmp / "out.csv")], "viewer"),
        "diff --since": (["diff", "--since", "2019-01-01", "--json"], "viewer"),
        "report --as-of": (["report", "--as-of", "2018-06-30", "--json"], "viewer"),
        "backup": (["backup", "-o", str(tmp / "copy.json")], "viewer"),
        "config (read)": (["config"], "viewer"),
        "users list": (["users", "list", "--json"], "viewer"),
        "set": (["set", TASK, "--status", "in_progress"], "editor"),
        "note": (["note", TASK, "a note"], "editor"),
        "followup": (["followup", TASK, "--kind", "call", "--outcome", "ok"], "editor"),
        "measure": (["measure", "绥中", "staff", "7"], "editor"),
        "attach": (["attach", TASK, str(tmp / "figures.csv")], "editor"),
        "set (bulk)": (["set", "--county", "绥中", "--priority", "high", "--yes"], "editor"),
        "import": (["import", str(tmp / "figures.csv")], "editor"),
        "config (set)": (["config", "stale_days", "30"], "admin"),
        "users add": (["users", "add", OTHER_ACCOUNT, "--role", "viewer"], "admin"),
        "users set": (["users", "set", "olduser", "--role", "editor"], "admin"),
        "users remove": (["users", "remove", "olduser"], "admin"),
        "restore": (["restore", str(tmp / "backup.json")], "admin"),
        "init --force": (["init", "--force"], "admin"),
    }


BELOW = {"viewer": "denied", "editor": "viewer", "admin": "editor"}
NAMES = sorted(commands(Path("/")))


@pytest.mark.slow  # a CLI process per command: about 3-8 s
@pytest.mark.parametrize("name", NAMES)
def test_the_role_below_is_refused_naming_the_role_needed(
        roles_db: Path, tracker: RunTracker, name: str) -> None:
    args, need = commands(roles_db.parent.parent)[name]
    be(roles_db, BELOW[need])
    before = files(roles_db)

    result = tracker(roles_db, *args)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    if need == "viewer":
        assert lines[0] == (
            f"tracker: {ME} is not a user of this database, and unknown users are refused "
            f"(unknown_users = deny): ask an admin to add you (tracker users add {ME} "
            "--role viewer)")
    else:
        assert f"needs the {need} role; {ME}'s role is {BELOW[need]}." in lines[0]
    assert files(roles_db) == before
    assert not (roles_db.parent.parent / "out.csv").exists()


@pytest.mark.slow  # a CLI process per command: about 4-10 s
@pytest.mark.parametrize("name", NAMES)
def test_the_role_needed_is_enough(roles_db: Path, tracker: RunTracker, name: str) -> None:
    args, need = commands(roles_db.parent.parent)[name]
    if need != "viewer":  # a viewer needs no listing: unknown accounts are viewers
        be(roles_db, need)

    result = tracker(roles_db, *args)

    assert result.returncode == 0, result.stdout + result.stderr
    if name != "init --force":
        assert admin(roles_db).verify() == []


def test_doctor_refuses_an_unknown_account_under_deny(roles_db: Path,
                                                      tracker: RunTracker) -> None:
    checked = tracker(roles_db, "doctor", "--json")
    assert "database" in {c["check"] for c in json.loads(checked.stdout)["checks"]}
    be(roles_db, "denied")
    refused = tracker(roles_db, "doctor")
    assert refused.returncode == 1 and refused.stdout == ""
    assert "unknown users are refused" in refused.stderr


def test_the_account_is_the_os_one_not_a_name_in_the_environment(
        roles_db: Path, tracker: RunTracker, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("USER", "LOGNAME", "USERNAME"):
        monkeypatch.setenv(name, ADMIN)
    result = tracker(roles_db, "set", TASK, "--status", "in_progress")
    assert result.returncode == 1
    assert f"{ME}'s role is viewer" in result.stderr


def test_users_list_add_set_remove_and_history(roles_db: Path, tracker: RunTracker) -> None:
    be(roles_db, "admin")
    added = tracker(roles_db, "users", "add", OTHER_ACCOUNT, "--role", "editor",
                    "--prefecture", "葫芦岛", "--group", "g07")
    assert added.returncode == 0, added.stderr
    assert added.stdout == (f"{OTHER_ACCOUNT}: added as editor (prefectures 211400; "
                            "groups G07)\n")
    listed = json.loads(tracker(roles_db, "users", "list", "--json").stdout)
    assert {u["user"]: (u["role"], u["prefectures"], u["groups"]) for u in listed["users"]} \
        == {ADMIN: ("admin", [], []), ME: ("admin", [], []), "olduser": ("viewer", [], []),
            OTHER_ACCOUNT: ("editor", ["211400"], ["G07"])}
    assert listed["unknown_users"] == "viewer"
    assert listed["you"] == {"user": ME, "role": "admin", "listed": True}
    text = tracker(roles_db, "users", "list").stdout
    assert "prefectures 211400 Huludao; groups G07" in text
    assert "Accounts not listed: viewers" in text

    changed = tracker(roles_db, "users", "set", OTHER_ACCOUNT, "--unlimited")
    assert changed.stdout == (f"{OTHER_ACCOUNT}: editor (prefectures 211400; groups G07) "
                              "→ editor\n")
    removed = tracker(roles_db, "users", "remove", OTHER_ACCOUNT)
    assert removed.stdout == f"{OTHER_ACCOUNT}: removed (was editor)\n"

    history = json.loads(tracker(roles_db, "history", "--json").stdout)
    users = [(e["user"], e["account"]) for e in history if e["type"] == "user"]
    assert users[-3:] == [(ME, OTHER_ACCOUNT)] * 3
    shown = tracker(roles_db, "history").stdout
    assert f"user {OTHER_ACCOUNT}" in shown and "removed" in shown
    assert tracker(roles_db, "verify").returncode == 0


def test_users_mistakes_are_refused_in_one_line(roles_db: Path, tracker: RunTracker) -> None:
    be(roles_db, "admin")
    before = files(roles_db)
    for args, code, text in [
        (["users", "add", "no-such-account-x", "--role", "viewer"], 2,
         "there is no account 'no-such-account-x' on this server"),
        (["users", "add", OTHER_ACCOUNT, "--role", "boss"], 2, "unknown role 'boss'"),
        (["users", "add", OTHER_ACCOUNT, "--role", "viewer", "--group", "G01"], 2,
         "only an editor can be limited"),
        (["users", "add", OTHER_ACCOUNT, "--role", "editor", "--prefecture", "火星"], 2,
         "火星"),
        (["users", "set", "olduser"], 2, "nothing to change"),
        (["users", "set", "olduser", "--unlimited", "--group", "G01"], 2,
         "--unlimited cannot go with"),
        (["users", "remove", "stranger"], 2, "stranger is not a listed user"),
        (["config", "unknown_users", "maybe"], 2, "must be one of: viewer, deny"),
    ]:
        result = tracker(roles_db, *args)
        assert (result.returncode, len(result.stderr.splitlines())) == (code, 1), result
        assert text in result.stderr
    assert files(roles_db) == before


def test_the_last_admin_is_kept(roles_db: Path, tracker: RunTracker) -> None:
    be(roles_db, "admin")
    assert tracker(roles_db, "users", "remove", ADMIN).returncode == 0
    before = files(roles_db)
    for args in (["users", "remove", ME], ["users", "set", ME, "--role", "editor"]):
        result = tracker(roles_db, *args)
        assert result.returncode == 1
        assert result.stderr == (f"tracker: {ME} is the last admin: make another user admin "
                                 "first\n")
    assert files(roles_db) == before


def test_init_makes_the_account_that_runs_it_the_admin(tmp_path: Path,
                                                      tracker: RunTracker) -> None:
    db = tmp_path / "new.json"
    assert tracker(db, "init").returncode == 0
    listed = json.loads(tracker(db, "users", "list", "--json").stdout)
    assert listed["users"] == [{"user": ME, "role": "admin", "prefectures": [],
                                "groups": []}]


def test_demo_makes_its_builder_the_admin_and_its_staff_editors(
        tmp_path: Path, tracker: RunTracker) -> None:
    db = tmp_path / "demo.json"
    assert tracker(db, "demo", timeout=120).returncode == 0
    users = json.loads(tracker(db, "users", "list", "--json").stdout)["users"]
    roles = {u["user"]: u["role"] for u in users}
    assert roles[ME] == "admin" and roles["demo.sun"] == "viewer"
    assert sorted(r for u, r in roles.items() if u.startswith("demo.")).count("editor") == 10


# -- two real OS accounts on one database --------------------------------------------------------
def test_two_accounts_on_one_database_get_their_own_roles(
        open_dir: Path, unprivileged: list[str], tracker: RunTracker) -> None:
    """We are an editor limited to Huludao; `nobody` (a real second account) is listed
    as a viewer. Each is what the OS says it is."""
    if not unprivileged:
        pytest.skip("needs root, to run a second account")
    db = open_dir / "data" / "tracker.json"
    db.parent.mkdir()
    store = admin(db)
    store.create(builtin_plan())
    store.apply(AddUser(ME, "editor", prefectures=("211400",)),
                AddUser(OTHER_ACCOUNT, "viewer"), AddNote(TASK, "by the admin"))
    for path in [db.parent, *db.parent.rglob("*")]:
        hand_over(path, unprivileged)
    assert pwd.getpwnam(OTHER_ACCOUNT)

    mine = tracker(db, "note", TASK, "by the Huludao editor")
    assert mine.returncode == 0, mine.stderr
    outside = tracker(db, "note", "210102-2.5", "outside Huludao")
    assert outside.returncode == 1
    assert (f"{ME} may edit only tasks within prefectures 211400: 210102-2.5 is in "
            "prefecture 210100") in outside.stderr

    theirs = tracker(db, "note", TASK, "by nobody", as_user=unprivileged)
    assert theirs.returncode == 1
    assert (f"Adding a note needs the editor role; {OTHER_ACCOUNT}'s role is viewer"
            in theirs.stderr)
    read = tracker(db, "show", TASK, "--json", as_user=unprivileged)
    assert read.returncode == 0, read.stderr
    notes = [e["new"] for e in json.loads(tracker(db, "history", TASK, "--json").stdout)
             if e["type"] == "note"]
    assert notes == ["by the admin", "by the Huludao editor"]
