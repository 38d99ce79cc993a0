"""`tracker shell NAME`: the forced command of service mode (docs/deploy.md).

The database belongs to one service account (0700/0600) and people reach it only through
sshd, as gitolite serves many people from one account: each person's keys are lines of
the account's ``authorized_keys`` that force ``tracker shell NAME`` (storage.keys). sshd
has checked the key; NAME is who that key belongs to, and is the actor of every event and
every role check: never the process's account, never an environment variable.

What the person asked for is in ``SSH_ORIGINAL_COMMAND``. None: the app opens (``ssh -t``
gives it a terminal). Otherwise it is split as a shell would split words (shlex), without
a shell, and run only if it is a tracker command line, with or without the leading word
``tracker``, of a subcommand in :data:`ALLOWED`, that names no file on the server: files
cross by standard streams (``export -o -``, ``backup -o -``, ``import -``, ``users add
--key -``), so that nobody can make the service account read or write a path for them.
Anything else (``bash``, ``scp``, ``sftp``, ``tracker shell other``, ``--db``, ``-o
PATH``) is refused in one line, exit 1 (2 for a line that does not even parse).
"""

from __future__ import annotations

import argparse
import os
import shlex
import stat
from pathlib import Path
from typing import Any

from tracker import runtime
from tracker.cli import common
from tracker.domain.errors import TrackerError, UsageError
from tracker.domain.text import clean_text

# What a person may run over ssh, and the options of each that name no file (by their
# argparse dest). Not: init and demo (they create or replace the database), merge (its
# inputs are files on the server), shell (another person). An option that is in neither
# this list nor _PATHS (one added later) is refused over ssh until it is put in one:
# test_service_shell checks that every option of the parser is.
# The list filters that select the tasks of a bulk `set` or `followup`, and its --yes.
BULK = ("prefecture", "county", "rec", "where_status", "where_owner", "overdue", "stale",
        "due_before", "due_after", "next_before", "next_after", "yes")
SAFE: dict[str, frozenset[str]] = {
    "list": frozenset({"prefecture", "county", "rec", "status", "owner", "overdue", "stale",
                       "due_before", "due_after", "next_before", "next_after"}),
    "agenda": frozenset({"group", "owner", "prefecture", "rec", "days"}),
    "show": frozenset({"task"}),
    "county": frozenset({"county"}),
    "set": frozenset({"task", "status", "owner", "due", "next", "cadence", "priority",
                      "comment", "expect_version", *BULK}),
    "note": frozenset({"task", "text"}),
    "followup": frozenset({"task", "kind", "outcome", "next", "date", *BULK}),
    # attach: only "-" (the file comes on standard input; a path on the server is
    # refused, see _PATHS), so that nobody makes the service read a file of its own.
    "attach": frozenset({"task", "name", "note"}),
    "attachment": frozenset({"attachment_command", "sha256", "force"}),
    "measure": frozenset({"county", "key", "value", "date", "source"}),
    "import": frozenset({"dry_run"}),
    "report": frozenset(),
    "history": frozenset({"task", "user", "since"}),
    "verify": frozenset({"full"}),
    "search": frozenset({"text", "task", "user", "since"}),
    "undo": frozenset({"event"}),
    "repair": frozenset(),
    "doctor": frozenset(),
    "backup": frozenset(),
    "restore": frozenset(),
    "export": frozenset({"format", "prefecture", "rec", "table", "details", "since",
                         "county", "force"}),
    "diff": frozenset({"since"}),
    "open": frozenset({"target"}),
    "config": frozenset({"key", "value"}),
    "users": frozenset({"users_command", "account", "role", "prefecture", "group",
                        "unlimited", "email", "language", "leader"}),
    # Issue 16. notice: everyone's (the forced command's banner); completion and man print
    # what the parser knows. remind mails on everyone's behalf: an admin's, checked by
    # its role (the timer runs it as the service account); `config show` likewise shows
    # the server's paths and mail account to admins only (tracker.cli.admin).
    "notice": frozenset(),
    "remind": frozenset({"dry_run"}),
    "completion": frozenset({"shell", "words"}),
    "man": frozenset(),
}
ALLOWED = frozenset(SAFE)
# Every command's own: what the parser sets, and the global options (--db is refused).
COMMON = frozenset({"handler", "command", "json", "lang", "as_of", "db", "ascii", "write"})
STREAM = "-"

# Options and arguments that name a file: (command, dest, as the user wrote it, whether
# "-" (a standard stream) is accepted).
_PATHS: tuple[tuple[str, str, str, bool], ...] = (
    ("export", "output", "-o", True),
    ("backup", "output", "-o", True),
    ("import", "file", "import", True),
    ("import", "template", "--template", False),
    ("import", "per_county", "--per-county", False),
    ("restore", "file", "restore", True),
    ("diff", "snapshots", "diff", False),
    ("users", "key", "--key", True),
    ("attach", "file", "attach", True),
    ("attachment", "output", "-o", True),
    ("man", "output", "-o", True),
)


def cmd_shell(args: argparse.Namespace) -> int:
    """Run what ``SSH_ORIGINAL_COMMAND`` asks for as ``args.name`` (see the module)."""
    from tracker.storage.keys import check_name

    name = check_name(args.name)
    # Whatever sshd or the account's profile left: what the service creates (the
    # database's files, the temp files of streams) is its alone.
    os.umask(0o077)
    db = Path(args.db).expanduser().absolute() if getattr(args, "db", None) else \
        service_db()
    _check_service_files(db)
    argv = requested_argv(os.environ.get("SSH_ORIGINAL_COMMAND"))
    inner = parse_request(argv)
    if isinstance(inner, int):
        return inner  # help was printed (0), or a usage error (2)
    check_request(inner)
    from tracker.storage.config import service_config

    settings = service_config(service_home())
    if getattr(inner, "ascii", False):
        settings.values["ascii"], settings.sources["ascii"] = True, "flag --ascii"
    common.set_config(settings)
    common.take_flags(inner)
    with common.serving(name, db), runtime.command_scope(opens_app=inner.command == "open"):
        return int(inner.handler(inner))


def service_home() -> Path:
    import pwd

    return Path(pwd.getpwuid(os.geteuid()).pw_dir)


def service_db() -> Path:
    """The service account's database: ``database`` of /etc/tracker/config.toml or of the
    account's own config file, else its default, from its password-database home (not
    ``$HOME``, ``XDG_CONFIG_HOME``, ``XDG_DATA_HOME`` or ``TRACKER_DB``: the environment
    is not consulted)."""
    from tracker.storage.config import service_config

    home = service_home()
    configured = service_config(home).get("database")
    if configured:
        return Path(configured).absolute()
    return home / ".local" / "share" / "tracker" / "tracker.json"


def _check_service_files(db: Path) -> None:
    """Service mode means the files are this account's alone: a folder that its group or
    others may enter is a group-shared database, where `tracker shell NAME` would let any
    member act as anyone. Refused."""
    folder = db.parent
    try:
        st = folder.stat()
    except OSError as error:
        raise TrackerError("shell.no_database", path=str(folder),
                           reason=error.strerror or str(error)) from None
    if st.st_uid != os.geteuid() or stat.S_IMODE(st.st_mode) & 0o077:
        raise TrackerError("shell.not_service", path=str(folder),
                           mode=f"{stat.S_IMODE(st.st_mode):04o}")


def requested_argv(original: str | None) -> list[str]:
    """The tracker arguments asked for: [] (the app) when nothing was asked."""
    if original is None or not original.strip():
        return []
    try:
        words = shlex.split(original)
    except ValueError:
        raise UsageError("shell.unparsable") from None
    if words and words[0] == "tracker":
        words = words[1:]
    return words


def parse_request(argv: list[str]) -> argparse.Namespace | int:
    """The parsed request; an exit code if argparse ended it (help, a usage error)."""
    from tracker.cli.parser import (
        _join_negative_offsets,
        _pre_language,
        build_parser,
        command_name,
        handler,
    )
    from tracker.i18n import set_language

    argv = _join_negative_offsets(argv)
    name = command_name(argv)
    if name and name not in ALLOWED:
        # Refused before argparse sees it: `bash`, `scp -t .`, `shell other`...
        raise TrackerError("shell.not_allowed", command=clean_text(name, single_line=True))
    set_language(_pre_language(argv))
    try:
        inner = build_parser(name).parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if not getattr(inner, "handler", None):
        inner.handler = handler("open")
        inner.target = None
        inner.command = "open"
    return inner


def check_request(args: argparse.Namespace) -> None:
    """Refuse what would make the service account touch a path named by the user."""
    if getattr(args, "db", None):
        raise TrackerError("shell.db_refused")
    command = getattr(args, "command", None) or "open"
    if command not in ALLOWED:
        raise TrackerError("shell.not_allowed", command=clean_text(command, single_line=True))
    paths = {dest for name, dest, _shown, _ok in _PATHS if name == command}
    for dest, value in vars(args).items():
        if dest in COMMON or dest in SAFE[command] or dest in paths or not _given(value):
            continue
        raise TrackerError("shell.option_refused", option="--" + dest.replace("_", "-"))
    for name, attribute, shown, stream_ok in _PATHS:
        if command != name:
            continue
        given: Any = getattr(args, attribute, argparse.SUPPRESS)
        if given is argparse.SUPPRESS or given is None or given == []:
            continue  # not an option of this version, or not given
        if stream_ok and given in (STREAM, [STREAM]):
            continue
        named = " ".join(given) if isinstance(given, list) else str(given)
        raise TrackerError("shell.path_refused", option=shown,
                           path=clean_text(named, single_line=True))


def _given(value: Any) -> bool:
    """Whether an option was given (argparse's defaults here are None, False or [])."""
    return not (value is None or value is False or value == [])
