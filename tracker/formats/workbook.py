"""The workbook (XlsxWriter): sheets Summary, Counties, Tasks, Roll-ups, About, named in
the export's language.

Each table sheet has its header bold and frozen, an autofilter, real date cells and
number formats, widths from the columns, and a print setup a leader can print as it
is: landscape, one page wide, the header row on every page, the as-of date and page
number in the footer. Status columns are coloured by conditional formats (the words
stay, for black-and-white printers). The Summary holds the targets with their status
and two native charts: the headline target's trend per prefecture, and the counties
meeting each target per prefecture. Text is written as text: a cell starting with
``=`` is a string, never a formula.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from typing import Any

from tracker.domain.text import clean_text
from tracker.formats import summary
from tracker.formats.snapshot import Snapshot
from tracker.formats.tables import Table, county_table, rollup_table, task_table
from tracker.i18n import _, get_language

STATUS_COLOURS = {  # font, fill: as the HTML page
    "met": ("#1B5E20", "#E8F5E9"), "on_track": ("#0D47A1", "#E3F2FD"),
    "at_risk": ("#8A4B00", "#FFF3E0"), "off_track": ("#B71C1C", "#FFEBEE"),
    "no_data": ("#424242", "#F5F5F5"),
    "done": ("#1B5E20", "#E8F5E9"), "verified": ("#1B5E20", "#E8F5E9"),
    "blocked": ("#B71C1C", "#FFEBEE"), "in_progress": ("#0D47A1", "#E3F2FD"),
}


def sheet_name(title: str) -> str:
    return re.sub(r"[\\/?*\[\]:]", " ", title)[:31]


class _Book:
    """The workbook being written and its shared formats."""

    def __init__(self, snapshot: Snapshot) -> None:
        import xlsxwriter  # type: ignore[import-untyped]

        self.snapshot = snapshot
        self.out = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.out, {
            "in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False, "default_date_format": "yyyy-mm-dd"})
        p = snapshot["provenance"]
        generated = datetime.fromisoformat(p["generated_at"]).astimezone(UTC)
        self.book.set_properties({"title": p["plan"]["title"][get_language()],
                                  "author": p["generated_by"],
                                  "created": generated.replace(tzinfo=None)})
        self.book.set_calc_mode("auto")
        add = self.book.add_format
        self.header = add({"bold": True, "bg_color": "#EEEEEE", "border": 1,
                           "text_wrap": True, "valign": "top"})
        self.date = add({"num_format": "yyyy-mm-dd"})
        self.float = add({"num_format": "0.00"})
        self.percent = add({"num_format": "0.0%"})
        self.int = add({"num_format": "0"})
        self.bold = add({"bold": True})
        self.title = add({"bold": True, "font_size": 14})
        self.status = {code: add({"font_color": font, "bg_color": fill, "bold": True})
                       for code, (font, fill) in STATUS_COLOURS.items()}
        self.footer = _("export.footer", date=p["as_of"]).replace("&", "&&").replace(
            "&&P", "&P").replace("&&N", "&N")

    def print_setup(self, sheet: Any, *, header_row: int | None = 0) -> None:
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
        sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        if header_row is not None:
            sheet.repeat_rows(header_row)
        sheet.set_footer(f"&L{self.footer}")

    def table_sheet(self, table: Table, name: str | None = None) -> Any:
        sheet = self.book.add_worksheet(sheet_name(name or table.title))
        formats = {"date": self.date, "float": self.float, "percent": self.percent,
                   "int": self.int}
        for col, column in enumerate(table.columns):
            sheet.write_string(0, col, column.label, self.header)
            sheet.set_column(col, col, column.width, formats.get(column.kind))
        for r, row in enumerate(table.rows, start=1):
            for col, value in enumerate(row):
                self.cell(sheet, r, col, value, formats.get(table.columns[col].kind))
        sheet.freeze_panes(1, 0)
        if table.rows:
            sheet.autofilter(0, 0, len(table.rows), len(table.columns) - 1)
        self.colour_statuses(sheet, table)
        self.print_setup(sheet)
        return sheet

    def cell(self, sheet: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
        """One value as its kind of cell (the tables have cleaned user text already)."""
        kind = type(value)
        if value is None:
            return
        if kind is str:
            sheet.write_string(row, col, value)
        elif kind is bool:
            sheet.write_boolean(row, col, value)
        elif kind is int or kind is float:
            sheet.write_number(row, col, value, fmt)
        elif kind is date:
            sheet.write_datetime(row, col, datetime(value.year, value.month, value.day),
                                 fmt or self.date)
        else:
            sheet.write_string(row, col, clean_text(str(value)))

    def colour_statuses(self, sheet: Any, table: Table) -> None:
        """Each ``*_label`` column of statuses coloured by the code column before it."""
        codes = [c.code for c in table.columns]
        last = len(table.rows)
        if not last:
            return
        from xlsxwriter.utility import xl_col_to_name  # type: ignore[import-untyped]

        for col, code in enumerate(codes):
            if not code.endswith("status_label") or col == 0:
                continue
            source = xl_col_to_name(col - 1)
            for status, fmt in self.status.items():
                sheet.conditional_format(1, col, last, col, {
                    "type": "formula", "criteria": f'=${source}2="{status}"', "format": fmt})

    def close(self) -> bytes:
        self.book.close()
        return self.out.getvalue()


def summary_sheet(book: _Book, name: str) -> None:
    snapshot = book.snapshot
    lang = get_language()
    sheet = book.book.add_worksheet(sheet_name(name))
    p = snapshot["provenance"]
    sheet.write_string(0, 0, p["plan"]["title"][lang], book.title)
    sheet.write_string(1, 0, _("export.as_of_line", date=p["as_of"]))
    if p.get("demo"):
        sheet.write_string(2, 0, _("demo.banner"), book.bold)
    headers = ["#", _("col.indicator"), _("col.rec"), _("export.col.status_code"),
               _("export.col.area_status"), _("col.province"), _("export.col.threshold"),
               _("export.col.meeting"), _("export.col.counties"), _("col.deadline")]
    top = 4
    for col, text in enumerate(headers):
        sheet.write_string(top, col, text, book.header)
    found = summary.targets(snapshot)
    for r, t in enumerate(found, start=top + 1):
        values = [t.number, t.title, t.recommendation, t.status, _(f"progress.{t.status}"),
                  t.value, t.threshold, t.meeting, t.counties, date.fromisoformat(t.deadline)]
        for col, value in enumerate(values):
            book.cell(sheet, r, col, value)
        fmt = book.status.get(t.status)
        if fmt is not None:
            sheet.write_string(r, 4, _(f"progress.{t.status}"), fmt)
    for col, width in enumerate([11, 28, 6, 10, 10, 10, 10, 8, 8, 11]):
        sheet.set_column(col, col, width)
    _charts(book, sheet, top + len(found) + 2)
    book.print_setup(sheet, header_row=None)
    sheet.fit_to_pages(1, 1)


def _charts(book: _Book, sheet: Any, row: int) -> None:
    """The headline's trend per prefecture, and counties meeting each target per
    prefecture: native charts over data written below them on the sheet."""
    snapshot = book.snapshot
    lang = get_language()
    trends = snapshot.get("trends") or {"dates": [], "indicators": {}}
    first = summary.headline(snapshot)
    names = {p["code"]: p["name"][lang] for p in snapshot["prefectures"]}
    name = sheet.get_name()
    data_row = row + 20  # the charts' data, below the charts
    sheet.write_string(data_row, 0, _("export.chart_trend", title=first["title"][lang])
                       if first else "", book.bold)
    if first is not None and trends["dates"] and first["id"] in trends["indicators"]:
        series = trends["indicators"][first["id"]]["prefectures"]
        head = data_row + 1
        sheet.write_string(head, 0, _("col.date"), book.header)
        for r, day in enumerate(trends["dates"], start=head + 1):
            book.cell(sheet, r, 0, date.fromisoformat(day))
        chart = book.book.add_chart({"type": "line"})
        for col, (code, points) in enumerate(series.items(), start=1):
            sheet.write_string(head, col, names.get(code, code), book.header)
            for r, point in enumerate(points, start=head + 1):
                book.cell(sheet, r, col, point["value"])
            chart.add_series({
                "name": [name, head, col],
                "categories": [name, head + 1, 0, head + len(trends["dates"]), 0],
                "values": [name, head + 1, col, head + len(trends["dates"]), col]})
        chart.set_title({"name": _("export.chart_trend", title=first["title"][lang]),
                         "name_font": {"size": 11}})
        chart.set_x_axis({"date_axis": True, "num_format": "yyyy-mm"})
        chart.set_y_axis({"min": 0, "max": 100})
        chart.set_legend({"position": "right", "font": {"size": 7}})
        chart.set_size({"width": 620, "height": 300})
        sheet.insert_chart(row, 0, chart)
        data_row = head + len(trends["dates"]) + 2
    # Counties meeting each target, by prefecture.
    head = data_row
    sheet.write_string(head, 0, _("col.prefecture"), book.header)
    prefectures = snapshot["rollups"]["prefectures"]
    for r, area in enumerate(prefectures, start=head + 1):
        sheet.write_string(r, 0, names.get(area["code"], area["code"]))
    met = book.book.add_chart({"type": "bar", "subtype": "stacked"})
    for col, raw in enumerate(snapshot["indicators"], start=1):
        sheet.write_string(head, col, f"T{col}", book.header)
        for r, area in enumerate(prefectures, start=head + 1):
            sheet.write_number(r, col, area["indicators"][raw["id"]]["meeting"])
        met.add_series({"name": f"T{col} {raw['title'][lang]}",
                        "categories": [name, head + 1, 0, head + len(prefectures), 0],
                        "values": [name, head + 1, col, head + len(prefectures), col]})
    met.set_title({"name": _("export.chart_met"), "name_font": {"size": 11}})
    met.set_legend({"position": "right", "font": {"size": 7}})
    met.set_y_axis({"reverse": True})
    met.set_size({"width": 620, "height": 360})
    sheet.insert_chart(row, 11, met)


def about_sheet(book: _Book) -> None:
    sheet = book.book.add_worksheet(sheet_name(_("export.about")))
    sheet.write_string(0, 0, _("export.col.key"), book.header)
    sheet.write_string(0, 1, _("export.col.value_plain"), book.header)
    p = book.snapshot["provenance"]
    head = p.get("history_head") or {}
    rows = [*summary.provenance_rows(book.snapshot),
            (_("export.meta.plan_sha256"), p["plan"].get("sha256")),
            (_("export.meta.head_hash"), head.get("hash")),
            (_("export.meta.head_seq"), head.get("seq"))]
    for r, (key, value) in enumerate(rows, start=1):
        sheet.write_string(r, 0, key)
        book.cell(sheet, r, 1, value)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 90)
    book.print_setup(sheet)


def workbook(snapshot: Snapshot, options: Any) -> bytes:
    """The snapshot as an XLSX workbook (for ``options.county``: that county's rows)."""
    if options.county:
        snapshot = {**snapshot,
                    "counties": [c for c in snapshot["counties"] if c["code"] == options.county],
                    "tasks": [t for t in snapshot["tasks"] if t["county"] == options.county]}
    book = _Book(snapshot)
    summary_sheet(book, _("export.summary"))
    book.table_sheet(county_table(snapshot, options.facts))
    book.table_sheet(task_table(snapshot))
    book.table_sheet(rollup_table(snapshot))
    about_sheet(book)
    return book.close()
