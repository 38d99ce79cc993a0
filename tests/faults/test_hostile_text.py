"""Hostile text: Rich/Textual markup, ANSI and OSC escape sequences, other control
characters, bidi overrides, very long lines and mixed CJK, typed into notes, comments,
follow-up outcomes and measurement sources through the real `tracker`.

Stored exactly as typed apart from the control characters that tracker/text.py strips
(C0 but tab and newline, DEL, C1, bidi controls; a source is also one line), and shown
literally by `show`, `list` and `history`: markup as text, never a style or a link; no
escape sequence of the user's reaches the terminal, with or without colour. Messages
that quote what was typed (an unknown task, an owner that is no account) are cleaned too.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tracker.domain.plan import builtin_plan
from tracker.domain.text import clean_text
from tracker.storage.store import Store

from ..storage.storage_helpers import TRACKER, cli_env, task_ids

TASK = task_ids(1)[0]
COUNTY = TASK.split("-")[0]
MARKUP = "[bold]粗体[/bold] [link=https://evil.example/x]点我[/link] [/] [red on white]x"
HOSTILE = {
    "markup": MARKUP,
    "ansi": "before\x1b[31mred\x1b[0m after \x1b[2J\x1b[H",
    "osc": "\x1b]0;pwned title\x07 \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "controls": "c1\x9b31mx\x85y \x07bell\x08bs\x7fdel\x1b tab\there\r\nnew line",
    "bidi": "\u202egnp.exe\u202c \u2066iso\u2069 \u200frtl \u061calm",
    "long": "长" * 3000 + "x" * 5000,
    "cjk": "绥中县档案局 Suizhong 第2.5条：数字化 52,000 卷（60%）——[注]",
}
# What may be on a terminal line of ours: printable text, tab, newline, and (with colour
# on) Rich's own SGR style sequences.
SGR = re.compile(r"\x1b\[[0-9;]*m")
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def run(db: Path, *args: str, colour: bool = False) -> subprocess.CompletedProcess[str]:
    env = cli_env()
    env["COLUMNS"] = "250"
    env.pop("NO_COLOR", None)
    if colour:  # as on a terminal: Rich styles on
        env.update(FORCE_COLOR="1", TERM="xterm-256color")
    else:
        env.pop("FORCE_COLOR", None)
    result = subprocess.run([TRACKER, "--db", str(db), *args], capture_output=True,
                            text=True, env=env, timeout=60, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hostile") / "tracker.json"
    Store(db).create(builtin_plan())
    for day, (name, text) in enumerate(HOSTILE.items(), start=1):
        assert run(db, "note", TASK, text).returncode == 0, name
        assert run(db, "followup", TASK, "--kind", "call", "--outcome",
                   text).returncode == 0, name
        # a date each: a second figure for the same date would correct the first
        assert run(db, "measure", COUNTY, "staff", str(len(name)), "--date",
                   f"2019-01-{day:02d}", "--source", text).returncode == 0, name
    statuses = ["in_progress", "blocked"] * 4
    for status, text in zip(statuses, HOSTILE.values(), strict=False):
        edited = run(db, "set", TASK, "--status", status, "--comment", text)
        assert edited.returncode == 0, edited.stderr
    return db


def test_stored_exactly_apart_from_stripped_controls(hostile_db: Path) -> None:
    shown = json.loads(run(hostile_db, "show", TASK, "--json").stdout)
    expected = [clean_text(t) for t in HOSTILE.values()]
    assert [n["text"] for n in shown["notes"]] == expected
    assert [f["outcome"] for f in shown["followups"]] == expected
    comments = [e["comment"] for e in shown["history"] if e["field"] == "status"]
    assert comments == expected[:len(comments)]
    sources = [m.source for m in Store(hostile_db).view().measurements(COUNTY, "staff")]
    assert sources == [clean_text(t, single_line=True) for t in HOSTILE.values()]
    # what that means, spelled out for two of them
    assert expected[0] == MARKUP
    assert expected[3] == "c131mxy bellbsdel tab\there\nnew line"


def _assert_literal(out: str, colour: bool) -> None:
    plain = SGR.sub("", out) if colour else out
    assert "\x1b" not in plain, repr(plain[plain.find("\x1b") - 40:][:80])
    assert not FORBIDDEN.search(plain.replace("\t", "").replace("\n", ""))
    assert "\x1b]" not in out  # no OSC: no title change, no live link


@pytest.mark.parametrize("colour", [False, True], ids=["pipe", "terminal"])
@pytest.mark.parametrize("command", [("show", TASK), ("history", TASK), ("history",),
                                     ("list", "--county", COUNTY)],
                         ids=lambda c: " ".join(c[:1]) + (" task" if len(c) > 1 and
                                                          c[0] != "list" else ""))
def test_shown_literally(hostile_db: Path, command: tuple[str, ...], colour: bool) -> None:
    result = run(hostile_db, *command, colour=colour)
    assert result.returncode == 0, result.stderr
    _assert_literal(result.stdout, colour)
    text = SGR.sub("", result.stdout)
    if command[0] != "list":  # (list shows no free text; it must still be clean)
        for literal in ("[bold]粗体[/bold]", "[link=https://evil.example/x]点我[/link]",
                        "[/]", "绥中县档案局 Suizhong", "gnp.exe"):
            assert literal in text, (literal, command)
    if command == ("show", TASK):
        assert "[red on white]x" in text
        assert "长" * 40 in text


@pytest.mark.parametrize("args", [
    ("show", "\x1b]0;pwned\x07\x1b[31m211421-2.5"),
    ("set", TASK, "--owner", "\x1b[31mG07\u202e"),
    ("note", TASK, "\x1b\x07\u202e\x9b"),  # nothing left after cleaning: refused
    ("list", "--as-of", "\x1b[31m2020-01-01"),
    ("followup", TASK, "--kind", "\x1b[31mcall", "--outcome", "x"),
    ("bogus\x1b]0;x\x07",),
])
def test_messages_quoting_hostile_input_are_clean(hostile_db: Path,
                                                  args: tuple[str, ...]) -> None:
    result = run(hostile_db, *args, colour=True)
    assert result.returncode in (1, 2), result
    assert result.stderr.strip(), "a refusal says why"
    _assert_literal(result.stderr, colour=False)
    _assert_literal(result.stdout, colour=False)
