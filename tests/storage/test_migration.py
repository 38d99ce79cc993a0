"""Schema migration: an older database is backed up, migrated as an event in history, and
verifies; a database from a newer tracker is refused and left alone.

The real migration 1 -> 2 runs on a database written by the schema-1 tracker
(``data/schema1.json`` and its journal, made with the commit before schema 2). The
general behaviour is tested by pretending this tracker is at schema 5 with a migration
4 -> 5 that adds a field to every task. The real migration 2 -> 3 (roles: the creator
becomes the admin) runs on the same schema-1 database and on a schema-2 one; the real
migration 3 -> 4 (each county's values before the latest, from the journal) on both."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tracker.domain.events
import tracker.storage.store
from tracker.domain.commands import AddNote, SetFields
from tracker.domain.errors import StorageError
from tracker.domain.migrations import MIGRATIONS
from tracker.domain.roles import user_entry
from tracker.storage.store import Store

from .storage_helpers import task_ids

Tables = dict[str, dict[str, dict[str, Any]]]


def add_checked_field(tables: Tables) -> None:
    for doc in tables["tasks"].values():
        doc["checked"] = False


Upgrade = Callable[[], None]


@pytest.fixture
def upgrade(monkeypatch: pytest.MonkeyPatch) -> Upgrade:
    """Call it to make this tracker one at schema 5, with a registered migration from 4
    (after the test has made what a schema-4 tracker would have)."""

    def to_schema_5() -> None:
        monkeypatch.setattr(tracker.domain.events, "SCHEMA_VERSION", 5)
        monkeypatch.setattr(tracker.storage.store, "SCHEMA_VERSION", 5)
        monkeypatch.setitem(MIGRATIONS, 4, add_checked_field)

    return to_schema_5


def test_reading_an_older_database_changes_nothing_the_first_edit_migrates_it(
        db: Path, upgrade: Upgrade) -> None:
    """Reading shows the migrated state without writing it (an old tracker still open on
    the file keeps working); the first edit backs it up, migrates it and records that."""
    task = task_ids(1)[0]
    Store(db).apply(AddNote(task, "before the upgrade"))
    original = db.read_bytes()
    assert json.loads(original)["meta"]["1"]["schema"] == 4
    upgrade()

    view = Store(db).view()  # a read: nothing written

    assert db.read_bytes() == original
    assert not list(db.with_name(db.name + ".backups").glob("pre-migration-*"))
    assert view.meta["schema"] == 5
    assert all(doc["checked"] is False for doc in view.tables["tasks"].values())
    assert [n.text for n in view.timeline(task).notes] == ["before the upgrade"]
    assert Store(db).verify() == []  # an unmigrated state is compared as migrated

    Store(db).apply(AddNote(task, "after the upgrade"))  # the first edit

    backups = list(db.with_name(db.name + ".backups").glob("pre-migration-4-*.json"))
    assert len(backups) == 1
    assert backups[0].read_bytes() == original
    on_disk = json.loads(db.read_text(encoding="utf-8"))
    assert on_disk["meta"]["1"]["schema"] == 5
    assert all(doc["checked"] is False for doc in on_disk["tasks"].values())
    events = list(Store(db).events())
    assert [e["type"] for e in events[-2:]] == ["migrate", "note"]
    assert (events[-2]["old"], events[-2]["new"]) == (4, 5)
    assert Store(db).verify() == []

    # Once only: writing again neither migrates nor backs up again.
    Store(db).apply(AddNote(task, "later"))
    assert [e["type"] for e in Store(db).events()].count("migrate") == 1
    assert len(list(db.with_name(db.name + ".backups").glob("pre-migration-*.json"))) == 1
    assert Store(db).verify() == []


def test_a_backup_of_an_older_database_is_the_state_as_read(db: Path,
                                                           upgrade: Upgrade) -> None:
    """A backup is a read: the database stays as it is; the copy is as this tracker
    reads it (migrated), and restores."""
    original = db.read_bytes()
    upgrade()
    backup = Store(db).backup()
    assert json.loads(backup.read_text(encoding="utf-8"))["meta"]["1"]["schema"] == 5
    assert db.read_bytes() == original
    assert not list(db.with_name(db.name + ".backups").glob("pre-migration-*"))
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
    assert "written by a newer tracker (schema 99; this one knows up to 5)" in message
    with pytest.raises(StorageError):
        Store(db).apply(AddNote(task_ids(1)[0], "must not land"))
    assert {p: p.read_bytes() for p in db.parent.iterdir() if p.is_file()} == files_before
    assert not db.with_name(db.name + ".backups").exists()


def test_a_one_shot_lazy_command_migrates_every_document(db: Path, upgrade: Upgrade) -> None:
    upgrade()
    store = Store(db, lazy=True)  # what `tracker set` uses
    store.apply(AddNote(task_ids(1)[0], "after the upgrade"))
    data = json.loads(db.read_bytes())
    assert data["meta"]["1"]["schema"] == 5
    assert all(doc["checked"] is False for doc in data["tasks"].values())
    assert Store(db).verify() == []


SCHEMA_1 = Path(__file__).parent / "data" / "schema1.json"
SCHEMA_1_TASK = "211421-2.5"


def copy_database(source: Path, folder: Path) -> Path:
    """A copy of a stored database (state and journal) in ``folder``."""
    db = folder / source.name
    shutil.copy(source, db)
    shutil.copy(source.with_name(source.name + ".history"), db.with_name(db.name + ".history"))
    return db


@pytest.fixture
def schema1(tmp_path: Path) -> Path:
    """A copy of a database written by the schema-1 tracker: a note, a follow-up, and
    measurements of Suizhong (one recorded out of date order), in the state's lists."""
    return copy_database(SCHEMA_1, tmp_path)


def test_schema_1_moves_notes_follow_ups_and_series_into_the_journal(schema1: Path) -> None:
    before = json.loads(schema1.read_bytes())
    assert before["meta"]["1"]["schema"] == 1
    assert Store(schema1).verify() == []  # verify compares an old state as migrated

    view = Store(schema1).view()  # a read: the file is left as it is
    assert json.loads(schema1.read_bytes()) == before
    Store(schema1).migrate()  # what the first edit does

    on_disk = json.loads(schema1.read_bytes())
    assert on_disk["meta"]["1"]["schema"] == 4
    assert on_disk["meta"]["1"]["users"] == {"root": user_entry("admin")}  # its creator
    doc = next(d for d in on_disk["tasks"].values() if d["id"] == SCHEMA_1_TASK)
    assert "notes" not in doc and "followups" not in doc
    assert doc["last_followup"]["outcome"] == "called in 2018"
    county = next(d for d in on_disk["counties"].values() if d["code"] == "211421")
    assert county["measurements"]["digitized_permanent_volumes"]["value"] == 40000
    # Nothing is lost: the lists are read off the journal.
    timeline = view.timeline(SCHEMA_1_TASK)
    assert [n.text for n in timeline.notes] == ["schema 1 note"]
    assert [f.outcome for f in timeline.followups] == ["called in 2018"]
    series = view.measurements("211421", "digitized_permanent_volumes")
    assert [(m.date.isoformat(), m.value) for m in series] == [
        ("2017-12-31", 35000), ("2018-01-31", 40000)]
    assert view.task(SCHEMA_1_TASK).owner == "G07"
    assert Store(schema1).verify() == []


def test_a_schema_1_backup_can_be_restored_after_the_upgrade(schema1: Path) -> None:
    backup = schema1.with_name("before-upgrade.json")
    shutil.copy(schema1, backup)
    # A copy made by hand: its checksum written as docs/storage.md says (restore checks it).
    import hashlib

    backup.with_name(backup.name + ".sha256").write_text(
        f"{hashlib.sha256(backup.read_bytes()).hexdigest()}  {backup.name}\n")
    store = Store(schema1)
    store.view()  # migrates
    store.apply(AddNote(SCHEMA_1_TASK, "after the upgrade"))
    store.apply(SetFields(SCHEMA_1_TASK, {"owner": "G09"}))

    store.restore(backup)

    view = Store(schema1).view()
    assert view.task(SCHEMA_1_TASK).owner == "G07"
    # Notes are what happened: a restore keeps them.
    assert [n.text for n in view.timeline(SCHEMA_1_TASK).notes] == [
        "schema 1 note", "after the upgrade"]
    assert Store(schema1).verify() == []


# -- the real migration 2 -> 3: roles ------------------------------------------------------------
SCHEMA_2 = Path(__file__).parent / "data" / "schema2.json"


@pytest.fixture
def schema2(tmp_path: Path) -> Path:
    """A copy of a database written by the schema-2 tracker (before roles): created by
    the account `registrar`; `alice` added a note and a figure; stale_days set to 60."""
    return copy_database(SCHEMA_2, tmp_path)


def test_schema_2_gets_roles_with_its_creator_as_the_admin(schema2: Path) -> None:
    before = json.loads(schema2.read_bytes())
    assert before["meta"]["1"]["schema"] == 2 and "users" not in before["meta"]["1"]
    assert Store(schema2).verify() == []  # compared as migrated, nothing written
    assert schema2.read_bytes() == SCHEMA_2.read_bytes()

    view = Store(schema2).view()  # read by us (root), not its creator: nothing written
    assert schema2.read_bytes() == SCHEMA_2.read_bytes()
    Store(schema2).migrate()  # what the first edit does

    on_disk = json.loads(schema2.read_bytes())
    assert on_disk["meta"]["1"]["schema"] == 4
    # The creator is the admin, not whoever happened to open it first after the upgrade;
    # nobody else is listed (alice, who edited before, is now an unknown user: a viewer).
    assert on_disk["meta"]["1"]["users"] == {"registrar": user_entry("admin")}
    assert on_disk["meta"]["1"]["settings"] == {"stale_days": 60}
    assert view.task("211421-2.5").owner == "G07"
    assert [n.text for n in view.timeline("211421-2.5").notes] == ["schema 2 note"]
    events = list(Store(schema2).events())
    assert (events[-1]["type"], events[-1]["old"], events[-1]["new"]) == ("migrate", 2, 4)
    assert len(list(schema2.parent.glob("schema2.json.backups/pre-migration-2-*.json"))) == 1
    assert Store(schema2).verify() == []


def test_after_the_roles_migration_only_the_creator_may_edit(schema2: Path) -> None:
    from tracker.domain.commands import AddUser
    from tracker.domain.errors import AccessDenied

    store = Store(schema2)
    with pytest.raises(AccessDenied, match="needs the editor role"):
        store.apply(AddNote("211421-2.5", "by an unlisted account"))
    registrar = Store(schema2)
    registrar.user = "registrar"
    registrar.apply(AddUser(store.user, "editor"))
    store.apply(AddNote("211421-2.5", "now as an editor"))
    assert [e["type"] for e in Store(schema2).events()].count("migrate") == 1
    assert Store(schema2).verify() == []


def test_the_roles_migration_is_idempotent(schema2: Path) -> None:
    from tracker.domain.migrations import migrate_tables

    tables = json.loads(schema2.read_bytes())
    migrate_tables(tables, 2, 3)
    once = json.loads(json.dumps(tables))
    tables["meta"]["1"]["schema"] = 2
    migrate_tables(tables, 2, 3)
    assert tables == once
    # A list that has an admin already is left alone (a replay builds it from `init`).
    tables["meta"]["1"]["users"] = {"someone": user_entry("admin")}
    tables["meta"]["1"]["schema"] = 2
    migrate_tables(tables, 2, 3)
    assert tables["meta"]["1"]["users"] == {"someone": user_entry("admin")}


# -- the real migration 3 -> 4: each county's values before the latest -------------------------
def test_migrating_gives_each_county_its_earlier_values_from_the_journal(
        schema1: Path) -> None:
    """The values a trend is drawn from come into the state from the journal when the
    file is migrated; later measurements keep them as the journal's series ends."""
    from datetime import date

    from tracker.domain.commands import Measure
    from tracker.domain.migrations import EARLIER

    key = "digitized_permanent_volumes"
    assert "earlier" not in Store(schema1).view().county_doc("211421")  # read as migrated
    Store(schema1).migrate()

    county = next(d for d in json.loads(schema1.read_bytes())["counties"].values()
                  if d["code"] == "211421")
    assert county["earlier"] == {key: [["2017-12-31", 35000]]}
    assert all("earlier" in d for d in json.loads(schema1.read_bytes())["counties"].values())
    migrate = [e for e in Store(schema1).events() if e["type"] == "migrate"][-1]
    assert migrate["earlier"]["211421"] == {key: [["2017-12-31", 35000]]}
    assert Store(schema1).verify() == []

    store = Store(schema1)
    for day, value in [(date(2018, 3, 31), 41000), (date(2018, 2, 28), 40500),  # backdated
                       (date(2018, 3, 31), 41500),  # corrects the figure of that date
                       (date(2018, 4, 30), 42000), (date(2016, 1, 1), 1)]:  # too old to keep
        store.apply(Measure("211421", key, value, day))
        view = Store(schema1).view()
        series = [[m.date.isoformat(), m.value] for m in view.measurements("211421", key)]
        doc = view.county_doc("211421")
        assert doc["earlier"][key] == series[-EARLIER - 1:-1]
        assert [doc["measurements"][key]["date"], doc["measurements"][key]["value"]] == \
            series[-1]
    assert doc["earlier"][key] == [["2018-01-31", 40000], ["2018-02-28", 40500],
                                   ["2018-03-31", 41500]]
    assert Store(schema1).verify() == []
