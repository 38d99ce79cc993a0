"""Help (?): every key of the current screen and of the app, in the current language,
read from screens.actions; a key whose action needs a role the user lacks says which."""

from __future__ import annotations

from typing import Any, cast

from rich.table import Table as RichTable
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Static

from tracker.i18n import _
from tracker.screens import actions
from tracker.screens.base import Host, TrackerModal


def binding_rows(node: DOMNode) -> list[tuple[str, str]]:
    """One row per key bound on ``node`` (a screen, or the app): the key and its label;
    an action the user's role may not use says which role it needs."""
    app = node.app
    host = cast(Host, app)
    scopes = [actions.APP] if node is app else actions.scopes_of(type(node).__mro__)
    rows = []
    for scope in scopes:
        for action in actions.in_scope(scope):
            if action.id == "palette":  # its own line, with what the palette offers
                continue
            label = action.label
            if not host.allows(action.role):
                label += " " + _("help.needs_role", need=action.role)
            for key in action.key_list():
                display = app.get_key_display(Binding(key, action.action,
                                                      key_display=action.key_display))
                rows.append((display, label))
    return rows


class HelpScreen(TrackerModal):
    ACTION_SCOPE = "help"
    BINDINGS = actions.bindings(ACTION_SCOPE)

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
        palette = actions.BY_ID["palette"]
        table.add_row(self.app.get_key_display(Binding(palette.key_list()[0], palette.action)),
                      _("help.palette"))
        table.add_row("", "")
        table.add_row("", Text(_("help.close"), style="dim"))
        self.query_one("#help-body", Static).update(table)

    def action_close(self) -> None:
        self.dismiss(None)
