"""The configuration: TOML files, the environment, flags (docs/deploy.md, "Configuration").

Each source overrides the one before:

1. the defaults below;
2. ``/etc/tracker/config.toml`` (the server's: where the shared database is, the mail;
   ``TRACKER_SYSTEM_CONFIG`` names another, except in service mode);
3. ``$XDG_CONFIG_HOME/tracker/config.toml`` (default ``~/.config/tracker/config.toml``);
4. the environment: ``TRACKER_DB``, ``TRACKER_LANG``, ``TRACKER_THEME``, ``TRACKER_ASCII``;
5. the command line's flags: ``--db``, ``--lang``, ``--ascii``.

A file is read with the standard ``tomllib``; an unknown key, a wrong type or a value out
of bounds is one :class:`ConfigError` naming the file, the key and what is allowed (exit
2), never a traceback and never silently ignored. Every value remembers where it came
from (``tracker config show``).

Service mode (``tracker shell NAME``) reads no environment and no user's file but the
service account's own (by its password-database home): see :func:`service_config`.

The theme chosen in the app is written back to the user's file (:func:`remember`), as
one line ``theme = "..."`` replaced or added, the rest of the file kept as it was.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from tracker.domain.errors import UsageError

SYSTEM_FILE = Path("/etc/tracker/config.toml")
MAX_FILE = 64 * 1024  # a config file is a few lines; a larger one is a mistake


class ConfigError(UsageError):
    """A config file that cannot be taken: names the file, the key, what is allowed."""


class Rule(NamedTuple):
    """What a key takes: its type's name (as the error says it), and a check."""

    kind: str  # "path", "word", "bool", "int", "text"
    default: Any = None
    choices: tuple[str, ...] = ()
    low: int = 0
    high: int = 0
    env: str | None = None  # the environment variable that overrides it


TOP: dict[str, Rule] = {
    "database": Rule("path", env="TRACKER_DB"),
    "language": Rule("word", choices=("zh", "en"), env="TRACKER_LANG"),
    "theme": Rule("text", env="TRACKER_THEME"),
    "ascii": Rule("bool", False, env="TRACKER_ASCII"),
    "notice_timeout_ms": Rule("int", 300, low=10, high=5000),
}
MAIL: dict[str, Rule] = {
    "host": Rule("text"),
    "port": Rule("int", 0, low=0, high=65535),  # 0: 25, 465 (tls) or 587 (starttls)
    "security": Rule("word", "starttls", choices=("starttls", "tls", "none")),
    "from": Rule("text"),
    "user": Rule("text"),
    "password_file": Rule("path"),
    "timeout": Rule("int", 30, low=1, high=600),
    "escalate_after_days": Rule("int", 14, low=1, high=3650),
}
SECTIONS: dict[str, dict[str, Rule]] = {"": TOP, "mail": MAIL}
FLAGS = {"database": "--db", "language": "--lang", "ascii": "--ascii"}


class Config:
    """The effective settings: ``values[key]`` and ``sources[key]`` ("default", a file's
    path, "env NAME", "flag --x"); mail keys as ``mail.host``. (A plain class, as are the
    other values every command builds: ``dataclasses`` imports ``inspect`` and costs a
    one-shot command ~8 ms.)"""

    def __init__(self, values: dict[str, Any] | None = None,
                 sources: dict[str, str] | None = None, user_file: Path | None = None) -> None:
        self.values: dict[str, Any] = {} if values is None else values
        self.sources: dict[str, str] = {} if sources is None else sources
        self.user_file = user_file

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def mail(self) -> dict[str, Any]:
        return {key: self.values.get(f"mail.{key}") for key in MAIL}


def user_file(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tracker" / "config.toml"


def defaults() -> Config:
    config = Config()
    for section, rules in SECTIONS.items():
        for key, rule in rules.items():
            name = f"{section}.{key}" if section else key
            config.values[name] = rule.default
            config.sources[name] = "default"
    return config


def load(environ: Mapping[str, str] | None = None, flags: Mapping[str, Any] | None = None,
         *, system: Path | None = None, user: Path | None = None) -> Config:
    """The effective configuration (see the module): files, environment, flags."""
    env = os.environ if environ is None else environ
    config = defaults()
    config.user_file = user_file(env) if user is None else user
    if system is None:  # TRACKER_SYSTEM_CONFIG: another system file (tests, a staging copy)
        system = Path(env["TRACKER_SYSTEM_CONFIG"]) if env.get("TRACKER_SYSTEM_CONFIG") \
            else SYSTEM_FILE
    for path in (system, config.user_file):
        read_into(config, path)
    for key, rule in TOP.items():
        if rule.env and env.get(rule.env):
            config.values[key] = _from_text(key, env[rule.env], rule, f"${rule.env}")
            config.sources[key] = f"env {rule.env}"
    for key, value in (flags or {}).items():
        if value is not None and value is not False:
            config.values[key] = value
            config.sources[key] = f"flag {FLAGS.get(key, key)}"
    return config


def service_config(home: Path) -> Config:
    """Service mode's: the system file, then the service account's own file under its
    password-database ``home``; no environment, no flags (a person's request cannot
    choose the database)."""
    return load({}, {}, user=home / ".config" / "tracker" / "config.toml")


def read_into(config: Config, path: Path) -> None:
    """Read one file into ``config`` (a missing file is no error; a bad one is)."""
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_FILE + 1)
    except FileNotFoundError:
        return
    except NotADirectoryError:
        return
    except PermissionError as error:
        if not os.path.exists(path):  # a folder we may not search (another's HOME): none
            return
        raise ConfigError("config.unreadable", file=str(path),
                          reason=error.strerror or str(error)) from None
    except OSError as error:
        raise ConfigError("config.unreadable", file=str(path),
                          reason=error.strerror or str(error)) from None
    if len(raw) > MAX_FILE:
        raise ConfigError("config.too_large", file=str(path), limit=MAX_FILE)
    import tomllib  # (a command without config files does without it)

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError("config.not_toml", file=str(path), reason=str(error)) from None
    for key, value in data.items():
        if key in SECTIONS and key:
            if not isinstance(value, dict):
                raise ConfigError("config.not_table", file=str(path), key=key)
            for inner, inner_value in value.items():
                rule = SECTIONS[key].get(inner)
                name = f"{key}.{inner}"
                if rule is None:
                    raise ConfigError("config.unknown_key", file=str(path), key=name,
                                      known=", ".join(f"{key}.{k}" for k in SECTIONS[key]))
                config.values[name] = _checked(name, inner_value, rule, str(path))
                config.sources[name] = str(path)
            continue
        rule = TOP.get(key)
        if rule is None:
            known = ", ".join([*TOP, *(f"[{s}]" for s in SECTIONS if s)])
            raise ConfigError("config.unknown_key", file=str(path), key=key, known=known)
        config.values[key] = _checked(key, value, rule, str(path))
        config.sources[key] = str(path)


def allowed(rule: Rule) -> str:
    """What a key takes, as an error says it."""
    if rule.kind == "word":
        return " | ".join(f'"{c}"' for c in rule.choices)
    if rule.kind == "int":
        return f"{rule.low}..{rule.high}"
    if rule.kind == "bool":
        return "true | false"
    return "a string"


def _checked(key: str, value: Any, rule: Rule, where: str) -> Any:
    ok: bool
    if rule.kind == "bool":
        ok = isinstance(value, bool)
    elif rule.kind == "int":
        ok = (isinstance(value, int) and not isinstance(value, bool)
              and rule.low <= value <= rule.high)
    elif rule.kind == "word":
        ok = isinstance(value, str) and value in rule.choices
    else:
        ok = isinstance(value, str) and bool(value.strip()) and "\x00" not in value
    if not ok:
        raise ConfigError("config.bad_value", file=where, key=key,
                          value=_shown(value), allowed=allowed(rule))
    if rule.kind == "path":
        return str(Path(value).expanduser())
    return value


def _from_text(key: str, text: str, rule: Rule, where: str) -> Any:
    """An environment variable's text as the key's type."""
    value: Any = text
    if rule.kind == "bool":
        word = text.strip().lower()
        value = True if word in ("1", "true", "yes") else False if word in (
            "0", "false", "no", "") else text
    return _checked(key, value, rule, where)


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value).lower() \
        if isinstance(value, bool) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


_THEME_LINE = re.compile(r"^\s*theme\s*=.*$", re.MULTILINE)
_SECTION = re.compile(r"^\s*\[", re.MULTILINE)


def remember(path: Path, key: str, value: str) -> None:
    """Write ``key = "value"`` (a top-level string key: the theme) into the user's file,
    keeping its other lines; best effort (the caller ignores an OSError it cannot fix)."""
    assert key == "theme"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    line = f"{key} = {quoted}"
    section = _SECTION.search(text)
    at = section.start() if section else len(text)
    head, rest = text[:at], text[at:]
    if _THEME_LINE.search(head):
        head = _THEME_LINE.sub(lambda _m: line, head, count=1)
    else:
        if head and not head.endswith("\n"):
            head += "\n"
        head += line + "\n"
    text = head + rest
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except OSError:
        os.unlink(tmp)
        raise


class Personal:
    """Per-person settings kept per tracker user in ``$XDG_STATE_HOME/tracker/people.json``
    (~/.local/state): in service mode everyone runs as the one service account, and each
    still finds their own theme and language; the Follow-ups queue keeps its filter here
    in both modes (screens.followups.QueueChoice). Best effort: a file that cannot be read
    or written is no setting, never an error."""

    def __init__(self, user: str, path: Path | None = None) -> None:
        self.user = user
        self.path = path or self.default_path()

    @staticmethod
    def default_path() -> Path:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        return Path(base) / "tracker" / "people.json"

    def _all(self) -> dict[str, Any]:
        import json

        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> str | None:
        entry = self._all().get(self.user)
        value = entry.get(key) if isinstance(entry, dict) else None
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str) -> None:
        self.update({key: value})

    def update(self, values: Mapping[str, str]) -> None:
        """Several settings of this user in one write (the others' untouched)."""
        import json
        import tempfile

        data = self._all()
        entry = data.get(self.user)
        entry = dict(entry) if isinstance(entry, dict) else {}
        entry.update(values)
        data[self.user] = entry
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".people.")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False)
            os.replace(tmp, self.path)
        except OSError:
            pass
