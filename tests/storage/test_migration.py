"""Schema migration: an older database is backed up, migrated as an event in history, and
verifies; a database from a newer tracker is refused and left alone.

Schema 1 is the first, so the registry is empty: these tests pretend this tracker is at
schema 2 with a migration 1 -> 2 that adds a field to every task."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import storage.store
import tracker.events
from storage.store import Store
from tracker.commands import AddNote
from tracker.errors import StorageError
from tracker.migrations import MIGRATIONS

from .storage_helpers import task_ids

Tables = dict[str, dict[str, dict[str, Any]]]


def add_checked_field(tables: Tables) -> None:
    for doc in tables["tasks"].values():
        doc["checked"] = False


Upgrade = Callable[[], None]


@pytest.fixture
def upgrade(monkeypatch: pytest.MonkeyPatch) -> Upgrade:
    """Call it to make this tracker one at schema 2, with a registered migration from 1
    (after the test has made what a schema-1 tracker would have)."""

    def to_schema_2() -> None:
        monkeypatch.setattr(tracker.events, "SCHEMA_VERSION", 2)
        monkeypatch.setattr(storage.store, "SCHEMA_VERSION", 2)
        monkeypatch.setitem(MIGRATIONS, 1, add_checked_field)

    return to_schema_2


def test_opening_an_older_database_backs_up_migrates_and_records_it(
        db: Path, upgrade: Upgrade) -> None:
    task = task_ids(1)[0]
    Store(db).apply(AddNote(task, "before the upgrade"))
    original = db.read_bytes()
    assert json.loads(original)["meta"]["1"]["schema"] == 1
    upgrade()

    view = Store(db).view()  # any read opens it

    backups = list(db.with_name(db.name + ".backups").glob("pre-migration-1-*.json"))
    assert len(backups) == 1
    assert backups[0].read_bytes() == original
    on_disk = json.loads(db.read_text(encoding="utf-8"))
    assert on_disk["meta"]["1"]["schema"] == 2
    assert all(doc["checked"] is False for doc in on_disk["tasks"].values())
    assert view.meta["schema"] == 2
    events = list(Store(db).events())
    assert events[-1]["type"] == "migrate"
    assert (events[-1]["old"], events[-1]["new"]) == (1, 2)
    assert [n.text for n in view.task(task).notes] == ["before the upgrade"]
    assert Store(db).verify() == []

    # Once only: opening again, and writing, neither migrates nor backs up again.
    Store(db).apply(AddNote(task, "after the upgrade"))
    assert [e["type"] for e in Store(db).events()].count("migrate") == 1
    assert len(list(db.with_name(db.name + ".backups").glob("pre-migration-*"))) == 1
    assert Store(db).verify() == []


def test_a_backup_of_an_older_database_migrates_it_first(db: Path, upgrade: Upgrade) -> None:
    upgrade()
    backup = Store(db).backup()
    assert json.loads(backup.read_text(encoding="utf-8"))["meta"]["1"]["schema"] == 2
    assert len(list(db.with_name(db.name + ".backups").glob("pre-migration-1-*.json"))) == 1
    assert Store(db).verify() == []


def test_a_newer_schema_is_refused_and_left_unchanged(db: Path, upgrade: Upgrade) -> None:
    upgrade()
    state = json.loads(db.read_text(encoding="utf-8"))
    state["meta"]["1"]["schema"] = 99
    db.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    files_before = {p: p.read_bytes() for p in db.parent.iterdir() if p.is_file()}

    with pytest.raises(StorageError) as refused:
        Store(db).view()

    message = str(refused.value)
    assert message.startswith(f"{db}: ")
    assert "written by a newer tracker (schema 99; this one knows up to 2)" in message
    with pytest.raises(StorageError):
        Store(db).apply(AddNote(task_ids(1)[0], "must not land"))
    assert {p: p.read_bytes() for p in db.parent.iterdir() if p.is_file()} == files_before
    assert not db.with_name(db.name + ".backups").exists()


def test_a_one_shot_lazy_command_migrates_every_document(db: Path, upgrade: Upgrade) -> None:
    upgrade()
    store = Store(db, lazy=True)  # what `tracker set` uses
    store.apply(AddNote(task_ids(1)[0], "after the upgrade"))
    data = json.loads(db.read_bytes())
    assert data["meta"]["1"]["schema"] == 2
    assert all(doc["checked"] is False for doc in data["tasks"].values())
    assert Store(db).verify() == []
