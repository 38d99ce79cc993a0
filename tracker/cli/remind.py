"""`tracker remind [--dry-run]`: the daily mail digest, with escalation (docs/deploy.md:
the systemd timer or the cron line that runs it).

Each user and survey group with an address gets its follow-ups due today and overdue
(the agenda's query, tracker.domain.queries.followup_queue); what is overdue by more
than ``[mail] escalate_after_days`` also goes to the group's leader or the admins
(tracker.formats.digest). Every digest tried is recorded (who, when, which tasks, sent or
not: RecordDigests), so that a second run the same day sends nothing again; a failed send
is one line per recipient on standard error, recorded as not sent (the next run tries it
again), and the rest still go (exit 1 if any failed). ``--dry-run`` prints the mails and
records nothing. An admin's command: it mails on everyone's behalf.
"""

from __future__ import annotations

import argparse
import sys

from tracker.cli import common
from tracker.cli.common import open_store, print_json, refuse_as_of, store_today
from tracker.domain.text import clean_text
from tracker.i18n import _


def cmd_remind(args: argparse.Namespace) -> int:
    from tracker.domain.commands import RecordDigests, digest_sent
    from tracker.domain.queries import followup_queue
    from tracker.domain.roles import ADMIN, require
    from tracker.formats import digest

    refuse_as_of(args)
    store = open_store(args)
    require(store.access(), ADMIN, "role.action.remind")
    mail = common.config().mail()
    if not args.dry_run:
        from tracker.storage.mail import check_settings

        check_settings(mail)
    view = store.view()
    today = store_today(store)
    escalate = int(mail.get("escalate_after_days") or 14)
    queue = followup_queue(view, today, until=today)
    day = today.isoformat()
    items = [d for d in digest.digests(view, queue, today, escalate)
             if not digest_sent(view.meta, d.name, d.email, day)]
    sender = mail.get("from") or "tracker@localhost"
    messages = [digest.message(view, item, today, sender, escalate) for item in items]
    report = []
    if args.dry_run:
        for msg in messages:
            if not args.json:
                print(digest.shown(msg))
                print("-" * 60)
        for item in items:
            report.append(_entry(item, None, sent=False))
        if args.json:
            print_json({"date": day, "dry_run": True, "digests": report})
        else:
            print(_("remind.would", count=len(items), date=day))
        return 0
    if not items:
        if args.json:
            print_json({"date": day, "digests": []})
        else:
            print(_("remind.none", date=day))
        return 0
    from tracker.storage.mail import send_all

    results = send_all(mail, messages)
    records = []
    failed = 0
    for item, result in zip(items, results, strict=True):
        if result.error is not None:
            failed += 1
            print(_("remind.failed", name=item.name, email=item.email,
                    reason=clean_text(result.error, single_line=True)), file=sys.stderr)
        records.append({"name": item.name, "email": item.email, "date": day,
                        "tasks": item.task_ids, "escalated": [t.id for t in item.escalated],
                        "sent": result.error is None, "error": result.error})
        report.append(_entry(item, result.error, sent=result.error is None))
    common.apply(store, RecordDigests(tuple(records)))
    if args.json:
        print_json({"date": day, "digests": report})
    else:
        print(_("remind.done", sent=len(items) - failed, failed=failed, date=day))
    return 1 if failed else 0


def _entry(item: object, error: str | None, *, sent: bool) -> dict[str, object]:
    from tracker.formats.digest import Digest

    assert isinstance(item, Digest)
    return {"name": item.name, "email": item.email, "language": item.language,
            "tasks": item.task_ids, "escalated": [t.id for t in item.escalated],
            "sent": sent, "error": error}
