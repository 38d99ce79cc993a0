"""Small shared widgets and cell builders."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual.binding import Binding
from textual.events import Click, Key
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from tracker.glyphs import shown
from tracker.i18n import _
from tracker.screens import actions

if TYPE_CHECKING:
    from tracker.screens.base import Host

BAR_WIDTH = 10
SHADES = " ░▒▓█"


def bar(share: float, width: int = BAR_WIDTH, *, percent: bool = True) -> Text:
    """A progress bar that reads without colour: filled blocks (and the percentage)."""
    share = max(0.0, min(1.0, share))
    filled = round(share * width)
    style = "green" if share >= 0.6 else "yellow" if share >= 0.3 else "red"
    text = Text(shown("█") * filled, style=style)
    text.append(shown("░") * (width - filled), style="dim")
    if percent:
        text.append(f" {share * 100:3.0f}%")
    return text


def shade(share: float) -> Text:
    """A matrix cell: a shade glyph and the percentage, coloured by band."""
    share = max(0.0, min(1.0, share))
    glyph = shown(SHADES[min(4, int(share * 4 + 0.5))])
    style = "green" if share >= 0.6 else "yellow" if share >= 0.3 else "red"
    return Text(f"{glyph}{share * 100:4.0f}%", style=style)


def page_outer(widget: Widget, direction: int) -> bool:
    """Page the nearest container around ``widget`` that can still scroll that way (a
    table that shows all its rows has nothing to page: the screen around it pages, so
    panels below it can be reached). False if there is none."""
    for node in widget.ancestors:
        if not isinstance(node, Widget) or not node.allow_vertical_scroll:
            continue
        if direction > 0 and node.scroll_y < node.max_scroll_y:
            node.scroll_page_down(animate=False)
            return True
        if direction < 0 and node.scroll_y > 0:
            node.scroll_page_up(animate=False)
            return True
    return False


class Footer(Widget):
    """The screen's main keys on one line: Textual's footer, drawn as one widget.

    Textual's own footer is a widget per key, composed only after the screen's first
    frame; at start-up its keys cost ~10 ms and come a frame late. This one draws the
    same keys (the bindings with ``show``, one per action, the palette's at the right)
    from the screen's active bindings whenever they change; a click on a key presses it.
    Labels come from screens.actions in the current language, and a key whose action
    needs a role the user lacks is left out (it still says so when pressed).
    """

    DEFAULT_CSS = """
    Footer {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .footer--palette {
            color: $foreground 20%;
        }
    }
    """
    COMPONENT_CLASSES = {"footer--key", "footer--description", "footer--palette"}

    def __init__(self) -> None:
        super().__init__()
        self._keys: list[tuple[int, int, str]] = []  # cells (start, end) and key of each

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: object) -> None:
        self.refresh()

    def entries(self) -> tuple[list[tuple[Binding, actions.Action, bool]], Binding | None]:
        """What the footer shows now: each shown key (its binding, action and whether it
        is enabled), in order, and the palette's binding."""
        host = cast("Host", self.app)
        shown: list[tuple[Binding, actions.Action, bool]] = []
        seen: set[str] = set()
        palette: Binding | None = None
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            action = actions.of(binding)
            if action is None:  # a key of Textual's own widgets: not in our footer
                continue
            if action.id == "palette":
                palette = binding
            elif binding.show and action.id not in seen and host.allows(action.role):
                seen.add(action.id)
                shown.append((binding, action, enabled))
        return shown, palette

    def shown(self) -> list[str]:
        """The ids of the actions the footer shows now (the palette's aside)."""
        return [action.id for _binding, action, _enabled in self.entries()[0]]

    def render(self) -> Text:
        app = self.app
        key_style = self.get_component_rich_style("footer--key")
        description_style = self.get_component_rich_style("footer--description")
        line = Text(no_wrap=True, overflow="crop", end="")
        keys: list[tuple[int, int, str]] = []
        shown, palette = self.entries()
        for binding, action, enabled in shown:
            start, cells = len(line), line.cell_len
            line.append(f" {app.get_key_display(binding)} ", key_style)
            line.append(f"{action.label} ", description_style)
            if not enabled:
                line.stylize("dim", start)
            keys.append((cells, line.cell_len, binding.key))
        if palette is not None and app.ENABLE_COMMAND_PALETTE:
            # The palette's key stays at the right, as in Textual's footer: when the keys
            # do not all fit, the last of them are cut, not the palette.
            binding = palette
            tail = Text("▏", self.get_component_rich_style("footer--palette"), end="")
            tail.append(f"{app.get_key_display(binding)} ", key_style)
            tail.append(f"{actions.BY_ID['palette'].label} ", description_style)
            start = max(0, self.size.width - tail.cell_len)
            if line.cell_len > start:
                line.truncate(start, overflow="ellipsis")
                keys = [(a, min(b, start), key) for a, b, key in keys if a < start]
            line.pad_right(start - line.cell_len)
            keys.append((start, start + tail.cell_len, binding.key))
            line.append_text(tail)
        self._keys = keys
        return line

    def on_click(self, event: Click) -> None:
        for start, end, key in self._keys:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return


class SectionTitle(Static):
    DEFAULT_CSS = """
    SectionTitle { text-style: bold; padding: 1 1 0 1; }
    """


class FilterInput(Input):
    """The `/` filter: hidden until asked for; Escape clears and hides it."""

    DEFAULT_CSS = """
    FilterInput { display: none; background: $boost; }
    """

    ACTION_SCOPE: ClassVar[str] = "filter_input"
    BINDINGS = actions.bindings(ACTION_SCOPE)

    class Leave(Message):
        """Down in the field: the user goes to the table below (as with Enter)."""

    class Typing(Message):
        """A key reached the field itself: keys typed right after `/` are no longer on
        their way through the table (screens.base.FilteredScreen)."""

    class Hidden(Message):
        """Escape in the field: it is cleared and hidden."""

    def __init__(self, *, id: str | None = None) -> None:
        # Not select_on_focus: keys typed with `/` may be in the field before its focus
        # lands, and selecting them would make the next key replace them.
        super().__init__(placeholder=_("filter.placeholder"), id=id, compact=True,
                         select_on_focus=False)

    def show(self, *, focus: bool = True) -> None:
        """Show it (one line) and take the keys. The display style is set directly, not
        through a CSS class, so that the field can take focus at once: keys typed right
        after `/` must land in it, not in the table below."""
        self.styles.display = "block"
        if focus:
            self.focus()
            self.call_after_refresh(self._place_cursor)

    def _place_cursor(self) -> None:
        """Once shown and laid out, the terminal cursor goes to the caret (where an input
        method opens its window); on focus the field had no place on screen yet."""
        if self.has_focus:
            self.app.cursor_position = self.cursor_screen_offset

    def on_key(self, event: Key) -> None:
        self.post_message(self.Typing())

    def action_leave(self) -> None:
        self.post_message(self.Leave())

    def action_hide(self) -> None:
        self.post_message(self.Hidden())
        self.value = ""
        self.styles.display = "none"
        self.screen.focus_next()
