"""What `tracker search` prints: each hit with where it is (event, date, who, task, which
text) and the text itself, the query marked."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracker.domain.search import Hit, fold
from tracker.domain.text import clean_text
from tracker.i18n import _


def field_name(hit: Hit) -> str:
    """Which text of its event a hit is in, in the user's language."""
    if hit.type == "set":
        return _(f"field.{hit.field}")
    return _(f"search.field.{hit.field}")


def marked(text: str, query: str) -> Text:
    """``text`` as a literal cell with each occurrence of ``query`` (folded) in bold."""
    shown = clean_text(text)
    cell = Text(shown)
    folded, needle = fold(shown), fold(query)
    if needle and len(folded) == len(shown):  # folding kept the offsets
        start = 0
        while (at := folded.find(needle, start)) >= 0:
            cell.stylize("bold reverse", at, at + len(needle))
            start = at + len(needle)
    return cell


def render_hits(hits: list[Hit], query: str, *, out: Console | None = None) -> None:
    from tracker.formats.terminal import console

    out = out or console()
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for key in ("seq", "when", "who", "task", "field"):
        table.add_column(_(f"col.{key}"), no_wrap=True)
    table.add_column(_("col.text"))
    for hit in hits:
        table.add_row(str(hit.seq), hit.ts[:16].replace("T", " "), Text(clean_text(hit.user)),
                      Text(clean_text(hit.task or hit.county or "")), field_name(hit),
                      marked(hit.text, query))
    out.print(table)
    out.print(_("search.count", count=len(hits), query=clean_text(query, single_line=True)))


def hits_json(hits: list[Hit]) -> list[dict[str, Any]]:
    return [hit.as_json() for hit in hits]
