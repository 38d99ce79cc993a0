"""Every action a user can ask for, in one place (as harlequin's ``actions.py``).

An :class:`Action` says which keys run it and where (the app, or the scopes of screens
and widgets: each screen class names its own in ``ACTION_SCOPE``), what it is called
(``bind.<id>`` in the catalogs, read when drawn, so a language switch needs no new
bindings), whether the footer shows it, whether the command palette offers it
(``palette.<id>`` and ``palette.<id>_help``), and the role it needs
(tracker.domain.roles). The screens' ``BINDINGS``, the footer (screens.widgets.Footer),
the help screen (screens.help), the palette (tracker.app) and the role checks
(``TrackerApp.can_edit``) all read this table; nothing else lists keys or roles.

A key that needs a role the user lacks still works: it says which role it needs (the
store checks again under its lock). It only leaves the footer, and help marks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from textual.binding import Binding, BindingType

from tracker.domain.roles import EDITOR, VIEWER
from tracker.i18n import _

APP = "app"  # the scope of the app's own bindings (they work on every screen)


@dataclass(frozen=True)
class Action:
    id: str  # the binding's id; its label is the catalog entry ``bind.<id>``
    action: str  # what runs (a Textual action string on the node that binds it)
    keys: str = ""  # Textual keys, comma-separated ("" for a palette-only command)
    scopes: tuple[str, ...] = (APP,)  # where it is bound: APP or ACTION_SCOPE names
    show: bool | tuple[str, ...] = True  # in the footer: everywhere, never, or there
    role: str = VIEWER  # the least role that may use it
    refusal: str = "role.action.other"  # how a refusal names it (role.action.*)
    palette: bool = False  # offered by the command palette (palette.<id>, <id>_help)
    priority_keys: str = ""  # also bound with priority (work inside a text field too)
    key_display: str | None = None

    @property
    def label(self) -> str:
        """What the footer and help call it, in the current language."""
        return _(f"bind.{self.id}")

    def shown_in(self, scope: str) -> bool:
        return self.show if isinstance(self.show, bool) else scope in self.show

    def bindings(self, scope: str) -> Iterator[Binding]:
        # The description is the catalog key, not its text: what is drawn is looked up
        # when drawn (``label``), in the language of that moment.
        if self.keys:
            yield Binding(self.keys, self.action, f"bind.{self.id}",
                          show=self.shown_in(scope), key_display=self.key_display,
                          id=self.id)
        if self.priority_keys:
            yield Binding(self.priority_keys, self.action, f"bind.{self.id}", show=False,
                          key_display=self.key_display, priority=True, id=self.id)

    def key_list(self) -> list[str]:
        """Every key that runs it, the plain ones first."""
        return [k.strip() for keys in (self.keys, self.priority_keys)
                for k in keys.split(",") if k.strip()]


# The screens Escape leaves (the dashboard is the bottom of the stack: it has no back).
_ABOVE = ("counties", "county", "recommendations", "recommendation", "followups", "history",
          "task")
_PANELS = ("dashboard", "county")  # screens taller than the terminal, with several tables
EDIT = "role.action.edit"  # how a refusal names a change to a task's fields
_LISTS = ("county", "recommendation")  # the task lists, where rows are marked

ACTIONS: tuple[Action, ...] = (
    # -- everywhere ----------------------------------------------------------------------
    Action("dashboard", "go('dashboard')", "1"),
    Action("counties", "go('counties')", "2"),
    Action("recommendations", "go('recommendations')", "3"),
    Action("followups", "go('followups')", "4"),
    Action("history", "go('history')", "5"),
    Action("help", "help", "question_mark,f1"),
    Action("month_back", "shift_as_of(-1)", "left_square_bracket", show=False),
    Action("month_forward", "shift_as_of(1)", "right_square_bracket", show=False),
    Action("language", "toggle_language", palette=True),
    Action("theme", "change_theme", palette=True),
    Action("as_of", "ask_as_of", "g", show=False, palette=True),
    Action("import", "import", palette=True, role=EDITOR, refusal="role.action.import"),
    Action("today", "today", palette=True),  # only when looking at another date
    Action("export", "export", palette=True),
    Action("screenshot", "take_screenshot", palette=True),
    Action("quit", "quit_app", "q", priority_keys="ctrl+q", palette=True),
    Action("palette", "command_palette", priority_keys="ctrl+p"),
    # Undo is the app's: it takes back your last change wherever you are (tasks, the
    # queue, history), and names what it undid.
    Action("undo", "undo", "u", show=False, role=EDITOR, refusal="role.action.undo",
           palette=True),
    # -- the main screens ----------------------------------------------------------------
    Action("filter", "filter", "slash",
           scopes=("counties", "recommendation", "history", "followups")),
    Action("sort", "sort", "s", scopes=("counties",)),
    Action("mine", "mine", "m", scopes=("followups",)),
    Action("status", "status", "s", scopes=("task",), role=EDITOR, refusal=EDIT),
    Action("owner", "owner", "o", scopes=("task",), role=EDITOR, refusal=EDIT),
    Action("due", "due", "d", scopes=("task",), role=EDITOR, refusal=EDIT),
    Action("next", "next", "x", scopes=("task",), role=EDITOR, refusal=EDIT),
    Action("note", "note", "n", scopes=("task",), role=EDITOR, refusal="role.action.note"),
    Action("followup", "followup", "f",
           scopes=("task", "county", "recommendation", "followups"), role=EDITOR,
           refusal="role.action.followup"),
    Action("measure", "measure", "m", scopes=("task", "county"), role=EDITOR,
           refusal="role.action.measure"),
    Action("snooze", "snooze", "z", scopes=("followups",), role=EDITOR, refusal=EDIT),
    # -- bulk changes in the task lists (screens/bulk.py) --------------------------------
    Action("mark", "mark", "space", scopes=_LISTS),
    Action("bulk_status", "bulk_status", "s", scopes=_LISTS, role=EDITOR, refusal=EDIT),
    Action("bulk_owner", "bulk_owner", "o", scopes=_LISTS, role=EDITOR, refusal=EDIT),
    Action("bulk_due", "bulk_due", "d", scopes=_LISTS, role=EDITOR, refusal=EDIT,
           show=False),
    Action("bulk_next", "bulk_next", "x", scopes=_LISTS, role=EDITOR, refusal=EDIT,
           show=False),
    Action("bulk_snooze", "bulk_snooze", "z", scopes=_LISTS, role=EDITOR, refusal=EDIT,
           show=False),
    Action("unmark_all", "unmark_all", "u", scopes=_LISTS, show=False, palette=False),
    Action("reassign", "reassign", "o", scopes=("followups",), role=EDITOR, refusal=EDIT),
    # Escape goes back from every screen; the footer says so on the detail screens (the
    # lists are left with a number key).
    Action("back", "back", "escape", scopes=_ABOVE,
           show=("task", "county", "recommendation")),
    Action("next_panel", "app.focus_next", "tab", scopes=_PANELS, show=False),
    Action("prev_panel", "app.focus_previous", "shift+tab", scopes=_PANELS, show=False),
    Action("page_down", "page(1)", "pagedown", scopes=_PANELS, show=False),
    Action("page_up", "page(-1)", "pageup", scopes=_PANELS, show=False),
    # -- the filter field ----------------------------------------------------------------
    Action("clear_filter", "hide", "escape", scopes=("filter_input",), show=False),
    Action("leave_filter", "leave", "down", scopes=("filter_input",), show=False),
    # -- modals ----------------------------------------------------------------------------
    Action("close", "close", "escape,question_mark,q", scopes=("help",)),
    Action("cancel", "cancel", "escape", scopes=("form",)),
    Action("import_yes", "yes", "y,enter", scopes=("import_review",)),
    Action("yes", "yes", "y", scopes=("confirm_quit",)),
    Action("no", "cancel", "n,escape", scopes=("confirm_quit",)),
)

BY_ID: dict[str, Action] = {action.id: action for action in ACTIONS}
assert len(BY_ID) == len(ACTIONS), "two actions share an id"


def in_scope(scope: str) -> list[Action]:
    """The actions bound in ``scope``, in the registry's order (the footer's)."""
    return [action for action in ACTIONS if scope in action.scopes and action.key_list()]


def bindings(scope: str) -> list[BindingType]:
    """A ``BINDINGS`` list for the screen, widget or app whose scope is ``scope``."""
    return [binding for action in in_scope(scope) for binding in action.bindings(scope)]


def palette_actions() -> list[Action]:
    return [action for action in ACTIONS if action.palette]


def of(binding: Binding) -> Action | None:
    """The registry entry of a binding (None: a binding of Textual's own widgets)."""
    return BY_ID.get(binding.id or "")


def scopes_of(classes: Iterable[type]) -> list[str]:
    """The scopes along a class hierarchy (a form's and then its base's), each once."""
    found: list[str] = []
    for cls in classes:
        scope = vars(cls).get("ACTION_SCOPE")
        if scope and scope not in found:
            found.append(scope)
    return found
