"""Importing county figures from the spreadsheets counties send (CSV or XLSX).

One row per county and date; a column per fact or directly measured indicator; blank
cells skipped (docs/import-format.md). Reading a file gives a :class:`Batch`: the values
that differ from what the database holds, each with its old value, and the ``Measure``
commands that record them, applied by the caller in one ``Store.apply``. A file with any
problem gives :class:`ImportRejected` listing every problem (up to a cap) with file, row
and column; nothing is written then.

Cells are data. Every cell is typed (county, date, number, yes/no, date), so markup,
escape sequences, control characters or bidi overrides in one make it a bad value that
is refused; messages show such characters escaped (``\\x1b``), never raw.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tracker.domain.commands import Measure, parse_value, part_over_whole, share_pairs
from tracker.domain.dates import parse_date
from tracker.domain.errors import TrackerError, UsageError
from tracker.domain.plan import Plan
from tracker.domain.text import clean_text
from tracker.i18n import _, translate

MAX_PROBLEMS = 50
# Limits checked before anything parses a file (docs/import-format.md, "Limits"): one
# e-mailed file must not take the server down (a 42 KB XLSX declaring A1:XFD1048576 took
# 1 GB in openpyxl, which pads every row to the declared width; a 2 MB zip bomb 3 GB).
MAX_BYTES = 20 * 1024 * 1024  # the file as sent
MAX_UNPACKED = 50 * 1024 * 1024  # an XLSX's members, as their sizes are declared
MAX_MEMBERS = 1000  # an XLSX's members
MAX_ROWS = 100_000
MAX_COLUMNS = 200
# Tried in this order, each strictly. GB18030 is a superset of GBK and GB2312 (what Excel
# on Chinese Windows saves); it comes last because Chinese UTF-8 text often decodes as
# GB18030 (garbled) while GBK text is almost never valid UTF-8.
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"))
ENCODINGS = ("utf-8", "gb18030")
FIXED = ("county", "county_name", "date")
DATE_FORMS = "2020-12-31, 2020/12/31, 2020.12.31, 2020年12月31日"  # no relative ones in files
Day = date  # the type, where a class has a method named ``date`` (_Reader)
_UNIT = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


class Problem(TrackerError):
    """One fault of an import file, at a spreadsheet row (the header is row 1) and
    column (a letter, as Excel shows it); either may be absent."""

    def __init__(self, key: str, /, *, file: str, row: int | None = None,
                 column: int | None = None, header: str = "", **params: Any) -> None:
        super().__init__(key, **params)
        # A file name is echoed to a terminal: without control characters (issue 12).
        file = clean_text(file, single_line=True)
        self.file, self.row, self.column, self.header = file, row, column, header

    @property
    def message(self) -> str:
        problem = _(self.key, **self.params)
        if self.row is None:
            return _("import.at_file", file=self.file, problem=problem)
        if self.column is None:
            return _("import.at_row", file=self.file, row=self.row, problem=problem)
        return _("import.at_cell" if self.header else "import.at_column", file=self.file,
                 row=self.row, column=column_letter(self.column), header=shown(self.header),
                 problem=problem)


class ImportRejected(TrackerError):
    """A file with problems: every one found (up to MAX_PROBLEMS) is listed."""

    def __init__(self, file: str, problems: list[Problem], total: int) -> None:
        super().__init__("import.rejected", file=clean_text(file, single_line=True),
                         count=total)
        self.problems = problems
        self.total = total

    @property
    def summary(self) -> str:
        return _(self.key, **self.params)

    def lines(self) -> list[str]:
        """One line per problem (and how many more were not listed)."""
        lines = [p.message for p in self.problems]
        if self.total > len(self.problems):
            lines.append(_("import.more_problems", count=self.total - len(self.problems)))
        return lines

    @property
    def message(self) -> str:
        return "\n".join([self.summary, *self.lines()])


@dataclass(frozen=True)
class Change:
    """One value the import records: ``old`` is the value as of ``on`` before it."""

    row: int
    county: str
    key: str
    on: date
    old: Any
    new: Any


@dataclass(frozen=True)
class Batch:
    """What importing a file would do."""

    file: str
    sha256: str
    changes: list[Change]
    unchanged: int  # values already recorded for that county, key and date
    # The (part, whole) facts of the plan's shares (tracker.domain.commands.share_pairs).
    pairs: tuple[tuple[str, str], ...] = ()

    @property
    def source(self) -> str:
        return f"{self.file} sha256:{self.sha256}"

    def commands(self) -> list[Measure]:
        """The Measure commands, in the file's order but for a whole and its part of one
        row: the store checks part <= whole at each command, so a whole that goes down
        comes after its part, one that goes up before it (one of the two orders always
        passes when the row's values do; tracker.domain.commands.Measure)."""
        rank = [float(number) for number in range(len(self.changes))]
        where = {(c.county, c.on, c.key): number for number, c in enumerate(self.changes)}
        for part, whole in self.pairs:
            for number, change in enumerate(self.changes):
                other = where.get((change.county, change.on, part))
                if change.key != whole or other is None:
                    continue
                lower = change.old is not None and change.new < change.old
                rank[number] = max(number, other) + 0.5 if lower else min(number, other) - 0.5
        ordered = sorted(range(len(self.changes)), key=rank.__getitem__)
        return [Measure(c.county, c.key, c.new, c.on, self.source)
                for c in (self.changes[number] for number in ordered)]


def column_letter(number: int) -> str:
    """1 -> A, 27 -> AA (as spreadsheets name columns)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def shown(text: Any, limit: int = 60) -> str:
    """Cell text for a message: control and bidi characters escaped, long text cut."""
    value = _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode(), str(text))
    return value if len(value) <= limit else value[: limit - 1] + "…"


# -- columns ----------------------------------------------------------------------------
def importable(plan: Plan) -> list[Any]:
    """Facts, then indicators entered directly (derived ones are computed, not imported)."""
    return [*plan.facts, *(i for i in plan.indicators if not i.derived_from)]


def _norm(header: str) -> str:
    """A header as matched: a trailing unit in brackets dropped, case and spaces ignored."""
    return " ".join(_UNIT.sub("", header).split()).casefold()


def header_names(plan: Plan) -> dict[str, str]:
    """Accepted header -> column id: ids, and names in both languages. A name two
    importable columns share is left out (their ids still work); a derived indicator's
    name maps to ``=id`` so that it can be refused with a reason."""
    entries: list[tuple[str, set[str]]] = [
        (name, {name, *(translate(lang, f"import.col.{name}") for lang in ("zh", "en"))})
        for name in FIXED]
    entries += [(item.id, {item.id, item.title.zh, item.title.en}) for item in importable(plan)]
    counts = Counter(_norm(n) for _ident, names in entries for n in {_norm(x) for x in names})
    accepted = {_norm(n): ident for ident, names in entries for n in names
                if counts[_norm(n)] == 1 or n == ident}
    for item in plan.indicators:
        if item.derived_from:
            for name in (item.id, item.title.zh, item.title.en):
                accepted.setdefault(_norm(name), "=" + item.id)
    return accepted


def template_headers(plan: Plan) -> list[str]:
    """The template's header row, in the current language, units in brackets."""
    headers = [_(f"import.col.{name}") for name in FIXED]
    for item in importable(plan):
        headers.append(_("import.col.with_unit", title=item.title.get(), unit=item.unit.get()))
    return headers


def write_template(plan: Plan, path: Path) -> None:
    """A template with the expected columns and one row per county (code and name)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UsageError("import.template_type", path=str(path))
    headers = template_headers(plan)
    blanks = [""] * (len(headers) - 2)
    rows = [[c.code, c.name.get(), *blanks] for c in plan.counties]
    if suffix == ".csv":
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows([headers, *rows])
        data = buffer.getvalue().encode("utf-8-sig")  # Excel reads UTF-8 only with a BOM
    else:
        from openpyxl import Workbook
        from openpyxl.styles import Font
        from openpyxl.worksheet.worksheet import Worksheet

        book = Workbook()
        sheet = book.active
        assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
        for number, header in enumerate(headers, start=1):
            sheet.cell(1, number).font = Font(bold=True)
            sheet.column_dimensions[column_letter(number)].width = max(10, len(header) * 2)
        sheet.freeze_panes = "C2"
        out = io.BytesIO()
        book.save(out)
        data = out.getvalue()
    _write_new(path, data)


def _write_new(path: Path, data: bytes) -> None:
    """Write a template to ``path``, which must not exist yet (a filled-in file is never
    replaced by a blank one)."""
    try:
        with open(path, "xb") as handle:
            handle.write(data)
    except FileExistsError:
        raise UsageError("import.template_exists", path=str(path)) from None
    except OSError as error:
        raise UsageError("import.unwritable", path=str(path),
                         reason=error.strerror or str(error)) from None


# -- reading ----------------------------------------------------------------------------
def decode(data: bytes) -> str | None:
    """The text of a CSV file: a byte-order mark decides, else UTF-8, else GB18030."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _csv_rows(name: str, text: str) -> Iterator[list[Any]]:
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count)  # Excel's "Unicode text" is tab-separated
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    for number, row in enumerate(reader, start=1):
        if number > MAX_ROWS:
            raise Problem("import.too_many_rows", file=name, limit=MAX_ROWS)
        if len(row) > MAX_COLUMNS and any(row[MAX_COLUMNS:]):
            raise Problem("import.limit_columns", file=name, limit=MAX_COLUMNS)
        yield row


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="\$?([A-Za-z]{1,3})\$?(\d{1,7})'
                        rb'(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?"')
_FIRST_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"')
_TARGET = re.compile(rb'<Relationship\b[^>]*>')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _first_sheet(book: Any) -> str | None:
    """The member of the workbook's first worksheet (from workbook.xml and its rels),
    None if that cannot be told (then every worksheet is checked)."""
    try:
        workbook = book.read("xl/workbook.xml")
        rels = book.read("xl/_rels/workbook.xml.rels")
    except (KeyError, OSError, ValueError, RuntimeError, EOFError, zipfile.BadZipFile):
        return None
    found = _FIRST_SHEET.search(workbook)
    if found is None:
        return None
    for tag in _TARGET.findall(rels):
        ident = re.search(rb'\bId="([^"]+)"', tag)
        target = re.search(rb'\bTarget="([^"]+)"', tag)
        if ident and target and ident.group(1) == found.group(1):
            path = target.group(1).decode("utf-8", "replace").lstrip("/")
            return path if path.startswith("xl/") else f"xl/{path}"
    return None


def check_xlsx_limits(name: str, data: bytes) -> None:
    """Refuse, before openpyxl sees it, an XLSX over a limit: its members' declared
    sizes (zipfile never unpacks more than a member declares, so the declared sizes
    bound what is unpacked), how many members, and the first worksheet's declared
    ``<dimension>`` (rows and columns), read from the start of the sheet's XML."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            members = book.infolist()
            if len(members) > MAX_MEMBERS:
                raise Problem("import.limit_unpacked", file=name,
                              limit=MAX_UNPACKED // (1024 * 1024))
            if sum(member.file_size for member in members) > MAX_UNPACKED:
                raise Problem("import.limit_unpacked", file=name,
                              limit=MAX_UNPACKED // (1024 * 1024))
            first = _first_sheet(book)
            sheets = [m.filename for m in members if m.filename == first] or [
                m.filename for m in members
                if m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml")]
            for sheet in sheets:
                with book.open(sheet) as handle:
                    start = handle.read(65536)
                found = _DIMENSION.search(start)
                if found is None:
                    continue
                last_column = found.group(3) or found.group(1)
                last_row = found.group(4) or found.group(2)
                if _column_number(last_column) > MAX_COLUMNS:
                    raise Problem("import.limit_columns", file=name, limit=MAX_COLUMNS)
                if int(last_row) > MAX_ROWS + 1:  # + the header
                    raise Problem("import.too_many_rows", file=name, limit=MAX_ROWS)
    except Problem:
        raise
    except Exception as error:
        # zipfile and zlib fail with exception types of their own: a damaged workbook.
        raise Problem("import.bad_xlsx", file=name, reason=shown(error)) from None


def _xlsx_rows(name: str, data: bytes) -> Iterator[list[Any]]:
    """The first worksheet's rows, one at a time (a sheet at the limits is 100,000 rows
    of 200 cells: read whole, ~170 MB of lists)."""
    from openpyxl import load_workbook

    check_xlsx_limits(name, data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        # A damaged workbook fails in zipfile, an XML parser or openpyxl, each with
        # exception types of its own: any of them means the same to the user.
        raise Problem("import.bad_xlsx", file=name, reason=shown(error)) from None
    try:
        # Bounded whatever the sheet declares: openpyxl pads each row to max_col.
        rows = book.worksheets[0].iter_rows(min_row=1, max_row=MAX_ROWS + 2,
                                            max_col=MAX_COLUMNS + 1, values_only=True)
        while True:
            try:
                row = next(rows, None)
            except Exception as error:
                raise Problem("import.bad_xlsx", file=name, reason=shown(error)) from None
            if row is None:
                return
            if len(row) > MAX_COLUMNS and row[MAX_COLUMNS] is not None:
                raise Problem("import.limit_columns", file=name, limit=MAX_COLUMNS)
            yield list(row[:MAX_COLUMNS])
    finally:
        book.close()


def read_rows(name: str, data: bytes) -> Iterable[list[Any]]:
    """The cells of a CSV or XLSX file (the first worksheet), row by row; a file over a
    limit (MAX_BYTES, MAX_UNPACKED, MAX_ROWS, MAX_COLUMNS) is refused as a whole."""
    if not data.strip():
        raise Problem("import.empty", file=name)
    if len(data) > MAX_BYTES:
        raise Problem("import.too_large", file=name, limit=MAX_BYTES // (1024 * 1024))
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(name, data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise Problem("import.old_excel", file=name)
    text = decode(data)
    if text is None or "\x00" in text:
        raise Problem("import.not_table", file=name)
    return _csv_rows(name, text)


def _cell_text(value: Any) -> str:
    """A cell as text: XLSX cells may be numbers, booleans or dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# -- checking ---------------------------------------------------------------------------
def find_county(plan: Plan, text: str) -> list[Any]:
    """Counties a cell names: by code or name as ``tracker measure`` finds them, but a
    part of a name only from its beginning (绥中, Suizhong), so that a stray word such as
    "no" does not land on whichever county's English name happens to contain it."""
    folded = text.casefold()
    return [c for c in plan.find_counties(text) if c.code == text
            or c.name.zh.startswith(text) or c.name.en.casefold().startswith(folded)]


class _Reader:
    """Walks the rows of one file, collecting problems and changes."""

    def __init__(self, view: Any, name: str, today: date) -> None:
        self.view, self.plan, self.name, self.today = view, view.plan, name, today
        self.problems: list[Problem] = []
        self.total = 0
        self.changes: list[Change] = []
        self.unchanged = 0
        self.columns: dict[int, str] = {}  # column number -> id
        self.headers: dict[int, str] = {}
        self.seen: dict[tuple[str, date], int] = {}  # (county, date) -> first row
        self.kinds = {item.id: item.kind.value for item in importable(self.plan)}

    def problem(self, message_key: str, /, row: int | None = None,
                column: int | None = None, **params: Any) -> None:
        self.total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(message_key, file=self.name, row=row, column=column,
                                         header=self.headers.get(column or 0, ""), **params))

    def header(self, row: int, cells: list[str]) -> None:
        names = header_names(self.plan)
        where: dict[str, int] = {}
        for number, text in enumerate(cells, start=1):
            if not text:
                continue
            self.headers[number] = text
            ident = names.get(_norm(text))
            if ident is None:
                self.problem("import.unknown_column", row, number, value=shown(text),
                             known=", ".join(i.id for i in importable(self.plan)))
            elif ident.startswith("="):
                indicator = self.plan.indicator(ident[1:])
                self.problem("measure.derived", row, number, key=indicator.id,
                             inputs=", ".join(indicator.derived_from))
            elif ident in where:
                self.problem("import.repeated_column", row, number,
                             first=column_letter(where[ident]))
            else:
                where[ident] = number
                self.columns[number] = ident
        for name in ("county", "date"):
            if name not in where:
                self.problem("import.missing_column", row, name=_(f"import.col.{name}"),
                             id=name)
        if not set(where) - set(FIXED):
            self.problem("import.no_value_columns", row,
                         known=", ".join(i.id for i in importable(self.plan)))

    def row(self, row: int, cells: list[str]) -> None:
        values = {self.columns[n]: text for n, text in enumerate(cells, start=1)
                  if text and n in self.columns}
        for number, text in enumerate(cells, start=1):
            if text and number not in self.columns and number not in self.headers:
                self.problem("import.no_header", row, number, value=shown(text))
        measured = {k: v for k, v in values.items() if k not in FIXED}
        if not measured:
            return  # a template row left blank
        column = {ident: number for number, ident in self.columns.items()}
        county = self.county(row, column, values)
        on = self.parse_day(row, column["date"], values.get("date", ""))
        if county is not None and on is not None:
            first = self.seen.setdefault((county, on), row)
            if first != row:
                self.problem("import.duplicate_row", row, first=first,
                             county=county, date=on.isoformat())
        parsed: dict[str, Any] = {}
        for key, text in measured.items():
            try:
                value = parse_value(self.plan, key, text, today=self.today)
            except TrackerError:
                self.problem("import.bad_value", row, column[key], value=shown(text),
                             kind=_(f"import.kind.{self.kinds[key]}"))
                continue
            parsed[key] = value
            if county is not None and on is not None:
                self.compare(row, county, key, on, value)
        if county is not None and on is not None and parsed:
            self.check_part_of_whole(row, column, county, on, parsed)

    def check_part_of_whole(self, row: int, column: dict[str, int], county: str, on: date,
                            parsed: dict[str, Any]) -> None:
        """More digitized than permanent volumes (in the row, or against what is recorded
        as of its date) is a typo."""
        known = dict(parsed)
        for fact in self.plan.facts:
            if fact.id not in known:
                earlier = [m for m in self.view.measurements(county, fact.id) if m.date <= on]
                if earlier:
                    known[fact.id] = earlier[-1].value
        found = part_over_whole(self.plan, known)
        if found:
            part, whole = found
            self.problem("import.part_over_whole", row, column.get(part) or column.get(whole),
                         part=shown(self.plan.fact(part).title.get()), part_value=known[part],
                         whole=shown(self.plan.fact(whole).title.get()),
                         whole_value=known[whole])

    def county(self, row: int, column: dict[str, int], values: dict[str, str]) -> str | None:
        text = values.get("county", "")
        if not text:
            self.problem("import.missing_value", row, column["county"])
            return None
        matches = find_county(self.plan, text)
        if len(matches) != 1:
            names = ", ".join(f"{c.code} {c.name.get()}" for c in matches[:5])
            self.problem("county.ambiguous" if matches else "county.unknown", row,
                         column["county"], query=shown(text), matches=names)
            return None
        code = matches[0].code
        name = values.get("county_name", "")
        if name and code not in {c.code for c in find_county(self.plan, name)}:
            self.problem("import.name_mismatch", row, column["county_name"], name=shown(name),
                         code=code, county=matches[0].name.get())
        return code

    def parse_day(self, row: int, column: int, text: str) -> date | None:
        if not text:
            self.problem("import.missing_value", row, column)
            return None
        try:
            day = parse_date(text, today=date(2000, 1, 1), option=_("import.col.date"))
            if day != parse_date(text, today=date(2001, 1, 1)):
                self.problem("import.relative_date", row, column, value=shown(text))
                return None
        except UsageError as error:
            self.problem(error.key, row, column,
                         **{**error.params, "value": shown(text), "forms": DATE_FORMS})
            return None
        if day > self.today:
            self.problem("import.future_date", row, column, value=day.isoformat(),
                         today=self.today.isoformat())
            return None
        return day

    def compare(self, row: int, county: str, key: str, on: Day, value: Any) -> None:
        """Skip a value identical to the one recorded for that county, key and date;
        otherwise a change from the value as of that date."""
        series = self.view.measurements(county, key)
        earlier = [m for m in series if m.date <= on]
        same_day = [m for m in earlier if m.date == on]
        if same_day and same_day[-1].value == value:
            self.unchanged += 1
            return
        old = earlier[-1].value if earlier else None
        self.changes.append(Change(row, county, key, on, old, value))


def read_import(view: Any, path: Path, *, today: date) -> Batch:
    """Check a file against the database's view and say what importing it would change.
    Raises ImportRejected (every problem listed) or Problem (the file as a whole)."""
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise Problem("import.too_large", file=name, limit=MAX_BYTES // (1024 * 1024))
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise UsageError("import.missing", path=str(path)) from None
    except OSError as error:
        raise Problem("import.unreadable", file=name,
                      reason=error.strerror or str(error)) from None
    reader = _Reader(view, name, today)
    header_seen = False
    try:
        number = 0
        for number, raw in enumerate(read_rows(name, data), start=1):
            if number > MAX_ROWS:
                raise Problem("import.too_many_rows", file=name, limit=MAX_ROWS)
            cells = [_cell_text(cell) for cell in raw]
            if not any(cells):
                continue
            if header_seen:
                reader.row(number, cells)
            else:
                reader.header(number, cells)
                header_seen = True
                if reader.total:
                    break  # columns that cannot be read make every row's messages noise
    except csv.Error as error:
        reader.problem("import.bad_csv", number + 1, reason=shown(error))
    if not header_seen and not reader.total:
        raise Problem("import.empty", file=name)
    if not reader.total and not reader.changes and not reader.unchanged:
        reader.problem("import.no_values")
    if reader.total:
        raise ImportRejected(name, reader.problems, reader.total)
    import_hash = hashlib.sha256(data).hexdigest()
    return Batch(name, import_hash, reader.changes, reader.unchanged,
                 tuple(share_pairs(view.plan)))


def describe(plan: Plan, change: Change) -> str:
    """One line per change: county, key, date, old -> new."""
    county = plan.county(change.county)
    title = next(i.title.get() for i in importable(plan) if i.id == change.key)
    return _("import.change", code=change.county, county=county.name.get(), key=title,
             date=change.on.isoformat(), old=_value(change.old), new=_value(change.new))


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return _("value.yes") if value else _("value.no")
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def summary(batch: Batch, *, dry_run: bool) -> str:
    counties = len({c.county for c in batch.changes})
    if not batch.changes:
        return _("import.nothing", file=batch.file, unchanged=batch.unchanged)
    key = "import.would" if dry_run else "import.done"
    return _(key, file=batch.file, values=len(batch.changes), counties=counties,
             unchanged=batch.unchanged, sha=batch.sha256[:12])


def lines(plan: Plan, batch: Batch) -> Iterable[str]:
    return (describe(plan, change) for change in batch.changes)


# -- one template per county, and several files in one write ----------------------------
NEW_ROWS = 12  # rows left for new figures below a county's latest ones


def county_template(view: Any, code: str) -> bytes:
    """One county's workbook: its latest figures (a row per date they were measured on:
    imported again as they are, they change nothing), then rows for new figures, each
    cell checked by the spreadsheet as it is typed (data validation); a second sheet
    with short instructions in Chinese (the counties' language)."""
    import xlsxwriter  # type: ignore[import-untyped]

    plan = view.plan
    county = plan.county(code)
    items = importable(plan)
    by_date: dict[date, dict[str, Any]] = {}
    for item in items:
        latest = view.latest(code, item.id)
        if latest is not None:
            by_date.setdefault(latest.date, {})[item.id] = latest.value
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False,
                                     "default_date_format": "yyyy-mm-dd"})
    header = book.add_format({"bold": True, "bg_color": "#EEEEEE", "text_wrap": True,
                              "border": 1})
    kept = book.add_format({"font_color": "#555555", "bg_color": "#F5F5F5"})
    kept_date = book.add_format({"font_color": "#555555", "bg_color": "#F5F5F5",
                                 "num_format": "yyyy-mm-dd"})
    fill = book.add_format({"bg_color": "#FFFDE7", "border": 1, "border_color": "#CCCCCC"})
    fill_date = book.add_format({"bg_color": "#FFFDE7", "border": 1,
                                 "border_color": "#CCCCCC", "num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet(translate("zh", "import.template_sheet"))
    headers = template_headers(plan)
    for col, text in enumerate(headers):
        sheet.write_string(0, col, text, header)
        sheet.set_column(col, col, max(10, min(24, len(text) * 2)))
    row = 1
    for day in sorted(by_date):
        sheet.write_string(row, 0, code, kept)
        sheet.write_string(row, 1, county.name.get(), kept)
        sheet.write_datetime(row, 2, datetime(day.year, day.month, day.day), kept_date)
        for col, item in enumerate(items, start=3):
            value = by_date[day].get(item.id)
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_string(row, col, "是" if value else "否", kept)
            elif isinstance(value, int | float):
                sheet.write_number(row, col, value, kept)
            else:
                sheet.write_string(row, col, str(value), kept)
        row += 1
    first, last = row, row + NEW_ROWS - 1
    for line in range(first, last + 1):
        sheet.write_string(line, 0, code, fill)
        sheet.write_string(line, 1, county.name.get(), fill)
        sheet.write_blank(line, 2, None, fill_date)
        for col, item in enumerate(items, start=3):
            sheet.write_blank(line, col, None,
                              fill_date if item.kind.value == "date" else fill)
    sheet.data_validation(first, 0, last, 0, {"validate": "list", "source": [code]})
    message = translate("zh", "import.template_date_rule")
    sheet.data_validation(first, 2, last, 2, {
        "validate": "date", "criteria": "between", "minimum": datetime(2000, 1, 1),
        "maximum": datetime(2100, 12, 31), "input_message": message[:255],
        "error_message": message[:255]})
    for col, item in enumerate(items, start=3):
        sheet.data_validation(first, col, last, col, _validation(item.kind.value))
    sheet.freeze_panes(1, 3)
    notes = book.add_worksheet(translate("zh", "import.template_notes_sheet"))
    notes.set_column(0, 0, 100)
    lines = [translate("zh", "import.template_notes_title", county=county.name.zh,
                       code=code),
             *[translate("zh", f"import.template_note_{n}") for n in range(1, 6)]]
    bold = book.add_format({"bold": True, "font_size": 13})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    for number, text in enumerate(lines):
        notes.write_string(number, 0, text, bold if number == 0 else wrap)
    book.close()
    return out.getvalue()


def _validation(kind: str) -> dict[str, Any]:
    """What a figure cell accepts, as a spreadsheet checks it (the import checks again)."""
    rule = translate("zh", f"import.kind.{kind}")
    base = {"error_message": rule, "input_message": rule, "ignore_blank": True}
    if kind == "count":
        return {**base, "validate": "integer", "criteria": ">=", "value": 0}
    if kind == "amount":
        return {**base, "validate": "decimal", "criteria": ">=", "value": 0}
    if kind == "percent":
        return {**base, "validate": "decimal", "criteria": "between", "minimum": 0,
                "maximum": 100}
    if kind == "yes_no":
        return {**base, "validate": "list", "source": ["是", "否"]}
    return {**base, "validate": "date", "criteria": ">=", "value": datetime(2000, 1, 1)}


def write_county_templates(view: Any, folder: Path) -> list[Path]:
    """One template per county in ``folder`` (created if need be), named by code and
    name; an existing file is never replaced."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError("import.unwritable", path=str(folder),
                         reason=error.strerror or str(error)) from None
    written = []
    for county in view.plan.counties:
        path = folder / f"{county.code}-{county.name.zh}.xlsx"
        _write_new(path, county_template(view, county.code))
        written.append(path)
    return written


def import_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, a folder standing for its .xlsx and .csv files (by name)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir()
                            if p.suffix.lower() in (".xlsx", ".csv") and p.is_file()
                            and not p.name.startswith(("~$", ".")))
        else:
            found.append(path)
    return found


@dataclass(frozen=True)
class Outcome:
    """One file of a multi-file import: its batch, or why it was refused."""

    path: Path
    batch: Batch | None
    refused: TrackerError | None


def read_imports(view: Any, paths: list[Path], *, today: date) -> list[Outcome]:
    """Every file checked on its own, then against the others: two files may not give
    one county's figure for one date two different values."""
    outcomes = []
    for path in paths:
        try:
            outcomes.append(Outcome(path, read_import(view, path, today=today), None))
        except (ImportRejected, Problem) as error:
            outcomes.append(Outcome(path, None, error))
    first: dict[tuple[str, str, date], tuple[str, Any]] = {}
    checked = []
    for outcome in outcomes:
        if outcome.batch is None:
            checked.append(outcome)
            continue
        clashes = []
        for change in outcome.batch.changes:
            key = (change.county, change.key, change.on)
            seen = first.setdefault(key, (outcome.batch.file, change.new))
            if seen[1] != change.new:
                clashes.append(Problem("import.clash", file=outcome.batch.file,
                                       row=change.row, other=seen[0],
                                       county=change.county, key=change.key,
                                       date=change.on.isoformat()))
        if clashes:
            checked.append(Outcome(outcome.path, None,
                                   ImportRejected(outcome.batch.file, clashes, len(clashes))))
        else:
            checked.append(outcome)
    return checked
