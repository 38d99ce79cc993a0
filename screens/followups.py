"""Follow-ups (4): the day's plan, overdue first. `/` filters by what is typed (survey
group, owner, prefecture, county, recommendation: Chinese, English or codes, every word
must match), `m` toggles mine / everyone's; both are kept for the user between sessions
(QueueChoice). From a row, `f` logs a follow-up, `z` snoozes a week, `o` reassigns;
Enter opens the task."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Header, Static

from tracker.domain.commands import SetFields, validate_owner
from tracker.domain.model import Task
from tracker.domain.pinyin import keys_of
from tracker.domain.queries import BUCKETS, bucket, followup_queue, my_owners
from tracker.i18n import _
from tracker.screens import actions
from tracker.screens.base import FILTERED_ROWS, FilteredScreen, cell, keep_cursor, status_cell
from tracker.screens.datatable import Table
from tracker.screens.forms import TextForm
from tracker.screens.task import log_followup
from tracker.screens.tasks import name_width
from tracker.screens.widgets import FilterInput, Footer
from tracker.storage.config import Personal

SNOOZE = timedelta(weeks=1)
SHOWN = 400  # rows in the table at most (the title counts them all)


class QueueChoice:
    """What the user last chose on the queue (mine or everyone's, the filter text), kept
    between sessions with the user's other per-person settings (storage.config.Personal,
    one entry per tracker user name: in service mode every user runs as the one service
    account, and each still finds their own choice)."""

    def __init__(self, user: str, path: Path | None = None) -> None:
        self.personal = Personal(user, path)

    def load(self) -> tuple[bool, str]:
        return (self.personal.get("queue_mine") == "yes",
                self.personal.get("queue_filter") or "")

    def save(self, mine: bool, text: str) -> None:
        self.personal.update({"queue_mine": "yes" if mine else "no", "queue_filter": text})


class FollowupsScreen(FilteredScreen):
    FILTERED_TABLE = "#queue"
    ACTION_SCOPE = "followups"
    BINDINGS = actions.bindings(ACTION_SCOPE)

    def __init__(self) -> None:
        super().__init__()
        self.mine = False
        self._choice: QueueChoice | None = None
        self._saved: tuple[bool, str] | None = None
        self._cache_key: Any = None
        self._haystacks: dict[str, str] = {}
        # After the user's own snooze, follow-up or reassignment, the cursor stays at this
        # row position: the queue is worked top-down, the next task moves up under it.
        self._hold_row: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="queue-title", classes="status-line")
        yield FilterInput(id="filter")
        yield Table(id="queue")
        yield Footer()

    def build(self) -> None:
        table = self.query_one("#queue", Table)
        for key in ("bucket", "next", "id", "county", "status", "owner", "last"):
            table.add_column(_(f"col.{key}"), key=key,
                             width=name_width(self.app, 10) if key == "county" else None)
        self._choice = QueueChoice(self.tracker.store.user)
        self.mine, text = self._saved = self._choice.load()
        if text:
            field = self.query_one("#filter", FilterInput)
            field.value = text
            field.show(focus=False)
        self.refresh_data()
        table.focus()

    def _haystack(self, task: Task) -> str:
        """What the filter looks in for a task: its id, county, prefecture and
        recommendation (codes, Chinese and English names) and its owner, folded."""
        view = self.tracker.view
        if self._cache_key is not view:
            self._cache_key, self._haystacks = view, {}
        found = self._haystacks.get(task.id)
        if found is None:
            county = view.plan.county(task.county)
            pref = view.plan.prefecture(county.prefecture)
            rec = view.plan.recommendation(task.recommendation)
            found = " ".join((task.id, county.code, county.name.zh, county.name.en,
                              pref.code, pref.name.zh, pref.name.en, rec.id, rec.title.zh,
                              rec.title.en, task.owner or "",
                              keys_of(county.name.zh, pref.name.zh))).casefold()
            self._haystacks[task.id] = found
        return found

    def tasks(self) -> list[Task]:
        """The queue as chosen: mine or everyone's, narrowed by every word typed."""
        owners = (my_owners(self.tracker.store.user, self.tracker.my_groups()) if self.mine
                  else None)
        queue = followup_queue(self.tracker.view, self.tracker.day(), owners=owners)
        words = self.filter_text().casefold().split()
        if words:
            queue = [t for t in queue if all(w in self._haystack(t) for w in words)]
        return queue

    def _keep_choice(self) -> None:
        choice = (self.mine, self.filter_text().strip())
        if self._choice is not None and choice != self._saved:
            self._saved = choice
            self._choice.save(*choice)

    def refresh_data(self) -> None:
        view = self.tracker.view
        today = self.tracker.day()
        tasks = self.tasks()
        words = self.filter_text().strip()
        table = self.query_one("#queue", Table)
        styles = {"overdue": "bold red", "today": "bold yellow", "week": "cyan", "later": ""}

        def fill() -> None:
            for task in tasks[:FILTERED_ROWS if self._typing and words else SHOWN]:
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
        counts = dict.fromkeys(BUCKETS, 0)
        for task in tasks:
            counts[bucket(task, today)] += 1
        title = Text(_("queue.title", who=_("queue.mine") if self.mine
                       else _("queue.everyone"), **counts), style="bold")
        text = self.filter_text().strip()
        if text:
            title.append("   ")
            title.append(_("queue.filtered", text=text), style="italic")
        self.query_one("#queue-title", Static).update(title)
        self._keep_choice()

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
