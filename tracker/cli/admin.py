"""Subcommands that run the database: init, demo, verify, doctor, backup, restore, config, users."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tracker.cli.common import (
    default_db_path,
    open_store,
    print_changes,
    print_json,
    refuse_as_of,
)
from tracker.domain.errors import UsageError
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
    from tracker.domain.demo import build_demo

    refuse_as_of(args)
    store = open_store(args)
    events = build_demo(store, seed=args.seed, force=args.force)
    print(_("demo.done", path=str(store.path), events=events))
    print(_("demo.banner"))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    store = open_store(args)
    findings = store.verify()
    notes = store.warnings()  # reported, not failed: a cut-short last command, clocks
    if args.json:
        print_json({"ok": not findings,
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
    return 1 if findings else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Checks of the files, lock, space, backups and terminal; exit 1 on any error."""
    from tracker.formats.terminal import doctor_json, doctor_lines
    from tracker.storage.doctor import ERROR, run_checks

    path = Path(args.db).expanduser() if getattr(args, "db", None) else default_db_path()
    if path.exists():
        open_store(args).check_reader()  # unknown users refused (unknown_users = deny)
    checks = run_checks(path)
    if args.json:
        print_json(doctor_json(path, checks))
    else:
        print("\n".join(doctor_lines(path, checks)))
    return 1 if any(check.level == ERROR for check in checks) else 0


def cmd_backup(args: argparse.Namespace) -> int:
    store = open_store(args)
    target = store.backup(Path(args.output) if args.output else None)
    print(_("backup.done", path=clean_text(str(target), single_line=True)))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    refuse_as_of(args)
    store = open_store(args)
    result = store.restore(Path(args.file))
    print(_("restore.done", file=clean_text(args.file, single_line=True),
            events=len(result.events)))
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
    print_changes(store.apply(SetSetting(args.key, args.value)).events)
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    """`tracker users list|add|set|remove`: everyone may list; admins change."""
    from tracker.domain.commands import AddUser, RemoveUser, SetUser
    from tracker.domain.roles import ADMIN, require

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
    command: Any
    if args.users_command == "remove":
        command = RemoveUser(args.account)
    else:
        view = store.view()
        prefectures = (None if args.prefecture is None else
                       tuple(view.plan.find_prefecture(p).code for p in args.prefecture))
        groups = None if args.group is None else tuple(args.group)
        if args.users_command == "add":
            command = AddUser(_os_account(args.account), args.role, prefectures or (),
                              groups or ())
        else:
            if args.unlimited:
                if prefectures or groups:
                    raise UsageError("users.limits_conflict")
                prefectures = groups = ()
            if args.role is None and prefectures is None and groups is None:
                raise UsageError("users.nothing")
            command = SetUser(args.account, args.role, prefectures, groups)
    for event in store.apply(command).events:
        print(_user_change(event))
    return 0


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
