"""Files the tracker creates get the group's permissions: in a shared (group-writable,
setgid) directory every file and folder is read-write for the group and belongs to the
directory's group, whatever the umask of whoever created it; existing files keep their
mode and group (never loosened)."""

from __future__ import annotations

import grp
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker.domain.commands import AddNote, AddUser, SetFields
from tracker.domain.plan import builtin_plan
from tracker.storage import files
from tracker.storage.store import Store

from .storage_helpers import OTHER_ACCOUNT, RunTracker, task_ids

TASK = task_ids(1)[0]
# A group that neither root nor `nobody` has as its primary group.
SHARED_GROUP = "users"


@pytest.fixture
def group() -> int:
    try:
        return grp.getgrnam(SHARED_GROUP).gr_gid
    except KeyError:
        pytest.skip(f"no '{SHARED_GROUP}' group on this machine to share a directory with")


@pytest.fixture
def umask() -> Iterator[None]:
    before = os.umask(0o022)
    yield
    os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _shared_dir(parent: Path, gid: int) -> Path:
    """What docs/deploy.md sets up: a directory owned by the group, mode 2770."""
    shared = parent / "shared"
    shared.mkdir()
    os.chown(shared, -1, gid)
    shared.chmod(0o2770)
    return shared


def _every_file(db: Path) -> list[Path]:
    """State, journal, the old lock file if there is one (the lock is the folder's now),
    and every backup with its checksum."""
    lock = db.with_name(db.name + ".lock")
    return [db, db.with_name(db.name + ".history"), *([lock] if lock.exists() else []),
            *sorted(db.with_name(db.name + ".backups").iterdir())]


def _wanted_mode(path: Path, shared: int) -> int:
    """What a file of the database gets: ``shared`` for state and journal; a backup and
    its checksum never group- or world-writable."""
    return shared & ~0o037 if path.parent.name.endswith(".backups") else shared


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002], ids=oct)
def test_a_shared_directory_gives_every_new_file_to_the_group(
        tmp_path: Path, group: int, umask: None, mask: int) -> None:
    os.umask(mask)
    db = _shared_dir(tmp_path, group) / "tracker.json"
    store = Store(db)
    store.create(builtin_plan())
    store.apply(SetFields(TASK, {"owner": "G01"}))  # an automatic backup, a replaced state
    store.backup()

    backups = db.with_name(db.name + ".backups")
    assert (_mode(backups), backups.stat().st_gid) == (0o2770, group)
    made = _every_file(db)
    assert len(made) == 6  # state, journal, automatic and manual backup, their checksums
    assert {p.name: (_mode(p), p.stat().st_gid) for p in made} == {
        p.name: (_wanted_mode(p, 0o660), group) for p in made}


def test_a_private_directory_gives_others_nothing(tmp_path: Path, umask: None) -> None:
    home = tmp_path / "private"
    home.mkdir(mode=0o700)
    db = home / "tracker.json"
    Store(db).create(builtin_plan())
    Store(db).apply(AddNote(TASK, "x"))
    for path in _every_file(db):
        assert _mode(path) & 0o007 == 0, path
        assert _mode(path) & 0o600 == 0o600, path


def test_the_temp_file_has_the_final_mode_before_it_is_renamed(
        tmp_path: Path, group: int, umask: None, monkeypatch: pytest.MonkeyPatch) -> None:
    db = _shared_dir(tmp_path, group) / "tracker.json"
    Store(db).create(builtin_plan())
    seen: list[tuple[int, int]] = []
    replace = os.replace

    def recording(source: str, target: str) -> None:
        st = os.stat(source)
        seen.append((stat.S_IMODE(st.st_mode), st.st_gid))
        replace(source, target)

    monkeypatch.setattr(files.os, "replace", recording)
    Store(db).apply(AddNote(TASK, "x"))
    assert seen and set(seen) == {(0o660, group)}


def test_existing_files_keep_a_stricter_mode_and_their_group(
        tmp_path: Path, group: int, umask: None) -> None:
    db = _shared_dir(tmp_path, group) / "tracker.json"
    store = Store(db)
    store.create(builtin_plan())
    store.apply(AddNote(TASK, "first"))
    journal, lock = db.with_name(db.name + ".history"), db.with_name(db.name + ".lock")
    lock.touch()  # the lock file of an older tracker, still there
    staff = grp.getgrnam("staff").gr_gid if _has_group("staff") else group
    db.chmod(0o640)
    os.chown(db, -1, staff)  # an administrator's choice, for instance
    journal.chmod(0o600)
    lock.chmod(0o640)

    Store(db).apply(SetFields(TASK, {"priority": "high"}), AddNote(TASK, "second"))

    assert (_mode(db), db.stat().st_gid) == (0o640, staff)  # a new inode, same mode/group
    assert _mode(journal) == 0o600
    assert _mode(lock) == 0o640
    assert Store(db).verify() == []


def _has_group(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def test_a_colleague_with_another_umask_and_primary_group_can_edit(
        open_dir: Path, group: int, unprivileged: list[str], tracker: RunTracker,
        umask: None) -> None:
    """Root creates the database with umask 022 in a 2770 directory; `nobody`, a member
    of the group only as a supplementary group, can then edit, and what it creates goes
    to the group too. (Without group-writable files its journal append was refused.)"""
    if not unprivileged:
        pytest.skip("needs root, to run a second account in the group")
    db = _shared_dir(open_dir, group) / "tracker.json"
    store = Store(db)
    store.create(builtin_plan())
    store.apply(AddUser(OTHER_ACCOUNT, "editor"))
    shutil.rmtree(store.backups)  # (the automatic backup of that edit)
    colleague = [*unprivileged[:-1], f"--groups={group}"]  # setpriv: in the group
    if unprivileged[0] != "setpriv":
        pytest.skip("needs setpriv to give the second account a supplementary group")

    edited = tracker(db, "note", TASK, "from a colleague", as_user=colleague)
    assert edited.returncode == 0, edited.stderr
    backed = tracker(db, "backup", as_user=colleague)
    assert backed.returncode == 0, backed.stderr

    nobody_made = [p for p in _every_file(db) if p.stat().st_uid != 0]
    assert len(nobody_made) >= 3  # state (replaced), automatic backup, manual backup
    for path in _every_file(db):
        assert (_mode(path), path.stat().st_gid) == (_wanted_mode(path, 0o660), group), path
    assert Store(db).verify() == []
    assert [n.text for n in Store(db).view().timeline(TASK).notes] == ["from a colleague"]
