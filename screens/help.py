"""Help (?): every binding of the current screen and of the app, in the current language."""

from __future__ import annotations

from typing import Any

from rich.table import Table as RichTable
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static
from tracker.screens.base import TrackerModal

from tracker.i18n import _


def binding_rows(node: Any) -> list[tuple[str, str]]:
    """Every key of ``node``; an edit key the user's role may not use says which it needs."""
    may_edit = getattr(node.app, "may_edit", lambda: True)()
    edit_keys = getattr(node, "EDIT_KEYS", frozenset())
    rows = []
    for bindings in node._bindings.key_to_bindings.values():
        for binding in bindings:
            if binding.id and binding.description:
                description = binding.description
                if binding.id in edit_keys and not may_edit:
                    description += " " + _("help.needs_role", need="editor")
                rows.append((node.app.get_key_display(binding), description))
    return rows


class HelpScreen(TrackerModal):
    BINDINGS = [Binding("escape,question_mark,q", "close", "close", id="close")]

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.target = screen

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form help"):
            yield Static(id="help-body")

    def on_mount(self) -> None:
        table = RichTable.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        table.add_row(Text(_("help.this_screen"), style="bold"), "")
        for key, description in binding_rows(self.target):
            table.add_row(key, description)
        table.add_row("", "")
        table.add_row(Text(_("help.everywhere"), style="bold"), "")
        for key, description in binding_rows(self.app):
            table.add_row(key, description)
        table.add_row(self.app.COMMAND_PALETTE_BINDING, _("help.palette"))
        table.add_row("", "")
        table.add_row("", Text(_("help.close"), style="dim"))
        self.query_one("#help-body", Static).update(table)

    def action_close(self) -> None:
        self.dismiss(None)
