"""A filesystem that says no: full, read-only, or permission denied on the database's
directory, its journal or its lock. The real `tracker` says so in one line naming the
file and the reason, exits 1 without a traceback, and changes no byte; once the cause is
gone the same command works.

(Permission denied on the state file, on every file at once, and on the backups folder is
in tests/storage/test_bad_files.py; these are the cases it does not cover.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tracker.domain.commands import AddUser, SetFields
from tracker.domain.plan import builtin_plan
from tracker.storage.store import Store

from ..storage.storage_helpers import (
    OTHER_ACCOUNT,
    RunTracker,
    fill,
    hand_over,
    remount,
    task_ids,
    tmpfs,
)
from ..storage.test_bad_files import assert_refused, assert_unchanged, snapshot

TASK = task_ids(1)[0]
COUNTY = TASK.split("-")[0]
LONG_NOTE = "长" * 19_000  # 57 KB: more than a page, so the journal append itself fails
EDITS = {
    "note": ("note", TASK, "县局来电"),
    "long note": ("note", TASK, LONG_NOTE),
    "set": ("set", TASK, "--priority", "high"),
    "followup": ("followup", TASK, "--kind", "call", "--outcome", "进度正常"),
    "measure": ("measure", COUNTY, "staff", "7", "--source", "季报"),
    "backup": ("backup",),
}


def _new_database(folder: Path) -> Path:
    folder.mkdir(mode=0o755)
    db = folder / "tracker.json"
    store = Store(db)
    store.create(builtin_plan())
    store.apply(AddUser(OTHER_ACCOUNT, "editor"), SetFields(TASK, {"owner": "G01"}))
    return db


# -- disk full ------------------------------------------------------------------------------
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_full_disk_refuses_the_write_in_one_line_and_changes_nothing(
        tmp_path: Path, tracker: RunTracker, edit: str) -> None:
    with tmpfs(tmp_path, "2m") as point:
        db = _new_database(point / "data")
        filler = fill(point)
        before = snapshot(db.parent)

        result = tracker(db, *EDITS[edit])

        journal = db.with_name(db.name + ".history")
        backups = db.with_name(db.name + ".backups")
        line = result.stderr.strip()
        named = Path(line.removeprefix("tracker: ").split(": ")[0])
        if edit == "backup":
            assert named.parent == backups and named.name.startswith("backup-"), line
        elif edit == "long note":
            assert named == journal, line
        else:  # the journal or the state, wherever the space ran out
            assert named in (journal, db), line
        assert_refused(result, named, "db.write_failed", "no space left on the device")
        assert result.stdout == ""
        assert_unchanged(db.parent, before)

        filler.unlink()  # room again: the same command goes through
        again = tracker(db, *EDITS[edit])
        assert again.returncode == 0, again.stderr
        assert tracker(db, "verify").returncode == 0


# -- read-only filesystem -----------------------------------------------------------------------
def _bind_read_only(source: Path, target: Path) -> None:
    target.mkdir()
    subprocess.run(["mount", "--bind", str(source), str(target)], check=True,
                   capture_output=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True,
                   capture_output=True)


@pytest.mark.parametrize("how", ["tmpfs remounted read-only", "read-only bind mount"])
def test_a_read_only_filesystem_reads_but_refuses_writes(
        tmp_path: Path, tracker: RunTracker, how: str) -> None:
    with tmpfs(tmp_path, "4m") as point:
        db = _new_database(point / "data")
        before = snapshot(db.parent)
        if how.startswith("tmpfs"):
            remount(point, "ro")
            seen = db
        else:
            seen = tmp_path / "ro" / "tracker.json"
            _bind_read_only(db.parent, seen.parent)
        try:
            listed = tracker(seen, "list", "--json")
            assert listed.returncode == 0, listed.stderr
            # The lock is an flock on the folder, read-only: the first file that must be
            # written says no (the journal; for a backup, the new backup file).
            for edit in ("note", "set"):
                result = tracker(seen, *EDITS[edit])
                assert_refused(result, seen.with_name(seen.name + ".history"),
                               "db.write_failed", "read-only file system")
            result = tracker(seen, *EDITS["backup"])
            assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
            assert f"{seen.name}.backups/backup-" in result.stderr
            assert "read-only file system" in result.stderr
            assert tracker(seen, "verify").returncode == 0
        finally:
            if how.startswith("tmpfs"):
                remount(point, "rw")
            else:
                subprocess.run(["umount", str(seen.parent)], check=True)
        assert_unchanged(db.parent, before)
        assert tracker(db, *EDITS["note"]).returncode == 0  # writable again: it works


# -- permission denied (as `nobody`: root ignores permission bits) ------------------------------
def _owned_database(open_dir: Path, prefix: list[str]) -> Path:
    """A database that the account of ``prefix`` owns and may write, every file of it."""
    db = _new_database(open_dir / "data")
    for path in [db.parent, *db.parent.rglob("*")]:
        hand_over(path, prefix)
    return db


def test_a_directory_you_cannot_enter(open_dir: Path, unprivileged: list[str],
                                      tracker: RunTracker) -> None:
    db = _new_database(open_dir / "data")
    db.parent.chmod(0o700)  # root's, closed to others
    before = snapshot(db.parent)
    for edit in ("list", "set"):
        args = ("list",) if edit == "list" else EDITS["set"]
        result = tracker(db, *args, as_user=unprivileged)
        assert_refused(result, db, "db.unreadable", "permission denied")
    assert_unchanged(db.parent, before)


@pytest.mark.parametrize("which", ["lock", "journal"])
def test_a_lock_or_journal_you_cannot_write(open_dir: Path, unprivileged: list[str],
                                            tracker: RunTracker, which: str) -> None:
    db = _owned_database(open_dir, unprivileged)
    target = db.with_name(f"{db.name}.{'lock' if which == 'lock' else 'history'}")
    target.touch()
    target.chmod(0o444)
    before = snapshot(db.parent)

    if which == "lock":
        # An older tracker's lock file is only ever opened read-only now (the lock is
        # the folder's): one that cannot be written changes nothing.
        result = tracker(db, *EDITS["note"], as_user=unprivileged)
        assert result.returncode == 0, result.stderr
        return
    for edit in ("note", "set", "measure"):
        result = tracker(db, *EDITS[edit], as_user=unprivileged)
        assert_refused(result, target, "db.write_failed", "permission denied")
    assert_unchanged(db.parent, before)
    listed = tracker(db, "list", "--json", as_user=unprivileged)
    assert listed.returncode == 0, listed.stderr  # reading needs neither
