"""`tracker doctor`: each check's ok, warning and error, on real files, permissions,
filesystems and processes; exit 1 on any error, 0 otherwise; never a traceback."""

from __future__ import annotations

import grp
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tracker.domain.plan import builtin_plan
from tracker.storage import doctor
from tracker.storage.doctor import ERROR, OK, WARNING, Doctor, filesystem_of
from tracker.storage.store import Store

from .storage_helpers import TRACKER, cli_env, fill, remount, tmpfs

GOOD_TERMINAL = {"TERM": "xterm-256color", "LANG": "C.UTF-8", "COLORTERM": "truecolor"}


def run_doctor(db: Path, *args: str, env: dict[str, str] | None = None,
               as_user: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = cli_env()
    for name in ("TERM", "COLORTERM", "NO_COLOR", "LC_CTYPE", "TEXTUAL_COLOR_SYSTEM"):
        environ.pop(name, None)
    environ.update(GOOD_TERMINAL if env is None else env)
    result = subprocess.run([*(as_user or []), TRACKER, "--db", str(db), "doctor", *args],
                            capture_output=True, text=True, env=environ, timeout=60,
                            check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def checks_of(db: Path, **kwargs: Any) -> tuple[int, list[dict[str, Any]]]:
    result = run_doctor(db, "--json", **kwargs)
    report = json.loads(result.stdout)
    assert report["ok"] == (result.returncode == 0)
    return result.returncode, report["checks"]


def levels(checks: list[dict[str, Any]], name: str) -> list[str]:
    return [c["level"] for c in checks if c["check"] == name]


def only(checks: list[dict[str, Any]], key: str) -> dict[str, Any]:
    found = [c for c in checks if c["key"] == key]
    assert len(found) == 1, [c["key"] for c in checks]
    return found[0]


@pytest.fixture
def group() -> int:
    try:
        return grp.getgrnam("users").gr_gid
    except KeyError:
        pytest.skip("no 'users' group on this machine to share a directory with")


def shared_db(parent: Path, gid: int) -> Path:
    """What docs/deploy.md sets up: 2770 directory of the group, files 0660, a backup."""
    home = parent / "shared"
    home.mkdir()
    os.chown(home, -1, gid)
    home.chmod(0o2770)
    db = home / "tracker.json"
    store = Store(db)
    store.create(builtin_plan())
    store.backup()
    return db


def test_a_shared_setup_is_all_ok(tmp_path: Path, group: int) -> None:
    db = shared_db(tmp_path, group)
    code, checks = checks_of(db)
    assert code == 0
    assert [(c["check"], c["message"]) for c in checks if c["level"] != OK] == []
    names = {c["check"] for c in checks}
    assert names == {"version", "python", "directory", "files", "filesystem", "lock", "space",
                     "backups", "database", "terminal", "locale", "colour"}
    assert "kept out" in only(checks, "doctor.lock.ok")["message"]  # two real processes
    assert list(db.parent.glob("*doctor*")) == []


def test_text_report_says_level_check_and_fix_in_both_languages(
        tmp_path: Path, group: int) -> None:
    db = shared_db(tmp_path, group)
    db.parent.chmod(0o2777)
    english = run_doctor(db)
    assert english.returncode == 1
    line = next(ln for ln in english.stdout.splitlines() if "anyone on the server" in ln)
    assert line.split()[:2] == ["error", "directory"]
    assert f"fix: chmod o-rwx {db.parent}" in english.stdout
    assert english.stdout.splitlines()[-1].endswith("1 errors")
    chinese = run_doctor(db, "--lang", "zh")
    assert chinese.returncode == 1
    assert "错误" in chinese.stdout and f"修复：执行 chmod o-rwx {db.parent}" in chinese.stdout


# -- the directory and files ------------------------------------------------------------------
def test_world_writable_directory_is_an_error(tmp_path: Path, group: int) -> None:
    db = shared_db(tmp_path, group)
    db.parent.chmod(0o2777)
    code, checks = checks_of(db)
    assert code == 1
    assert "chmod o-rwx" in only(checks, "doctor.dir.world_writable")["fix"]


def test_directory_without_setgid_or_open_to_others_is_a_warning(
        tmp_path: Path, group: int) -> None:
    db = shared_db(tmp_path, group)
    db.parent.chmod(0o775)
    code, checks = checks_of(db)
    assert code == 0
    assert levels(checks, "directory") == [WARNING, WARNING]
    assert only(checks, "doctor.dir.no_setgid")["fix"] == f"chmod g+s {db.parent}"
    assert only(checks, "doctor.dir.world_readable")


def test_world_readable_file_is_a_warning_world_writable_an_error(
        tmp_path: Path, group: int) -> None:
    db = shared_db(tmp_path, group)
    db.chmod(0o664)
    code, checks = checks_of(db)
    assert code == 0
    assert only(checks, "doctor.file.world_readable")["params"]["path"] == str(db)
    journal = db.with_name(db.name + ".history")
    journal.chmod(0o666)
    code, checks = checks_of(db)
    assert code == 1
    assert only(checks, "doctor.file.world_writable")["params"]["path"] == str(journal)


def test_a_file_the_group_cannot_write_or_of_another_group_is_an_error(
        tmp_path: Path, group: int) -> None:
    db = shared_db(tmp_path, group)
    journal = db.with_name(db.name + ".history")
    journal.chmod(0o640)
    code, checks = checks_of(db)
    assert code == 1
    found = only(checks, "doctor.file.group_cannot_write")
    assert found["params"]["path"] == str(journal)
    assert found["fix"].startswith(f"chmod g+rw {journal}")
    journal.chmod(0o660)
    os.chown(db, -1, 0)
    code, checks = checks_of(db)
    assert code == 1
    assert only(checks, "doctor.file.other_group")["fix"] == f"chgrp users {db}"


def test_missing_directory_or_files_are_errors_without_traceback(tmp_path: Path) -> None:
    code, checks = checks_of(tmp_path / "nowhere" / "tracker.json")
    assert code == 1
    assert "mkdir -p" in only(checks, "doctor.dir.missing")["fix"]
    (tmp_path / "empty").mkdir()
    code, checks = checks_of(tmp_path / "empty" / "tracker.json")
    assert code == 1
    assert len([c for c in checks if c["key"] == "doctor.file.missing"]) == 2


def test_a_damaged_database_is_an_error(tmp_path: Path, group: int) -> None:
    db = shared_db(tmp_path, group)
    db.write_bytes(db.read_bytes()[:1000])
    code, checks = checks_of(db)
    assert code == 1
    assert "verify" in only(checks, "doctor.db.broken")["fix"]


def test_for_an_account_outside_the_group_files_are_unreadable(
        open_dir: Path, group: int, unprivileged: list[str]) -> None:
    db = shared_db(open_dir, group)
    db.parent.chmod(0o2775)  # (so that `nobody` gets as far as the files)
    code, checks = checks_of(db, as_user=unprivileged)
    assert code == 1
    unreadable = [c for c in checks if c["key"] == "doctor.file.unreadable_by_you"]
    assert {c["params"]["path"] for c in unreadable} >= {str(db), str(db) + ".history"}
    assert only(checks, "doctor.dir.not_writable")


# -- locking -------------------------------------------------------------------------------------
def test_a_lock_a_second_process_can_also_take_is_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a filesystem without working flock looks like (the probe is a real second
    process; here one that takes no lock and says it got it)."""
    db = tmp_path / "tracker.json"
    Store(db).create(builtin_plan())
    monkeypatch.setattr(doctor, "probe_command",
                        lambda path: ["python3", "-c", "print('acquired')"])
    checks = Doctor(db, GOOD_TERMINAL).run()
    lock = [c for c in checks if c.name == "lock"]
    assert [(c.level, c.key) for c in lock] == [(ERROR, "doctor.lock.not_exclusive")]


def test_a_lock_held_by_a_stopped_writer_is_reported_busy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "tracker.json"
    Store(db).create(builtin_plan())
    holder = subprocess.Popen(  # the lock is an flock on the database's folder
        ["python3", "-c", "import fcntl,os,sys,time; f=os.open(sys.argv[1], os.O_RDONLY); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
         str(db.parent)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        monkeypatch.setattr(doctor, "LOCK_WAIT", 0.2)
        checks = Doctor(db, GOOD_TERMINAL).run()
    finally:
        holder.kill()
        holder.wait()
    assert [(c.level, c.key) for c in checks if c.name == "lock"] == [
        (WARNING, "doctor.lock.busy")]


def test_network_filesystems_are_recognised() -> None:
    mounts = ("/dev/vda / ext4 rw 0 0\n"
              "server:/export /srv/tracker nfs4 rw,relatime 0 0\n"
              "tmpfs /srv/tracker/tmp tmpfs rw 0 0\n")
    assert filesystem_of(Path("/srv/tracker/db"), mounts) == ("nfs4", "/srv/tracker")
    assert filesystem_of(Path("/srv/tracker/tmp/x"), mounts) == ("tmpfs", "/srv/tracker/tmp")
    assert filesystem_of(Path("/srv/trackerx"), mounts) == ("ext4", "/")


def test_a_network_filesystem_is_a_warning(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "tracker.json"
    Store(db).create(builtin_plan())
    monkeypatch.setattr(doctor, "filesystem_of", lambda path: ("nfs4", "/srv"))
    found = [c for c in Doctor(db, GOOD_TERMINAL).run() if c.name == "filesystem"]
    assert [(c.level, c.key) for c in found] == [(WARNING, "doctor.fs.network")]


# -- space, read-only filesystem, backups -----------------------------------------------------
def test_free_space_against_the_database_size(tmp_path: Path) -> None:
    with tmpfs(tmp_path, "4m") as point:
        db = point / "tracker.json"
        Store(db).create(builtin_plan())
        Store(db).backup()
        size = sum(p.stat().st_size for p in point.rglob("*") if p.is_file())
        code, checks = checks_of(db)
        assert levels(checks, "space") == [OK]

        filler = fill(point, leave=3 * size)
        code, checks = checks_of(db)
        assert code == 0
        assert only(checks, "doctor.space.low")["fix"].startswith("free space")

        filler.unlink()
        fill(point, leave=size // 2)
        code, checks = checks_of(db)
        assert code == 1
        assert only(checks, "doctor.space.full")


def test_a_read_only_filesystem_is_an_error(tmp_path: Path) -> None:
    with tmpfs(tmp_path, "4m") as point:
        db = point / "tracker.json"
        Store(db).create(builtin_plan())
        remount(point, "ro")
        code, checks = checks_of(db)
        assert code == 1
        assert str(point) in only(checks, "doctor.fs.read_only")["fix"]


def test_backups_missing_old_and_recent(tmp_path: Path, group: int) -> None:
    db = shared_db(tmp_path, group)
    backups = db.with_name(db.name + ".backups")
    (made,) = backups.glob("*.json")
    assert levels(checks_of(db)[1], "backups") == [OK]
    five_days_ago = time.time() - 5 * 86400
    os.utime(made, (five_days_ago, five_days_ago))
    code, checks = checks_of(db)
    assert code == 0
    old = only(checks, "doctor.backups.old")
    assert old["params"]["age"] == "5 d"
    assert "cron" in old["fix"]
    made.unlink()
    assert only(checks_of(db)[1], "doctor.backups.none")


# -- the terminal ------------------------------------------------------------------------------
def test_terminal_without_type_or_utf8_locale_is_warned_not_failed(
        tmp_path: Path, group: int) -> None:
    db = shared_db(tmp_path, group)
    code, checks = checks_of(db, env={"TERM": "dumb", "LANG": "C", "NO_COLOR": "1"})
    assert code == 0
    assert only(checks, "doctor.term.none")["fix"].endswith("TERM=xterm-256color")
    assert "LANG=zh_CN.UTF-8" in only(checks, "doctor.locale.not_utf8")["fix"]
    assert only(checks, "doctor.colour.no_color")["level"] == OK
    code, checks = checks_of(db, env={"TERM": "screen", "LC_ALL": "xx_XX.UTF-8"})
    assert code == 0
    assert only(checks, "doctor.locale.missing")["params"]["value"] == "xx_XX.UTF-8"
