"""The app in service mode (`ssh -t tracker`): it runs as the service account, so it
must neither read nor write a path typed into it. Import, export and screenshot are not
offered, and their actions say how the file travels instead (ssh ... -o - > FILE)."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette

from tests.screens.factory import Clock
from tests.screens.pilot import Notices, settle
from tracker.app import TrackerApp
from tracker.domain.commands import AddUser
from tracker.screens.export import ExportForm
from tracker.screens.forms import TextForm
from tracker.storage.store import Store


def _app(db: Path, *, service: bool) -> TrackerApp:
    admin = Store(db, clock=Clock())  # whoever built the demo is its admin
    admin.apply(AddUser("eve", "editor"))
    return TrackerApp(Store(db, clock=Clock(), user="eve"), lang="en", service=service)


async def test_no_file_is_read_or_written_on_the_server(demo_db: Path) -> None:
    app = _app(demo_db, service=True)
    notices = Notices()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await settle(pilot)
        assert app.store.user == "eve" and app.writer.user == "eve"
        offered = [c.title for c in app.get_system_commands(app.screen)]
        assert "Export a snapshot" not in " ".join(map(str, offered))
        assert not any("Import" in str(t) or "screenshot" in str(t).lower()
                       for t in offered)
        app.action_export()
        app.action_import()
        await settle(pilot)
        assert not isinstance(app.screen, (ExportForm, TextForm, CommandPalette))
        notes = notices.messages
        assert any("ssh tracker export --format xlsx -o - > FILE.xlsx" in n for n in notes)
        assert any("ssh tracker import - < FILE.xlsx" in n for n in notes)


async def test_outside_service_mode_export_and_import_are_offered(demo_db: Path) -> None:
    app = _app(demo_db, service=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        offered = " ".join(str(c.title) for c in app.get_system_commands(app.screen))
        assert "Export a snapshot" in offered and "Import" in offered


async def test_mine_is_my_listed_groups_in_service_mode(demo_db: Path) -> None:
    """One account serves everyone: its Unix groups say nothing about the person."""
    admin = Store(demo_db, clock=Clock())
    admin.apply(AddUser("gina", "editor", (), ("G07",)))
    app = TrackerApp(Store(demo_db, clock=Clock(), user="gina"), lang="en", service=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.my_groups() == ["G07"]
