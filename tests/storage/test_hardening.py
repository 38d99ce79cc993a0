"""Issue 12, part 2: the attacks that worked on a group-writable database folder, as
regression tests (each failed on the code before the hardening).

Attack 1: a symlink at the journal's path to a colleague's ``~/.bashrc`` (and the state's
recorded head edited) made that colleague's next save append a line to it. Attack 6: a
symlinked backups folder made a colleague's backup write into (and auto-backup delete
from) the victim's own 0700 folder. Every file of the database is now opened with
O_NOFOLLOW and fstat-checked; a symlink, hard link or fifo at any of the paths is refused
in one line that names the path, and nothing is written through it."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker.domain.commands import AddNote, AddUser
from tracker.domain.errors import StorageError
from tracker.domain.plan import builtin_plan
from tracker.storage.store import Store

from .storage_helpers import RunTracker, task_ids

TASK = task_ids(1)[0]


@pytest.fixture
def victim(open_dir: Path) -> Iterator[tuple[str, Path]]:
    """A temporary OS account (removed after) with a home of its own, 0700, holding a
    ``.bashrc``: the colleague whose files the attacks aim at."""
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("setpriv"):
        pytest.skip("needs root, useradd and setpriv to make and be a second real account")
    name = f"trk{os.getpid() % 100000}"
    home = open_dir / "home"
    made = subprocess.run(["useradd", "-M", "-d", str(home), "-s", "/bin/sh", name],
                          capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"useradd failed: {made.stderr.strip()}")
    try:
        home.mkdir()
        account = pwd.getpwnam(name)
        os.chown(home, account.pw_uid, account.pw_gid)
        home.chmod(0o700)
        bashrc = home / ".bashrc"
        bashrc.write_text("# the victim's own\n")
        os.chown(bashrc, account.pw_uid, account.pw_gid)
        yield name, home
    finally:
        subprocess.run(["userdel", name], capture_output=True, check=False)


def _as(name: str) -> list[str]:
    """The command prefix that runs a program as account ``name`` (and only its group)."""
    account = pwd.getpwnam(name)
    return ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}",
            "--clear-groups"]


def _open_db(open_dir: Path, user: str) -> Path:
    """A database in a folder anyone may write (the worst case of a shared folder), with
    ``user`` an editor."""
    folder = open_dir / "data"
    folder.mkdir()
    folder.chmod(0o777)
    db = folder / "tracker.json"
    store = Store(db)
    store.create(builtin_plan())
    store.apply(AddUser(user, "editor"))
    for path in folder.rglob("*"):
        path.chmod(0o777 if path.is_dir() else 0o666)
    return db


def _one_line(result: subprocess.CompletedProcess[str], path: Path, reason: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith(f"tracker: {path}: refused: {reason}"), result.stderr


def test_a_symlinked_journal_is_refused_and_the_colleagues_bashrc_is_untouched(
        open_dir: Path, victim: tuple[str, Path], tracker: RunTracker) -> None:
    name, home = victim
    db = _open_db(open_dir, name)
    journal = db.with_name(db.name + ".history")
    bashrc = home / ".bashrc"
    before = bashrc.read_bytes()
    # The attack: the journal becomes a link to the victim's .bashrc, and the state's
    # head is edited to the length of that file (where the append would start).
    os.unlink(journal)
    journal.symlink_to(bashrc)
    state = db.read_text()
    head = json.loads(state.split('"meta":{\n', 1)[1].split("\n", 1)[0].split(":", 1)[1])
    db.write_text(state.replace(f'"size":{head["head"]["size"]}', f'"size":{len(before)}'))

    result = tracker(db, "note", TASK, "touch /tmp/pwned", as_user=_as(name))
    _one_line(result, journal, "it is a symbolic link")
    assert bashrc.read_bytes() == before


@pytest.mark.parametrize("which", ["state", "journal", "lock"])
def test_a_symlink_or_hard_link_at_a_database_file_is_refused_naming_it(
        db: Path, tmp_path: Path, tracker: RunTracker, which: str) -> None:
    path = {"state": db, "journal": db.with_name(db.name + ".history"),
            "lock": db.with_name(db.name + ".lock")}[which]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "someone-elses-file"
    if path.exists():
        shutil.copy2(path, target)
        path.unlink()
    else:
        target.write_text("")
    before = target.read_bytes()
    path.symlink_to(target)
    result = tracker(db, "note", TASK, "x")
    _one_line(result, path, "it is a symbolic link")
    assert target.read_bytes() == before

    path.unlink()
    os.link(target, path)  # a hard link: the same file under another name
    result = tracker(db, "note", TASK, "x")
    _one_line(result, path, "it is a hard link")
    assert target.read_bytes() == before


def test_a_fifo_at_the_journal_is_refused_without_hanging(db: Path, tracker: RunTracker) -> None:
    journal = db.with_name(db.name + ".history")
    journal.unlink()
    os.mkfifo(journal)
    result = tracker(db, "note", TASK, "x", timeout=20)
    _one_line(result, journal, "it is not a regular file")


def test_a_symlinked_backups_folder_is_neither_written_nor_emptied(
        open_dir: Path, victim: tuple[str, Path], tracker: RunTracker) -> None:
    name, home = victim
    db = _open_db(open_dir, name)
    backups = db.with_name(db.name + ".backups")
    shutil.rmtree(backups)
    private = home / "private"
    private.mkdir()
    account = pwd.getpwnam(name)
    old = private / "auto-20000101T000000-000000001.json"  # looks like an old auto-backup
    old.write_text("mine")
    for path in (private, old):
        os.chown(path, account.pw_uid, account.pw_gid)
    private.chmod(0o700)
    backups.symlink_to(private)
    as_victim = _as(name)

    result = tracker(db, "backup", as_user=as_victim)
    _one_line(result, backups, "it is not a real folder")
    # An edit's automatic backup cannot be made either; the edit itself goes on.
    edited = tracker(db, "note", TASK, "x", as_user=as_victim)
    assert edited.returncode == 0, edited.stderr
    assert sorted(p.name for p in private.iterdir()) == [old.name]
    assert old.read_text() == "mine"


def test_control_characters_in_a_path_are_cleaned_from_the_message(
        tmp_path: Path, tracker: RunTracker) -> None:
    folder = tmp_path / "evil\x1b]0;owned\x07\x1b[2J"
    folder.mkdir()
    db = folder / "tracker.json"
    Store(db).create(builtin_plan())
    journal = db.with_name(db.name + ".history")
    journal.rename(tmp_path / "moved")
    journal.symlink_to(tmp_path / "moved")
    result = tracker(db, "note", TASK, "x")
    assert result.returncode == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "refused: it is a symbolic link" in result.stderr


def test_the_journal_is_appended_at_its_real_end_not_at_the_recorded_head(db: Path) -> None:
    """A state whose recorded head is shorter than the journal: whole events past it are
    rolled forward, never overwritten; a journal shorter than the head is refused."""
    store = Store(db)
    store.apply(AddNote(TASK, "one"))
    journal = db.with_name(db.name + ".history")
    kept = journal.read_bytes()
    journal.write_bytes(kept[: len(kept) // 2])  # someone cut the journal
    with pytest.raises(StorageError) as refused:
        Store(db).apply(AddNote(TASK, "two"))
    assert refused.value.key == "history.truncated"
    assert journal.read_bytes() == kept[: len(kept) // 2]  # nothing written over it


def test_temp_files_older_than_a_few_minutes_are_removed_by_the_next_writer(
        db: Path) -> None:
    store = Store(db)
    store.backup()
    backups = db.with_name(db.name + ".backups")
    stale = [db.parent / f".{db.name}.deadbeef.tmp", backups / ".backup-x.json.0badcafe.tmp",
             db.parent / ".tracker.json.sha256.12345678.tmp"]
    young = backups / ".backup-y.json.cafe0123.tmp"  # a backup being written right now
    for path in (*stale, young):
        path.write_text("left by a killed writer")
    an_hour_ago = os.stat(db).st_mtime - 3600
    for path in stale:
        os.utime(path, (an_hour_ago, an_hour_ago))
    from tracker.storage.doctor import Doctor

    found = [c for c in Doctor(db, {"TERM": "xterm", "LANG": "C.UTF-8"}).run()
             if c.key == "doctor.temp.found"]
    assert len(found) == 1 and found[0].params["count"] == 3
    Store(db).apply(AddNote(TASK, "next"))
    assert [p.exists() for p in stale] == [False, False, False]
    assert young.exists()


def test_backups_are_never_group_writable_and_carry_a_checksum(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o2770)
    db = folder / "tracker.json"
    store = Store(db)
    store.create(builtin_plan())
    made = store.backup()
    checksum = made.with_name(made.name + ".sha256")
    import hashlib

    assert checksum.read_text() == f"{hashlib.sha256(made.read_bytes()).hexdigest()}  {made.name}\n"
    for path in (made, checksum):
        assert path.stat().st_mode & 0o022 == 0, oct(path.stat().st_mode)
    with contextlib.suppress(FileNotFoundError):
        assert db.with_name(db.name + ".lock").stat() is None  # never made any more


# -- attack 5: half a command ------------------------------------------------------------------
def _import_of_8(store: Store) -> list[dict[str, object]]:
    from datetime import date, timedelta

    from tracker.domain.commands import Measure

    return store.apply(*[Measure("211421", "staff", 10 + k, date(2018, 1, 1) +
                                 timedelta(days=30 * k)) for k in range(8)]).events


def test_a_torn_multi_event_command_is_all_or_nothing(db: Path) -> None:
    """An import of 8 values cut after 4 lines (the process killed mid-append) was rolled
    forward as 4 values, and verify passed. Now none of it is visible, verify says a
    command was cut short, and the next write cuts it under the lock."""
    journal = db.with_name(db.name + ".history")
    whole = journal.read_bytes()
    state = db.read_bytes()
    events = _import_of_8(Store(db))
    assert [e["txn"] for e in events] == [[k, 8] for k in range(1, 9)]
    lines = journal.read_bytes()[len(whole):].splitlines(keepends=True)
    journal.write_bytes(whole + b"".join(lines[:4]))  # the 4 first lines reached the disk
    db.write_bytes(state)  # and the state was not replaced

    reader = Store(db)
    assert reader.view().head["seq"] == 1
    assert [e for e in reader.county_events("211421") if e["type"] == "measure"] == []
    assert reader.verify() == []
    assert [w.key for w in reader.warnings()] == ["verify.group_incomplete"]
    assert len(list(reader.events())) == 1

    Store(db).apply(AddNote(TASK, "next"))  # cuts the torn command first
    assert journal.read_bytes().startswith(whole)
    assert b'"txn"' not in journal.read_bytes()
    after = Store(db)
    assert after.verify() == [] and after.warnings() == []
    assert [e["type"] for e in after.events()] == ["init", "note"]


def test_a_command_cut_inside_the_history_fails_verify(db: Path) -> None:
    journal = db.with_name(db.name + ".history")
    whole = journal.read_bytes()
    _import_of_8(Store(db))
    lines = journal.read_bytes()[len(whole):].splitlines(keepends=True)
    # Someone removed events 5-8 of the command and wrote a correctly chained note after.
    journal.write_bytes(whole + b"".join(lines[:4]))
    from tracker.storage.history import History

    last = json.loads(lines[3])
    event = {"ts": last["ts"], "user": "x", "type": "note", "task": TASK, "new": "n",
             "version": 2}
    History(journal).append(History.chain([event], last["seq"], last["hash"]),
                            journal.stat().st_size)
    findings = [f.key for f in Store(db).verify()]
    assert "verify.group_broken" in findings


def test_a_single_event_write_carries_no_mark_and_old_journals_replay(db: Path) -> None:
    Store(db).apply(AddNote(TASK, "one"))
    journal = db.with_name(db.name + ".history")
    assert b'"txn"' not in journal.read_bytes()
    assert Store(db).verify() == []


# -- attack 4: a crafted backup ------------------------------------------------------------------
def _crafted(db: Path, change: object) -> Path:
    """A backup made by `backup`, changed by ``change(tables)``, its checksum made anew
    (as whoever crafts it can): what validation alone must catch."""
    import hashlib

    made = Store(db).backup()
    tables = json.loads(made.read_text())
    change(tables)  # type: ignore[operator]
    made.write_text(json.dumps(tables))
    made.with_name(made.name + ".sha256").write_text(
        f"{hashlib.sha256(made.read_bytes()).hexdigest()}  {made.name}\n")
    return made


def _first_task(tables: dict[str, dict[str, dict[str, object]]]) -> dict[str, object]:
    return next(iter(tables["tasks"].values()))


def _first_county(tables: dict[str, dict[str, dict[str, object]]]) -> dict[str, object]:
    return next(iter(tables["counties"].values()))


CRAFTED = {
    "status": (lambda t: _first_task(t).update(status="hacked"), "unknown status"),
    "priority": (lambda t: _first_task(t).update(priority=7), "unknown priority"),
    "owner": (lambda t: _first_task(t).update(owner="G99"), "not a survey group or an account"),
    "due": (lambda t: _first_task(t).update(due="2020-13-45"), "not a date"),
    "cadence": (lambda t: _first_task(t).update(cadence="FREQ=SECONDLY"), "not a cadence"),
    "id": (lambda t: _first_task(t).update(id="999999-9.9", county="999999", rec="9.9"),
           "not in the plan"),
    "task missing": (lambda t: t["tasks"].pop(next(iter(t["tasks"]))), "missing"),
    "county missing": (lambda t: t["counties"].pop(next(iter(t["counties"]))), "missing"),
    "version": (lambda t: _first_task(t).update(version="x"), "not a version number"),
    "stale_days": (lambda t: t["meta"]["1"]["settings"].update(stale_days=-5), "1..3650"),
    "setting": (lambda t: t["meta"]["1"]["settings"].update(evil=1), "unknown setting"),
    "figure": (lambda t: _first_county(t)["measurements"].update(
        staff={"date": "2020-01-01", "value": 10**26}), "too large"),
    "figure name": (lambda t: _first_county(t)["measurements"].update(
        nonsense={"date": "2020-01-01", "value": 1}), "unknown figure"),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_a_crafted_backup_is_refused_naming_the_first_problem_before_any_write(
        db: Path, tracker: RunTracker, case: str) -> None:
    change, expected = CRAFTED[case]
    made = _crafted(db, change)
    journal = db.with_name(db.name + ".history")
    before = (db.read_bytes(), journal.read_bytes())
    result = tracker(db, "restore", str(made))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "not restored" in result.stderr and expected in result.stderr, result.stderr
    assert (db.read_bytes(), journal.read_bytes()) == before
    for command in (["list", "--json"], ["report"], ["verify"]):
        assert tracker(db, *command).returncode == 0


def test_a_backup_changed_after_it_was_made_or_without_checksum_is_refused(
        db: Path, tracker: RunTracker) -> None:
    made = Store(db).backup()
    made.write_text(made.read_text().replace('"priority":"normal"', '"priority":"high"', 1))
    result = tracker(db, "restore", str(made))
    assert result.returncode == 1 and "does not match" in result.stderr, result.stderr
    made.with_name(made.name + ".sha256").unlink()
    result = tracker(db, "restore", str(made))
    assert result.returncode == 1 and "no checksum file" in result.stderr, result.stderr


def test_a_valid_backup_restores_and_never_changes_users(db: Path, tracker: RunTracker) -> None:
    from tracker.domain.commands import SetFields

    store = Store(db)
    store.apply(SetFields(TASK, {"owner": "G07"}))

    def widen(tables: dict[str, dict[str, dict[str, object]]]) -> None:
        _first_task(tables)["owner"] = "G03"
        users = tables["meta"]["1"]["users"]
        users["mallory"] = {"role": "admin", "prefectures": [], "groups": []}  # type: ignore[index]

    made = _crafted(db, widen)
    result = tracker(db, "restore", str(made))
    assert result.returncode == 0, result.stderr
    view = Store(db).view()
    assert view.task(TASK).owner == "G03"
    assert "mallory" not in view.meta["users"]
    assert Store(db).verify() == []


# -- repair: a database wedged by a damaged journal tail -------------------------------------------
def test_repair_brings_back_a_wedged_database_and_says_what_it_cut(
        db: Path, tracker: RunTracker) -> None:
    """The wedge of attack 2 (the journal shorter than the state says: every read, write
    and restore failed) and a damaged line after the head: `tracker repair` cuts the tail
    after the last whole commit, keeps a copy of it, rebuilds the state, and says so."""
    Store(db).apply(AddNote(TASK, "kept"))
    journal = db.with_name(db.name + ".history")
    whole = journal.read_bytes()
    Store(db).apply(AddNote(TASK, "lost with the damaged tail"))
    data = journal.read_bytes()
    journal.write_bytes(data[:-40] + b"\n")  # the last event damaged: wedged
    assert tracker(db, "list").returncode == 1
    assert tracker(db, "note", TASK, "x").returncode == 1

    result = tracker(db, "repair")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("cut 1 damaged or unfinished line(s)"), result.stdout
    copy = Path(result.stdout.split("a copy is in ")[1].split(";")[0])
    assert copy.read_bytes() == data[len(whole):-40] + b"\n"
    assert journal.read_bytes() == whole
    assert tracker(db, "verify").returncode == 0
    assert tracker(db, "note", TASK, "after the repair").returncode == 0
    notes = [n.text for n in Store(db).view().timeline(TASK).notes]
    assert notes == ["kept", "after the repair"]
    again = tracker(db, "repair")
    assert again.returncode == 0 and "nothing to repair" in again.stdout


def test_repair_cuts_a_command_cut_short(db: Path, tracker: RunTracker) -> None:
    journal = db.with_name(db.name + ".history")
    whole = journal.read_bytes()
    state = db.read_bytes()
    _import_of_8(Store(db))
    lines = journal.read_bytes()[len(whole):].splitlines(keepends=True)
    journal.write_bytes(whole + b"".join(lines[:3]))
    db.write_bytes(state)
    result = tracker(db, "repair")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("cut 3 "), result.stdout
    assert journal.read_bytes() == whole
    assert Store(db).warnings() == [] and Store(db).verify() == []


# -- attack 10: a clock jumped forward once ----
def test_a_clock_ahead_once_does_not_stamp_everyone_after_it(db: Path, tracker: RunTracker) -> None:
    """One process ran with its clock 400 days ahead: its own event is dated so, the
    events after it keep their writers' real time (the old clamp dated every later event,
    from everyone, 400 days ahead). verify and doctor report it; as-of reads count it
    where it was written."""
    from datetime import datetime, timedelta

    from tracker.storage.doctor import Doctor

    now = datetime.now().astimezone().replace(microsecond=0)
    Store(db, clock=lambda: now + timedelta(days=400)).apply(AddNote(TASK, "from the fast clock"))
    Store(db).apply(AddNote(TASK, "from a right clock"))
    events = list(Store(db).events())
    after = datetime.fromisoformat(events[-1]["ts"])
    assert abs((after - now).total_seconds()) < 3600, events[-1]["ts"]
    keys = sorted(w.key for w in Store(db).warnings())
    assert keys == ["verify.time_future", "verify.time_order"]
    verified = tracker(db, "verify")
    assert verified.returncode == 0  # reported, not failed: the history is whole
    assert "clock is ahead" in verified.stdout and "clock was ahead" in verified.stdout
    found = [c.key for c in Doctor(db, {"TERM": "xterm", "LANG": "C.UTF-8"}).run()
             if c.name == "history"]
    assert sorted(found) == keys
    shown = json.loads(tracker(db, "show", TASK, "--json", "--as-of",
                               now.date().isoformat()).stdout)
    assert shown["version"] >= 0  # the as-of view opens; both notes are in it
    notes = [n.text for n in Store(db).view(as_of=now.date()).timeline(TASK).notes]
    assert notes == ["from the fast clock", "from a right clock"]


# -- attack 11: "nothing was changed" only when it is true ----
def test_an_error_after_the_journal_append_says_the_change_may_be_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database folder renamed between the journal append and the state replace:
    the message said "nothing was changed" although the edit was kept (a retry
    duplicated it). Now it says that it may have been recorded and how to check."""
    from tracker.storage import atomic

    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "tracker.json"
    store = Store(db)
    store.create(builtin_plan())
    store.view()
    moved = tmp_path / "moved"
    original = atomic.AtomicJSONStorage.write

    def rename_first(self: atomic.AtomicJSONStorage, data: object) -> None:
        db.parent.rename(moved)
        original(self, data)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.AtomicJSONStorage, "write", rename_first)
    with pytest.raises(StorageError) as failed:
        store.apply(AddNote(TASK, "kept in the journal"))
    assert failed.value.key == "db.maybe_recorded"
    assert "nothing was changed" not in str(failed.value)
    assert "tracker history" in str(failed.value)
    monkeypatch.undo()
    assert b"kept in the journal" in (moved / (db.name + ".history")).read_bytes()


@pytest.mark.parametrize("command", ["backup", "export", "restore"])
def test_file_names_echoed_by_backup_export_and_restore_are_cleaned(
        db: Path, tmp_path: Path, tracker: RunTracker, command: str) -> None:
    from tracker.domain.commands import SetFields

    name = tmp_path / "june\x1b]0;owned\x07\x1b[31m.json"
    if command == "restore":
        made = Store(db).backup()
        Store(db).apply(SetFields(TASK, {"priority": "high"}))
        made.rename(name)
        made.with_name(made.name + ".sha256").rename(name.with_name(name.name + ".sha256"))
        result = tracker(db, "restore", str(name))
    elif command == "backup":
        result = tracker(db, "backup", "-o", str(name))
    else:
        result = tracker(db, "export", "--format", "json", "-o", str(name))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr
    assert "\x07" not in result.stdout + result.stderr
    assert "june]0;owned[31m.json" in result.stdout


def test_the_apps_poll_does_not_raise_on_a_planted_symlink(db: Path, tmp_path: Path) -> None:
    """The app polls ``Store.token`` on its UI thread: a symlink planted at the journal
    must give a refusal on the next load, not an exception in the poll."""
    store = Store(db)
    store.view()
    journal = db.with_name(db.name + ".history")
    journal.rename(tmp_path / "elsewhere")
    journal.symlink_to(tmp_path / "elsewhere")
    assert isinstance(store.token(), tuple)
    with pytest.raises(StorageError) as refused:
        Store(db).view()
    assert refused.value.key == "db.unsafe_file"
