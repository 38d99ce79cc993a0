"""storage.keys: the service account's authorized_keys, changed whole under a lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tracker.domain.errors import UsageError
from tracker.storage import keys

pytestmark = pytest.mark.skipif(
    subprocess.run(["sh", "-c", "command -v ssh-keygen"], capture_output=True).returncode != 0,
    reason="ssh-keygen is not installed")


def _key(folder: Path, name: str, kind: str = "ed25519") -> str:
    path = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", f"{name}@pc",
                    "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text()


def test_a_key_is_type_blob_comment_and_its_type_must_be_its_own(tmp_path: Path) -> None:
    text = _key(tmp_path, "ann")
    key_type, _blob, comment = keys.parse_public_key(text, "ann.pub")
    assert (key_type, comment) == ("ssh-ed25519", "ann@pc")
    rsa_blob = _key(tmp_path, "rsa", "rsa").split()[1]
    with pytest.raises(UsageError) as refused:
        keys.parse_public_key(f"ssh-ed25519 {rsa_blob}", "x.pub")  # an RSA key called ed25519
    assert refused.value.key == "keys.bad_key"
    with pytest.raises(UsageError) as refused:
        keys.parse_public_key(f"no-pty {text}", "x.pub")
    assert refused.value.key == "keys.not_a_key"


def test_a_comment_cannot_carry_control_characters_into_the_file(tmp_path: Path) -> None:
    key_type, blob, _comment = keys.parse_public_key(_key(tmp_path, "ann"), "ann.pub")
    parsed = keys.parse_public_key(f"{key_type} {blob} evil\x1b[2J\x07x", "ann.pub")
    assert "\x1b" not in parsed[2] and "\x07" not in parsed[2]
    for breaking in ("\r", "\x85", "\u2028"):  # a second line: refused, not split into one
        with pytest.raises(UsageError) as refused:
            keys.parse_public_key(f"{key_type} {blob} a{breaking}ssh-ed25519 {blob}", "x")
        assert refused.value.key == "keys.not_one"


def test_options_are_read_with_their_quotes() -> None:
    assert keys.line_options('command="a, b c",restrict,pty ssh-ed25519 AAAA x') == [
        'command="a, b c"', "restrict", "pty"]
    assert keys.line_options("ssh-ed25519 AAAA x") == []
    assert keys.line_options("# comment") is None and keys.line_options("  ") is None


def test_remove_on_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ssh" / "authorized_keys"
    assert keys.remove_keys(path, "ann") == []
    assert not path.parent.exists()


def test_eight_admins_adding_at_once_all_get_their_line_in(tmp_path: Path) -> None:
    path = tmp_path / "ssh" / "authorized_keys"
    pubs = [tmp_path / f"u{n}.pub" for n in range(8)]
    for n in range(8):
        _key(tmp_path, f"u{n}")
    script = ("import sys; from pathlib import Path; from tracker.storage import keys\n"
              "name, pub, path = sys.argv[1:]\n"
              "key = keys.parse_public_key(Path(pub).read_text(), pub)\n"
              "keys.add_key(Path(path), name, keys.forced_command('tracker', name, None), key)\n")
    workers = [subprocess.Popen([sys.executable, "-c", script, f"u{n}", str(pub), str(path)])
               for n, pub in enumerate(pubs)]
    assert [w.wait(timeout=60) for w in workers] == [0] * 8
    assert sorted(k.user for k in keys.list_keys(path)) == [f"u{n}" for n in range(8)]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not [p for p in path.parent.iterdir() if p.name != "authorized_keys"]  # no temp
