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

import contextlib
import json
import os
import re
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

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


# From this size a state is parsed by orjson: ~2.6x the standard parser (9.9 -> 3.8 ms at
# the demo's 700 tasks, 50 -> 28 ms at 14,000), but its import costs ~15 ms (it imports
# dataclasses, inspect, uuid and platform), more than it saves on a smaller file. A
# login script's `tracker agenda` at 700 tasks has a 100 ms budget.
ORJSON_FROM = 2 * 1024 * 1024


def parse_json(raw: bytes, path: Path) -> Any:
    """Parse a state file, with the garbage collector paused (a large document otherwise
    spends as long again in GC): by orjson from ``ORJSON_FROM`` bytes, else (and for
    what orjson refuses: NaN, 1e999) by the standard parser, so that both sizes take the
    same files. Raises StorageError with a one-line reason: the byte offset of text that
    is not UTF-8, else the line and column where the JSON breaks."""
    try:
        with runtime.gc_paused():
            if len(raw) >= ORJSON_FROM:
                import orjson

                with contextlib.suppress(orjson.JSONDecodeError):
                    return orjson.loads(raw)
            return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as bad:
        raise StorageError("db.not_utf8", path=str(path), offset=bad.start) from None
    except json.JSONDecodeError as error:
        if not raw.strip():
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
    parsing only those, and writing the others back as the very bytes they were read
    from, is what keeps it quick on a large database. The table is its part of the file,
    ``raw[start:end]`` (document lines separated by ``,\n``): a document asked for by
    key, or a key by a document's id (``key_of``), is found by a byte search of that
    part, and a write splices the changed lines into it (``body``). Only iterating, a
    new or deleted document splits the part into all its lines. Iteration follows the
    file order."""

    __slots__ = ("_docs", "_end", "_lines", "_loaded", "_path", "_raw", "_spans", "_start")

    def __init__(self, raw: bytes, start: int, end: int, path: Path) -> None:
        self._raw, self._start, self._end = raw, start, end
        self._lines: dict[str, bytes] | None = None  # every key -> its line, once split
        self._spans: dict[str, tuple[int, int]] = {}  # key -> its line's place, as found
        self._docs: dict[str, dict[str, Any]] = {}
        self._loaded: dict[str, Any] = {}  # key -> the version it had when parsed
        self._path = path

    # -- finding lines -----------------------------------------------------------------
    def _split(self) -> dict[str, bytes]:
        if self._lines is None:
            lines: dict[str, bytes] = {}
            segment = self._raw[self._start:self._end]
            for piece in segment.split(b",\n") if segment else ():
                quote = piece.find(b'":{', 1)
                if piece[:1] != b'"' or quote < 0 or piece[-1:] != b"}":
                    raise StorageError("db.corrupt_doc", path=str(self._path),
                                       key=piece[:40].decode("utf-8", "replace"))
                lines[piece[1:quote].decode("utf-8")] = piece
            self._lines = lines
        return self._lines

    def _line_at(self, begin: int) -> bytes:
        stop = self._raw.find(b",\n", begin, self._end)
        return self._raw[begin:self._end if stop < 0 else stop]

    def _find(self, key: str) -> bytes | None:
        """The line read for ``key`` (None: no such document)."""
        if self._lines is not None:
            return self._lines.get(key)
        span = self._spans.get(key)
        if span is None:
            if '"' in key or "\\" in key:
                return self._split().get(key)
            token = b'"' + key.encode("utf-8") + b'":{'
            if self._raw.startswith(token, self._start):
                begin = self._start
            else:
                begin = self._raw.find(b"\n" + token, self._start, self._end) + 1
                if begin == 0:
                    return None
            line = self._line_at(begin)
            self._spans[key] = span = (begin, begin + len(line))
        return self._raw[span[0]:span[1]]

    def key_of(self, field: str, ident: str) -> str | None:
        """The key of the document whose ``field`` (a leading string field, as
        ``encode`` writes tasks and counties) is ``ident``, found on the lines; None if
        no document can have it (its text is nowhere in the table). ``KeyError`` if it
        cannot be told from the bytes (the caller then reads every line: ``idents``)."""
        try:
            text = json.dumps(ident, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # not text (bytes of an argument that were not UTF-8)
            return None
        token = b':{"' + field.encode() + b'":' + text
        at = self._raw.find(token, self._start, self._end)
        while at >= 0:
            begin = self._raw.rfind(b"\n", self._start, at) + 1 or self._start
            key = self._raw[begin:at]
            after = self._raw[at + len(token):at + len(token) + 1]
            if key[:1] == key[-1:] == b'"' and b'"' not in key[1:-1] and after in (b",", b"}"):
                found = key[1:-1].decode("utf-8")
                if found not in self._docs or self._docs[found].get(field) == ident:
                    self._spans.setdefault(found, (begin, begin + len(self._line_at(begin))))
                    return found
            at = self._raw.find(token, at + 1, self._end)
        if self._raw.find(text, self._start, self._end) < 0 and not self._docs:
            return None
        raise KeyError(ident)

    # -- the mapping -------------------------------------------------------------------
    def __getitem__(self, key: str) -> dict[str, Any]:
        doc = self._docs.get(key)
        if doc is None:
            line = self._find(key)
            if line is None:
                raise KeyError(key)
            try:
                doc = json.loads(line[line.index(b'":') + 2:])
            except ValueError:
                raise StorageError("db.corrupt_doc", path=str(self._path), key=key) from None
            if not isinstance(doc, dict):
                raise StorageError("db.corrupt_doc", path=str(self._path), key=key)
            self._docs[key] = doc
            self._loaded[key] = doc.get("version")
        return doc

    def __setitem__(self, key: str, doc: dict[str, Any]) -> None:
        if key not in self._docs and self._find(key) is None:
            self._split()[key] = b""  # a new document: at the end, in file order
        self._docs[key] = doc
        self._loaded.pop(key, None)  # replaced wholesale: encode it afresh

    def __contains__(self, key: object) -> bool:
        """Whether the table has a document ``key``: its line found, not parsed."""
        return isinstance(key, str) and (key in self._docs or self._find(key) is not None)

    def __delitem__(self, key: str) -> None:
        del self._split()[key]
        self._docs.pop(key, None)
        self._loaded.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._split())

    def __len__(self) -> int:
        return len(self._split())

    def line(self, key: str) -> bytes | None:
        """The line read for this document if it is unchanged since (same version)."""
        if key not in self._docs:
            return self._find(key)
        version = self._docs[key].get("version")
        if key in self._loaded and isinstance(version, int) and version == self._loaded[key]:
            return self._find(key)
        return None

    def body(self, encode_line: Any) -> list[bytes | memoryview]:
        """The table's document lines as a write has them, in pieces: each unchanged
        line as read, each changed document encoded afresh (``encode_line(key, doc)``).
        Not split: views of the part of the file read, the changed lines between."""
        if self._lines is None:
            raw = memoryview(self._raw)
            pieces: list[bytes | memoryview] = []
            position = self._start
            for key, (begin, stop) in sorted(self._spans.items(), key=lambda kv: kv[1]):
                if key in self._docs and self.line(key) is None:
                    pieces += [raw[position:begin], encode_line(key, self._docs[key])]
                    position = stop
            pieces.append(raw[position:self._end])
            return pieces
        return [b",\n".join(line if (line := self.line(key)) is not None
                             else encode_line(key, self[key]) for key in self._lines)]

    def by_field(self, field: str) -> Idents:
        """``field`` -> key, looked up on the bytes one ident at a time (``Idents``)."""
        return Idents(self, field)

    def idents(self, field: str) -> dict[Any, str]:
        """``field`` (a leading string field: ``id``, ``code``) -> key, for every
        document, read off its line where the line starts with the field (as ``encode``
        writes tasks and counties); other documents are parsed."""
        token = f':{{"{field}":"'.encode()
        found: dict[Any, str] = {}
        for key, line in self._split().items():
            start = len(key) + 2 + len(token)
            end = line.find(b'"', start)
            if key in self._docs or not line.startswith(token, len(key) + 2) or end < 0 \
                    or b"\\" in line[start:end]:
                found[self[key].get(field)] = key
            else:
                found[line[start:end].decode("utf-8")] = key
        return found


class Idents(Mapping[str, str]):
    """``field`` -> key of a LazyTable's documents (an Index's ``tasks`` or
    ``counties``), each ident looked up on the table's bytes when first asked
    (``LazyTable.key_of``); iterating it, or an ident the bytes cannot tell, reads every
    line once (``LazyTable.idents``)."""

    __slots__ = ("_all", "_field", "_found", "_table")

    def __init__(self, table: LazyTable, field: str) -> None:
        self._table, self._field = table, field
        self._found: dict[str, str | None] = {}
        self._all: dict[Any, str] | None = None

    def _whole(self) -> dict[Any, str]:
        if self._all is None:
            self._all = self._table.idents(self._field)
        return self._all

    def __getitem__(self, ident: str) -> str:
        if self._all is not None:
            return self._all[ident]
        if ident not in self._found:
            try:
                self._found[ident] = self._table.key_of(self._field, ident) \
                    if isinstance(ident, str) else self._whole().get(ident)
            except KeyError:
                self._found[ident] = self._whole().get(ident)
        key = self._found[ident]
        if key is None:
            raise KeyError(ident)
        return key

    def __iter__(self) -> Iterator[str]:
        return iter(self._whole())

    def __len__(self) -> int:
        return len(self._whole())


_HEADER = re.compile(rb'"([^"\\]+)":\{\n')


def split_lines(raw: bytes, path: Path) -> dict[str, LazyTable] | None:
    """The tables of a file written by ``encode``, as lazy tables; None if the file is
    not laid out one table a header line and its documents one a line (then it is
    parsed whole, which also reports any damage precisely). JSON text never holds a raw
    newline, so within a table the documents are exactly the pieces between ``,\\n``,
    and a table ends at the first line that starts with ``}``. A document's own line is
    checked when the document is used; one the command does not touch is written back
    as it was read."""
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
        start = header.end()
        if close > start and (raw[start:start + 1] != b'"' or raw[close - 1:close] != b"}"
                              or raw.count(b"\n", start, close)
                              != raw.count(b'},\n"', start, close)):
            return None  # not one document a line: every line break is between two
        tables[header.group(1).decode("utf-8")] = LazyTable(raw, start, max(start, close),
                                                            path)
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
        return b"".join(self.chunks(data))

    def chunks(self, data: Tables) -> list[bytes | memoryview]:
        """``encode``'s bytes in pieces, as a write hands them to the file: a lazy
        table's unchanged stretches are views of the bytes read, not copies (a one-line
        edit of a 26 MB state then copies nothing of it)."""
        cache = self._line_cache()
        fresh: dict[tuple[str, str], tuple[int, bytes]] = {}
        out: list[bytes | memoryview] = [b"{\n"]
        for number, (table, docs) in enumerate(data.items()):
            out.append((b",\n" if number else b"") + _encode(table).encode() + b":{\n")
            if isinstance(docs, LazyTable):
                out += docs.body(lambda key, doc: f"{_encode(key)}:{_encode(doc)}".encode())
                out.append(b"\n}")
                continue
            lines = []
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
            out += [b",\n".join(lines), b"\n}"]
        self._lines = fresh
        out.append(b"\n}\n")
        return out

    def write(self, data: Tables) -> None:
        try:
            st = atomic_write(self.path, self.chunks(data))
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
