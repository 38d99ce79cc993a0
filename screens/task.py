"""Task (Enter on any task row): every field, edited in place; notes and follow-ups;
the task's history with who and when."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.table import Table as RichTable
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Header, Static

from tracker.domain.commands import AddNote, LogFollowup, Measure, SetFields, validate_owner
from tracker.domain.dates import next_followup
from tracker.domain.errors import ConflictError, NotFoundError, TrackerError
from tracker.domain.model import Task
from tracker.domain.progress import county_value, threshold_text
from tracker.domain.state import StateView
from tracker.domain.text import clean_text
from tracker.formats.terminal import county_value_text, describe_event, task_fields, task_timeline
from tracker.glyphs import shown
from tracker.i18n import _
from tracker.screens import actions
from tracker.screens.base import TrackerScreen, cell, keep_cursor, status_cell
from tracker.screens.datatable import Table
from tracker.screens.forms import DateForm, FollowupForm, MeasureForm, StatusForm, TextForm
from tracker.screens.widgets import Footer, SectionTitle


class TaskScreen(TrackerScreen):
    ACTION_SCOPE = "task"
    BINDINGS = actions.bindings(ACTION_SCOPE)

    def __init__(self, task_id: str) -> None:
        super().__init__()
        self.task_id = task_id

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="task-scroll"):
            yield Static(id="task-title")
            yield Static(id="task-fields")
            yield SectionTitle(_("show.timeline"))
            yield Static(id="task-timeline")
            # After the notes and follow-ups (the day's work), before the history.
            yield SectionTitle(_("show.measurements"))
            yield Static(id="task-measures")
            yield SectionTitle(_("show.history"))
            yield Table(id="task-history")
        yield Footer()

    def build(self) -> None:
        self.query_one("#task-history", Table).add_columns(
            _("col.when"), _("col.who"), _("col.change"), _("col.comment"))
        self.refresh_data()

    @property
    def current(self) -> Task:
        """The task as the view shows it now (not ``task``: MessagePump.task is Textual's)."""
        return self.tracker.view.task(self.task_id)

    def refresh_data(self) -> None:
        view = self.tracker.view
        try:
            task = self.current
        except NotFoundError:
            self.query_one("#task-title", Static).update(
                Text(_("task.unknown", task=self.task_id), style="red"))
            return
        county = view.plan.county(task.county)
        prefecture = view.plan.prefecture(county.prefecture)
        rec = view.plan.recommendation(task.recommendation)
        day = self.tracker.day()
        title = Text(f"{task.id}  ", style="bold")
        title.append(clean_text(f"{prefecture.name.get()} / {county.name.get()} · "
                                f"{rec.id} {rec.title.get()}"))
        self.query_one("#task-title", Static).update(title)
        grid = RichTable.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for key, value in task_fields(task, day, status_cell(task.status)):
            grid.add_row(_(f"col.{key}"), value)
        for revision in task.due_revisions:
            grid.add_row("", cell(f"{revision.at:%Y-%m-%d} {revision.by}: {revision.previous}"
                                  f" → {revision.due}  {revision.reason or ''}", "dim"))
        self.query_one("#task-fields", Static).update(grid)
        self.query_one("#task-measures", Static).update(measures_text(view, task, day))
        self._load_history(task.id)
        self._reopen()

    @work(thread=True, exclusive=True, group="task-history")
    def _load_history(self, task_id: str) -> None:
        """The task's events, read off the journal in a worker (a long history must not
        stall the screen): its notes and follow-ups, and its changes."""
        events = self.tracker.view.task_events(task_id)
        # A message, not call_from_thread: if the screen has closed meanwhile, it is
        # dropped rather than drawn into widgets that are gone.
        self.post_message(self.HistoryRead(events))

    class HistoryRead(Message):
        def __init__(self, events: list[dict[str, Any]]) -> None:
            super().__init__()
            self.events = events

    def on_task_screen_history_read(self, message: TaskScreen.HistoryRead) -> None:
        events = message.events
        text = Text("\n").join(task_timeline(events))
        self.query_one("#task-timeline", Static).update(text or Text(_("task.no_notes"),
                                                                     style="dim"))
        history = self.query_one("#task-history", Table)
        plan = self.tracker.view.plan

        def fill() -> None:
            for event in reversed(events):
                history.add_row(event["ts"][:16].replace("T", " "), cell(event["user"]),
                                cell(describe_event(event, plan)),
                                cell(event.get("comment")), key=str(event["seq"]))

        keep_cursor(history, fill)

    # -- edits ---------------------------------------------------------------------------
    # A form opens on the task as it stands; its save is based on that version, so that a
    # colleague's save meanwhile to the same field (even one already reloaded on screen) is
    # refused, not silently overwritten. After a refusal the screen reloads and the same
    # form opens again with what was typed and the refusal, which names the new value: a
    # second Enter saves it over that value (now seen), Escape keeps the colleague's.
    _retry: tuple[Any, dict[str, str], str] | None = None

    def _edit(self, form: Any, changes: Any, *, action: str,
              typed: dict[str, str] | None = None, notice: str | None = None) -> None:
        """Open ``form(task)`` (filled with ``typed``, showing ``notice``); its result
        ``changes(result)`` gives (fields, comment, what to type again on a refusal)."""
        if not self.tracker.can_edit(task=self.task_id, action=action):
            return
        task = self.current

        def chosen(result: Any) -> None:
            if not result:
                return
            fields, comment, again = changes(result)

            def done(error: TrackerError | None) -> None:
                if isinstance(error, ConflictError):
                    self._retry = (lambda t, n: self._edit(form, changes, action=action,
                                                           typed=t, notice=n),
                                   again, error.message)
                    self.tracker.reload()  # refresh_data reopens the form

            self.tracker.submit([SetFields(task.id, fields, task.version, comment)], done,
                                action=action)

        self.app.push_screen(form(task).filled(typed or {}, notice), chosen)

    def _reopen(self) -> None:
        """The form of a refused edit, again, once the view shows what it was refused for."""
        if self._retry is not None and self.is_current:
            reopen, typed, notice = self._retry
            self._retry = None
            reopen(typed, notice)

    def _done(self, error: TrackerError | None) -> None:
        """Notes and follow-ups add to the task: nothing of theirs can conflict."""

    def action_status(self) -> None:
        self._edit(lambda task: StatusForm(task.id, task.status),
                   lambda result: ({"status": result[0]}, result[1],
                                   {"moves": result[0].value, "reason": result[1] or ""}),
                   action="status")

    def action_owner(self) -> None:
        groups, user = self.tracker.view.survey_groups, self.tracker.store.user
        known = self.tracker.store.owner_known
        self._edit(lambda task: TextForm(
                       _("form.owner_title", task=task.id), _("form.owner"), task.owner or "",
                       lambda text: (validate_owner(text, groups, user, known_account=known),)),
                   lambda owner: ({"owner": owner[0]}, None, {"text": owner[0] or ""}),
                   action="owner")

    def action_due(self) -> None:
        self._edit(lambda task: DateForm(_("form.due_title", task=task.id), task.due,
                                         reason_after=task.due or date.max),
                   lambda result: ({"due": result[0]}, result[1],
                                   {"date": result[0].isoformat(), "reason": result[1] or ""}),
                   action="due")

    def action_next(self) -> None:
        self._edit(lambda task: DateForm(_("form.next_title", task=task.id),
                                         task.next_followup),
                   lambda day: ({"next_followup": day}, None, {"date": day.isoformat()}),
                   action="next")

    def action_note(self) -> None:
        if not self.tracker.can_edit(task=self.task_id, action="note"):
            return
        task = self.current

        def chosen(text: Any) -> None:
            if text:
                self.tracker.submit([AddNote(task.id, text)], self._done, action="note")

        self.app.push_screen(TextForm(_("form.note_title", task=task.id), _("form.note")),
                             chosen)

    def action_followup(self) -> None:
        log_followup(self.tracker, self.current, self._done)

    def action_measure(self) -> None:
        task = self.current
        record_measure(self.tracker, task.county, first_key(self.tracker.view,
                                                            task.recommendation))


MEASURES_SHOWN = 5  # a key's latest measurements on the task screen (the CLI shows all)


def measures_text(view: StateView, task: Task, day: date) -> Text:
    """Each indicator of the task's recommendation: met or not, the county's latest value
    against the threshold, and the latest measurements behind it, newest first."""
    plan = view.plan
    lines: list[Text] = []
    for indicator in (i for i in plan.indicators if i.recommendation == task.recommendation):
        standing = county_value(view, task.county, indicator, day)
        mark, style = {True: (shown("✔"), "green"), False: (shown("✗"), "red"),
                       None: ("?", "dim")}[standing.met]
        line = Text(f"{mark} ", style=style)
        line.append(clean_text(indicator.title.get(), single_line=True), style="bold")
        line.append(f"  {county_value_text(indicator, standing)}")
        row: Any = _Row(indicator)  # threshold_text reads only the row's indicator
        line.append(f"  ({_('col.threshold')} {threshold_text(row)})", style="dim")
        lines.append(line)
        for key in indicator.derived_from or (indicator.id,):
            # A fact behind a computed target is named; the target's own value is not.
            name = f"{plan.fact(key).title.get()}  " if indicator.derived_from else ""
            for m in reversed(view.measurements(task.county, key)[-MEASURES_SHOWN:]):
                lines.append(cell(f"    {m.date}  {name}{_measure_value(m.value)}  "
                                  f"{m.source or ''}  {m.by}", "dim"))
    if not lines:
        return Text(_("task.no_measures"), style="dim")
    text = Text("\n").join(lines)
    text.no_wrap, text.overflow = True, "ellipsis"  # one line each, at 80 columns too
    return text


def _measure_value(value: Any) -> str:
    if isinstance(value, bool):
        return _("value.yes") if value else _("value.no")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class _Row:
    """What threshold_text reads of a target row: its indicator."""

    def __init__(self, indicator: Any) -> None:
        self.indicator = indicator


def first_key(view: StateView, rec: str) -> str:
    """What a figure for ``rec`` most likely is: the first fact behind its first
    indicator (or that indicator); the plan's headline target's otherwise."""
    plan = view.plan
    indicator = next((i for i in plan.indicators if i.recommendation == rec),
                     plan.indicators[0])
    return (indicator.derived_from or (indicator.id,))[0]


def record_measure(app: Any, county: str, key: str, on_done: Any = None) -> None:
    """The figure form for ``county``: the same checks as `tracker measure`, the same
    value on the same day changes nothing (and says so), the store enforces the rest."""
    if not app.can_edit(county=county, action="measure"):
        return
    today = app.today()
    name = app.view.plan.county(county).name.get()

    def chosen(result: Any) -> None:
        if not result:
            return
        key, value, on, source = result
        same = [m for m in app.view.measurements(county, key) if m.date == on]
        if same and same[-1].value == value:
            app.notify(_("measure.same", county=name, key=key, value=str(value),
                         date=on.isoformat()), markup=False)
            return
        app.submit([Measure(county, key, value, on, source)], on_done, action="measure")

    app.push_screen(MeasureForm(_("form.measure_title", county=name), app.view.plan, key,
                                today), chosen)


def log_followup(app: Any, task: Task, on_done: Any = None) -> None:
    """The follow-up form, its next date prefilled along the task's cadence."""
    if not app.can_edit(task=task.id, action="followup"):
        return
    today = app.today()
    prefill = task.next_followup
    if task.cadence:
        try:
            prefill = next_followup(task.cadence, task.next_followup, today)
        except TrackerError as error:  # a rule that has run out: the user types a date
            app.notify(error.message, severity="warning", markup=False)

    def chosen(result: Any) -> None:
        if result:
            kind, outcome, next_date, on, attachment = result
            command = LogFollowup(task.id, kind, outcome, next=next_date, on=on,
                                  seen_version=task.version)
            if attachment:  # the document's file: stored, and recorded in the same write
                app.submit_attachment(task.id, attachment, [command], on_done,
                                      action="followup")
            else:
                app.submit([command], on_done, action="followup")

    app.push_screen(FollowupForm(task.id, prefill, today, files=not app.service), chosen)
