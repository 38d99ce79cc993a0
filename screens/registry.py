"""Screens by name, and opening a task, county or recommendation from text."""

from __future__ import annotations

from typing import Any

from tracker.domain.errors import TrackerError
from tracker.domain.queries import resolve_target
from tracker.screens.counties import CountiesScreen
from tracker.screens.county import CountyScreen
from tracker.screens.dashboard import DashboardScreen
from tracker.screens.followups import FollowupsScreen
from tracker.screens.history import HistoryScreen
from tracker.screens.recommendations import RecommendationScreen, RecommendationsScreen
from tracker.screens.task import TaskScreen

SCREENS: dict[str, Any] = {
    "dashboard": DashboardScreen,
    "counties": CountiesScreen,
    "recommendations": RecommendationsScreen,
    "followups": FollowupsScreen,
    "history": HistoryScreen,
}


def open_target(app: Any, text: str) -> None:
    try:
        kind, ident = resolve_target(app.view, text)
    except TrackerError as error:
        app.notify(error.message, severity="error", markup=False)
        return
    screen = {"rec": RecommendationScreen, "task": TaskScreen, "county": CountyScreen}[kind]
    app.push_screen(screen(ident))
