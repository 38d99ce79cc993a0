"""The daily digest's mails (`tracker remind`): who gets which tasks, and the message.

Recipients are the users and survey groups with an e-mail address (``meta.contacts``):
a user gets the tasks they own and those of the survey groups of their editor limits; a
group gets its own. A task overdue by more than ``escalate_after_days`` also goes to the
group's leader, or, for a task without one, to every admin with an address. Each mail
is in its recipient's language (default Chinese), built with the standard ``email``
package: a non-ASCII subject is encoded per RFC 2047 by its SMTP policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

from tracker.domain.text import clean_text
from tracker.i18n import get_language, set_language, translate

if TYPE_CHECKING:
    from tracker.domain.model import Task
    from tracker.domain.state import StateView

DEFAULT_LANGUAGE = "zh"


@dataclass
class Digest:
    """One recipient's digest: its name (user or group), address, language, its own
    tasks and those escalated to it."""

    name: str
    email: str
    language: str
    tasks: list[Task] = field(default_factory=list)
    escalated: list[Task] = field(default_factory=list)

    @property
    def task_ids(self) -> list[str]:
        return [t.id for t in self.tasks]


def digests(view: StateView, queue: list[Task], today: date,
            escalate_after: int) -> list[Digest]:
    """The digests to send for ``queue`` (the open follow-ups due today or before)."""
    from tracker.domain.commands import contacts_of
    from tracker.domain.roles import ADMIN, users_of

    meta = view.meta
    contacts = contacts_of(meta)
    users = users_of(meta)
    out: dict[str, Digest] = {}

    def digest(name: str) -> Digest | None:
        entry = contacts.get(name) or {}
        if not entry.get("email"):
            return None
        if name not in out:
            out[name] = Digest(name, entry["email"], entry.get("language", DEFAULT_LANGUAGE))
        return out[name]

    by_owner: dict[str, list[Task]] = {}
    for task in queue:
        by_owner.setdefault((task.owner or "").lower(), []).append(task)
    for name in sorted(contacts):
        groups = [name] if name.startswith("G") and name[1:].isdigit() else \
            list((users.get(name) or {}).get("groups", []))
        owners = {name.lower(), *(g.lower() for g in groups)} if name in users else \
            {name.lower()}
        mine = [t for owner in sorted(owners) for t in by_owner.get(owner, [])]
        if mine and (found := digest(name)) is not None:
            found.tasks = sorted(mine, key=lambda t: (t.next_followup, t.id))
    admins = [n for n, e in sorted(users.items()) if e["role"] == ADMIN]
    for task in queue:
        assert task.next_followup is not None
        if (today - task.next_followup).days <= escalate_after:
            continue
        owner = (task.owner or "").upper()
        leader = (contacts.get(owner) or {}).get("leader")
        targets = [leader] if leader and digest(leader) is not None else admins
        for target in targets:
            found = digest(target)
            if found is not None and task not in found.escalated:
                found.escalated.append(task)
    return [d for d in out.values() if d.tasks or d.escalated]


def message(view: StateView, item: Digest, today: date, sender: str,
            escalate_after: int) -> EmailMessage:
    """The mail of one digest, in its recipient's language."""
    language = get_language()
    set_language(item.language if item.language in ("zh", "en") else DEFAULT_LANGUAGE)
    try:
        return _message(view, item, today, sender, escalate_after)
    finally:
        set_language(language)


def _message(view: StateView, item: Digest, today: date, sender: str,
             escalate_after: int) -> EmailMessage:
    lang = get_language()

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    overdue = sum(1 for task in item.tasks if task.next_followup and task.next_followup < today)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = Address(addr_spec=item.email)
    msg["Subject"] = t("digest.subject", date=today.isoformat(),
                       today=len(item.tasks) - overdue, overdue=overdue,
                       escalated=len(item.escalated))
    msg["Date"] = format_datetime(_now())
    msg["Message-ID"] = make_msgid("tracker")
    lines = [t("digest.greeting", name=item.name), ""]
    if item.tasks:
        lines += [t("digest.yours", count=len(item.tasks)), ""]
        lines += [_task_line(view, task, today, t) for task in item.tasks]
        lines.append("")
    if item.escalated:
        lines += [t("digest.escalated", count=len(item.escalated), days=escalate_after), ""]
        lines += [_task_line(view, task, today, t) for task in item.escalated]
        lines.append("")
    lines += [t("digest.footer")]
    msg.set_content("\n".join(lines) + "\n")
    return msg


def _now() -> Any:
    from datetime import datetime

    return datetime.now().astimezone()


def _task_line(view: StateView, task: Task, today: date, t: Any) -> str:
    county = view.plan.county(task.county)
    rec = view.plan.recommendation(task.recommendation)
    assert task.next_followup is not None
    late = (today - task.next_followup).days
    when = t("digest.overdue_by", days=late) if late > 0 else t("digest.due_today")
    return clean_text(f"- {task.id}  {county.name.get()}  {rec.id} {rec.title.get()}  "
                      f"{task.next_followup.isoformat()} ({when})  {task.owner or '-'}",
                      single_line=True)


def shown(msg: EmailMessage) -> str:
    """A mail as `remind --dry-run` prints it: headers decoded, then the body."""
    body = msg.get_content()
    return (f"From: {msg['From']}\nTo: {msg['To']}\nSubject: {msg['Subject']}\n\n"
            f"{body}")
