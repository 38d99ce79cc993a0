"""Issue 12, attack 7: a 42 KB XLSX took 1 GB of memory (openpyxl pads every row to the
sheet's declared <dimension>), a 2 MB zip bomb passed 3 GB. The limits are checked before
anything parses the file (the zip members' declared sizes, the sheet's <dimension>, rows,
columns); here the real `tracker import` runs on each bomb in a child process whose peak
RSS is measured (getrusage of RUSAGE_CHILDREN in a wrapper that runs only that child),
under an address-space limit so that the code before the fix fails instead of swapping."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ..storage.storage_helpers import TRACKER, cli_env

PEAK_LIMIT_MB = 300
_MEASURE = """\
import resource, subprocess, sys
limit = 2 * 1024 ** 3
def cap():
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, preexec_fn=cap)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
print(json.dumps({"code": done.returncode, "out": done.stdout, "err": done.stderr,
                  "peak_mb": peak / 1024}))
""".replace("import resource,", "import json, resource,")


def _import_measured(db: Path, path: Path) -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", _MEASURE, TRACKER, "--db", str(db),
                             "import", str(path), "--dry-run"], capture_output=True,
                            text=True, env=cli_env(), timeout=300, check=True)
    found: dict[str, object] = json.loads(result.stdout)
    return found


def _template(db: Path, tmp_path: Path) -> bytes:
    path = tmp_path / "template.xlsx"
    made = subprocess.run([TRACKER, "--db", str(db), "import", "--template", str(path)],
                          capture_output=True, text=True, env=cli_env(), check=False)
    assert made.returncode == 0, made.stderr
    return path.read_bytes()


def _rewrite(data: bytes, change: dict[str, bytes | None]) -> bytes:
    """The workbook with some members replaced (None: as they are)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = change.get(info.filename)
            target.writestr(info.filename, source.read(info) if body is None else body)
    return out.getvalue()


def _sheet_name(data: bytes) -> str:
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    return next(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))


def test_a_dimension_bomb_is_refused_in_one_line_under_300_mb(db: Path, tmp_path: Path) -> None:
    data = _template(db, tmp_path)
    sheet = _sheet_name(data)
    xml = zipfile.ZipFile(io.BytesIO(data)).read(sheet)
    if b"<dimension" in xml:
        bomb_xml = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml)
    else:
        bomb_xml = xml.replace(b"<sheetViews>", b'<dimension ref="A1:XFD1048576"/><sheetViews>')
    bomb = tmp_path / "county.xlsx"
    bomb.write_bytes(_rewrite(data, {sheet: bomb_xml}))
    assert bomb.stat().st_size < 50_000

    ran = _import_measured(db, bomb)
    assert ran["code"] == 1, ran
    err = str(ran["err"])
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "columns" in err or "rows" in err, err
    assert float(ran["peak_mb"]) < PEAK_LIMIT_MB, ran
    print(f"\ndimension bomb ({bomb.stat().st_size} B): peak RSS {ran['peak_mb']:.0f} MB")


def test_a_zip_bomb_is_refused_in_one_line_under_300_mb(db: Path, tmp_path: Path) -> None:
    data = _template(db, tmp_path)
    sheet = _sheet_name(data)
    bomb = tmp_path / "bomb.xlsx"
    # ~200 MB of rows that deflate to well under a megabyte.
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        source = zipfile.ZipFile(io.BytesIO(data))
        for info in source.infolist():
            if info.filename != sheet:
                target.writestr(info.filename, source.read(info))
        with target.open(sheet, "w", force_zip64=True) as handle:
            handle.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.'
                         b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            chunk = row * 16_000
            for _ in range(200 * 1024 * 1024 // len(chunk)):
                handle.write(chunk)
            handle.write(b"</sheetData></worksheet>")
    assert bomb.stat().st_size < 3 * 1024 * 1024

    ran = _import_measured(db, bomb)
    assert ran["code"] == 1, ran
    err = str(ran["err"])
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "MB" in err, err
    assert float(ran["peak_mb"]) < PEAK_LIMIT_MB, ran
    print(f"\nzip bomb ({bomb.stat().st_size} B): peak RSS {ran['peak_mb']:.0f} MB")


@pytest.mark.parametrize("kind", ["rows", "columns"])
def test_a_csv_over_the_row_or_column_limit_is_refused_in_one_line(
        db: Path, tmp_path: Path, kind: str) -> None:
    from tracker.formats.imports import MAX_COLUMNS, MAX_ROWS

    path = tmp_path / "county.csv"
    if kind == "rows":
        path.write_text("county,date,staff\n" + "211421,2020-01-01,1\n" * (MAX_ROWS + 5))
    else:
        path.write_text(",".join(f"c{n}" for n in range(MAX_COLUMNS + 5)) + "\n")
    ran = _import_measured(db, path)
    assert ran["code"] == 1, ran
    err = str(ran["err"])
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert kind in err, err
    assert float(ran["peak_mb"]) < PEAK_LIMIT_MB, ran

