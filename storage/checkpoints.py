"""Checkpoints of the state in the journal's order, so that the state as of a date costs
the nearest earlier checkpoint plus the events since, not a replay of the whole journal
(`--as-of`, `[` `]` in the app).

A checkpoint is the state as the writer wrote it at the end of a commit (so it sits on a
commit boundary: never inside a ``"txn"`` group), without ``meta.head``, as orjson writes
it with sorted keys (``state_bytes``: what verify writes its replay as, to compare the
two as bytes), gzipped, in the folder ``DB.checkpoints/`` beside the database. The
writer whose commit carries the journal past a multiple of ``EVERY`` events writes one,
if the journal grew by at least the state's size since the last (so that checkpoints,
compressed, take a fraction of the journal's room). Its name says where it sits and what it covers:

    SEQ-SIZE-MINDAY.json.gz     e.g. 000000012040-3512311-2018-04-02.json.gz

``SEQ`` and ``SIZE``: the last event it includes and the journal offset just past it;
``MINDAY``: the earliest date (``ts[:10]``) of the events since the checkpoint before it
(``unknown`` when that was not read: the first checkpoint of a long journal). The file
holds one header line (``{"format", "seq", "hash", "size", "schema"}``) then the state.

As of day D (docs/architecture.md, invariant 2) the state is the replay of the journal up
to its last event dated D or earlier. That event lies after checkpoint K only if some
interval after K has a date <= D; so walking the intervals back from the end (the events
after the last checkpoint are read), the first interval whose earliest date is <= D holds
the cut, and the state is the checkpoint before it plus that interval's events up to the
cut. Exact, even with a clock that was ahead or behind; an interval of unknown date, a
checkpoint of another schema or one whose hash is not the journal's event at its offset
(the journal was replaced or cut) means a replay from the start, as before.

Beside each checkpoint, the **texts** of the events since the one before, for search
(``tracker search``, History's ``/``): ``FROM-SIZE.texts``, the journal range
``[FROM, SIZE)`` it covers, one header line (``{"format", "from", "size", "hash"}``,
the hash of the range's last event) then a line per event that has texts,
``OFFSET<US>text<US>text...`` with each text folded as a search compares it
(tracker.domain.search.fold; ``US`` is the unit separator, a newline in a text is a
space). A search reads these (a few bytes an event) instead of the journal (hundreds),
and the journal itself only past the last of them, or where one is missing.

Checkpoints and texts are a cache of what the journal says: deleting the folder loses
nothing. ``verify`` compares each with the replay at its seq, and each texts file with
the journal's range (tests/storage/test_checkpoints.py, tests/storage/test_search_texts.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from tracker import runtime
from tracker.domain.errors import StorageError
from tracker.domain.events import META_ID, Index, Tables, apply_event
from tracker.domain.search import event_texts, fold
from tracker.storage.files import NOFOLLOW, open_backups, private_mode, write_in
from tracker.storage.history import History

EVERY = 1000  # a checkpoint at most once per this many events
ROOM = 1.0  # ... and once the journal grew by this many times the state's size since the last
FORMAT = 1
UNKNOWN = "unknown"
UNREAD_LIMIT = 4 * EVERY  # the first checkpoint of a longer journal: MINDAY unknown
_NAME = re.compile(r"^(\d{12})-(\d+)-(\d{4}-\d{2}-\d{2}|unknown)\.json\.gz$")


class Checkpoint(NamedTuple):
    seq: int
    size: int
    min_day: str | None  # the earliest date of the events since the one before; None: unknown
    name: str


def folder_of(db: Path) -> Path:
    return db.with_name(db.name + ".checkpoints")


def listed(folder: Path) -> list[Checkpoint]:
    """The checkpoints in ``folder`` by seq (none if it is missing or not a folder)."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    found = []
    for name in os.listdir(folder):
        match = _NAME.match(name)
        if match:
            day = match.group(3)
            found.append(Checkpoint(int(match.group(1)), int(match.group(2)),
                                    None if day == UNKNOWN else day, name))
    found.sort()
    return found


def due(seq_before: int, seq_after: int) -> bool:
    """Whether a commit from ``seq_before`` to ``seq_after`` crossed a multiple of EVERY."""
    return seq_before // EVERY != seq_after // EVERY


class Texts(NamedTuple):
    start: int  # the journal offset of the range's first event
    size: int  # just past its last
    name: str


TEXTS_FORMAT = 1
_TEXTS_NAME = re.compile(r"^(\d+)-(\d+)\.texts$")
SEPARATOR = b"\x1f"


def text_line(offset: int, event: dict[str, Any]) -> bytes | None:
    """An event's line of a texts file (None: it has no texts)."""
    texts = [fold(text).replace("\n", " ").replace("\x1f", " ").encode()
             for _field, text in event_texts(event)]
    return SEPARATOR.join([str(offset).encode(), *texts]) if texts else None


def texts_blob(start: int, size: int, last_hash: str, lines: list[bytes]) -> bytes:
    header = json.dumps({"format": TEXTS_FORMAT, "from": start, "size": size,
                         "hash": last_hash}).encode()
    return b"\n".join([header, *lines]) + b"\n"


def _write_texts(folder: Path, start: int, head: dict[str, Any], lines: list[bytes]) -> None:
    fd = open_backups(folder)
    try:
        write_in(fd, folder, f"{start}-{head['size']}.texts",
                 texts_blob(start, head["size"], head["hash"], lines),
                 mode=private_mode(folder))
    finally:
        os.close(fd)


def texts_listed(folder: Path) -> list[Texts]:
    """The texts files in ``folder`` by range (none if it is missing or not a folder)."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    found = []
    for name in os.listdir(folder):
        match = _TEXTS_NAME.match(name)
        if match and int(match.group(1)) < int(match.group(2)):
            found.append(Texts(int(match.group(1)), int(match.group(2)), name))
    found.sort()
    return found


def texts_bytes(folder: Path, texts: Texts) -> bytes:
    """A texts file as it is (never through a symlink); OSError if it cannot be read, or
    if it is larger than its range's texts can be (each a piece of its event's line,
    folded): a file planted to make every search read gigabytes is not read."""
    fd = os.open(folder / texts.name, os.O_RDONLY | NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        if os.fstat(handle.fileno()).st_size > 3 * (texts.size - texts.start) + 4096:
            raise OSError(f"{texts.name}: larger than the journal range it covers")
        return handle.read()


def read_texts(folder: Path, texts: Texts) -> tuple[dict[str, Any], bytes]:
    """A texts file's header and its lines. StorageError ``checkpoint.unreadable``."""
    path = folder / texts.name
    try:
        first, body = texts_bytes(folder, texts).split(b"\n", 1)
        header = json.loads(first)
    except (OSError, ValueError) as error:
        raise StorageError("checkpoint.unreadable", path=str(path)) from error
    if not isinstance(header, dict) or header.get("format") != TEXTS_FORMAT \
            or header.get("from") != texts.start or header.get("size") != texts.size:
        raise StorageError("checkpoint.unreadable", path=str(path))
    return header, body


def coverage(db: Path, history: History, end: int) -> list[tuple[int, int, Texts | None]]:
    """The journal up to ``end`` as ranges ``(start, stop, texts)``, in order: those a
    texts file covers, and between them (``texts`` None) those to read from the
    journal itself. No texts file counts if the last of them is not this journal's
    (its last event's hash): the journal was replaced or cut."""
    found = [t for t in texts_listed(folder_of(db)) if t.size <= end]
    if found:
        try:
            header, _body = read_texts(folder_of(db), found[-1])
        except StorageError:
            found = []
        else:
            if _hash_at(history, found[-1].size) != header.get("hash"):
                found = []
    ranges: list[tuple[int, int, Texts | None]] = []
    position = 0
    for texts in found:
        if texts.start < position:
            continue  # overlaps the one before (a copy from elsewhere): the journal's
        if texts.start > position:
            ranges.append((position, texts.start, None))
        ranges.append((texts.start, texts.size, texts))
        position = texts.size
    if position < end:
        ranges.append((position, end, None))
    return ranges


def write(db: Path, history: History, head: dict[str, Any], schema: int) -> str | None:
    """After a commit that crossed a multiple of EVERY: a checkpoint of the state file
    just written (at ``head``), if the journal grew by the state's size since the last
    one. Returns its name, None if none was due. Errors are the caller's to swallow
    (a checkpoint is a cache: the edit has happened)."""
    folder = folder_of(db)
    state = db.read_bytes()
    found = listed(folder)
    last = found[-1] if found else None
    since = last.size if last is not None else 0
    if last is not None and last.seq >= head["seq"]:
        return None
    if head["size"] - since < ROOM * len(state):
        return None
    min_day: str | None = None
    if last is not None or head["seq"] <= UNREAD_LIMIT:
        days, lines = [], []
        for offset, line in history.iter_lines(since):
            if offset >= head["size"]:
                break
            event = json.loads(line)
            days.append(str(event.get("ts", ""))[:10])
            text = text_line(offset, event)
            if text is not None:
                lines.append(text)
        min_day = min(days) if days else None
        _write_texts(folder, since, head, lines)
    return _write(folder, head, schema, min_day, _kept(db, state))


def _write(folder: Path, head: dict[str, Any], schema: int, min_day: str | None,
           state: bytes) -> str:
    header = {"format": FORMAT, "seq": head["seq"], "hash": head["hash"],
              "size": head["size"], "schema": schema}
    import gzip  # (only where a checkpoint is written or read: not every command's)

    blob = gzip.compress(json.dumps(header).encode() + b"\n" + state, compresslevel=1,
                         mtime=0)
    name = f"{head['seq']:012d}-{head['size']}-{min_day or UNKNOWN}.json.gz"
    fd = open_backups(folder)
    try:
        write_in(fd, folder, name, blob, mode=private_mode(folder))
    finally:
        os.close(fd)
    return name


def build(db: Path, history: History, schema: int) -> int:
    """Checkpoints over a journal that has none (one grown before them, or by the
    benchmark's generator): the replay from the start, a checkpoint at each commit end
    where a writer would have written one. Returns how many were written."""
    from tracker.domain.events import empty_tables
    from tracker.storage.history import group_part

    folder = folder_of(db)
    if listed(folder):
        return 0
    room = ROOM * db.stat().st_size
    tables = empty_tables()
    index = Index(tables)
    last_seq, last_size, min_day, written = 0, 0, "9999-99-99", 0
    lines: list[bytes] = []
    with runtime.gc_paused():
        for offset, line in history.iter_lines():
            event = json.loads(line)
            apply_event(tables, index, event)
            min_day = min(min_day, str(event.get("ts", ""))[:10])
            text = text_line(offset, event)
            if text is not None:
                lines.append(text)
            part = group_part(event)
            size = offset + len(line) + 1
            if (part is None or part[0] == part[1]) and event["seq"] - last_seq >= EVERY \
                    and size - last_size >= room:
                head = {"seq": event["seq"], "hash": event["hash"], "size": size}
                _write_texts(folder, last_size, head, lines)
                _write(folder, head, schema, min_day, state_bytes(tables))
                last_seq, last_size, min_day, written = event["seq"], size, "9999-99-99", \
                    written + 1
                lines = []
    return written


def state_bytes(tables: Tables) -> bytes:
    """A state as a checkpoint holds it: orjson, sorted keys (so that the order in which
    a writer and a replay built a document's keys does not count). TypeError if orjson
    cannot write it (an integer past 64 bits)."""
    import orjson

    return orjson.dumps(tables, option=orjson.OPT_SORT_KEYS)


def _kept(db: Path, state: bytes) -> bytes:
    """The state file just written, as a checkpoint keeps it (``state_bytes``, without
    ``meta.head``); as it is if orjson cannot read it (NaN, integers past 64 bits:
    verify then parses it to compare). A parse and a write of the state, once per
    checkpoint (~1.5x a state's parse: ~40 ms at 14,000 tasks, once per ~17,000 events)."""
    from tracker.storage.atomic import parse_json

    try:
        tables = parse_json(state, db)
        tables["meta"][META_ID].pop("head", None)
        return state_bytes(tables)
    except (StorageError, KeyError, TypeError, AttributeError):
        return state


def read(folder: Path, checkpoint: Checkpoint) -> tuple[dict[str, Any], Tables]:
    """A checkpoint's header and its state as a replay has it (no ``meta.head``).
    StorageError ``checkpoint.unreadable`` if it cannot be read."""
    header, state = read_bytes(folder, checkpoint)
    return header, parse_state(folder, checkpoint, state)


def read_bytes(folder: Path, checkpoint: Checkpoint) -> tuple[dict[str, Any], bytes]:
    """A checkpoint's header and its state's bytes, not parsed (verify compares them
    with its replay's ``state_bytes``). StorageError ``checkpoint.unreadable`` if it
    cannot be read."""
    import gzip

    path = folder / checkpoint.name
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            raw = gzip.decompress(handle.read())
        first, state = raw.split(b"\n", 1)
        header = json.loads(first)
    except (OSError, ValueError, EOFError):  # (gzip.BadGzipFile is an OSError)
        raise StorageError("checkpoint.unreadable", path=str(path)) from None
    if not isinstance(header, dict) or header.get("seq") != checkpoint.seq \
            or header.get("size") != checkpoint.size:
        raise StorageError("checkpoint.unreadable", path=str(path))
    return header, state


def parse_state(folder: Path, checkpoint: Checkpoint, state: bytes) -> Tables:
    """A checkpoint's state (``read_bytes``) parsed, as a replay has it (no
    ``meta.head``). StorageError ``checkpoint.unreadable`` if it is not a state."""
    from tracker.storage.atomic import parse_json

    try:
        tables = parse_json(state, folder / checkpoint.name)
        tables["meta"][META_ID].pop("head", None)
    except (KeyError, TypeError, AttributeError, StorageError):
        raise StorageError("checkpoint.unreadable", path=str(folder / checkpoint.name)) \
            from None
    return tables


def _hash_at(history: History, size: int) -> str | None:
    """The hash of the journal's event that ends at byte ``size`` (None: none there)."""
    start = max(0, size - 65_536)
    with contextlib.suppress(OSError, StorageError, ValueError):
        with history._reader() as handle:
            if os.fstat(handle.fileno()).st_size < size:
                return None
            handle.seek(start)
            raw = handle.read(size - start)
        if raw.endswith(b"\n"):
            line = raw[raw.rfind(b"\n", 0, len(raw) - 1) + 1:-1]
            value = json.loads(line).get("hash")
            return value if isinstance(value, str) else None
    return None


def state_as_of(db: Path, history: History, until: date,
                schema: int) -> tuple[Tables, Index] | None:
    """The state as of the end of day ``until`` from the nearest checkpoint (see the
    module's docstring), or None where a replay from the start must say (no usable
    checkpoint before the cut). An empty state when no event is dated that day or
    earlier."""
    from tracker.domain.events import empty_tables

    folder = folder_of(db)
    found = listed(folder)
    if not found:
        return None
    day = until.isoformat()
    # The events after the last checkpoint, then each interval back from the end.
    with runtime.gc_paused():  # (thousands of small dicts, none of them garbage)
        tail = list(history.stream(found[-1].size))
    start: Checkpoint | None
    if any(str(e.get("ts", ""))[:10] <= day for e in tail):
        start, events = found[-1], tail
    else:
        for number in range(len(found) - 1, -1, -1):
            checkpoint = found[number]
            if checkpoint.min_day is None:
                return None
            if checkpoint.min_day <= day:
                start = found[number - 1] if number else None
                with runtime.gc_paused():
                    events = list(history.stream(start.size if start else 0,
                                                 checkpoint.size))
                break
        else:
            tables = empty_tables()
            return tables, Index(tables)  # nothing dated that day or earlier
    if start is None:
        tables = empty_tables()
    else:
        try:
            header, tables = read(folder, start)
        except StorageError:
            return None
        if header.get("schema") != schema or header.get("format") != FORMAT \
                or _hash_at(history, start.size) != header.get("hash"):
            return None
    cut = 0
    for number, event in enumerate(events, start=1):
        if str(event["ts"])[:10] <= day:
            cut = number
    with runtime.gc_paused():
        index = Index(tables)
        for event in events[:cut]:
            apply_event(tables, index, event)
    return tables, index


VERIFIED = "verified.json"  # the last checkpoint a verify found sound, with its digest


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def mark_verified(db: Path, sound: list[Checkpoint], known: dict[str, str]) -> None:
    """Remember the checkpoints a verify found sound (``sound``, by seq; ``known``: the
    digests of those found sound before) with their digests, the last one to start the
    next verify from. Best effort: a reader who may not write the folder simply
    verifies everything again next time."""
    folder = folder_of(db)
    with contextlib.suppress(OSError, StorageError):
        digests = {**known, **{c.name: _digest(folder / c.name) for c in sound}}
        data = json.dumps({"name": sound[-1].name, "sha256": digests}).encode()
        fd = open_backups(folder)
        try:
            write_in(fd, folder, VERIFIED, data, mode=private_mode(folder))
        finally:
            os.close(fd)


def verified(db: Path, history: History) -> tuple[Checkpoint, dict[str, str]] | None:
    """The checkpoint the last verify found sound, if it is still there unchanged and
    still a point of this journal (its event's hash), with the digests of every
    checkpoint found sound up to it; None: verify from the start."""
    folder = folder_of(db)
    try:
        mark = json.loads((folder / VERIFIED).read_bytes())
        digests = {str(k): str(v) for k, v in mark["sha256"].items()}
        checkpoint = {c.name: c for c in listed(folder)}[mark["name"]]
        if _digest(folder / checkpoint.name) != digests[checkpoint.name]:
            return None
        header, _tables = read(folder, checkpoint)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, StorageError):
        return None
    if _hash_at(history, checkpoint.size) != header.get("hash"):
        return None
    return checkpoint, digests


def changed_since_verified(db: Path, digests: dict[str, str], before: int) -> list[str]:
    """The checkpoints before seq ``before`` whose file is not the one a verify found
    sound (edited or damaged since), or that no verify has seen."""
    folder = folder_of(db)
    changed = []
    for checkpoint in listed(folder):
        if checkpoint.seq < before:
            try:
                same = _digest(folder / checkpoint.name) == digests.get(checkpoint.name)
            except OSError:
                same = False
            if not same:
                changed.append(checkpoint.name)
    return changed


def each(db: Path) -> Iterator[Checkpoint]:
    """The checkpoints of the database at ``db``, by seq (for verify)."""
    yield from listed(folder_of(db))
