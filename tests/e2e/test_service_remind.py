"""Issue 16's commands in service mode (`tracker shell NAME`, as sshd runs it).

Everyone runs as the one service account there, so what a command may show or do is
decided by the tracker user the key names: the login notice, completion and the man page
are everyone's; the mail digest (it mails on everyone's behalf) and `config show` (it
names the server's paths and its mail account) are an admin's; and no file on the server
is written by a path (`man -o`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.e2e.test_service_shell import TASK, Service, _staffed, _text


def test_the_digest_is_an_admins(tmp_path: Path) -> None:
    svc = _staffed(tmp_path)
    refused = svc.ssh("eve", "remind --dry-run", check=1)
    assert ("Sending the mail digest needs the admin role; eve's role is editor"
            in refused.stderr.decode())
    out = svc.ssh("ann", "remind --dry-run")
    assert "a dry run: nothing sent or recorded" in _text(out)


def test_config_show_is_an_admins_and_names_the_services_database(tmp_path: Path) -> None:
    svc = _staffed(tmp_path)
    refused = svc.ssh("vic", "config show", check=1)
    said = refused.stderr.decode()
    assert "Showing the server's settings needs the admin role; vic's role is viewer" in said
    assert str(svc.db) not in said
    shown = _text(svc.ssh("ann", "config show"))
    database = next(line for line in shown.splitlines() if line.startswith("database"))
    assert str(svc.db) in database


def test_the_notice_is_everyones_and_silent_when_nothing_is_due(tmp_path: Path) -> None:
    svc = _staffed(tmp_path)
    today = dt.date.today().isoformat()
    svc.local("set", TASK, "--owner", "eve")
    svc.local("followup", TASK, "--kind", "call", "--outcome", "asked for the plan",
              "--next", today)
    line = svc.ssh("eve", "notice").stdout.decode()
    assert line == "1 follow-up due today: tracker agenda\n"
    nothing = svc.ssh("vic", "notice")
    assert nothing.stdout == b"" and nothing.stderr == b""


def test_completion_and_the_man_page_print_but_write_no_file(tmp_path: Path) -> None:
    svc: Service = _staffed(tmp_path)
    assert b"complete" in svc.ssh("vic", "completion bash").stdout
    assert svc.ssh("vic", "man").stdout.startswith(b".TH TRACKER 1")
    target = tmp_path / "tracker.1"
    refused = svc.ssh("vic", f"man -o {target}", check=1)
    assert "over ssh files travel on standard input and output" in refused.stderr.decode()
    assert not target.exists()
