"""Both catalogs have the same keys and placeholders, and every key the code uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from tracker.domain.model import FollowupKind, Priority, Status
from tracker.i18n import language_from_env
from tracker.locales import catalogs

ROOT = Path(__file__).resolve().parents[2]
LITERAL_KEY = re.compile(
    r"""(?:\b_|Error|Edit|Finding|translate\(\s*\w+,)\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def _fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def test_same_keys_in_both_languages() -> None:
    en, zh = catalogs()["en"], catalogs()["zh"]
    assert sorted(en.keys() - zh.keys()) == []
    assert sorted(zh.keys() - en.keys()) == []


def test_same_placeholders_in_both_languages() -> None:
    en, zh = catalogs()["en"], catalogs()["zh"]
    different = [key for key in en if _fields(en[key]) != _fields(zh[key])]
    assert different == []


def test_chinese_catalog_is_chinese() -> None:
    zh = catalogs()["zh"]
    technical = {"plan.type.null", "cli.error"}  # JSON's word; the program name
    untranslated = [k for k, v in zh.items()
                    if k not in technical and re.search("[a-z]{4,}", re.sub(r"\{.*?\}", "", v))
                    and not re.search("[\u4e00-\u9fff]", v)]
    assert untranslated == []


def test_every_literal_key_in_code_exists() -> None:
    en = catalogs()["en"]
    missing = []
    for folder in ("tracker", "storage", "screens"):
        for path in (ROOT / folder).rglob("*.py"):
            if "locales" in path.parts:
                continue
            for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8")):
                if key not in en:
                    missing.append(f"{path.relative_to(ROOT)}: {key}")
    assert missing == []


@pytest.mark.parametrize(
    "key",
    [*(f"status.{s.value}" for s in Status), *(f"priority.{p.value}" for p in Priority),
     *(f"kind.{k.value}" for k in FollowupKind),
     *(f"field.{f}" for f in ("status", "owner", "due", "next_followup", "cadence",
                              "priority"))],
)
def test_composed_keys_exist(key: str) -> None:
    assert key in catalogs()["en"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "C.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"}, "zh"),
        ({"LANGUAGE": "zh_CN:en", "LANG": "C"}, "zh"),
    ],
)
def test_language_from_locale(env: dict[str, str], expected: str) -> None:
    assert language_from_env(env) == expected
