"""A bureau's working day (issue 13) in the installed `tracker`, in a real terminal (tmux)
at 80x24, in English and in Chinese: the demo's own day with calls due today, the queue
narrowed to one survey group (and the choice kept), a call logged from the queue with
Enter in the date field, a county's figure entered with `m`, the dashboard's words.

Each test works on its own copy of the demo database, with its own HOME (the queue keeps
its choice per user under $XDG_STATE_HOME). What the screens should show is taken from
the catalogs and from the CLI run as a separate process, never from fixed rows; every
wait polls the pane against a deadline (tests/e2e/tmux.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_tmux import (
    TRACEBACK,
    TRACKER,
    label_row,
    row_of,
    t,
    wait_cursor_between,
)
from tests.e2e.tmux import TMUX, Tmux, app_env, env_command
from tracker.domain.demo import DEFAULT_TODAY

pytestmark = [pytest.mark.slow,  # the app in real terminals: seconds per test
              pytest.mark.skipif(TMUX is None, reason="tmux not installed")]

DAY = DEFAULT_TODAY  # the demo database's own day
LANGS = [("en", "C.UTF-8"), ("zh", "zh_CN.UTF-8")]
IDS = ["en", "zh"]
OPEN = "not_started,in_progress,blocked"
GROUP = "G07"
COUNTY = {"en": "Suizhong County", "zh": "绥中县"}
CODE = "211421"
STAFF = {"en": "Archives staff", "zh": "档案馆人员"}  # the plan's fact `staff`


# -- fixtures and helpers ------------------------------------------------------------------
class Day:
    """One test's demo copy and home, the app's and the CLI's environment."""

    def __init__(self, db: Path, home: Path, lang: str, locale: str) -> None:
        self.db, self.home, self.lang, self.locale = db, home, lang, locale

    def env(self, locale: str | None = None) -> dict[str, str]:
        return app_env(lang=locale or self.locale, HOME=str(self.home),
                       XDG_STATE_HOME=str(self.home / "state"),
                       XDG_CONFIG_HOME=str(self.home / "config"))

    def line(self, *args: str) -> str:
        """The pane's shell line: the app, then its exit status (the pane stays after
        the app ends, so the status can be read)."""
        return env_command([TRACKER, "--db", str(self.db), *args], self.env()) + \
            "; echo EXIT=$?"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The CLI outside the terminal, in English, with this test's home."""
        result = subprocess.run([TRACKER, "--db", str(self.db), *args], capture_output=True,
                                text=True, env=self.env("C.UTF-8"), timeout=60)
        assert TRACEBACK not in result.stderr, result.stderr
        assert result.returncode == 0, (result.stdout, result.stderr)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)


@pytest.fixture(params=LANGS, ids=IDS)
def day(request: pytest.FixtureRequest, demo_db: Path, tmp_path: Path) -> Day:
    """A copy of the shared demo (the file, its history and its folders beside it)."""
    lang, locale = request.param
    target = tmp_path / "demo" / demo_db.name
    target.parent.mkdir()
    for path in demo_db.parent.iterdir():
        if path.name.startswith(demo_db.name) and not path.name.endswith(".lock"):
            copy = target.parent / path.name
            if path.is_dir():
                shutil.copytree(path, copy)
            else:
                shutil.copy2(path, copy)
    home = tmp_path / "home"
    home.mkdir()
    return Day(target, home, lang, locale)


def bucket(next_day: date) -> str:
    """The queue's buckets, as docs and the title name them: before the day, the day,
    to the coming Sunday, after."""
    if next_day < DAY:
        return "overdue"
    if next_day == DAY:
        return "today"
    if next_day <= DAY + timedelta(days=6 - DAY.weekday()):
        return "week"
    return "later"


def queue_of(day: Day, *args: str) -> list[dict]:
    """The open tasks with a next follow-up, soonest first then by id, from `tracker
    list` (a separate process): the queue the screen should show."""
    tasks = [task for task in day.json("list", "--status", OPEN, *args)
             if task["next_followup"]]
    return sorted(tasks, key=lambda task: (task["next_followup"], task["id"]))


def counts(tasks: list[dict]) -> dict[str, int]:
    found = dict.fromkeys(("overdue", "today", "week", "later"), 0)
    for task in tasks:
        found[bucket(date.fromisoformat(task["next_followup"]))] += 1
    return found


def queue_title(lang: str, numbers: dict[str, int]) -> str:
    return t(lang, "queue.title", who=t(lang, "queue.everyone"),
             **{k: str(v) for k, v in numbers.items()})


QUEUE_ROW = re.compile(r"^ (?P<bucket>\S.*?)\s{2,}(?P<next>\d{4}-\d\d-\d\d)\s+"
                       r"(?P<id>\d{6}-\d\.\d)\s+(?P<rest>.*)$")


def queue_rows(screen: str) -> list[dict[str, str]]:
    """The queue's rows as the pane shows them: bucket word, next date, task id, the
    owner (the one survey-group code on the row) and the row number."""
    rows = []
    for number, line in enumerate(screen.splitlines()):
        found = QUEUE_ROW.match(line)
        if found:
            owners = re.findall(r"\bG\d\d\b", found["rest"])
            rows.append({"bucket": found["bucket"], "next": found["next"], "id": found["id"],
                         "owner": " ".join(owners), "row": str(number)})
    return rows


def open_queue(tmux: Tmux, day: Day, numbers: dict[str, int]) -> str:
    """Start the app, see the demo's day in its title, go to Follow-ups (4)."""
    tmux.start("a", day.line())
    demo_title = f"{t(day.lang, 'app.demo')} — {t(day.lang, 'app.today', date=DAY.isoformat())}"
    tmux.wait_all("a", demo_title, t(day.lang, "dash.targets"),
                  what="the dashboard, the demo's day in the title")
    tmux.send_keys("a", "4")
    return tmux.wait_for("a", queue_title(day.lang, numbers), what="the follow-up queue")


def filter_queue(tmux: Tmux, day: Day, text: str, numbers: dict[str, int]) -> str:
    """`/`, the text, Enter: the queue narrowed, the keys back with the table (the
    footer shows the queue's own keys again, not the filter's)."""
    tmux.send_keys("a", "/")
    tmux.wait_for("a", t(day.lang, "filter.placeholder")[:8], what="the filter input")
    tmux.type("a", text)
    tmux.wait_for("a", queue_title(day.lang, numbers), what=f"the queue filtered to {text}")
    tmux.send_keys("a", "Enter")
    return tmux.wait_all("a", queue_title(day.lang, numbers), t(day.lang, "bind.mine"),
                         what="the filtered queue with the keys back on the table")


def assert_queue_shows(screen: str, lang: str, expected: list[dict]) -> list[dict[str, str]]:
    """The rows on screen are the first of ``expected``, in its order, each with its
    bucket in words."""
    rows = queue_rows(screen)
    assert len(rows) >= min(len(expected), 10), screen
    assert [r["id"] for r in rows] == [task["id"] for task in expected[:len(rows)]], screen
    for row in rows:
        word = t(lang, f"bucket.{bucket(date.fromisoformat(row['next']))}")
        assert row["bucket"] == word, (row, screen)
    return rows


def in_form(line: str) -> str:
    """What a captured row shows inside the form's border (the screen behind it shows
    on both sides)."""
    parts = line.split("│")
    assert len(parts) >= 3, f"not a row of the form: {line!r}"
    return parts[1].strip()


def quit_app(tmux: Tmux) -> None:
    tmux.send_keys("a", "q")
    screen = tmux.wait_exit("a")
    assert "EXIT=0" in screen and TRACEBACK not in screen, screen


# -- 1. the demo opens on a working day ----------------------------------------------------
def test_the_demo_opens_on_its_own_day_with_calls_due_today(tmux: Tmux, day: Day) -> None:
    expected = queue_of(day)
    numbers = counts(expected)
    # The demo's day is a working day: a few overdue, calls today and this week.
    assert numbers["overdue"] > 0 and numbers["today"] > 0 and numbers["week"] > 0, numbers
    screen = open_queue(tmux, day, numbers)
    rows = assert_queue_shows(screen, day.lang, expected)
    assert rows[0]["bucket"] == t(day.lang, "bucket.overdue")
    assert all(r["next"] < DAY.isoformat() for r in rows[:numbers["overdue"]])
    # The next follow-up dates are the demo's days, not today's clock.
    assert all(r["next"].startswith("2019-") for r in rows), screen
    quit_app(tmux)


# -- 2. the queue narrowed to one survey group, kept for the next start --------------------
def test_the_queue_filtered_to_a_group_is_kept_at_the_next_start(tmux: Tmux, day: Day) -> None:
    everyone = queue_of(day)
    mine = queue_of(day, "--owner", GROUP)
    numbers = counts(mine)
    assert numbers["today"] > 0 and numbers != counts(everyone), numbers
    open_queue(tmux, day, counts(everyone))
    screen = filter_queue(tmux, day, GROUP, numbers)
    rows = assert_queue_shows(screen, day.lang, mine)
    assert {r["owner"] for r in rows} == {GROUP}, screen
    assert any(r["bucket"] == t(day.lang, "bucket.today") and r["next"] == DAY.isoformat()
               for r in rows), screen
    quit_app(tmux)

    # The next start: the queue opens narrowed to G07, the filter field shows it.
    tmux.kill_session("a")
    open_queue(tmux, day, numbers)
    screen = tmux.wait_all("a", queue_title(day.lang, numbers), t(day.lang, "bind.mine"),
                           what="the queue, still filtered")
    lines = screen.splitlines()
    title = row_of(screen, queue_title(day.lang, numbers))
    assert lines[title + 1].strip() == GROUP, screen  # the filter field, under the title
    rows = assert_queue_shows(screen, day.lang, mine)
    assert {r["owner"] for r in rows} == {GROUP}, screen
    quit_app(tmux)


# -- 3. a call logged from the queue, Enter in the date field saves -------------------------
OUTCOME = {"en": "spoke to the bureau", "zh": "已与档案局通话"}


def test_a_call_logged_from_the_queue_saves_on_enter_in_the_date_field(
        tmux: Tmux, day: Day) -> None:
    lang = day.lang
    mine = queue_of(day, "--owner", GROUP)
    numbers = counts(mine)
    open_queue(tmux, day, counts(queue_of(day)))
    screen = filter_queue(tmux, day, GROUP, numbers)
    rows = assert_queue_shows(screen, lang, mine)
    today = next(r for r in rows if r["bucket"] == t(lang, "bucket.today"))
    task = today["id"]
    before = day.json("show", task)

    # The cursor starts on the first row: down to the first call due today, then f.
    tmux.send_keys("a", *["Down"] * (int(today["row"]) - int(rows[0]["row"])), "f")
    screen = tmux.wait_all("a", t(lang, "form.followup_title", task=task), t(lang, "form.hint"),
                           t(lang, "form.when"), what=f"the follow-up form for {task}")
    lines = screen.splitlines()
    outcome_label, when_label = label_row(screen, t(lang, "form.outcome")), label_row(
        screen, t(lang, "form.when"))
    next_label = label_row(screen, t(lang, "form.next"))
    # The day it happened is the demo's day; the next date is prefilled along the cadence.
    assert in_form(lines[when_label + 1]) == DAY.isoformat(), screen
    prefilled = re.findall(r"\d{4}-\d\d-\d\d", in_form(lines[next_label + 1]))
    assert len(prefilled) == 1, screen
    assert t(lang, "form.hint") == {"en": "Enter saves · Tab moves · Escape cancels",
                                    "zh": "Enter 保存 · Tab 切换 · Escape 取消"}[lang]

    # The kind: Down to 'visit', Enter (no outcome yet: the form goes to the outcome).
    tmux.send_keys("a", "Down", "Enter")
    wait_cursor_between(tmux, "a", outcome_label, when_label, "the outcome input to have focus")
    tmux.type("a", OUTCOME[lang])
    tmux.wait_for("a", OUTCOME[lang], what="the typed outcome")
    # Tab moves to the date it happened; Enter there saves, as the hint says.
    tmux.send_keys("a", "Tab")
    wait_cursor_between(tmux, "a", when_label, next_label, "the date input to have focus")
    tmux.send_keys("a", "Enter")
    moved = dict(numbers, today=numbers["today"] - 1)
    moved[bucket(date.fromisoformat(prefilled[0]))] += 1
    screen = tmux.wait_for(
        "a", lambda s: t(lang, "form.followup_title", task=task) not in s
        and queue_title(lang, moved) in s,
        what="the form closed and the call moved out of today's bucket")
    assert TRACEBACK not in screen
    quit_app(tmux)

    after = day.json("show", task)
    assert len(after["followups"]) == len(before["followups"]) + 1
    logged = [f for f in after["followups"] if f not in before["followups"]]
    assert [(f["kind"], f["outcome"], f["date"], f["next"]) for f in logged] == [
        ("visit", OUTCOME[lang], DAY.isoformat(), prefilled[0])], logged
    assert after["next_followup"] == prefilled[0]


# -- 4. a county's figure entered where the county is ---------------------------------------
SOURCE = {"en": "county report", "zh": "县档案局报表"}
ON = "2019-06-20"


def test_a_figure_entered_on_the_county_screen_is_in_tracker_show(
        tmux: Tmux, day: Day) -> None:
    lang = day.lang
    county = day.json("show", CODE)
    staff = next(f for f in county["figures"] if f["key"] == "staff")
    target = next(x for x in county["targets"] if x["indicator"] == "staffing")
    assert not target["met"] and staff["value"] < target["required"], (staff, target)
    value = str(target["required"])  # as many staff as the 1985 standard asks

    tmux.start("a", day.line("open", CODE))
    tmux.wait_all("a", f"{CODE}  {COUNTY[lang]}", f"{CODE}-2.3", t(lang, "bind.measure"),
                  what="the county screen, its footer offering m")
    tmux.send_keys("a", "m")
    screen = tmux.wait_all("a", t(lang, "form.measure_title", county=COUNTY[lang]),
                           t(lang, "form.hint"), what="the figure form")
    rows = [label_row(screen, t(lang, key)) for key in
            ("form.indicator", "form.value", "form.date", "form.source")]
    hint = row_of(screen, t(lang, "form.hint"))
    lines = screen.splitlines()
    assert in_form(lines[rows[2] + 1]) == DAY.isoformat(), screen  # the demo's day

    # The value has the focus (the figure is prefilled from the row): back to the figure,
    # and type its name in the user's language.
    wait_cursor_between(tmux, "a", rows[1], rows[2], "the value input to have focus")
    tmux.send_keys("a", "BTab")
    wait_cursor_between(tmux, "a", rows[0], rows[1], "the figure input to have focus")
    tmux.send_keys("a", "End", "C-u")
    tmux.type("a", STAFF[lang])
    tmux.wait_for("a", STAFF[lang], what="the typed figure")
    tmux.send_keys("a", "Tab")
    wait_cursor_between(tmux, "a", rows[1], rows[2], "the value input to have focus")
    tmux.type("a", value)
    tmux.send_keys("a", "Tab")
    wait_cursor_between(tmux, "a", rows[2], rows[3], "the date input to have focus")
    tmux.send_keys("a", "End", "C-u")
    tmux.type("a", ON)
    tmux.send_keys("a", "Tab")
    wait_cursor_between(tmux, "a", rows[3], hint, "the source input to have focus")
    tmux.type("a", SOURCE[lang])
    tmux.wait_all("a", SOURCE[lang], ON, what="the form filled in")
    tmux.send_keys("a", "Enter")

    shown = f"{value} ({ON})"
    screen = tmux.wait_for(
        "a", lambda s: t(lang, "form.measure_title", county=COUNTY[lang]) not in s
        and any(STAFF[lang] in line and shown in line for line in s.splitlines()),
        what="the new figure on the county screen")
    assert TRACEBACK not in screen
    quit_app(tmux)

    county = day.json("show", CODE)
    staff = next(f for f in county["figures"] if f["key"] == "staff")
    assert (staff["value"], staff["date"], staff["source"]) == (int(value), ON, SOURCE[lang])
    target = next(x for x in county["targets"] if x["indicator"] == "staffing")
    assert (target["met"], target["status"], target["measured_on"]) == (True, "met", ON)
    task = day.json("show", f"{CODE}-2.3")  # the task of the staff recommendation
    assert {"date": ON, "value": int(value), "source": SOURCE[lang]}.items() <= \
        task["measurements"]["staff"][-1].items()
    text = day.cli("show", f"{CODE}-2.3").stdout
    assert any(STAFF["en"] in line and ON in line and SOURCE[lang] in line
               for line in text.splitlines()), text


# -- 5. the dashboard judges, in words -------------------------------------------------------
WORDS = ("met", "on_track", "at_risk", "off_track", "no_data")


def export_statuses(day: Day) -> dict[str, str]:
    """Each target's status as the exports judge it (the Markdown export, in English, a
    separate process): {"T1": "on_track", ...}."""
    out = day.home / "progress.md"
    day.cli("export", "-o", str(out), "--force")
    by_word = {t("en", f"progress.{w}"): w for w in WORDS}
    found = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if re.fullmatch(r"T\d+", cells[0]):
            found[cells[0]] = next(by_word[c] for c in cells if c in by_word)
    return found


def test_the_dashboard_says_each_targets_status_and_a_passed_deadline_in_words(
        tmux: Tmux, day: Day) -> None:
    lang = day.lang
    judged = export_statuses(day)
    targets = day.json("report")["targets"]
    assert len(judged) == len(targets) >= 5, judged
    assert any(x["days_left"] < 0 for x in targets), "no deadline has passed on the demo"

    words = [t(lang, f"progress.{w}") for w in WORDS]

    def judged_rows(screen: str) -> dict[str, str]:
        rows = {}
        for line in screen.splitlines():
            found = re.match(r"^ (T\d+) ", line)
            if found:
                rows[found[1]] = line
        return rows

    tmux.start("a", day.line())
    screen = tmux.wait_for(
        "a", lambda s: len(rows := judged_rows(s)) == len(targets)
        and all(any(w in line for w in words) for line in rows.values()),
        what="every target judged in words")
    rows = judged_rows(screen)
    for n, target in enumerate(targets, start=1):
        line = rows[f"T{n}"]
        said = [w for w in WORDS if t(lang, f"progress.{w}") in line]
        assert said == [judged[f"T{n}"]], (f"T{n}", said, judged[f"T{n}"], screen)
        deadline = date.fromisoformat(target["deadline"])
        if target["days_left"] < 0:  # at 80 columns a year-end deadline goes by its year
            when = str(deadline.year) if deadline.strftime("%m-%d") == "12-31" \
                else deadline.isoformat()
            assert t(lang, "dash.closed", date=when) in line, (line, screen)
        else:
            assert t(lang, "dash.days_left", days=str(target["days_left"])) in line, line
    # The legend under the targets explains the columns and the status words.
    legend = t(lang, "dash.targets_legend")
    assert "".join(legend.split()) in "".join(screen.split()), screen
    quit_app(tmux)
