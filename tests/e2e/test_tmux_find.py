"""Search, pinyin, undo and marking (issue 15) in the installed `tracker`, in a real
terminal (tmux) at 80x24: what a user sees, checked against the CLI and the journal.

Each test runs on its own copy of the demo database (its day: 2019-06-26) and its own
tmux server; every wait polls the pane against a deadline (tests/e2e/tmux.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.test_tmux import TASK, TASK_TITLE, TRACEBACK, cli, row_of, t, tracker_line
from tests.e2e.tmux import TMUX, Tmux, app_env

pytestmark = [pytest.mark.slow,  # the app in real terminals: about 15 s
              pytest.mark.skipif(TMUX is None, reason="tmux not installed")]

LOCALE = {"en": "C.UTF-8", "zh": "zh_CN.UTF-8"}
COUNTY = "211421"  # Suizhong County, 绥中县
# A History row: number, date and time, who, task, and the change (cut at its column).
HISTORY_ROW = re.compile(r"^ (\d+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d)\s+(\S+)\s+(\S+)\s+(.+?)\s*$")
SCROLLBAR = " ▁▂▃▄▅▆▇█▉▊▋▌▍▎▏"  # the table's scrollbar, drawn at the end of some rows


# -- fixtures and helpers ------------------------------------------------------------------
@pytest.fixture
def db(demo_copy: Path) -> Path:
    """A copy of the shared demo (the tests write to it)."""
    return demo_copy


def cli_json(db: Path, *args: str) -> list[dict]:
    result = cli(db, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def journal(db: Path) -> list[dict]:
    path = db.with_name(db.name + ".history")
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def status_of(db: Path, task: str = TASK) -> str:
    result = cli(db, "show", task, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["status"]


def history_rows(screen: str) -> dict[int, tuple[str, str, str]]:
    """The History table's rows on the screen: number -> (who, task, change)."""
    rows = {}
    for line in screen.splitlines():
        found = HISTORY_ROW.match(line)
        if found:
            rows[int(found[1])] = (found[3], found[4], found[5].rstrip(SCROLLBAR))
    return rows


def start(tmux: Tmux, db: Path, lang: str, *args: str) -> None:
    tmux.start("a", tracker_line(db, *args, env=app_env(lang=LOCALE[lang])))


# -- 1. search and pinyin ------------------------------------------------------------------
def test_history_slash_finds_a_chinese_phrase_and_shows_where_each_hit_is(
        tmux: Tmux, db: Path) -> None:
    """外包合同 is in many of the demo's follow-up outcomes: History's `/` shows them,
    newest first, each with its task, who wrote it and the kind of follow-up, the same
    hits as `tracker search`."""
    phrase = "外包合同"
    hits = {hit["seq"]: hit for hit in cli_json(db, "search", phrase)}
    assert len(hits) >= 20, "the demo's follow-ups changed: pick another phrase"
    total = len(journal(db))
    start(tmux, db, "zh")
    tmux.wait_for("a", t("zh", "dash.targets"), what="the dashboard")
    tmux.send_keys("a", "5")
    tmux.wait_all("a", t("zh", "history.count", count=str(total)),
                  t("zh", "search.history_hint")[:10], what="History, every change")
    tmux.send_keys("a", "/")
    tmux.type("a", phrase)
    tmux.send_keys("a", "Enter")
    screen = tmux.wait_for(
        "a", lambda s: f"{t('zh', 'history.count', count=str(len(hits)))}  "
        f"{t('zh', 'search.history_hint')[:10]}" in s and len(history_rows(s)) >= 10,
        what=f"History narrowed to the {len(hits)} hits")
    print(screen)
    rows = history_rows(screen)
    # The newest hits, in order, and nothing else.
    assert list(rows) == sorted(hits, reverse=True)[:len(rows)], screen
    kinds = [t("zh", f"kind.{kind}") for kind in ("call", "visit", "document", "meeting")]
    for seq, (who, task, change) in rows.items():
        hit = hits[seq]
        assert (who, task, hit["field"]) == (hit["user"], hit["task"], "outcome")
        kind, sep, text = change.partition("：")  # 电话：已确认数字化外包合同签…
        assert sep and kind in kinds, f"#{seq}: {change!r} does not say which follow-up"
        assert phrase in text and hit["text"].startswith(text.rstrip("…")), (seq, change)
    assert TRACEBACK not in screen


def test_pinyin_and_its_initials_find_a_county_by_its_chinese_name(
        tmux: Tmux, db: Path) -> None:
    start(tmux, db, "zh")
    tmux.wait_for("a", t("zh", "dash.targets"), what="the dashboard")
    tmux.send_keys("a", "2")
    every = t("zh", "counties.status", count="100", sort=t("zh", "sort.code"))
    one = t("zh", "counties.status", count="1", sort=t("zh", "sort.code"))
    tmux.wait_for("a", every, what="the counties list")
    for typed in ("szx", "suizhong"):  # 绥中县: initials, then the full pinyin
        tmux.send_keys("a", "/")
        tmux.type("a", typed)
        screen = tmux.wait_all("a", one, typed, what=f"{typed!r} finding one county")
        print(screen)
        [row] = [line for line in screen.splitlines() if re.match(r" \d{6} ", line)]
        assert row.split()[:3] == [COUNTY, "葫芦岛市", "绥中县"], screen
        tmux.send_keys("a", "Escape")  # clears the filter: every county again
        tmux.wait_for("a", lambda s, typed=typed: every in s and typed not in s,
                      what="the filter cleared")


# -- 2. undo and redo ----------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_u_undoes_a_status_change_history_shows_both_and_u_again_redoes(
        tmux: Tmux, db: Path, lang: str) -> None:
    assert status_of(db) == "in_progress", "the demo's 2.5 task in Suizhong changed"
    start(tmux, db, lang, "open", TASK)
    doing, done = t(lang, "status.in_progress"), t(lang, "status.done")
    tmux.wait_all("a", TASK_TITLE[lang], f"◐ {doing}", what="the task screen")

    # s: the status form; its first move is 'done'.
    tmux.send_keys("a", "s")
    moves = t(lang, "form.status_from", status=doing)
    screen = tmux.wait_all("a", t(lang, "form.status_title", task=TASK), moves,
                           t(lang, "form.hint"), what="the status form")
    lines = screen.splitlines()
    assert done in lines[row_of(screen, moves) + 1], screen
    tmux.send_keys("a", "Enter")
    tmux.wait_for("a", lambda s: f"● {done}" in s and moves not in s,
                  what="the task screen showing 'done'")
    assert status_of(db) == "done"
    change = journal(db)[-1]
    assert (change["type"], change["task"], change["field"], change["new"]) == (
        "set", TASK, "status", "done")

    # u: back to 'in progress', said in a notice naming the event undone.
    tmux.send_keys("a", "u")
    screen = tmux.wait_all("a", t(lang, "undo.app_done", undone=str(change["seq"])),
                           f"◐ {doing}", what="the undo's notice and the status back")
    print(screen)
    assert status_of(db) == "in_progress"  # the CLI, a separate process, agrees
    undo = journal(db)[-1]
    assert undo["undoes"] == change["seq"] and undo["user"] == change["user"]

    # History: the change, and above it the undo naming it.
    tmux.send_keys("a", "5")
    set_text = t(lang, "event.set", field=t(lang, "field.status"), old=doing, new=done)
    undo_prefix = t(lang, "event.undo", seq=str(change["seq"]), change="").rstrip()
    screen = tmux.wait_for("a", lambda s: undo["seq"] in history_rows(s),
                           what="History with the undo")
    print(screen)
    rows = history_rows(screen)
    assert rows[change["seq"]] == (change["user"], TASK, set_text), screen
    who, task, text = rows[undo["seq"]]
    assert (who, task) == (change["user"], TASK) and text.startswith(undo_prefix), screen
    assert list(rows)[:2] == [undo["seq"], change["seq"]]  # newest first

    # u again, on History: the undo is undone, 'done' again.
    tmux.send_keys("a", "u")
    redo_prefix = t(lang, "event.undo", seq=str(undo["seq"]), change="").rstrip()
    screen = tmux.wait_for(
        "a", lambda s: undo["seq"] + 1 in history_rows(s)
        and history_rows(s)[undo["seq"] + 1][2].startswith(redo_prefix)
        and t(lang, "undo.app_done", undone=str(undo["seq"])) in s,
        what="History with the redo, and its notice")
    print(screen)
    assert status_of(db) == "done"
    assert journal(db)[-1]["undoes"] == undo["seq"]
    assert TRACEBACK not in screen


# -- 3. marking rows and a bulk change -----------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_space_marks_rows_and_a_bulk_owner_change_applies_to_them_in_one_write(
        tmux: Tmux, db: Path, lang: str) -> None:
    tasks = {task["id"]: task for task in cli_json(db, "list", "--county", COUNTY)}
    assert len(tasks) == 7 and {task["owner"] for task in tasks.values()} == {"G18"}, \
        "the demo's Suizhong tasks changed"
    start(tmux, db, lang, "open", COUNTY)
    first = f"{COUNTY}-1.1"
    tmux.wait_all("a", f"{COUNTY}  {'绥中县' if lang == 'zh' else 'Suizhong County'}",
                  first, f"{COUNTY}-2.5", what="the county screen with its tasks")

    # Space marks the row under the cursor and moves down: three rows, counted above.
    tmux.send_keys("a", "Space", "Space", "Space")
    screen = tmux.wait_for(
        "a", lambda s: t(lang, "bulk.marked", count="3") in s
        and len(re.findall(rf"● {COUNTY}-\d\.\d", s)) == 3, what="three rows marked")
    print(screen)
    marked = re.findall(rf"● ({COUNTY}-\d\.\d)", screen)
    assert marked == sorted(tasks)[:3], screen

    # o: the owner for all three, then the preview of what changes; nothing written yet.
    written = len(journal(db))
    tmux.send_keys("a", "o")
    tmux.wait_all("a", t(lang, "bulk.preview_title", count="3"), t(lang, "form.owner")[:20],
                  what="the owner form for the three")
    tmux.type("a", "G05")
    tmux.wait_for("a", "G05", what="the typed owner")
    tmux.send_keys("a", "Enter")
    lines = [t(lang, "bulk.line.set", task=task, field=t(lang, "field.owner"), old="G18",
               new="G05") for task in marked]
    preview = tmux.wait_all("a", t(lang, "bulk.preview_title", count="3"), *lines,
                            t(lang, "bulk.apply", count="3"), what="the preview")
    print(preview)
    assert len(journal(db)) == written  # a preview writes nothing

    # y applies it: every marked task, and only those, has G05, in one write.
    tmux.send_keys("a", "y")
    screen = tmux.wait_for(
        "a", lambda s: t(lang, "bulk.applied", count="3") in s
        and t(lang, "bulk.marked", count="3") not in s
        and all(re.search(rf"{task}\s.*\sG05\s", s) for task in marked),
        what="the three rows with their new owner, the marks gone")
    print(screen)
    after = {task["id"]: task["owner"] for task in cli_json(db, "list", "--county", COUNTY)}
    assert after == {task: "G05" if task in marked else "G18" for task in tasks}
    events = journal(db)[written:]
    assert [(e["type"], e["task"], e["field"], e["new"]) for e in events] == [
        ("set", task, "owner", "G05") for task in marked]
    assert [e["txn"] for e in events] == [[1, 3], [2, 3], [3, 3]]  # one commit
    assert TRACEBACK not in screen
    # The preview's hint says what y does here: apply, not import (last: the rest holds).
    assert t(lang, "bulk.review_hint") in preview, preview
