"""The writers' quick paths held to the plain definitions: the task rows every format
writes, the CSV module's quoting, the JSON snapshot's one item per line."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tracker.storage.store import Store

from tracker.domain.commands import LogFollowup, SetFields
from tracker.domain.model import FollowupKind, Status
from tracker.domain.text import clean_text
from tracker.formats.export import (
    _MD_SPECIAL,
    Table,
    _csv_cell,
    _csv_field,
    _escape,
    _md,
    _one_per_line,
    _td,
    metadata_table,
    render,
    rollup_table,
    table_cells,
    task_table,
)
from tracker.formats.snapshot import Snapshot
from tracker.formats.xlsx import Strings
from tracker.formats.xlsx import cell as xlsx_cell
from tracker.i18n import _, set_language

from .conftest import Clock, measure_on
from .test_snapshot import snap


@pytest.fixture
def varied(store: Store, clock: Clock) -> Store:
    """Tasks with owners, follow-ups and texts a CSV, a page or a sheet must escape; a
    county with figures, and one with a staffing count."""
    texts = ['a, "quoted" owner', "=SUM(A1)", "<b>x</b> & | *y*", "-12.5", "  lead", "绥中"]
    # Owners are groups or accounts the server knows; this store knows these as accounts
    # (an account name is whatever the server's passwd says), so that the exports must
    # escape them.
    store.known_account = lambda name: True
    counties = store.view().plan.counties
    for number, text in enumerate(texts):
        ident = f"{counties[number * 7].code}-{'2.5' if number % 2 else '1.1'}"
        due = date(2018, 12, 31) if number % 3 else date(2019, 6, 30)
        store.apply(SetFields(ident, {"owner": text, "status": Status.IN_PROGRESS,
                                      "due": due}))
        store.apply(LogFollowup(ident, FollowupKind.CALL, f"{text}, again",
                                on=date(2018, 2, 1)))
    measure_on(store, counties[0].code, "permanent_volumes", 1000, date(2018, 1, 10))
    measure_on(store, counties[0].code, "digitized_permanent_volumes", 250, date(2018, 1, 10))
    measure_on(store, counties[1].code, "staff", 3, date(2018, 1, 10))
    measure_on(store, counties[1].code, "holdings", 90000, date(2018, 1, 10))
    store.apply(SetFields(f"{counties[2].code}-1.1", {"status": Status.NOT_APPLICABLE},
                          comment="merged"))
    clock.advance(days=400)  # as of 2019-04: untouched open tasks are stale, some overdue
    store.apply(SetFields(f"{counties[7].code}-2.5", {"owner": "touched"}))
    return store


def plain_rows(snapshot: Snapshot) -> list[list[Any]]:
    """The task table as its columns say, task by task and cell by cell."""
    lang = "en"
    counties = {c["code"]: c for c in snapshot["counties"]}
    prefectures = {p["code"]: p["name"][lang] for p in snapshot["prefectures"]}
    rows = []
    for task in snapshot["tasks"]:
        county = counties[task["county"]]
        last = task["last_followup"] or {}
        row = [task["id"], prefectures.get(task["prefecture"], task["prefecture"]),
               task["county"], county["name"][lang], task["recommendation"],
               _(f"status.{task['status']}"), clean_text(task["owner"] or "") or None,
               task["due"], task["next_followup"], last.get("date"),
               _(f"kind.{last['kind']}") if last else None,
               clean_text(last.get("outcome") or "", single_line=True) or None,
               _("value.yes") if task["overdue"] else _("value.no"),
               _("value.yes") if task["stale"] else _("value.no")]
        for raw in snapshot["indicators"]:
            value = county["values"][raw["id"]]
            if raw["recommendation"] != task["recommendation"]:
                row += [None, None]
                continue
            shown = value["value"]
            if isinstance(shown, bool):
                shown = _("value.yes") if shown else _("value.no")
            elif shown is not None and raw["comparison"] == ">=standard" \
                    and value["required"] is not None:
                shown = f"{shown}/{value['required']}"
            row += [shown, _(f"progress.{value['status']}")]
        rows.append(row)
    return rows


def test_task_rows_are_the_plain_table_in_every_format(varied: Store) -> None:
    set_language("en")
    snapshot = snap(varied)
    expected = plain_rows(snapshot)
    table = task_table(snapshot)
    assert table_cells(table, lambda v: v) == expected
    assert any(row[6] == 'a, "quoted" owner' for row in expected)
    flags = {(row[12], row[13]) for row in expected}  # overdue, stale
    assert flags == {("no", "no"), ("no", "yes"), ("yes", "no"), ("yes", "yes")}
    cells = {c for row in expected for c in row[14:]}
    assert 25.0 in cells and any(isinstance(c, str) and c.startswith("3/") for c in cells)
    plain = Table("t", table.headers, expected)
    for cell in (_csv_field, _md, _td, xlsx_cell):
        assert table_cells(table, cell) == table_cells(plain, cell), cell
    assert table_cells(table, _md, 3) == table_cells(plain, _md)[:3]


def test_csv_is_what_the_csv_module_writes(varied: Store) -> None:
    set_language("zh")
    snapshot = snap(varied)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for number, table in enumerate((metadata_table(snapshot), task_table(snapshot),
                                    rollup_table(snapshot))):
        if number:
            writer.writerow([])
        writer.writerow([_csv_cell(table.title)])
        writer.writerow([_csv_cell(h) for h in table.headers])
        writer.writerows(table_cells(table, _csv_cell))
    data = render(snapshot, "csv")
    assert data == out.getvalue().encode("utf-8-sig")
    assert b'"a, ""quoted"" owner"' in data and b"'=SUM(A1)" in data


@pytest.mark.parametrize("items", [
    [{"id": 1, "x": "},{\"id\":"}, {"id": 2}],  # the cut inside a string: escaped
    [{"id": 1, "more": [{"id": 2}, {"id": 3}]}, {"id": 4}],  # nested: item by item
    [{"id": 1}, {"code": 2}],  # different first keys
    [{}, {"id": 1}], [1, "two", None], [{"id": "一"}],
])
def test_json_items_one_per_line(items: list[Any]) -> None:
    text = _one_per_line(items)
    assert text.split(b",\n  ") == [orjson.dumps(item) for item in items]
    assert json.loads(b"[" + text + b"]") == items


_TEXT = st.text(st.sampled_from(list("ab中 ,\"'\r\n\t=+-@&<>|*_\\`[]~\u3000\u202e\x00\x85"))
                | st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=500, deadline=None)
@given(_TEXT)
@example("a  b")
@example(" a")
@example("a ")
@example("a&b")
@example("'=1")
@example("a\tb")
def test_cells_of_any_text_as_the_plain_rules_make_them(text: str) -> None:
    """The writers' shortcuts for plain text give what their full rules give."""
    assert _md(text) == _MD_SPECIAL.sub(r"\\\1", clean_text(text, single_line=True))
    assert _td(text) == f"<td>{_escape(clean_text(text))}"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([_csv_cell(text), "x"])
    assert _csv_field(text) + ",x\r\n" == out.getvalue()


def test_xlsx_text_is_shared_once_and_stored_without_control_characters() -> None:
    strings = Strings()
    cells = [strings.cell(v) for v in ("a\x1b[31mb\x00", "绥中", "绥中", 3, None, True)]
    assert cells[1] == cells[2] == '<c t="s"><v>1</v></c>' and cells[0] != cells[1]
    assert cells[3:] == ["<c><v>3</v></c>", "<c/>", '<c t="b"><v>1</v></c>']
    xml = "".join(strings.xml())
    assert xml.endswith('<si><t xml:space="preserve">a[31mb</t></si>'
                        '<si><t xml:space="preserve">绥中</t></si></sst>')
    assert 'uniqueCount="2"' in xml and "\x1b" not in xml and "\x00" not in xml


def test_a_workbook_that_fails_midway_raises_and_leaves_no_thread() -> None:
    import sys
    import threading
    from datetime import UTC, datetime

    from tracker.formats.xlsx import Sheet, workbook

    def rows():
        yield ["<c/>"]
        raise RuntimeError("a row could not be made")

    before = threading.active_count()
    interval = sys.getswitchinterval()
    sheets = [Sheet("a", ["x"], [["<c/>"]] * 3, [6]), Sheet("b", ["y"], rows(), [6])]
    with pytest.raises(RuntimeError, match="could not be made"):
        workbook(sheets, title="t", creator="c", moment=datetime(2020, 1, 1, tzinfo=UTC))
    assert threading.active_count() == before
    assert sys.getswitchinterval() == interval
