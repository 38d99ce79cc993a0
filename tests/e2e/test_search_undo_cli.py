"""`tracker search` and `tracker undo`, end to end through the installed command."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli import run
from tests.e2e.test_service_shell import Service, _staffed, _text

TASK = "211421-2.5"


def _search(db: Path, *args: str) -> list[dict]:
    return json.loads(run(db, "search", *args, "--json").stdout)


def test_search_finds_a_chinese_phrase_in_the_demo_follow_ups(demo_db: Path) -> None:
    hits = _search(demo_db, "外包合同")
    assert len(hits) >= 10
    assert all("外包合同" in hit["text"] for hit in hits)
    assert {hit["field"] for hit in hits} == {"outcome"}
    assert all(hit["task"] and hit["user"] and hit["seq"] and hit["ts"] for hit in hits)
    mine = _search(demo_db, "外包合同", "--user", "demo.wang")
    assert mine and {hit["user"] for hit in mine} == {"demo.wang"} and len(mine) < len(hits)
    june = _search(demo_db, "外包合同", "--since", "2019-06-01")
    assert june and all(hit["ts"] >= "2019-06-01" for hit in june)
    one = _search(demo_db, "进度", "--task", "绥中-2.5")
    assert one and {hit["task"] for hit in one} == {TASK}
    shown = run(demo_db, "search", "外包合同").stdout
    assert f"{len(hits)} hits for '外包合同'" in shown and "outcome" in shown


def test_search_notes_reasons_and_latin_in_any_case(db: Path) -> None:
    run(db, "note", TASK, "县局已签订数字化外包合同 with Vendor SIGNED")
    run(db, "set", TASK, "--status", "blocked", "--comment", "经费未到位, budget Frozen")
    note = _search(db, "签订数字化")
    assert [(h["task"], h["field"]) for h in note] == [(TASK, "note")]
    assert [h["field"] for h in _search(db, "signed")] == ["note"]
    assert [h["field"] for h in _search(db, "FROZEN")] == ["reason"]
    assert _search(db, "nothing like this") == []
    assert "search" in run(db, "search", " ", check=2).stderr


def test_undo_takes_back_the_last_change_and_an_undo_of_it_redoes(db: Path) -> None:
    run(db, "set", TASK, "--status", "in_progress", "--comment", "已立项")
    run(db, "set", TASK, "--owner", "G07", "--next", "2020-01-15")
    out = run(db, "undo").stdout
    assert "owner G07 → -" in out and "undid #" in out
    shown = json.loads(run(db, "show", TASK, "--json").stdout)
    assert shown["owner"] is None and shown["next_followup"] is None
    assert shown["status"] == "in_progress"  # only the last change was taken back
    events = json.loads(run(db, "history", TASK, "--json").stdout)
    undo = events[-2:]
    assert all(e["undoes"] for e in undo) and {e["user"] for e in undo} == {events[-3]["user"]}
    assert {e["undoes"] for e in undo} == {events[-3]["seq"], events[-4]["seq"]}
    assert "undo of #" in run(db, "history", TASK).stdout
    run(db, "undo")  # the undo of the undo: a redo
    shown = json.loads(run(db, "show", TASK, "--json").stdout)
    assert shown["owner"] == "G07" and shown["next_followup"] == "2020-01-15"
    run(db, "verify")


def test_undo_of_a_status_brings_its_reason_back(db: Path) -> None:
    run(db, "set", TASK, "--status", "in_progress")
    run(db, "set", TASK, "--status", "blocked", "--comment", "经费未到位")
    run(db, "set", TASK, "--status", "in_progress", "--comment", "经费已到位")
    run(db, "undo")
    shown = json.loads(run(db, "show", TASK, "--json").stdout)
    assert shown["status"] == "blocked"
    history = json.loads(run(db, "history", TASK, "--json").stdout)
    assert history[-1]["comment"] == "经费未到位"  # not typed again


def test_undo_of_a_given_event_and_what_cannot_be_undone(db: Path) -> None:
    run(db, "set", TASK, "--owner", "G07")
    first = json.loads(run(db, "history", TASK, "--json").stdout)[-1]["seq"]
    run(db, "set", TASK, "--priority", "high")
    run(db, "undo", str(first))
    shown = json.loads(run(db, "show", TASK, "--json").stdout)
    assert shown["owner"] is None and shown["priority"] == "high"
    run(db, "note", TASK, "a note")
    refused = run(db, "undo", check=1)
    assert "is a note" in refused.stderr and "Traceback" not in refused.stderr
    assert "not an event number" in run(db, "undo", "abc", check=2).stderr
    assert "no event #99999" in run(db, "undo", "99999", check=2).stderr


def test_undo_refused_when_someone_changed_the_field_since(tmp_path: Path) -> None:
    svc: Service = _staffed(tmp_path)
    svc.ssh("eve", f"set {TASK} --owner G07 --priority high")
    svc.ssh("ann", f"set {TASK} --owner G08")
    refused = svc.ssh("eve", "undo", check=1)
    assert "owner was changed by ann" in _text(refused)  # the edit conflict's message
    shown = json.loads(svc.ssh("ann", f"show {TASK} --json").stdout)
    assert shown["owner"] == "G08" and shown["priority"] == "high"  # all or nothing
    history = json.loads(svc.ssh("ann", f"history {TASK} --json").stdout)
    anns = history[-1]["seq"]
    assert "only your own" in _text(svc.ssh("eve", f"undo {anns}", check=1))
    svc.ssh("ann", "undo")
    assert json.loads(svc.ssh("ann", f"show {TASK} --json").stdout)["owner"] == "G07"
    assert "0 hits for '外包'" in _text(svc.ssh("vic", "search 外包"))  # viewers may search
    assert "no change to undo" in _text(svc.ssh("vic", "undo", check=1))
