"""One-shot commands parse only the documents they touch (storage.atomic.LazyTable):
the result must be the same as parsing everything."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tracker.domain.commands import AddNote, Measure, SetFields
from tracker.domain.errors import StorageError
from tracker.domain.plan import builtin_plan
from tracker.storage.atomic import parse_json, split_lines
from tracker.storage.store import Store


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    eager = tmp_path / "eager.json"
    Store(eager).create(builtin_plan())
    lazy = tmp_path / "lazy.json"
    for suffix in ("", ".history"):
        shutil.copy(str(eager) + suffix, str(lazy) + suffix)
    return eager, lazy


def _edits() -> list:
    from datetime import date

    return [SetFields("211421-2.5", {"status": "in_progress", "owner": "G07"}),
            AddNote("210102-1.1", "县局已签订合同"),
            Measure("211421", "staff", 12, date(2018, 1, 1), "季报")]


def test_lazy_and_eager_edits_give_the_same_file(pair: tuple[Path, Path]) -> None:
    from datetime import datetime

    eager, lazy = pair
    # One moment for both: the same edit a second later on a busy machine is another file.
    moment = datetime.now().astimezone().replace(microsecond=0)
    for command in _edits():
        Store(eager, clock=lambda: moment).apply(command)
        Store(lazy, lazy=True, clock=lambda: moment).apply(command)
    a = parse_json(eager.read_bytes(), eager)
    b = parse_json(lazy.read_bytes(), lazy)
    for table in ("tasks", "counties", "plan"):
        assert a[table] == b[table]
    assert Store(lazy).verify() == []


def test_lazy_edit_rewrites_only_the_changed_lines(pair: tuple[Path, Path]) -> None:
    _eager, lazy = pair
    before = lazy.read_bytes().split(b"\n")
    Store(lazy, lazy=True).apply(SetFields("211421-2.5", {"owner": "G07"}))
    after = lazy.read_bytes().split(b"\n")
    changed = [i for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y]
    assert len(changed) == 2  # the meta document (history head) and the task
    assert b'"id":"211421-2.5"' in after[changed[1]]


def test_an_edit_writes_unchanged_documents_as_the_lines_read(
        pair: tuple[Path, Path]) -> None:
    """The whole-file reader too: a document the edit leaves alone is written back as
    the very line read (here spelled with spaces the encoder would not write), twice."""
    eager, _lazy = pair
    lines = eager.read_bytes().split(b"\n")
    mark = next(i for i, line in enumerate(lines) if b'"id":"210102-1.1"' in line)
    lines[mark] = lines[mark].replace(b'"id":"210102-1.1"', b'"id": "210102-1.1"')
    eager.write_bytes(b"\n".join(lines))
    store = Store(eager)
    store.apply(SetFields("211421-2.5", {"owner": "G07"}))
    assert b'"id": "210102-1.1"' in eager.read_bytes()
    store.apply(SetFields("211421-2.5", {"owner": "G08"}))
    assert b'"id": "210102-1.1"' in eager.read_bytes()
    store.apply(SetFields("210102-1.1", {"owner": "G09"}))  # changed: encoded afresh
    assert b'"id":"210102-1.1"' in eager.read_bytes()


def test_lazy_tables_read_like_dicts(pair: tuple[Path, Path]) -> None:
    eager, _lazy = pair
    raw = eager.read_bytes()
    tables = split_lines(raw, eager)
    data = parse_json(raw, eager)
    assert tables is not None and list(tables) == list(data)
    for name in data:
        assert list(tables[name]) == list(data[name])
        assert dict(tables[name].items()) == data[name]
    assert tables["tasks"].idents("id") == {d["id"]: k for k, d in data["tasks"].items()}


@pytest.mark.parametrize("raw", [b"", b"{}", b'{"_default": {}}', b"{\n\"meta\":{\n"])
def test_other_layouts_are_parsed_whole(raw: bytes, tmp_path: Path) -> None:
    assert split_lines(raw, tmp_path / "x") is None


def test_a_damaged_document_line_is_a_clear_error(pair: tuple[Path, Path]) -> None:
    _eager, lazy = pair
    raw = lazy.read_bytes()
    damaged = raw.replace(b'{"id":"211421-2.5","county"', b'{"id":"211421-2.5",,"county"', 1)
    lazy.write_bytes(damaged)
    with pytest.raises(StorageError, match=r"document \d+ is not valid JSON"):
        Store(lazy, lazy=True).apply(SetFields("211421-2.5", {"owner": "G07"}))
    assert lazy.read_bytes() == damaged


def test_one_tasks_events_are_found_without_parsing_the_others(pair: tuple[Path, Path]) -> None:
    eager, _lazy = pair
    store = Store(eager)
    for command in _edits():
        store.apply(command)
    store.apply(AddNote("211421-2.5", 'mentions "task":"210102-1.1" in its text'))
    mine = store.task_events("211421-2.5")
    assert [e["type"] for e in mine] == ["set", "set", "note"]
    assert [e["type"] for e in store.task_events("210102-1.1")] == ["note"]
    assert store.task_events("211421-2.5") == [e for e in store.events()
                                               if e.get("task") == "211421-2.5"]


def test_a_lazy_edit_carries_other_documents_bytes_along_unchanged(
        pair: tuple[Path, Path]) -> None:
    """A one-shot edit writes back every document it did not touch as the very bytes
    read, even one whose line is damaged (which every full read then refuses), and a
    second edit in the same process builds on the first."""
    _eager, lazy = pair
    raw = lazy.read_bytes()
    damaged = raw.replace(b'{"id":"210102-1.1","county"', b'{"id":"210102-1.1",,"county"', 1)
    assert damaged != raw
    lazy.write_bytes(damaged)
    store = Store(lazy, lazy=True)
    store.apply(SetFields("211421-2.5", {"owner": "G07"}))
    store.apply(AddNote("211422-2.5", "县局已签订合同"))
    store.apply(SetFields("211421-2.5", {"owner": "G08"}))
    after = lazy.read_bytes()
    before_lines, after_lines = damaged.split(b"\n"), after.split(b"\n")
    changed = {i for i, (x, y) in enumerate(zip(before_lines, after_lines, strict=True))
               if x != y}
    where = {name: next(i for i, line in enumerate(after_lines) if name in line)
             for name in (b'"head":', b'{"id":"211421-2.5"', b'{"id":"211422-2.5"')}
    assert changed == set(where.values())  # the journal's head and the two tasks
    assert b'"owner":"G08"' in after_lines[where[b'{"id":"211421-2.5"']]
    assert b'{"id":"210102-1.1",,"county"' in after  # carried along, not repaired
    with pytest.raises(StorageError):
        Store(lazy).view()


def test_a_state_laid_out_otherwise_is_read_whole(pair: tuple[Path, Path]) -> None:
    """Valid JSON in another layout (a document spread over lines, as a hand edit with
    an editor that indents might leave it) is parsed whole, not cut at its line breaks."""
    import json

    _eager, lazy = pair
    data = json.loads(lazy.read_bytes())
    key, doc = next(iter(data["tasks"].items()))
    raw = lazy.read_bytes()
    line = f'"{key}":' + json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    spread = line.replace(',"county"', ',\n  "county"', 1)
    assert line.encode() in raw
    lazy.write_bytes(raw.replace(line.encode(), spread.encode(), 1))
    assert split_lines(lazy.read_bytes(), lazy) is None
    Store(lazy, lazy=True).apply(SetFields(doc["id"], {"owner": "G07"}))
    assert Store(lazy).view().task(doc["id"]).owner == "G07"


def test_an_edit_by_id_leaves_the_plan_unread(pair: tuple[Path, Path]) -> None:
    """The plan's document (a few MB at 10,000 counties) is found, not parsed, by an edit
    that does not need it (a priority; an owner is checked against the plan's survey
    groups): damaged, it is carried along as read, and a read that needs the plan then
    says so."""
    _eager, lazy = pair
    raw = lazy.read_bytes()
    damaged = raw.replace(b'"counties":[{', b'"counties":[,{', 1)
    assert damaged != raw
    lazy.write_bytes(damaged)
    Store(lazy, lazy=True).apply(SetFields("211421-2.5", {"priority": "high"}))
    after = lazy.read_bytes()
    plan_line = next(line for line in damaged.split(b",\n") if b'"counties":[,{' in line)
    assert plan_line in after and b'"priority":"high"' in after
    with pytest.raises(StorageError, match=r"not valid JSON"):
        Store(lazy, lazy=True).view().plan  # noqa: B018
