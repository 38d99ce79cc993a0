"""The message catalogs, one module per area, merged into one dict per language."""

from __future__ import annotations

from functools import cache
from importlib import import_module

MODULES = ("core", "plan", "cli", "app", "imports", "export", "ops", "roles", "service", "day",
           "storage", "find", "evidence", "remind")


@cache
def catalogs() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {"en": {}, "zh": {}}
    for name in MODULES:
        module = import_module(f"tracker.locales.{name}")
        merged["en"].update(module.EN)
        merged["zh"].update(module.ZH)
    return merged
