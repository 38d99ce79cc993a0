"""`tracker remind` against a real SMTP server (aiosmtpd on 127.0.0.1, started here):
what arrives (From, To, a Chinese subject encoded per RFC 2047, the tasks in the body),
escalation, a second run the same day, a refusing and an unreachable server."""

from __future__ import annotations

import email
import email.policy
import getpass
import json
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.test_cli import run


@dataclass
class Inbox:
    """What the server received; addresses it refuses at RCPT."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(  # type: ignore[arg-type]
            envelope.original_content, policy=email.policy.default))
        return "250 OK"

    def to(self) -> list[str]:
        return sorted(str(m["To"]) for m in self.messages)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def demo(demo_db: Path, tmp_path: Path) -> Path:
    """A copy of the demo (its today: 2019-06-26), with addresses: demo.li, G07 (its
    leader demo.li), G04 (no leader), and the admin (the account running the tests)."""
    path = tmp_path / "demo.json"
    for name in ("demo.json", "demo.json.history"):
        shutil.copy(demo_db.parent / name, tmp_path / name.replace("demo", "demo", 1))
    me = getpass.getuser()
    run(path, "users", "set", "demo.li", "--email", "li@example.org")
    run(path, "users", "set", "G07", "--email", "g07@example.org", "--leader", "demo.li")
    run(path, "users", "set", "G04", "--email", "g04@example.org", "--language", "en")
    run(path, "users", "set", me, "--email", "admin@example.org", "--language", "en")
    return path


def config(tmp_path: Path, port: int, escalate: int = 4) -> dict[str, str]:
    folder = tmp_path / "xdg"
    (folder / "tracker").mkdir(parents=True, exist_ok=True)
    (folder / "tracker" / "config.toml").write_text(
        f'[mail]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        f'from = "跟进提醒 <tracker@example.org>"\nescalate_after_days = {escalate}\n'
        'timeout = 10\n', "utf-8")
    return {"XDG_CONFIG_HOME": str(folder), "TRACKER_SYSTEM_CONFIG": str(tmp_path / "none")}


def queue(path: Path, owner: str) -> list[dict[str, Any]]:
    agenda = json.loads(run(path, "agenda", "--owner", owner, "--days", "0", "--json").stdout)
    return [t for t in agenda["tasks"]]


def test_the_digest_goes_to_each_user_and_group_with_escalation(
        demo: Path, tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    env = config(tmp_path, port)
    dry = json.loads(run(demo, "remind", "--dry-run", "--json", env=env).stdout)
    assert inbox.messages == []  # a dry run sends nothing
    result = run(demo, "remind", env=env)
    assert "not sent" not in result.stderr
    by_to = {str(m["To"]): m for m in inbox.messages}
    assert sorted(by_to) == sorted(d["email"] for d in dry["digests"])
    g07 = by_to["g07@example.org"]
    assert str(g07["From"]) == "跟进提醒 <tracker@example.org>"
    raw = g07.as_bytes().decode("ascii")  # every header 7-bit: the subject RFC 2047-encoded
    subject_line = next(line for line in raw.splitlines() if line.startswith("Subject:"))
    assert "=?utf-8?" in subject_line.lower()
    subject = str(make_header(decode_header(subject_line[len("Subject:"):].strip())))
    assert subject.startswith("跟进提醒 2019-06-26：")
    body = g07.get_content()
    mine = [t["id"] for t in queue(demo, "G07")]
    assert mine and all(task in body for task in mine)
    assert "已逾期" in body
    # English for G04, as set.
    assert by_to["g04@example.org"]["Subject"].startswith("Follow-ups 2019-06-26:")
    # Escalation: G07's tasks overdue by more than 4 days go to its leader, demo.li; G04
    # has no leader, so its go to the admins.
    late = [t["id"] for t in queue(demo, "G07") if t["next_followup"] < "2019-06-22"]
    assert late, "the demo has G07 follow-ups overdue by more than 4 days"
    li = by_to["li@example.org"].get_content()
    assert "上报给您" in li and all(task in li for task in late)
    late_g03 = [t["id"] for t in queue(demo, "G04") if t["next_followup"] < "2019-06-22"]
    assert late_g03, "the demo has G04 follow-ups overdue by more than 4 days"
    admin = by_to["admin@example.org"].get_content()
    assert "escalated to you" in admin and all(t in admin for t in late_g03)
    assert not any(t in li for t in late_g03)
    # A second run the same day sends nothing again; each digest is in the history.
    again = run(demo, "remind", env=env)
    assert len(inbox.messages) == len(by_to)
    assert "Nothing to send for 2019-06-26" in again.stdout
    digests = [e for e in json.loads(run(demo, "history", "--json").stdout)
               if e["type"] == "digest"]
    assert sorted(e["email"] for e in digests) == sorted(by_to)
    assert all(e["sent"] and e["date"] == "2019-06-26" for e in digests)
    assert next(e for e in digests if e["name"] == "G07")["tasks"] == mine
    run(demo, "verify")


def test_a_refused_recipient_is_one_line_and_the_rest_still_go(
        demo: Path, tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    env = config(tmp_path, port)
    inbox.refuse.add("g07@example.org")
    result = run(demo, "remind", env=env, check=1)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "G07 <g07@example.org>: not sent: 550" in lines[0], lines
    assert "g07@example.org" not in inbox.to() and "li@example.org" in inbox.to()
    sent = len(inbox.messages)
    # Recorded as not sent: the next run tries G07 again, and only G07.
    inbox.refuse.clear()
    run(demo, "remind", env=env)
    assert [str(m["To"]) for m in inbox.messages[sent:]] == ["g07@example.org"]


def test_an_unreachable_server_is_one_line_per_recipient(demo: Path, tmp_path: Path) -> None:
    env = config(tmp_path, free_port())  # nothing listens there
    result = run(demo, "remind", env=env, check=1)
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 3 and all(": not sent: " in line for line in lines), lines
    assert all(line.startswith("tracker: ") or line.startswith("remind: ") for line in lines)


def test_remind_needs_the_mail_settings_and_an_admin(demo: Path, tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "empty"),
           "TRACKER_SYSTEM_CONFIG": str(tmp_path / "none")}
    result = run(demo, "remind", env=env, check=2)
    assert "[mail] mail.host is not set" in result.stderr


def test_a_password_file_others_can_read_is_refused(demo: Path, tmp_path: Path,
                                                   smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    env = config(tmp_path, port)
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    path = Path(env["XDG_CONFIG_HOME"]) / "tracker" / "config.toml"
    path.write_text(path.read_text() + f'user = "tracker"\npassword_file = "{secret}"\n')
    result = run(demo, "remind", env=env, check=1)
    assert "readable by nobody else" in result.stderr and inbox.messages == []


def test_an_address_must_be_one_mailbox(demo: Path) -> None:
    result = run(demo, "users", "set", "demo.li", "--email", "li at example", check=2)
    assert "is not an e-mail address" in result.stderr
