"""The Textual app: wires the screens to the store.

Screens read ``app.view`` (a StateView: current, or rebuilt as of a date) and send
commands through ``app.submit``; nothing here or in screens/ touches TinyDB. Blocking
work (loading, locking, fsync) runs in thread workers that report back by message.
Another process's save is noticed by a once-a-second poll of two ``stat`` calls; the
app then reloads, tells the screens to refresh in place, and names who changed what.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from tracker import runtime, screens
from tracker.domain.errors import TrackerError
from tracker.domain.roles import EDITOR, Access, Scope, describe_limits, require
from tracker.domain.state import StateView
from tracker.domain.text import clean_text
from tracker.i18n import _, get_language, set_language
from tracker.screens import actions
from tracker.screens.base import TrackerScreen
from tracker.screens.dashboard import DashboardScreen
from tracker.screens.palette import NavigationProvider
from tracker.storage.store import Store

if TYPE_CHECKING:
    from tracker.domain.commands import Command

POLL_SECONDS = 1.0
# Palette actions that read or write a file on the server: not in service mode.
SERVICE_NO_FILES = frozenset({"import", "export", "screenshot"})


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), the month's last if it is shorter."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


class DataChanged(Message):
    """The store has a new state (someone saved, or the as-of date moved)."""

    def __init__(self, view: StateView, token: Any, events: list[dict[str, Any]],
                 access: Access) -> None:
        super().__init__()
        self.view = view
        self.token = token
        self.events = events
        self.access = access


class CommandDone(Message):
    """A command the user submitted was applied (``error`` is None) or refused."""

    def __init__(self, events: list[dict[str, Any]], error: TrackerError | None,
                 on_done: Callable[[TrackerError | None], None] | None) -> None:
        super().__init__()
        self.events = events
        self.error = error
        self.on_done = on_done


class ImportChecked(Message):
    """A file to import was read and checked: ``batch`` to review, or ``error``."""

    def __init__(self, path: str, batch: Any, error: TrackerError | None) -> None:
        super().__init__()
        self.path = path
        self.batch = batch
        self.error = error


class TrackerApp(App[None]):
    CSS_PATH = str(Path(screens.__file__).with_name("app.tcss"))
    TITLE = "tracker"
    COMMANDS = App.COMMANDS | {NavigationProvider}

    BINDINGS = actions.bindings(actions.APP)  # the palette's key included

    def __init__(self, store: Store, *, lang: str | None = None, start: str | None = None,
                 as_of: date | None = None, service: bool = False,
                 theme: str | None = None, ascii_mode: bool = False,
                 config_file: Path | None = None) -> None:
        from tracker.storage.config import Personal

        # Service mode: one account for everyone, so the theme and language are each
        # tracker user's own (Personal); else the theme goes to the user's config file.
        self.personal = Personal(store.user) if service else None
        if self.personal is not None:
            lang = lang or self.personal.get("language")
            theme = self.personal.get("theme") or theme
        if lang:
            set_language(lang)
        super().__init__()
        self.ascii_mode = ascii_mode  # glyphs: tracker.glyphs (the trend reads it too)
        if ascii_mode:
            from tracker import glyphs

            glyphs.use_ascii(True)
        self.config_file = config_file
        if theme and theme in self.available_themes:
            self.theme = theme
        self.store = store
        # Service mode (`ssh tracker`): the app runs as the service account, so a path
        # typed into it would be read or written on the server by that account. Files
        # cross by standard streams instead (`ssh tracker export -o - > f`).
        self.service = service
        # Writes go through a store of their own: applying a command changes its copy
        # of the state in a worker thread, which must not be the copy the screens are
        # reading at that moment. The screens' store rereads the file after each save.
        self.writer = Store(store.path, clock=store.clock, lazy=True)
        self.writer.user = store.user
        self.start = start
        self.as_of = as_of
        self.view: StateView = store.view(as_of)
        self.access: Access = store.access()  # the user's role, from the current state
        self._token = store.token()
        self._load_error: str | None = None
        self._seen_size = self._token[0]

    # -- start-up ------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._update_title()
        self.push_screen(self._home())
        if self.start:
            self.open_target(self.start)
        self.set_interval(POLL_SECONDS, self._poll)
        self.call_after_refresh(self._settle_gc)
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    def _remember_theme(self, theme: Any) -> None:
        """The theme chosen is kept: per tracker user in service mode, else in the
        user's config file (``theme = "..."``). Best effort: never an error."""
        import contextlib

        name = getattr(theme, "name", None)
        if not isinstance(name, str):
            return
        if self.personal is not None:
            self.personal.set("theme", name)
        elif self.config_file is not None:
            from tracker.storage.config import remember

            with contextlib.suppress(OSError, UnicodeDecodeError):
                remember(self.config_file, "theme", name)

    def _settle_gc(self) -> None:
        """The first frame is up: end the start's GC pause (`tracker` begins it before it
        reads the store) and keep the loaded state out of the collector's way."""
        runtime.end_app_start()
        runtime.freeze_loaded()
        self._warm_pinyin()

    @work(thread=True, group="pinyin")
    def _warm_pinyin(self) -> None:
        """The plan's Chinese names in pinyin (tracker.domain.pinyin), once the first
        frame is up: the first filter or sort by name then need not load pypinyin."""
        from tracker.domain.pinyin import warm

        plan = self.view.plan
        warm([c.name.zh for c in plan.counties] + [p.name.zh for p in plan.prefectures])

    def on_unmount(self) -> None:
        runtime.thaw()

    def _home(self) -> Screen[Any]:
        return DashboardScreen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys typed right after `/` are filter text (see screens.base.FilteredScreen),
        not the app's commands (a `q` there must not quit). "Back to today" is there
        only when looking at another date."""
        screen = self.screen
        if isinstance(screen, TrackerScreen) and screen.takes_text():
            return False
        if action == "today":
            return self.as_of is not None
        return True

    def today(self) -> date:
        return self.store.clock().date()

    def day(self) -> date:
        """The date the app looks at: the as-of date, or today."""
        return self.as_of or self.today()

    def _update_title(self) -> None:
        parts = [_("app.title")]
        if self.view.demo:
            parts.append(_("app.demo"))
        self.title = " · ".join(parts)
        when = (_("app.as_of", date=self.as_of.isoformat()) if self.as_of
                else _("app.today", date=self.today().isoformat()))
        self.sub_title = f"{when} · {self.role_text()}"

    def role_text(self) -> str:
        """The user's role as the title shows it: "role: editor (prefectures 211400)"."""
        access = self.access
        if access.limited:
            return _("app.role_limited", limits=describe_limits(access.prefectures,
                                                                access.groups))
        return _("app.role", role=_(f"role.name.{access.role}"))

    # -- editing -------------------------------------------------------------------------
    def may_edit(self) -> bool:
        """Whether the user's role lets them edit at all (editor or admin)."""
        return self.access.allows(EDITOR)

    def allows(self, role: str) -> bool:
        """Whether the user's role is ``role`` or above (screens.actions' ``role``)."""
        return self.access.allows(role)

    def can_edit(self, *, task: str | None = None, county: str | None = None,
                 action: str) -> bool:
        """May the user run ``action`` (an id in screens.actions) now? Editing is for
        the current state only, for the role the action needs, within an editor's
        limits; says why not when it is refused (the store checks again)."""
        if self.as_of is not None:
            self.notify(_("app.read_only_as_of", date=self.as_of.isoformat()),
                        severity="warning", markup=False)
            return False
        access = self.access
        entry = actions.BY_ID[action]
        if not access.allows(entry.role):
            try:
                require(access, entry.role, entry.refusal)
            except TrackerError as refusal:
                self.notify(refusal.message, title=_("app.not_allowed"), severity="warning",
                            timeout=8, markup=False)
            return False
        if access.limited and (task or county):
            try:
                Scope(access, self.view.tables, self.view.index).check(task=task,
                                                                       county=county)
            except TrackerError as refusal:
                self.notify(refusal.message, title=_("app.not_allowed"), severity="warning",
                            timeout=8, markup=False)
                return False
        return True

    def submit(self, commands: Sequence[Command],
               on_done: Callable[[TrackerError | None], None] | None = None, *,
               action: str) -> None:
        """Apply ``commands`` all or nothing, in one write, in a worker; ``on_done(error)``
        is called on the UI thread. ``action`` (an id in screens.actions) is what the
        user asked for: the early check's role and wording (the store checks again)."""
        if not self.can_edit(action=action):
            return
        self._apply(list(commands), on_done)

    @work(thread=True, group="apply")
    def _apply(self, commands: list[Command],
               on_done: Callable[[TrackerError | None], None] | None) -> None:
        try:
            result = self.writer.apply(*commands)
        except TrackerError as error:
            self.post_message(CommandDone([], error, on_done))
            return
        self.post_message(CommandDone(result.events, None, on_done))

    def submit_attachment(self, task: str, path: str, before: Sequence[Command],
                          on_done: Callable[[TrackerError | None], None] | None = None, *,
                          action: str) -> None:
        """Store the file at ``path`` (this machine's: never in service mode) and record
        it for ``task`` after ``before`` (its follow-up), in one write, in a worker."""
        if self.service or not self.can_edit(task=task, action=action):
            return
        self._store_attachment(task, path, list(before), on_done)

    @work(thread=True, group="apply")
    def _store_attachment(self, task: str, path: str, before: list[Command],
                          on_done: Callable[[TrackerError | None], None] | None) -> None:
        from pathlib import Path

        from tracker.storage.attachments import open_source

        try:
            with open_source(path) as handle:
                result = self.writer.attach(task, handle, Path(path).name, before=before)
        except TrackerError as error:
            self.post_message(CommandDone([], error, on_done))
            return
        self.post_message(CommandDone(result.events, None, on_done))

    def on_command_done(self, message: CommandDone) -> None:
        if message.error is not None:
            self.notify(message.error.message, severity="error", timeout=10, markup=False)
        if message.on_done is not None:
            message.on_done(message.error)
        if message.error is None:
            self.reload()

    # -- undo --------------------------------------------------------------------------
    def action_undo(self) -> None:
        """`u`: take back your last change (tracker.domain.commands.Undo), in a worker:
        finding it reads the journal."""
        if self.can_edit(action="undo"):
            self._undo()

    @work(thread=True, group="apply")
    def _undo(self) -> None:
        try:
            result = self.writer.apply(self.writer.undo_command())
        except TrackerError as error:
            self.post_message(CommandDone([], error, None))
            return
        undone = ", #".join(str(e["undoes"]) for e in result.events)

        def done(error: TrackerError | None) -> None:
            if error is None:
                self.notify(_("undo.app_done", undone=undone), markup=False)

        self.post_message(CommandDone(result.events, None, done))

    # -- import ------------------------------------------------------------------------
    def action_import(self) -> None:
        """Ask for a file, check it in a worker, show what it changes, apply on yes."""
        if not self.can_edit(action="import"):
            return
        if self._no_files_here("import - < FILE.xlsx"):
            return

        def chosen(path: str | None) -> None:
            if path and path.strip():
                self.notify(_("import.checking", file=path.strip()), markup=False)
                self._check_import(path.strip())

        from tracker.screens.forms import TextForm

        self.push_screen(TextForm(_("import.form_title"), _("import.form_label")), chosen)

    @work(thread=True, exclusive=True, group="import")
    def _check_import(self, path: str) -> None:
        from tracker.formats.imports import read_import

        try:
            batch = read_import(self.store.view(), Path(path).expanduser(),
                                today=self.today())
        except TrackerError as error:
            self.post_message(ImportChecked(path, None, error))
            return
        self.post_message(ImportChecked(path, batch, None))

    def on_import_checked(self, message: ImportChecked) -> None:
        from tracker.formats import imports
        from tracker.screens.imports import ImportReview

        name = Path(message.path).name
        if message.batch is None:
            error = message.error
            assert error is not None
            if isinstance(error, imports.ImportRejected):
                lines, summary = error.lines(), error.summary
            else:
                lines, summary = [error.message], ""
            self.push_screen(ImportReview(_("import.problems_title", file=name),
                                          lines, summary, can_apply=False))
            return
        batch = message.batch
        summary = imports.summary(batch, dry_run=True)
        if not batch.changes:
            self.notify(summary, markup=False)
            return

        def applied(error: TrackerError | None) -> None:
            if error is None:  # a refusal was notified already
                self.notify(_("import.applied", file=batch.file, values=len(batch.changes)),
                            markup=False)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.submit(list(batch.commands()), applied, action="import")

        self.push_screen(ImportReview(_("import.review_title", file=name),
                                      list(imports.lines(self.view.plan, batch)), summary,
                                      can_apply=True), confirmed)

    # -- live updates --------------------------------------------------------------------
    def _poll(self) -> None:
        if self.store.token() != self._token:
            self.reload()

    def reload(self) -> None:
        self._load(self.as_of)

    @work(thread=True, exclusive=True, group="load")
    def _load(self, as_of: date | None) -> None:
        worker = get_current_worker()
        token = self.store.token()
        try:
            view = self.store.view(as_of)
            access = self.store.access()
        except TrackerError as error:
            self.call_from_thread(self._load_failed, token, error.message)
            return
        # Reading made the store's copy current, which its token includes: the poll
        # compares with the token after the read (else every change was loaded twice),
        # unless the journal grew meanwhile, when the poll is to load again.
        after = self.store.token()
        if after[0] == token[0]:
            token = after
        try:  # what others did since we last looked, to say so
            events = (self.store.history.read_from(self._seen_size)[0]
                      if token[0] >= self._seen_size else [])
        except TrackerError:  # the journal was replaced (init --force): nothing to name
            events = []
        if not worker.is_cancelled:
            self.post_message(DataChanged(view, token, events, access))

    def _load_failed(self, token: Any, message: str) -> None:
        """Say why the data could not be read, once: the poll tries again only when the
        files change again (not every second, stacking the same notice)."""
        self._token = token
        if message != self._load_error:
            self._load_error = message
            self.notify(message, severity="error", markup=False)

    def on_data_changed(self, message: DataChanged) -> None:
        runtime.thaw()  # the old state may go now
        self._load_error = None
        self.view = message.view
        self.call_after_refresh(runtime.freeze_loaded)
        self._token = message.token
        self._seen_size = message.token[0]
        others = [e for e in message.events if e.get("user") != self.store.user]
        if others:
            self._announce(others)
        if message.access != self.access:  # an admin changed our role meanwhile
            self.access = message.access
            self.screen.refresh_bindings()  # the footer shows what the role may use
        self._update_title()
        self._changed()

    def _changed(self) -> None:
        """The screen on top catches up, by a message: it is handled once the screen has
        composed, however soon after its push the change came. Screens below catch up
        when they are shown again (TrackerScreen.on_screen_resume)."""
        if isinstance(self.screen, TrackerScreen):
            self.screen.post_message(TrackerScreen.Changed())

    def _announce(self, events: list[dict[str, Any]]) -> None:
        from tracker.formats.terminal import describe_event

        lines = [f"{e['user']}: {e.get('task') or e.get('county') or ''} "
                 f"{describe_event(e, self.view.plan)}" for e in events[-3:]]
        if len(events) > 3:
            lines.append(_("app.more_changes", count=len(events) - 3))
        self.notify(clean_text("\n".join(lines)), title=_("app.changed_by_others"),
                    markup=False)

    # -- as-of ---------------------------------------------------------------------------
    def set_as_of(self, day: date | None) -> None:
        if day is not None and day >= self.today():
            day = None
        self.as_of = day
        self.reload()

    def action_shift_as_of(self, months: int) -> None:
        self.set_as_of(add_months(self.day(), months))

    def action_ask_as_of(self) -> None:
        def chosen(day: date | None) -> None:
            if day is not None:
                self.set_as_of(day)

        from tracker.screens.forms import DateForm

        self.push_screen(DateForm(_("form.as_of"), self.day(), allow_today=True), chosen)

    # -- navigation ----------------------------------------------------------------------
    def action_go(self, name: str) -> None:
        """Number keys: back to the dashboard, then (for 2-5) that list on top of it."""
        from tracker.screens import registry

        while len(self.screen_stack) > 2:
            self.pop_screen()
        if name != "dashboard":
            self.push_screen(registry.SCREENS[name]())

    def open_target(self, text: str) -> None:
        """Open a task, county or recommendation by id, code or name."""
        from tracker.screens import registry

        registry.open_target(self, text)

    def action_help(self) -> None:
        from tracker.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.screen))

    def action_help_quit(self) -> None:
        """Ctrl+C (a reflex): say how to quit, in the user's language. (Textual's own
        notice looks for an action named "quit" and, finding ours named otherwise, said
        nothing. In a text field Ctrl+C copies, as in every Textual input.)"""
        self.notify(_("app.how_to_quit"), title=_("app.how_to_quit_title"), markup=False)

    def action_quit_app(self) -> None:
        from tracker.screens.forms import ConfirmQuit, has_unsaved_input

        if has_unsaved_input(self.screen):
            self.push_screen(ConfirmQuit(), lambda yes: self.exit() if yes else None)
        else:
            self.exit()

    # -- export --------------------------------------------------------------------------
    def action_export(self) -> None:
        """Ask for a format and a file, then write the snapshot of the shown date."""
        from tracker.screens.export import ExportForm

        if self._no_files_here("export --format xlsx -o - > FILE.xlsx"):
            return
        default = Path.cwd() / f"tracker-{self.day().isoformat()}.xlsx"

        def chosen(choice: tuple[str, Path, bool] | None) -> None:
            if choice is not None:
                self._export(*choice)

        self.push_screen(ExportForm(default), chosen)

    @work(thread=True, group="export")
    def _export(self, fmt: str, path: Path, force: bool = False) -> None:
        from tracker.formats.export import export_snapshot

        try:
            snapshot, _digest, checksum = export_snapshot(self.store, self.view, fmt, path,
                                                          force=force)
        except TrackerError as error:
            self.call_from_thread(self.notify, error.message, severity="error", timeout=10,
                                  markup=False)
            return
        self.call_from_thread(self.notify, _("app.exported", path=str(path),
                                             tasks=len(snapshot["tasks"]),
                                             checksum=str(checksum)), markup=False)

    def my_groups(self) -> list[str]:
        """The survey groups whose tasks are "mine": the Unix groups I am in; in service
        mode (one account for everyone) the groups my user entry lists (``--group``)."""
        if self.service:
            return list(self.access.groups)
        from tracker.storage.identity import unix_groups

        return unix_groups()

    def _no_files_here(self, command: str) -> bool:
        """In service mode, say how the file travels instead (and do nothing)."""
        if self.service:
            self.notify(_("shell.app_no_files", command=command), severity="warning",
                        timeout=10, markup=False)
        return self.service

    # -- language and palette ------------------------------------------------------------
    def switch_language(self, lang: str) -> None:
        set_language(lang)
        self._update_title()
        self.screen.refresh_bindings()  # the footer's labels
        self._changed()  # the screen on top relabels now, the others when shown

    def action_toggle_language(self) -> None:
        self.switch_language("en" if get_language() == "zh" else "zh")
        if self.personal is not None:
            self.personal.set("language", get_language())

    def action_today(self) -> None:
        self.set_as_of(None)

    def action_take_screenshot(self) -> None:
        # After the palette has closed, so that the picture is of the screen itself.
        self.set_timer(0.1, self.deliver_screenshot)

    def action_command_palette(self) -> None:
        """Textual's palette, with its prompt in the user's language."""
        from textual.command import CommandPalette

        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(CommandPalette(id="--command-palette",
                                            placeholder=_("palette.placeholder")))

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """An SVG of the screen, saved where a server account can write (Textual's default,
        ~/Downloads, often does not exist there): the current directory, else the
        database's folder; the notice says where (or why not)."""
        import os
        from datetime import datetime

        from tracker.storage.files import describe_os_error

        folders = [Path(path)] if path else [Path.cwd(), self.store.path.parent]
        folder = next((f for f in folders if os.access(f, os.W_OK | os.X_OK)), folders[-1])
        target = folder / (filename or f"tracker-{datetime.now():%Y%m%dT%H%M%S}.svg")
        try:
            target.write_text(self.export_screenshot(), encoding="utf-8")
        except OSError as error:
            self.notify(_("app.screenshot_failed", folder=str(folder),
                          reason=describe_os_error(error)), severity="error", markup=False)
            return None
        self.notify(_("app.screenshot_saved", path=str(target)), markup=False)
        return str(target)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette's commands, from screens.actions: those the user's role allows and
        the app allows now (``check_action``)."""
        for action in actions.palette_actions():
            # (palette actions are plain names, without a namespace or parameters)
            if not self.allows(action.role) or not self.check_action(action.action, ()):
                continue
            if self.service and action.id in SERVICE_NO_FILES:
                continue  # service mode: no file on the server (see __init__)
            yield SystemCommand(_(f"palette.{action.id}"), _(f"palette.{action.id}_help"),
                                partial(self.run_action, action.action))


def run_app(store: Store, *, lang: str | None, start: str | None, as_of: date | None,
            service: bool = False, theme: str | None = None, ascii_mode: bool = False,
            config_file: Path | None = None) -> int:
    TrackerApp(store, lang=lang, start=start, as_of=as_of, service=service, theme=theme,
               ascii_mode=ascii_mode, config_file=config_file).run()
    return 0
