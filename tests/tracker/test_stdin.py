"""`-` names standard input (files sent over ssh in service mode): a terminal there is
refused at once instead of waiting for typing, and a stream that cannot be read is one
clear line, never a traceback (hypothesis found `restore -` ending in OSError)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tracker.cli import main


class _Terminal(io.BytesIO):
    def isatty(self) -> bool:
        return True


class _Broken:
    def isatty(self) -> bool:
        return False

    @property
    def buffer(self) -> io.BufferedReader:
        raise OSError("reading from stdin while output is captured")


@pytest.mark.parametrize("argv", [["restore", "-"], ["import", "-"],
                                  ["users", "add", "x", "--role", "viewer", "--key", "-"]])
@pytest.mark.parametrize("stdin, said", [(_Terminal(), "is a terminal"),
                                         (_Broken(), "cannot read standard input")])
def test_standard_input_that_cannot_be_read_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        argv: list[str], stdin: object, said: str) -> None:
    db = str(tmp_path / "t.json")
    assert main(["--db", db, "--lang", "en", "init"]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", stdin)
    assert main(["--db", db, "--lang", "en", *argv]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
