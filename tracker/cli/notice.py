"""`tracker notice`: the login notice, one line or nothing.

It sits in a login script (/etc/profile.d, or service mode's banner), so it must never hold
up or break a login: it gives up after ``notice_timeout_ms`` (config, default 300 ms; a
SIGALRM timer), prints nothing at all on any error (a missing or locked database, a bad
config file, a broken pipe, the timer), and exits 0 whatever happened. The query is the
agenda's (tracker.cli.tasks.my_followups): my tasks and my survey groups', due today or
overdue.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Sequence
from types import FrameType

DEFAULT_TIMEOUT_MS = 300


class _TimeUp(BaseException):
    """Raised by the timer: a BaseException, so that no ``except Exception`` keeps it."""


def _time_up(signum: int, frame: FrameType | None) -> None:
    raise _TimeUp


def cmd_notice_main(argv: Sequence[str]) -> int:
    """Run `tracker notice ...` silently on any error, within its time limit."""
    import signal

    line = ""
    previous = None
    try:
        timeout = _timeout()
        if hasattr(signal, "setitimer"):
            previous = signal.signal(signal.SIGALRM, _time_up)
            signal.setitimer(signal.ITIMER_REAL, timeout / 1000)
        with contextlib.redirect_stderr(io.StringIO()), \
                contextlib.redirect_stdout(io.StringIO()):
            line = _notice_line(list(argv))
    except BaseException:
        line = ""
    finally:
        if previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    if line:
        with contextlib.suppress(BaseException):
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
    return 0


def _timeout() -> int:
    """The time limit: the config's ``notice_timeout_ms``, read before anything else
    (an unreadable config: the default)."""
    try:
        from tracker.cli.common import config

        return int(config().get("notice_timeout_ms") or DEFAULT_TIMEOUT_MS)
    except Exception:
        return DEFAULT_TIMEOUT_MS


def is_notice(argv: Sequence[str]) -> bool:
    """Whether the command line is `tracker [--db P] [--lang L] [--ascii] notice ...`
    without help (help goes through the parser)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--db", "--lang"):
            skip = True
        elif arg in ("-h", "--help"):
            return False
        elif not arg.startswith("-"):
            return arg == "notice" and "-h" not in argv and "--help" not in argv
    return False


def _notice_args(argv: list[str]) -> argparse.Namespace:
    """The notice's few options, read without building the parser (its imports are most
    of a command's start): --db, --lang, --ascii; anything else is an error (silence)."""
    args = argparse.Namespace(db=None, lang=None, ascii=False)
    words = iter(argv)
    for arg in words:
        name, _eq, value = arg.partition("=")
        if name in ("--db", "--lang"):
            setattr(args, name[2:], value if _eq else next(words))
        elif arg == "--ascii":
            args.ascii = True
        elif arg != "notice":
            raise ValueError(arg)
    if args.lang not in (None, "zh", "en"):
        raise ValueError(args.lang)
    return args


def _notice_line(argv: list[str]) -> str:
    from tracker.cli import common
    from tracker.i18n import language_from_env, set_language

    args = _notice_args(argv)
    set_language(args.lang or common.config().get("language") or language_from_env())
    common.take_flags(args)
    return notice_text(args)


def notice_text(args: argparse.Namespace) -> str:
    """The line: "3 follow-ups due today, 2 overdue: tracker agenda", or "" (none due)."""
    from tracker.cli.common import open_store, store_today
    from tracker.cli.tasks import my_followups
    from tracker.i18n import _

    store = open_store(args)
    if not store.path.exists():
        return ""
    view = store.view()
    today = store_today(store)
    tasks = my_followups(store, view, today, today)
    overdue = sum(1 for t in tasks if t.next_followup is not None and t.next_followup < today)
    due = len(tasks) - overdue
    if not tasks:
        return ""
    from tracker import glyphs

    return glyphs.shown(_("notice.line", due=_counts(due, overdue)))


def _counts(due: int, overdue: int) -> str:
    """"1 follow-up due today", "3 follow-ups due today, 2 overdue", "2 follow-ups
    overdue": what is due first, a count of none left out."""
    from tracker.i18n import _

    def counted(key: str, n: int) -> str:
        return _(f"{key}.one") if n == 1 else _(f"{key}.many", n=n)

    if not due:
        return counted("notice.overdue_only", overdue)
    text = counted("notice.today", due)
    return text + _("notice.and") + _("notice.overdue", n=overdue) if overdue else text


def cmd_notice(args: argparse.Namespace) -> int:
    """The parser's handler (main() runs `notice` through :func:`cmd_notice_main`)."""
    line = notice_text(args)
    if line:
        print(line)
    return 0


__all__ = ["cmd_notice", "cmd_notice_main", "notice_text"]
