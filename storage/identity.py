"""Who is acting: the OS account running the process, never a name typed by the user."""

from __future__ import annotations

import grp
import os
import pwd


def current_user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # an account with no passwd entry (some containers)
        return f"uid{os.geteuid()}"


def unix_groups() -> list[str]:
    """The names of the Unix groups this process is in (a group without a name on this
    server is left out)."""
    names = []
    for gid in os.getgroups():
        try:
            names.append(grp.getgrgid(gid).gr_name)
        except KeyError:
            continue
    return names


def account_exists(name: str) -> bool:
    """Whether this server has an account ``name`` (a task's owner may be one); the
    current account always counts, even one without a passwd entry (some containers)."""
    if name == current_user():
        return True
    try:
        pwd.getpwnam(name)
    except (KeyError, ValueError):  # ValueError: a NUL in the name
        return False
    return True
