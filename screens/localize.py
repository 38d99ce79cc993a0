"""Binding descriptions in the current language.

Bindings are declared with an ``id``; their description (what the Footer and the help
screen show) is the catalog entry ``bind.<id>``, filled in when a screen is created and
again when the user switches language.
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding
from textual.dom import DOMNode

from tracker.i18n import _


def _describe(binding: Binding) -> Binding:
    if binding.id:
        return replace(binding, description=_(f"bind.{binding.id}"))
    if binding.action == "command_palette":  # Textual's own, added to every app
        return replace(binding, description=_("bind.palette"),
                       tooltip=_("help.palette"))
    return binding


def localize_bindings(node: DOMNode, *, hide: frozenset[str] = frozenset()) -> None:
    """Describe ``node``'s bindings in the current language; those whose id is in
    ``hide`` leave the footer (they still work: an edit key pressed by a viewer says
    which role it needs), the others show as declared."""
    declared: dict[tuple[str, int], bool] = node.__dict__.setdefault("_declared_show", {})
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            replace(_describe(b), show=declared.setdefault((key, n), b.show)
                    and b.id not in hide)
            for n, b in enumerate(bindings)]
