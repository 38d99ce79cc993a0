"""Attachments: the documents counties send as evidence, stored once each, named by
their SHA-256, in the folder ``PATH.attachments/`` beside database ``PATH``.

The same safety rules as the database's other files (tracker.storage.files): the folder
is opened once, refused if it is a symlink or on another filesystem, and every file in it
is created and opened relative to that descriptor with ``O_NOFOLLOW``; a new file is
written to a temp file created ``O_EXCL``, fsynced, renamed to its hash and the folder
fsynced. A stored file is never written again (its name is its content): its mode is the
database file's read bits (0440 beside a 0660 database, 0400 beside a 0600 one).

The tracker never opens, renders or runs an attachment: it reads its bytes only to hash
them and to hand them back (`tracker attachment get`)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from tracker.domain.errors import InvalidEdit, NotFoundError, StorageError
from tracker.storage.files import (
    NOFOLLOW,
    describe_os_error,
    exists_in,
    open_backups,
    open_checked,
    shown_path,
)

CHUNK = 1 << 20


class Stored(NamedTuple):
    """A file as stored: its hash, size and media type, and whether this call created
    it (False: the same bytes were already there)."""

    sha256: str
    size: int
    media_type: str
    created: bool


def folder_of(db: Path) -> Path:
    return db.with_name(db.name + ".attachments")


def media_type(name: str) -> str:
    """The media type a file's name suggests (the tracker never looks inside)."""
    import mimetypes

    return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"


def _mode(db: Path) -> int:
    """The database file's read bits (never write: a stored file does not change)."""
    try:
        return (stat.S_IMODE(os.stat(db).st_mode) & 0o444) | 0o400
    except OSError:
        return 0o400


def store(db: Path, source: IO[bytes], name: str, limit: int, limit_mb: int) -> Stored:
    """Copy ``source`` into the attachments folder, named by its SHA-256. More than
    ``limit`` bytes is refused, naming the limit (nothing is kept)."""
    folder = folder_of(db)
    fd = open_backups(folder)
    try:
        tmp = f".{os.urandom(4).hex()}.{os.urandom(4).hex()}.tmp"
        try:
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600,
                          dir_fd=fd)
        except OSError as error:
            raise StorageError("db.write_failed", path=shown_path(folder),
                               reason=describe_os_error(error)) from None
        digest, size = hashlib.sha256(), 0
        try:
            try:
                with os.fdopen(out, "wb", closefd=True) as handle:
                    while True:
                        chunk = source.read(CHUNK)
                        if not chunk:
                            break
                        size += len(chunk)
                        if size > limit:
                            raise InvalidEdit("attach.too_large", name=name, size=size,
                                              limit=limit_mb)
                        digest.update(chunk)
                        handle.write(chunk)
                    handle.flush()
                    os.fchmod(handle.fileno(), _mode(db))
                    os.fsync(handle.fileno())
                sha = digest.hexdigest()
                created = not exists_in(fd, sha)
                if created:
                    os.rename(tmp, sha, src_dir_fd=fd, dst_dir_fd=fd)
                else:
                    os.unlink(tmp, dir_fd=fd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=fd)
                raise
        except OSError as error:
            raise StorageError("db.write_failed", path=shown_path(folder),
                               reason=describe_os_error(error)) from None
        with contextlib.suppress(OSError):
            os.fsync(fd)
        return Stored(sha, size, media_type(name), created)
    finally:
        os.close(fd)


def open_source(path: str | Path) -> IO[bytes]:
    """A user's own file to attach, opened for reading: a regular file (a folder, a fifo
    or a device is refused), never run or rendered. UsageError naming it otherwise."""
    from tracker.domain.errors import UsageError

    shown = shown_path(path)
    try:
        fd = os.open(os.path.expanduser(str(path)), os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as error:
        raise UsageError("attach.unreadable", path=shown,
                         reason=error.strerror or str(error)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError("attach.not_file", path=shown)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


def remove(db: Path, sha256: str) -> None:
    """Take back a file this process just stored, whose record was refused."""
    with contextlib.suppress(OSError, StorageError):
        fd = open_backups(folder_of(db))
        try:
            os.unlink(sha256, dir_fd=fd)
        finally:
            os.close(fd)


def _open(db: Path, sha256: str) -> int:
    folder = folder_of(db)
    if not os.path.isdir(folder) or os.path.islink(folder):
        raise FileNotFoundError(sha256)
    dir_fd = open_checked(folder, os.O_RDONLY, directory=True)
    try:
        return open_checked(folder / sha256, os.O_RDONLY, dir_fd=dir_fd, name=sha256)
    finally:
        os.close(dir_fd)


def read_chunks(db: Path, sha256: str) -> Iterator[bytes]:
    """A stored file's bytes, checked against its hash as they are read: a file that
    does not match is refused (StorageError ``attach.changed``) at its end, so that a
    caller writing to a file discards what it wrote."""
    try:
        fd = _open(db, sha256)
    except FileNotFoundError:
        raise NotFoundError("attach.missing", sha=sha256,
                            path=shown_path(folder_of(db) / sha256)) from None
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb", closefd=True) as handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            digest.update(chunk)
            yield chunk
    if digest.hexdigest() != sha256:
        raise StorageError("attach.changed", sha=sha256,
                           path=shown_path(folder_of(db) / sha256))


def check(db: Path, records: Iterable[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """For `verify`: each recorded attachment that is missing or whose bytes no longer
    hash to its name (catalog key, parameters)."""
    found: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, str | None] = {}
    for event in records:
        sha = str(event["new"].get("sha256"))
        if sha not in seen:
            seen[sha] = _problem(db, sha)
        if seen[sha]:
            found.append((f"verify.attachment_{seen[sha]}",
                          {"seq": event.get("seq"), "task": event.get("task"), "sha": sha,
                           "name": event["new"].get("name")}))
    return found


def _problem(db: Path, sha: str) -> str | None:
    try:
        for _chunk in read_chunks(db, sha):
            pass
    except NotFoundError:
        return "missing"
    except StorageError as error:
        return "changed" if error.key == "attach.changed" else "unsafe"
    except OSError:
        return "unsafe"
    return None
