"""Helpers of the storage tests (a module of its own, not conftest, so tests import it)."""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from tracker.domain.plan import builtin_plan
from tracker.locales.core import EN

TRACKER = str(Path(sys.executable).parent / "tracker")
WORKERS = Path(__file__).with_name("workers.py")

RunTracker = Callable[..., subprocess.CompletedProcess[str]]
# The account the `unprivileged` prefix runs as (when we are root). Tests that check what
# the files let it do make it an editor first: otherwise its role refuses the edit
# before the files are touched.
OTHER_ACCOUNT = "nobody"


def cli_env() -> dict[str, str]:
    """The environment of a CLI run: English messages, no database from the caller's env."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "TRACKER_DB")}
    env["LANG"] = "C.UTF-8"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def task_ids(count: int) -> list[str]:
    """The first ``count`` task ids of the built-in plan, in database order."""
    plan = builtin_plan()
    return [f"{county.code}-{rec.id}" for county in plan.counties
            for rec in plan.recommendations][:count]


def catalog_fragments(key: str) -> list[str]:
    """The fixed text of English message ``key``: what lies between its ``{params}``."""
    return [part for part in re.split(r"\{[^}]*\}", EN[key]) if part.strip()]


def permission_bits_bind_us(probe_dir: Path) -> bool:
    """Whether this process is refused a chmod 000 file (root is not)."""
    probe = probe_dir / ".probe-000"
    probe.write_bytes(b"x")
    probe.chmod(0)
    try:
        with probe.open("rb"):
            return False
    except PermissionError:
        return True
    finally:
        probe.unlink()


def unprivileged_prefix(probe_dir: Path) -> list[str] | None:
    """Command prefix that runs a program as an account that file permissions bind:
    nothing if they bind us already; else setpriv or runuser to `nobody`; None if
    neither tool (or no `nobody` account) is available."""
    if permission_bits_bind_us(probe_dir):
        return []
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return None
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    return None


def hand_over(path: Path, prefix: list[str]) -> None:
    """Make ``path`` belong to the account ``prefix`` runs as (if that is not us)."""
    if prefix:
        nobody = pwd.getpwnam("nobody")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (e.g. "2m") mounted on a new folder under ``where`` for the
    ``with`` body: a filesystem that can fill up or be remounted read-only. Skips (with
    the reason) where this process cannot mount: that needs root or CAP_SYS_ADMIN."""
    import pytest

    point = where / "mnt"
    point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755",
                              "tmpfs", str(point)], capture_output=True, text=True,
                             check=False) if shutil.which("mount") else None
    if mounted is None or mounted.returncode != 0:
        reason = mounted.stderr.strip() if mounted else "no mount command"
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {reason}")
    try:
        yield point
    finally:
        if subprocess.run(["umount", str(point)], capture_output=True,
                          check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def remount(point: Path, option: str) -> None:
    """Remount a tmpfs from :func:`tmpfs` with ``option`` ("ro" or "rw")."""
    subprocess.run(["mount", "-o", f"remount,{option}", str(point)], check=True,
                   capture_output=True)


def fill(point: Path, leave: int = 0) -> Path:
    """Fill the filesystem at ``point`` until at most ``leave`` bytes are free."""
    filler = point / "filler"
    with filler.open("wb") as handle:
        while True:
            vfs = os.statvfs(point)
            free = vfs.f_bavail * vfs.f_frsize
            if free <= leave:
                break
            try:
                handle.write(b"\0" * min(free - leave, 1 << 20))
                handle.flush()
            except OSError:
                break
    return filler
