"""A bureau's working day from the shell (issue 13): the agenda, next-follow-up filters,
a county view, words in the user's language, the demo's own day and the bounds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import run
from tracker.domain.demo import DEFAULT_TODAY

DAY = DEFAULT_TODAY.isoformat()
ZH = "zh_CN.UTF-8"


# -- tracker agenda ---------------------------------------------------------------------------
def test_agenda_of_a_group_lists_overdue_today_and_the_coming_days(demo_db: Path) -> None:
    data = json.loads(run(demo_db, "agenda", "--group", "G07", "--json").stdout)
    assert data["today"] == DAY and data["owners"] == ["g07"]
    tasks = data["tasks"]
    assert tasks and all(t["owner"] == "G07" for t in tasks)
    assert [t["next_followup"] for t in tasks] == sorted(t["next_followup"] for t in tasks)
    assert all(t["next_followup"] <= data["until"] for t in tasks)
    assert data["counts"]["overdue"] > 0 and data["counts"]["today"] > 0
    # The same as the follow-up filters of `list`, open tasks only.
    listed = json.loads(run(demo_db, "list", "--json", "--owner", "G07", "--status",
                            "not_started,in_progress,blocked",
                            "--next-before", "2019-07-04").stdout)
    assert {t["id"] for t in listed if t["next_followup"]} == {t["id"] for t in tasks}

    text = run(demo_db, "agenda", "--group", "g7").stdout
    lines = text.splitlines()
    assert "the demo's date is 2019-06-26" in lines[0]
    overdue, today, coming = (next(i for i, line in enumerate(lines) if line.startswith(word))
                              for word in ("Overdue (", "Today (", "Next 7 days ("))
    assert overdue < today < coming
    first = next(t for t in tasks if t["bucket"] == "overdue")
    assert first["id"] in lines[overdue + 1]

    chinese = run(demo_db, "agenda", "--group", "G07", lang=ZH).stdout
    assert "已逾期（" in chinese and "今天（" in chinese and "接下来 7 天（" in chinese
    assert "进行中" in chinese and "in progress" not in chinese


def test_agenda_narrows_by_prefecture_recommendation_and_days(demo_db: Path) -> None:
    data = json.loads(run(demo_db, "agenda", "--prefecture", "葫芦岛", "--rec", "2.5",
                          "--days", "30", "--json").stdout)
    assert data["tasks"] and data["owners"] is None  # no group of mine: everyone's there
    assert all(t["prefecture_code"] == "211400" and t["recommendation"] == "2.5"
               for t in data["tasks"])
    assert data["until"] == "2019-07-26"
    run(demo_db, "agenda", "--days", "-1", check=2)
    run(demo_db, "agenda", "--group", "G21", check=2)


def test_agenda_without_a_group_says_so_in_one_line(demo_db: Path) -> None:
    result = run(demo_db, "agenda")  # the test account is in no survey group, owns nothing
    assert len(result.stdout.splitlines()) == 1
    assert "--group G07" in result.stdout and "no survey group" in result.stdout
    chinese = run(demo_db, "agenda", lang=ZH).stdout
    assert "不在任何调研组" in chinese and "--group G07" in chinese


def test_agenda_as_of_a_past_day_and_not_a_day_to_come(demo_db: Path) -> None:
    data = json.loads(run(demo_db, "agenda", "--group", "G07", "--as-of", "2019-03-01",
                          "--json").stdout)
    assert data["today"] == "2019-03-01"
    refused = run(demo_db, "agenda", "--group", "G07", "--as-of", "2019-07-01", check=2)
    assert refused.stderr.count("\n") == 1 and "after today (2019-06-26)" in refused.stderr
    # Relative to the demo's day, not the machine's.
    back = json.loads(run(demo_db, "agenda", "--group", "G07", "--as-of", "-1m",
                          "--json").stdout)
    assert back["today"] == "2019-05-26"


def test_list_by_next_followup_date(demo_db: Path) -> None:
    before = json.loads(run(demo_db, "list", "--json", "--next-before", "2019-06-20").stdout)
    after = json.loads(run(demo_db, "list", "--json", "--next-after", "2019-08-01").stdout)
    assert before and after
    assert all(t["next_followup"] and t["next_followup"] < "2019-06-20" for t in before)
    assert all(t["next_followup"] > "2019-08-01" for t in after)


# -- a county -----------------------------------------------------------------------------------
def test_show_a_county_prints_its_figures_targets_and_seven_tasks(demo_db: Path) -> None:
    data = json.loads(run(demo_db, "show", "绥中", "--json").stdout)
    assert data["code"] == "211421" and data["prefecture_code"] == "211400"
    assert len(data["tasks"]) == 7
    figures = {f["key"]: f for f in data["figures"]}
    assert figures["digitized_permanent_volumes"]["value"] > 0
    assert figures["digitized_permanent_volumes"]["source"] == "季度报表"
    targets = {t["indicator"]: t for t in data["targets"]}
    assert targets["digitized_share"]["status"] == "met"  # Suizhong: 100%
    assert targets["digitized_share"]["threshold"] == "≥60%"
    assert json.loads(run(demo_db, "county", "211421", "--json").stdout) == data

    text = run(demo_db, "county", "绥中", lang=ZH).stdout
    assert "211421" in text and "葫芦岛" in text and "已达标" in text and "数据项" in text
    assert "加快档案信息化建设" in text  # the tasks, by their recommendations' titles
    english = run(demo_db, "show", "Suizhong").stdout
    assert "Targets" in english and "met" in english and "Permanent holdings" in english
    missing = run(demo_db, "show", "nowhere-at-all", check=2)
    assert "neither a task" in missing.stderr


# -- words in the user's language ----------------------------------------------------------------
def test_words_are_accepted_in_chinese(demo_copy: Path) -> None:
    run(demo_copy, "--lang", "zh", "set", "210106-2.3", "--status", "受阻", "--comment",
        "编制冻结", "--priority", "高")
    run(demo_copy, "--lang", "zh", "set", "210106-2.3", "--status", "进行中")
    task = json.loads(run(demo_copy, "show", "210106-2.3", "--json").stdout)
    assert (task["status"], task["priority"]) == ("in_progress", "high")
    run(demo_copy, "followup", "210106-2.3", "--kind", "电话", "--outcome", "县编办已答复")
    run(demo_copy, "followup", "210106-2.3", "--kind", "Visit", "--outcome", "走访")
    task = json.loads(run(demo_copy, "show", "210106-2.3", "--json").stdout)
    assert [f["kind"] for f in task["followups"][-2:]] == ["call", "visit"]
    # The follow-up is dated on the demo's day, not the machine's.
    assert task["followups"][-1]["date"] == DAY
    wrong = run(demo_copy, "--lang", "zh", "followup", "210106-2.3", "--kind", "邮件",
                "--outcome", "x", check=2)
    assert "不是跟进方式" in wrong.stderr and "电话（call）" in wrong.stderr


def test_users_and_type_names_are_printed_in_chinese(demo_db: Path) -> None:
    listed = run(demo_db, "users", "list", lang=ZH).stdout
    assert "编辑者" in listed and "管理员" in listed and "查看者" in listed
    assert " editor " not in listed
    bad = run(demo_db, "measure", "绥中", "development_plan", "maybe", lang=ZH, check=2)
    assert "是/否" in bad.stderr and "yes_no" not in bad.stderr


# -- bounds -----------------------------------------------------------------------------------
def test_the_same_figure_twice_changes_nothing(demo_copy: Path) -> None:
    args = ("measure", "绥中", "staff", "40", "--date", "2019-06-20", "--source", "电话核实")
    first = run(demo_copy, *args)
    assert "staff" in first.stdout
    events = len(json.loads(run(demo_copy, "history", "--json").stdout))
    again = run(demo_copy, *args)
    assert "already recorded; nothing changes" in again.stdout
    assert len(json.loads(run(demo_copy, "history", "--json").stdout)) == events


def test_an_unknown_indicator_lists_the_valid_ones_with_the_bad_value_code(
        demo_db: Path) -> None:
    unknown = run(demo_db, "measure", "绥中", "digitised", "5", check=2)
    assert "digitized_permanent_volumes" in unknown.stderr and "staff" in unknown.stderr
    assert "digitized_share" not in unknown.stderr  # computed: not offered
    bad = run(demo_db, "measure", "绥中", "staff", "many", check=2)
    assert unknown.returncode == bad.returncode == 2


# -- the demo's own day ------------------------------------------------------------------------
def test_demo_today_is_chosen_recorded_and_used(tmp_path: Path) -> None:
    db = tmp_path / "demo.json"
    made = run(db, "demo", "--today", "2018-03-14")
    assert "2018-03-14" in made.stdout
    tasks = json.loads(run(db, "list", "--json").stdout)
    assert max(t["updated_at"] for t in tasks) < "2018-03-15"
    run(db, "note", "211421-2.5", "县局已签订数字化外包合同")
    assert json.loads(run(db, "history", "--json").stdout)[-1]["ts"].startswith("2018-03-14")
    refused = run(tmp_path / "other.json", "demo", "--today", "2030-01-01", check=2)
    assert "2020-12-31" in refused.stderr


def test_every_read_is_as_of_the_demos_day(demo_db: Path, tmp_path: Path) -> None:
    assert json.loads(run(demo_db, "report", "--json").stdout)["as_of"] == DAY
    report = run(demo_db, "report").stdout
    assert f"As of {DAY}" in report
    out = tmp_path / "now.json"
    run(demo_db, "export", "-o", str(out))
    assert json.loads(out.read_text())["provenance"]["as_of"] == DAY
    run(demo_db, "export", "--as-of", "2019-07-01", "-o", str(out), check=2)
    task = json.loads(run(demo_db, "show", "211421-2.5", "--json").stdout)
    assert task["overdue"] is False  # due 2020-12-31 or later: not yet, on the demo's day


def test_agenda_by_default_is_the_users_groups(demo_db: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """In process, as an account in the Unix group g07 (and a group that is no survey
    group): the agenda is G07's, as with --group G07."""
    from tracker.cli import main
    from tracker.storage import identity

    monkeypatch.setattr(identity, "unix_groups", lambda: ["staff", "g07"])
    assert main(["--db", str(demo_db), "agenda", "--json"]) == 0
    mine = json.loads(capsys.readouterr().out)
    assert main(["--db", str(demo_db), "agenda", "--group", "G07", "--json"]) == 0
    g07 = json.loads(capsys.readouterr().out)
    assert mine["tasks"] == g07["tasks"] and mine["tasks"]
    assert "g07" in mine["owners"]
