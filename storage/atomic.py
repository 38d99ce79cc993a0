"""A TinyDB storage that is safe to share between processes.

TinyDB's JSONStorage keeps one handle open and overwrites the file in place, so a crash
mid-write leaves a torn file and a process that stays open keeps reading a replaced
inode. This storage instead:

* opens the path on every read that matters, and reuses its parsed copy only while the
  file is the same (inode, size, mtime);
* writes by atomic replace (``storage.files.atomic_write``);
* writes one document per line and remembers each document's serialised line with the
  document's ``version``, so that a write re-encodes only the documents that changed.
  Every document the tracker changes gets a new ``version`` (see tracker.domain.events), which
  is what makes that cache sound; a document without ``version`` is always re-encoded.

Locking is the Store's job: it calls ``read``/``write`` while holding the lock.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from tracker import runtime
from tracker.domain.errors import StorageError
from tracker.storage.files import atomic_write, describe_os_error, open_checked

Tables = dict[str, dict[str, dict[str, Any]]]

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def read_bytes(path: Path, *, checked: bool = False) -> tuple[bytes, os.stat_result]:
    """The file's bytes and stat; a missing or unreadable file is a StorageError.
    ``checked``: a database file, opened without following a symlink and refused unless
    a regular file with one link on the database's filesystem (storage.files)."""
    try:
        if checked and os.path.isdir(path) and not os.path.islink(path):
            raise IsADirectoryError
        fd = open_checked(path, os.O_RDONLY) if checked else os.open(path, os.O_RDONLY)
        with os.fdopen(fd, "rb") as handle:
            st = os.fstat(handle.fileno())
            return handle.read(), st
    except FileNotFoundError:
        raise StorageError("db.missing", path=str(path)) from None
    except IsADirectoryError:
        raise StorageError("db.is_directory", path=str(path)) from None
    except OSError as error:
        raise StorageError("db.unreadable", path=str(path),
                           reason=describe_os_error(error)) from None


def parse_json(raw: bytes, path: Path) -> Any:
    """Parse with orjson (~2x the standard parser on a large state: 50 -> 28 ms at
    14,000 tasks), with the garbage collector paused (a large document otherwise spends
    as long again in GC). Raises StorageError with a one-line reason: the byte offset of
    text that is not UTF-8, else the line and column where the JSON breaks."""
    try:
        with runtime.gc_paused():
            return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise StorageError("db.not_utf8", path=str(path), offset=bad.start) from None
        if not text.strip():
            raise StorageError("db.empty", path=str(path)) from None
        raise StorageError("db.corrupt", path=str(path), line=error.lineno, column=error.colno,
                           reason=error.msg) from None


def load_json(path: Path) -> tuple[Any, bytes, os.stat_result]:
    """Read and parse ``path`` whole: the data, the bytes read, their stat."""
    raw, st = read_bytes(path)
    return parse_json(raw, path), raw, st


class LazyTable(MutableMapping[str, dict[str, Any]]):
    """A table whose documents stay as their lines of the file until first used.

    A one-shot command (``tracker set``) touches two or three documents of thousands;
    parsing only those, and writing the others back as the very lines they were read
    from, is what keeps it quick on a large database. Iteration follows the file order.
    """

    __slots__ = ("_docs", "_lines", "_loaded", "_path")

    def __init__(self, lines: dict[str, bytes], path: Path) -> None:
        self._lines = lines  # key -> the document's whole line, without a trailing comma
        self._docs: dict[str, dict[str, Any]] = {}
        self._loaded: dict[str, Any] = {}  # key -> the version it had when parsed
        self._path = path

    def __getitem__(self, key: str) -> dict[str, Any]:
        doc = self._docs.get(key)
        if doc is None:
            line = self._lines[key]
            try:
                doc = orjson.loads(line[line.index(b'":') + 2:])
            except ValueError:
                raise StorageError("db.corrupt_doc", path=str(self._path), key=key) from None
            if not isinstance(doc, dict):
                raise StorageError("db.corrupt_doc", path=str(self._path), key=key)
            self._docs[key] = doc
            self._loaded[key] = doc.get("version")
        return doc

    def __setitem__(self, key: str, doc: dict[str, Any]) -> None:
        self._docs[key] = doc
        self._lines.setdefault(key, b"")
        self._loaded.pop(key, None)  # replaced wholesale: encode it afresh

    def __delitem__(self, key: str) -> None:
        del self._lines[key]
        self._docs.pop(key, None)
        self._loaded.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)

    def line(self, key: str) -> bytes | None:
        """The line read for this document if it is unchanged since (same version)."""
        if key not in self._docs:
            return self._lines[key]
        version = self._docs[key].get("version")
        if key in self._loaded and isinstance(version, int) and version == self._loaded[key]:
            return self._lines[key]
        return None

    def idents(self, field: str) -> dict[Any, str]:
        """``field`` (a leading string field: ``id``, ``code``) -> key, for every
        document, read off its line where the line starts with the field (as ``encode``
        writes tasks and counties); other documents are parsed."""
        token = f':{{"{field}":"'.encode()
        found: dict[Any, str] = {}
        for key, line in self._lines.items():
            start = len(key) + 2 + len(token)
            end = line.find(b'"', start)
            if key in self._docs or not line.startswith(token, len(key) + 2) or end < 0 \
                    or b"\\" in line[start:end]:
                found[self[key].get(field)] = key
            else:
                found[line[start:end].decode("utf-8")] = key
        return found


_HEADER = re.compile(rb'"([^"\\]+)":\{\n')


def split_lines(raw: bytes, path: Path) -> dict[str, LazyTable] | None:
    """The tables of a file written by ``encode``, as lazy tables; None if the file is
    not laid out one document a line (then it is parsed whole, which also reports any
    damage precisely). JSON text never holds a raw newline, so within a table the
    documents are exactly the pieces between ``,\\n``."""
    if not (raw.startswith(b"{\n") and raw.endswith(b"\n}\n")):
        return None
    tables: dict[str, LazyTable] = {}
    position = 2
    while True:
        header = _HEADER.match(raw, position)
        if header is None:
            return None
        close = raw.find(b"\n}", header.end() - 1)
        if close < 0:
            return None
        segment = raw[header.end():close]
        lines: dict[str, bytes] = {}
        for piece in segment.split(b",\n") if segment else ():
            quote = piece.find(b'":{', 1)
            if piece[:1] != b'"' or quote < 0 or piece[-1:] != b"}":
                return None
            lines[piece[1:quote].decode("utf-8")] = piece
        tables[header.group(1).decode("utf-8")] = LazyTable(lines, path)
        position = close + 2
        if raw.startswith(b",\n", position):
            position += 2
        elif position == len(raw) - 3:  # the closing "\n}\n"
            return tables
        else:
            return None


class AtomicJSONStorage(Storage):
    """TinyDB storage: atomic replace, per-document encode cache, reread on change."""

    def __init__(self, path: str | os.PathLike[str], *, lazy: bool = False) -> None:
        self.path = Path(path)
        self.lazy = lazy
        self._data: Tables | None = None
        self._key: tuple[int, int, int, int] | None = None
        self._lines: dict[tuple[str, str], tuple[int, bytes]] | None = {}
        self._unindexed: tuple[bytes, dict[str, dict[str, Any]] | None] = (b"", {})
        self.fresh = False

    # -- reading -----------------------------------------------------------------------
    def is_current(self) -> bool:
        """Whether the cached copy is still what is on disk (one stat call)."""
        if self._key is None:
            return False
        try:
            return _stat_key(os.lstat(self.path)) == self._key
        except OSError:
            return False

    def read(self) -> Tables | None:
        """The tables; ``self.fresh`` says whether they were parsed by this call (rather
        than the copy an earlier call returned)."""
        if self._data is not None and self.is_current():
            self.fresh = False
            return self._data
        self.fresh = True
        raw, st = read_bytes(self.path, checked=True)
        lazy = split_lines(raw, self.path) if self.lazy else None
        if lazy is not None:
            data: Any = lazy
            self._lines = {}
        else:
            data = parse_json(raw, self.path)
            if not isinstance(data, dict) or not all(isinstance(t, dict)
                                                     for t in data.values()):
                raise StorageError("db.not_tracker", path=str(self.path))
            # Each document's line is indexed when first written (a reader never needs
            # it: -60 ms at 14,000 tasks), against the version each had when read, which
            # a writer pins before it changes anything (``pin_versions``).
            self._lines = None
            self._unindexed = (raw, None)
        self._data = data
        self._key = _stat_key(st)
        return data

    def pin_versions(self, tables: Tables) -> None:
        """Note each document's version as read, before the first change to ``tables``
        (if they are the copy read): a document whose version is the same at the write
        is written as the very line it was read from. A pass over the documents (~4 ms
        at 14,000 tasks), which only a writer pays. Unpinned, a write encodes all."""
        raw, versions = self._unindexed
        if self._lines is None and versions is None and tables is self._data:
            self._unindexed = (raw, {name: {doc_id: doc.get("version")
                                            for doc_id, doc in table.items()
                                            if isinstance(doc, dict)}
                                     for name, table in self._data.items()})

    def _line_cache(self) -> dict[tuple[str, str], tuple[int, bytes]]:
        if self._lines is None:
            raw, versions = self._unindexed
            # Not pinned: the copy may have changed since it was read; encode it all.
            self._lines = {} if versions is None else self._index_lines(raw, versions)
            self._unindexed = (b"", {})
        return self._lines

    @staticmethod
    def _index_lines(raw: bytes, versions: dict[str, dict[str, Any]],
                     ) -> dict[tuple[str, str], tuple[int, bytes]]:
        """Map each document written one-per-line by ``write`` to its line and the
        version it had when read (``versions``: table -> doc id -> version), so that a
        document unchanged since need not be encoded again."""
        lines: dict[tuple[str, str], tuple[int, bytes]] = {}
        table: dict[str, Any] | None = None
        name = ""
        for line in raw.split(b"\n"):
            if line.endswith(b":{") and line.startswith(b'"'):
                name = line[1:-3].decode("utf-8")
                table = versions.get(name)
                continue
            if table is None or not line.startswith(b'"'):
                continue
            if line.endswith(b","):
                line = line[:-1]
            doc_id = line[1:line.find(b'"', 1)].decode("utf-8")
            version = table.get(doc_id)
            if isinstance(version, int):
                lines[(name, doc_id)] = (version, line)
        return lines

    # -- writing -----------------------------------------------------------------------
    def encode(self, data: Tables) -> bytes:
        """The document, one table header and one document a line; each unchanged
        document's line (as bytes) is reused from the last read or write."""
        cache = self._line_cache()
        fresh: dict[tuple[str, str], tuple[int, bytes]] = {}
        tables: list[bytes] = []
        for table, docs in data.items():
            lines = []
            if isinstance(docs, LazyTable):
                for doc_id in docs:
                    line = docs.line(doc_id)
                    if line is None:
                        line = f"{_encode(doc_id)}:{_encode(docs[doc_id])}".encode()
                    lines.append(line)
                tables.append(_encode(table).encode() + b":{\n" + b",\n".join(lines) + b"\n}")
                continue
            for doc_id, doc in docs.items():
                version = doc.get("version")
                cached = cache.get((table, doc_id))
                if cached is not None and cached[0] == version:
                    line = cached[1]
                else:
                    line = f"{_encode(doc_id)}:{_encode(doc)}".encode()
                if isinstance(version, int):
                    fresh[(table, doc_id)] = (version, line)
                lines.append(line)
            tables.append(_encode(table).encode() + b":{\n" + b",\n".join(lines) + b"\n}")
        self._lines = fresh
        return b"{\n" + b",\n".join(tables) + b"\n}\n"

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
        self._unindexed = (b"", {})

    def forget(self) -> None:
        """Drop the cached copy (after a failed write, whose changes are in memory only)."""
        self._data = None
        self._key = None
        self._lines = {}
        self._unindexed = (b"", {})

    def close(self) -> None:
        self.forget()
