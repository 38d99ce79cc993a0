"""The CLI's parser speaks the user's language without changing argparse for anyone else
in the process (a test runner, a host program, another tool's parser)."""

from __future__ import annotations

import argparse

import pytest

from tracker.cli.parser import build_parser, translate_error
from tracker.i18n import set_language


def _usage_error(parser: argparse.ArgumentParser, argv: list[str],
                 capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(argv)
    assert exited.value.code == 2
    return capsys.readouterr().err


def _plain_parser() -> argparse.ArgumentParser:
    plain = argparse.ArgumentParser(prog="other")
    plain.add_argument("thing")
    plain.add_argument("--size", type=int)
    return plain


def test_a_plain_argparse_parser_stays_english_beside_ours(
        capsys: pytest.CaptureFixture[str]) -> None:
    set_language("zh")
    ours = build_parser()
    plain = _plain_parser()

    mine = _usage_error(ours, ["note"], capsys)
    assert mine.startswith("用法：tracker note") and "缺少必需的参数：TASK" in mine
    theirs = _usage_error(plain, [], capsys)
    assert theirs.startswith("usage: other")
    assert "error: the following arguments are required: thing" in theirs
    assert "argument --size: invalid int value: 'x'" in _usage_error(
        plain, ["a", "--size", "x"], capsys)
    helped = plain.format_help()
    assert "positional arguments" in helped and "options:" in helped
    assert "show this help message and exit" in helped and "用法" not in helped
    # ... and ours is still Chinese after the plain one was used
    assert "参数 --lang：无效的选择：'xx'" in _usage_error(ours, ["list", "--lang", "xx"], capsys)
    ours_help = ours.format_help()
    assert ours_help.startswith("用法：") and "位置参数" in ours_help and "选项" in ours_help
    assert "显示此帮助并退出" in ours_help and "show this help" not in ours_help


def test_argparse_modules_own_words_are_untouched() -> None:
    set_language("zh")
    build_parser()
    assert argparse._("usage: ") == "usage: "  # type: ignore[attr-defined]
    assert argparse.ngettext("expected %s argument", "expected %s arguments", 2) \
        == "expected %s arguments"


@pytest.mark.parametrize(("english", "chinese"), [
    ("the following arguments are required: TASK, TEXT", "缺少必需的参数：TASK, TEXT"),
    ("unrecognized arguments: --bogus 1", "无法识别的参数：--bogus 1"),
    ("argument --kind: invalid choice: 'x' (choose from 'call', 'visit')",
     "参数 --kind：无效的选择：'x'（可选：'call', 'visit'）"),
    ("argument --seed: invalid int value: '1.5'", "参数 --seed：无效的 int 值：'1.5'"),
    ("argument --db: expected one argument", "参数 --db：需要一个值"),
    ("a message argparse may word otherwise", "a message argparse may word otherwise"),
])
def test_argparse_errors_are_translated_by_their_english_templates(english: str,
                                                                   chinese: str) -> None:
    set_language("zh")
    assert translate_error(english) == chinese
    set_language("en")
    assert translate_error(english) == english
