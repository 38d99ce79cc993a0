"""Property tests: the date parser, the plan loader and the command line take any input
without a traceback; every rejection is one of our errors (TrackerError: a message for
people) or a usage message. Example counts are modest so the suite stays fast; run with
``--hypothesis-seed`` / ``HYPOTHESIS_PROFILE`` for longer hunts."""

from __future__ import annotations

import copy
import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker import cli
from tracker.domain.dates import parse_date
from tracker.domain.errors import PlanError, TrackerError, UsageError
from tracker.domain.plan import Plan, builtin_plan, load_plan, plan_from_dict
from tracker.storage.store import Store

from ..storage.storage_helpers import TRACKER, cli_env, task_ids

TODAY = date(2021, 3, 15)
FAST = settings(max_examples=150, deadline=None)

# -- dates -------------------------------------------------------------------------------
date_like = st.one_of(
    st.text(max_size=24),
    st.from_regex(r"\A[+-]?\s?\d{1,6}\s?[dwmyDWMYx]?\Z"),
    st.from_regex(r"\A\d{1,6}\s?[-/.年]\s?\d{1,3}\s?[-/.月]\s?\d{1,3}[日号]?\Z"),
    st.sampled_from(["today", "今天", "０２０２０－１２－３１", "2020-02-30", "0000-01-01",
                     "+9999y", "-9999y", "9999-12-31", "+1m", "2020年2月29日"]),
)


@FAST
@given(date_like)
def test_parse_date_returns_a_date_or_names_the_option(text: str) -> None:
    try:
        parsed = parse_date(text, today=TODAY, option="--due")
    except UsageError as error:
        message = error.message
        # one line, apart from what it quotes of the input
        assert message.startswith("--due: ") and "\n" not in message.replace(text, "")
        assert "2020-12-31" in message  # the accepted forms are listed
    else:
        assert isinstance(parsed, date)


# -- plans ---------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=6,
)
RAW = builtin_plan().raw


def _mutate(data: st.DataObject, document: Any) -> Any:
    """One random change somewhere in the plan: drop, replace, empty or duplicate."""
    document = copy.deepcopy(document)
    parent: Any = None
    key: Any = None
    node = document
    for _depth in range(data.draw(st.integers(0, 6), label="depth")):
        if isinstance(node, dict) and node:
            key = data.draw(st.sampled_from(sorted(node)), label="key")
        elif isinstance(node, list) and node:
            key = data.draw(st.integers(0, len(node) - 1), label="index")
        else:
            break
        parent, node = node, node[key]
    action = data.draw(st.sampled_from(["drop", "replace", "empty", "duplicate"]))
    if parent is None:
        return data.draw(json_values) if action == "replace" else document
    if action == "drop":
        del parent[key]
    elif action == "replace":
        parent[key] = data.draw(json_values, label="value")
    elif action == "empty":
        parent[key] = type(node)() if isinstance(node, dict | list | str) else None
    elif isinstance(parent, list):
        parent.append(copy.deepcopy(node))
    return document


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_a_mutated_plan_loads_or_says_what_is_wrong(data: st.DataObject) -> None:
    mutated = _mutate(data, RAW)
    try:
        plan = plan_from_dict(mutated, source="fuzz.json")
    except PlanError as error:
        assert error.message.startswith("fuzz.json")  # names the file, then where and what
    else:
        assert isinstance(plan, Plan)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 2_000), junk=st.binary(max_size=8), where=st.integers(0, 10**6))
def test_a_damaged_plan_file_loads_or_says_what_is_wrong(
        tmp_path: Path, cut: int, junk: bytes, where: int) -> None:
    good = json.dumps(RAW, ensure_ascii=False, indent=1).encode()
    at = where % len(good)
    damaged = good[:at] + junk + good[at + cut:]
    path = tmp_path / "plan.json"
    path.write_bytes(damaged)
    try:
        load_plan(path)
    except PlanError as error:
        assert str(path) in error.message and "\n" not in error.message


# -- the command line ------------------------------------------------------------------------
TASK = task_ids(1)[0]
SUBCOMMANDS = ["list", "show", "set", "note", "followup", "measure", "report", "history",
               "verify", "restore", "config"]
OPTIONS = ["--status", "--owner", "--due", "--next", "--cadence", "--priority", "--comment",
           "--expect-version", "--kind", "--outcome", "--date", "--source", "--prefecture",
           "--county", "--rec", "--overdue", "--stale", "--due-before", "--due-after",
           "--user", "--since", "--as-of", "--json", "--lang", "--help", "--force", "-"]
VALUES = [TASK, "绥中-2.5", "211421", "绥中", "2.5", "G07", "G21", "me", "-", "none",
          "in_progress", "blocked", "done", "verified", "high", "weekly", "FREQ=MONTHLY",
          "FREQ=DAILY;COUNT=1", "call", "visit", "staff", "digitized_permanent_volumes",
          "52000", "-3", "1e309", "nan", "50%", "yes", "2020-12-31", "+2w", "-1d",
          "2017-06-30", "1900-01-01", "zh", "en", "stale_days", "0", "99999", ""]
# Text as it can reach argv: no NUL; lone surrogates are how Python decodes bytes that
# are not UTF-8 (surrogateescape).
argv_text = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=()),
                    max_size=12)
token = st.one_of(st.sampled_from(OPTIONS), st.sampled_from(VALUES), argv_text)


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("argv") / "tracker.json"
    Store(db).create(builtin_plan())
    return db


@pytest.mark.slow  # 200 CLI runs in process: about 1-3 s
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(SUBCOMMANDS), rest=st.lists(token, max_size=6))
def test_any_arguments_end_in_a_result_or_a_clear_message(
        cli_db: Path, capsys: pytest.CaptureFixture[str], command: str,
        rest: list[str]) -> None:
    argv = ["--db", str(cli_db), "--lang", "en", command,
            *(t for t in rest if not t.startswith("--db"))]
    code = cli.main(argv)  # an exception here is the traceback a user would see
    _out, err = capsys.readouterr()
    assert code in (0, 1, 2), (argv, code)
    if code:
        assert err.strip(), argv
        assert "Traceback" not in err
        # our one-line message (it may quote a typed newline), after argparse's usage
        assert any(line.startswith(("tracker: ", "tracker ")) for line in err.splitlines()), \
            (argv, err)


def test_bytes_that_are_not_utf8_in_arguments(cli_db: Path) -> None:
    """What a terminal with another encoding sends (GBK bytes of 绥中): a refusal or a
    stored text, never a traceback; stdout and stderr stay valid UTF-8."""
    gbk = "绥中".encode("gbk")
    for args in ([b"show", gbk + b"-2.5"], [b"note", TASK.encode(), gbk],
                 [b"set", TASK.encode(), b"--owner", gbk],
                 [b"list", b"--county", gbk], [b"history", b"--user", gbk]):
        result = subprocess.run([TRACKER.encode(), b"--db", str(cli_db).encode(), *args],
                                capture_output=True, env=cli_env(), timeout=60, check=False)
        assert b"Traceback" not in result.stderr, (args, result.stderr)
        assert result.returncode in (0, 1, 2), (args, result)
        result.stdout.decode("utf-8")
        result.stderr.decode("utf-8")


def test_a_tracker_error_is_what_every_refusal_above_is() -> None:
    """(The CLI prints TrackerError messages; the properties above rely on it.)"""
    assert issubclass(UsageError, TrackerError) and issubclass(PlanError, TrackerError)
