"""The layers of docs/architecture.md, held by the imports themselves: every import of
every module (at the top, inside functions, under TYPE_CHECKING) points down or sideways,
never up, and the entry points are imported by nothing but their callers.

    base      tracker.i18n, tracker.locales, tracker.runtime, tracker.glyphs, tracker
    domain    tracker.domain        pure Python: no I/O library, no Rich, no Textual
    storage   tracker.storage       persistence; knows the domain's types
    formats   tracker.formats       snapshots, exports, imports, the CLI's tables
    screens   tracker.screens       Textual screens and widgets
    app       tracker.app           the Textual App: wires screens to the store
    cli       tracker.cli           the `tracker` command (and tracker.__main__)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The three folders the design fixes, and the import names they install under.
FOLDERS = {"tracker": ROOT / "tracker", "tracker.storage": ROOT / "storage",
           "tracker.screens": ROOT / "screens"}

LAYERS = ("base", "domain", "storage", "formats", "screens", "app", "cli")
# What each layer may import, besides itself and the layers below it in this list.
BELOW = {name: set(LAYERS[:rank]) for rank, name in enumerate(LAYERS)}
# Third-party packages a layer must not touch.
FORBIDDEN = {
    "base": {"textual", "rich", "tinydb", "openpyxl"},
    "domain": {"textual", "rich", "tinydb", "openpyxl"},
    "storage": {"textual", "rich", "openpyxl"},
    "formats": {"textual", "tinydb"},
    "screens": {"tinydb"},
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "tracker":
        raise ValueError(module)
    if len(parts) == 1 or parts[1] in ("i18n", "locales", "runtime", "plans", "glyphs"):
        return "base"
    if parts[1] in ("domain", "storage", "formats", "screens", "app", "cli"):
        return parts[1]
    if parts[1] == "__main__":
        return "cli"
    raise AssertionError(f"{module}: no layer (add it to docs/architecture.md and here)")


def modules() -> dict[str, Path]:
    """Every module of the three folders, by the name it is imported as."""
    found: dict[str, Path] = {}
    for root, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            relative = path.relative_to(folder).with_suffix("")
            parts = [p for p in relative.parts if p != "__init__"]
            if root == "tracker" and parts and parts[0] in ("storage", "screens"):
                raise AssertionError(f"{path}: tracker/{parts[0]} would hide {parts[0]}/")
            found[".".join([root, *parts])] = path
    return found


def imports_of(name: str, path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, resolved to full names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target == "tracker":  # `from tracker import screens`
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return found


ALL = modules()


def test_every_module_has_a_layer() -> None:
    assert len(ALL) > 40
    for name in ALL:
        layer_of(name)


@pytest.mark.parametrize("name", sorted(ALL))
def test_imports_point_down(name: str) -> None:
    layer = layer_of(name)
    wrong = []
    for line, target in imports_of(name, ALL[name]):
        top = target.split(".")[0]
        if top in FORBIDDEN.get(layer, ()):
            wrong.append(f"line {line}: {layer} imports {target}")
        if top != "tracker":
            continue
        other = layer_of(target)
        if other != layer and other not in BELOW[layer]:
            wrong.append(f"line {line}: {layer} imports {target} ({other})")
        if other == "cli" and layer != "cli":
            wrong.append(f"line {line}: only the entry point imports the CLI ({target})")
    assert wrong == [], f"{ALL[name].relative_to(ROOT)}: " + "; ".join(wrong)


def test_a_wrong_way_import_is_caught(tmp_path: Path) -> None:
    """The check itself: a domain module that imports the store, or a screen that
    imports the CLI, is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from tracker.storage.store import Store\n"
                   "from tracker.cli import main\n", encoding="utf-8")
    found = imports_of("tracker.domain.bad", bad)
    layers = {layer_of(target) for _line, target in found}
    assert layers == {"storage", "cli"}
    assert not {"storage", "cli"} & (BELOW["domain"] | {"domain"})
