"""Issue 16 on the installed command: the config file and its sources, --version,
completion, the man page, --json on writes, --ascii, the login notice, doctor's locale."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_cli import TRACKER, run


def tracker(*args: str, home: Path, env: dict[str, str] | None = None,
            check: int | None = 0) -> subprocess.CompletedProcess[str]:
    """The command as a non-login shell runs it: no --db, no TRACKER_DB; the system file
    is ``home/etc/config.toml`` (TRACKER_SYSTEM_CONFIG), the user's ``home/config``."""
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("TRACKER_", "LC_", "LANGUAGE", "XDG_"))}
    environ.update(LANG="C.UTF-8", COLUMNS="120", HOME=str(home),
                   XDG_CONFIG_HOME=str(home / "config"),
                   XDG_DATA_HOME=str(home / "data"),
                   TRACKER_SYSTEM_CONFIG=str(home / "etc" / "config.toml"), **(env or {}))
    result = subprocess.run([TRACKER, *args], capture_output=True, text=True, env=environ,
                            timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    if check is not None:
        assert result.returncode == check, (result.stdout, result.stderr)
    return result


def system_file(home: Path, text: str) -> Path:
    path = home / "etc" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def user_file(home: Path, text: str) -> Path:
    path = home / "config" / "tracker" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def shown(home: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, tuple]:
    rows = json.loads(tracker("config", "show", "--json", *args, home=home, env=env).stdout)
    return {row["key"]: (row["value"], row["source"]) for row in rows}


# -- the config file ---------------------------------------------------------------------------
def test_a_non_login_shell_finds_the_shared_database_from_the_system_file(
        tmp_path: Path, db: Path) -> None:
    system_file(tmp_path, f'database = "{db}"\n')
    listed = json.loads(tracker("list", "--json", "--rec", "2.5", home=tmp_path).stdout)
    assert len(listed) == 100
    assert not (tmp_path / "data" / "tracker").exists()  # not the user's own database


def test_each_source_overrides_the_one_before(tmp_path: Path) -> None:
    system = system_file(tmp_path, 'database = "/srv/tracker/tracker.json"\nlanguage = "zh"\n'
                         'theme = "nord"\n[mail]\nhost = "mail.example.org"\nport = 587\n')
    user = user_file(tmp_path, 'language = "en"\ntheme = "ansi-dark"\n[mail]\nport = 2525\n')
    settings = shown(tmp_path)
    assert settings["database"] == ("/srv/tracker/tracker.json", str(system))
    assert settings["language"] == ("en", str(user))
    assert settings["theme"] == ("ansi-dark", str(user))
    assert settings["mail.host"] == ("mail.example.org", str(system))
    assert settings["mail.port"] == (2525, str(user))
    assert settings["ascii"] == (False, "default")
    settings = shown(tmp_path, env={"TRACKER_DB": str(tmp_path / "env.json"),
                                    "TRACKER_LANG": "zh", "TRACKER_ASCII": "1"})
    # (TRACKER_LANG=zh: the sources are named in Chinese)
    assert settings["database"] == (str(tmp_path / "env.json"), "环境变量 TRACKER_DB")
    assert settings["language"] == ("zh", "环境变量 TRACKER_LANG")
    assert settings["ascii"] == (True, "环境变量 TRACKER_ASCII")
    settings = shown(tmp_path, "--db", str(tmp_path / "flag.json"), "--lang", "en", "--ascii",
                     env={"TRACKER_DB": str(tmp_path / "env.json"), "TRACKER_LANG": "zh"})
    assert settings["database"] == (str(tmp_path / "flag.json"), "flag --db")
    assert settings["language"] == ("en", "flag --lang")
    assert settings["ascii"] == (True, "flag --ascii")
    text = tracker("config", "show", home=tmp_path).stdout  # the table, for people
    assert f"theme                    = ansi-dark   ({user})" in text


@pytest.mark.parametrize(("where", "text", "key", "allowed"), [
    ("system", "databse = '/srv/t.json'\n", "databse", "allowed: database, language"),
    ("user", "[mail]\nhots = 'x'\n", "mail.hots", "mail.host, mail.port"),
    ("user", "ascii = 'yes'\n", "ascii", "true | false"),
    ("system", "[mail]\nport = 70000\n", "mail.port", "0..65535"),
    ("user", "language = 'fr'\n", "language", '"zh" | "en"'),
    ("user", "[mail]\nsecurity = 'ssl'\n", "mail.security", '"starttls" | "tls" | "none"'),
    ("user", "theme = 3\n", "theme", "a string"),
    ("system", "mail = 'x'\n", "mail", "a table"),
    ("user", "notice_timeout_ms = 0\n", "notice_timeout_ms", "10..5000"),
])
def test_a_bad_key_is_one_line_naming_the_file_the_key_and_what_is_allowed(
        tmp_path: Path, where: str, text: str, key: str, allowed: str) -> None:
    path = (system_file if where == "system" else user_file)(tmp_path, text)
    result = tracker("list", home=tmp_path, check=2)
    line = result.stderr.strip()
    assert "\n" not in line and result.stdout == ""
    assert str(path) in line and key in line and allowed in line, line


def test_a_file_that_is_not_toml_is_one_line(tmp_path: Path) -> None:
    path = user_file(tmp_path, "language = \n")
    result = tracker("list", home=tmp_path, check=2)
    assert result.stderr.count("\n") == 1 and f"{path}: not TOML" in result.stderr


# -- conventions -------------------------------------------------------------------------------
def test_version_and_doctor_say_the_version(tmp_path: Path, db: Path) -> None:
    from importlib.metadata import version

    expected = f"tracker {version('liaoning-archives-tracker')}"
    assert tracker("--version", home=tmp_path).stdout == expected + "\n"
    report = json.loads(run(db, "doctor", "--json", check=None).stdout)
    checks = report["checks"] if isinstance(report, dict) else report
    assert any(expected in json.dumps(c, ensure_ascii=False) for c in checks)


def test_the_bash_completion_loads_and_completes_subcommands_and_tasks(db: Path) -> None:
    bash = shutil.which("bash")
    assert bash
    env = {**os.environ, "PATH": f"{Path(TRACKER).parent}:{os.environ['PATH']}",
           "TRACKER_DB": str(db)}
    loaded = subprocess.run([bash, "-c", "source <(tracker completion bash); complete -p tracker"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip().endswith(" tracker") and "-F _shtab_tracker" in loaded.stdout
    script = ('source <(tracker completion bash); COMP_WORDS=(tracker {words}); '
              'COMP_CWORD={cword}; COMP_LINE="tracker {words}"; COMP_POINT=${{#COMP_LINE}}; '
              '_shtab_tracker tracker "{last}" ""; printf "%s\\n" "${{COMPREPLY[@]}}"')
    commands = subprocess.run([bash, "-c", script.format(words="rem", cword=1, last="rem")],
                              capture_output=True, text=True, env=env, timeout=60)
    assert commands.stdout.split() == ["remind"]
    tasks = subprocess.run([bash, "-c", script.format(words="show 211421-2", cword=2,
                                                      last="211421-2")],
                           capture_output=True, text=True, env=env, timeout=60)
    assert "211421-2.5" in tasks.stdout.split()


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completions_know_the_subcommands(tmp_path: Path, shell: str) -> None:
    script = tracker("completion", shell, home=tmp_path).stdout
    assert "remind" in script and "agenda" in script and "dry-run" in script


def test_the_man_page_is_generated_from_the_parser(tmp_path: Path) -> None:
    page = tracker("man", home=tmp_path).stdout
    assert page.startswith(".TH TRACKER 1 ")
    for word in ("remind", "notice", "completion", "\\-\\-dry\\-run", "\\-\\-ascii",
                 "/etc/tracker/config.toml"):
        assert word in page, word
    if shutil.which("man"):
        out = tmp_path / "tracker.1"
        tracker("man", "-o", str(out), home=tmp_path)
        rendered = subprocess.run(["man", "-l", str(out)], capture_output=True, text=True,
                                  env={**os.environ, "MANPAGER": "cat", "COLUMNS": "100"},
                                  timeout=60)
        assert "tracker remind" in rendered.stdout.replace("\u2010", "-")


# -- --json on writes ------------------------------------------------------------------------
def test_every_write_prints_what_changed_as_json(db: Path, tmp_path: Path) -> None:
    before = json.loads(run(db, "show", "211421-2.5", "--json").stdout)["version"]
    done = json.loads(run(db, "set", "211421-2.5", "--status", "in_progress", "--owner",
                          "G07", "--json").stdout)
    assert [c["field"] for c in done["changed"]] == ["status", "owner"]
    assert done["changed"][0]["old"] == "not_started" and done["changed"][0]["new"] == \
        "in_progress"
    assert done["versions"] == {"211421-2.5": before + 2}
    assert done["events"] == [c["event"] for c in done["changed"]] and \
        done["head"]["seq"] == done["events"][-1]
    note = json.loads(run(db, "note", "211421-2.5", "县局已签约", "--json").stdout)
    assert note["changed"][0]["type"] == "note" and note["events"] == [done["events"][-1] + 1]
    followup = json.loads(run(db, "followup", "211421-2.5", "--kind", "call", "--outcome",
                              "ok", "--date", "2020-01-02", "--json").stdout)
    assert followup["changed"][0]["type"] == "followup"
    measure = json.loads(run(db, "measure", "绥中", "permanent_volumes", "52000", "--date",
                             "2018-01-01", "--json").stdout)
    assert measure["changed"][0]["county"] == "211421" and measure["versions"]["211421"]
    csv = tmp_path / "figures.csv"
    csv.write_text("county,date,permanent_volumes\n211422,2018-01-01,41000\n", "utf-8")
    dry = json.loads(run(db, "import", str(csv), "--dry-run", "--json").stdout)
    assert dry["events"] == [] and dry["dry_run"] is True
    imported = json.loads(run(db, "import", str(csv), "--json").stdout)
    assert [c["county"] for c in imported["changed"]] == ["211422"]
    setting = json.loads(run(db, "config", "stale_days", "30", "--json").stdout)
    assert setting["changed"][0]["new"] == 30
    history = json.loads(run(db, "history", "--json").stdout)
    assert history[-1]["seq"] == setting["events"][0]


# -- --ascii ---------------------------------------------------------------------------------
def test_ascii_replaces_the_ambiguous_glyphs_of_the_cli_but_not_data(db: Path,
                                                                      tmp_path: Path) -> None:
    ambiguous = "◐●–·▒▓█─≥→"
    plain = run(db, "report").stdout
    assert any(g in plain for g in ambiguous)
    for out in (run(db, "--ascii", "report").stdout,
                run(db, "report", env={"TRACKER_ASCII": "1"}).stdout):
        assert not any(g in out for g in ambiguous)
    run(db, "note", "211421-2.5", "6·9国际档案日")
    data = json.loads(run(db, "--ascii", "show", "211421-2.5", "--json").stdout)
    assert data["notes"][0]["text"] == "6·9国际档案日"


# -- the login notice --------------------------------------------------------------------------
def test_the_notice_is_one_line_for_my_tasks_or_nothing(db: Path) -> None:
    import getpass

    me = getpass.getuser()
    assert run(db, "notice").stdout == ""  # nothing of mine is due
    run(db, "set", "211421-2.5", "--owner", me, "--next", "today")
    run(db, "set", "211421-2.4", "--owner", me, "--next", "-3d")
    run(db, "set", "211421-2.3", "--owner", me, "--next", "-1d")
    run(db, "set", "211421-2.2", "--owner", me, "--next", "+2d")  # not yet
    run(db, "set", "211422-2.2", "--owner", "G07", "--next", "today")  # not my group's
    out = run(db, "notice")
    assert out.stdout == "1 follow-up due today, 2 overdue: tracker agenda\n"
    assert run(db, "notice", lang="zh_CN.UTF-8").stdout == (
        "今天到期的跟进 1 项，已逾期 2 项：详见 tracker agenda\n")
    run(db, "set", "211421-2.5", "--next", "+5d")
    run(db, "set", "211422-2.2", "--owner", me)
    # What is none is left out; one is one.
    assert run(db, "notice").stdout == "1 follow-up due today, 2 overdue: tracker agenda\n"
    run(db, "set", "211422-2.2", "--next", "+5d")
    assert run(db, "notice").stdout == "2 follow-ups overdue: tracker agenda\n"
    run(db, "set", "211421-2.4", "--next", "today")
    assert run(db, "notice").stdout == "1 follow-up due today, 1 overdue: tracker agenda\n"
    run(db, "set", "211421-2.3", "--next", "today")
    assert run(db, "notice").stdout == "2 follow-ups due today: tracker agenda\n"


@pytest.mark.parametrize("fault", ["missing", "garbage", "folder", "config"])
def test_the_notice_is_silent_on_any_error(tmp_path: Path, fault: str) -> None:
    path = tmp_path / "tracker.json"
    env: dict[str, str] = {}
    if fault == "garbage":
        path.write_text("{not json", "utf-8")
    elif fault == "folder":
        path.mkdir()
    elif fault == "config":
        user_file(tmp_path, "bogus = 1\n")
    result = tracker("notice", home=tmp_path, env={"TRACKER_DB": str(path), **env})
    assert (result.stdout, result.stderr, result.returncode) == ("", "", 0)


def test_the_notice_gives_up_silently_after_its_time_limit(db: Path, tmp_path: Path) -> None:
    import getpass

    run(db, "set", "211421-2.5", "--owner", getpass.getuser(), "--next", "today")
    user_file(tmp_path, "notice_timeout_ms = 10\n")
    # The lock held by another writer makes no difference to a reader, so a tiny limit
    # is what cuts it: whether it finished or not, it says one line or nothing, exit 0.
    result = tracker("notice", home=tmp_path, env={"TRACKER_DB": str(db)})
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout in ("", "1 follow-up due today: tracker agenda\n")


# -- doctor ----------------------------------------------------------------------------------
def test_doctor_reports_the_locale_as_the_user_set_it(db: Path) -> None:
    import locale

    try:
        locale.setlocale(locale.LC_CTYPE, "zh_CN.UTF-8")
    except locale.Error:
        pass
    else:
        locale.setlocale(locale.LC_CTYPE, "")
        pytest.skip("zh_CN.UTF-8 is installed here")
    out = run(db, "doctor", lang="zh_CN.UTF-8", check=None).stdout
    assert "LANG=zh_CN.UTF-8" in out and "C.UTF-8" in out
    line = next(line for line in out.splitlines() if "LANG=zh_CN.UTF-8" in line)
    assert "警告" in line or "warning" in line.lower()
