"""Screens by name, and opening a task, county or recommendation from text."""

from __future__ import annotations

from typing import Any

from screens.counties import CountiesScreen
from screens.county import CountyScreen
from screens.dashboard import DashboardScreen
from screens.followups import FollowupsScreen
from screens.history import HistoryScreen
from screens.recommendations import RecommendationScreen, RecommendationsScreen
from screens.task import TaskScreen
from tracker.errors import NotFoundError, TrackerError

SCREENS: dict[str, Any] = {
    "dashboard": DashboardScreen,
    "counties": CountiesScreen,
    "recommendations": RecommendationsScreen,
    "followups": FollowupsScreen,
    "history": HistoryScreen,
}


def resolve_target(view: Any, text: str) -> tuple[str, str]:
    """("task"|"county"|"rec", id) for a task id, county code/name or recommendation id."""
    from tracker.cli import resolve_county, resolve_task

    value = text.strip()
    try:
        return "rec", view.plan.recommendation(value).id
    except NotFoundError:
        pass
    try:
        return "task", resolve_task(view, value)
    except NotFoundError:
        pass
    return "county", resolve_county(view.plan, value)


def open_target(app: Any, text: str) -> None:
    try:
        kind, ident = resolve_target(app.view, text)
    except TrackerError as error:
        app.notify(error.message, severity="error", markup=False)
        return
    screen = {"rec": RecommendationScreen, "task": TaskScreen, "county": CountyScreen}[kind]
    app.push_screen(screen(ident))
