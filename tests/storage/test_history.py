"""History: a hash-linked journal that `verify` checks against the state, that rebuilds
the past (`--as-of`), and whose times never go backwards."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from tracker.domain.commands import AddNote, Measure, SetFields
from tracker.domain.plan import builtin_plan
from tracker.storage.store import Store

from .storage_helpers import RunTracker, catalog_fragments, task_ids

TASK, OTHER = task_ids(2)
CST = timezone(timedelta(hours=8))


def journal(db: Path) -> Path:
    return db.with_name(db.name + ".history")


def lines_of(db: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in journal(db).read_bytes().splitlines()]


def assert_verify_fails(tracker: RunTracker, db: Path, *expected: str) -> str:
    result = tracker(db, "verify")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stdout, (text, result.stdout)
    return result.stdout


def test_each_event_links_to_the_hash_of_the_one_before(db: Path, tracker: RunTracker) -> None:
    store = Store(db)
    store.apply(AddNote(TASK, "called the bureau"))
    store.apply(SetFields(TASK, {"owner": "G02", "priority": "high"}))
    events = lines_of(db)

    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    previous = "0" * 64
    for event in events:
        assert event["prev"] == previous
        body = {k: v for k, v in event.items() if k != "hash"}
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert event["hash"] == hashlib.sha256(text.encode()).hexdigest()
        previous = str(event["hash"])
    result = tracker(db, "verify")
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("ok: 4 events")


def test_an_event_edited_in_the_journal_is_named_by_verify(db: Path, tracker: RunTracker) -> None:
    store = Store(db)
    for text in ("alpha call", "beta call", "gamma call"):
        store.apply(AddNote(TASK, text))
    assert tracker(db, "verify").returncode == 0
    data = journal(db).read_bytes()
    assert data.count(b"beta call") == 1
    journal(db).write_bytes(data.replace(b"beta call", b"BETA call"))  # event 3

    out = assert_verify_fails(tracker, db, "event 3 (", *catalog_fragments("verify.event_hash"))
    assert "event 2 " not in out and "event 4" not in out


def test_a_task_field_edited_in_the_state_file_is_named_by_verify(
        db: Path, tracker: RunTracker) -> None:
    Store(db).apply(SetFields(TASK, {"owner": "G02"}))
    state = json.loads(db.read_text(encoding="utf-8"))
    doc = next(d for d in state["tasks"].values() if d["id"] == OTHER)
    doc["owner"] = "G09"
    db.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")

    out = assert_verify_fails(tracker, db, f"task {OTHER}: owner is 'G09' in the file but None",
                              *catalog_fragments("verify.task_differs"))
    assert TASK not in out


def test_a_deleted_last_journal_line_is_detected(db: Path, tracker: RunTracker) -> None:
    store = Store(db)
    store.apply(AddNote(TASK, "first"))
    store.apply(AddNote(TASK, "second"))
    lines = journal(db).read_bytes().splitlines(keepends=True)
    journal(db).write_bytes(b"".join(lines[:-1]))

    assert_verify_fails(tracker, db, "history head (event 3) is not in the journal")
    listed = tracker(db, "list")
    assert listed.returncode == 1
    assert listed.stderr.startswith(f"tracker: {journal(db)}: ")
    assert "shorter than the database expects" in listed.stderr


def test_as_of_rebuilds_the_status_on_a_past_date(tmp_path: Path, tracker: RunTracker) -> None:
    db = tmp_path / "tracker.json"
    Store(db, clock=lambda: datetime(2021, 1, 4, 9, 0, tzinfo=CST)).create(builtin_plan())
    edit_time = datetime(2021, 3, 1, 15, 30, tzinfo=CST)
    Store(db, clock=lambda: edit_time).apply(SetFields(TASK, {"status": "in_progress"}))

    def status(*as_of: str) -> str:
        result = tracker(db, "list", "--json", *as_of)
        assert result.returncode == 0, result.stderr
        return next(t["status"] for t in json.loads(result.stdout) if t["id"] == TASK)

    assert status("--as-of", "2021-02-28") == "not_started"
    assert status("--as-of", "2021-03-01") == "in_progress"  # the day of the edit counts
    assert status("--as-of", "2021-06-30") == "in_progress"
    assert status() == "in_progress"


def test_a_clock_behind_the_last_event_keeps_its_own_time(db: Path) -> None:
    """Each event keeps its writer's time (issue 12: the old clamp to the last event's
    time let one clock ahead stamp everyone's later events); the journal keeps the order
    of writing, and the notes are listed in that order."""
    later = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)
    earlier = later - timedelta(hours=3)
    Store(db, clock=lambda: later).apply(AddNote(TASK, "from a machine ahead"))
    Store(db, clock=lambda: earlier).apply(AddNote(TASK, "from a machine behind"))

    events = list(Store(db).events())
    times = [datetime.fromisoformat(e["ts"]) for e in events]
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert times[1:] == [later, earlier]
    assert [n.text for n in Store(db).view().timeline(TASK).notes] == [
        "from a machine ahead", "from a machine behind"]
    assert Store(db).verify() == []


def test_notes_and_measurements_grow_the_journal_not_the_state(db: Path) -> None:
    """What only grows stays in the journal, so an edit costs the same after 500,000
    notes as after none (the benchmark's figure): the state rewritten by every edit keeps
    its size however many notes and measurements a task or county gets."""
    store = Store(db)
    store.apply(AddNote(TASK, "first"), Measure("211421", "staff", 5, date(2018, 1, 1)))
    state_before, journal_before = db.stat().st_size, journal(db).stat().st_size
    for n in range(40):
        store.apply(AddNote(TASK, f"call {n}: the county reported progress"),
                    Measure("211421", "staff", 6 + n, date(2018, 2, 1) + timedelta(days=n)))

    assert journal(db).stat().st_size > journal_before + 40 * 200
    assert db.stat().st_size - state_before < 200  # version numbers and stamps only
    view = Store(db).view()
    assert len(view.timeline(TASK).notes) == 41
    assert [m.value for m in view.measurements("211421", "staff")][-2:] == [44, 45]
    assert view.latest("211421", "staff").value == 45  # type: ignore[union-attr]


def test_a_view_reads_the_journal_only_as_far_as_its_state(db: Path) -> None:
    """A view is one consistent state: a colleague's note or measurement saved after it
    was taken shows in the next view, not in this one's timeline or series."""
    store = Store(db)
    store.apply(AddNote(TASK, "before"), Measure("211421", "staff", 5, date(2018, 1, 1)))
    view = Store(db).view()
    Store(db).apply(AddNote(TASK, "after"), Measure("211421", "staff", 6, date(2018, 2, 1)))

    assert [n.text for n in view.timeline(TASK).notes] == ["before"]
    assert [m.value for m in view.measurements("211421", "staff")] == [5]
    fresh = Store(db).view()
    assert [n.text for n in fresh.timeline(TASK).notes] == ["before", "after"]
    assert [m.value for m in fresh.measurements("211421", "staff")] == [5, 6]


def test_the_tail_up_to_a_date_is_what_a_full_read_filtered_by_date_ends_with(
        tmp_path: Path) -> None:
    """The dashboard's recent changes as of a past date: a binary search on the
    journal's time order, checked against reading every event."""
    from tests.screens.factory import build_demo_files
    from tracker.storage.history import History

    history = History(build_demo_files(tmp_path).with_name("demo.json.history"))
    everything = [json.loads(line) for line in history.path.read_bytes().splitlines()]
    for day in ("2017-05-01", "2017-06-15", "2018-03-01", "2019-06-30", "2020-12-31",
                "2030-01-01"):
        wanted = [e for e in everything if e["ts"][:10] <= day]
        assert history.tail(1 << 30, until=day) == wanted
        window = history.tail(16_384, until=day)
        assert window == wanted[len(wanted) - len(window):]
        assert (len(window) > 10) == (len(wanted) > 10)  # the window is not empty
