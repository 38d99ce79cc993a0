"""Search what people wrote: notes, follow-up outcomes, reasons and the changes in history.

One rule for the CLI (`tracker search`), the History screen's `/` and the palette: the
text a user typed is folded (case-insensitive for Latin letters, Chinese as it is) and
found as a substring of an event's texts. :func:`event_texts` says which texts an event
has and under which field name, so that a hit can say where it is (task, event, field,
date, user). :func:`needle_bytes` is how the journal's byte scan (tracker.storage.store.
Store.search) finds candidate lines before parsing them: an event's line is its
canonical JSON (docs/architecture.md, invariant 3), so a text inside it is there as
``json.dumps(text, ensure_ascii=False)`` writes it.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, NamedTuple

# How a History filter names a date range and a user: `since:2019-05-01 until:2019-06-30
# user:alice` (words in either order, with the other words of the filter).
FILTER_WORDS = ("since:", "until:", "user:")


class Hit(NamedTuple):
    """One place a text was found: the event (seq, date and time, who), its task or
    county, which of its texts (``field``: note, outcome, reason, source, or a task field's
    name for a change) and that text."""

    seq: int
    ts: str
    user: str
    task: str | None
    county: str | None
    type: str
    field: str
    text: str

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": self.ts, "user": self.user, "task": self.task,
                "county": self.county, "type": self.type, "field": self.field,
                "text": self.text}


def fold(text: str) -> str:
    """Text as a search compares it: case folded (Latin), Chinese unchanged."""
    return text.casefold()


def event_texts(event: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, text) of everything people wrote or changed in an event: a note's text, a
    follow-up's outcome, a reason (a set's comment), a measurement's source, and the
    old and new values of a task field's change."""
    kind = event.get("type")
    found: list[tuple[str, str]] = []
    new = event.get("new")
    if kind == "note" and isinstance(new, str):
        found.append(("note", new))
    elif kind == "followup" and isinstance(new, dict):
        found.append(("outcome", str(new.get("outcome") or "")))
    elif kind == "measure" and isinstance(new, dict) and new.get("source"):
        found.append(("source", str(new["source"])))
    elif kind == "set":
        field = str(event.get("field"))
        for value in (event.get("old"), new):
            if value is not None:
                found.append((field, str(value)))
    if event.get("comment"):
        found.append(("reason", str(event["comment"])))
    return found


def event_search_text(event: dict[str, Any]) -> str:
    """An event's texts in one folded string (the History screen's filter)."""
    return fold(" ".join(text for _field, text in event_texts(event)))


def hits_in(event: dict[str, Any], query: str) -> list[Hit]:
    """Where ``query`` (folded) is found in ``event``'s texts: one hit per text."""
    if not query:
        return []
    task = event.get("task")
    county = event.get("county") or (str(task).split("-")[0] if task else None)
    return [Hit(int(event.get("seq", 0)), str(event.get("ts", "")), str(event.get("user", "")),
                task, county, str(event.get("type")), field, text)
            for field, text in event_texts(event) if query in fold(text)]


def needle_bytes(query: str) -> tuple[bytes, bool] | None:
    """What the journal's lines are scanned for: the query as it is written inside a
    JSON string, and whether the scan must fold ASCII case (the query has Latin
    letters). None when a byte scan cannot decide (a letter outside ASCII that has
    cases, such as É): the caller then parses every event."""
    if any(not ch.isascii() and ch.lower() != ch.upper() for ch in query):
        return None
    written = json.dumps(query, ensure_ascii=False)[1:-1].encode("utf-8")
    cased = any(ch.isascii() and ch.isalpha() for ch in query)
    return (written.lower() if cased else written), cased


class EventFilter(NamedTuple):
    """Which events a search or the History screen keeps: a task, a user, a date range
    (ISO days, inclusive)."""

    task: str | None = None
    user: str | None = None
    since: str | None = None
    until: str | None = None

    def keeps(self, event: dict[str, Any]) -> bool:
        if self.task is not None and event.get("task") != self.task:
            return False
        if self.user is not None and str(event.get("user", "")).casefold() \
                != self.user.casefold():
            return False
        day = str(event.get("ts", ""))[:10]
        if self.since is not None and day < self.since:
            return False
        return not (self.until is not None and day > self.until)


def split_filter(text: str, today: date) -> tuple[list[str], EventFilter]:
    """A History filter as typed: its plain words (folded) and its ``since:``,
    ``until:`` and ``user:`` words (dates as tracker.domain.dates reads them:
    ``since:2019-05-01``, ``since:-2w``). A bad date is a UsageError naming the word."""
    from tracker.domain.dates import parse_date

    words: list[str] = []
    found: dict[str, str] = {}
    for word in text.split():
        lowered = word.casefold()
        for prefix in FILTER_WORDS:
            if lowered.startswith(prefix) and len(word) > len(prefix):
                value = word[len(prefix):]
                if prefix != "user:":
                    value = parse_date(value, today=today, option=prefix[:-1]).isoformat()
                found[prefix[:-1]] = value
                break
        else:
            words.append(fold(word))
    return words, EventFilter(user=found.get("user"), since=found.get("since"),
                              until=found.get("until"))
