"""The export form (palette: Export a snapshot): a format and a file name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tracker.formats.export import FORMATS
from tracker.i18n import _
from tracker.screens.forms import Form


class ExportForm(Form):
    """Arrows choose the format (the file name's suffix follows); Enter writes. A file
    that exists is replaced only on a second Enter, after the form says so."""

    def __init__(self, default: Path) -> None:
        super().__init__(_("form.export_title"))
        self.default = default
        self._replace: Path | None = None  # the existing file the user was warned of

    def fields(self) -> ComposeResult:
        yield Label(_("form.export_format"), classes="form-label")
        yield OptionList(*[Option(fmt.upper(), id=fmt) for fmt in FORMATS], id="format",
                         compact=True)
        yield Label(_("form.export_path"), classes="form-label")
        yield Input(str(self.default), id="path", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        suffix = self.default.suffix.lstrip(".")
        self.query_one("#format", OptionList).highlighted = (
            FORMATS.index(suffix) if suffix in FORMATS else 0)

    def _format(self) -> str:
        formats = self.query_one("#format", OptionList)
        return FORMATS[formats.highlighted or 0]

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        field = self.query_one("#path", Input)
        path = Path(field.value.strip() or self.default)
        field.value = str(path.with_suffix(f".{self._format()}"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.submit()

    def result(self) -> Any:
        text = self.value("path").strip()
        if not text:
            self.show_error(_("form.required", field=_("form.export_path")))
            return None
        path = Path(text).expanduser()
        if path.exists() and path != self._replace:
            self._replace = path
            self.show_error(_("form.export_exists", path=str(path)))
            return None
        return self._format(), path, path.exists()
