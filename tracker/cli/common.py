"""What the subcommands share: the database they open, dates from options, printing."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from tracker.domain.errors import UsageError
from tracker.domain.text import clean_text
from tracker.i18n import _

if TYPE_CHECKING:
    from tracker.domain.state import StateView
    from tracker.storage.config import Config
    from tracker.storage.store import Store

_config: Config | None = None


def config() -> Config:
    """The effective configuration (tracker.storage.config): files, environment, and the
    flags once :func:`take_flags` has seen them; service mode's own inside ``serving``."""
    global _config
    if _config is None:
        from tracker.storage.config import load

        _config = load()
    return _config


def set_config(value: Config | None) -> None:
    global _config
    _config = value


def take_flags(args: argparse.Namespace) -> None:
    """The command line's flags over the files and the environment."""
    current = config()
    for key, dest in (("database", "db"), ("language", "lang"), ("ascii", "ascii")):
        value = getattr(args, dest, None)
        if value:
            from tracker.storage.config import FLAGS

            current.values[key] = str(Path(value).expanduser()) if key == "database" \
                else value
            current.sources[key] = f"flag {FLAGS[key]}"
    from tracker import glyphs

    if current.get("ascii") and not glyphs.ascii_mode():
        glyphs.use_ascii(True)
        if not isinstance(sys.stdout, glyphs.AsciiStream):
            sys.stdout = glyphs.AsciiStream(sys.stdout)


def default_db_path(environ: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """``TRACKER_DB``, else ``$XDG_DATA_HOME/tracker/tracker.json`` (~/.local/share)."""
    env = os.environ if environ is None else environ
    if env.get("TRACKER_DB"):
        return Path(env["TRACKER_DB"]).expanduser()
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tracker" / "tracker.json"


def date_arg(option: str) -> Callable[[str], date]:
    from tracker.domain.dates import parse_date

    def parse(text: str) -> date:
        return parse_date(text, option=option)

    return parse


class Service(NamedTuple):
    """Service mode (``tracker shell NAME``, run by sshd): who acts, on which database.
    Both come from the service account's side (the forced command in its
    authorized_keys, its own default path), never from the user's command line or
    environment."""

    user: str
    db: Path


_service: Service | None = None


def service() -> Service | None:
    """The service-mode context of the command being run, or None (a local command)."""
    return _service


@contextmanager
def serving(user: str, db: Path) -> Iterator[Service]:
    """Run the commands inside as ``user`` on ``db`` (see :class:`Service`)."""
    global _service
    previous, _service = _service, Service(user, db)
    try:
        yield _service
    finally:
        _service = previous


def db_path(args: argparse.Namespace) -> Path:
    """The database: the service's in service mode; else ``--db``, ``TRACKER_DB``, the
    config files' ``database``, the default."""
    if _service is not None:
        return _service.db
    if getattr(args, "db", None):
        return Path(args.db).expanduser()
    configured = config().get("database")
    return Path(configured) if configured else default_db_path()


def open_store(args: argparse.Namespace, *, lazy: bool = False) -> Store:
    """The store; ``lazy`` for commands that read or change a few documents, so that
    they need not parse a large database whole. The acting user is the OS account, or
    in service mode the name sshd vouched for."""
    from tracker.storage.store import Store

    return Store(db_path(args), lazy=lazy,
                 user=_service.user if _service is not None else None)


def read_stdin(limit: int | None = None) -> bytes:
    """What ``-`` names: standard input (a file sent over ssh in service mode), at most
    ``limit`` bytes. A terminal is refused (the command would wait for typing that never
    comes), and a stream that cannot be read is one line, not a traceback."""
    stream = sys.stdin
    try:
        if stream is None or stream.isatty():
            raise UsageError("cli.stdin_terminal")
        return stream.buffer.read() if limit is None else stream.buffer.read(limit)
    except (OSError, ValueError, AttributeError) as error:
        raise UsageError("cli.stdin_unreadable",
                         reason=clean_text(str(error), single_line=True)) from None


def as_of_date(args: argparse.Namespace, store: Any = None) -> date | None:
    """--as-of; with ``store``, relative to its today, and refused if after it (a view of
    a day to come would be today's under another date)."""
    text = getattr(args, "as_of", None)
    if not text:
        return None
    if store is None:
        return date_arg("--as-of")(text)
    today = store_today(store)
    as_of = date_option(text, "--as-of", today)
    assert as_of is not None
    if as_of > today:
        raise UsageError("asof.future", date=as_of.isoformat(), today=today.isoformat())
    return as_of


def store_today(store: Any) -> date:
    """The store's today: a demo database's own day (read from it), else the real one."""
    store.view()  # reads the state, which says whether the database lives on a day of its own
    today: date = store.clock().date()
    return today


def date_option(value: str | None, option: str, today: date | None = None) -> date | None:
    """A date option; relative forms (+2w, today) count from ``today`` (the store's)."""
    if not value:
        return None
    from tracker.domain.dates import parse_date

    return parse_date(value, option=option, today=today)


def open_view(args: argparse.Namespace) -> StateView:
    store = open_store(args)
    return store.view(as_of_date(args, store))


def refuse_as_of(args: argparse.Namespace) -> None:
    if getattr(args, "as_of", None):
        raise UsageError("cli.as_of_read_only")


def print_json(data: Any) -> None:
    """Data, as it is (never the ASCII stand-ins of ``--ascii``)."""
    stream = getattr(sys.stdout, "inner", sys.stdout)
    json.dump(data, stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def write_json_array(items: Iterable[Any]) -> None:
    """``print_json(list(items))``, byte for byte, written item by item: a long list
    (`tracker history --json`) is never held whole."""
    out = sys.stdout
    first = True
    for item in items:
        # A JSON string holds no raw newline, so indenting every line is safe.
        out.write(("[\n  " if first else ",\n  ")
                  + json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n  "))
        first = False
    out.write("[]\n" if first else "\n]\n")


def demo_banner(view: StateView, *, to_stderr: bool = False) -> None:
    if view.demo:
        day = view.meta.get("demo_today")
        print(_("demo.banner_dated", date=day) if day else _("demo.banner"),
              file=sys.stderr if to_stderr else sys.stdout)


def clearable_date(text: str, option: str, today: date | None = None) -> date | None:
    if text.strip().lower() in ("-", "none"):
        return None
    return date_option(text, option, today)


def print_changes(events: list[dict[str, Any]]) -> None:
    from tracker.domain.fields import field_value

    for event in events:
        field = event.get("field")
        old, new = _plain(event.get("old")), _plain(event.get("new"))
        if event["type"] == "set":  # a set event always names its field
            name: str = event["field"]
            old, new = field_value(name, event.get("old")), field_value(name, event.get("new"))
            field = _(f"field.{name}")
        print(_(f"changed.{event['type']}", task=event.get("task") or event.get("county"),
                field=field, old=old, new=new, version=event.get("version", "")))


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return str(value.get("value", value.get("outcome", "")))
    return str(value)


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return _("value.yes") if value else _("value.no")
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


# -- what a write did, for --json -------------------------------------------------------
_written: list[dict[str, Any]] = []


def apply(store: Store, *commands: Any) -> Any:
    """``store.apply``, its events kept for ``--json`` (:func:`written_json`)."""
    result = store.apply(*commands)
    _written.extend(result.events)
    return result


def take_written() -> list[dict[str, Any]]:
    events = list(_written)
    _written.clear()
    _previewed.clear()
    return events


_previewed: list[dict[str, Any]] = []


def previewed(events: list[dict[str, Any]]) -> None:
    """What a bulk change would write, unapplied (no --yes): ``would_change`` in
    ``--json``."""
    _previewed.extend(events)


def take_previewed() -> list[dict[str, Any]]:
    return list(_previewed)


_SHOWN_KEYS = ("type", "task", "county", "account", "field", "key", "date", "old", "new",
               "comment", "source")


def change_entry(event: dict[str, Any]) -> dict[str, Any]:
    """What one event changes, for scripts: who, the task or county, the field, old and
    new, and the version it makes."""
    entry = {"user": event.get("user")}
    for key in _SHOWN_KEYS:
        if key in event and not (event["type"] == "put" and key in ("old", "new")):
            entry[key] = event[key]
    if event.get("type") == "put":
        entry["version"] = (event.get("new") or {}).get("version")
    elif "version" in event:
        entry["version"] = event["version"]
    return entry


def written_json(events: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """What a write command did, for scripts: each event (its id ``seq``, what it changed,
    old and new), the new version of each task or county it changed, and the journal's
    head after it. No event: nothing changed (a dry run, the same value again)."""
    changed = []
    versions: dict[str, Any] = {}
    for event in events:
        entry = {"event": event.get("seq"), "at": event.get("ts"), **change_entry(event)}
        changed.append(entry)
        subject = event.get("task") or event.get("county")
        if subject and entry.get("version") is not None:
            versions[subject] = entry["version"]
    last = events[-1] if events else None
    data: dict[str, Any] = {
        "changed": changed,
        "events": [event.get("seq") for event in events],
        "versions": versions,
        "head": {"seq": last["seq"], "hash": last["hash"]} if last else None,
    }
    data.update(extra)
    return data
