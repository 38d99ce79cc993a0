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
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from tinydb import TinyDB

from tracker.domain.errors import InvalidEdit, NotFoundError, StorageError, UsageError
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
from tracker.domain.roles import (
    ADMIN,
    Access,
    Scope,
    access_of,
    require,
    require_reader,
    users_of,
)
from tracker.domain.search import EventFilter, Hit
from tracker.domain.state import StateView
from tracker.storage import checkpoints
from tracker.storage.atomic import AtomicJSONStorage, load_json
from tracker.storage.files import (
    atomic_write,
    describe_os_error,
    exists_in,
    open_backups,
    private_mode,
    shown_path,
    stale_temp_files,
    write_in,
)
from tracker.storage.history import (
    GENESIS,
    GROUP,
    History,
    committed_end,
    group_part,
    mark_group,
)
from tracker.storage.identity import account_exists, current_user
from tracker.storage.lock import DEFAULT_TIMEOUT, locked

if TYPE_CHECKING:
    from tracker.domain.commands import Command, Undo
    from tracker.domain.plan import Plan

    Item = tuple[Command, str, datetime | None]  # a command, its user, its time (None: now)

AUTO_BACKUPS_KEPT = 10
# Errors that mean the state file itself is damaged (the journal may still be whole).
DAMAGED = {"db.corrupt", "db.empty", "db.not_utf8", "db.corrupt_doc", "db.not_tracker",
           "db.missing"}
AUTO_BACKUP_EVERY = 3600.0  # seconds: at most one automatic backup an hour
# An event dated more than this after the one that follows it, or after now, is reported
# by `verify` and `doctor` (a writer's clock was wrong); the events are left as written.
FUTURE_SLACK_ORDER = timedelta(days=1)
FUTURE_SLACK = timedelta(minutes=10)
Event = dict[str, Any]


def local_now() -> datetime:
    return datetime.now().astimezone().replace(microsecond=0)


class Result(NamedTuple):
    """What a successful write did: its events (stamped and chained)."""

    events: list[Event]


class Repaired(NamedTuple):
    """What `repair` did: lines of the journal cut, their bytes, where their copy is."""

    lines: int
    size: int
    copy: Path | None


class Checked(NamedTuple):
    """What a verify checked: events ``first`` to ``last`` (seq), from checkpoint
    ``since`` (None: from the start), journal offset ``offset`` on."""

    first: int
    last: int
    since: str | None
    offset: int
    # What ``Store.warnings(offset)`` says, found on the way; None: ask it (the verify
    # stopped early, or the journal ends inside a command, or it grew meanwhile).
    warnings: list[Finding] | None = None


class Finding(NamedTuple):
    """One thing `verify` found: where (event seq, task, county) and what."""

    key: str
    params: dict[str, Any]


def _lines_with(haystack: bytes, raw: bytes, needle: bytes) -> Iterator[tuple[int, bytes]]:
    """The lines of ``raw`` (with their offsets in it) in which ``haystack`` (``raw``, or
    ``raw`` ASCII-lowered: the same length, line for line) contains ``needle``, each
    once."""
    start = 0
    while (found := haystack.find(needle, start)) >= 0:
        begin = haystack.rfind(b"\n", 0, found) + 1
        end = haystack.find(b"\n", found)
        if end < 0:
            return
        yield begin, raw[begin:end]
        start = end + 1


class Store:
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], datetime] = local_now,
        lock_timeout: float = DEFAULT_TIMEOUT,
        lazy: bool = False,
        known_account: Callable[[str], bool] = account_exists,
        user: str | None = None,
    ) -> None:
        """``lazy``: parse documents only when used (one-shot commands that touch a few
        documents of a large database); long-lived readers such as the app parse all.
        ``known_account``: whether an OS account exists (a task's owner may be one),
        given to the commands; tests give their own. ``user``: who acts (every event,
        every role check); by default the OS account running the process. In service
        mode the caller passes the name sshd vouched for (``tracker shell NAME``), never
        one from the environment."""
        self.path = Path(path)
        self.history = History(self.path.with_name(self.path.name + ".history"))
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.backups = self.path.with_name(self.path.name + ".backups")
        self.db = TinyDB(self.path, storage=AtomicJSONStorage, lazy=lazy)
        self.storage: AtomicJSONStorage = self.db.storage  # type: ignore[assignment]
        self._clock = clock
        self._demo_day: date | None = None  # a demo database's own day, once read
        self.known_account = known_account
        self.lock_timeout = lock_timeout
        self.user = current_user() if user is None else user
        self._index: Index | None = None
        self._indexed: Tables | None = None
        self._backed_up = False
        self._mutex = threading.RLock()

    def clock(self) -> datetime:
        """Now. A demo database lives on a day of its own (``meta.demo_today``, set by
        `tracker demo --today`): once its state has been read, now is that day at the
        real time of day, for every command and screen on it. Any other database: the
        real clock."""
        now = self._clock()
        if self._demo_day is None:
            return now
        return datetime.combine(self._demo_day, now.timetz())

    # -- loading ---------------------------------------------------------------------
    def _load(self, *, reread: bool = True) -> tuple[Tables, Index]:
        """The current state: the state file, rolled forward from the journal if the
        last writer died between its journal append and its state write."""
        tables = self.storage.read()
        assert tables is not None
        self._check_schema(tables)
        meta = tables["meta"][META_ID]
        demo_day = meta.get("demo_today")
        self._demo_day = date.fromisoformat(demo_day) if isinstance(demo_day, str) else None
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
        self.history.check()  # a symlink, hard link or fifo there: refused, named
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
            if PLAN_ID not in tables["plan"]:  # (a lazy table: its line found, not parsed:
                raise KeyError(PLAN_ID)  # the plan's document is read where it is used)
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

    def owner_known(self, name: str) -> bool:
        """Whether ``name`` may own a task as an account: a user listed in the database
        (in service mode users are not OS accounts) or an account of this server. The
        early check of the CLI and the screens; the command checks the same."""
        with self._mutex:
            tables, _index = self._current()
        return name in users_of(tables["meta"][META_ID]) or self.known_account(name)

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

    def replay(self, until: date | None = None, *,
               from_checkpoint: bool = True) -> tuple[Tables, Index]:
        """Rebuild the state from the journal: all of it, or as of the end of day
        ``until``: the journal up to its last event dated that day or earlier. A prefix
        (events build on those before them), which for a journal in time order is the
        events up to that day; an event that a clock ahead dated in the future is counted
        with the correctly dated events written after it. As of a date, from the nearest
        checkpoint where one serves (storage.checkpoints; ``from_checkpoint=False``: the
        plain replay from the start, which the tests compare it with)."""
        if until is not None and from_checkpoint:
            found = checkpoints.state_as_of(self.path, self.history, until, SCHEMA_VERSION)
            if found is not None:
                return found
        tables = empty_tables()
        index = Index(tables)
        events, _end = self.history.read_from(0)
        if until is not None:
            cut = 0
            for number, event in enumerate(events, start=1):
                if datetime.fromisoformat(event["ts"]).date() <= until:
                    cut = number
            events = events[:cut]
        for event in events:
            apply_event(tables, index, event)
        return tables, index

    def build_checkpoints(self) -> int:
        """Checkpoints over a journal that has none yet (storage.checkpoints.build)."""
        with self._mutex, locked(self.lock_path, self.lock_timeout):
            return checkpoints.build(self.path, self.history, SCHEMA_VERSION)

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

    def preview(self, *commands: Command, tables: Tables | None = None) -> list[Event]:
        """The events ``commands`` would make, as the current user, against the current
        state (or ``tables``: the state a screen shows), without writing anything: every
        check of a write (role, limits, the commands' own rules) is made, so that a
        refusal is said before a bulk change is applied (the write checks again under
        the lock)."""
        import copy

        from tracker.domain.commands import Context

        if tables is None:
            tables, _index = self._current()
            tables = copy.deepcopy(tables)
        else:
            tables = copy.deepcopy(tables)
        index = Index(tables)
        events: list[Event] = []
        for command in commands:
            moment = self.clock()
            ctx = Context(tables, index, self.user, moment.date(), moment.isoformat(),
                          known_account=self.known_account, source=str(self.path))
            scope = _authorize(command, self.user, tables, index)
            new_events = command.events(ctx)
            for event in new_events:
                if scope is not None:
                    scope.check(task=event.get("task"), county=event.get("county"))
                stamped = {"ts": ctx.ts, "user": self.user, **event}
                apply_event(tables, index, stamped)
                events.append(stamped)
        return events

    # -- attachments (tracker.storage.attachments) --------------------------------------
    def attach(self, task: str, source: Any, name: str, note: str | None = None, *,
               before: Iterable[Command] = ()) -> Result:
        """Store the file ``source`` (a binary stream) and record it for ``task``, after
        the commands ``before`` (a document follow-up it is the evidence of), in one
        write. The record is checked first (role, limits, the task), so that a refused
        one leaves no file behind; a file larger than the database's limit is refused
        while it is read, naming the limit."""
        from tracker.domain.commands import Attach, attachment_limit, attachment_name
        from tracker.storage import attachments

        before = list(before)
        shown = attachment_name(name)
        settings = self.view().meta["settings"]
        limit = attachment_limit(settings)
        self.preview(*before, Attach(task, "0" * 64, shown, 0, "", note))
        stored = attachments.store(self.path, source, shown, limit, limit // (1024 * 1024))
        try:
            return self.apply(*before, Attach(task, stored.sha256, shown, stored.size,
                                              stored.media_type, note))
        except BaseException:
            if stored.created and not self.attachment_records(stored.sha256):
                attachments.remove(self.path, stored.sha256)
            raise

    def attachment_records(self, sha256: str | None = None) -> list[Event]:
        """The attach events of the journal (of one file, by its hash)."""
        needle = b'"type":"attach"' if sha256 is None else f'"sha256":"{sha256}"'.encode()
        return [e for e in self.history.matching(needle)
                if e.get("type") == "attach" and (sha256 is None
                                                  or e["new"].get("sha256") == sha256)]

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
        events: list[Event] = []
        try:
            for command, user, when in items:
                # The writer's own time, as its clock says: never an earlier event's
                # (one clock jumped ahead must not stamp everyone's events after it).
                # As-of reads cut the journal after the last event of the day, so an
                # event out of order is counted where it was really written.
                moment = when or self.clock()
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
            mark_group(events)
            data = History.chain(events, head["seq"], head["hash"])
            size = self.history.append(data, head["size"])
        except BaseException:
            self.storage.forget()
            raise
        meta = tables["meta"][META_ID]
        meta["head"] = {"seq": events[-1]["seq"], "hash": events[-1]["hash"], "size": size,
                        "ts": events[-1]["ts"]}
        self._sweep_temp_files()
        self._write_state_after_append(tables, head["size"])
        if checkpoints.due(head["seq"], meta["head"]["seq"]):
            self._checkpoint(meta["head"])
        return Result(events)

    def _checkpoint(self, head: dict[str, Any]) -> None:
        """A checkpoint of the state just written, when one is due (storage.checkpoints).
        A cache: one that cannot be written must not fail the edit, which has happened."""
        with contextlib.suppress(StorageError, OSError, ValueError):
            checkpoints.write(self.path, self.history, head, SCHEMA_VERSION)

    def _write_state_after_append(self, tables: Tables, before_size: int) -> None:
        """The state write that follows a journal append. If it fails, the journal is
        taken back only if the new state is not in place and the journal is still the
        file we appended to; when that cannot be made sure (the folder renamed, the
        journal replaced), the error says that the change may have been recorded."""
        before = _inode(self.path)
        journal = _inode(self.history.path)
        try:
            self.storage.write(tables)
        except BaseException as error:
            # Take the journal back only if the new state is not in place: once it is
            # (an interrupt after the rename, say), the edit has happened.
            taken_back = False
            if _inode(self.path) == before and _inode(self.history.path) == journal \
                    and journal is not None:
                taken_back = self.history.truncate(before_size)
            if not taken_back and isinstance(error, StorageError):
                raise StorageError("db.maybe_recorded", path=shown_path(self.path),
                                   reason=error.params.get("reason", error.message)) from None
            raise

    def _sweep_temp_files(self) -> None:
        """Remove the temp files of state writes that a killed writer left (ours are
        written only under the lock, which we hold, so any there now is a dead one's),
        and those older than a few minutes in the backups folder (a backup to a path of
        the user's choosing is written without the lock: a young one may be live)."""
        pattern = re.compile(rf"\.{re.escape(self.path.name)}\.[a-z0-9_]{{8}}\.tmp")
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.path.parent):
                if pattern.fullmatch(entry.name):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
        for name in stale_temp_files(self.path.parent, time.time()):
            with contextlib.suppress(OSError):
                os.unlink(self.path.parent / name)
        if os.path.isdir(self.backups) and not os.path.islink(self.backups):
            with contextlib.suppress(OSError, StorageError), self._backups_fd() as fd:
                for name in stale_temp_files(fd, time.time()):
                    with contextlib.suppress(OSError):
                        os.unlink(name, dir_fd=fd)

    # -- creating ----------------------------------------------------------------------
    def create(self, plan: Plan, *, demo: bool = False, force: bool = False,
               when: datetime | None = None, today: date | None = None) -> Result:
        """A new database from ``plan``. With ``force``, an existing one is moved into the
        backups folder first (never deleted). ``today``: a demo database's own day."""
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
            self._demo_day = None  # the new database's own (the init event sets it)
            tables = empty_tables()
            tables["meta"][META_ID] = {"head": {"seq": 0, "hash": GENESIS, "size": 0,
                                                "ts": None}}
            return self._commit(tables, Index(tables),
                                [(commands.Init(plan.raw, demo, today), self.user, when)])

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
        stamp = self.clock().strftime("%Y%m%dT%H%M%S")
        with self._backups_fd() as fd:
            for source in (self.path, self.history.path, checkpoints.folder_of(self.path)):
                if os.path.lexists(source):
                    os.replace(source, _unused_in(fd, f"replaced-{stamp}-{source.name}"),
                               dst_dir_fd=fd)

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
            with self._backups_fd() as fd:
                self._write_backup(fd, f"auto-{stamp}-{head:09d}.json",
                                   self.storage.encode(tables))
                names = sorted(n for n in os.listdir(fd)
                               if n.startswith("auto-") and n.endswith(".json"))
                for old in names[:-AUTO_BACKUPS_KEPT]:
                    for name in (old, old + ".sha256"):
                        with contextlib.suppress(OSError):
                            os.unlink(name, dir_fd=fd)
        except (StorageError, OSError):
            return  # a backup that cannot be written must not stop the edit itself

    @contextlib.contextmanager
    def _backups_fd(self) -> Iterator[int]:
        """The backups folder, created if missing, as an open descriptor: a real folder on
        the database's filesystem (a symlink there is refused, naming it); every file in
        it is written and removed relative to the descriptor (storage.files)."""
        try:
            fd = open_backups(self.backups)
        except OSError as error:
            raise StorageError("db.write_failed", path=shown_path(self.backups),
                               reason=describe_os_error(error)) from None
        try:
            yield fd
        finally:
            os.close(fd)

    def _write_backup(self, fd: int, name: str, data: bytes) -> str:
        """Write backup ``name`` (made unused) and its ``NAME.sha256`` in the backups
        folder ``fd``, never group- or world-writable; returns the name used."""
        import hashlib

        name = _unused_in(fd, name)
        mode = private_mode(self.backups)
        write_in(fd, self.backups, name, data, mode=mode)
        digest = hashlib.sha256(data).hexdigest()
        write_in(fd, self.backups, name + ".sha256", f"{digest}  {name}\n".encode(),
                 mode=mode)
        return name

    def _backup_dir(self) -> Path:
        """The backups folder, created if missing and checked (a clear StorageError if it
        cannot be, or is not a real folder)."""
        with self._backups_fd():
            return self.backups

    def _auto_backups(self) -> list[Path]:
        if not self.backups.is_dir() or self.backups.is_symlink():
            return []
        return sorted(self.backups.glob("auto-*.json"))

    def backup(self, target: Path | None = None) -> Path:
        """Write a consistent copy of the current state (under the lock), as this tracker
        reads it (an older schema as migrated; the file itself is left as it is)."""
        from tracker.storage.files import write_with_checksum

        with locked(self.lock_path, self.lock_timeout):
            tables, _index = self._current()
            require_reader(access_of(tables["meta"][META_ID], self.user))
            data = self.storage.encode(tables)
            self.storage.forget()
            if target is None:
                stamp = self.clock().strftime("%Y%m%dT%H%M%S")
                with self._backups_fd() as fd:
                    return self.backups / self._write_backup(fd, f"backup-{stamp}.json", data)
        write_with_checksum(target, data)
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
        self._check_restorable(source, raw, data, current)
        self.backup()
        digest = hashlib.sha256(raw).hexdigest()
        return self.apply(commands.Restore(data, f"{source.name} sha256:{digest}", upto,
                                  comment=f"restore {source}"))

    def _check_restorable(self, source: Path, raw: bytes, data: Tables,
                          current: StateView) -> None:
        """Before anything is written: the backup's checksum (``NAME.sha256`` beside it,
        as `backup` writes it), then every document against the schema and the plan
        (storage.backup_check). The first problem is named."""
        import hashlib

        from tracker.storage.atomic import read_bytes
        from tracker.storage.backup_check import check_backup

        sidecar = source.with_name(source.name + ".sha256")
        try:
            listed, _st = read_bytes(sidecar)
        except StorageError:
            raise StorageError("restore.no_checksum", path=shown_path(source),
                               checksum=shown_path(sidecar)) from None
        digest = listed.split(b" ", 1)[0].strip().decode("ascii", "replace").lower()
        if digest != hashlib.sha256(raw).hexdigest():
            raise StorageError("restore.bad_checksum", path=shown_path(source),
                               checksum=shown_path(sidecar))
        check_backup(data, current.tables, current.plan, self.user, str(source))

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
            self._rebuild_locked()

    # -- repair (issue 12: a database wedged by a damaged journal tail) --------------------
    def repair(self) -> Repaired:
        """Bring back a database that a damaged journal tail wedges (an unreadable or
        unchained line, a command cut short, a journal cut shorter than the state says),
        without moving files by hand: under the lock, the journal is cut after its last
        whole, chained commit; what is cut is copied to the backups folder first; the
        state is rebuilt from the journal if it is not a state of the part kept. Only an
        admin (of the kept history) may. Nothing to do: ``Repaired(0, 0, None)``."""
        import hashlib

        with self._mutex, locked(self.lock_path, self.lock_timeout):
            raw = self.history._read(0)
            keep, events = _whole_prefix(raw)
            if not events:
                raise StorageError("history.missing", path=shown_path(self.history.path))
            tables = empty_tables()
            index = Index(tables)
            for event in events:
                apply_event(tables, index, event)
            require(access_of(tables["meta"][META_ID], self.user), ADMIN,
                    "role.action.repair")
            try:
                head = self.storage.read()["meta"][META_ID]["head"]  # type: ignore[index]
                state_ok = isinstance(head, dict) and head.get("size", 0) <= keep and any(
                    e["seq"] == head.get("seq") and e["hash"] == head.get("hash")
                    for e in events)
            except (StorageError, KeyError, TypeError, AttributeError):
                state_ok = False
            finally:
                self.storage.forget()
            if keep == len(raw) and state_ok:
                return Repaired(0, 0, None)
            copy = None
            if keep < len(raw):
                cut = raw[keep:]
                stamp = self.clock().strftime("%Y%m%dT%H%M%S")
                with self._backups_fd() as fd:
                    copy = self.backups / self._write_backup(
                        fd, f"cut-{stamp}-{hashlib.sha256(cut).hexdigest()[:8]}.history", cut)
                if not self.history.truncate(keep):
                    raise StorageError("db.write_failed", path=shown_path(self.history.path),
                                       reason="truncate")
            if not state_ok:
                self._rebuild_locked()
            dropped = raw[keep:].count(b"\n") + (1 if raw[keep:] and
                                                  not raw.endswith(b"\n") else 0)
            return Repaired(dropped, len(raw) - keep, copy)

    def _rebuild_locked(self) -> None:
        """:meth:`rebuild_from_history`, for a caller that holds the lock."""
        tables, _index = self.replay()
        if not tables["plan"]:
            raise StorageError("history.missing", path=str(self.history.path))
        last = list(self.events())[-1]
        tables["meta"][META_ID]["head"] = {"seq": last["seq"], "hash": last["hash"],
                                           "size": self.history.size(), "ts": last["ts"]}
        if os.path.lexists(self.path):
            with self._backups_fd() as fd:
                stamp = self.clock().strftime("%Y%m%dT%H%M%S")
                os.replace(self.path, _unused_in(fd, f"damaged-{stamp}.json"),
                           dst_dir_fd=fd)
        self.storage.forget()
        atomic_write(self.path, AtomicJSONStorage(self.path).encode(tables))

    # -- migration ---------------------------------------------------------------------
    def migrate(self) -> None:
        """Migrate an older schema: back up, then migrate as an event."""
        if self.storage.lazy:  # a migration rewrites every document: read them all
            Store(self.path, clock=self._clock, lock_timeout=self.lock_timeout).migrate()
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
            from tracker.storage.atomic import read_bytes

            raw, _st = read_bytes(self.path, checked=True)
            with self._backups_fd() as fd:
                self._write_backup(fd, f"pre-migration-{old}-{stamp}.json", raw)
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
    def events(self, end: int | None = None) -> Iterator[Event]:
        """Every committed event, oldest first, read and parsed as iterated (bounded
        memory); with ``end``, those before that journal offset."""
        return self.history.stream(0, end)

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

    # -- search and undo ------------------------------------------------------------------
    def search(self, query: str, event_filter: EventFilter | None = None,
               end: int | None = None) -> list[Hit]:
        """Where ``query`` is found in what people wrote (notes, follow-up outcomes,
        reasons, sources, the values of changes), oldest first, kept by ``event_filter``
        (a task, a user, dates); ``end``: only events before that journal offset.

        Not a scan of the whole journal: the texts files beside the checkpoints
        (storage.checkpoints, "texts") hold each event's texts folded, a few bytes an
        event, and name the offset of each event they have a hit in; only the journal's
        ranges that hold such a hit are read and those lines parsed. Past the last texts
        file (and where one is missing), the journal's bytes are scanned for the query as
        it is written inside a line's JSON (tracker.domain.search.needle_bytes). Each
        candidate is then checked on its parsed texts (a hit in an id or a hash is no
        hit). 500,000 events: docs/performance.md."""
        from tracker.domain.search import fold, hits_in

        text = fold(query.strip())
        if not text:
            return []
        keep = event_filter or EventFilter()
        size = self.history.size()
        if end is not None:
            size = min(size, end)
        hits: list[Hit] = []
        folder = checkpoints.folder_of(self.path)
        for start, stop, texts in checkpoints.coverage(self.path, self.history, size):
            if texts is None:
                lines = self._scan(text, start, stop)
            else:
                lines = self._texts_hits(folder, texts, text)
            for offset, line in lines:
                try:
                    event = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    raise StorageError("history.corrupt", path=str(self.history.path),
                                       offset=offset) from None
                if keep.keeps(event):
                    hits.extend(hits_in(event, text))
        return hits

    def _scan(self, text: str, start: int, stop: int) -> Iterator[tuple[int, bytes]]:
        """The journal's lines in ``[start, stop)`` that may hold ``text``: a byte scan
        (every line, when a byte scan cannot decide), up to the last whole commit."""
        from tracker.domain.search import needle_bytes

        raw = self.history.read_range(start, stop)
        raw = raw[:committed_end(raw, raw.rfind(b"\n") + 1)]
        needle = needle_bytes(text)
        if needle is None:  # a cased letter outside ASCII: parse every event
            offset = start
            for line in raw.split(b"\n")[:-1]:
                yield offset, line
                offset += len(line) + 1
            return
        haystack = raw.lower() if needle[1] else raw
        for begin, line in _lines_with(haystack, raw, needle[0]):
            yield start + begin, line

    def _texts_hits(self, folder: Path, texts: checkpoints.Texts,
                    text: str) -> Iterator[tuple[int, bytes]]:
        """The journal's lines a texts file names as holding ``text`` (read from the
        journal's range only when it names one); the range scanned instead if the file
        cannot be read or does not match the journal."""
        try:
            _header, body = checkpoints.read_texts(folder, texts)
        except StorageError:
            yield from self._scan(text, texts.start, texts.size)
            return
        needle = text.encode("utf-8")
        offsets = []
        for _begin, line in _lines_with(body, body, needle):
            number = line[:line.find(checkpoints.SEPARATOR)]
            if number.isdigit():
                offsets.append(int(number))
        if not offsets:
            return
        raw = self.history.read_range(texts.start, texts.size)
        found = []
        for offset in offsets:
            at = offset - texts.start
            stop = raw.find(b"\n", at)
            if not (0 <= at < len(raw)) or (at and raw[at - 1:at] != b"\n") or stop < 0:
                yield from self._scan(text, texts.start, texts.size)  # not this journal's
                return
            found.append((offset, raw[at:stop]))
        yield from found

    def event(self, seq: int) -> Event:
        """The event numbered ``seq`` (byte search for its number, then parsed)."""
        for event in self.history.matching(f'"seq":{int(seq)},'.encode()):
            if event.get("seq") == seq:
                return event
        raise NotFoundError("undo.no_event", seq=seq)

    def undo_command(self, seq: int | None = None) -> Undo:
        """The command that takes back this user's last change (their last commit), or
        the event ``seq``: the events to take back and, for a status, the reason it had
        before. The command itself checks that they are the user's field changes and
        that nobody changed those fields since (tracker.domain.commands.Undo)."""
        from tracker.domain.commands import Undo

        if seq is not None:
            targets = [self.event(seq)]
        else:
            needle = ('"user":' + json.dumps(self.user, ensure_ascii=False)).encode()
            mine = [e for e in self.history.matching(needle) if e.get("user") == self.user]
            if not mine:
                raise InvalidEdit("undo.nothing", user=self.user)
            last = mine[-1]
            part = group_part(last)
            first = last["seq"] - (part[0] - 1 if part else 0)
            targets = [e for e in mine if first <= e["seq"] <= last["seq"]]
        reasons = []
        for target in targets:
            reason = None
            if target.get("type") == "set" and target.get("field") == "status" \
                    and target.get("task"):
                for event in self.task_events(str(target["task"])):
                    if event["seq"] >= target["seq"]:
                        break
                    if event.get("type") == "set" and event.get("field") == "status":
                        reason = event.get("comment")
            reasons.append(reason)
        return Undo(tuple(reversed(targets)), tuple(reversed(reasons)))

    def verify(self, *, full: bool = True) -> list[Finding]:
        """Check the chain, then that the state equals the replay of history, and each
        checkpoint the replay at its seq. Not ``full``: from the last checkpoint a
        verify found sound (``checkpoints.verified``), the events since; what was
        checked is left in ``self.checked``."""
        from tracker.domain.verify import compare_tables
        from tracker.storage.journal_lines import parse_line_by

        self.check_reader()
        findings: list[Finding] = []
        verified = None if full else checkpoints.verified(self.path, self.history)
        start, known = verified if verified is not None else (None, {})
        if start is not None:
            findings.extend(Finding("verify.checkpoint_changed", {"name": name}) for name
                            in checkpoints.changed_since_verified(self.path, known, start.seq))
            header, tables = checkpoints.read(checkpoints.folder_of(self.path), start)
            previous, first, begin = header["hash"], start.seq + 1, start.size
        else:
            tables, previous, first, begin = empty_tables(), GENESIS, 1, 0
        index = Index(tables)
        last: Event | None = None
        pending: list[Event] = []  # the events of a group not yet whole
        marks = {c.seq: c for c in checkpoints.each(self.path) if c.seq >= first}
        sound: list[checkpoints.Checkpoint] = []  # checkpoints found sound, by seq
        # The texts files of the ranges replayed here, checked against the journal's
        # lines as each range ends (every texts file starts where a checkpoint ends).
        folder = checkpoints.folder_of(self.path)
        texts_at = {t.size: t for t in checkpoints.texts_listed(folder) if t.start >= begin}
        # Lines are kept since the last checkpoint (where every texts file starts): a texts
        # file whose checkpoint was never written (a writer that failed in between) ends
        # inside the range of the next one, which starts at the same checkpoint.
        boundaries = {c.size for c in checkpoints.each(self.path)}
        text_lines: list[tuple[int, bytes]] = []
        self.checked = Checked(first, first - 1, start.name if start else None, begin)
        # The clock checks of `warnings`, on the events parsed here (not a second read).
        times = _TimeChecks(self.clock())
        stop, ends_commit = begin, True
        as_bytes = True  # every event read by orjson (Store._check_checkpoint)
        attached: list[Event] = []
        for seq, (offset, line) in enumerate(self.history.iter_lines(begin), start=first):
            try:
                event, by_orjson = parse_line_by(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                findings.append(Finding("verify.event_unreadable", {"seq": seq,
                                                                    "offset": offset}))
                return findings
            as_bytes = as_bytes and by_orjson
            if not isinstance(event, dict):  # JSON, but not an event (a line "[1]")
                findings.append(Finding("verify.event_invalid", {"seq": seq}))
                return findings
            stop = offset + len(line) + 1
            times.see(event)
            if event.get("type") == "attach":
                attached.append(event)
            text = checkpoints.text_line(offset, event)
            if text is not None:
                text_lines.append((offset, text))
            texts = texts_at.pop(stop, None)
            if texts is not None:
                findings.extend(self._check_texts(folder, texts, event, text_lines))
            if stop in boundaries:
                text_lines = []
            if event.get("seq") != seq:
                findings.append(Finding("verify.event_seq", {"seq": seq,
                                                             "found": event.get("seq")}))
            if event.get("prev") != previous:
                findings.append(Finding("verify.event_chain", {"seq": seq}))
            if not _line_hashes_to(line, event) and event_hash(event) != event.get("hash"):
                findings.append(Finding("verify.event_hash", {"seq": seq,
                                                              "user": event.get("user"),
                                                              "ts": event.get("ts")}))
            previous = event.get("hash")
            part = group_part(event) if GROUP in event else None
            ends_commit = part is None or part[0] == part[1]
            if pending and (part is None or part[0] != len(pending) + 1):
                findings.append(Finding("verify.group_broken", {
                    "seq": pending[0]["seq"], "found": len(pending),
                    "count": group_part(pending[0])[1]}))  # type: ignore[index]
                pending = []
            if part is not None and part[0] != len(pending) + 1:
                findings.append(Finding("verify.group_broken", {
                    "seq": seq, "found": 0, "count": part[1]}))
                part = None
            if part is not None and part[0] < part[1]:
                pending.append(event)
                continue
            try:
                for one in (*pending, event):
                    apply_event(tables, index, one)
            except (KeyError, TypeError, ValueError):
                findings.append(Finding("verify.event_invalid", {"seq": seq}))
                return findings
            pending = []
            last = event
            if event.get("seq") in marks:
                mark = marks.pop(event["seq"])
                wrong = self._check_checkpoint(mark, event, tables, as_bytes=as_bytes)
                findings.extend(wrong)
                if not wrong:
                    sound.append(mark)
        whole = ends_commit and self.history.size() == stop
        if whole:
            # Read to the journal's end, which ends a commit: the warnings of the range
            # are the clock checks made on the way (what Store.warnings would say).
            self.checked = self.checked._replace(warnings=times.found)
        findings.extend(Finding("verify.checkpoint_stale", {"name": c.name})
                        for c in marks.values())
        findings.extend(Finding("verify.texts_stale", {"name": t.name})
                        for t in texts_at.values())
        state, _raw, _st = load_json(self.path)
        try:
            head = state["meta"][META_ID]["head"]
        except (KeyError, TypeError):
            findings.append(Finding("verify.no_head", {}))
            return findings
        if last is None and start is None:
            findings.append(Finding("verify.empty_history", {}))
            return findings
        self.checked = self.checked._replace(last=last["seq"] if last else first - 1)
        if last is None:  # nothing since the checkpoint: the state is the checkpoint's
            last = {"seq": start.seq, "hash": previous}  # type: ignore[union-attr]
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
        from tracker.storage import attachments

        # The attach events: those seen on the way if that was the whole journal (not
        # a second read of it, which held it all in memory), else the journal's.
        records = attached if whole and start is None else self.attachment_records()
        findings.extend(Finding(key, params) for key, params in
                        attachments.check(self.path, records))
        if not findings and sound:
            checkpoints.mark_verified(self.path, sound, known)
        return findings

    @staticmethod
    def _check_texts(folder: Path, texts: checkpoints.Texts, event: Event,
                     lines: list[tuple[int, bytes]]) -> list[Finding]:
        """A texts file against the journal's range it covers, ending at ``event``."""
        expected = checkpoints.texts_blob(texts.start, texts.size, str(event.get("hash")),
                                          [line for offset, line in lines
                                           if offset >= texts.start])
        try:
            same = checkpoints.texts_bytes(folder, texts) == expected
        except OSError:
            same = False
        return [] if same else [Finding("verify.texts_differs", {"name": texts.name})]

    def _check_checkpoint(self, checkpoint: checkpoints.Checkpoint, event: Event,
                          replayed: Tables, *, as_bytes: bool) -> list[Finding]:
        """A checkpoint against the replay at its seq: the same event, the same state.
        ``as_bytes``: every event replayed was read by orjson, which writes back what it
        reads, so a checkpoint whose bytes are the replay's (``checkpoints.state_bytes``)
        parses to the replay: the common case, compared without parsing it (500
        checkpoints at 500,000 events). Else it is parsed and compared."""
        from tracker.domain.verify import compare_tables

        folder = checkpoints.folder_of(self.path)
        try:
            header, state = checkpoints.read_bytes(folder, checkpoint)
            try:
                same = as_bytes and checkpoints.state_bytes(replayed) == state
            except TypeError:  # what orjson cannot write: compared parsed
                same = False
            tables = replayed if same else checkpoints.parse_state(folder, checkpoint, state)
        except StorageError:
            return [Finding("verify.checkpoint_unreadable", {"name": checkpoint.name})]
        if header.get("hash") != event.get("hash"):
            return [Finding("verify.checkpoint_stale", {"name": checkpoint.name})]
        if header.get("schema") != SCHEMA_VERSION:
            return []  # written before a migration: never used (storage.checkpoints)
        if same or tables == replayed:  # parsed: at C speed
            return []
        differs = next(compare_tables(tables, replayed), None)
        if differs is None:
            return []
        return [Finding("verify.checkpoint_differs", {"name": checkpoint.name,
                                                      "seq": checkpoint.seq})]

    def warnings(self, start: int = 0) -> list[Finding]:
        """What `verify` reports without failing: a command cut short at the end of the
        journal (a writer killed mid-append: not applied, and cut by the next write or
        `tracker repair`), and event times out of order or in the future; those from
        journal offset ``start`` on (an incremental verify's)."""
        found: list[Finding] = []
        raw = self.history._read(start)
        whole = raw.rfind(b"\n") + 1
        committed = committed_end(raw, whole)
        if committed < whole:
            lines = raw[committed:whole].count(b"\n")
            first = json.loads(raw[committed:raw.index(b"\n", committed)])
            found.append(Finding("verify.group_incomplete", {
                "seq": first.get("seq"), "found": lines,
                "count": (group_part(first) or (0, 0))[1]}))
        return found + self.time_findings(raw[:committed])

    def time_findings(self, raw: bytes | None = None, now: datetime | None = None,
                      ) -> list[Finding]:
        """Events dated in the future, and events dated more than a day after the event
        that follows them (a writer's clock was ahead): each of those events, by seq."""
        from tracker.storage.journal_lines import parse_line

        if raw is None:
            raw = self.history._read(0)
        times = _TimeChecks(now or self.clock())
        for line in raw.split(b"\n"):
            if not line:
                continue
            try:
                event = parse_line(line)
            except (ValueError, UnicodeDecodeError):
                continue
            times.see(event)
        return times.found

    def _replay_to_seq(self, seq: int) -> tuple[Any, Any]:
        tables = empty_tables()
        index = Index(tables)
        for event in self.events():
            if event["seq"] > seq:
                break
            apply_event(tables, index, event)
        return (tables, index) if seq else (None, None)


class _TimeChecks:
    """The clock checks of ``Store.time_findings``, one event at a time, in the journal's
    order: events dated after ``now`` (by more than FUTURE_SLACK) and events dated more
    than FUTURE_SLACK_ORDER after the event that follows them. An event without a
    readable time or seq is passed over."""

    def __init__(self, now: datetime) -> None:
        self.future = (now + FUTURE_SLACK).astimezone(UTC)  # later: in the future
        self.found: list[Finding] = []
        self.seq = 0  # the event before, its time, and that time in UTC (None: none yet)
        self.when: datetime | None = None
        self.utc: datetime | None = None

    def see(self, event: Any) -> None:
        try:
            when = datetime.fromisoformat(event["ts"])
            seq = int(event["seq"])
            if when.tzinfo is None:
                when = when.astimezone()
        except (ValueError, KeyError, TypeError):
            return
        try:  # compared in UTC: times of one tzinfo compare without asking each its offset
            utc = when.astimezone(UTC)
        except OverflowError:  # at datetime's limits: as it is (slower, the same answer)
            utc = when
        if self.utc is not None and self.utc - utc > FUTURE_SLACK_ORDER:
            self.found.append(Finding("verify.time_order", {
                "seq": self.seq, "ts": self.when.isoformat(),  # type: ignore[union-attr]
                "next": when.isoformat()}))
        if utc > self.future:
            self.found.append(Finding("verify.time_future", {"seq": seq,
                                                             "ts": when.isoformat()}))
        self.seq, self.when, self.utc = seq, when, utc


def _line_hashes_to(line: bytes, event: dict[str, Any]) -> bool:
    """Whether the journal line, without its hash field, hashes to its hash: the line is
    its event's canonical JSON (invariant 3), so this is event_hash without encoding the
    event again (verify at 500,000 events). False: the caller computes event_hash."""
    digest = event.get("hash")
    if not isinstance(digest, str):
        return False
    field = b',"hash":"' + digest.encode() + b'"'  # the field and the comma before it,
    at = line.find(field)
    if at < 0:  # ... or, the field first, the comma after it
        field = field[1:] + b","
        at = line.find(field)
    body = line[:at] + line[at + len(field):] if at >= 0 else line
    return hashlib.sha256(body).hexdigest() == digest


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


def _whole_prefix(raw: bytes) -> tuple[int, list[Event]]:
    """The longest start of a journal that is whole: readable lines, numbered from 1,
    each chained to the one before and matching its hash, ending with a whole commit
    (no command cut short). Returns its length in bytes and its events."""
    events: list[Event] = []
    keep = position = kept = 0
    previous, pending = GENESIS, 0
    while True:
        end = raw.find(b"\n", position)
        if end < 0:
            break
        try:
            event = json.loads(raw[position:end])
            good = (isinstance(event, dict) and event.get("seq") == len(events) + 1
                    and event.get("prev") == previous and event_hash(event) == event.get("hash"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            good = False
        if not good:
            break
        part = group_part(event)
        if part is not None and part[0] != pending + 1:
            break
        events.append(event)
        previous = event["hash"]
        position = end + 1
        pending = part[0] if part is not None and part[0] < part[1] else 0
        if not pending:
            keep, kept = position, len(events)
    return keep, events[:kept]


def _unused_in(dir_fd: int, name: str) -> str:
    """:func:`_unused` for a name in an open folder."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidate, number = name, 1
    while exists_in(dir_fd, candidate) or exists_in(dir_fd, candidate + ".sha256"):
        number += 1
        candidate = f"{stem}-{number}.{suffix}" if dot else f"{stem}-{number}"
    return candidate


def _inode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_ino
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
