"""Modal forms: each asks for what one edit needs, validates it, and returns it.

Enter saves, Escape cancels. Validation messages come from the same parsers as the CLI
(tracker.domain.dates, tracker.domain.commands), so a bad date reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tracker.domain.dates import parse_date
from tracker.domain.errors import TrackerError
from tracker.domain.lifecycle import ALLOWED, needs_reason
from tracker.domain.model import FollowupKind, Status
from tracker.domain.plan import Plan
from tracker.domain.text import clean_text
from tracker.i18n import _
from tracker.screens import actions
from tracker.screens.base import TrackerModal, cell


class Form(TrackerModal):
    """A modal form with a title, fields, an error line and a hint line."""

    ACTION_SCOPE = "form"
    BINDINGS = actions.bindings(ACTION_SCOPE)

    def __init__(self, title: str) -> None:
        super().__init__()
        self.form_title = title
        self._initial: dict[str, str] = {}
        self._typed: dict[str, str] = {}
        self._notice: str | None = None

    def filled(self, typed: dict[str, str], notice: str | None = None) -> Form:
        """This form opened again after a refused save: its fields (by id: an Input's
        text, an OptionList's option id) hold what was typed, and ``notice`` says why
        it was refused. What was typed counts as unsaved (quitting asks first)."""
        self._typed, self._notice = dict(typed), notice
        return self

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Label(cell(self.form_title, "bold"), classes="form-title")
            yield from self.fields()
            yield Static("", classes="form-error")
            yield Label(_("form.hint"), classes="form-hint")

    def fields(self) -> ComposeResult:
        yield from ()

    # The field the cursor starts in (a selector); the first field if empty. (Not by
    # overriding on_mount: Textual runs every class's on_mount along the MRO.)
    FIRST_FIELD: ClassVar[str] = ""

    def on_mount(self) -> None:
        self._initial = {i.id or "": i.value for i in self.query(Input)}
        for field in self.query("Input, OptionList"):
            typed = self._typed.get(field.id or "")
            if typed is None:
                continue
            if isinstance(field, Input):
                field.value = typed
            elif isinstance(field, OptionList):
                ids = [field.get_option_at_index(n).id for n in range(field.option_count)]
                if typed in ids:
                    field.highlighted = ids.index(typed)
        if self._notice:
            self.query_one(".form-error", Static).update(Text.assemble(
                (clean_text(self._notice), "bold yellow"), "\n", (_("form.again"), "dim")))
        fields = self.query(self.FIRST_FIELD or "Input, OptionList")
        if fields:
            fields.first().focus()
            self.call_after_refresh(self._place_cursor)

    def _place_cursor(self) -> None:
        """Put the terminal cursor at the focused input's caret, where an input method
        opens its window. The Input does so itself on focus, but a form's first focus
        comes before the modal is laid out, when the caret has no place yet."""
        if isinstance(self.focused, Input):
            self.app.cursor_position = self.focused.cursor_screen_offset
            self.focused.refresh()

    def unsaved(self) -> bool:
        return any(i.value != self._initial.get(i.id or "", "") for i in self.query(Input))

    def show_error(self, message: str) -> None:
        self.query_one(".form-error", Static).update(Text(message, style="bold red"))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter saves, from any field, as the hint says: a field still missing is named
        by the form's checks, and the cursor goes there."""
        event.stop()
        self.submit()

    def submit(self) -> None:
        try:
            result = self.result()
        except TrackerError as error:
            self.show_error(error.message)
            return
        if result is not None:
            self.dismiss(result)

    def result(self) -> Any:
        return None

    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value


def _labelled(label: str, field: Input) -> ComposeResult:
    yield Label(label, classes="form-label")
    yield field


class TextForm(Form):
    """One line of text: a note, an owner, a reason. ``check`` may raise TrackerError
    or return the value to save."""

    def __init__(self, title: str, label: str, initial: str = "",
                 check: Callable[[str], Any] | None = None) -> None:
        super().__init__(title)
        self.label = label
        self.initial = initial
        self.check = check

    def fields(self) -> ComposeResult:
        yield from _labelled(self.label, Input(self.initial, id="text", compact=True))

    def result(self) -> Any:
        text = self.value("text")
        if self.check is not None:
            return self.check(text)
        if not text.strip():
            self.show_error(_("form.required", field=self.label))
            return None
        return text


class DateForm(Form):
    """A date in any accepted form; with ``reason_when_later``, a later date needs a
    reason (due dates)."""

    def __init__(self, title: str, initial: date | None, *, allow_today: bool = False,
                 reason_after: date | None = None) -> None:
        super().__init__(title)
        self.initial = initial
        self.reason_after = reason_after

    def fields(self) -> ComposeResult:
        yield from _labelled(_("form.date"), Input(
            self.initial.isoformat() if self.initial else "", id="date", compact=True,
            placeholder="2020-12-31 / 2020年12月31日 / +2w"))
        if self.reason_after is not None:
            yield from _labelled(_("form.reason_if_later"), Input(id="reason", compact=True))

    def result(self) -> Any:
        day = parse_date(self.value("date"), option=_("form.date"))
        if self.reason_after is None:
            return day
        reason = self.value("reason").strip()
        if day > self.reason_after and not reason:
            self.show_error(_("form.reason_needed_later"))
            self.query_one("#reason", Input).focus()
            return None
        return day, reason or None


class StatusForm(Form):
    """The moves the lifecycle allows from the current status, and a reason if needed.
    Without a current status (a bulk change, screens.bulk), every status: the store
    checks each task's move and names the one whose move needs a reason."""

    def __init__(self, task_id: str, current: Status | None, *,
                 title: str | None = None) -> None:
        super().__init__(title or _("form.status_title", task=task_id))
        self.current = current

    def fields(self) -> ComposeResult:
        if self.current is None:
            yield Label(_("col.status"), classes="form-label")
            moves = list(Status)
        else:
            yield Label(_("form.status_from", status=_(f"status.{self.current.value}")),
                        classes="form-label")
            moves = list(ALLOWED[self.current])
        yield OptionList(*[Option(_(f"status.{s.value}"), id=s.value) for s in moves],
                         id="moves", compact=True)
        yield from _labelled(_("form.reason"), Input(id="reason", compact=True))

    def _needs_reason(self, new: Status) -> bool:
        if self.current is None or not needs_reason(self.current, new) or \
                self.value("reason").strip():
            return False
        self.show_error(_("form.reason_needed", new=_(f"status.{new.value}")))
        return True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if self._needs_reason(Status(event.option.id or "")):
            self.query_one("#reason", Input).focus()
            return
        self.submit()

    def result(self) -> Any:
        moves = self.query_one("#moves", OptionList)
        if moves.highlighted is None:
            return None
        new = Status(moves.get_option_at_index(moves.highlighted).id or "")
        if self._needs_reason(new):
            return None
        return new, self.value("reason").strip() or None


class FollowupForm(Form):
    """Kind (arrows), outcome, the day it happened (today by default, as `tracker
    followup --date`), and the next date prefilled from the cadence. Enter on the kind
    list saves once an outcome is typed, else goes to the outcome."""

    def __init__(self, task_id: str, next_date: date | None,
                 today: date | None = None, *, files: bool = True) -> None:
        super().__init__(_("form.followup_title", task=task_id))
        self.next_date = next_date
        self.today = today or date.today()
        # A document follow-up may carry the document's file (a path on this machine);
        # not in service mode, where a path would name a file of the server's.
        self.files = files

    def fields(self) -> ComposeResult:
        yield Label(_("form.kind"), classes="form-label")
        yield OptionList(*[Option(_(f"kind.{k.value}"), id=k.value) for k in FollowupKind],
                         id="kind", compact=True)
        yield from _labelled(_("form.outcome"), Input(id="outcome", compact=True))
        yield from _labelled(_("form.when"), Input(self.today.isoformat(), id="on",
                                                    compact=True))
        yield from _labelled(_("form.next"), Input(
            self.next_date.isoformat() if self.next_date else "", id="next", compact=True))
        if self.files:
            yield from _labelled(_("form.attachment"), Input(
                id="attachment", compact=True, placeholder=_("form.attachment_placeholder")))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#kind", OptionList).highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if self.value("outcome").strip():
            self.submit()
        else:
            self.query_one("#outcome", Input).focus()

    def result(self) -> Any:
        kinds = self.query_one("#kind", OptionList)
        kind = FollowupKind(kinds.get_option_at_index(kinds.highlighted or 0).id or "call")
        outcome = self.value("outcome").strip()
        if not outcome:
            self.show_error(_("form.required", field=_("form.outcome")))
            self.query_one("#outcome", Input).focus()
            return None
        when = self.value("on").strip()
        on = parse_date(when, today=self.today, option=_("form.when")) if when else self.today
        text = self.value("next").strip()
        next_date = parse_date(text, today=self.today, option=_("form.next")) if text else None
        attachment = self.value("attachment").strip() if self.files else ""
        if attachment and kind is not FollowupKind.DOCUMENT:
            self.show_error(_("form.attachment_document_only"))
            self.query_one("#attachment", Input).focus()
            return None
        return kind, outcome, next_date, on, attachment or None


class MeasureForm(Form):
    """A county's figure: what (a fact or indicator id, or its title in either language),
    the value, the day it is as of (today if left empty) and its source, read by the
    same parsers as `tracker measure` (the store then checks part <= whole)."""

    FIRST_FIELD = "#value"  # the figure is prefilled from where the form was opened

    def __init__(self, title: str, plan: Plan, key: str, today: date) -> None:
        super().__init__(title)
        self.plan = plan
        self.key = key
        self.today = today

    def fields(self) -> ComposeResult:
        yield from _labelled(_("form.indicator"), Input(self.key, id="indicator",
                                                         compact=True))
        yield from _labelled(_("form.value"), Input(id="value", compact=True))
        yield from _labelled(_("form.date"), Input(self.today.isoformat(), id="date",
                                                    compact=True))
        yield from _labelled(_("form.source"), Input(id="source", compact=True))

    def result(self) -> Any:
        from tracker.domain.commands import parse_value
        from tracker.domain.queries import resolve_indicator

        key = resolve_indicator(self.plan, self.value("indicator"))
        value = parse_value(self.plan, key, self.value("value"), today=self.today)
        text = self.value("date").strip()
        on = parse_date(text, today=self.today, option=_("form.date")) if text else self.today
        return key, value, on, self.value("source").strip() or None


class ConfirmQuit(Form):
    ACTION_SCOPE = "confirm_quit"
    BINDINGS = actions.bindings(ACTION_SCOPE)

    def __init__(self) -> None:
        super().__init__(_("form.quit_title"))

    def fields(self) -> ComposeResult:
        yield Label(_("form.quit_question"), classes="form-label")

    def action_yes(self) -> None:
        self.dismiss(True)


def has_unsaved_input(screen: Screen[Any]) -> bool:
    return isinstance(screen, Form) and screen.unsaved()
