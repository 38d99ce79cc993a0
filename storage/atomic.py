"""A TinyDB storage that is safe to share between processes.

TinyDB's JSONStorage keeps one handle open and overwrites the file in place, so a crash
mid-write leaves a torn file and a process that stays open keeps reading a replaced
inode. This storage instead:

* opens the path on every read that matters, and reuses its parsed copy only while the
  file is the same (inode, size, mtime);
* writes by atomic replace (``storage.files.atomic_write``);
* writes one document per line and remembers each document's serialised line with the
  document's ``version``, so that a write re-encodes only the documents that changed.
  Every document the tracker changes gets a new ``version`` (see tracker.events), which
  is what makes that cache sound; a document without ``version`` is always re-encoded.

Locking is the Store's job: it calls ``read``/``write`` while holding the lock.
"""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from storage.files import atomic_write, describe_os_error
from tracker.errors import StorageError

Tables = dict[str, dict[str, dict[str, Any]]]

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def load_json(path: Path) -> tuple[Any, str, os.stat_result]:
    """Read and parse ``path`` with the garbage collector paused (a large document
    otherwise spends as long again in GC). Raises StorageError with a one-line reason."""
    try:
        with open(path, "rb") as handle:
            st = os.fstat(handle.fileno())
            raw = handle.read()
    except FileNotFoundError:
        raise StorageError("db.missing", path=str(path)) from None
    except IsADirectoryError:
        raise StorageError("db.is_directory", path=str(path)) from None
    except OSError as error:
        raise StorageError("db.unreadable", path=str(path),
                           reason=describe_os_error(error)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StorageError("db.not_utf8", path=str(path), offset=error.start) from None
    enabled = gc.isenabled()
    gc.disable()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        if not text.strip():
            raise StorageError("db.empty", path=str(path)) from None
        raise StorageError("db.corrupt", path=str(path), line=error.lineno, column=error.colno,
                           reason=error.msg) from None
    finally:
        if enabled:
            gc.enable()
    return data, text, st


class AtomicJSONStorage(Storage):
    """TinyDB storage: atomic replace, per-document encode cache, reread on change."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._data: Tables | None = None
        self._key: tuple[int, int, int, int] | None = None
        self._lines: dict[tuple[str, str], tuple[int, str]] = {}

    # -- reading -----------------------------------------------------------------------
    def is_current(self) -> bool:
        """Whether the cached copy is still what is on disk (one stat call)."""
        if self._key is None:
            return False
        try:
            return _stat_key(os.stat(self.path)) == self._key
        except OSError:
            return False

    def read(self) -> Tables | None:
        if self._data is not None and self.is_current():
            return self._data
        data, text, st = load_json(self.path)
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise StorageError("db.not_tracker", path=str(self.path))
        self._data = data
        self._key = _stat_key(st)
        self._lines = self._index_lines(text, data)
        return data

    @staticmethod
    def _index_lines(text: str, data: Tables) -> dict[tuple[str, str], tuple[int, str]]:
        """Map each document written one-per-line by ``write`` to its line, so that an
        unchanged document need not be encoded again."""
        lines: dict[tuple[str, str], tuple[int, str]] = {}
        table: str | None = None
        for line in text.split("\n"):
            if line.endswith(":{") and line.startswith('"'):
                table = line[1:-3]
                continue
            if table is None or not line.startswith('"'):
                continue
            quote = line.find('"', 1)
            doc_id = line[1:quote]
            body = line[quote + 2:]
            if body.endswith(","):
                body = body[:-1]
            doc = data.get(table, {}).get(doc_id)
            if isinstance(doc, dict) and isinstance(doc.get("version"), int):
                lines[(table, doc_id)] = (doc["version"], body)
        return lines

    # -- writing -----------------------------------------------------------------------
    def encode(self, data: Tables) -> bytes:
        parts: list[str] = ["{\n"]
        cache = self._lines
        fresh: dict[tuple[str, str], tuple[int, str]] = {}
        for t_number, (table, docs) in enumerate(data.items()):
            parts.append(f"{_encode(table)}:{{\n")
            last = len(docs) - 1
            for d_number, (doc_id, doc) in enumerate(docs.items()):
                version = doc.get("version")
                cached = cache.get((table, doc_id))
                body = cached[1] if cached is not None and cached[0] == version else _encode(doc)
                if isinstance(version, int):
                    fresh[(table, doc_id)] = (version, body)
                parts.append(f"{_encode(doc_id)}:{body}{',' if d_number < last else ''}\n")
            parts.append("}\n" if t_number == len(data) - 1 else "},\n")
        parts.append("}\n")
        self._lines = fresh
        return "".join(parts).encode("utf-8")

    def write(self, data: Tables) -> None:
        try:
            st = atomic_write(self.path, self.encode(data))
        except BaseException:
            self.forget()
            raise
        self._data = data
        self._key = _stat_key(st)

    def drop_line_cache(self) -> None:
        """Encode every document afresh on the next write (after documents were replaced
        wholesale, as by init or a migration, whose versions start again)."""
        self._lines = {}

    def forget(self) -> None:
        """Drop the cached copy (after a failed write, whose changes are in memory only)."""
        self._data = None
        self._key = None
        self._lines = {}

    def close(self) -> None:
        self.forget()
