"""Follow-ups (4): what is due, overdue first. `m` toggles mine / everyone's; from a row,
`f` logs a follow-up, `z` snoozes a week, `o` reassigns; Enter opens the task."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Header, Static

from tracker.domain.commands import SetFields, validate_owner
from tracker.domain.model import Task
from tracker.domain.queries import bucket, my_owners
from tracker.i18n import _
from tracker.screens import actions
from tracker.screens.base import TrackerScreen, cell, keep_cursor, status_cell
from tracker.screens.datatable import Table
from tracker.screens.forms import TextForm
from tracker.screens.task import log_followup
from tracker.screens.tasks import name_width
from tracker.screens.widgets import Footer

SNOOZE = timedelta(weeks=1)


class FollowupsScreen(TrackerScreen):
    ACTION_SCOPE = "followups"
    BINDINGS = actions.bindings(ACTION_SCOPE)

    def __init__(self) -> None:
        super().__init__()
        self.mine = False
        # After the user's own snooze, follow-up or reassignment, the cursor stays at this
        # row position: the queue is worked top-down, the next task moves up under it.
        self._hold_row: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="queue-title", classes="status-line")
        yield Table(id="queue")
        yield Footer()

    def build(self) -> None:
        table = self.query_one("#queue", Table)
        for key in ("bucket", "next", "id", "county", "status", "owner", "last"):
            table.add_column(_(f"col.{key}"), key=key,
                             width=name_width(self.app, 10) if key == "county" else None)
        self.refresh_data()
        table.focus()

    def tasks(self) -> list[Task]:
        view = self.tracker.view
        owners = (my_owners(self.tracker.store.user, self.tracker.my_groups()) if self.mine
                  else None)
        due = [t for t in view.tasks() if t.status.is_open and t.next_followup is not None
               and (owners is None or (t.owner or "").lower() in owners)]
        due.sort(key=lambda t: (t.next_followup, t.id))
        return due

    def refresh_data(self) -> None:
        view = self.tracker.view
        today = self.tracker.day()
        tasks = self.tasks()
        table = self.query_one("#queue", Table)
        styles = {"overdue": "bold red", "today": "bold yellow", "week": "cyan", "later": ""}

        def fill() -> None:
            for task in tasks[:400]:
                when = bucket(task, today)
                last = task.last_followup
                table.add_row(Text(_(f"bucket.{when}"), style=styles[when]),
                              cell(task.next_followup), task.id,
                              cell(view.plan.county(task.county).name.get()),
                              status_cell(task.status), cell(task.owner),
                              cell(f"{last.date} {_(f'kind.{last.kind.value}')}" if last
                                   else None), key=task.id)

        keep_cursor(table, fill, row=self._hold_row)
        self._hold_row = None
        counts = {b: 0 for b in ("overdue", "today", "week", "later")}
        for task in tasks:
            counts[bucket(task, today)] += 1
        self.query_one("#queue-title", Static).update(Text(_(
            "queue.title", who=_("queue.mine") if self.mine else _("queue.everyone"),
            **counts), style="bold"))

    def _current(self) -> Task | None:
        table = self.query_one("#queue", Table)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.tracker.view.task(str(key))

    def _stay(self) -> Any:
        """An ``on_done`` for an edit from the current row: once it is saved, the refresh
        that follows keeps the cursor at this row position, not on the moved task."""
        row = self.query_one("#queue", Table).cursor_row

        def done(error: Any) -> None:
            if error is None:
                self._hold_row = row

        return done

    def action_mine(self) -> None:
        self.mine = not self.mine
        self.refresh_data()

    def action_followup(self) -> None:
        task = self._current()
        if task:
            log_followup(self.tracker, task, self._stay())

    def action_snooze(self) -> None:
        task = self._current()
        if task and self.tracker.can_edit(task=task.id, action="snooze"):
            start = max(task.next_followup or self.tracker.today(), self.tracker.today())
            self.tracker.submit([SetFields(task.id, {"next_followup": start + SNOOZE},
                                           task.version, _("queue.snoozed"))],
                                self._stay(), action="snooze")

    def action_reassign(self) -> None:
        task = self._current()
        if not task or not self.tracker.can_edit(task=task.id, action="reassign"):
            return
        groups, user = self.tracker.view.survey_groups, self.tracker.store.user
        known = self.tracker.store.owner_known
        stay = self._stay()

        def chosen(owner: Any) -> None:
            if owner is not None:
                self.tracker.submit([SetFields(task.id, {"owner": owner[0]}, task.version)],
                                    stay, action="reassign")

        self.app.push_screen(TextForm(_("form.owner_title", task=task.id), _("form.owner"),
                                      task.owner or "",
                                      lambda text: (validate_owner(text, groups, user,
                                                                    known_account=known),)),
                             chosen)

    def on_data_table_row_selected(self, event: Table.RowSelected) -> None:
        from tracker.screens.task import TaskScreen

        self.app.push_screen(TaskScreen(str(event.row_key.value)))
