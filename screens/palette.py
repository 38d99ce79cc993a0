"""Command palette (ctrl+p): jump to any county, recommendation or task by name, pinyin or
code; and find what people wrote (notes, follow-up outcomes, reasons: the same search as
`tracker search` and History's `/`), each hit opening its task."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from tracker.domain.errors import TrackerError
from tracker.domain.pinyin import keys_of
from tracker.i18n import _

TEXT_HITS = 20  # the palette lists the latest few of what was written; History has all
SHOWN_TEXT = 60  # characters of a hit's text


class NavigationProvider(Provider):
    def _targets(self) -> list[tuple[str, str, str]]:
        """(search text, what the palette shows, the target to open)."""
        app: Any = self.app
        plan = app.view.plan
        items = []
        for rec in plan.recommendations:
            items.append((f"{rec.id} {rec.title.zh} {rec.title.en}",
                          _("palette.rec", id=rec.id, title=rec.title.get()), rec.id))
        for county in plan.counties:
            items.append((f"{county.code} {county.name.zh} {county.name.en} "
                          f"{keys_of(county.name.zh)}",
                          _("palette.county", code=county.code, name=county.name.get()),
                          county.code))
        return items

    async def discover(self) -> Hits:
        app: Any = self.app
        for rec in app.view.plan.recommendations:
            yield DiscoveryHit(_("palette.rec", id=rec.id, title=rec.title.get()),
                               partial(app.open_target, rec.id))

    async def search(self, query: str) -> Hits:
        app: Any = self.app
        matcher = self.matcher(query)
        for text, display, target in self._targets():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, display, partial(app.open_target, target))
        # A task id typed in full, or a county name with a recommendation (绥中 2.5).
        words = query.split()
        if len(words) == 2 or "-" in query:
            from tracker.domain.queries import resolve_task

            try:
                task = resolve_task(app.view, query.strip())
            except TrackerError:  # not a task: no hit
                return
            yield Hit(1.0, _("palette.task", id=task), partial(app.open_target, task))
        async for hit in self._text_hits(query):
            yield hit

    async def _text_hits(self, query: str) -> Hits:
        """What people wrote that contains ``query``, newest first (the journal is read
        in a thread: it is a file)."""
        if len(query.strip()) < 2:
            return
        from tracker.domain.search import EventFilter
        from tracker.domain.text import clean_text
        from tracker.formats.found import field_name

        app: Any = self.app
        until = app.as_of.isoformat() if app.as_of is not None else None
        try:
            hits = await asyncio.to_thread(app.store.search, query, EventFilter(until=until))
        except TrackerError:
            return
        for hit in reversed(hits[-TEXT_HITS:]):
            if not hit.task:
                continue
            text = clean_text(hit.text, single_line=True)
            if len(text) > SHOWN_TEXT:
                text = text[:SHOWN_TEXT - 1] + "…"
            shown = Content(_("palette.hit", seq=hit.seq, task=hit.task,
                              field=field_name(hit), text=text))
            yield Hit(0.5, shown, partial(app.open_target, hit.task), text=shown.plain)
