"""The one-pass roll-ups of `tracker report` and the document-first task filter of
`tracker list` give what the plain paths give: the per-recommendation and
per-prefecture scans (``status_counts``, ``target_progress``) and ``Task`` values
judged one by one."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.domain.progress import report_rollups, status_counts, target_progress
from tracker.domain.queries import TaskFilter, filter_tasks
from tracker.domain.state import StateView
from tracker.storage.store import Store

DAYS = [date(2018, 3, 1), date(2019, 1, 15), date(2019, 6, 26)]


def _plain_report(view: StateView, as_of: date) -> tuple[object, object, object]:
    """The report's figures as the old code counted them, one scan per roll-up."""
    plan = view.plan
    tasks = view.tasks()
    recs = {rec.id: (status_counts(view, rec.id),
                     sum(t.is_overdue(as_of) for t in tasks if t.recommendation == rec.id),
                     sum(t.is_stale(as_of, view.stale_days) for t in tasks
                         if t.recommendation == rec.id))
            for rec in plan.recommendations}
    prefs = {}
    for p in plan.prefectures:
        codes = [c.code for c in plan.counties_in(p.code)]
        prefs[p.code] = (status_counts(view, counties=set(codes)),
                         target_progress(view, as_of, codes))
    return target_progress(view, as_of), recs, prefs


@pytest.mark.parametrize("as_of", DAYS)
def test_one_pass_report_equals_the_per_recommendation_counts(demo: Store, as_of: date) -> None:
    for view in (demo.view(), demo.view(as_of)):  # today's state judged then; the past
        report = report_rollups(view, as_of)
        targets, recs, prefs = _plain_report(view, as_of)
        assert report.targets == targets
        assert {rec: tuple(counts) for rec, counts in report.recommendations.items()} == recs
        assert {code: tuple(p) for code, p in report.prefectures.items()} == prefs
        # Counted something: the demo's tasks have several statuses.
        assert len(report.recommendations["2.5"].statuses) > 1


@pytest.mark.parametrize("words", [
    {}, {"prefecture": "葫芦岛"}, {"rec": "2.5,1.1"}, {"status": "in_progress,blocked"},
    {"county": "绥中", "status": "not_started"}, {"prefecture": "大连", "overdue": True},
    {"stale": True, "rec": "2.3"},
])
def test_filter_on_documents_equals_judging_every_task(demo: Store,
                                                        words: dict[str, object]) -> None:
    view = demo.view()
    today = date(2019, 6, 26)
    task_filter = TaskFilter.build(view.plan, **words)  # type: ignore[arg-type]
    plain = [t for t in view.tasks() if task_filter.matches(t, today, view.stale_days)]
    assert filter_tasks(view, task_filter, today) == plain
    if words:
        assert len(plain) < len(view.tasks())
