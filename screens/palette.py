"""Command palette (ctrl+p): jump to any county, recommendation or task by name or code."""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tracker.domain.errors import TrackerError
from tracker.i18n import _


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
            items.append((f"{county.code} {county.name.zh} {county.name.en}",
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
