"""The installed `tracker` command, end to end, through real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
TRACKER = str(BIN / "tracker")


def run(db: Path, *args: str, lang: str = "C.UTF-8", check: int | None = 0,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "TRACKER_DB")}
    environ.update({"LANG": lang, "COLUMNS": "120", **(env or {})})
    result = subprocess.run([TRACKER, "--db", str(db), *args], capture_output=True,
                            text=True, env=environ, timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    if check is not None:
        assert result.returncode == check, (result.stdout, result.stderr)
    return result


def _list(db: Path, *args: str) -> list[dict]:
    return json.loads(run(db, "list", "--json", *args).stdout)


def test_list_json_has_the_task_fields(db: Path) -> None:
    tasks = _list(db)
    assert len(tasks) == 700
    suizhong = next(t for t in tasks if t["id"] == "211421-2.5")
    assert {"id", "county_code", "county", "prefecture", "recommendation", "status", "owner",
            "due", "next_followup", "version"} <= suizhong.keys()
    assert (suizhong["county_code"], suizhong["recommendation"]) == ("211421", "2.5")
    assert suizhong["county"] == "Suizhong County" and suizhong["prefecture"] == "Huludao"
    assert suizhong["status"] == "not_started" and suizhong["due"] == "2020-12-31"


def test_filters(db: Path) -> None:
    assert {t["county_code"] for t in _list(db, "--county", "绥中")} == {"211421"}
    assert len(_list(db, "--county", "suizhong", "--rec", "2.5")) == 1
    assert len(_list(db, "--prefecture", "葫芦岛")) == 6 * 7
    assert len(_list(db, "--prefecture", "Shenyang", "--rec", "1.1,1.2")) == 13 * 2
    run(db, "set", "211421-2.5", "--status", "in_progress", "--owner", "G07")
    assert [t["id"] for t in _list(db, "--status", "in_progress")] == ["211421-2.5"]
    assert [t["id"] for t in _list(db, "--owner", "g07")] == ["211421-2.5"]
    assert len(_list(db, "--overdue")) == 700  # every due date of the plan is 2020-12-31
    run(db, "set", "211421-2.5", "--due", "+1m", "--comment", "extension granted")
    assert len(_list(db, "--overdue")) == 699
    assert len(_list(db, "--due-before", "2018-01-01")) == 0
    assert len(_list(db, "--due-after", "2020-12-30")) == 700


def test_edit_round_trip(db: Path) -> None:
    out = run(db, "set", "绥中-2.5", "--status", "in_progress", "--owner", "G07",
              "--cadence", "monthly", "--next", "2020-01-15").stdout
    assert "status not started → in progress" in out
    run(db, "note", "211421-2.5", "县局已签订数字化外包合同")
    run(db, "followup", "211421-2.5", "--kind", "call", "--outcome", "进度正常",
        "--date", "2020-01-20")
    shown = json.loads(run(db, "show", "211421-2.5", "--json").stdout)
    assert shown["status"] == "in_progress" and shown["owner"] == "G07"
    assert shown["notes"][0]["text"] == "县局已签订数字化外包合同"
    assert shown["followups"][0]["kind"] == "call"
    assert shown["next_followup"] == "2020-02-15"  # moved along the monthly cadence
    assert [h["type"] for h in shown["history"]] == ["set"] * 4 + ["note", "followup", "set"]
    assert all(h["user"] for h in shown["history"])
    run(db, "verify")


def test_measure_and_report(db: Path) -> None:
    run(db, "measure", "绥中", "permanent_volumes", "52000", "--date", "2018-01-01")
    run(db, "measure", "211421", "digitized_permanent_volumes", "52,000", "--date",
        "2018年1月1日", "--source", "县局季报")
    report = json.loads(run(db, "report", "--json").stdout)
    share = next(t for t in report["targets"] if t["indicator"] == "digitized_share")
    assert (share["meeting"], share["with_data"]) == (1, 1)
    assert share["province_value"] == 100.0
    text = run(db, "report").stdout
    assert "Permanent holdings digitized" in text and "1/100" in text


def test_due_slip_needs_reason_and_is_shown(db: Path) -> None:
    refused = run(db, "set", "211421-2.5", "--due", "2021-06-30", check=1)
    assert "needs a reason" in refused.stderr
    run(db, "set", "211421-2.5", "--due", "2021-06-30", "--comment", "经费2021年到位")
    shown = run(db, "show", "211421-2.5").stdout
    assert "Due date revisions" in shown and "经费2021年到位" in shown and "2021-06-30" in shown


def test_refused_move_lists_allowed_moves(db: Path) -> None:
    result = run(db, "set", "211421-2.5", "--status", "verified", check=1)
    assert ("cannot move from not started (not_started) to verified (verified)"
            in result.stderr)
    assert ("allowed: in progress (in_progress), blocked (blocked), "
            "n/a (not_applicable)") in result.stderr


@pytest.mark.parametrize("value", ["2020-12-31", "2020/12/31", "2020年12月31日", "today",
                                   "+2w", "-3d", "+1m"])
def test_every_date_form_on_the_command_line(db: Path, value: str) -> None:
    run(db, "set", "211421-2.5", "--next", value)


def test_bad_date_names_option_value_and_forms(db: Path) -> None:
    result = run(db, "set", "211421-2.5", "--due", "2020-02-30", check=2)
    assert "--due" in result.stderr and "2020-02-30" in result.stderr
    assert "2020年12月31日" in result.stderr
    before = db.read_bytes()
    run(db, "list", "--as-of", "yesterday-ish", check=2)
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("set", "999999-2.5", "--status", "done"), 2, "no task '999999-2.5'"),
        (("set", "211421-9.9", "--owner", "G01"), 2, "no task"),
        (("set", "211421-2.5"), 2, "nothing to change"),
        (("set", "211421-2.5", "--owner", "G21"), 2, "G01 to G20"),
        (("set", "211421-2.5", "--owner", "no-such-account-x"), 2, "neither a survey group"),
        (("set", "211421-2.5", "--cadence", "sometimes"), 2, "not a cadence"),
        (("set", "211421-2.5", "--status", "finished"), 2, "not a status"),
        (("measure", "nowhere", "staff", "3"), 2, "no county matches 'nowhere'"),
        (("measure", "铁西区", "staff", "3"), 2, "matches several counties"),
        (("measure", "211421", "staff", "three"), 2, "expected a whole number"),
        (("measure", "211421", "digitized_share", "50"), 2, "record those instead"),
        (("measure", "211421", "no_such_indicator", "5"), 2, "digitized_permanent_volumes"),
        (("list", "--status", "nope"), 2, "not a status"),
        (("list", "--rec", "9.9"), 2, "2.5 Informatization"),
        (("bogus-command",), 2, "invalid choice"),
        (("followup", "211421-2.5", "--kind", "email", "--outcome", "x"), 2, "not a kind"),
        (("list", "--as-of", "2099-01-01"), 2, "after today"),
        (("set", "211421-2.5", "--owner", "G01", "--as-of", "2019-01-01"), 2, "for reading"),
        (("restore", "/nonexistent/backup.json"), 1, "/nonexistent/backup.json"),
    ],
)
def test_user_errors_are_one_clear_line(db: Path, args: tuple[str, ...], code: int,
                                        text: str) -> None:
    before = db.read_bytes()
    result = run(db, *args, check=code)
    assert text in result.stderr
    assert db.read_bytes() == before


def test_markup_and_control_characters_are_data(db: Path) -> None:
    hostile = "[bold]x[/] [link=http://e.example]y[/link] \x1b]0;title\x07 \x1b[31mred \u202eevil"
    run(db, "note", "211421-2.5", hostile)
    shown = json.loads(run(db, "show", "211421-2.5", "--json").stdout)
    stored = shown["notes"][0]["text"]
    assert stored.startswith("[bold]x[/] [link=http://e.example]y[/link]")
    assert "\x1b" not in stored and "\u202e" not in stored and "\x07" not in stored
    text = run(db, "show", "211421-2.5").stdout
    assert "[bold]x[/]" in text and "\x1b" not in text


def test_as_of_rebuilds_the_past(tmp_path: Path) -> None:
    db = tmp_path / "t.json"
    run(db, "init")
    run(db, "set", "211421-2.5", "--status", "in_progress")
    before = run(db, "list", "--as-of", "-1d", check=2)
    assert "history starts on" in before.stderr  # the database did not exist yet
    now = json.loads(run(db, "list", "--json", "--county", "211421", "--rec", "2.5").stdout)
    assert now[0]["status"] == "in_progress"


def test_demo_is_labelled_everywhere(demo_db: Path) -> None:
    assert "DEMO DATA" in run(demo_db, "report").stdout
    assert "DEMO DATA" in run(demo_db, "list", "--county", "绥中").stdout
    listed = run(demo_db, "list", "--json", "--county", "绥中")
    assert "DEMO DATA" in listed.stderr and all(t["demo"] for t in json.loads(listed.stdout))
    assert json.loads(run(demo_db, "report", "--json").stdout)["demo"] is True


def test_demo_report_as_of_2017(demo_db: Path) -> None:
    report = json.loads(run(demo_db, "report", "--json", "--as-of", "2017-06-30").stdout)
    share = next(t for t in report["targets"] if t["indicator"] == "digitized_share")
    assert share["with_data"] == 100 and share["meeting"] < 29
    inspection = next(t for t in report["targets"] if t["indicator"] == "enforcement_inspection")
    assert inspection["meeting"] == 93


def test_chinese_output(demo_db: Path) -> None:
    text = run(demo_db, "report", lang="zh_CN.UTF-8").stdout
    assert "演示数据" in text and "永久档案数字化比例" in text and "沈阳市" in text
    assert "进行中" in run(demo_db, "list", "--county", "绥中", "--lang", "zh").stdout
    error = run(demo_db, "set", "211421-2.5", "--status", "bogus", lang="zh_CN.UTF-8", check=2)
    assert "不是状态" in error.stderr


def test_plain_tracker_without_a_terminal_says_what_to_use(demo_db: Path) -> None:
    """`tracker` alone opens the app (no subcommand's parser is built for it); piped,
    it says so instead, and an unknown option is still a usage error."""
    piped = run(demo_db, check=2)
    assert "needs a terminal" in piped.stderr and "Traceback" not in piped.stderr
    assert "unrecognized arguments: --bogus" in run(demo_db, "--bogus", check=2).stderr


def test_argparse_speaks_chinese_too(demo_db: Path) -> None:
    """argparse's own words (usage, sections, its errors) follow the language."""
    missing = run(demo_db, "note", lang="zh_CN.UTF-8", check=2).stderr
    assert missing.startswith("用法：tracker note") and "缺少必需的参数：TASK" in missing
    choice = run(demo_db, "list", "--lang", "fr", lang="zh_CN.UTF-8", check=2).stderr
    assert "参数 --lang：无效的选择：'fr'" in choice
    # Our own words, a priority among them, are named in the language too.
    word = run(demo_db, "set", "211421-2.5", "--priority", "huge", lang="zh_CN.UTF-8",
               check=2).stderr
    assert "“huge”不是优先级；可用优先级：低（low）、普通（normal）、高（high）" in word
    unknown = run(demo_db, "list", "--bogus", lang="zh_CN.UTF-8", check=2).stderr
    assert "无法识别的参数：--bogus" in unknown
    helped = run(demo_db, "--help", lang="zh_CN.UTF-8").stdout
    assert "显示此帮助并退出" in helped and "usage" not in helped
    english = run(demo_db, "note", lang="C.UTF-8", check=2).stderr
    assert english.startswith("usage: tracker note") and "arguments are required: TASK" in english


def test_history_filters(demo_db: Path) -> None:
    events = json.loads(run(demo_db, "history", "211421-2.5", "--json").stdout)
    assert events and all(e["task"] == "211421-2.5" for e in events)
    by_user = json.loads(run(demo_db, "history", "--user", "demo.li", "--since", "2019-01-01",
                             "--json").stdout)
    assert by_user and all(e["user"] == "demo.li" and e["ts"] >= "2019" for e in by_user)
    assert "demo.li" in run(demo_db, "history", "211421-2.5").stdout


def test_python_dash_m_and_help(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "tracker", "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "verify" in result.stdout


def test_cli_does_not_import_textual(db: Path) -> None:
    code = ("import sys, runpy; sys.argv=['tracker','--db',sys.argv[1],'list','--json'];"
            "from tracker.cli import main; import io, contextlib;"
            "buf=io.StringIO();\nwith contextlib.redirect_stdout(buf): main()\n"
            "print('textual' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_every_subcommand_runs_its_own_module() -> None:
    from tracker.cli.parser import SUBCOMMANDS, handler

    for name, sub in SUBCOMMANDS.items():
        function = handler(name)
        assert function.__name__ == f"cmd_{name}"
        assert function.__module__ == f"tracker.cli.{sub.module}"


def test_a_read_at_700_tasks_imports_only_what_it_uses(db: Path) -> None:
    """A login script's `tracker agenda` (a 100 ms budget, docs/performance.md) loads its
    own command module (and notice's small entry check, which runs first), not the other
    seven, nor orjson (for states from 2 MiB) nor
    dataclasses (and with it inspect), each of which costs a one-shot command 8-15 ms."""
    code = ("import sys, runpy; sys.argv=['tracker','--db',sys.argv[1],'agenda','--json'];"
            "from tracker.cli import main; import io, contextlib;"
            "buf=io.StringIO();\nwith contextlib.redirect_stdout(buf): main()\n"
            "print(sorted(m for m in sys.modules if m.startswith('tracker.cli.')"
            " or m in ('orjson', 'dataclasses', 'inspect')))")
    result = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True,
                            text=True, timeout=60)
    loaded = result.stdout.strip().splitlines()[-1]
    assert loaded == str(["tracker.cli.common", "tracker.cli.notice", "tracker.cli.parser",
                          "tracker.cli.tasks"])


def test_config_stale_days(db: Path) -> None:
    assert "stale_days = 90" in run(db, "config").stdout
    run(db, "config", "stale_days", "30")
    assert "stale_days = 30" in run(db, "config", "stale_days").stdout
    assert "whole number" in run(db, "config", "stale_days", "zero", check=2).stderr


def test_init_with_another_plan_file(tmp_path: Path) -> None:
    from tracker.domain.plan import builtin_plan

    raw = json.loads(json.dumps(builtin_plan().raw))
    raw["id"] = "other-2018"
    raw["counties"] = raw["counties"][:13]  # Shenyang's 13 divisions only
    raw["survey_units"] = [u for u in raw["survey_units"] if u["prefecture"] == "210100"]
    raw["prefectures"] = [p for p in raw["prefectures"] if p["code"] == "210100"]
    plan_file = tmp_path / "other.json"
    plan_file.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    db = tmp_path / "other-db.json"
    result = run(db, "init", "--plan", str(plan_file))
    assert "other-2018" in result.stdout and "91 tasks" in result.stdout
    assert len(_list(db)) == 91
    run(db, "verify")


def test_malformed_plan_file_names_file_path_and_problem(tmp_path: Path) -> None:
    from tracker.domain.plan import builtin_plan

    raw = json.loads(json.dumps(builtin_plan().raw))
    raw["indicators"][2]["recommendation"] = "9.9"
    plan_file = tmp_path / "bad-plan.json"
    plan_file.write_text(json.dumps(raw), encoding="utf-8")
    db = tmp_path / "db.json"
    result = run(db, "init", "--plan", str(plan_file), check=1)
    assert str(plan_file) in result.stderr
    assert "indicators[2].recommendation" in result.stderr and "9.9" in result.stderr
    assert not db.exists()
    not_json = tmp_path / "not-json.json"
    not_json.write_text("{ this is not json", encoding="utf-8")
    result = run(db, "init", "--plan", str(not_json), check=1)
    assert str(not_json) in result.stderr and "line 1" in result.stderr


def test_init_refuses_to_overwrite_and_force_keeps_the_old_files(db: Path) -> None:
    run(db, "set", "211421-2.5", "--owner", "G07")
    assert "already exists" in run(db, "init", check=1).stderr
    run(db, "demo", "--force")
    backups = db.parent / "tracker.json.backups"
    assert any(p.name.startswith("replaced-") for p in backups.iterdir())
    assert json.loads(run(db, "report", "--json").stdout)["demo"] is True


def test_measure_refuses_future_dates_and_parts_above_the_whole(db: Path) -> None:
    """Figures a county could not have: dated after today, or more permanent volumes
    digitized than there are. A corrected figure for the same date replaces the typo."""
    run(db, "measure", "绥中", "permanent_volumes", "43179", "--date", "2020-12-31")
    future = run(db, "measure", "绥中", "staff", "9", "--date", "+1m", check=1)
    assert "after today" in future.stderr and future.stderr.count("\n") == 1
    over = run(db, "measure", "绥中", "digitized_permanent_volumes", "99999999",
               "--date", "2020-12-31", check=2)
    assert "99999999" in over.stderr and "43179" in over.stderr
    run(db, "measure", "绥中", "digitized_permanent_volumes", "43000", "--date", "2020-12-31")
    run(db, "measure", "绥中", "digitized_permanent_volumes", "43100", "--date", "2020-12-31")
    shown = json.loads(run(db, "show", "211421-2.5", "--json").stdout)
    series = shown["measurements"]["digitized_permanent_volumes"]
    assert [(m["date"], m["value"]) for m in series] == [("2020-12-31", 43100)]


def test_dates_outside_the_window_and_a_next_before_the_followup_are_refused(
        db: Path) -> None:
    """The store's rules reach the command line as one clear line, exit code 2 (as the
    CLI's own checks of values), and nothing changes."""
    before = (db.read_bytes(), db.with_name(db.name + ".history").read_bytes())
    late = run(db, "set", "211421-2.5", "--due", "2101-01-01", "--comment", "typo", check=2)
    assert "2101-01-01 is outside the dates the tracker keeps (1949-01-01 to 2100-12-31)" \
        in late.stderr and late.stderr.count("\n") == 1
    back = run(db, "followup", "211421-2.5", "--kind", "call", "--outcome", "ok",
               "--date", "2020-02-01", "--next", "2020-01-31", check=2)
    assert "before the follow-up itself" in back.stderr
    assert (db.read_bytes(), db.with_name(db.name + ".history").read_bytes()) == before


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("columns", [80, 160])
def test_report_fits_the_terminal_and_its_columns_line_up(demo_db: Path, lang: str,
                                                          columns: int) -> None:
    """Plain columns by display width: no line wider than the terminal, a wrapped target
    title stays in its column, each deadline under its header."""
    import re

    from tests.e2e.tmux import display_width
    from tracker.i18n import translate

    locale = {"en": "C.UTF-8", "zh": "zh_CN.UTF-8"}[lang]
    out = run(demo_db, "report", lang=locale, env={"COLUMNS": str(columns)}).stdout
    lines = out.splitlines()
    assert all(display_width(line) <= columns for line in lines), lines
    rule = next(i for i, line in enumerate(lines) if line.startswith("─"))
    header = lines[rule - 1]
    deadline = display_width(header[:header.index(translate(lang, "col.deadline"))])
    rows = [i for i, line in enumerate(lines) if re.match(r"T[1-8]  ", line)][:8]
    assert len(rows) == 8
    for i in rows:
        date = re.search(r"\d{4}-\d{2}-\d{2}", lines[i])
        assert date and display_width(lines[i][:date.start()]) == deadline, (lines[i], header)
        for after in lines[i + 1:]:  # a wrapped title: under the title, not under "#"
            if not after.startswith(" "):
                break
            assert re.match(r" {4}\S", after), after
    if columns == 80 and lang == "en":
        assert any(lines[i + 1].startswith("    ") for i in rows)  # some title did wrap
