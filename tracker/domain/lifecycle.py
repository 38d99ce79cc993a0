"""The task lifecycle: which status moves are allowed and which need a reason.

Follows audit follow-up practice: a county reports ``done``, the bureau confirms it as
``verified``; anything closed can be reopened to ``in_progress`` with a reason.
"""

from __future__ import annotations

from tracker.domain.errors import InvalidEdit
from tracker.domain.fields import Status
from tracker.i18n import _

S = Status

ALLOWED: dict[Status, tuple[Status, ...]] = {
    S.NOT_STARTED: (S.IN_PROGRESS, S.BLOCKED, S.NOT_APPLICABLE),
    S.IN_PROGRESS: (S.DONE, S.BLOCKED, S.NOT_APPLICABLE),
    S.BLOCKED: (S.IN_PROGRESS, S.NOT_APPLICABLE),
    S.DONE: (S.VERIFIED, S.IN_PROGRESS),
    S.VERIFIED: (S.IN_PROGRESS,),
    S.NOT_APPLICABLE: (S.IN_PROGRESS,),
}


def needs_reason(old: Status, new: Status) -> bool:
    """Blocking, ruling out, and reopening a closed task must say why."""
    if new in (S.BLOCKED, S.NOT_APPLICABLE):
        return True
    return new is S.IN_PROGRESS and old in (S.DONE, S.VERIFIED, S.NOT_APPLICABLE)


def check_move(task_id: str, old: Status, new: Status, reason: str | None) -> None:
    """Raise InvalidEdit unless ``old -> new`` is allowed (with a reason where needed)."""
    names = {"old_name": _(f"status.{old.value}"), "new_name": _(f"status.{new.value}")}
    if new not in ALLOWED[old]:
        allowed = _("list.separator").join(
            _("status.named", name=_(f"status.{s.value}"), id=s.value) for s in ALLOWED[old])
        raise InvalidEdit("status.move_refused", task=task_id, old=old.value, new=new.value,
                          allowed=allowed, **names)
    if needs_reason(old, new) and not (reason and reason.strip()):
        raise InvalidEdit("status.reason_required", task=task_id, old=old.value,
                          new=new.value, **names)
