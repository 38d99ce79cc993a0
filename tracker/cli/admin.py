"""Subcommands that run the database: init, demo, verify, doctor, backup, restore, config, users."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from tracker.cli import common
from tracker.cli.common import (
    db_path,
    open_store,
    print_changes,
    print_json,
    read_stdin,
    refuse_as_of,
    service,
)
from tracker.domain.errors import TrackerError, UsageError
from tracker.domain.text import clean_text
from tracker.i18n import _


def cmd_init(args: argparse.Namespace) -> int:
    from tracker.domain.plan import BUILTIN_PLANS, builtin_plan, load_plan

    refuse_as_of(args)
    plan = builtin_plan(args.plan) if args.plan in BUILTIN_PLANS else load_plan(args.plan)
    store = open_store(args)
    store.create(plan, force=args.force)
    print(_("init.done", path=str(store.path), plan=plan.id, tasks=len(plan.counties) *
            len(plan.recommendations)))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from tracker.domain.demo import DEFAULT_TODAY, build_demo, check_today

    refuse_as_of(args)
    today = DEFAULT_TODAY
    if args.today:
        from tracker.domain.dates import parse_date

        today = parse_date(args.today, option="--today", today=DEFAULT_TODAY)
    check_today(today)
    store = open_store(args)
    events = build_demo(store, seed=args.seed, force=args.force, today=today)
    print(_("demo.done", path=str(store.path), events=events))
    print(_("demo.banner_dated", date=today.isoformat()))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    store = open_store(args)
    findings = store.verify(full=args.full)
    checked = store.checked
    # Reported, not failed: a cut-short last command, clocks (since where verify began).
    notes = checked.warnings if checked.warnings is not None else store.warnings(checked.offset)
    if args.json:
        print_json({"ok": not findings,
                     "checked": {"first": checked.first, "last": checked.last,
                                 "since_checkpoint": checked.since, "full": checked.since is None},
                     "findings": [{"key": f.key, "message": _(f.key, **f.params), **f.params}
                                  for f in findings],
                     "warnings": [{"key": f.key, "message": _(f.key, **f.params), **f.params}
                                  for f in notes]})
        return 1 if findings else 0
    for note in notes:
        print(_(note.key, **note.params))
    if findings:
        for finding in findings:
            print(_(finding.key, **finding.params))
        print(_("verify.failed", count=len(findings)))
    else:
        head = store.view().head
        print(_("verify.ok", events=head.get("seq", 0), hash=head.get("hash", "")[:16]))
    if checked.since is not None:
        print(_("verify.since_checkpoint", first=checked.first, last=checked.last,
                checkpoint=checked.since))
    return 1 if findings else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Checks of the files, lock, space, backups and terminal; exit 1 on any error."""
    from tracker.formats.terminal import doctor_json, doctor_lines
    from tracker.storage.doctor import ERROR, run_checks

    path = db_path(args)
    if path.exists():
        open_store(args).check_reader()  # unknown users refused (unknown_users = deny)
    checks = run_checks(path)
    if args.json:
        print_json(doctor_json(path, checks))
    else:
        print("\n".join(doctor_lines(path, checks)))
    return 1 if any(check.level == ERROR for check in checks) else 0


def cmd_backup(args: argparse.Namespace) -> int:
    """``-o -``: the backup goes to standard output (how it leaves a service account)."""
    store = open_store(args)
    if args.output == "-":
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory(prefix="tracker-backup-") as folder:
            target = store.backup(Path(folder) / "backup.json")  # consistent: under the lock
            with open(target, "rb") as copy:
                shutil.copyfileobj(copy, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        _no_attachments(store, sys.stderr)
        return 0
    target = store.backup(Path(args.output) if args.output else None)
    print(_("backup.done", path=clean_text(str(target), single_line=True)))
    _no_attachments(store, sys.stdout)
    return 0


def _no_attachments(store: Any, stream: Any) -> None:
    """A backup is the state alone: said plainly where the database has attachments."""
    if store.attachment_records():
        from tracker.storage.attachments import folder_of

        print(_("backup.no_attachments",
                folder=clean_text(str(folder_of(store.path)), single_line=True)), file=stream)


def cmd_restore(args: argparse.Namespace) -> int:
    """``-``: the backup comes on standard input (an admin over ssh, in service mode)."""
    refuse_as_of(args)
    store = open_store(args)
    if args.file == "-":
        import tempfile

        with tempfile.TemporaryDirectory(prefix="tracker-restore-") as folder:
            source = Path(folder) / "stdin.json"
            data = read_stdin()
            source.write_bytes(data)
            # The checksum beside a backup guards a file in a folder others can write;
            # a stream from an authenticated admin has none to check against. Its
            # documents are still validated against the schema and the plan.
            import hashlib

            Path(folder, "stdin.json.sha256").write_text(
                f"{hashlib.sha256(data).hexdigest()}  stdin.json\n")
            result = store.restore(source)
    else:
        result = store.restore(Path(args.file))
    common._written.extend(result.events)
    print(_("restore.done", file=clean_text(args.file, single_line=True),
            events=len(result.events)))
    _no_attachments(store, sys.stdout)
    return 0


def cmd_repair(args: argparse.Namespace) -> int:
    """Cut a damaged journal tail (a copy goes to the backups folder) and rebuild the
    state if it needs it; says what was dropped."""
    from tracker.storage.files import shown_path

    refuse_as_of(args)
    store = open_store(args)
    done = store.repair()
    if done.copy is None and not done.lines:
        print(_("repair.nothing", path=shown_path(store.path)))
    elif done.copy is None:
        print(_("repair.state", path=shown_path(store.path)))
    else:
        print(_("repair.done", lines=done.lines, size=done.size, copy=shown_path(done.copy)))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from tracker.domain.commands import SETTINGS, SetSetting, setting_value

    if args.key == "show" and args.value is None:
        return _config_show(args)
    store = open_store(args)
    if args.key is None or args.value is None:
        settings = store.view().meta["settings"]
        for key in SETTINGS:
            if args.key in (None, key):
                print(f"{key} = {setting_value(settings, key)}")
        if args.key is not None and args.key not in SETTINGS:
            raise UsageError("setting.unknown", key=args.key, known=", ".join(SETTINGS))
        return 0
    refuse_as_of(args)
    print_changes(common.apply(store, SetSetting(args.key, args.value)).events)
    return 0


def _config_show(args: argparse.Namespace) -> int:
    """Every effective setting and where it came from: the config files, the
    environment, a flag, the default; then the database's own settings."""
    from tracker.cli.common import config
    from tracker.domain.commands import SETTINGS, setting_value
    from tracker.domain.roles import ADMIN, require

    settings = config()
    if service() is not None:
        # The files name the server's paths and its mail account: an admin's view.
        require(open_store(args).access(), ADMIN, "role.action.config_show")
    rows: list[tuple[str, Any, str]] = []
    for key, value in settings.values.items():
        source = _source_text(settings.sources[key])
        if key == "database" and (value is None or service() is not None):
            value = str(db_path(args))
        rows.append((key, value, source))
    try:
        stored = open_store(args).view().meta["settings"]
    except TrackerError:
        stored = None
    if stored is not None:
        for key in SETTINGS:
            rows.append((key, setting_value(stored, key),
                         _("config.source.database") if key in stored
                         else _("config.source.default")))
    if getattr(args, "json", False):
        print_json([{"key": k, "value": v, "source": src} for k, v, src in rows])
        return 0
    width = max(len(k) for k, _v, _s in rows)
    for key, value, source in rows:
        shown = "-" if value is None else (str(value).lower() if isinstance(value, bool)
                                           else str(value))
        print(f"{key:<{width}} = {clean_text(shown, single_line=True)}   ({source})")
    return 0


def _source_text(source: str) -> str:
    if source == "default":
        return _("config.source.default")
    if source.startswith("env "):
        return _("config.source.env", name=source[4:])
    if source.startswith("flag "):
        return _("config.source.flag", name=source[5:])
    return _("config.source.file", path=source)


def cmd_users(args: argparse.Namespace) -> int:
    """`tracker users list|add|set|remove|keys`: everyone may list; admins change.
    ``--key FILE|-`` gives the user an SSH key in the service account's authorized_keys
    (service mode); ``keys`` lists those keys."""
    from tracker.domain.commands import AddUser, Command, RemoveUser, SetUser
    from tracker.domain.roles import ADMIN, require, users_of

    store = open_store(args)
    if args.users_command == "list":
        view = store.view()
        if args.json:
            from tracker.formats.terminal import users_json

            print_json(users_json(view, store.user))
            return 0
        from tracker.formats.terminal import render_users

        render_users(view, store.user)
        return 0
    refuse_as_of(args)
    # Said before the arguments are looked into; the store checks again under the lock.
    require(store.access(), ADMIN, "role.action.users")
    if args.users_command == "keys":
        return _list_keys(args)
    contact = _contact(args) if args.users_command == "set" else None
    if contact is not None and contact.name.upper() == contact.name and \
            _is_group(args.account):
        # A survey group has no role, limits or key: only its address and leader.
        if args.role or args.prefecture or args.group or args.key or args.unlimited:
            raise UsageError("contact.group_only_mail", name=args.account)
        for event in common.apply(store, contact).events:
            print(_contact_change(event))
        return 0
    key = _read_key(args.key) if getattr(args, "key", None) else None
    command: Command | None = None
    if getattr(args, "role", None) is not None:  # a role's name in either language
        from tracker.domain.queries import parse_word
        from tracker.domain.roles import ROLES

        with contextlib.suppress(UsageError):  # else the command says what roles there are
            args.role = parse_word("role", args.role, ROLES)
    if args.users_command == "remove":
        # Unlisted first (a refusal, such as removing the last admin, changes nothing),
        # then the keys; the keys of a name no longer listed can still be removed.
        if args.account in users_of(store.view().meta) or not _has_keys(args.account):
            command = RemoveUser(args.account)
    else:
        view = store.view()
        prefectures = (None if args.prefecture is None else
                       tuple(view.plan.find_prefecture(p).code for p in args.prefecture))
        groups = None if args.group is None else tuple(args.group)
        if args.users_command == "add":
            # A service-mode user is known by a key, not by an account of this server.
            name = (_service_name(args.account) if key or service() else
                    _os_account(args.account))
            command = AddUser(name, args.role, prefectures or (), groups or ())
        else:
            if args.unlimited:
                if prefectures or groups:
                    raise UsageError("users.limits_conflict")
                prefectures = groups = ()
            if args.role is None and prefectures is None and groups is None and key is None \
                    and contact is None:
                raise UsageError("users.nothing")
            if key is not None and args.account not in users_of(view.meta):
                raise UsageError("keys.not_a_user", name=clean_text(args.account,
                                                                     single_line=True))
            if args.role is not None or prefectures is not None or groups is not None:
                command = SetUser(args.account, args.role, prefectures, groups)
    if key is not None:
        _check_new_key(key)  # before anything is recorded
    if command is not None:
        for event in common.apply(store, command).events:
            print(_user_change(event))
    if contact is not None:
        for event in common.apply(store, contact).events:
            print(_contact_change(event))
    if key is not None:
        _add_key(args.account, key, store.path)
    if args.users_command == "remove":
        _remove_keys(args.account)
    return 0


def _is_group(name: str) -> bool:
    from tracker.domain.queries import is_survey_group

    return is_survey_group(name.strip())


def _contact(args: argparse.Namespace) -> Any:
    """`users set NAME --email ADDR --language zh|en --leader USER`: a SetContact, or None."""
    from tracker.domain.commands import SetContact

    email, language, leader = (getattr(args, name, None)
                               for name in ("email", "language", "leader"))
    if email is None and language is None and leader is None:
        if _is_group(args.account):
            raise UsageError("contact.group_only_mail", name=args.account)
        return None
    name = args.account.strip().upper() if _is_group(args.account) else args.account
    return SetContact(name, email, language, leader)


def _contact_change(event: dict[str, Any]) -> str:
    new = event.get("new") or {}
    return _("contact.changed", name=event["name"], email=new.get("email", "-"),
             language=new.get("language", "zh"), leader=new.get("leader", "-"))


def _keys_path() -> Path:
    from tracker.storage.keys import default_keys_path

    return default_keys_path()


def _service_name(name: str) -> str:
    from tracker.storage.keys import check_name

    return check_name(name)


def _read_key(source: str) -> tuple[str, str, str]:
    """The public key in FILE, or on standard input for ``-``."""
    from tracker.storage.keys import MAX_KEY_BYTES, parse_public_key

    if source == "-":
        data = read_stdin(MAX_KEY_BYTES + 1)
        shown = "-"
    else:
        try:
            with open(source, "rb") as handle:
                data = handle.read(MAX_KEY_BYTES + 1)
        except OSError as error:
            raise UsageError("keys.unreadable_file", path=clean_text(source, single_line=True),
                             reason=error.strerror or str(error)) from None
        shown = clean_text(source, single_line=True)
    if len(data) > MAX_KEY_BYTES:
        raise UsageError("keys.too_large", source=shown, limit=MAX_KEY_BYTES)
    return parse_public_key(data.decode("utf-8", errors="replace"), shown)


def _check_new_key(key: tuple[str, str, str]) -> None:
    from tracker.storage.keys import file_lines, list_keys, read_text

    path = _keys_path()
    for number, line in enumerate(file_lines(read_text(path)), start=1):
        if key[1] in line.split():
            holders = [k.user for k in list_keys(path) if k.number == number]
            raise UsageError("keys.duplicate", fingerprint=_fingerprint(key),
                             user=holders[0] if holders else "-", line=number)


def _fingerprint(key: tuple[str, str, str]) -> str:
    from tracker.storage.keys import fingerprint

    return fingerprint(f"{key[0]} {key[1]}")


def _add_key(user: str, key: tuple[str, str, str], db: Path) -> None:
    from tracker.cli.shell import service_db
    from tracker.storage.keys import add_key, forced_command

    # The forced command names the database unless it is the service account's default.
    named = None if db.absolute() == service_db() else db.absolute()
    path = _keys_path()
    line = add_key(path, user, forced_command(_tracker_program(), user, named), key)
    print(_("keys.added", user=user, fingerprint=line.fingerprint, path=str(path)))


def _has_keys(user: str) -> bool:
    from tracker.storage.keys import list_keys

    return any(line.user == user for line in list_keys(_keys_path()))


def _remove_keys(user: str) -> list[Any]:
    from tracker.storage.keys import remove_keys

    path = _keys_path()
    removed = remove_keys(path, user)
    for line in removed:
        print(_("keys.removed", user=user, fingerprint=line.fingerprint, path=str(path)))
    return removed


def _list_keys(args: argparse.Namespace) -> int:
    from tracker.storage.keys import list_keys

    path = _keys_path()
    lines = list_keys(path)
    if args.json:
        print_json([{"user": k.user, "type": k.key_type, "fingerprint": k.fingerprint,
                     "comment": k.comment, "line": k.number} for k in lines])
        return 0
    if not lines:
        print(_("keys.none", path=str(path)))
    for k in lines:
        print(_("keys.line", user=k.user, type=k.key_type, fingerprint=k.fingerprint,
                comment=clean_text(k.comment, single_line=True), line=k.number))
    return 0


def _tracker_program() -> str:
    """The `tracker` program for the forced command, by absolute path (sshd's PATH is
    not the admin's): the one running now if it is the script, else the first on PATH."""
    running = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if running is not None and running.name == "tracker" and running.exists():
        return str(running.absolute())
    import shutil

    found = shutil.which("tracker")
    return str(Path(found).absolute()) if found else "tracker"


def _os_account(name: str) -> str:
    """Users are OS accounts: one that this server does not have is a typing mistake."""
    import pwd

    try:
        pwd.getpwnam(name.strip())
    except (KeyError, ValueError):  # ValueError: a NUL in the name
        raise UsageError("users.no_account", name=clean_text(name, single_line=True)) from None
    return name.strip()


def _user_change(event: dict[str, Any]) -> str:
    from tracker.formats.terminal import describe_user

    old, new = event.get("old"), event.get("new")
    if old is None:
        return _("changed.user.added", account=event["account"], new=describe_user(new))
    if new is None:
        return _("changed.user.removed", account=event["account"], old=describe_user(old))
    return _("changed.user.changed", account=event["account"], old=describe_user(old),
             new=describe_user(new))
