"""Importing county figures: encodings, every kind of problem with its row and column,
all or nothing, re-import, templates, XLSX, hostile cells, and no traceback for any
input (hypothesis)."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.domain.commands import Measure
from tracker.domain.errors import NotFoundError, TrackerError, UsageError
from tracker.formats.imports import (
    MAX_PROBLEMS,
    Batch,
    ImportRejected,
    Problem,
    read_import,
    write_template,
)
from tracker.i18n import set_language
from tracker.storage.store import Store

SUIZHONG = "211421"
ZH_TEXT = "县区,日期,档案馆人员（人）,档案事业经费列入年度预算\n绥中县,2017年12月31日,6,是\n"


def write(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def check(store: Store, path: Path) -> Batch:
    return read_import(store.view(), path, today=store.clock().date())


def commit(store: Store, path: Path) -> Batch:
    batch = check(store, path)
    store.apply(*batch.commands())
    return batch


def problems(store: Store, path: Path) -> ImportRejected:
    with pytest.raises(ImportRejected) as info:
        check(store, path)
    return info.value


def files(store: Store) -> tuple[bytes, bytes]:
    return store.path.read_bytes(), store.history.path.read_bytes()


# -- encodings ----------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_each_encoding_reads_the_same(store: Store, tmp_path: Path, encoding: str) -> None:
    text = ZH_TEXT.replace(",", "\t") if encoding == "utf-16" else ZH_TEXT  # Excel's "Unicode text"
    batch = check(store, write(tmp_path, "county.csv", text, encoding))
    assert [(c.county, c.key, c.on, c.new) for c in batch.changes] == [
        (SUIZHONG, "staff", date(2017, 12, 31), 6),
        (SUIZHONG, "budget_funding", date(2017, 12, 31), True)]


def test_gbk_bytes_are_not_taken_for_utf8(store: Store, tmp_path: Path) -> None:
    data = ZH_TEXT.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert len(check(store, write(tmp_path, "gbk.csv", data)).changes) == 2


# -- recording ----------------------------------------------------------------------------
def test_one_write_attributed_with_the_file_and_its_hash(store: Store, tmp_path: Path) -> None:
    import hashlib

    path = write(tmp_path, "绥中 2017.csv", ZH_TEXT)
    before = store.view().head["seq"]
    batch = commit(store, path)
    events = [e for e in store.events() if e["seq"] > before]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert [e["type"] for e in events] == ["measure", "measure"]
    assert {e["user"] for e in events} == {store.user}
    assert {e["new"]["source"] for e in events} == {f"绥中 2017.csv sha256:{digest}"}
    assert batch.source == f"绥中 2017.csv sha256:{digest}"
    assert store.view().latest(SUIZHONG, "staff").value == 6
    assert store.verify() == []


def test_reimporting_the_same_file_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", ZH_TEXT)
    commit(store, path)
    before = files(store)
    again = check(store, path)
    assert again.changes == [] and again.unchanged == 2
    assert files(store) == before


def test_a_changed_value_shows_old_and_new(store: Store, tmp_path: Path) -> None:
    commit(store, write(tmp_path, "a.csv", ZH_TEXT))
    later = "county,date,staff\n211421,2018-01-31,7\n211421,2017-12-31,8\n211421,2017-06-30,5\n"
    changes = check(store, write(tmp_path, "b.csv", later)).changes
    # old: the value as of that date (a new date after 6 shows 6; before it, nothing)
    assert [(str(c.on), c.old, c.new) for c in changes] == [
        ("2018-01-31", 6, 7), ("2017-12-31", 6, 8), ("2017-06-30", None, 5)]


def test_one_apply_is_all_or_nothing(store: Store, tmp_path: Path) -> None:
    batch = check(store, write(tmp_path, "a.csv", ZH_TEXT))
    before = files(store)
    with pytest.raises(NotFoundError):
        store.apply(*batch.commands(), Measure("000000", "staff", 1, date(2017, 1, 1)))
    assert files(store) == before


# -- problems, each with its row and column -----------------------------------------------
HEAD = "county,date,staff,budget_funding\n"
CASES = {
    "unknown county": ("999999,2017-12-31,3,\n", "row 3, column A (county)", "county.unknown"),
    "ambiguous county": ("铁西区,2017-12-31,3,\n", "row 3, column A", "county.ambiguous"),
    "part of a name": ("uizhong,2017-12-31,3,\n", "row 3, column A", "county.unknown"),
    "bad number": ("211421,2017-12-31,3.5,\n", "row 3, column C (staff)", "import.bad_value"),
    "negative": ("211421,2017-12-31,-1,\n", "row 3, column C", "import.bad_value"),
    "bad yes/no": ("211421,2017-12-31,,maybe\n", "row 3, column D", "import.bad_value"),
    "bad date": ("211421,someday,3,\n", "row 3, column B (date)", "date.bad"),
    "no such day": ("211421,2017-02-30,3,\n", "row 3, column B", "date.invalid_day"),
    "relative date": ("211421,+1m,3,\n", "row 3, column B", "import.relative_date"),
    "future date": ("211421,2019-01-01,3,\n", "row 3, column B", "import.future_date"),
    "no county": (",2017-12-31,3,\n", "row 3, column A", "import.missing_value"),
    "no date": ("211421,,3,\n", "row 3, column B", "import.missing_value"),
    "duplicate row": ("211421,2017-12-31,3,\nSuizhong,2017/12/31,,yes\n", "row 4:",
                      "import.duplicate_row"),
    "no header": ("211421,2017-12-31,3,,extra\n", "row 3, column E", "import.no_header"),
}


@pytest.mark.parametrize("case", CASES)
def test_each_row_problem_names_row_and_column(store: Store, tmp_path: Path,
                                               case: str) -> None:
    rows, where, key = CASES[case]
    error = problems(store, write(tmp_path, "f.csv", HEAD + "211421,2017-06-30,2,no\n" + rows))
    assert [p.key for p in error.problems] == [key]
    assert error.problems[0].row == int(where.split()[1].rstrip(",:"))
    assert f"f.csv: {where}" in error.message


HEADER_CASES = {
    "missing column": ("county,staff\n", "row 1: missing column Date (date)"),
    "unknown column": ("county,date,staf\n", "row 1, column C (staf): unknown column 'staf'"),
    "repeated column": ("county,date,staff,Archives staff (people)\n",
                        "row 1, column D (Archives staff (people)): this column repeats column C"),
    "derived column": ("county,date,digitized_share\n",
                       "row 1, column C (digitized_share): digitized_share is computed from"),
    "no figure columns": ("county,date\n", "row 1: no figure columns"),
}


@pytest.mark.parametrize("case", HEADER_CASES)
def test_header_problems(store: Store, tmp_path: Path, case: str) -> None:
    header, expected = HEADER_CASES[case]
    error = problems(store, write(tmp_path, "h.csv", header + "211421,2017-12-31,3\n"))
    assert f"h.csv: {expected}" in error.message


def test_a_name_that_is_not_the_codes_county(store: Store, tmp_path: Path) -> None:
    text = "county,county name,date,staff\n211421,兴城市,2017-12-31,3\n211421,绥中县,2017-06-30,3\n"
    error = problems(store, write(tmp_path, "n.csv", text))
    assert [(p.row, p.column, p.key) for p in error.problems] == [(2, 2, "import.name_mismatch")]


@pytest.mark.parametrize(("content", "key"), [
    (b"", "import.empty"),
    (b"  \r\n\n", "import.empty"),
    (b"\x00\x01\x02binary\xff\xfe\x00", "import.not_table"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "import.old_excel"),
    (b"PK\x03\x04 not really a workbook", "import.bad_xlsx"),
    (b"\x81\x30 invalid gb18030 \xff", "import.not_table"),
    (b"county,date,staff\n211421,2017-12-31,\n", "import.no_values"),
])
def test_whole_file_problems(store: Store, tmp_path: Path, content: bytes, key: str) -> None:
    path = write(tmp_path, "w.csv", content)
    with pytest.raises(TrackerError) as info:
        check(store, path)
    error = info.value
    found = error.problems[0] if isinstance(error, ImportRejected) else error
    assert isinstance(found, Problem) and found.key == key
    assert error.message.startswith("w.csv: ") and "Traceback" not in error.message


@pytest.mark.parametrize(("content", "row"), [('county,"date"x,staff\n', 1),
                                              ('county,date,staff\n211421,"2017"-1,3\n', 2)])
def test_malformed_csv_quoting_names_the_row(store: Store, tmp_path: Path, content: str,
                                              row: int) -> None:
    error = problems(store, write(tmp_path, "q.csv", content))
    assert [(p.key, p.row) for p in error.problems] == [("import.bad_csv", row)]
    assert f"q.csv: row {row}: the CSV cannot be read here" in error.message


def test_a_missing_file_is_a_usage_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        check(store, tmp_path / "nope.csv")


def test_every_problem_is_listed_up_to_a_cap(store: Store, tmp_path: Path) -> None:
    rows = "".join(f"211421,2017-01-{day:02d},x{day}\n" for day in range(1, 29))
    rows += "".join(f"99999{n},2017-02-01,1\n" for n in range(10)) * 9
    error = problems(store, write(tmp_path, "many.csv", "county,date,staff\n" + rows))
    assert error.total == 28 + 90 and len(error.problems) == MAX_PROBLEMS
    assert error.message.splitlines()[-1] == f"… and {error.total - MAX_PROBLEMS} more problem(s)"
    assert [p.row for p in error.problems[:3]] == [2, 3, 4]


def test_messages_follow_the_language(store: Store, tmp_path: Path) -> None:
    set_language("zh")
    error = problems(store, write(tmp_path, "z.csv", HEAD + "999999,2017-12-31,3,\n"))
    assert "z.csv：第 2 行，A 列（county）：没有与“999999”匹配的县区" in error.message


# -- hostile cells: refused, shown escaped --------------------------------------------------
HOSTILE = ["[bold]绥中[/bold]", "[link=https://example.com]x[/link]", "[/]",
           "\x1b[31m6", "\x1b]8;;https://example.com\x07x", "6\u202e", "\u2066绥中县\u2069",
           "5\r\n6", "\x9b2J", "=1+2", "@SUM(A1)"]


@pytest.mark.parametrize("cell", HOSTILE)
def test_hostile_cells_are_refused_and_shown_escaped(store: Store, tmp_path: Path,
                                                     cell: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["county", "date", "staff"], [cell, "2017-12-31", "1"],
                                  ["211421", "2017-12-31", cell]])
    error = problems(store, write(tmp_path, "x.csv", buffer.getvalue()))
    assert {(p.row, p.column) for p in error.problems} >= {(2, 1), (3, 3)}
    for char in "\x1b\x07\x00\x9b\u202e\u2066\r":
        assert char not in error.message
    if "\x1b" in cell:
        assert "\\x1b" in error.message


def test_a_nul_byte_means_not_a_table(store: Store, tmp_path: Path) -> None:
    with pytest.raises(Problem) as info:
        check(store, write(tmp_path, "nul.csv", "county,date,staff\n211421,2017-12-31,\x00\n"))
    assert info.value.key == "import.not_table"


# -- templates and XLSX -------------------------------------------------------------------
def test_csv_template_filled_in_and_imported(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_template(store.view().plan, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
    assert rows[0][:3] == ["County", "County name", "Date"] and len(rows) == 101
    assert "Holdings (volumes)" in rows[0] and "digitized_share" not in ",".join(rows[0])
    staff = rows[0].index("Archives staff (people)")
    for row in rows[1:4]:
        row[2], row[staff] = "2017-12-31", "4"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    batch = check(store, path)
    assert [(c.county, c.new) for c in batch.changes] == [(r[0], 4) for r in rows[1:4]]


def test_xlsx_template_filled_in_with_typed_cells(store: Store, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    set_language("zh")
    path = tmp_path / "t.xlsx"
    write_template(store.view().plan, path)
    book = load_workbook(path)
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["县区", "县区名称", "日期"] and sheet.freeze_panes == "C2"
    suizhong = next(r for r in range(2, 102) if sheet.cell(r, 1).value == SUIZHONG)
    sheet.cell(suizhong, 1).value = int(SUIZHONG)  # Excel turned the code into a number
    sheet.cell(suizhong, 3).value = datetime(2017, 12, 31)
    sheet.cell(suizhong, headers.index("馆藏档案（卷）") + 1).value = 52000.0
    sheet.cell(suizhong, headers.index("档案事业经费列入年度预算（是/否）") + 1).value = True
    sheet.cell(suizhong, headers.index("档案日常维护费（元/卷·年）") + 1).value = 2.5
    book.save(path)
    set_language("en")
    batch = check(store, path)
    assert [(c.row, c.key, c.on, c.new) for c in batch.changes] == [
        (suizhong, "holdings", date(2017, 12, 31), 52000),
        (suizhong, "budget_funding", date(2017, 12, 31), True),
        (suizhong, "maintenance_fee", date(2017, 12, 31), 2.5)]


def test_xlsx_problems_name_the_sheet_row(store: Store, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["county", "date", "staff"])
    sheet["A7"], sheet["B7"], sheet["C7"] = "211421", "2017-12-31", "lots"
    book.save(tmp_path / "b.xlsx")
    error = problems(store, tmp_path / "b.xlsx")
    assert "b.xlsx: row 7, column C (staff): 'lots' is not a whole number" in error.message


def test_template_refuses_to_overwrite_or_guess_the_type(store: Store, tmp_path: Path) -> None:
    plan = store.view().plan
    existing = write(tmp_path, "mine.csv", "precious")
    with pytest.raises(UsageError):
        write_template(plan, existing)
    assert existing.read_text() == "precious"
    with pytest.raises(UsageError):
        write_template(plan, tmp_path / "t.ods")


# -- no input gives a traceback --------------------------------------------------------------
CELLS = st.one_of(st.sampled_from(["211421", "绥中", "铁西区", "2017-12-31", "2017年6月1日",
                                   "+1m", "6", "-1", "是", "1e9", "nan", "", "Date",
                                   "staff", "县区", "digitized_share"]),
                  st.text(max_size=12))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(["county", "date", "staff", "县区", "日期", "holdings",
                                        "budget_funding", "x", ""]), max_size=5),
       rows=st.lists(st.lists(CELLS, max_size=6), max_size=6),
       noise=st.binary(max_size=40), encoding=st.sampled_from(["utf-8", "gb18030", "raw"]))
def test_no_csv_input_gives_a_traceback(store: Store, header: list[str],
                                        rows: list[list[str]], noise: bytes,
                                        encoding: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    data = noise if encoding == "raw" else buffer.getvalue().encode(encoding, "replace")
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), "p.csv", data)
        try:
            check(store, path)
        except TrackerError as error:
            assert error.message.startswith("p.csv: ")
            assert "Traceback" not in error.message


def test_more_digitized_than_permanent_volumes_is_refused(store: Store, tmp_path: Path) -> None:
    """In one row, or against the figure already recorded as of the row's date."""
    head = "county,date,permanent_volumes,digitized_permanent_volumes\n"
    error = problems(store, write(tmp_path, "a.csv", head + "211421,2017-06-30,50000,60000\n"))
    assert [p.key for p in error.problems] == ["import.part_over_whole"]
    assert "row 2, column D" in error.message and "60000" in error.message
    commit(store, write(tmp_path, "b.csv", head + "211421,2017-06-30,50000,40000\n"))
    later = "county,date,digitized_permanent_volumes\n211421,2018-01-31,50001\n"
    assert [p.key for p in problems(store, write(tmp_path, "c.csv", later)).problems] == [
        "import.part_over_whole"]


def test_a_row_that_lowers_both_the_part_and_its_whole_is_recorded(
        store: Store, tmp_path: Path) -> None:
    """The store checks part <= whole at each Measure of the batch (tracker.domain.commands):
    a row that lowers the whole below the old part (a recount) must reach the store with
    its part first, and a row that raises both, with its whole first; whatever the
    columns' order in the file."""
    commit(store, write(tmp_path, "a.csv", "county,date,permanent_volumes,"
                        "digitized_permanent_volumes\n211421,2017-06-30,50000,40000\n"))
    lower = ("county,date,permanent_volumes,digitized_permanent_volumes\n"
             "211421,2017-09-30,3000,2000\n")
    commit(store, write(tmp_path, "b.csv", lower))
    higher = ("county,date,digitized_permanent_volumes,permanent_volumes\n"
              "211421,2017-12-31,60000,70000\n")
    commit(store, write(tmp_path, "c.csv", higher))
    view = store.view()
    assert [view.latest(SUIZHONG, key).value
            for key in ("permanent_volumes", "digitized_permanent_volumes")] == [70000, 60000]
