"""Service mode end to end, through a real sshd (docs/deploy.md, docs/security.md).

The test starts its own sshd on 127.0.0.1 (a free port, its own host key and config in
a temporary folder), makes a temporary service account that owns a 0700 database and
a temporary staff account, gives two people keys with `tracker users add --key`, and
checks what the deployment promises: each key acts as its user; a shell, scp or a path
on the server is refused; a viewer cannot write; backups and exports come back on
standard output; the staff account cannot read, let alone forge, a byte of the files;
and an app session over `ssh -tt` sees the other person's save live.

Needs root (useradd, sshd), openssh-server and tmux (`.ci/run` installs them); slow
(seconds, not minutes: each ssh is a Python start on the server side).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import TMUX, Tmux, wait_until
from tracker.i18n import translate

TRACKER = str(Path(sys.executable).parent / "tracker")
SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
TASK = "211421-2.5"
TASK_TITLE = f"{TASK}  Huludao / Suizhong County"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (useradd, sshd)"),
    pytest.mark.skipif(SSHD is None, reason="openssh-server is not installed"),
    pytest.mark.skipif(shutil.which("ssh") is None or shutil.which("useradd") is None,
                       reason="needs ssh and useradd"),
]


def _run(*argv: str, check: bool = True, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=60,
                          **kwargs)  # type: ignore[call-overload]


def match_block(account: str) -> str:
    """The sshd `Match User tracker` block of docs/deploy.md, for ``account``."""
    text = (Path(__file__).parents[2] / "docs" / "deploy.md").read_text(encoding="utf-8")
    start = text.index("\nMatch User tracker\n") + 1
    block = text[start:text.index("```", start)]
    assert "PermitTTY yes" in block and "AcceptEnv LANG LC_*" in block
    return block.replace("Match User tracker", f"Match User {account}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _account(name: str, home: Path) -> None:
    _run("useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/sh",
         "--user-group", name)
    # useradd leaves the password locked ("!"), and sshd refuses a locked account even for
    # keys; "*" means no password can ever work, without locking the account.
    _run("usermod", "-p", "*", name)


class Server:
    """The sshd, the service account and the keys of the people it serves."""

    def __init__(self, base: Path) -> None:
        tag = uuid.uuid4().hex[:6]
        self.base = base
        self.account = f"trksvc{tag}"
        self.staff = f"trkstaff{tag}"
        self.home = base / "service"
        self.port = _free_port()
        self.sshd: subprocess.Popen[bytes] | None = None
        self.log = base / "sshd.log"
        self.tracker = TRACKER

    # -- as the service account, on the server --------------------------------------------
    def as_service(self, *args: str, stdin: str | None = None,
                   check: int | None = 0) -> subprocess.CompletedProcess[str]:
        """`tracker ARGS` run by the service account (umask 077, its own environment)."""
        line = "umask 077; exec " + shlex.join([self.tracker, *args])
        result = subprocess.run(
            ["runuser", "-u", self.account, "--", "env", "-i", f"HOME={self.home}",
             "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "COLUMNS=120", "sh", "-c",
             line], input=stdin, capture_output=True, text=True, timeout=60)
        assert "Traceback" not in result.stderr, result.stderr
        if check is not None:
            assert result.returncode == check, (result.stdout, result.stderr)
        return result

    def _runs(self, program: str) -> bool:
        return subprocess.run(["runuser", "-u", self.account, "--", program, "--help"],
                              capture_output=True, timeout=60).returncode == 0

    def _program(self) -> str:
        """A `tracker` the service account can run: the installed one, or (when the
        Python it was installed with lives where other accounts cannot go, as pyenv's
        under /root) a script that runs the same installed packages with the system's
        Python of the same version."""
        if self._runs(TRACKER):
            return TRACKER
        python = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
        script = self.base / "bin" / "tracker"
        script.parent.mkdir(mode=0o755)
        script.write_text(f"#!{python}\nimport site\n"
                          f"site.addsitedir({sysconfig.get_paths()['purelib']!r})\n"
                          "from tracker.cli import run\nrun()\n")
        script.chmod(0o755)
        if not python.exists() or not self._runs(str(script)):
            pytest.skip(f"the service account can run neither {TRACKER} nor {python}")
        return str(script)

    @property
    def db(self) -> Path:
        return self.home / ".local" / "share" / "tracker" / "tracker.json"

    # -- as a person, through sshd ------------------------------------------------------
    def ssh_argv(self, who: str, *request: str, tty: bool = False, lang: str = "C.UTF-8",
                 options: tuple[str, ...] = ()) -> list[str]:
        return ["env", "-i", f"LANG={lang}", "PATH=/usr/bin:/bin",
                "ssh", "-F", "/dev/null", "-p", str(self.port), "-i", str(self.base / who),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=yes",
                "-o", f"UserKnownHostsFile={self.base / 'known_hosts'}",
                "-o", "SendEnv=LANG", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20",
                *(("-tt",) if tty else ("-T",)), *options,
                "--", f"{self.account}@127.0.0.1", *request]

    def ssh(self, who: str, *request: str, stdin: bytes | None = None, check: int | None = 0,
            lang: str = "C.UTF-8") -> subprocess.CompletedProcess[bytes]:
        result = subprocess.run(self.ssh_argv(who, *request, lang=lang), input=stdin,
                                capture_output=True, timeout=120)
        assert b"Traceback" not in result.stderr, result.stderr.decode()
        if check is not None:
            assert result.returncode == check, (
                result.stdout.decode(errors="replace"), result.stderr.decode(),
                self.log.read_text(errors="replace")[-2000:])
        return result

    # -- set-up and tear-down -------------------------------------------------------------
    def start(self) -> None:
        _account(self.account, self.home)
        _account(self.staff, self.base / "staff")
        self.home.chmod(0o700)
        self.tracker = self._program()
        self.as_service("init")
        for who in ("alice", "bob", "victor"):
            _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{who}@desk",
                 "-f", str(self.base / who))
        self.as_service("users", "add", "alice", "--role", "editor", "--key",
                        str(self.base / "alice.pub"))
        self.as_service("users", "add", "bob", "--role", "editor", "--key", "-",
                        stdin=(self.base / "bob.pub").read_text())
        self.as_service("users", "add", "victor", "--role", "viewer", "--key",
                        str(self.base / "victor.pub"))
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.base / "host"))
        host = (self.base / "host.pub").read_text().split()
        (self.base / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {host[0]} {host[1]}\n")
        # The block docs/deploy.md tells the administrator to paste, for this account.
        config = self.base / "sshd_config"
        config.write_text(f"""\
Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.base / 'host'}
PidFile {self.base / 'sshd.pid'}
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers {self.account}
StrictModes yes
LogLevel VERBOSE

{match_block(self.account)}""")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation
        assert SSHD is not None
        with self.log.open("wb") as log:
            self.sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)],
                                         stdout=log, stderr=subprocess.STDOUT)

        def listening() -> bool:
            assert self.sshd is not None
            if self.sshd.poll() is not None:
                raise AssertionError(f"sshd ended: {self.log.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=1):
                return True
            return False

        wait_until(listening, 20, "sshd to listen")

    def stop(self) -> None:
        if self.sshd is not None:
            self.sshd.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.sshd.wait(timeout=10)
            if self.sshd.poll() is None:
                self.sshd.kill()
                self.sshd.wait(timeout=10)
        for name in (self.account, self.staff):
            with contextlib.suppress(KeyError):
                pwd.getpwnam(name)
                # -f: even if a session of the account has not ended yet.
                _run("userdel", "-f", name, check=False)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    base = Path(tempfile.mkdtemp(prefix="tracker-service-", dir="/tmp"))
    base.chmod(0o755)  # the accounts' homes are inside; private keys are 0600 anyway
    srv = Server(base)
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()
        shutil.rmtree(base, ignore_errors=True)


def _events(server: Server) -> list[dict]:
    history = server.as_service("history", "--json").stdout
    return json.loads(history)


# -- the tests -----------------------------------------------------------------------------
def test_each_key_acts_as_its_user(server: Server) -> None:
    server.ssh("alice", "set", TASK, "--status", "in_progress")
    server.ssh("bob", "note", TASK, "'called the county'")  # ssh joins words with spaces
    shown = json.loads(server.ssh("victor", "show", TASK, "--json").stdout)
    assert shown["updated_by"] == "bob" and shown["status"] == "in_progress"
    events = [e for e in _events(server) if e.get("task") == TASK]
    assert [(e["user"], e["type"]) for e in events][-2:] == [("alice", "set"), ("bob", "note")]
    assert server.account not in {e["user"] for e in events}


def test_a_shell_scp_or_a_path_on_the_server_is_refused(server: Server) -> None:
    for request, said in ((["bash"], b"'bash' is not a tracker command"),
                          (["bash", "-c", "'cat ~/.local/share/tracker/tracker.json'"],
                           b"'bash' is not a tracker command"),
                          (["scp", "-f", ".local/share/tracker/tracker.json"],
                           b"'scp' is not a tracker command"),
                          (["tracker", "shell", "alice"], b"'shell' is not a tracker command"),
                          (["--db", "/tmp/x.json", "list"], b"--db is not available"),
                          (["export", "-o", "/tmp/x.csv"], b"-o /tmp/x.csv: over ssh"),
                          (["backup", "-o", "/tmp/b.json"], b"-o /tmp/b.json: over ssh")):
        out = server.ssh("victor", *request, check=1)
        assert said in out.stderr and out.stdout == b"", (request, out.stderr)
    assert not Path("/tmp/x.csv").exists() and not Path("/tmp/b.json").exists()


def test_refusals_speak_the_language_sent_by_ssh(server: Server) -> None:
    out = server.ssh("victor", "bash", check=1, lang="zh_CN.UTF-8")
    assert "不是可通过 ssh 运行的 tracker 命令".encode() in out.stderr


def test_forwarding_is_refused_by_restrict(server: Server) -> None:
    forward = server.ssh_argv("victor", "list", "--owner", "G07", options=(
        "-o", "ExitOnForwardFailure=yes", "-R", f"127.0.0.1:{_free_port()}:127.0.0.1:22"))
    result = subprocess.run(forward, capture_output=True, timeout=120)
    assert result.returncode != 0 and b"forwarding failed" in result.stderr, result.stderr


def test_a_viewers_write_is_refused(server: Server) -> None:
    before = server.db.read_bytes()
    out = server.ssh("victor", "set", TASK, "--status", "done", check=1)
    assert b"needs the editor role; victor's role is viewer" in out.stderr
    assert server.db.read_bytes() == before


def test_backup_streams_back_on_standard_output(server: Server) -> None:
    streamed = server.ssh("victor", "backup", "-o", "-").stdout
    local = server.home / "copy.json"
    server.as_service("backup", "-o", str(local))
    assert json.loads(streamed) == json.loads(local.read_bytes())
    figures = "county,date,staff\n绥中,2017-06-30,7\n".encode()
    server.ssh("alice", "import", "-", stdin=figures)
    assert _events(server)[-1]["user"] == "alice"


def test_export_streams_back_like_a_local_export(server: Server) -> None:
    streamed = server.ssh("victor", "export", "--format", "json", "-o", "-").stdout
    local = server.home / "local.json"
    server.as_service("export", "--format", "json", "-o", str(local))
    # The same bytes but for when and by whom (provenance): the key's user, over ssh.
    assert json.loads(streamed)["provenance"]["generated_by"] == "victor"

    def timeless(data: bytes) -> bytes:
        return re.sub(rb'"generated_(at|by)": *"[^"]*"', b"", data)

    assert timeless(streamed) == timeless(local.read_bytes())


def test_staff_accounts_cannot_read_or_forge_the_files(server: Server) -> None:
    journal = server.db.with_name(server.db.name + ".history")
    size = journal.stat().st_size
    for path in (server.db, journal, server.home / ".ssh" / "authorized_keys"):
        read = _run("runuser", "-u", server.staff, "--", "cat", str(path), check=False)
        assert read.returncode != 0 and "Permission denied" in read.stderr, path
    forge = '{"seq": 999, "type": "user", "account": "' + server.staff + '", "new": "admin"}'
    append = _run("runuser", "-u", server.staff, "--", "sh", "-c",
                  f"printf '%s\\n' {shlex.quote(forge)} >> {shlex.quote(str(journal))}",
                  check=False)
    assert append.returncode != 0 and "Permission denied" in append.stderr
    assert journal.stat().st_size == size
    direct = _run("runuser", "-u", server.staff, "--", server.tracker, "--db", str(server.db),
                  "list", check=False)
    assert direct.returncode != 0
    impersonate = subprocess.run(
        ["runuser", "-u", server.staff, "--", "env", "SSH_ORIGINAL_COMMAND=list",
         server.tracker, "--db", str(server.db), "shell", "alice"],
        capture_output=True, text=True, timeout=60)
    assert impersonate.returncode == 1 and "Traceback" not in impersonate.stderr
    assert server.as_service("verify").returncode == 0


def test_doctor_over_ssh_finds_the_service_setup_sound(server: Server) -> None:
    report = json.loads(server.as_service("doctor", "--json", check=None).stdout)
    service = [c for c in report["checks"] if c["check"].startswith("service")]
    assert service and all(c["level"] == "ok" for c in service), service


@pytest.mark.skipif(TMUX is None, reason="tmux not installed")
def test_an_app_over_ssh_sees_the_other_users_save_live(server: Server) -> None:
    tmux = Tmux()
    try:
        tmux.start("a", shlex.join(server.ssh_argv("alice", "open", TASK, tty=True)),
                   width=100, height=30)
        tmux.start("d", shlex.join(server.ssh_argv("victor", tty=True)), width=100,
                   height=30)
        tmux.wait_for("a", TASK_TITLE, timeout=60, what="alice's task screen over ssh")
        tmux.wait_for("d", translate("en", "dash.targets"), timeout=60,
                      what="victor's dashboard over ssh")
        note = "seen live over ssh"
        server.ssh("bob", "note", TASK, shlex.quote(note))
        seen = f"{translate('en', 'show.note')}: {note}"
        started = time.monotonic()
        tmux.wait_for("a", seen, timeout=20, what="bob's note on alice's screen")
        print(f"\nover ssh: alice's app showed bob's note {time.monotonic() - started:.2f} s "
              "after bob's ssh returned")
        tmux.send_keys("d", "q")
        tmux.wait_exit("d", timeout=30)
        tmux.send_keys("a", "q")
        tmux.wait_exit("a", timeout=30)
    finally:
        tmux.close()
