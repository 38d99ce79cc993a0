"""Small file operations the store relies on for atomicity and shared permissions."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from tracker.domain.errors import StorageError
from tracker.domain.text import clean_text
from tracker.i18n import _

# Every file of a database is opened without following a symlink at its last component
# (a colleague who can write the folder could plant one pointing at another account's
# file), and checked once open: see :func:`open_checked`.
NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC
TEMP_MAX_AGE = 300.0  # seconds: a temp file older than this is a dead writer's


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_umask() -> int:
    """The process's umask, read without changing it (``os.umask`` sets it, which races
    with the app's threads creating files); the set-and-restore only where /proc lacks it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def shared_mode(directory: Path, full: int) -> int:
    """Permission bits for a new file (``full`` = 0o666) or folder (0o777) in ``directory``.

    The umask decides, except where the directory says otherwise: in a group-writable
    directory (a shared one, 2770) the group gets read and write, whatever the umask of
    whoever happens to create the file, or colleagues could not append to the journal
    or take the lock; in a directory that others cannot enter, others get nothing."""
    mode = full & ~current_umask()
    try:
        dir_mode = stat.S_IMODE(directory.stat().st_mode)
    except OSError:
        return mode
    if dir_mode & stat.S_IWGRP:
        mode |= full & 0o070
    if not dir_mode & stat.S_IXOTH:
        mode &= ~0o007
    return mode


def new_file_mode(path: Path) -> tuple[int, int | None]:
    """Mode (and group) for a file replacing ``path``: the existing file's, never looser
    (nor tighter); for a new file, :func:`shared_mode` of its directory (whose setgid
    bit, if set, gives the file the directory's group: the kernel does that)."""
    try:
        st = path.lstat()  # a symlink there is replaced by the rename, never followed
    except FileNotFoundError:
        return shared_mode(path.parent, 0o666), None
    if not stat.S_ISREG(st.st_mode):
        return shared_mode(path.parent, 0o666), None
    return stat.S_IMODE(st.st_mode), st.st_gid


def open_shared(path: Path, flags: int) -> int:
    """``os.open`` that creates a missing file with :func:`shared_mode` (``os.open``'s own
    mode argument goes through the umask); an existing file keeps its mode."""
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return os.open(path, flags | os.O_CLOEXEC)
    try:
        os.fchmod(fd, shared_mode(path.parent, 0o666))
    except OSError:
        os.close(fd)
        raise
    return fd


def make_shared_dir(path: Path) -> None:
    """Create folder ``path`` (if missing) with :func:`shared_mode` of its parent, keeping
    the setgid bit the kernel gives it in a setgid parent (so files in it get the group)."""
    try:
        path.mkdir()
    except FileExistsError:
        if path.is_dir():
            return
        raise
    mode = shared_mode(path.parent, 0o777) | (stat.S_IMODE(path.stat().st_mode) & stat.S_ISGID)
    os.chmod(path, mode)


_OS_ERRORS = {
    errno.ENOSPC: "oserr.no_space",
    errno.EDQUOT: "oserr.quota",
    errno.EROFS: "oserr.read_only",
    errno.EACCES: "oserr.permission",
    errno.EPERM: "oserr.permission",
}


def describe_os_error(error: OSError) -> str:
    """The reason for a failed file operation, in the user's language."""
    key = _OS_ERRORS.get(error.errno or 0)
    return _(key) if key else (error.strerror or str(error))


def atomic_write(path: Path, chunks: Sequence[bytes | memoryview] | bytes) -> os.stat_result:
    """Replace ``path`` with ``chunks``: temp file in the same directory, fsync, rename,
    fsync the directory. Readers see the old or the new file, never a mix; after a crash
    the old or the new content is there. Returns the new file's stat."""
    directory = path.parent
    mode, gid = new_file_mode(path)
    try:
        # What tempfile.mkstemp does, without importing it (a one-shot edit's start-up).
        tmp = str(directory / f".{path.name}.{os.urandom(4).hex()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as error:
        raise StorageError("db.write_failed", path=str(path),
                           reason=describe_os_error(error)) from None
    try:
        try:
            with os.fdopen(fd, "wb", closefd=True) as handle:
                if isinstance(chunks, bytes):
                    handle.write(chunks)
                else:
                    handle.writelines(chunks)
                handle.flush()
                os.fchmod(handle.fileno(), mode)
                if gid is not None and gid != os.fstat(handle.fileno()).st_gid:
                    with contextlib.suppress(PermissionError):
                        os.fchown(handle.fileno(), -1, gid)
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as error:
        raise StorageError("db.write_failed", path=str(path),
                           reason=describe_os_error(error)) from None
    # The new file is in place: from here on the write has happened, whatever follows.
    with contextlib.suppress(OSError):
        fsync_dir(directory)
    return os.stat(path)


def write_with_checksum(path: Path, data: bytes) -> tuple[str, Path]:
    """Write ``data`` to ``path`` and its SHA-256 to ``PATH.sha256`` beside it (in the
    ``sha256sum`` format, so ``sha256sum -c`` checks it), both atomically. Returns the
    hex digest and the checksum file's path."""
    import hashlib
    import threading

    # Hashing and writing both let go of the GIL: the digest is taken on a second core
    # while the file is written and synced (-5 ms for a 6 MB export).
    digests: list[str] = []
    hashing = threading.Thread(target=lambda: digests.append(hashlib.sha256(data).hexdigest()))
    hashing.start()
    try:
        atomic_write(path, data)
    finally:
        hashing.join()
    digest = digests[0]
    checksum = path.with_name(path.name + ".sha256")
    atomic_write(checksum, f"{digest}  {path.name}\n".encode())
    return digest, checksum


def shown_path(path: Path | str) -> str:
    """A path as it may be echoed to a terminal: without control characters."""
    return clean_text(str(path), single_line=True)


def _refuse(path: Path, reason: str) -> StorageError:
    return StorageError("db.unsafe_file", path=shown_path(path), reason=_(reason))


def check_fd(fd: int, path: Path, *, directory: bool = False,
             device: int | None = None) -> os.stat_result:
    """``fstat`` of a database file just opened: a regular file with one link (a folder
    for ``directory``), on the database's filesystem (``device``). Anything else (a hard
    link to someone's file, a fifo, a device, a mount from elsewhere) is refused."""
    st = os.fstat(fd)
    if directory:
        if not stat.S_ISDIR(st.st_mode):
            raise _refuse(path, "unsafe.not_directory")
    else:
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(path, "unsafe.not_regular")
        if st.st_nlink == 0:  # removed (or renamed over) since it was opened: gone
            raise FileNotFoundError(errno.ENOENT, "removed while it was opened", str(path))
        if st.st_nlink != 1:
            raise _refuse(path, "unsafe.hard_link")
    if device is not None and st.st_dev != device:
        raise _refuse(path, "unsafe.other_filesystem")
    return st


def database_device(path: Path) -> int | None:
    """The filesystem of the folder that holds database file ``path`` (None: no folder)."""
    try:
        return os.stat(path.parent).st_dev
    except OSError:
        return None


def open_checked(path: Path, flags: int, *, create: bool = False,
                 directory: bool = False, mode: int | None = None,
                 dir_fd: int | None = None, name: str | None = None,
                 _retries: int = 3) -> int:
    """Open a database file (or folder) safely: ``O_NOFOLLOW`` (a symlink is refused),
    created with ``O_EXCL`` when ``create`` and missing (with :func:`shared_mode` of its
    folder, or ``mode``), then :func:`check_fd`. ``dir_fd``/``name``: relative to an open
    folder (the backups folder, checked once). Raises StorageError ``db.unsafe_file``
    naming the path for what is not safe; other OSErrors propagate."""
    # O_NONBLOCK: a fifo planted there must not hang the open (it is refused below);
    # cleared once the file is known to be a regular one.
    flags |= NOFOLLOW | os.O_NONBLOCK | (os.O_DIRECTORY if directory else 0)
    target: str | Path = name if name is not None else path
    fd = -1
    if create:
        try:
            fd = os.open(target, flags | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=dir_fd)
        except FileExistsError:
            fd = -1
        else:
            try:
                os.fchmod(fd, mode if mode is not None else shared_mode(path.parent, 0o666))
            except OSError:
                os.close(fd)
                raise
    if fd < 0:
        try:
            fd = os.open(target, flags, dir_fd=dir_fd)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise _refuse(path, "unsafe.symlink") from None
            if error.errno == errno.ENOTDIR and directory:
                raise _refuse(path, "unsafe.not_directory") from None
            if error.errno in (errno.ENXIO, errno.EISDIR) and not directory:
                raise _refuse(path, "unsafe.not_regular") from None  # a fifo, a folder
            raise
    try:
        device = None if directory else _device_of(path, dir_fd)
        check_fd(fd, path, directory=directory, device=device)
        os.set_blocking(fd, True)
    except FileNotFoundError:
        os.close(fd)
        if not _retries:
            raise
        # Removed or replaced (an atomic rename) between our open and our fstat: not a
        # hard link, just gone. Open what is at the path now (FileNotFoundError if none).
        return open_checked(path, flags, create=create, mode=mode, dir_fd=dir_fd,
                            name=name, _retries=_retries - 1)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _device_of(path: Path, dir_fd: int | None) -> int | None:
    if dir_fd is not None:
        return os.fstat(dir_fd).st_dev
    return database_device(path)


def private_mode(directory: Path) -> int:
    """Mode for a backup or temp copy in ``directory``: what :func:`shared_mode` gives,
    never writable by group or others (0600, or 0640 where the group may read)."""
    return shared_mode(directory, 0o666) & ~0o033 & ~0o004


def open_backups(path: Path) -> int:
    """A descriptor of the backups folder ``path``, created if missing: a real folder
    (not a symlink) on the database's filesystem. Files in it are then written and
    removed relative to that descriptor, so a folder swapped for a symlink after the
    check is never written through."""
    with contextlib.suppress(FileExistsError):  # not a folder: refused below
        make_shared_dir(path)
    fd = open_checked(path, os.O_RDONLY, directory=True)
    try:
        st = os.fstat(fd)
        device = database_device(path)
        if device is not None and st.st_dev != device:
            raise _refuse(path, "unsafe.other_filesystem")
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_in(dir_fd: int, folder: Path, name: str, data: bytes, *, mode: int) -> None:
    """Write file ``name`` in the open folder ``dir_fd`` atomically (temp file created
    ``O_EXCL``, fsync, rename, fsync of the folder), with ``mode``. A StorageError
    ``db.write_failed`` on failure; the temp file is removed."""
    tmp = f".{name}.{os.urandom(4).hex()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600,
                     dir_fd=dir_fd)
    except OSError as error:
        raise StorageError("db.write_failed", path=shown_path(folder / name),
                           reason=describe_os_error(error)) from None
    try:
        try:
            with os.fdopen(fd, "wb", closefd=True) as handle:
                handle.write(data)
                handle.flush()
                os.fchmod(handle.fileno(), mode)
                os.fsync(handle.fileno())
            os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise
    except OSError as error:
        raise StorageError("db.write_failed", path=shown_path(folder / name),
                           reason=describe_os_error(error)) from None
    with contextlib.suppress(OSError):
        os.fsync(dir_fd)


def exists_in(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def stale_temp_files(folder: Path | int, now: float, max_age: float = TEMP_MAX_AGE,
                     ) -> list[str]:
    """Names of the temp files (``.NAME.XXXXXXXX.tmp``, as :func:`atomic_write` and
    :func:`write_in` make them) in ``folder`` (a path or an open folder's descriptor)
    older than ``max_age`` seconds: a writer that died left them."""
    import re

    pattern = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if pattern.fullmatch(entry.name):
                with contextlib.suppress(OSError):
                    st = entry.stat(follow_symlinks=False)
                    if now - st.st_mtime > max_age:
                        found.append(entry.name)
    return sorted(found)
