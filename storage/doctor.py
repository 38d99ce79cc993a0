"""`tracker doctor`: is this database, on this server, set up to be shared safely?

Each check gives a level (ok, warning, error), a message and, unless ok, how to fix it
(catalog keys, so both languages). Doctor never writes to the database: it reads the
files' modes, takes the lock for a moment to see that a second process is kept out, and
opens the state the way a reader does (an older schema is reported, not migrated).

The checks: the directory (group-shared, setgid, not open to others), each file (state,
journal, lock, backups), the filesystem (local, writable), locking between two real
processes, free space against the database's size, backups (present, recent), that the
database opens, and the Python and terminal environment (TERM, a UTF-8 locale,
NO_COLOR).
"""

from __future__ import annotations

import contextlib
import fcntl
import grp
import locale
import os
import pwd
import stat
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.domain.errors import StorageError

OK, WARNING, ERROR = "ok", "warning", "error"
LEVELS = (OK, WARNING, ERROR)
BACKUP_MAX_AGE_HOURS = 48  # a nightly job that stopped shows within two days
SPACE_HEADROOM = 5  # free space below this many times the database's size is a warning
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs",
                       "lustre", "afs", "fuse.sshfs", "fuse.glusterfs", "fuse.s3fs",
                       "fuse.rclone", "davfs"}
LOCK_WAIT = 5.0  # seconds doctor waits for a writer to release the lock before it probes


@dataclass(frozen=True)
class Check:
    """One finding: which check, its level, a message and (unless ok) a fix."""

    name: str
    level: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    fix: str | None = None
    fix_params: dict[str, Any] = field(default_factory=dict)


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _mode(st: os.stat_result) -> str:
    return f"{stat.S_IMODE(st.st_mode):04o}"


def _size(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"  # pragma: no cover


class Doctor:
    def __init__(self, db: Path, environ: Mapping[str, str] | None = None,
                 now: float | None = None) -> None:
        self.db = db
        self.dir = db.parent
        self.journal = db.with_name(db.name + ".history")
        self.lock = db.with_name(db.name + ".lock")
        self.backups = db.with_name(db.name + ".backups")
        self.env = os.environ if environ is None else environ
        self.now = time.time() if now is None else now
        self.checks: list[Check] = []
        self.shared = False  # the directory is group-writable (set by directory())
        self.dir_gid = -1
        self.service = False  # service mode: authorized_keys forces `tracker shell`

    def add(self, check: str, level: str, key: str, fix: str | None = None,
            fix_params: dict[str, Any] | None = None, /, **params: Any) -> None:
        self.checks.append(Check(check, level, key, params, fix, fix_params or {}))

    def run(self) -> list[Check]:
        self._guarded("python", self.python)
        self.service = is_service_mode()
        if self._guarded("directory", self.directory):
            self._guarded("files", self.files)
            self._guarded("filesystem", self.filesystem)
            self._guarded("lock", self.locking)
            self._guarded("space", self.space)
            self._guarded("backups", self.backup_age)
            self._guarded("temp", self.temp_files)
            if self.service:
                self.checks.extend(service_checks(self.db))
        self._guarded("database", self.database)
        self._guarded("history", self.history_times)
        self._guarded("terminal", self.terminal)
        return self.checks

    def _guarded(self, name: str, check: Any) -> Any:
        """Run one check; a file it cannot even look at is that check's error, not the
        end of the report."""
        try:
            return check()
        except OSError as error:
            self.add(name, ERROR, "doctor.failed", "doctor.fix.dir_access", {},
                     path=str(error.filename or self.dir),
                     reason=error.strerror or str(error))
            return False

    # -- the environment ---------------------------------------------------------------
    def python(self) -> None:
        from importlib.metadata import PackageNotFoundError, version

        versions = []
        for package in ("textual", "tinydb", "rich", "python-dateutil"):
            try:
                versions.append(f"{package} {version(package)}")
            except PackageNotFoundError:
                versions.append(f"{package} ?")
        try:
            own = version("liaoning-archives-tracker")
        except PackageNotFoundError:
            own = "?"
        self.add("version", OK, "doctor.version.ok", version=own)
        found = ".".join(map(str, sys.version_info[:3]))  # >= 3.11: pip refuses older
        self.add("python", OK, "doctor.python.ok", version=found, executable=sys.executable,
                 packages=", ".join(versions))

    def terminal(self) -> None:
        term = self.env.get("TERM", "")
        if not term or term == "dumb":
            self.add("terminal", WARNING, "doctor.term.none", "doctor.fix.term",
                     term=term or "-")
        else:
            self.add("terminal", OK, "doctor.term.ok", term=term)
        names = ["LC_ALL", "LC_CTYPE", "LANG"]
        if (self.env.get("LC_CTYPE", "").startswith("C.") and not self.env.get("LC_ALL")
                and self.env.get("LANG", "C") in ("C", "POSIX")):
            # Python itself set LC_CTYPE=C.UTF-8 for a C locale (PEP 538): the terminal
            # and every other program still get LANG's C
            names.remove("LC_CTYPE")
        name, value = next(((n, self.env[n]) for n in names if self.env.get(n)),
                           ("LANG", ""))
        lang = self.env.get("LANG", "")
        if (name == "LC_CTYPE" and value in _COERCED and lang and
                lang not in ("C", "POSIX") and lang != value and not _locale_installed(lang)):
            # The locale as the user set it, not as Python coerced it: with LANG naming
            # a locale this server lacks, Python's start sets LC_CTYPE=C.UTF-8 (PEP 538)
            # in its own environment, which would read "ok" here.
            self.add("locale", WARNING, "doctor.locale.coerced", "doctor.fix.locale_missing",
                     {"value": lang}, name="LANG", value=lang, coerced=f"LC_CTYPE={value}")
            return self._colour()
        normalised = value.upper().replace("-", "")
        if "UTF8" not in normalised:
            self.add("locale", WARNING, "doctor.locale.not_utf8", "doctor.fix.locale",
                     name=name, value=value or "-")
        elif not _locale_installed(value):
            self.add("locale", WARNING, "doctor.locale.missing", "doctor.fix.locale_missing",
                     {"value": value}, name=name, value=value)
        else:
            self.add("locale", OK, "doctor.locale.ok", name=name, value=value)
        self._colour()

    def _colour(self) -> None:
        if "NO_COLOR" in self.env:
            self.add("colour", OK, "doctor.colour.no_color")
        elif not self.env.get("COLORTERM"):
            self.add("colour", OK, "doctor.colour.no_colorterm",
                     system=self.env.get("TEXTUAL_COLOR_SYSTEM", "-"))
        else:
            self.add("colour", OK, "doctor.colour.ok", colorterm=self.env["COLORTERM"])

    # -- the directory and files -------------------------------------------------------
    def directory(self) -> bool:
        """False when there is no directory to look into (the other checks are moot)."""
        path = str(self.dir)
        try:
            st = self.dir.stat()
        except FileNotFoundError:
            self.add("directory", ERROR, "doctor.dir.missing", "doctor.fix.dir_create",
                     {"path": path}, path=path)
            return False
        except OSError as error:
            self.add("directory", ERROR, "doctor.dir.unreadable", "doctor.fix.dir_access",
                     {"path": path}, path=path, reason=error.strerror)
            return False
        if not stat.S_ISDIR(st.st_mode):
            self.add("directory", ERROR, "doctor.dir.not_dir", None, path=path)
            return False
        mode = stat.S_IMODE(st.st_mode)
        common = {"path": path, "mode": _mode(st), "owner": _owner(st.st_uid),
                  "group": _group(st.st_gid)}
        self.shared = bool(mode & stat.S_IWGRP)
        self.dir_gid = st.st_gid
        found = False
        if mode & stat.S_IWOTH:
            self.add("directory", ERROR, "doctor.dir.world_writable", "doctor.fix.dir_others",
                     {"path": path}, **common)
            found = True
        elif mode & (stat.S_IROTH | stat.S_IXOTH):
            self.add("directory", WARNING, "doctor.dir.world_readable",
                     "doctor.fix.dir_others", {"path": path}, **common)
            found = True
        if not self.shared and not self.service:  # service mode: private by design
            self.add("directory", WARNING, "doctor.dir.not_shared", "doctor.fix.dir_share",
                     {"path": path}, **common)
            found = True
        elif self.shared and not mode & stat.S_ISGID:
            self.add("directory", WARNING, "doctor.dir.no_setgid", "doctor.fix.dir_setgid",
                     {"path": path}, **common)
            found = True
        if not os.access(self.dir, os.W_OK | os.X_OK):
            self.add("directory", ERROR, "doctor.dir.not_writable", "doctor.fix.dir_share",
                     {"path": path}, user=_owner(os.geteuid()), **common)
            found = True
        if not found:
            self.add("directory", OK, "doctor.service.dir_ok" if self.service and not
                     self.shared else "doctor.dir.ok", **common)
        return True

    def files(self) -> None:
        for path, required in ((self.db, True), (self.journal, True)):
            self._file(path, required=required, essential=True)
        if os.path.lexists(self.lock):  # an older tracker's lock file (the lock is the folder)
            self._file(self.lock, required=False, essential=True)
        if self.backups.is_symlink():
            self._file(self.backups, required=False, essential=False)
        elif self.backups.is_dir():
            self._file(self.backups, required=False, essential=False)
            try:
                inside = sorted(self.backups.iterdir())
            except OSError:
                inside = []  # the folder's own check says why
            for backup in inside:
                if backup.is_file() or backup.is_symlink():
                    self._file(backup, required=False, essential=False, quiet=True,
                               backup=True)

    def _file(self, path: Path, *, required: bool, essential: bool,
              quiet: bool = False, backup: bool = False) -> None:
        """``essential``: the state, journal and lock, which every colleague must be able
        to write (a fault there is an error); ``quiet``: say nothing when all is well;
        ``backup``: a file in the backups folder, which the group reads but never writes."""
        name = "files"
        try:
            st = path.lstat()
        except FileNotFoundError:
            if required:
                self.add(name, ERROR, "doctor.file.missing", "doctor.fix.file_missing",
                         {"db": str(self.db)}, path=str(path))
            else:
                self.add(name, OK, "doctor.file.not_yet", path=str(path))
            return
        mode = stat.S_IMODE(st.st_mode)
        common = {"path": str(path), "mode": _mode(st), "owner": _owner(st.st_uid),
                  "group": _group(st.st_gid)}
        folder = stat.S_ISDIR(st.st_mode)
        wanted = 0o070 if folder else 0o060
        found = False
        if stat.S_ISLNK(st.st_mode) or not (folder or stat.S_ISREG(st.st_mode)):
            self.add(name, ERROR, "doctor.file.not_regular", None, **common)
            return
        if not folder and st.st_nlink != 1:
            self.add(name, ERROR, "doctor.file.hard_link", "doctor.fix.hard_link",
                     {"path": str(path)}, links=st.st_nlink, **common)
            return
        with contextlib.suppress(OSError):
            if st.st_dev != self.dir.stat().st_dev:
                self.add(name, ERROR, "doctor.file.other_filesystem", None, **common)
                return
        if backup:
            wanted = 0o040
        if mode & stat.S_IWOTH:
            self.add(name, ERROR, "doctor.file.world_writable", "doctor.fix.file_others",
                     {"path": str(path)}, **common)
            found = True
        elif mode & stat.S_IROTH:
            self.add(name, WARNING, "doctor.file.world_readable", "doctor.fix.file_others",
                     {"path": str(path)}, **common)
            found = True
        if self.shared and mode & wanted != wanted:
            self.add(name, ERROR if essential else WARNING, "doctor.file.group_cannot_write",
                     "doctor.fix.file_group_mode", {"path": str(path)}, **common)
            found = True
        if self.shared and st.st_gid != self.dir_gid:
            self.add(name, ERROR if essential else WARNING, "doctor.file.other_group",
                     "doctor.fix.file_group", {"path": str(path),
                                               "group": _group(self.dir_gid)},
                     expected=_group(self.dir_gid), **common)
            found = True
        if not os.access(path, os.R_OK):
            self.add(name, ERROR, "doctor.file.unreadable_by_you", "doctor.fix.file_access",
                     {"path": str(path), "group": common["group"]}, user=_owner(os.geteuid()),
                     **common)
            found = True
        elif essential and not os.access(path, os.W_OK):
            self.add(name, WARNING, "doctor.file.read_only_for_you", "doctor.fix.file_access",
                     {"path": str(path), "group": common["group"]}, user=_owner(os.geteuid()),
                     **common)
            found = True
        if not found and not quiet:
            self.add(name, OK, "doctor.file.ok", **common)

    # -- the filesystem, the lock, the space -----------------------------------------------
    def filesystem(self) -> None:
        fstype, mount = filesystem_of(self.dir)
        try:
            read_only = bool(os.statvfs(self.dir).f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        if read_only:
            self.add("filesystem", ERROR, "doctor.fs.read_only", "doctor.fix.fs_read_only",
                     {"mount": mount}, type=fstype, mount=mount)
        elif fstype in NETWORK_FILESYSTEMS or fstype.startswith("nfs"):
            self.add("filesystem", WARNING, "doctor.fs.network", "doctor.fix.fs_network",
                     type=fstype, mount=mount)
        else:
            self.add("filesystem", OK, "doctor.fs.ok", type=fstype, mount=mount)

    def locking(self) -> None:
        try:
            with self._lock_target() as target:
                if target is None:
                    self.add("lock", WARNING, "doctor.lock.untested", "doctor.fix.dir_share",
                             {"path": str(self.dir)}, path=str(self.lock))
                    return
                self._probe(target)
        except OSError as error:
            group = "-"
            with contextlib.suppress(OSError):
                group = _group(self.lock.stat().st_gid)
            self.add("lock", ERROR, "doctor.lock.cannot_open", "doctor.fix.file_access",
                     {"path": str(self.lock), "group": group}, path=str(self.lock),
                     reason=error.strerror or str(error))

    @contextlib.contextmanager
    def _lock_target(self) -> Iterator[Path | None]:
        """What the store locks: the database's folder itself (storage.lock)."""
        yield self.dir

    def _probe(self, target: Path) -> None:
        fd = _open_for_lock(target)
        try:
            deadline = time.monotonic() + LOCK_WAIT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        self.add("lock", WARNING, "doctor.lock.busy", "doctor.fix.lock_busy",
                                 path=str(target), seconds=int(LOCK_WAIT))
                        return
                    time.sleep(0.01)
                except OSError as error:
                    self.add("lock", ERROR, "doctor.lock.unsupported", "doctor.fix.fs_network",
                             path=str(target), reason=error.strerror or str(error))
                    return
            try:
                while_held = probe_lock(target)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            after = probe_lock(target)
        finally:
            os.close(fd)
        if while_held == "blocked" and after == "acquired":
            self.add("lock", OK, "doctor.lock.ok", path=str(target))
        elif while_held == "acquired":
            self.add("lock", ERROR, "doctor.lock.not_exclusive", "doctor.fix.fs_network",
                     path=str(target))
        elif after == "blocked":
            self.add("lock", ERROR, "doctor.lock.stuck", "doctor.fix.lock_busy",
                     path=str(target))
        else:
            self.add("lock", ERROR, "doctor.lock.unsupported", "doctor.fix.fs_network",
                     path=str(target), reason=f"{while_held}; {after}")

    def _sizes(self) -> tuple[int, int, int]:
        def size(path: Path) -> int:
            try:
                return path.stat().st_size
            except OSError:
                return 0

        backups = 0
        if self.backups.is_dir():
            with contextlib.suppress(OSError):
                backups = sum(size(p) for p in self.backups.iterdir())
        return size(self.db), size(self.journal), backups

    def space(self) -> None:
        state, journal, backups = self._sizes()
        total = state + journal + backups
        try:
            vfs = os.statvfs(self.dir)
        except OSError as error:
            self.add("space", WARNING, "doctor.space.unknown", None, path=str(self.dir),
                     reason=error.strerror)
            return
        free = vfs.f_bavail * vfs.f_frsize
        params = {"free": _size(free), "total": _size(total), "state": _size(state),
                  "journal": _size(journal), "backups": _size(backups), "path": str(self.dir)}
        if vfs.f_files and not vfs.f_favail:
            self.add("space", ERROR, "doctor.space.no_inodes", "doctor.fix.space", **params)
        elif free < max(total, 2 * state) or free == 0:
            # a write needs room for a second copy of the state (the temp file), an
            # automatic backup another; the nightly job copies state and journal
            self.add("space", ERROR, "doctor.space.full", "doctor.fix.space", **params)
        elif free < SPACE_HEADROOM * total:
            self.add("space", WARNING, "doctor.space.low", "doctor.fix.space", **params)
        else:
            self.add("space", OK, "doctor.space.ok", **params)

    def backup_age(self) -> None:
        found: list[tuple[float, Path]] = []
        if self.backups.is_dir():
            with contextlib.suppress(OSError):
                for path in self.backups.iterdir():
                    if path.suffix == ".json" and path.is_file():
                        found.append((path.stat().st_mtime, path))
        if not found:
            self.add("backups", WARNING, "doctor.backups.none", "doctor.fix.backups",
                     path=str(self.backups))
            return
        newest, path = max(found)
        hours = max(0.0, (self.now - newest) / 3600)
        age = f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} d"
        if hours > BACKUP_MAX_AGE_HOURS:
            self.add("backups", WARNING, "doctor.backups.old", "doctor.fix.backups",
                     count=len(found), newest=path.name, age=age,
                     hours=BACKUP_MAX_AGE_HOURS)
        else:
            self.add("backups", OK, "doctor.backups.ok", count=len(found), newest=path.name,
                     age=age)

    def temp_files(self) -> None:
        """Temp files that writers killed mid-write left (the next writer removes them)."""
        from tracker.storage.files import stale_temp_files

        found = [self.dir / n for n in stale_temp_files(self.dir, self.now)]
        if self.backups.is_dir() and not self.backups.is_symlink():
            found += [self.backups / n for n in stale_temp_files(self.backups, self.now)]
        if found:
            self.add("temp", WARNING, "doctor.temp.found", "doctor.fix.temp",
                     count=len(found), first=str(found[0]))

    def history_times(self) -> None:
        """Events dated in the future, or more than a day after the event that follows
        them (a writer's clock that was wrong): reported, not changed."""
        from tracker.storage.store import Store

        if not self.journal.exists():
            return
        try:
            findings = Store(self.db).time_findings()
        except StorageError:
            return  # the database check says what is wrong
        for finding in findings:
            self.add("history", WARNING, finding.key, "doctor.fix.clock", **finding.params)

    # -- the database itself -----------------------------------------------------------------
    def database(self) -> None:
        from tracker.storage.store import Store, _NeedsMigration

        if not self.db.exists() and not self.journal.exists():
            return  # the missing files are reported already (or the directory is)
        try:
            store = Store(self.db)
            tables = store.storage.read()
            try:
                store._check_schema(tables)  # type: ignore[arg-type]
            except _NeedsMigration as need:
                self.add("database", WARNING, "doctor.db.old_schema", "doctor.fix.old_schema",
                         found=need.schema)
                return
            view = store.view()
        except StorageError as error:
            self.add("database", ERROR, "doctor.db.broken", "doctor.fix.db_broken",
                     {"db": str(self.db)}, reason=error.message)
            return
        head = view.head
        self.add("database", OK, "doctor.db.ok", events=head.get("seq", 0),
                 tasks=len(view.tables["tasks"]), last=head.get("ts") or "-")


# -- service mode (docs/deploy.md): the files are the service account's alone ---------------
def is_service_mode() -> bool:
    """This account serves the tracker through sshd: its authorized_keys has lines that
    force `tracker shell NAME`."""
    from tracker.storage.keys import default_keys_path, list_keys

    try:
        return bool(list_keys(default_keys_path()))
    except (StorageError, OSError):
        return False


def service_checks(db: Path) -> list[Check]:
    """The checks of service mode, each on its own: who owns the files, their modes,
    the authorized_keys lines, and who else is in the service account's group."""
    from tracker.storage.keys import default_keys_path

    keys = default_keys_path()
    checks: list[Check] = []
    for check in (service_owner, service_modes, service_keys, service_group):
        try:
            checks.append(check(db, keys))
        except OSError as error:
            checks.append(Check("service", ERROR, "doctor.failed", {
                "path": str(error.filename or db.parent),
                "reason": error.strerror or str(error)}, "doctor.fix.dir_access", {}))
    return checks


def _service_paths(db: Path, keys: Path) -> list[Path]:
    """The database's files and folders, then the ssh files sshd checks (StrictModes)."""
    paths = [db.parent, db, db.with_name(db.name + ".history"),
             db.with_name(db.name + ".lock")]
    backups = db.with_name(db.name + ".backups")
    if backups.is_dir():
        paths.append(backups)
        paths.extend(sorted(p for p in backups.iterdir()))
    paths.extend([keys.parent, keys])
    return [p for p in paths if os.path.lexists(p)]


def service_owner(db: Path, keys: Path) -> Check:
    """Every file is the service account's (the account running doctor)."""
    me = os.geteuid()
    for path in _service_paths(db, keys):
        st = path.lstat()
        if st.st_uid != me:
            return Check("service-owner", ERROR, "doctor.service.owner",
                         {"path": str(path), "owner": _owner(st.st_uid), "service": _owner(me)},
                         "doctor.fix.service_owner", {"service": _owner(me),
                                                      "path": str(db.parent)})
    return Check("service-owner", OK, "doctor.service.owner_ok", {"service": _owner(me)})


def service_modes(db: Path, keys: Path) -> Check:
    """The database folder 0700 (an error otherwise: others could enter), its files
    and the ssh files 0600 / 0700 (a warning: the closed folder still protects them)."""
    folder = db.parent
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        return Check("service-modes", ERROR, "doctor.service.dir_mode",
                     {"path": str(folder), "mode": f"{mode:04o}"}, "doctor.fix.service_chmod",
                     {"path": str(folder)})
    for path in _service_paths(db, keys):
        st = path.lstat()
        if stat.S_IMODE(st.st_mode) & 0o077 or stat.S_ISLNK(st.st_mode):
            return Check("service-modes", WARNING, "doctor.service.file_mode",
                         {"path": str(path), "mode": _mode(st)}, "doctor.fix.service_chmod",
                         {"path": str(folder)})
    return Check("service-modes", OK, "doctor.service.modes_ok", {"path": str(folder)})


def service_keys(db: Path, keys: Path) -> Check:
    """Every key line of authorized_keys forces a command and carries ``restrict``: a
    line without would give its key holder a shell as the service account."""
    from tracker.storage.keys import file_lines, line_options, read_text

    count = 0
    for number, text in enumerate(file_lines(read_text(keys)), start=1):
        options = line_options(text)
        if options is None:
            continue
        count += 1
        names = {option.split("=", 1)[0].lower() for option in options}
        if "command" not in names or "restrict" not in names:
            return Check("service-keys", ERROR, "doctor.service.key_unforced",
                         {"path": str(keys), "line": number}, "doctor.fix.service_key",
                         {"path": str(keys), "line": number})
    return Check("service-keys", OK, "doctor.service.keys_ok", {"path": str(keys),
                                                                "count": count})


def service_group(db: Path, keys: Path) -> Check:
    """No other account in the service account's group (or the database folder's): one
    `chmod g+rwx` away from the files."""
    me = os.geteuid()
    name = _owner(me)
    gids = {pwd.getpwuid(me).pw_gid, db.parent.stat().st_gid}
    others: set[str] = set()
    for gid in gids:
        with contextlib.suppress(KeyError):
            others.update(grp.getgrgid(gid).gr_mem)
        others.update(p.pw_name for p in pwd.getpwall() if p.pw_gid == gid)
    others.discard(name)
    if others:
        return Check("service-group", WARNING, "doctor.service.group_members",
                     {"group": ", ".join(sorted(_group(g) for g in gids)),
                      "accounts": ", ".join(sorted(others))},
                     "doctor.fix.service_group", {"group": _group(pwd.getpwuid(me).pw_gid)})
    return Check("service-group", OK, "doctor.service.group_ok",
                 {"group": ", ".join(sorted(_group(g) for g in gids))})


# -- helpers, module level so that tests can reach them ---------------------------------------
def _open_for_lock(path: Path) -> int:
    """Open as the store does: read-only (flock does not need more)."""
    return os.open(path, os.O_RDONLY | os.O_CLOEXEC)


_PROBE = """\
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    print("blocked")
except OSError as error:
    print("error: %s" % error.strerror)
else:
    print("acquired")
"""


def probe_command(path: Path) -> list[str]:
    """A second, separate process that tries to take the lock without waiting."""
    return [sys.executable, "-I", "-c", _PROBE, str(path)]


def probe_lock(path: Path) -> str:
    """'blocked', 'acquired' or 'error: ...': what a second process gets."""
    try:
        result = subprocess.run(probe_command(path), capture_output=True, text=True,
                                timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"error: {error}"
    return result.stdout.strip() or f"error: {result.stderr.strip()[-200:]}"


def filesystem_of(path: Path, mounts: str | None = None) -> tuple[str, str]:
    """(type, mount point) of the filesystem holding ``path``, from /proc/self/mounts."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "?", "?"
    target = os.path.realpath(path)
    best = ("?", "?")
    best_len = -1
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= best_len:  # the last mount on a point wins
            best, best_len = (parts[2], point), len(point)
    return best


_COERCED = ("C.UTF-8", "C.utf8", "UTF-8")  # what PEP 538 sets LC_CTYPE to


def _locale_installed(value: str) -> bool:
    previous = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, value)
    except locale.Error:
        return False
    finally:
        locale.setlocale(locale.LC_CTYPE, previous)
    return True


def run_checks(db: Path, environ: Mapping[str, str] | None = None) -> list[Check]:
    return Doctor(db, environ).run()


# -- output ---------------------------------------------------------------------------------
