"""Tidy CSV: one table a file (tracker.formats.tables), its columns' codes on line 1.

``pd.read_csv(PATH)`` loads it with no other argument, Excel and WPS filter it as it is:
UTF-8 with a BOM (so that they read Chinese right), RFC 4180 quoting, CRLF line ends.
Where it comes from (plan, as-of date, who, when, the history head) and what each
column means are in the sidecar ``PATH.meta.json``, not in the table.

Cells are written so that a reader keeps what they mean: no value is an empty field;
yes/no are ``true``/``false``; dates ISO 8601; a recommendation ``R1.1`` (see
tables.rec_code); text that a spreadsheet would run as a formula gets a leading
apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from typing import Any

from tracker.formats.snapshot import Snapshot
from tracker.formats.tables import Table
from tracker.i18n import get_language

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(
            value):
        return "'" + value
    return value


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def write_table(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    codes = [c.code for c in table.columns]
    writer.writerow(codes)
    writer.writerows([csv_value(v) for v in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")


def sidecar(snapshot: Snapshot, table: Table, name: str, digest: str) -> bytes:
    """``PATH.meta.json``: the table's provenance and its columns (code, label, kind)."""
    document = {
        "format": "tracker-table",
        "version": 1,
        "file": name,
        "sha256": digest,
        "table": table.name,
        "title": table.title,
        "language": get_language(),
        "provenance": snapshot["provenance"],
        "columns": [{"code": c.code, "label": c.label, "kind": c.kind} for c in table.columns],
        "rows": len(table.rows),
        "notes": {
            "recommendation": "written R1.1 for recommendation 1.1 (as text)",
            "bool": "true or false", "date": "ISO 8601 (YYYY-MM-DD)",
            "empty": "no value",
        },
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
