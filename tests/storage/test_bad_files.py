"""Damaged, foreign, missing or forbidden database files: the real `tracker` says so in
one line naming the file and the problem, exits 1, and leaves every file as it was.
Then backups: manual backup and restore, and the automatic backup of a session."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tracker.domain.commands import AddNote, AddUser, Measure, SetFields
from tracker.domain.errors import StorageError
from tracker.domain.events import SCHEMA_VERSION
from tracker.domain.plan import builtin_plan
from tracker.storage.store import AUTO_BACKUPS_KEPT, Store

from .storage_helpers import OTHER_ACCOUNT, RunTracker, catalog_fragments, hand_over, task_ids

TASK = task_ids(1)[0]
COMMANDS = {"list": ("list",), "set": ("set", TASK, "--priority", "high")}


def snapshot(directory: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``directory``: mode and bytes (what "unchanged" means here)."""
    files: dict[str, tuple[int, bytes]] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            st = path.stat()
            os.chmod(path, st.st_mode | 0o400)  # so that we can read a 000 file as non-root
            files[str(path.relative_to(directory))] = (st.st_mode, path.read_bytes())
            os.chmod(path, st.st_mode)
    return files


def assert_refused(result: subprocess.CompletedProcess[str], named: Path, key: str,
                   *more: str) -> None:
    """Exit 1, and one line on stderr naming ``named`` with message ``key``'s text."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith(f"tracker: {named}: "), line
    for fragment in (*catalog_fragments(key), *more):
        assert fragment in line, (fragment, line)


def assert_unchanged(directory: Path, before: dict[str, tuple[int, bytes]]) -> None:
    assert list(directory.rglob(".*.tmp")) == [], "a temp file was left behind"
    assert snapshot(directory) == before  # byte for byte, mode for mode, nothing added


# -- each kind of damage: (prepare the files, the file the message names, key, extra text)
Damage = Callable[[Path], tuple[Path, str, tuple[str, ...]]]


def _journal(db: Path) -> Path:
    return db.with_name(db.name + ".history")


def truncated(db: Path) -> tuple[Path, str, tuple[str, ...]]:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    return db, "db.corrupt", ()


def garbage(db: Path) -> tuple[Path, str, tuple[str, ...]]:
    db.write_text("this is not a database, it is a shopping list\n", encoding="utf-8")
    return db, "db.corrupt", ("line 1, column 1",)


def binary(db: Path) -> tuple[Path, str, tuple[str, ...]]:
    db.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return db, "db.not_utf8", ("byte 0",)


def empty(db: Path) -> tuple[Path, str, tuple[str, ...]]:
    db.write_bytes(b"")
    return db, "db.empty", ()


def foreign_json(db: Path) -> tuple[Path, str, tuple[str, ...]]:
    db.write_text('{"_default": {}}', encoding="utf-8")
    return db, "db.not_tracker", ()


def newer_schema(db: Path) -> tuple[Path, str, tuple[str, ...]]:
    state = json.loads(db.read_text(encoding="utf-8"))
    state["meta"]["1"]["schema"] = 99
    db.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    return db, "db.schema_newer", ("schema 99", f"knows up to {SCHEMA_VERSION}")


def missing(db: Path) -> tuple[Path, str, tuple[str, ...]]:
    for path in db.parent.iterdir():
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return db, "db.missing", ("tracker init",)


def journal_missing(db: Path) -> tuple[Path, str, tuple[str, ...]]:
    _journal(db).unlink()
    return _journal(db), "history.missing", ()


def journal_truncated(db: Path) -> tuple[Path, str, tuple[str, ...]]:
    journal = _journal(db)
    data = journal.read_bytes()
    journal.write_bytes(data[:100])
    return journal, "history.truncated", (f"100 < {len(data)} bytes", "tracker verify")


DAMAGES: list[Damage] = [truncated, garbage, binary, empty, foreign_json, newer_schema,
                         missing, journal_missing, journal_truncated]


@pytest.mark.slow  # every damage x every command, in CLI processes: about 4-9 s
@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("damage", DAMAGES, ids=lambda d: d.__name__)
def test_damaged_database_is_refused_in_one_line_and_left_alone(
        db: Path, tracker: RunTracker, damage: Damage, command: str) -> None:
    Store(db).apply(SetFields(TASK, {"owner": "G01"}))  # some history beyond init
    named, key, more = damage(db)
    before = snapshot(db.parent)

    result = tracker(db, *COMMANDS[command])

    assert_refused(result, named, key, *more)
    assert result.stdout == ""
    assert_unchanged(db.parent, before)


# -- permissions (root ignores them: these run as `nobody` when we are root) ---------------
def _database_in(directory: Path) -> Path:
    """A database with one edit, in its own subdirectory of ``directory``."""
    home = directory / "data"
    home.mkdir()
    home.chmod(0o755)
    db = home / "tracker.json"
    store = Store(db)
    store.create(builtin_plan())
    store.apply(AddUser(OTHER_ACCOUNT, "editor"), SetFields(TASK, {"owner": "G01"}))
    shutil.rmtree(store.backups)  # (the automatic backup of that edit)
    return db


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unreadable_database_is_refused(open_dir: Path, unprivileged: list[str],
                                        tracker: RunTracker, command: str) -> None:
    db = _database_in(open_dir)
    db.chmod(0)
    before = snapshot(db.parent)

    result = tracker(db, *COMMANDS[command], as_user=unprivileged)

    assert_refused(result, db, "db.unreadable", "permission denied")
    assert_unchanged(db.parent, before)


def _read_only(db: Path, prefix: list[str], *, writable: tuple[str, ...] = ()) -> None:
    """The account of ``prefix`` owns the database but files and directory are
    read-only, except the files named in ``writable``."""
    for name in (db.name, f"{db.name}.history", f"{db.name}.lock"):
        path = db.with_name(name)
        path.touch()
        hand_over(path, prefix)
        path.chmod(0o644 if name in writable else 0o444)
    hand_over(db.parent, prefix)
    db.parent.chmod(0o555)


def test_read_only_database_can_be_read_but_not_written(
        open_dir: Path, unprivileged: list[str], tracker: RunTracker) -> None:
    db = _database_in(open_dir)
    _read_only(db, unprivileged)
    before = snapshot(db.parent)

    listed = tracker(db, "list", "--json", as_user=unprivileged)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 700

    result = tracker(db, *COMMANDS["set"], as_user=unprivileged)
    # The lock is an flock on the folder (read-only is enough): the journal is the first
    # file that must be written.
    assert_refused(result, db.with_name(db.name + ".history"), "db.write_failed",
                   "permission denied")
    assert_unchanged(db.parent, before)


def test_read_only_state_file_and_directory_refuse_the_write_and_undo_the_journal(
        open_dir: Path, unprivileged: list[str], tracker: RunTracker) -> None:
    """The lock and the journal can be written, the state file (replaced via a temp file
    in its directory) cannot: the event already appended must be taken back."""
    db = _database_in(open_dir)
    _read_only(db, unprivileged, writable=(f"{db.name}.history", f"{db.name}.lock"))
    before = snapshot(db.parent)

    result = tracker(db, *COMMANDS["set"], as_user=unprivileged)

    assert_refused(result, db, "db.write_failed", "permission denied")
    assert_unchanged(db.parent, before)
    assert not db.with_name(db.name + ".backups").exists()


def test_backup_into_a_read_only_directory_is_refused(
        open_dir: Path, unprivileged: list[str], tracker: RunTracker) -> None:
    db = _database_in(open_dir)
    _read_only(db, unprivileged, writable=(f"{db.name}.lock",))
    before = snapshot(db.parent)

    result = tracker(db, "backup", as_user=unprivileged)

    assert_refused(result, db.with_name(db.name + ".backups"), "db.write_failed",
                   "permission denied")
    assert_unchanged(db.parent, before)


# -- backups --------------------------------------------------------------------------------
BACKUP_NAME = re.compile(r"backup-\d{8}T\d{6}(-\d+)?\.json")


def _show(tracker: RunTracker, db: Path) -> dict[str, object]:
    result = tracker(db, "show", TASK, "--json")
    assert result.returncode == 0, result.stderr
    shown: dict[str, object] = json.loads(result.stdout)
    return shown


def test_backup_then_restore_undoes_later_edits_and_is_recorded(
        db: Path, tracker: RunTracker) -> None:
    backed = tracker(db, "backup")
    assert backed.returncode == 0, backed.stderr
    backups = [p for p in db.with_name(db.name + ".backups").iterdir()
               if BACKUP_NAME.fullmatch(p.name)]
    assert len(backups) == 1
    backup = backups[0]
    assert str(backup) in backed.stdout
    backup_bytes = backup.read_bytes()

    changed = tracker(db, "set", TASK, "--priority", "high", "--owner", "G05")
    assert changed.returncode == 0, changed.stderr
    assert _show(tracker, db)["priority"] == "high"

    restored = tracker(db, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    shown = _show(tracker, db)
    assert (shown["priority"], shown["owner"]) == ("normal", None)
    assert backup.read_bytes() == backup_bytes, "restoring must not change the backup"

    history = json.loads(tracker(db, "history", "--json").stdout)
    restore_events = [e for e in history if e["type"] == "put"]
    assert [e["task"] for e in restore_events] == [TASK]
    assert backup.name in restore_events[0]["source"]
    assert history[-1] == restore_events[-1]
    assert tracker(db, "verify").returncode == 0


def test_a_backup_never_overwrites_another_made_the_same_second(tmp_path: Path) -> None:
    moment = datetime(2021, 5, 6, 7, 8, 9, tzinfo=UTC)
    db = tmp_path / "tracker.json"
    store = Store(db, clock=lambda: moment)
    store.create(builtin_plan())
    first = store.backup()
    first_bytes = first.read_bytes()
    store.apply(SetFields(TASK, {"priority": "high"}))

    store.restore(first)  # backs up the current state first, within the same second

    assert first.read_bytes() == first_bytes
    made = sorted(p.name for p in store.backups.glob("backup-*.json"))
    assert len(made) == 2
    assert store.view().task(TASK).priority.value == "normal"


def _auto_backups(db: Path) -> list[Path]:
    return sorted(db.with_name(db.name + ".backups").glob("auto-*.json"))


def test_first_write_of_a_session_backs_up_the_state_before_it(
        db: Path, tracker: RunTracker) -> None:
    state_before = json.loads(db.read_text(encoding="utf-8"))
    assert _auto_backups(db) == []

    result = tracker(db, "set", TASK, "--priority", "high")
    assert result.returncode == 0, result.stderr

    backups = _auto_backups(db)
    assert len(backups) == 1
    assert json.loads(backups[0].read_text(encoding="utf-8")) == state_before


def test_at_most_ten_automatic_backups_are_kept(db: Path, tracker: RunTracker) -> None:
    folder = db.with_name(db.name + ".backups")
    folder.mkdir()
    two_hours_ago = time.time() - 7200
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for number in range(12):
        old = folder / f"auto-{(start + timedelta(days=number)):%Y%m%dT%H%M%S}-000000001.json"
        shutil.copyfile(db, old)
        os.utime(old, (two_hours_ago, two_hours_ago))
    oldest = _auto_backups(db)

    result = tracker(db, "set", TASK, "--priority", "high")
    assert result.returncode == 0, result.stderr

    kept = _auto_backups(db)
    assert len(kept) == AUTO_BACKUPS_KEPT == 10
    assert kept[:-1] == oldest[-9:]  # the oldest three went
    assert kept[-1] not in oldest  # the new one is kept


def test_restore_mends_a_damaged_state_file(db: Path, tmp_path: Path) -> None:
    """The damage messages say to restore a backup: that works even when the state file
    no longer parses (it is rebuilt from the journal first, and kept aside)."""
    store = Store(db)
    task = "211421-2.5"
    store.apply(SetFields(task, {"owner": "G07"}))
    good = store.backup(tmp_path / "good.json")
    store.apply(SetFields(task, {"owner": "G08"}))
    db.write_bytes(db.read_bytes()[: len(db.read_bytes()) // 2])  # truncated
    Store(db).restore(good)
    fresh = Store(db)
    assert fresh.view().task(task).owner == "G07"
    assert fresh.verify() == []
    kept = list(db.with_name(db.name + ".backups").glob("damaged-*.json"))
    assert len(kept) == 1


def test_restore_takes_back_later_measurements_and_keeps_what_happened(
        db: Path, tmp_path: Path) -> None:
    """Measurements recorded after the backup are taken back (the latest value and the
    series agree); notes and follow-ups stay; a due date it moves is a new revision."""
    store = Store(db)
    code, key = "211421", "permanent_volumes"
    store.apply(Measure(code, key, 1000, date(2018, 1, 31)),
                SetFields(TASK, {"due": date(2019, 6, 30)}))
    good = store.backup(tmp_path / "good.json")
    store.apply(Measure(code, key, 2000, date(2018, 6, 30)), AddNote(TASK, "called"))
    store.apply(SetFields(TASK, {"due": date(2020, 6, 30)}, comment="county asked"))

    store.restore(good)

    view = Store(db).view()
    assert view.latest(code, key).value == 1000  # type: ignore[union-attr]
    assert [m.value for m in view.measurements(code, key)] == [1000]
    assert [n.text for n in view.timeline(TASK).notes] == ["called"]
    task = view.task(TASK)
    assert task.due == date(2019, 6, 30)
    assert [r.due for r in task.due_revisions] == [
        date(2019, 6, 30), date(2020, 6, 30), date(2019, 6, 30)]
    assert Store(db).verify() == []


def test_a_backup_of_another_database_is_refused(db: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    Store(other).create(builtin_plan())
    Store(other).apply(SetFields(TASK, {"owner": "G03"}))
    backup = Store(other).backup(tmp_path / "other-backup.json")
    before = db.read_bytes()

    with pytest.raises(StorageError, match="another database"):
        Store(db).restore(backup)

    assert db.read_bytes() == before


@pytest.mark.parametrize("parser", ["standard", "orjson"])
@pytest.mark.parametrize(("raw", "key", "fields"), [
    (b"this is not JSON", "db.corrupt", {"line": 1, "column": 1}),
    (b'{"meta": {}\n, }', "db.corrupt", {"line": 2, "column": 3}),
    (b'{"a": "\xff"}', "db.not_utf8", {"offset": 7}),
    (b"", "db.empty", {}),
    (b" \n ", "db.empty", {}),
])
def test_a_state_is_read_alike_whichever_parser_its_size_picks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parser: str, raw: bytes, key: str,
        fields: dict[str, int]) -> None:
    """Small states are parsed by the standard parser, those from ORJSON_FROM bytes by
    orjson: the same files are taken, and a damaged one gets the same message."""
    from tracker.storage import atomic

    if parser == "orjson":
        monkeypatch.setattr(atomic, "ORJSON_FROM", 0)
    path = tmp_path / "t.json"
    with pytest.raises(StorageError) as caught:
        atomic.parse_json(raw, path)
    assert caught.value.key == key
    assert {name: caught.value.params[name] for name in fields} == fields
    state = atomic.parse_json('{"x": NaN, "y": [1, 2.5, "绥中"]}'.encode(), path)
    assert state["y"] == [1, 2.5, "绥中"]
    assert state["x"] != state["x"]  # NaN: orjson refuses it, the standard parser takes it


def test_a_state_whose_plan_document_has_no_plan_is_refused_where_the_plan_is_read(
        db: Path, tracker: RunTracker) -> None:
    state = json.loads(db.read_text(encoding="utf-8"))
    state["plan"]["1"] = {"version": 1}
    db.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    before = snapshot(db.parent)
    for command in (("list",), ("report",)):
        result = tracker(db, *command)
        assert_refused(result, db, "db.not_tracker")
    assert_unchanged(db.parent, before)
