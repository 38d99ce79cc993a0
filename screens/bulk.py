"""Bulk changes in the task lists (the county and recommendation screens): Space marks
rows (the table's title counts them); s, o, d, x and z change status, owner, due date
(one reason for all), next follow-up and snooze of every marked row (of the row under
the cursor when none is marked). What would change is shown first, checked as the
store will check it (tracker.storage.store.Store.preview: role, limits, lifecycle);
y or Enter applies it in one write, all or nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rich.text import Text

from tracker.domain.commands import SetFields, changes_anything, validate_owner
from tracker.domain.errors import TrackerError
from tracker.domain.model import Task
from tracker.formats.lines import preview_lines
from tracker.i18n import _
from tracker.screens.forms import DateForm, StatusForm, TextForm
from tracker.screens.imports import ImportReview
from tracker.screens.tasks import TaskTable

SNOOZE = timedelta(days=7)
PREVIEW_LINES = 200  # lines of a preview shown (the rest are counted)


class BulkStatusForm(StatusForm):
    """Any status, and a reason (the lifecycle asks for one on some moves: the store
    names the task whose move needs it)."""

    def __init__(self, count: int) -> None:
        super().__init__("", None, title=_("bulk.preview_title", count=count))


class BulkReview(ImportReview):
    """What a bulk change would do; y or Enter applies it."""

    HINT = "bulk.review_hint"


class BulkMarks:
    """For a screen with a TaskTable (``BULK_TABLE``, a selector): marking and the bulk
    actions. The screen's ``refresh_data`` redraws the table, marks included."""

    BULK_TABLE = ""

    def _bulk_table(self) -> TaskTable:
        return self.query_one(self.BULK_TABLE, TaskTable)  # type: ignore[attr-defined]

    def show_marks(self) -> None:
        table = self._bulk_table()
        count = len(table.marked)
        table.title = Text(_("bulk.marked", count=count), style="bold") if count else None
        table.refresh(layout=True)

    def action_mark(self) -> None:
        table = self._bulk_table()
        key = table.current_task()
        if key is None:
            return
        table.marked ^= {key}
        self.refresh_data()  # type: ignore[attr-defined]
        self.show_marks()
        table.move_cursor(row=table.cursor_row + 1)

    def action_unmark_all(self) -> None:
        self._bulk_table().marked.clear()
        self.refresh_data()  # type: ignore[attr-defined]
        self.show_marks()

    def _targets(self) -> list[Task]:
        table = self._bulk_table()
        view = self.tracker.view  # type: ignore[attr-defined]
        current = table.current_task()
        ids = [key for key in table.row_keys() if key in table.marked] or \
            ([current] if current else [])
        return [view.task(task_id) for task_id in ids]

    def _bulk(self, action: str, form: Any, changes: Any) -> None:
        """Ask with ``form`` (for the tasks), then preview and apply ``changes(result,
        task)`` -> (fields, comment) for every task."""
        tracker = self.tracker  # type: ignore[attr-defined]
        tasks = self._targets()
        if not tasks or not tracker.can_edit(action=action):
            return

        def chosen(result: Any) -> None:
            if not result:
                return
            commands = []
            for task in tasks:
                fields, comment = changes(result, task)
                doc = tracker.view.task_doc(task.id)
                if changes_anything(doc, fields):
                    commands.append(SetFields(task.id, fields, task.version, comment))
            self._review(action, commands, len(tasks))

        self.app.push_screen(form(tasks), chosen)  # type: ignore[attr-defined]

    def _review(self, action: str, commands: list[Any], count: int) -> None:
        tracker = self.tracker  # type: ignore[attr-defined]
        if not commands:
            tracker.notify(_("bulk.nothing_to_change"), markup=False)
            return
        try:
            events = tracker.store.preview(*commands, tables=tracker.view.tables)
        except TrackerError as error:
            tracker.notify(_("bulk.refused", count=len(commands), reason=error.message),
                           severity="error", timeout=10, markup=False)
            return
        lines = preview_lines(events)
        if len(lines) > PREVIEW_LINES:
            lines = [*lines[:PREVIEW_LINES],
                     _("bulk.preview_more", count=len(lines) - PREVIEW_LINES)]
        done_count = len(commands)

        def applied(error: TrackerError | None) -> None:
            if error is None:
                self._bulk_table().marked.clear()
                self.show_marks()
                tracker.notify(_("bulk.applied", count=done_count), markup=False)

        def confirmed(yes: Any) -> None:
            if yes:
                tracker.submit(commands, applied, action=action)

        self.app.push_screen(BulkReview(  # type: ignore[attr-defined]
            _("bulk.preview_title", count=done_count), lines,
            _("bulk.apply", count=done_count), can_apply=True), confirmed)

    # -- the five changes ----------------------------------------------------------------
    def action_bulk_status(self) -> None:
        self._bulk("bulk_status", lambda tasks: BulkStatusForm(len(tasks)),
                   lambda result, task: ({"status": result[0]}, result[1]))

    def action_bulk_owner(self) -> None:
        tracker = self.tracker  # type: ignore[attr-defined]
        groups, user = tracker.view.survey_groups, tracker.store.user
        known = tracker.store.owner_known
        self._bulk("bulk_owner", lambda tasks: TextForm(
                       _("bulk.preview_title", count=len(tasks)), _("form.owner"), "",
                       lambda text: (validate_owner(text, groups, user,
                                                    known_account=known),)),
                   lambda owner, task: ({"owner": owner[0]}, None))

    def action_bulk_due(self) -> None:
        def form(tasks: list[Task]) -> DateForm:
            earliest = min((t.due for t in tasks if t.due), default=date.max)
            return DateForm(_("bulk.preview_title", count=len(tasks)), None,
                            reason_after=earliest)

        self._bulk("bulk_due", form,
                   lambda result, task: ({"due": result[0]}, result[1]))

    def action_bulk_next(self) -> None:
        self._bulk("bulk_next",
                   lambda tasks: DateForm(_("bulk.preview_title", count=len(tasks)), None),
                   lambda day, task: ({"next_followup": day}, None))

    def action_bulk_snooze(self) -> None:
        tracker = self.tracker  # type: ignore[attr-defined]
        tasks = self._targets()
        if not tasks or not tracker.can_edit(action="bulk_snooze"):
            return
        today = tracker.today()
        commands = [SetFields(t.id, {"next_followup": max(t.next_followup or today, today)
                                     + SNOOZE}, t.version, _("queue.snoozed"))
                    for t in tasks]
        self._review("bulk_snooze", commands, len(tasks))
