"""What the subcommands share: the database they open, dates from options, printing."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.domain.errors import UsageError
from tracker.i18n import _

if TYPE_CHECKING:
    from tracker.domain.state import StateView
    from tracker.storage.store import Store


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


_kept: list[Any] | None = None


def keep_until_exit() -> None:
    """From now on, ``keep`` holds what it is given until the process ends."""
    global _kept
    _kept = []


def keep(*objects: Any) -> None:
    if _kept is not None:
        _kept.extend(objects)


def open_store(args: argparse.Namespace, *, lazy: bool = False) -> Store:
    """The store; ``lazy`` for commands that read or change a few documents, so that
    they need not parse a large database whole."""
    from tracker.storage.store import Store

    path = Path(args.db).expanduser() if getattr(args, "db", None) else default_db_path()
    store = Store(path, lazy=lazy)
    keep(store)  # and with it the state it reads
    return store


def as_of_date(args: argparse.Namespace) -> date | None:
    text = getattr(args, "as_of", None)
    return date_arg("--as-of")(text) if text else None


def date_option(value: str | None, option: str) -> date | None:
    return date_arg(option)(value) if value else None


def open_view(args: argparse.Namespace) -> StateView:
    return open_store(args).view(as_of_date(args))


def refuse_as_of(args: argparse.Namespace) -> None:
    if getattr(args, "as_of", None):
        raise UsageError("cli.as_of_read_only")


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def demo_banner(view: StateView, *, to_stderr: bool = False) -> None:
    if view.demo:
        print(_("demo.banner"), file=sys.stderr if to_stderr else sys.stdout)


def clearable_date(text: str, option: str) -> date | None:
    if text.strip().lower() in ("-", "none"):
        return None
    return date_arg(option)(text)


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
