"""No screen shows a literal string: every visible word comes from the catalogs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SCREENS = Path(__file__).resolve().parents[2] / "screens"
# Calls whose positional arguments (and these keywords) end up on screen.
VISIBLE_CALLS = {"Label", "Static", "Text", "SectionTitle", "notify", "add_column",
                 "add_columns", "add_row", "update", "Option", "Button", "append",
                 "SystemCommand", "Hit", "DiscoveryHit", "TextForm", "DateForm", "Notice"}
VISIBLE_KEYWORDS = {"title", "placeholder", "description", "label", "help", "legend"}
# Calls whose first argument is a key, not shown; the others are (a LineTable's columns).
KEYED_CALLS = {"Column"}
WORDS = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _literal_parts(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant)]
    return []


def uncatalogued(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        name = _name(node.func) if isinstance(node, ast.Call) else ""
        if name not in VISIBLE_CALLS and name not in KEYED_CALLS:
            continue
        positional = node.args[1:] if name in KEYED_CALLS else node.args
        args = list(positional) + [k.value for k in node.keywords
                                   if k.arg in VISIBLE_KEYWORDS]
        for arg in args:
            for part in _literal_parts(arg):
                if WORDS.search(part):
                    found.append(f"{path.name}:{node.lineno}: {part!r}")
    return found


def test_no_screen_shows_an_uncatalogued_literal() -> None:
    problems = [p for path in sorted(SCREENS.glob("*.py")) for p in uncatalogued(path)]
    assert problems == []


def test_the_check_catches_a_literal(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('Label("Hello")\nLabel(_("ok.key"))\nnotify(f"保存 {x}")\n'
                      'Column("code", "Code")\nColumn("code", _("col.code"))\n')
    assert len(uncatalogued(sample)) == 3
