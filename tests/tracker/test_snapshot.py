"""Snapshots: the demo's 2017 baseline, each format read back, CSV safety, determinism,
diff and merge."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tracker.domain.commands import LogFollowup, Measure, SetFields
from tracker.domain.errors import SnapshotError
from tracker.domain.model import FollowupKind, Status
from tracker.formats.csvfile import neutralise
from tracker.formats.export import Options, render
from tracker.formats.snapshot import build_snapshot, diff_snapshots, load_snapshot, merge_snapshots
from tracker.i18n import set_language
from tracker.storage.store import Store

CST = timezone(timedelta(hours=8))
BASELINE = date(2017, 6, 30)
AT = datetime(2021, 3, 1, 10, 0, tzinfo=CST)


def snap(store: Store, as_of: date | None = None, at: datetime = AT, **selection):
    view = store.view(as_of)
    return build_snapshot(view, as_of or store.clock().date(), generated_at=at,
                          generated_by="tester", head=store.view().head, **selection)


def json_of(snapshot) -> dict:
    """The JSON export, checked against docs/snapshot.schema.json."""
    from .test_export_rows import validate

    document = json.loads(render(snapshot, "json"))
    validate(document)
    return document


def test_demo_baseline_as_of_2017_06_30(demo: Store) -> None:
    data = json_of(snap(demo, BASELINE))
    shares = {c["code"]: c["values"]["digitized_share"]["value"] for c in data["counties"]}
    assert len(shares) == 100
    assert sum(1 for v in shares.values() if v < 30) == 71
    assert shares["211421"] == 100.0
    provenance = data["provenance"]
    assert provenance["as_of"] == "2017-06-30" and provenance["demo"] is True
    assert provenance["plan"]["id"] == "liaoning-2017"
    assert provenance["history_head"]["hash"] == demo.view().head["hash"]
    assert provenance["generated_by"] == "tester"
    assert len(data["tasks"]) == 700
    total = data["rollups"]["total"]["indicators"]["digitized_share"]
    assert total["counties"] == 100 and total["meeting"] == sum(v >= 60 for v in shares.values())
    assert sum(total["statuses"].values()) == 100


def test_selection_by_prefecture_and_recommendation(demo: Store) -> None:
    data = snap(demo, BASELINE, prefecture="葫芦岛", rec="2.5")
    assert {t["id"] for t in data["tasks"]} >= {"211421-2.5"}
    assert len(data["tasks"]) == 6 and len(data["counties"]) == 6
    assert [i["id"] for i in data["indicators"]] == ["digitized_share", "assessment_date_set"]
    assert [p["code"] for p in data["rollups"]["prefectures"]] == ["211400"]
    assert data["provenance"]["selection"] == {"prefecture": "211400",
                                               "recommendations": ["2.5"]}


def test_csv_reads_back_with_bom_and_rfc4180(demo: Store) -> None:
    """One table a file, its header on line 1 (the tasks by default; --table for the
    others): the issue's CSV had three blocks and the task header on line 17."""
    data = render(snap(demo, BASELINE), "csv")
    assert data.startswith(b"\xef\xbb\xbftask_id,")
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(body) == 700 and all(row for row in rows)
    suizhong = next(r for r in body if r["task_id"] == "211421-2.5")
    assert suizhong["county"] == "Suizhong County" and suizhong["status"] == "not_started"
    assert "recommendation" in header and suizhong["recommendation"] == "R2.5"
    counties = list(csv.DictReader(io.StringIO(
        render(snap(demo, BASELINE), "csv", Options(table="counties")).decode("utf-8-sig"))))
    row = next(r for r in counties if r["county_code"] == "211421")
    assert row["digitized_share"] == "100.0" and row["digitized_share_status"] == "met"
    rollups = list(csv.reader(io.StringIO(
        render(snap(demo, BASELINE), "csv", Options(table="rollups")).decode("utf-8-sig"))))
    assert len(rollups) == 1 + 8 * 15  # total + 14 cities


def test_chinese_csv(demo: Store) -> None:
    set_language("zh")
    text = render(snap(demo, BASELINE), "csv").decode("utf-8-sig")
    assert "绥中县" in text and "未开始" in text


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+2", "-3+cmd", "@SUM(A1)",
                                  "\t=1"])
def test_formula_cells_are_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert neutralise("-12.5") == "-12.5" and neutralise(-3) == -3 and neutralise("绥中") == "绥中"


def _with_followup(store: Store, outcome: str, owner_task: str = "211421-2.5") -> None:
    store.apply(SetFields(owner_task, {"status": Status.IN_PROGRESS}))
    store.apply(LogFollowup(owner_task, FollowupKind.CALL, outcome, on=date(2018, 3, 1)))


def test_user_text_is_data_in_every_format(store: Store) -> None:
    evil = "=cmd|' /C calc'!A0 <script>alert(1)</script> | *x*"
    _with_followup(store, evil)
    snapshot = snap(store)
    csv_text = render(snapshot, "csv").decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in csv_text
    book = openpyxl.load_workbook(io.BytesIO(render(snapshot, "xlsx")))
    cells = [c for row in book["Tasks"].iter_rows() for c in row if c.value == evil]
    assert cells and all(c.data_type == "s" for c in cells)  # text, not a formula
    page = render(snapshot, "html", Options(details=True)).decode()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "\\<script\\>" in render(snapshot, "md").decode()
    assert "<script>" not in render(snapshot, "html").decode()


SHEETS = ["Summary", "Counties", "Tasks", "Roll-ups", "About"]


def test_xlsx_reads_back(demo: Store) -> None:
    """openpyxl (also in read-only mode, which needs the <dimension> element) and
    python-calamine read every sheet; dates are date cells; ids and statuses are text."""
    from python_calamine import CalamineWorkbook

    data = render(snap(demo, BASELINE), "xlsx")
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert any(name.startswith("xl/charts/chart") for name in archive.namelist())
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == SHEETS
    tasks = book["Tasks"]
    assert tasks.freeze_panes == "A2" and tasks.auto_filter.ref == "A1:Q701"
    assert tasks.max_row == 701 and tasks["A1"].value == "Task"
    assert tasks.page_setup.orientation == "landscape" and tasks.page_setup.paperSize == 9
    assert tasks.sheet_properties.pageSetUpPr.fitToPage and tasks.page_setup.fitToHeight == 0
    assert tasks.print_title_rows == "$1:$1" and "2017-06-30" in tasks.oddFooter.left.text
    rows = list(tasks.iter_rows(values_only=True))
    suizhong = dict(zip(rows[0], next(r for r in rows if r[0] == "211421-2.5"), strict=True))
    assert suizhong["Rec"] == "R2.5" and suizhong["Status code"] == "not_started"
    assert isinstance(suizhong["Due"], datetime)
    counties = list(book["Counties"].iter_rows(values_only=True))
    row = dict(zip(counties[0], next(r for r in counties if r[0] == "211421"), strict=True))
    assert row["Permanent holdings digitized"] == 100.0
    lean = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert [lean[name].max_row for name in SHEETS[1:4]] == [101, 701, 1 + 8 * 15]
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert calamine.sheet_names == SHEETS
    for name in SHEETS:
        assert calamine.get_sheet_by_name(name).to_python()
    frame = pd.read_excel(io.BytesIO(data), sheet_name="Tasks", engine="calamine")
    assert frame["Status code"].isna().sum() == 0 and len(frame) == 700
    assert set(frame["Rec"]) == {"R1.1", "R1.2", "R2.1", "R2.2", "R2.3", "R2.4", "R2.5"}


@pytest.mark.slow  # reads a whole workbook back: about 3-7 s
def test_xlsx_holds_what_a_spreadsheet_user_sees(store: Store) -> None:
    """Read back with openpyxl: every table sheet's header bold and frozen, widths set,
    numbers as numbers, text as text (also text that looks like a formula or a number,
    with markup, ampersands, leading spaces or Chinese), empty cells empty; sheets and
    ids in Chinese; the properties."""
    set_language("zh")
    text = "  =1+2 & <b>\"绥中\"</b> 'x' "
    store.apply(SetFields("211421-2.5", {"owner": "G07"}))
    _with_followup(store, text)
    snapshot = snap(store)
    book = openpyxl.load_workbook(io.BytesIO(render(snapshot, "xlsx")))
    assert book.sheetnames == ["概要", "县区", "任务", "汇总", "说明"]
    for sheet in book.worksheets[1:4]:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1]) and not any(c.font.b for c in sheet[2])
        assert all(sheet.column_dimensions[c.column_letter].width >= 6 for c in sheet[1])
    tasks = book.worksheets[2]
    rows = list(tasks.iter_rows(values_only=True))
    assert len(rows) == 1 + 700
    row = dict(zip(rows[0], next(r for r in rows if r[0] == "211421-2.5"), strict=True))
    assert row[_col("export.col.last_outcome")] == text.strip()
    assert row[_col("col.owner")] == "G07" and row[_col("col.county")] == "绥中县"
    assert row[_col("col.next")] is None
    rollups = list(book.worksheets[3].iter_rows(values_only=True))
    assert all(isinstance(r[6], int) and not isinstance(r[6], bool) for r in rollups[1:])
    assert rollups[1][4] == "永久档案数字化比例"  # the target's title beside its id
    summary = [c for r in book.worksheets[0].iter_rows(values_only=True) for c in r if c]
    assert "永久档案数字化比例" in summary and "digitized_share" not in summary
    meta = dict(r[:2] for r in book.worksheets[4].iter_rows(values_only=True))
    assert meta[_col("export.meta.head_seq")] == snapshot["provenance"]["history_head"]["seq"]
    assert book.properties.creator == "tester"
    assert book.properties.created == AT.astimezone(UTC).replace(tzinfo=None)


def _col(key: str) -> str:
    from tracker.i18n import _

    return _(key)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in ("src", "href") and v]

    def handle_data(self, data) -> None:
        self.text.append(data)


def test_html_is_a_self_contained_summary(demo: Store) -> None:
    """The leaders' summary: targets with status in words and a trend chart each
    (well-formed SVG), the matrix, the counties furthest from the target; provenance at
    the end, not first; no task table unless --details."""
    import xml.etree.ElementTree as ET

    set_language("zh")
    page = render(snap(demo, date(2019, 6, 30)), "html").decode()
    parser = _Collect()
    parser.feed(page)
    text = "".join(parser.text)
    assert parser.links == [] and "script" not in parser.tags  # nothing to fetch or run
    assert '<html lang="zh-CN">' in page and "@page" in page
    assert "演示数据" in text and "截至 2019-06-30" in text
    assert text.index("目标") < text.index("数据来源") and text.index("历史链头") > text.index(
        "离目标最远的县区")
    charts = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert sum('class="chart"' in c for c in charts) == 8
    for chart in charts:
        ET.fromstring(chart)  # well-formed XML
    assert "stroke-dasharray" in charts[0]  # the threshold line, in black and white too
    assert any(f'class="status {s}"' in page for s in ("met", "on_track", "at_risk",
                                                       "off_track"))
    tables = _tables(page)
    assert all(len(t) < 30 for t in tables)
    detailed = render(snap(demo, date(2019, 6, 30)), "html", Options(details=True)).decode()
    header, *rows = _tables(detailed)[-1]
    assert len(rows) == 700 and all(len(row) == len(header) for row in rows)
    assert 'class="details"' in detailed and "size: A4 landscape" in detailed


def test_html_since_lists_what_changed(demo: Store) -> None:
    from tracker.formats.snapshot import diff_snapshots

    old, new = snap(demo, date(2019, 5, 31)), snap(demo, date(2019, 6, 30))
    page = render(new, "html", Options(changes=diff_snapshots(old, new),
                                       since="2019-06-01")).decode()
    assert "What changed since 2019-06-01" in page and "Status moves" in page


def _tables(page: str) -> list[list[list[str]]]:
    """Each table's rows of cell texts, as a browser builds them (an end tag left out is
    implied by the next cell, row or the table's end)."""
    tables: list[list[list[str]]] = []

    class Cells(HTMLParser):
        def handle_starttag(self, tag, attrs) -> None:
            if tag == "table":
                tables.append([])
            elif tag == "tr":
                tables[-1].append([])
            elif tag in ("td", "th"):
                tables[-1][-1].append("")

        def handle_data(self, data) -> None:
            if tables and tables[-1] and tables[-1][-1]:
                tables[-1][-1][-1] += data

    Cells().feed(page)
    return tables


def test_markdown_report(demo: Store) -> None:
    md = render(snap(demo, BASELINE), "md").decode()
    assert md.startswith("# Liaoning")
    assert "**DEMO DATA" in md and "## Targets" in md
    task_lines = [line for line in md.splitlines() if re.match(r"\| 21\d{4}-", line)]
    assert len(task_lines) == 700


@pytest.mark.slow  # every format exported twice: about 4-10 s
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "md", "html"])
def test_deterministic_apart_from_generated_at(demo: Store, fmt: str) -> None:
    first = render(snap(demo, BASELINE, at=AT), fmt)
    again = render(snap(demo, BASELINE, at=AT), fmt)
    assert first == again
    later = AT + timedelta(hours=5)
    other = render(snap(demo, BASELINE, at=later), fmt)
    if fmt == "xlsx":
        def sheets(data: bytes) -> list:
            book = openpyxl.load_workbook(io.BytesIO(data))
            return [list(ws.iter_rows(values_only=True)) for ws in book]
        a, b = sheets(first), sheets(other)
        assert a[:4] == b[:4]
        assert [r for r in a[4] if r[0] != "Generated at"] == [
            r for r in b[4] if r[0] != "Generated at"]
        assert {i.date_time for i in zipfile.ZipFile(io.BytesIO(first)).infolist()} == {
            (1980, 1, 1, 0, 0, 0)}
    else:
        assert first.replace(AT.isoformat().encode(), b"X") == other.replace(
            later.isoformat().encode(), b"X")


def test_diff_reports_moves_followups_values_and_crossings(store: Store, clock) -> None:
    code = "211421"
    store.apply(Measure(code, "permanent_volumes", 1000, date(2018, 1, 1), "t"))
    store.apply(Measure(code, "digitized_permanent_volumes", 500, date(2018, 1, 1), "t"))
    before = snap(store)
    clock.advance(days=30)
    store.apply(Measure(code, "digitized_permanent_volumes", 650, date(2018, 3, 15), "t"))
    _with_followup(store, "县局已完成扫描")
    after = snap(store)
    changes = diff_snapshots(before, after)
    assert changes["status_moves"] == [{"task": "211421-2.5", "county": code,
                                        "from": "not_started", "to": "in_progress"}]
    assert [(f["task"], f["outcome"]) for f in changes["followups"]] == [
        ("211421-2.5", "县局已完成扫描")]
    crossed = changes["crossed"]
    assert crossed == [{"county": code, "indicator": "digitized_share", "met": True,
                        "from": 50.0, "to": 65.0}]
    assert [(c["county"], c["status_to"]) for c in changes["indicator_changes"]] == [
        (code, "met")]
    assert diff_snapshots(after, after) == {**diff_snapshots(after, after),
                                            "status_moves": [], "followups": [],
                                            "indicator_changes": [], "crossed": []}


@pytest.mark.slow  # merges 14 snapshots: about 5-10 s
def test_merge_per_prefecture_snapshots_equals_the_whole(demo: Store) -> None:
    whole = snap(demo, BASELINE)
    parts = [(p.code, snap(demo, BASELINE, prefecture=p.code))
             for p in demo.view().plan.prefectures]
    merged = merge_snapshots(parts, generated_at=AT, generated_by="tester")
    assert merged["rollups"] == whole["rollups"]
    assert len(merged["tasks"]) == 700
    assert [s["file"] for s in merged["provenance"]["sources"]] == [p for p, _s in parts]
    json_of(merged)  # against the schema
    assert merged["trends"]["indicators"]["digitized_share"]["prefectures"] == whole[
        "trends"]["indicators"]["digitized_share"]["prefectures"]
    assert [p["meeting"] for p in merged["trends"]["indicators"]["budget_funding"]["total"]] == [
        p["meeting"] for p in whole["trends"]["indicators"]["budget_funding"]["total"]]
    assert "trend" in render(merged, "html").decode().lower()
    assert openpyxl.load_workbook(io.BytesIO(render(merged, "xlsx"))).sheetnames == SHEETS


def test_merge_refuses_mismatches(demo: Store) -> None:
    a = snap(demo, BASELINE, prefecture="211400")
    b = snap(demo, BASELINE, prefecture="210100")
    with pytest.raises(SnapshotError, match=re.escape("is in both a.json and a-again.json")):
        merge_snapshots([("a.json", a), ("a-again.json", a)], generated_at=AT,
                        generated_by="t")
    later = snap(demo, date(2018, 6, 30), prefecture="210100")
    dates = re.escape("as of 2018-06-30, but a.json is as of 2017-06-30")
    with pytest.raises(SnapshotError, match=dates):
        merge_snapshots([("a.json", a), ("later.json", later)], generated_at=AT,
                        generated_by="t")
    other = json.loads(json.dumps(b))
    other["provenance"]["plan"]["id"] = "jilin-2017"
    other["indicators"][0]["threshold"] = 50
    with pytest.raises(SnapshotError) as refused:
        merge_snapshots([("a.json", a), ("jilin.json", other)], generated_at=AT,
                        generated_by="t")
    assert refused.value.message == (
        "jilin.json: plan jilin-2017 does not hold the same targets as plan liaoning-2017 "
        "of a.json (differs in: digitized_share); its figures cannot be combined")
    # Another province's plan with the same targets merges.
    same = json.loads(json.dumps(b))
    same["provenance"]["plan"]["id"] = "jilin-2017"
    merged = merge_snapshots([("a.json", a), ("jilin.json", same)], generated_at=AT,
                             generated_by="t")
    assert merged["provenance"]["plan"]["id"] == "liaoning-2017+jilin-2017"


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "a.json: line 1, column 2: not JSON"),
    (b'{"format": "something-else"}', "a.json: not a snapshot written by tracker export"),
    (b'{"format": "tracker-snapshot", "version": 99}', "format version 99 is newer"),
    (b'{"format": "tracker-snapshot", "version": 1}', "damaged snapshot: missing or wrong "
                                                      "value at provenance"),
])
def test_bad_snapshot_files_say_what_and_where(tmp_path: Path, content: bytes,
                                               message: str) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(content)
    with pytest.raises(SnapshotError) as error:
        load_snapshot(path)
    assert message in error.value.message.replace(str(tmp_path) + "/", "")


def test_written_snapshot_loads_back(demo: Store, tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    snapshot = snap(demo, BASELINE)
    path.write_bytes(render(snapshot, "json"))
    assert load_snapshot(path) == json.loads(json.dumps(snapshot))


# -- the state's kept values give what the journal's series give -------------------------------
def _journal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every view read its series off the journal, as before schema 4."""
    from tracker.domain.state import StateView

    monkeypatch.setattr(StateView, "kept", lambda self, code, key: None)


def test_kept_values_give_the_same_snapshot_as_the_journal(
        store: Store, clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trends, projections and statuses drawn from the values the state keeps equal those
    drawn from the whole series in the journal, and those of the as-of path (rebuilt
    from history): long series, backdated and corrected figures, a share whose facts are
    measured on different days, a zero whole, yearly values, a figure dated after the
    as-of date."""
    from tests.tracker.conftest import measure_on

    start = date(2017, 1, 10)
    for n in range(9):  # 211421: a long series of both facts of the share, interleaved
        day = start + timedelta(days=20 * n)
        measure_on(store, "211421", "digitized_permanent_volumes", 1000 + 700 * n, day)
        measure_on(store, "211421", "permanent_volumes", 9000 + 10 * n,
                   day + timedelta(days=3))
        measure_on(store, "211421", "staff", 3 + n % 3, day)
        measure_on(store, "211421", "maintenance_fee", 1.0 + n / 4, day)
    measure_on(store, "211421", "digitized_permanent_volumes", 4321, start)  # backdated
    measure_on(store, "211421", "digitized_permanent_volumes", 8999,
               start + timedelta(days=160))  # corrects the figure of that date
    measure_on(store, "211421", "holdings", 50000, start)
    for n in range(6):  # 211422: the whole measured once, long ago; the part often
        measure_on(store, "211422", "digitized_permanent_volumes", 500 * n,
                   date(2017, 6, 1) + timedelta(days=30 * n))
    measure_on(store, "211422", "permanent_volumes", 8000, date(2016, 12, 1))
    for n in range(5):  # 211302: wholes of zero among the last values (parts of zero:
        # no part is above its whole; the store refuses that)
        measure_on(store, "211302", "digitized_permanent_volumes", 0 if n >= 3 else 100 * n,
                   date(2017, 3, 1) + timedelta(days=30 * n))
        measure_on(store, "211302", "permanent_volumes", 0 if n >= 3 else 7000 + n,
                   date(2017, 3, 1) + timedelta(days=30 * n))
    for n in range(6):  # 210102: yearly values over a new year, and a part measured late
        measure_on(store, "210102", "maintenance_fee", 1.5 + n / 10,
                   date(2017, 10, 1) + timedelta(days=30 * n))
        measure_on(store, "210102", "permanent_volumes", 6000 + n,
                   date(2017, 8, 1) + timedelta(days=30 * n))
    measure_on(store, "210102", "digitized_permanent_volumes", 3000, date(2018, 2, 1))
    clock.advance(days=10)
    today = clock().date()
    measure_on(store, "211421", "staff", 9, today)  # dated after the as-of date below
    earlier = today - timedelta(days=1)

    kept = [snap(store, None), snap(Store(store.path, clock=clock), None)]
    clock.advance(days=1)
    as_of = [snap(store, today), snap(store, earlier)]
    clock.now -= timedelta(days=1)
    with monkeypatch.context() as patch:
        _journal_only(patch)
        journal = snap(Store(store.path, clock=clock), None)
    assert kept[0] == kept[1] == journal == as_of[0]
    values = {c["code"]: c["values"] for c in kept[0]["counties"]}
    assert values["211421"]["digitized_share"]["trend"] is not None
    assert values["211422"]["digitized_share"]["trend"] is not None
    assert values["211421"]["staffing"]["trend"] is not None
    assert values["210102"]["maintenance_fee"]["trend"] is not None
    assert values["211421"]["staffing"]["value"] == 9
    # As of the day before, the figure dated today is not there: read off the journal.
    assert {c["code"]: c["values"] for c in as_of[1]["counties"]}["211421"]["staffing"][
        "value"] == 3 + 8 % 3
    with monkeypatch.context() as patch:
        _journal_only(patch)
        assert snap(store, earlier)["counties"] == as_of[1]["counties"]


def test_kept_values_give_the_demo_snapshot_the_journal_gives(
        demo: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's current snapshot is drawn from the kept values alone (no journal read),
    and equals the one drawn from the journal. (Without trends: a chart needs every
    county's whole series, which only the journal has.)"""

    def unread(*args: object) -> None:
        raise AssertionError("the journal was read")

    with monkeypatch.context() as patch:
        patch.setattr(Store, "all_county_events", unread)
        patch.setattr(Store, "county_events", unread)
        fast = snap(Store(demo.path, clock=demo.clock), None, trends=False)
    _journal_only(monkeypatch)
    assert snap(Store(demo.path, clock=demo.clock), None, trends=False) == fast


def test_tasks_follow_the_plan_whatever_the_documents_order(demo: Store) -> None:
    view = demo.view()
    expected = snap(demo)
    tasks = view.tables["tasks"]
    shuffled = dict(reversed(list(tasks.items())))
    tasks.clear()
    tasks.update(shuffled)
    try:
        again = build_snapshot(view, demo.clock().date(), generated_at=AT,
                               generated_by="tester", head=view.head)
    finally:
        demo.storage.forget()  # the cached copy was reordered: read the file again
    assert [t["id"] for t in again["tasks"]] == [t["id"] for t in expected["tasks"]]
    assert again == expected
