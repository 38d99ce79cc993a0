"""Small file operations the store relies on for atomicity and shared permissions."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from tracker.errors import StorageError
from tracker.i18n import _


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_file_mode(path: Path) -> tuple[int, int | None]:
    """Mode (and group) for a file replacing ``path``: the existing file's, never looser;
    for a new file, read-write for owner and group as the umask allows (the directory's
    setgid bit, if set, gives it the shared group)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask, None
    return stat.S_IMODE(st.st_mode), st.st_gid


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


def atomic_write(path: Path, chunks: list[bytes] | bytes) -> os.stat_result:
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

    digest = hashlib.sha256(data).hexdigest()
    checksum = path.with_name(path.name + ".sha256")
    atomic_write(path, data)
    atomic_write(checksum, f"{digest}  {path.name}\n".encode())
    return digest, checksum
