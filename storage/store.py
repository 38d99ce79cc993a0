"""The Store: the one way the CLI and the app read and change a tracker database.

Files, for a database at ``PATH`` (e.g. ``tracker.json``):

* ``PATH``: the current state, a TinyDB document written by AtomicJSONStorage;
* ``PATH.history``: the hash-chained journal of every event (see storage.history);
* ``PATH.lock``: the flock file (never deleted);
* ``PATH.backups/``: automatic and manual backups of the state.

A write: lock -> re-read what changed on disk (and roll the state forward from the
journal if a crash interrupted a write) -> check the user's role for each command ->
commands become events (checks of lifecycle and version happen here) -> append the
events to the journal and fsync -> replace the state atomically -> unlock. Reads take no
lock: the state file is always whole, and a reader rolls a lagging state forward in
memory. A reader is refused only when unknown users are (``unknown_users = deny``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from tinydb import TinyDB
from tracker.storage.atomic import AtomicJSONStorage, load_json
from tracker.storage.files import atomic_write, describe_os_error, make_shared_dir
from tracker.storage.history import GENESIS, History
from tracker.storage.identity import account_exists, current_user
from tracker.storage.lock import DEFAULT_TIMEOUT, locked

from tracker.domain.errors import StorageError, UsageError
from tracker.domain.events import (
    META_ID,
    PLAN_ID,
    SCHEMA_VERSION,
    Index,
    Tables,
    apply_event,
    empty_tables,
    event_hash,
)
from tracker.domain.migrations import MIGRATIONS, migrate_tables
from tracker.domain.roles import ADMIN, Access, Scope, access_of, require, require_reader
from tracker.domain.state import StateView

if TYPE_CHECKING:
    from tracker.domain.commands import Command
    from tracker.domain.plan import Plan

    Item = tuple[Command, str, datetime | None]  # a command, its user, its time (None: now)

AUTO_BACKUPS_KEPT = 10
# Errors that mean the state file itself is damaged (the journal may still be whole).
DAMAGED = {"db.corrupt", "db.empty", "db.not_utf8", "db.corrupt_doc", "db.not_tracker",
           "db.missing"}
AUTO_BACKUP_EVERY = 3600.0  # seconds: at most one automatic backup an hour
Event = dict[str, Any]


def local_now() -> datetime:
    return datetime.now().astimezone().replace(microsecond=0)


class Result(NamedTuple):
    """What a successful write did: its events (stamped and chained)."""

    events: list[Event]


class Finding(NamedTuple):
    """One thing `verify` found: where (event seq, task, county) and what."""

    key: str
    params: dict[str, Any]


class Store:
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], datetime] = local_now,
        lock_timeout: float = DEFAULT_TIMEOUT,
        lazy: bool = False,
        known_account: Callable[[str], bool] = account_exists,
    ) -> None:
        """``lazy``: parse documents only when used (one-shot commands that touch a few
        documents of a large database); long-lived readers such as the app parse all.
        ``known_account``: whether an OS account exists (a task's owner may be one),
        given to the commands; tests give their own."""
        self.path = Path(path)
        self.history = History(self.path.with_name(self.path.name + ".history"))
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.backups = self.path.with_name(self.path.name + ".backups")
        self.db = TinyDB(self.path, storage=AtomicJSONStorage, lazy=lazy)
        self.storage: AtomicJSONStorage = self.db.storage  # type: ignore[assignment]
        self.clock = clock
        self.known_account = known_account
        self.lock_timeout = lock_timeout
        self.user = current_user()
        self._index: Index | None = None
        self._indexed: Tables | None = None
        self._backed_up = False
        self._mutex = threading.RLock()

    # -- loading ---------------------------------------------------------------------
    def _load(self, *, reread: bool = True) -> tuple[Tables, Index]:
        """The current state: the state file, rolled forward from the journal if the
        last writer died between its journal append and its state write."""
        tables = self.storage.read()
        assert tables is not None
        self._check_schema(tables)
        meta = tables["meta"][META_ID]
        head = meta.get("head")
        if not isinstance(head, dict):
            raise StorageError("db.not_tracker", path=str(self.path))
        if tables is not self._indexed or self._index is None:
            try:
                self._index = Index(tables)
            except (KeyError, TypeError, AttributeError):  # a document without its id
                raise StorageError("db.not_tracker", path=str(self.path)) from None
            self._indexed = tables
        if not self.history.exists():
            raise StorageError("history.missing", path=str(self.history.path))
        size = self.history.size()
        if size < head["size"]:
            if reread:
                # Our copy may hold events rolled forward from a journal tail that their
                # writer then took back (its state write failed): read the file again.
                self.storage.forget()
                return self._load(reread=False)
            raise StorageError("history.truncated", path=str(self.history.path),
                               expected=head["size"], actual=size)
        if size > head["size"] and not self.storage.fresh:
            # Roll forward on a copy of our own: the cached one may be in a reader's
            # hands (the app's screens read it while a worker loads).
            self.storage.forget()
            return self._load(reread=reread)
        if size > head["size"]:
            self.storage.pin_versions(tables)
            events, end = self.history.read_from(head["size"])
            for event in events:
                if event.get("prev") != head["hash"] or event.get("seq") != head["seq"] + 1:
                    raise StorageError("history.diverged", path=str(self.history.path),
                                       seq=event.get("seq"))
                apply_event(tables, self._index, event)
                head = {"seq": event["seq"], "hash": event["hash"], "ts": event["ts"]}
                if event["type"] in ("init", "migrate"):
                    self.storage.drop_line_cache()
            if events:
                head["size"] = end
                meta = tables["meta"][META_ID]
                meta["head"] = {**meta["head"], **head}
        return tables, self._index

    def _check_schema(self, tables: Tables) -> None:
        try:
            meta = tables["meta"][META_ID]
            schema = meta["schema"]
            tables["plan"][PLAN_ID]["plan"]
            tables["tasks"]
            tables["counties"]
        except (KeyError, TypeError):
            raise StorageError("db.not_tracker", path=str(self.path)) from None
        if not isinstance(schema, int) or schema > SCHEMA_VERSION:
            raise StorageError("db.schema_newer", path=str(self.path), found=schema,
                               supported=SCHEMA_VERSION)
        if schema < SCHEMA_VERSION:
            if any(v not in MIGRATIONS for v in range(schema, SCHEMA_VERSION)):
                raise StorageError("db.schema_unknown", path=str(self.path), found=schema)
            raise _NeedsMigration(schema)

    def view(self, as_of: date | None = None) -> StateView:
        """The state to read from: current, or rebuilt from history as of ``as_of``.
        Safe to call from several threads (the app's loaders)."""
        with self._mutex:
            return self._view(as_of)

    def _view(self, as_of: date | None) -> StateView:
        tables, index = self._current()
        require_reader(access_of(tables["meta"][META_ID], self.user))
        if as_of is None or as_of >= self.clock().date():
            return StateView(tables, index, str(self.path), journal=self)
        past, past_index = self.replay(until=as_of)
        if not past["plan"]:
            raise UsageError("asof.before_start", date=as_of.isoformat(),
                             start=tables["meta"][META_ID]["created_at"][:10])
        return StateView(past, past_index, str(self.path), as_of=as_of, journal=self)

    def _current(self) -> tuple[Tables, Index]:
        """The state to read. An older schema is read as migrated, in memory: reading
        changes no file (an old tracker still open on it keeps working); the first edit
        migrates it on disk, after its backup."""
        try:
            return self._load()
        except _NeedsMigration as need:
            return self._migrated_in_memory(need.schema)

    def _migrated_in_memory(self, schema: int) -> tuple[Tables, Index]:
        tables, _raw, _st = load_json(self.path)  # a private copy, whole
        migrate_tables(tables, schema, SCHEMA_VERSION)
        index = Index(tables)
        head = tables["meta"][META_ID]["head"]
        events, end = self.history.read_from(head["size"])
        for event in events:  # a writer that died after its journal append
            if event.get("prev") != head["hash"] or event.get("seq") != head["seq"] + 1:
                raise StorageError("history.diverged", path=str(self.history.path),
                                   seq=event.get("seq"))
            apply_event(tables, index, event)
            head = {"seq": event["seq"], "hash": event["hash"], "ts": event["ts"], "size": end}
        tables["meta"][META_ID]["head"] = {**tables["meta"][META_ID]["head"], **head}
        return tables, index

    def access(self) -> Access:
        """What the current user may do here (role and limits; role None: refused)."""
        with self._mutex:
            tables, _index = self._current()
            return access_of(tables["meta"][META_ID], self.user)

    def check_reader(self) -> None:
        """Refuse a user who may not even read (unknown, under ``unknown_users = deny``),
        for commands that read the files without opening the state (verify, doctor).
        A state that cannot be read is left to those commands to report."""
        try:
            meta = self.storage.read()["meta"][META_ID]  # type: ignore[index]
            access = access_of(meta, self.user)
        except (StorageError, KeyError, TypeError, AttributeError):
            return
        finally:
            self.storage.forget()
        require_reader(access)

    def replay(self, until: date | None = None) -> tuple[Tables, Index]:
        """Rebuild the state from the journal: all of it, or the events up to the end of
        ``until`` (event times never go backwards, so that is a prefix of the journal)."""
        tables = empty_tables()
        index = Index(tables)
        events, _end = self.history.read_from(0)
        for event in events:
            if until is not None and datetime.fromisoformat(event["ts"]).date() > until:
                break
            apply_event(tables, index, event)
        return tables, index

    def token(self) -> tuple[int, bool]:
        """Changes whenever anyone writes (for the app's poll): the journal's size."""
        return self.history.size(), self.storage.is_current()

    # -- writing ---------------------------------------------------------------------
    def apply(self, *commands: Command) -> Result:
        """Apply commands as the current user, all or nothing."""
        return self.apply_all([(command, self.user, None) for command in commands])

    def apply_all(self, items: Iterable[Item]) -> Result:
        """Apply ``(command, user, time)`` items in one locked write, all or nothing.
        A given time is for synthetic histories (the demo); a live edit uses the clock.
        An older schema is migrated first (with its own backup). Each command is
        checked against its user's role on the state as it is when its turn comes."""
        items = list(items)
        for _attempt in range(2):
            with self._mutex, locked(self.lock_path, self.lock_timeout):
                try:
                    tables, index = self._load()
                except _NeedsMigration:
                    pass
                else:
                    return self._commit(tables, index, items, auto_backup=True)
            self.migrate()
        raise StorageError("db.needs_migration", path=str(self.path))

    def _commit(self, tables: Tables, index: Index,
                items: Iterable[Item], *,
                auto_backup: bool = False) -> Result:
        """Commands -> events (role, then the command's own checks) -> journal -> state.
        ``auto_backup``: copy the state first, once it is known that something changes
        (a refused edit writes nothing, not even a backup)."""
        from tracker.domain.commands import Context  # a reader never needs the commands (-2 ms)

        self.storage.pin_versions(tables)
        meta = tables["meta"][META_ID]
        head = dict(meta["head"])
        last = datetime.fromisoformat(head["ts"]) if head.get("ts") else None
        events: list[Event] = []
        try:
            for command, user, when in items:
                moment = when or self.clock()
                if last is not None and moment < last:
                    moment = last  # the clock went back: keep history in time order
                last = moment
                ts = moment.isoformat()
                ctx = Context(tables, index, user, moment.date(), ts,
                              known_account=self.known_account, source=str(self.path))
                scope = _authorize(command, user, tables, index)
                new_events = command.events(ctx)
                if scope is not None:  # every task and county the events touch
                    for event in new_events:
                        scope.check(task=event.get("task"), county=event.get("county"))
                if auto_backup and new_events:
                    self._auto_backup(tables)
                    auto_backup = False
                for event in new_events:
                    stamped = {"ts": ts, "user": user, **event}
                    apply_event(tables, index, stamped)
                    if stamped.get("task"):
                        stamped["version"] = tables["tasks"][index.tasks[stamped["task"]]][
                            "version"]
                    events.append(stamped)
                    if event["type"] in ("init", "migrate"):
                        self.storage.drop_line_cache()
                        meta = tables["meta"][META_ID]
            if not events:
                self.storage.forget()
                return Result([])
            data = History.chain(events, head["seq"], head["hash"])
            size = self.history.append(data, head["size"])
        except BaseException:
            self.storage.forget()
            raise
        meta = tables["meta"][META_ID]
        meta["head"] = {"seq": events[-1]["seq"], "hash": events[-1]["hash"], "size": size,
                        "ts": events[-1]["ts"]}
        self._sweep_temp_files()
        before = _inode(self.path)
        try:
            self.storage.write(tables)
        except BaseException:
            # Take the journal back only if the new state is not in place: once it is
            # (an interrupt after the rename, say), the edit has happened.
            if _inode(self.path) == before:
                self.history.truncate(head["size"])
            raise
        return Result(events)

    def _sweep_temp_files(self) -> None:
        """Remove the temp files of state writes that a killed writer left (ours are
        written only under the lock, which we hold, so any there now is a dead one's)."""
        pattern = re.compile(rf"\.{re.escape(self.path.name)}\.[a-z0-9_]{{8}}\.tmp")
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.path.parent):
                if pattern.fullmatch(entry.name):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    # -- creating ----------------------------------------------------------------------
    def create(self, plan: Plan, *, demo: bool = False, force: bool = False,
               when: datetime | None = None) -> Result:
        """A new database from ``plan``. With ``force``, an existing one is moved into the
        backups folder first (never deleted)."""
        from tracker.domain import commands

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with locked(self.lock_path, self.lock_timeout):
            exists = self.path.exists() or self.history.exists()
            if exists and not force:
                raise StorageError("db.exists", path=str(self.path))
            if exists:
                self._require_admin_to_replace()
                self._retire()
            self.storage.forget()
            tables = empty_tables()
            tables["meta"][META_ID] = {"head": {"seq": 0, "hash": GENESIS, "size": 0,
                                                "ts": None}}
            return self._commit(tables, Index(tables),
                                [(commands.Init(plan.raw, demo), self.user, when)])

    def _require_admin_to_replace(self) -> None:
        """Only an admin replaces a database that can be read (one that cannot, damaged
        beyond reading, is what `init --force` is for)."""
        try:
            tables = self.storage.read()
            meta = tables["meta"][META_ID]  # type: ignore[index]
            access = access_of(meta, self.user)
        except (StorageError, KeyError, TypeError, AttributeError):
            return
        finally:
            self.storage.forget()
        require(access, ADMIN, "role.action.replace")

    def _retire(self) -> None:
        """Move the current files aside, into the backups folder."""
        backups = self._backup_dir()
        stamp = self.clock().strftime("%Y%m%dT%H%M%S")
        for source in (self.path, self.history.path):
            if source.exists():
                target = _unused(backups / f"replaced-{stamp}-{source.name}")
                os.replace(source, target)

    # -- backups -----------------------------------------------------------------------
    def _auto_backup(self, tables: Tables) -> None:
        """The first write of a session copies the state first, if the newest automatic
        backup is more than an hour old; the newest ten are kept."""
        if self._backed_up:
            return
        self._backed_up = True
        existing = self._auto_backups()
        if existing and time.time() - existing[-1].stat().st_mtime < AUTO_BACKUP_EVERY:
            return
        stamp = self.clock().strftime("%Y%m%dT%H%M%S")
        head = tables["meta"][META_ID]["head"]["seq"]
        try:
            target = self._backup_dir() / f"auto-{stamp}-{head:09d}.json"
            atomic_write(target, self.storage.encode(tables))
        except StorageError:
            return  # a backup that cannot be written must not stop the edit itself
        for old in self._auto_backups()[:-AUTO_BACKUPS_KEPT]:
            with contextlib.suppress(OSError):
                old.unlink()

    def _backup_dir(self) -> Path:
        """The backups folder, created if missing (a clear StorageError if it cannot be)."""
        try:
            make_shared_dir(self.backups)
        except OSError as error:
            raise StorageError("db.write_failed", path=str(self.backups),
                               reason=describe_os_error(error)) from None
        return self.backups

    def _auto_backups(self) -> list[Path]:
        if not self.backups.is_dir():
            return []
        return sorted(self.backups.glob("auto-*.json"))

    def backup(self, target: Path | None = None) -> Path:
        """Write a consistent copy of the current state (under the lock), as this tracker
        reads it (an older schema as migrated; the file itself is left as it is)."""
        with locked(self.lock_path, self.lock_timeout):
            tables, _index = self._current()
            require_reader(access_of(tables["meta"][META_ID], self.user))
            if target is None:
                stamp = self.clock().strftime("%Y%m%dT%H%M%S")
                target = _unused(self._backup_dir() / f"backup-{stamp}.json")
            atomic_write(target, self.storage.encode(tables))
            self.storage.forget()
        return target

    def restore(self, source: Path) -> Result:
        """Bring the state back to a backup's, as events in history (after backing up
        the current state)."""
        import hashlib

        from tracker.domain import commands

        try:
            data, raw, _st = load_json(source)
        except StorageError as error:
            if error.key == "db.missing":
                raise StorageError("restore.missing", path=str(source)) from None
            raise StorageError("restore.not_backup", path=str(source)) from None
        if not isinstance(data, dict) or "meta" not in data or "tasks" not in data:
            raise StorageError("restore.not_backup", path=str(source))
        try:
            self._check_schema(data)
        except _NeedsMigration as need:  # a backup from before an upgrade
            migrate_tables(data, need.schema, SCHEMA_VERSION)
        except StorageError:
            raise StorageError("restore.not_backup", path=str(source)) from None
        try:
            current = self.view()
        except StorageError as error:
            if error.key not in DAMAGED:
                raise
            replayed, _index = self.replay()  # the state file is damaged; the journal is not
            if replayed["plan"]:
                require(access_of(replayed["meta"][META_ID], self.user), ADMIN,
                        "role.action.restore")
            self.rebuild_from_history()
            current = self.view()
        # Said before anything is written (the store checks again under the lock).
        require(access_of(current.meta, self.user), ADMIN, "role.action.restore")
        if data["meta"][META_ID].get("plan_id") != current.plan.id:
            raise StorageError("restore.other_plan", path=str(source),
                               found=data["meta"][META_ID].get("plan_id"), plan=current.plan.id)
        upto = self._backup_head(data, source)
        self.backup()
        digest = hashlib.sha256(raw).hexdigest()
        return self.apply(commands.Restore(data, f"{source.name} sha256:{digest}", upto,
                                  comment=f"restore {source}"))

    def _backup_head(self, data: Tables, source: Path) -> int:
        """The seq of the backup's last event, which must be one of ours: a backup of
        another database has a history this one does not share."""
        head = data["meta"][META_ID].get("head") or {}
        needle = f'"hash":{json.dumps(head.get("hash"))}'.encode()
        if not any(e.get("seq") == head.get("seq") and e.get("hash") == head.get("hash")
                   for e in self.history.matching(needle)):
            raise StorageError("restore.other_history", path=str(source))
        return int(head["seq"])

    def rebuild_from_history(self) -> None:
        """Write the state anew as the replay of the journal (a damaged state file is
        moved to the backups folder first). The journal itself must be whole."""
        with locked(self.lock_path, self.lock_timeout):
            tables, _index = self.replay()
            if not tables["plan"]:
                raise StorageError("history.missing", path=str(self.history.path))
            last = list(self.events())[-1]
            tables["meta"][META_ID]["head"] = {"seq": last["seq"], "hash": last["hash"],
                                               "size": self.history.size(), "ts": last["ts"]}
            backups = self._backup_dir()
            if self.path.exists():
                os.replace(self.path, _unused(
                    backups / f"damaged-{self.clock().strftime('%Y%m%dT%H%M%S')}.json"))
            self.storage.forget()
            atomic_write(self.path, AtomicJSONStorage(self.path).encode(tables))

    # -- migration ---------------------------------------------------------------------
    def migrate(self) -> None:
        """Migrate an older schema: back up, then migrate as an event."""
        if self.storage.lazy:  # a migration rewrites every document: read them all
            Store(self.path, clock=self.clock, lock_timeout=self.lock_timeout).migrate()
            self.storage.forget()
            return
        with locked(self.lock_path, self.lock_timeout):
            tables = self.storage.read()
            assert tables is not None
            try:
                self._check_schema(tables)
                return
            except _NeedsMigration as need:
                old = need.schema
            stamp = self.clock().strftime("%Y%m%dT%H%M%S")
            import shutil

            shutil.copy2(self.path,
                         _unused(self._backup_dir() / f"pre-migration-{old}-{stamp}.json"))
            tables["meta"][META_ID]["schema"] = SCHEMA_VERSION  # let _load accept it
            try:
                tables, index = self._load()
            finally:
                tables["meta"][META_ID]["schema"] = old
            from tracker.domain.commands import Migrate

            earlier = self._earlier(tables) if old < 4 <= SCHEMA_VERSION else None
            self._commit(tables, index,
                         [(Migrate(old, SCHEMA_VERSION, earlier), self.user, None)])

    def _earlier(self, tables: Tables) -> dict[str, dict[str, list[list[Any]]]]:
        """Every county's ``earlier`` (schema 4) from its series in the journal, up to
        the state's head: what the 3 -> 4 migration records in its event."""
        from tracker.domain.migrations import earlier_of
        from tracker.domain.timeline import series_of

        by_county = self.all_county_events(tables["meta"][META_ID]["head"]["size"])
        found = {code: earlier_of(series_of(events)) for code, events in by_county.items()}
        return {code: rows for code, rows in found.items() if rows}

    # -- history and verify --------------------------------------------------------------
    def events(self) -> Iterator[Event]:
        events, _end = self.history.read_from(0)
        yield from events

    def task_events(self, task_id: str, end: int | None = None) -> list[Event]:
        """One task's events, oldest first, without parsing everyone else's; with
        ``end``, those before that journal offset (what a view's state includes)."""
        return self._subject_events("task", task_id, end)

    def county_events(self, code: str, end: int | None = None) -> list[Event]:
        """One county's events (measurements, restores), oldest first."""
        return self._subject_events("county", code, end)

    def all_county_events(self, end: int | None = None) -> dict[str, list[Event]]:
        """Every county's events (measurements, restores) by county code, in one pass
        over the journal that parses only their lines."""
        by_county: dict[str, list[Event]] = {}
        for event in self.history.matching(b'"county":', end):
            code = event.get("county")
            if isinstance(code, str):
                by_county.setdefault(code, []).append(event)
        return by_county

    def _subject_events(self, field: str, ident: str, end: int | None) -> list[Event]:
        needle = (f'"{field}":' + json.dumps(ident, ensure_ascii=False)).encode()
        return [e for e in self.history.matching(needle, end) if e.get(field) == ident]

    def verify(self) -> list[Finding]:
        """Check the chain, then that the state equals the replay of history."""
        from tracker.domain.verify import compare_tables

        self.check_reader()
        findings: list[Finding] = []
        tables = empty_tables()
        index = Index(tables)
        previous, last = GENESIS, None
        for seq, (offset, line) in enumerate(self.history.iter_lines(), start=1):
            try:
                event = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                findings.append(Finding("verify.event_unreadable", {"seq": seq,
                                                                    "offset": offset}))
                return findings
            if event.get("seq") != seq:
                findings.append(Finding("verify.event_seq", {"seq": seq,
                                                             "found": event.get("seq")}))
            if event.get("prev") != previous:
                findings.append(Finding("verify.event_chain", {"seq": seq}))
            if event_hash(event) != event.get("hash"):
                findings.append(Finding("verify.event_hash", {"seq": seq,
                                                              "user": event.get("user"),
                                                              "ts": event.get("ts")}))
            previous = event.get("hash")
            try:
                apply_event(tables, index, event)
            except (KeyError, TypeError, ValueError):
                findings.append(Finding("verify.event_invalid", {"seq": seq}))
                return findings
            last = event
        state, _raw, _st = load_json(self.path)
        try:
            head = state["meta"][META_ID]["head"]
        except (KeyError, TypeError):
            findings.append(Finding("verify.no_head", {}))
            return findings
        if last is None:
            findings.append(Finding("verify.empty_history", {}))
            return findings
        if head.get("seq") != last["seq"] or head.get("hash") != last["hash"]:
            if head.get("seq", 0) < last["seq"]:
                # The last writer died between journal and state: the next write rolls the
                # state forward. Compare against the journal up to the state's head.
                tables, index = self._replay_to_seq(head.get("seq", 0))
                if tables is None:
                    findings.append(Finding("verify.head_mismatch", {"seq": head.get("seq")}))
                    return findings
            else:
                findings.append(Finding("verify.head_mismatch", {"seq": head.get("seq")}))
        _as_current_schema(state, tables)
        findings.extend(Finding(key, params) for key, params in compare_tables(state, tables))
        return findings

    def _replay_to_seq(self, seq: int) -> tuple[Any, Any]:
        tables = empty_tables()
        index = Index(tables)
        for event in self.events():
            if event["seq"] > seq:
                break
            apply_event(tables, index, event)
        return (tables, index) if seq else (None, None)


def _as_current_schema(state: Any, replay: Tables) -> None:
    """A state not yet migrated is compared as migrated: the replay builds documents in
    today's shape from the oldest history."""
    try:
        schema = state["meta"][META_ID]["schema"]
        if schema < SCHEMA_VERSION and all(v in MIGRATIONS for v in range(schema,
                                                                           SCHEMA_VERSION)):
            migrate_tables(state, schema, SCHEMA_VERSION)
            # The replay of a history without its `migrate` event: migrated the same way.
            migrate_tables(replay, replay["meta"][META_ID]["schema"], SCHEMA_VERSION)
    except (KeyError, TypeError, AttributeError):
        return  # not a tracker state: the comparison says what differs


def _unused(path: Path) -> Path:
    """``path``, or ``NAME-2.json``, ``NAME-3.json``... if it is taken: a backup made in the
    same second as another (the stamp has seconds) must not overwrite it."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


class _NeedsMigration(Exception):
    def __init__(self, schema: int) -> None:
        super().__init__(schema)
        self.schema = schema


def _authorize(command: Command, user: str, tables: Tables, index: Index) -> Scope | None:
    """Refuse ``command`` unless ``user``'s role allows it (tracker.domain.roles).
    Returns the limits to check its events against, for an editor who has some."""
    need = command.needs
    if need is None:  # the store's own work: create, migrate
        return None
    access = access_of(tables["meta"][META_ID], user)
    require(access, need, command.action)
    if not access.limited:
        return None
    scope = Scope(access, tables, index)
    scope.check(task=command.subject_task, county=command.subject_county)
    return scope
