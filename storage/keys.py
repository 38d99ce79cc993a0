"""The service account's ``authorized_keys``: who may reach the tracker through sshd.

In service mode (docs/deploy.md) every person is one or more lines of this file, each
forcing the command that runs the tracker as that person, as gitolite does::

    command="/usr/local/bin/tracker shell alice",restrict,pty ssh-ed25519 AAAA... alice@laptop

``restrict`` turns off forwarding (ports, agent, X11) and the user's rc file; ``pty``
gives back the terminal the app needs. sshd runs the forced command whatever the user
asked for (that request is in ``SSH_ORIGINAL_COMMAND``, which ``tracker shell`` checks).

The file is changed under an ``flock`` on its folder, read without following a symlink
and replaced whole (a temp file created ``O_EXCL`` with mode 0600, fsync, rename, fsync
of the folder), so that a crash leaves the old file or the new one, and two admins adding
keys at once both get theirs in. Lines that are not the tracker's are kept as they are.

A key is taken only as ``TYPE BASE64 [COMMENT]``, one per file, and checked with
``ssh-keygen -l``: options written in front of a key (``command=``, ``environment=``,
``from=``...) would be the key owner's way around the forced command, and are refused.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import fcntl
import os
import re
import shlex
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tracker.domain.errors import StorageError, UsageError
from tracker.domain.text import clean_text

KEY_TYPES = (
    "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
)
MAX_KEY_BYTES = 16 * 1024  # an RSA-16384 public key is ~2.8 KB
OPTIONS = "restrict,pty"
# A service-mode user name: it goes into a forced command and into every event.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_OURS = re.compile(r'command="([^"\\]*)",restrict,pty (\S+) (\S+)(?: (.*))?')


@dataclass(frozen=True)
class KeyLine:
    """One of the tracker's lines: whose, and which key."""

    user: str
    key_type: str
    blob: str
    comment: str
    command: str
    number: int  # its line number in the file, from 1

    @property
    def fingerprint(self) -> str:
        return fingerprint(f"{self.key_type} {self.blob}")


def default_keys_path() -> Path:
    """``TRACKER_AUTHORIZED_KEYS`` (tests, or a file the admin's sshd config names), else
    ``~/.ssh/authorized_keys`` of the account running this process (from the password
    database: ``$HOME`` is not consulted)."""
    configured = os.environ.get("TRACKER_AUTHORIZED_KEYS")
    if configured:
        return Path(configured)
    import pwd

    return Path(pwd.getpwuid(os.geteuid()).pw_dir) / ".ssh" / "authorized_keys"


def check_name(name: str) -> str:
    """A name that can be a service-mode user: letters, digits, ``._-``, 1-32 long."""
    if not NAME.fullmatch(name):
        raise UsageError("keys.bad_name", name=clean_text(name, single_line=True))
    return name


# -- a public key from a user ---------------------------------------------------------------
def parse_public_key(text: str, source: str) -> tuple[str, str, str]:
    """``(type, base64, comment)`` of the one key in ``text`` (a ``.pub`` file), or a
    refusal naming ``source``. Options before the key, a second key, or a blob that is
    not of its stated type are refused."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if len(lines) != 1:
        raise UsageError("keys.not_one", source=source, count=len(lines))
    parts = lines[0].split(None, 2)
    if parts[0] not in KEY_TYPES:
        raise UsageError("keys.not_a_key", source=source,
                         start=clean_text(parts[0][:40], single_line=True))
    if len(parts) < 2:
        raise UsageError("keys.bad_key", source=source)
    key_type, blob = parts[0], parts[1]
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise UsageError("keys.bad_key", source=source) from None
    # The blob starts with its own type as an SSH string: a uint32 length, then the name.
    length = int.from_bytes(raw[:4], "big")
    if raw[4:4 + length] != key_type.encode("ascii"):
        raise UsageError("keys.bad_key", source=source)
    comment = clean_text(parts[2], single_line=True).strip() if len(parts) > 2 else ""
    fingerprint(f"{key_type} {blob}", source=source)  # ssh-keygen must accept it too
    return key_type, blob, comment


def fingerprint(key: str, *, source: str = "") -> str:
    """The key's SHA256 fingerprint, as ``ssh-keygen -l`` prints it."""
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        raise StorageError("keys.no_keygen")
    with tempfile.TemporaryDirectory(prefix="tracker-key-") as folder:
        path = Path(folder) / "key.pub"
        path.write_text(key + "\n", encoding="ascii")
        result = subprocess.run([keygen, "-l", "-E", "sha256", "-f", str(path)],
                                capture_output=True, text=True, timeout=30, check=False)
    words = result.stdout.split()
    if result.returncode != 0 or len(words) < 2 or not words[1].startswith("SHA256:"):
        raise UsageError("keys.bad_key", source=source or "-")
    return words[1]


def forced_command(tracker: str, user: str, db: Path | None) -> str:
    """What sshd runs for ``user``'s keys. The path of the program (and of a database
    other than the default) must not hold a double quote or a backslash: they would end
    or escape the option's quoting."""
    words = [tracker, *(("--db", str(db)) if db is not None else ()), "shell", check_name(user)]
    command = shlex.join(words)
    if '"' in command or "\\" in command:
        raise UsageError("keys.bad_command", command=clean_text(command, single_line=True))
    return command


def key_line(command: str, key_type: str, blob: str, comment: str) -> str:
    return f'command="{command}",{OPTIONS} {key_type} {blob}' + (f" {comment}" if comment else "")


# -- reading the file ---------------------------------------------------------------------
def parse_line(text: str, number: int) -> KeyLine | None:
    """The tracker line ``text`` is, or None (a line of someone else's, a comment)."""
    match = _OURS.fullmatch(text.strip())
    if not match:
        return None
    try:
        words = shlex.split(match.group(1))
    except ValueError:
        return None
    if len(words) < 3 or words[-2] != "shell" or not NAME.fullmatch(words[-1]):
        return None
    return KeyLine(words[-1], match.group(2), match.group(3), match.group(4) or "",
                   match.group(1), number)


def read_text(path: Path) -> str:
    """The file's text ("" if there is none), never through a symlink."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return ""
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise StorageError("keys.not_regular", path=str(path)) from None
        raise StorageError("keys.unreadable", path=str(path),
                           reason=error.strerror or str(error)) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise StorageError("keys.not_regular", path=str(path))
        data = handle.read()
    return data.decode("utf-8", errors="replace")


def file_lines(text: str, *, keepends: bool = False) -> list[str]:
    """The file's lines as sshd reads them: split at newlines only (``str.splitlines``
    would also split at ``\\r``, ``\\x85``, ``\\u2028``... and number lines differently)."""
    parts = text.split("\n")
    if keepends:
        lines = [part + "\n" for part in parts[:-1]]
        return lines + ([parts[-1]] if parts[-1] else [])
    return parts[:-1] + ([parts[-1]] if parts[-1] else [])


def list_keys(path: Path) -> list[KeyLine]:
    found = []
    for number, text in enumerate(file_lines(read_text(path)), start=1):
        line = parse_line(text, number)
        if line is not None:
            found.append(line)
    return found


def line_options(text: str) -> list[str] | None:
    """The options of an ``authorized_keys`` line (``[]`` for none), or None for a
    blank line or a comment. Quoted values may hold commas and spaces."""
    text = text.strip()
    if not text or text.startswith("#"):
        return None
    if text.split(None, 1)[0] in KEY_TYPES:
        return []
    options, current, quoted, position = [], [], False, 0
    while position < len(text):
        char = text[position]
        if char == "\\" and quoted and position + 1 < len(text):
            current.append(text[position:position + 2])
            position += 2
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and char == ",":
            options.append("".join(current))
            current = []
            position += 1
            continue
        elif not quoted and char in " \t":
            break
        current.append(char)
        position += 1
    options.append("".join(current))
    return options


# -- changing the file --------------------------------------------------------------------
@contextlib.contextmanager
def _locked_folder(path: Path) -> Iterator[None]:
    """Hold an ``flock`` on the file's folder (created 0700 if missing): one change at
    a time, and a lock nobody can remove or replace from under us."""
    folder = path.parent
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        raise StorageError("keys.unwritable", path=str(folder),
                           reason=error.strerror or str(error)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _replace(path: Path, text: str) -> None:
    folder = path.parent
    fd, name = tempfile.mkstemp(prefix=".authorized_keys.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def add_key(path: Path, user: str, command: str, key: tuple[str, str, str]) -> KeyLine:
    """Append ``user``'s key with its forced command. A key already in the file (for
    anyone, ours or not) is refused: sshd would use the first line that matches."""
    key_type, blob, comment = key
    new_print = fingerprint(f"{key_type} {blob}")
    with _locked_folder(path):
        text = read_text(path)
        for number, existing in enumerate(file_lines(text), start=1):
            if blob in existing.split():
                holder = parse_line(existing, number)
                raise UsageError("keys.duplicate", fingerprint=new_print,
                                 user=holder.user if holder else "-", line=number)
        if text and not text.endswith("\n"):
            text += "\n"
        line = key_line(command, key_type, blob, comment)
        _replace(path, text + line + "\n")
    return KeyLine(user, key_type, blob, comment, command, len(file_lines(text)) + 1)


def remove_keys(path: Path, user: str) -> list[KeyLine]:
    """Remove every tracker line of ``user``; the removed lines."""
    if not path.exists():
        return []  # nothing to remove (and no ~/.ssh to create for it)
    with _locked_folder(path):
        text = read_text(path)
        kept, removed = [], []
        for number, existing in enumerate(file_lines(text, keepends=True), start=1):
            line = parse_line(existing, number)
            if line is not None and line.user == user:
                removed.append(line)
            else:
                kept.append(existing)
        if removed:
            _replace(path, "".join(kept))
    return removed
