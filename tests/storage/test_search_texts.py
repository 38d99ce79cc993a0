"""Search from the texts files beside the checkpoints (storage.checkpoints, "texts"):
the same hits as parsing every event of the journal, whether the texts files are there,
missing, of another journal or written by `build`; `verify` names one that was changed
or that is not a range of this journal."""

from __future__ import annotations

import contextlib
import json
import random
import shutil
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from tracker.domain.commands import AddNote, LogFollowup, SetFields
from tracker.domain.errors import TrackerError
from tracker.domain.model import FollowupKind
from tracker.domain.plan import builtin_plan
from tracker.domain.search import EventFilter, fold, hits_in
from tracker.storage import checkpoints
from tracker.storage.store import Store

from .storage_helpers import task_ids
from .test_checkpoints import Clock

CST = timezone(timedelta(hours=8))
TASKS = task_ids(20)
WORDS = ["外包合同", "Outsourcing contract", "安全责任书", "called the BUREAU", "预算 2019",
         "É visited", "line one\nline two"]
QUERIES = ["外包合同", "outsourcing", "OUTSOURCING CONTRACT", "bureau", "预算", "2019", "é",
           "line one", "责任", "nothing like this", "call 7"]


def _history(db: Path, seed: int = 3, commits: int = 150) -> Store:
    rng = random.Random(seed)
    clock = Clock()
    store = Store(db, clock=clock, known_account=lambda name: True)
    store.create(builtin_plan(), when=clock.now)
    for n in range(commits):
        clock.now += timedelta(hours=rng.randrange(1, 30))
        task = rng.choice(TASKS)
        word = rng.choice(WORDS)
        step = rng.random()
        if step < 0.5:
            store.apply(AddNote(task, f"{word}, call {n}"))
        elif step < 0.75:
            store.apply(LogFollowup(task, FollowupKind.CALL, f"{word} ({n})"))
        else:
            with contextlib.suppress(TrackerError):  # the same owner again
                store.apply(SetFields(task, {"owner": f"G{n % 20 + 1:02d}"},
                                      comment=f"{word} #{n}"))
    return store


def _every_event(store: Store, query: str) -> list[tuple[int, str, str]]:
    """The reference: every event of the journal parsed and checked."""
    text = fold(query.strip())
    events = [json.loads(line) for line in
              store.history.path.read_bytes().splitlines()]
    return [(h.seq, h.field, h.text) for e in events for h in hits_in(e, text)]


def _found(store: Store, query: str, **keep: str) -> list[tuple[int, str, str]]:
    return [(h.seq, h.field, h.text) for h in store.search(query, EventFilter(**keep))]


def test_search_from_texts_finds_what_parsing_every_event_finds(
        tmp_path: Path, small_checkpoints: None) -> None:
    store = _history(tmp_path / "t.json")
    folder = checkpoints.folder_of(store.path)
    texts = checkpoints.texts_listed(folder)
    assert len(texts) >= 5
    assert [t.start for t in texts] == [0, *[t.size for t in texts[:-1]]]  # contiguous
    assert texts[-1].size < store.history.size()  # and a tail the journal answers
    for query in QUERIES:
        expected = _every_event(store, query)
        assert _found(store, query) == expected, query
    assert any(_every_event(store, q) for q in QUERIES)
    # Kept by user and date as before.
    first = _every_event(store, "bureau")[0][0]
    assert _found(store, "bureau", until="2000-01-01") == []
    assert _found(store, "bureau")[0][0] == first


def test_search_without_texts_or_with_another_journals_is_the_same(
        tmp_path: Path, small_checkpoints: None) -> None:
    store = _history(tmp_path / "t.json")
    folder = checkpoints.folder_of(store.path)
    expected = {q: _every_event(store, q) for q in QUERIES}
    # Another journal's texts (the same offsets, other words): not this journal's.
    other = _history(tmp_path / "other.json", seed=9)
    for texts in checkpoints.texts_listed(folder):
        (folder / texts.name).unlink()
    for texts in checkpoints.texts_listed(checkpoints.folder_of(other.path)):
        shutil.copy(checkpoints.folder_of(other.path) / texts.name, folder / texts.name)
    assert {q: _found(store, q) for q in QUERIES} == expected
    # None at all, and one missing in the middle.
    for texts in checkpoints.texts_listed(folder):
        (folder / texts.name).unlink()
    assert {q: _found(store, q) for q in QUERIES} == expected


def test_a_missing_texts_file_is_read_from_the_journal(
        tmp_path: Path, small_checkpoints: None) -> None:
    store = _history(tmp_path / "t.json")
    folder = checkpoints.folder_of(store.path)
    middle = checkpoints.texts_listed(folder)[2]
    (folder / middle.name).unlink()
    for query in QUERIES:
        assert _found(store, query) == _every_event(store, query), query
    assert store.verify() == []


def test_build_writes_texts_beside_each_checkpoint(tmp_path: Path,
                                                   small_checkpoints: None) -> None:
    """A journal grown before checkpoints (or by the benchmark): `build` gives each
    checkpoint its texts, and search then reads them."""
    store = _history(tmp_path / "t.json")
    folder = checkpoints.folder_of(store.path)
    shutil.rmtree(folder)
    assert store.build_checkpoints() > 0
    texts = checkpoints.texts_listed(folder)
    assert [t.size for t in texts] == [c.size for c in checkpoints.listed(folder)]
    assert [t.start for t in texts] == [0, *[t.size for t in texts[:-1]]]
    for query in QUERIES:
        assert _found(store, query) == _every_event(store, query), query
    assert store.verify() == []


@pytest.mark.parametrize("change", ["hide", "add", "stale"])
def test_verify_names_a_changed_or_stale_texts_file(tmp_path: Path, small_checkpoints: None,
                                                    change: str) -> None:
    store = _history(tmp_path / "t.json")
    assert store.verify() == []
    folder = checkpoints.folder_of(store.path)
    texts = checkpoints.texts_listed(folder)[1]
    path = folder / texts.name
    if change == "hide":  # a colleague hides a note from search
        head, *lines = path.read_bytes().split(b"\n")
        offset, text = lines[0].split(b"\x1f")[:2]
        path.write_bytes(b"\n".join([head, *lines[1:]]))
        raw = store.history.path.read_bytes()
        seq = json.loads(raw[int(offset):raw.index(b"\n", int(offset))])["seq"]
        assert seq in {hit[0] for hit in _every_event(store, text.decode())}
        assert seq not in {hit[0] for hit in _found(store, text.decode())}  # search read it
    elif change == "add":
        path.write_bytes(path.read_bytes() + b"0\x1fplanted\n")
    else:
        stale = folder / f"{texts.start}-{texts.size + 7}.texts"
        stale.write_bytes(path.read_bytes())
    findings = store.verify(full=True)
    key = "verify.texts_stale" if change == "stale" else "verify.texts_differs"
    assert [(f.key, f.params["name"]) for f in findings] == [
        (key, f"{texts.start}-{texts.size + 7}.texts" if change == "stale" else texts.name)]


def test_a_texts_file_whose_checkpoint_was_never_written(
        tmp_path: Path, small_checkpoints: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that wrote the texts of its range and then failed to write the checkpoint
    (a full disk): the next writer's texts cover the same start again. Search still
    finds what parsing every event finds, and verify finds both files sound."""
    store = _history(tmp_path / "t.json", commits=40)
    folder = checkpoints.folder_of(store.path)
    real = checkpoints._write

    def fail_once(*args: object, **kwargs: object) -> str:
        monkeypatch.setattr(checkpoints, "_write", real)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoints, "_write", fail_once)
    clock = Clock()
    more = Store(store.path, clock=clock, known_account=lambda name: True)
    before = {t.name for t in checkpoints.texts_listed(folder)}
    for n in range(60):
        clock.now = clock.now.replace(year=2019) + timedelta(hours=n)
        more.apply(AddNote(TASKS[n % len(TASKS)], f"outsourcing contract, call {n}"))
    texts = checkpoints.texts_listed(folder)
    starts = [t.start for t in texts]
    assert len(starts) > len(set(starts)), (before, texts)  # two files from one start
    for query in QUERIES:
        assert _found(more, query) == _every_event(more, query), query
    assert more.verify(full=True) == []


def test_a_planted_huge_or_symlinked_texts_file_is_not_read(
        tmp_path: Path, small_checkpoints: None) -> None:
    """A colleague's file in place of a texts file: one larger than its range's texts can
    be, or a symlink, is not read; search reads the journal there, and finds the same."""
    store = _history(tmp_path / "t.json")
    folder = checkpoints.folder_of(store.path)
    first, second = checkpoints.texts_listed(folder)[:2]
    header = (folder / first.name).read_bytes().split(b"\n", 1)[0]
    # Its own texts gone, and padding that would make every search read it all.
    (folder / first.name).write_bytes(header + b"\n0\x1f" + b"x" * (4 * first.size) + b"\n")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not a texts file\n")
    (folder / second.name).unlink()
    (folder / second.name).symlink_to(secret)
    for query in QUERIES:
        assert _found(store, query) == _every_event(store, query), query
