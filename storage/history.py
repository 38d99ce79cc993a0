"""The history journal: one JSON event per line, appended and fsynced, hash-chained.

The journal is the write-ahead log of the store: an edit is durable once its events are
in the journal; the state document is a projection of the journal that the store
rewrites after each append, and that it rolls forward from the journal if a crash came
between the two. Appending costs the same whatever the journal's length.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracker import runtime
from tracker.domain.errors import StorageError
from tracker.domain.events import canonical, event_hash
from tracker.storage.files import describe_os_error, open_checked, shown_path

GENESIS = "0" * 64
# One command, one commit: the events of one write that makes several (an import, a
# restore) carry ``"txn": [i, n]`` (the i-th of n). A group is visible whole or not at all:
# readers stop before a group whose last event is not there (a writer killed mid-append),
# and the next writer cuts it (under the lock) before it appends. A write of one event
# carries no mark, nor do the events of older journals: each of those is its own commit.
GROUP = "txn"


def mark_group(events: list[dict[str, Any]]) -> None:
    """Mark the events of one write as one commit (nothing to mark for a single event)."""
    if len(events) > 1:
        for number, event in enumerate(events, start=1):
            event[GROUP] = [number, len(events)]


def group_part(event: Any) -> tuple[int, int] | None:
    """``(i, n)`` of an event of a group, None for an event that is its own commit."""
    part = event.get(GROUP) if isinstance(event, dict) else None
    if (isinstance(part, list) and len(part) == 2 and all(type(x) is int for x in part)
            and 1 <= part[0] <= part[1]):
        return part[0], part[1]
    return None


def committed_end(raw: bytes, end: int) -> int:
    """The end of the last whole commit in ``raw[:end]`` (``end``: just past a line):
    ``end`` itself, or the start of a trailing group whose last event is missing."""
    if end <= 0:
        return end
    start = raw.rfind(b"\n", 0, end - 1) + 1
    try:
        part = group_part(json.loads(raw[start:end - 1]))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return end  # an unreadable line: whoever parses it says so
    if part is None or part[0] == part[1]:
        return end
    for _ in range(part[0] - 1):  # back to the group's first line
        if start == 0:
            break
        start = raw.rfind(b"\n", 0, start - 1) + 1
    return start


def parse_lines(lines: list[bytes]) -> list[Any] | None:
    """Journal lines parsed in one call, as the elements of one JSON array (3x parsing
    them one by one: the per-call work of ``json.loads`` is most of a short line's), or
    None if any line is not exactly one JSON value (the caller then finds which). A line
    holding two values ("{..},{..}") would make one more element, and one holding none
    (empty, blank) breaks the array: the count tells."""
    if not lines:
        return []
    try:
        values = json.loads(b"[" + b",".join(lines) + b"]")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return values if len(values) == len(lines) else None


class History:
    def __init__(self, path: Path) -> None:
        self.path = path

    def size(self) -> int:
        """The journal's length (0 if there is none); never raises (the app polls it)."""
        try:
            return os.lstat(self.path).st_size
        except OSError:
            return 0

    def check(self) -> None:
        """Refuse a journal that is not a regular file of one link on the database's
        filesystem (storage.files.open_checked), naming it; a missing one is left to
        the caller."""
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return
        except OSError as error:
            raise StorageError("db.unreadable", path=shown_path(self.path),
                               reason=describe_os_error(error)) from None
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            os.close(self._open())  # raises the refusal, naming the path

    def exists(self) -> bool:
        return os.path.lexists(self.path)

    def _open(self, flags: int = os.O_RDONLY, *, create: bool = False) -> int:
        """The journal, opened without following a symlink and checked (a regular file,
        one link, on the database's filesystem): see storage.files.open_checked."""
        return open_checked(self.path, flags, create=create)

    def _reader(self) -> Any:
        return os.fdopen(self._open(), "rb")

    @staticmethod
    def chain(events: list[dict[str, Any]], head_seq: int, head_hash: str) -> bytes:
        """Number and hash ``events`` after the head; returns the lines to append."""
        lines = []
        for offset, event in enumerate(events, start=1):
            event["seq"] = head_seq + offset
            event["prev"] = head_hash
            event["hash"] = head_hash = event_hash(event)
            lines.append(canonical(event))
        return ("\n".join(lines) + "\n").encode("utf-8")

    def append(self, data: bytes, expected_size: int) -> int:
        """Append ``data`` at the journal's real end, which must be ``expected_size``
        (what the state says, checked against ``fstat`` of the open file under the lock),
        and fsync; returns the new size. ``O_APPEND``: the write lands at the end of the
        file whatever offset anyone recorded, so a forged head in the state cannot make
        it overwrite history.

        A journal longer than expected holds a torn tail of a writer that died mid-append
        (the caller's roll-forward has read every whole event): the tail is cut first.
        A shorter one is refused (``history.truncated``). On any failure (disk full,
        quota) the journal is cut back to ``expected_size``, so that a refused write
        leaves no partial event behind."""
        try:
            fd = self._open(os.O_WRONLY | os.O_APPEND, create=True)
        except OSError as error:
            raise StorageError("db.write_failed", path=shown_path(self.path),
                               reason=describe_os_error(error)) from None
        try:
            actual = os.fstat(fd).st_size
            if actual < expected_size:
                raise StorageError("history.truncated", path=shown_path(self.path),
                                   expected=expected_size, actual=actual)
            try:
                if actual > expected_size:
                    os.ftruncate(fd, expected_size)
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
                end = os.fstat(fd).st_size
                if end != expected_size + len(data):  # pragma: no cover - a second writer
                    raise OSError(0, "journal grew under the lock")
            except OSError as error:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, expected_size)
                    os.fsync(fd)
                raise StorageError("db.write_failed", path=shown_path(self.path),
                                   reason=describe_os_error(error)) from None
            return expected_size + len(data)
        finally:
            os.close(fd)

    def truncate(self, size: int) -> bool:
        """Cut the journal back to ``size`` (an append whose state write then failed);
        whether that was done."""
        try:
            fd = self._open(os.O_WRONLY)
        except (OSError, StorageError):
            return False
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
            return True
        except OSError:
            return False
        finally:
            os.close(fd)

    def read_from(self, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Complete events from byte ``offset`` on, and the offset just past the last
        complete line (a torn last line, from a writer that died mid-append, is left)."""
        raw = self._read(offset)
        end = committed_end(raw, raw.rfind(b"\n") + 1)
        return self._parsed(raw[:end].split(b"\n")[:-1], offset), offset + end

    def _parsed(self, lines: list[bytes], offset: int) -> list[Any]:
        """The journal's ``lines`` (the first at byte ``offset``) parsed, or
        ``history.corrupt`` naming the first line that is not one JSON value."""
        events = parse_lines(lines)
        if events is not None:
            return events
        position = offset
        for line in lines:
            try:
                json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                break
            position += len(line) + 1
        raise StorageError("history.corrupt", path=str(self.path), offset=position)

    def stream(self, offset: int = 0, end: int | None = None, *,
               chunk: int = 1 << 20) -> Iterator[dict[str, Any]]:
        """The complete events from byte ``offset`` (a line's start) up to ``end``,
        parsed as they are read, ``chunk`` bytes at a time: memory bounded by a chunk
        and the largest commit group, whatever the journal's length (`tracker history`
        on 500,000 events). The same events as ``read_from``: a torn last line is left,
        and so is a trailing group whose last event is not there (``committed_end``),
        which is why the events of an unfinished group wait until it ends."""
        pending: list[dict[str, Any]] = []  # events of a group not yet seen to its end
        position = offset
        try:
            with self._reader() as handle:
                handle.seek(offset)
                rest = b""
                while True:
                    size = chunk if end is None else min(chunk, end - position - len(rest))
                    data = handle.read(size) if size > 0 else b""
                    if not data:
                        break
                    lines = (rest + data).split(b"\n")
                    rest = lines.pop()  # no newline yet: the next chunk ends it
                    events = self._parsed(lines, position)
                    position += sum(map(len, lines)) + len(lines)
                    for event in events:
                        part = group_part(event)
                        if part is not None and part[0] < part[1]:
                            pending.append(event)
                            continue
                        yield from pending
                        pending.clear()
                        yield event
        except FileNotFoundError:
            raise StorageError("history.missing", path=shown_path(self.path)) from None
        except OSError as error:
            raise StorageError("db.unreadable", path=shown_path(self.path),
                               reason=describe_os_error(error)) from None
        if pending:  # a trailing group cut short: its first events are not a commit
            part = group_part(pending[-1])
            yield from pending[:len(pending) - (part[0] if part else 0)]

    def _read(self, offset: int) -> bytes:
        """The journal's bytes from ``offset``; a missing or unreadable journal is a
        StorageError."""
        try:
            with self._reader() as handle:
                handle.seek(offset)
                return bytes(handle.read())
        except FileNotFoundError:
            raise StorageError("history.missing", path=shown_path(self.path)) from None
        except OSError as error:
            raise StorageError("db.unreadable", path=shown_path(self.path),
                               reason=describe_os_error(error)) from None

    def read_range(self, start: int, end: int) -> bytes:
        """The journal's bytes ``[start, end)`` (fewer at its end); errors as ``_read``."""
        try:
            with self._reader() as handle:
                handle.seek(start)
                return bytes(handle.read(max(0, end - start)))
        except FileNotFoundError:
            raise StorageError("history.missing", path=shown_path(self.path)) from None
        except OSError as error:
            raise StorageError("db.unreadable", path=shown_path(self.path),
                               reason=describe_os_error(error)) from None

    def matching(self, needle: bytes, end: int | None = None) -> list[dict[str, Any]]:
        """The complete events whose line contains ``needle`` (e.g. one task's id as it
        is written: ``"task":"211421-2.5"``): a byte search first, so that one task's
        history does not mean parsing every event. ``end``: only the events before that
        offset (a state's head: what that state includes)."""
        raw = self._read(0)
        if end is not None:
            raw = raw[:end]
        raw = raw[:committed_end(raw, raw.rfind(b"\n") + 1)]
        events = []
        start = 0
        # Every county's measurements (a view's series, the dashboard's trends) are a
        # large share of a long journal: the collector would scan them as they pile up.
        with runtime.gc_paused():
            while (found := raw.find(needle, start)) >= 0:
                begin = raw.rfind(b"\n", 0, found) + 1
                end = raw.find(b"\n", found)
                if end < 0:  # a torn last line: not an event yet
                    break
                try:
                    events.append(json.loads(raw[begin:end]))
                except (json.JSONDecodeError, UnicodeDecodeError):
                    raise StorageError("history.corrupt", path=str(self.path),
                                       offset=begin) from None
                start = end + 1
        return events

    def tail(self, max_bytes: int = 262_144, *, until: str | None = None,
             ) -> list[dict[str, Any]]:
        """The complete events in the last ``max_bytes`` of the journal (recent changes,
        without reading a long history from the start). With ``until`` (an ISO date),
        the last ``max_bytes`` before the first event dated after that day, found by a
        binary search on the journal's time order, and only events up to that day: the
        recent changes as of a date, however long the history after it."""
        try:
            with self._reader() as handle:
                size = os.fstat(handle.fileno()).st_size
                end = size if until is None else self._end_of_day(handle, size, until)
                start = max(0, end - max_bytes)
                handle.seek(start)
                raw = handle.read(end - start)
                if end == size:  # not a torn group at the end
                    raw = raw[:committed_end(raw, raw.rfind(b"\n") + 1)]
        except (OSError, StorageError):
            return []
        lines = raw.split(b"\n")
        if start > 0:
            lines = lines[1:]  # the first line is probably cut
        events = []
        for line in lines:
            if line:
                try:
                    event = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    continue
                if until is None or str(event.get("ts", ""))[:10] <= until:
                    events.append(event)
        return events

    @staticmethod
    def _end_of_day(handle: Any, size: int, day: str) -> int:
        """A byte offset at or after the end of the last event dated ``day`` or earlier
        (the journal is in time order; a clock set back only blurs the edge, which the
        caller's filter by date then handles)."""

        def day_at(offset: int) -> str | None:
            """The date of the first whole line after ``offset`` (None: there is none)."""
            handle.seek(offset)
            if offset:
                handle.readline()  # the rest of the line that the offset cuts
            line = handle.readline()
            if not line.endswith(b"\n"):
                return None
            try:
                return str(json.loads(line).get("ts", ""))[:10]
            except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
                return ""  # a damaged line: searched past (the caller filters by date)

        low, high = 0, size  # the first line after ``low`` is of ``day`` or earlier
        while high - low > 4096:
            middle = (low + high) // 2
            found = day_at(middle)
            if found is None or found > day:
                high = middle
            else:
                low = middle
        # Every whole line after the one that ``high`` cuts (or starts) is dated later.
        handle.seek(high)
        handle.readline()
        return handle.tell()

    def iter_lines(self, start: int = 0, *, chunk: int = 1 << 20,
                   ) -> Iterator[tuple[int, bytes]]:
        """Every complete line from byte ``start`` (a line's start) with its byte offset
        (for verify, which checks each), read ``chunk`` bytes at a time (a file's own
        line iteration costs verify ~0.3 s at 500,000 events)."""
        try:
            with self._reader() as handle:
                handle.seek(start)
                offset, rest = start, b""
                while data := handle.read(chunk):
                    lines = (rest + data).split(b"\n")
                    rest = lines.pop()  # no newline yet: the next chunk ends it
                    for line in lines:
                        yield offset, line
                        offset += len(line) + 1
        except FileNotFoundError:
            raise StorageError("history.missing", path=shown_path(self.path)) from None
        except OSError as error:
            raise StorageError("db.unreadable", path=shown_path(self.path),
                               reason=describe_os_error(error)) from None
