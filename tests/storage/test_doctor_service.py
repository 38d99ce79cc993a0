"""`tracker doctor` in service mode: the account running it has authorized_keys lines
that force `tracker shell`; then the files must be its alone (owner, 0700/0600), every
key line forced with restrict, and nobody else in its group."""

from __future__ import annotations

import grp
import json
import os
import pwd
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tracker.domain.plan import builtin_plan
from tracker.storage import doctor
from tracker.storage.store import Store

from .storage_helpers import TRACKER, cli_env

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL0hv83EXDJBTYPB5YzEr8BAjLAZLlGzJJ2aw26C84Y+"


def _private(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)


@pytest.fixture
def service(tmp_path: Path) -> tuple[Path, Path]:
    """A database and an authorized_keys as `tracker users add --key` leaves them."""
    db = tmp_path / "data" / "tracker.json"
    Store(db).create(builtin_plan())
    keys = tmp_path / "ssh" / "authorized_keys"
    keys.parent.mkdir()
    keys.write_text(f'command="{TRACKER} --db {db} shell ann",restrict,pty {KEY} ann\n')
    _private(tmp_path)
    return db, keys


def doctor_json(db: Path, keys: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    env = {**cli_env(), "TRACKER_AUTHORIZED_KEYS": str(keys), "TERM": "xterm"}
    result = subprocess.run([TRACKER, "--db", str(db), "doctor", "--json"],
                            capture_output=True, text=True, env=env, timeout=60, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    checks = json.loads(result.stdout)["checks"]
    return result.returncode, {c["check"]: c for c in checks if c["check"].startswith(
        "service")} | {"directory": next(c for c in checks if c["check"] == "directory")}


def test_a_sound_service_setup_is_all_ok(service: tuple[Path, Path]) -> None:
    code, checks = doctor_json(*service)
    assert code == 0
    assert {name: c["level"] for name, c in checks.items()} == {
        "service-owner": "ok", "service-modes": "ok", "service-keys": "ok",
        "service-group": "ok", "directory": "ok"}
    assert checks["directory"]["key"] == "doctor.service.dir_ok"  # not "share it"


def test_a_key_line_without_a_forced_command_or_restrict_is_an_error(
        service: tuple[Path, Path]) -> None:
    db, keys = service
    for line in (f"{KEY} admin@desk", f'command="/bin/true" {KEY}',
                 f'restrict,command="ls" {KEY}'):
        keys.write_text(keys.read_text().splitlines()[0] + "\n# a comment\n\n" + line + "\n")
        code, checks = doctor_json(db, keys)
        if "restrict" in line and "command" in line:
            assert code == 0 and checks["service-keys"]["level"] == "ok", line
            continue
        assert code == 1, line
        assert checks["service-keys"]["level"] == "error"
        assert "line 4 of" in checks["service-keys"]["message"]


def test_a_folder_others_may_enter_is_an_error_a_loose_file_a_warning(
        service: tuple[Path, Path]) -> None:
    db, keys = service
    db.chmod(0o640)
    code, checks = doctor_json(db, keys)
    assert code == 0 and checks["service-modes"]["level"] == "warning"
    assert str(db) in checks["service-modes"]["message"]
    db.parent.chmod(0o750)
    code, checks = doctor_json(db, keys)
    assert code == 1 and checks["service-modes"]["level"] == "error"
    assert "0750" in checks["service-modes"]["message"]


def test_a_file_of_another_account_is_an_error(service: tuple[Path, Path]) -> None:
    if os.geteuid() != 0:
        pytest.skip("chown needs root")
    db, keys = service
    nobody = pwd.getpwnam("nobody")
    os.chown(db.with_name(db.name + ".history"), nobody.pw_uid, nobody.pw_gid)
    code, checks = doctor_json(db, keys)
    assert code == 1 and checks["service-owner"]["level"] == "error"
    assert "belongs to nobody" in checks["service-owner"]["message"]


def test_another_account_in_the_services_group_is_a_warning(
        service: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    db, keys = service
    gid = pwd.getpwuid(os.geteuid()).pw_gid
    real = grp.getgrgid

    def with_a_member(number: int) -> Any:
        entry = real(number)
        if number != gid:
            return entry
        return grp.struct_group((entry.gr_name, entry.gr_passwd, entry.gr_gid,
                                 [*entry.gr_mem, "colleague"]))

    monkeypatch.setattr(doctor.grp, "getgrgid", with_a_member)
    check = doctor.service_group(db, keys)
    assert check.level == doctor.WARNING and "colleague" in check.params["accounts"]
    monkeypatch.setattr(doctor.grp, "getgrgid", real)
    assert doctor.service_group(db, keys).level == doctor.OK


def test_without_tracker_keys_there_are_no_service_checks(
        service: tuple[Path, Path]) -> None:
    db, keys = service
    keys.write_text(f"{KEY} someone@desk\n")
    _code, checks = doctor_json(db, keys)
    assert set(checks) == {"directory"}
    assert checks["directory"]["key"] == "doctor.dir.not_shared"
