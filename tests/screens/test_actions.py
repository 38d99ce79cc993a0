"""screens.actions is the one list of keys: every binding of our screens, modals, widgets
and app comes from it, every entry has its labels in both catalogs, and a viewer's footer
leaves out exactly the keys whose action needs more than a viewer."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.dom import DOMNode

import tracker.screens as screens_package
from tests.screens.factory import Clock
from tests.screens.pilot import settle
from tests.screens.test_app import TASK
from tracker.app import TrackerApp
from tracker.domain.roles import ROLES, VIEWER
from tracker.i18n import _, get_language, set_language
from tracker.locales import app as app_catalog  # noqa: F401  (the catalogs load)
from tracker.screens import actions
from tracker.screens.widgets import Footer
from tracker.storage.store import Store


def our_nodes() -> list[type[DOMNode]]:
    """Every screen, modal, widget and app class of ours that declares BINDINGS."""
    modules = [importlib.import_module(f"tracker.screens.{m.name}")
               for m in pkgutil.iter_modules(screens_package.__path__)]
    modules.append(importlib.import_module("tracker.app"))
    found = []
    for module in modules:
        for _name, cls in vars(module).items():
            if (inspect.isclass(cls) and issubclass(cls, DOMNode)
                    and cls.__module__ == module.__name__ and "BINDINGS" in vars(cls)):
                found.append(cls)
    return found


def test_every_binding_of_ours_comes_from_the_registry() -> None:
    classes = our_nodes()
    assert len(classes) > 10
    for cls in classes:
        if cls.__name__ in ("LineTable", "Table"):  # a table's own keys, as DataTable's
            continue
        for binding in Binding.make_bindings(vars(cls)["BINDINGS"]):
            entry = actions.of(binding)
            assert entry is not None, (cls.__name__, binding)
            assert binding.action == entry.action, (cls.__name__, binding)
            scope = vars(cls).get("ACTION_SCOPE") or actions.APP
            assert scope in entry.scopes, (cls.__name__, binding)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_entry_has_its_labels_in_both_catalogs(lang: str) -> None:
    set_language(lang)
    try:
        for entry in actions.ACTIONS:
            assert entry.role in ROLES
            assert _(entry.refusal) != entry.refusal, entry.id
            if entry.key_list():
                assert _(f"bind.{entry.id}") != f"bind.{entry.id}", (lang, entry.id)
            if entry.palette:
                for key in (f"palette.{entry.id}", f"palette.{entry.id}_help"):
                    assert _(key) != key, (lang, key)
    finally:
        set_language("en")
    assert get_language() == "en"


def app_as(db: Path, user: str, start: str | None = None) -> TrackerApp:
    store = Store(db, clock=Clock())
    store.user = user
    return TrackerApp(store, lang="en", start=start)


@pytest.mark.parametrize("keys", [(), ("2",), ("3",), ("3", "enter"), ("4",), ("5",),
                                  ("2", "enter")])
async def test_a_viewers_footer_leaves_out_exactly_what_needs_an_editor(
        demo_db: Path, keys: tuple[str, ...]) -> None:
    shown = {}
    for user in ("root-admin", "demo.sun"):  # the demo's builder (admin), its viewer
        app = app_as(demo_db, Store(demo_db).user if user == "root-admin" else user)
        async with app.run_test(size=(200, 30)) as pilot:
            await settle(pilot)
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
            shown[user] = app.screen.query_one(Footer).shown()
    admin, viewer = shown["root-admin"], shown["demo.sun"]
    needs_more = {a.id for a in actions.ACTIONS if a.role != VIEWER}
    assert viewer == [action for action in admin if action not in needs_more]
    assert viewer != admin or not set(admin) & needs_more


async def test_a_task_footer_for_a_viewer(demo_db: Path) -> None:
    app = app_as(demo_db, "demo.sun", start=TASK)
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot)
        shown = app.screen.query_one(Footer).shown()
        assert "back" in shown and "help" in shown
        assert not {"status", "owner", "due", "next", "note", "followup"} & set(shown)


async def test_escape_on_the_dashboard_keeps_it(demo_db: Path) -> None:
    """The dashboard is the bottom of the stack: no `back` there (Escape must not pop it
    and leave an empty screen)."""
    from tracker.screens.dashboard import DashboardScreen

    assert "dashboard" not in actions.BY_ID["back"].scopes
    app = app_as(demo_db, Store(demo_db).user)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
