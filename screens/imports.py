"""The import review: what a file would change (y or Enter imports it, Escape cancels),
or, for a file that cannot be imported, every problem found, plainly."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from tracker.domain.text import clean_text
from tracker.i18n import _
from tracker.screens import actions
from tracker.screens.forms import Form


class ImportReview(Form):
    DEFAULT_CSS = """
    ImportReview .form { width: 100; }
    ImportReview .import-lines { height: auto; max-height: 20; background: $boost; }
    """

    ACTION_SCOPE = "import_review"
    BINDINGS = actions.bindings(ACTION_SCOPE)
    # What y does, said in the hint line. A subclass names its own here, not in an
    # on_mount of its own: Textual runs every class's on_mount along the MRO, this one
    # last, so a hint set in a subclass's on_mount is overwritten (the bulk preview said
    # "y or Enter imports").
    HINT: ClassVar[str] = "import.review_hint"

    def __init__(self, title: str, lines: list[str], summary: str, *,
                 can_apply: bool) -> None:
        super().__init__(title)
        self.lines = lines
        self.summary = summary
        self.can_apply = can_apply

    def fields(self) -> ComposeResult:
        with VerticalScroll(classes="import-lines"):
            # File names and cells are data: literal text, control characters removed.
            yield Static(Text(clean_text("\n".join(self.lines))), id="import-lines")
        yield Label(Text(clean_text(self.summary)), classes="form-label", id="import-summary")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(".import-lines").focus()
        hint = self.HINT if self.can_apply else "import.problems_hint"
        self.query_one(".form-hint", Label).update(_(hint))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.can_apply or action != "yes"

    def action_yes(self) -> None:
        self.dismiss(True)
