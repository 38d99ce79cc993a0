"""A county's figure recorded where the county is (issue 13): `m` on the county screen
and on a task screen, with the checks of `tracker measure`; the task screen shows the
measurements behind its recommendation's targets."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.widgets import Input, Static

from tests.screens.factory import make_app
from tests.screens.pilot import Notices, settle
from tracker.screens.county import CountyScreen
from tracker.screens.forms import MeasureForm
from tracker.screens.task import TaskScreen

COUNTY = "211421"  # 绥中县
TASK = f"{COUNTY}-2.5"


def shown(app, selector: str) -> str:
    content = app.screen.query_one(selector, Static).render()
    return content.plain if isinstance(content, Text) else str(content)


async def test_m_on_a_task_records_a_figure_and_the_task_shows_it(demo_db: Path) -> None:
    app = make_app(demo_db, start=TASK)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TaskScreen)
        before = app.view.latest(COUNTY, "digitized_permanent_volumes")
        share = next(i for i in app.view.plan.indicators if i.recommendation == "2.5")
        assert share.title.get() in shown(app, "#task-measures")  # latest vs threshold
        await pilot.press("m")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, MeasureForm)
        assert form.query_one("#indicator", Input).value == "digitized_permanent_volumes"
        permanent = app.view.latest(COUNTY, "permanent_volumes")
        assert permanent is not None
        value = int(permanent.value) - 1
        await pilot.press(*f"{value:,}")  # thousands separators as people type them
        await pilot.press("enter")  # the date is prefilled: Enter saves
        await settle(pilot)
        assert isinstance(app.screen, TaskScreen)
        latest = app.view.latest(COUNTY, "digitized_permanent_volumes")
        assert latest is not None and latest.value == value and latest != before
        assert latest.date == app.today()
        assert f"{app.today()}" in shown(app, "#task-measures")
        assert f"{value:,}" in shown(app, "#task-measures")


async def test_the_figure_form_refuses_as_the_cli_does(demo_db: Path) -> None:
    notices = Notices()
    app = make_app(demo_db)
    async with app.run_test(size=(120, 40), message_hook=notices) as pilot:
        app.push_screen(CountyScreen(COUNTY))
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, MeasureForm)
        # Opened on the county's first task (2.1): its target's figure is prefilled;
        # any figure may be typed, by id or by its title in either language.
        assert form.query_one("#indicator", Input).value == "budget_funding"
        form.query_one("#indicator", Input).value = app.view.plan.fact(
            "digitized_permanent_volumes").title.zh
        permanent = app.view.latest(COUNTY, "permanent_volumes")
        events = len(list(app.store.events()))
        # More digitized than permanent volumes: the store refuses it, naming both.
        await pilot.press(*str(int(permanent.value) + 1000), "enter")
        await settle(pilot)
        assert len(list(app.store.events())) == events
        assert any("permanent" in m.lower() for m in notices.messages), notices.messages
        # A value that is not a number, an unknown figure: the form says why and stays.
        app.push_screen(MeasureForm("t", app.view.plan, "digitized_permanent_volumes",
                                    app.today()))
        await settle(pilot)
        await pilot.press(*"lots", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MeasureForm)
        assert "lots" in shown(app, ".form-error")
        app.screen.query_one("#indicator", Input).value = "nonsense"
        app.screen.query_one("#value", Input).value = "3"
        app.screen.submit()
        await settle(pilot)
        assert "staff" in shown(app, ".form-error")  # the valid ones are listed
        assert len(list(app.store.events())) == events
