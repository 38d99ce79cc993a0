"""`tracker import` through the installed command: template, dry run, import, re-import,
refusals that leave every byte of the database as it was."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_cli import run


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.json"
    run(path, "init")
    return path


def files(db: Path) -> tuple[bytes, bytes]:
    return db.read_bytes(), db.with_name(db.name + ".history").read_bytes()


def test_xlsx_template_dry_run_import_and_reimport(db: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    template = tmp_path / "county figures.xlsx"
    out = run(db, "import", "--template", str(template)).stdout
    assert "13 columns" in out
    book = load_workbook(template)
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    for row in range(2, 5):
        sheet.cell(row, 3).value = "2017-12-31"
        sheet.cell(row, headers.index("Archives staff (people)") + 1).value = row
    book.save(template)

    before = files(db)
    dry = run(db, "import", str(template), "--dry-run").stdout
    assert "210102 Heping District · Archives staff · 2017-12-31: - → 2" in dry
    assert "dry run, nothing written" in dry and "3 value(s) for 3 county(ies)" in dry
    assert files(db) == before

    done = run(db, "import", str(template)).stdout
    assert "imported county figures.xlsx" in done
    again = run(db, "import", str(template)).stdout
    assert "nothing changed; all 3 value(s) are already recorded" in again
    history = json.loads(run(db, "history", "--json").stdout)
    measures = [e for e in history if e["type"] == "measure"]
    assert len(measures) == 3 and len({e["user"] for e in measures}) == 1
    assert measures[0]["new"]["source"].startswith("county figures.xlsx sha256:")
    run(db, "verify")


def test_a_bad_row_refuses_the_file_and_changes_no_byte(db: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("county,date,staff\n绥中,2017-06-30,5\n", encoding="utf-8")
    run(db, "import", str(good))
    bad = tmp_path / "bad.csv"
    bad.write_text("county,date,staff,holdings\n绥中,2017-12-31,6,40000\n"
                   "兴城,2017-12-31,many,\n999999,2017-13-01,1,\n", encoding="utf-8")
    before = files(db)
    result = run(db, "import", str(bad), check=1)
    lines = result.stderr.splitlines()
    assert lines[0] == "tracker: bad.csv: 3 problem(s); nothing was imported"
    assert lines[1:] == [
        "bad.csv: row 3, column C (staff): 'many' is not a whole number (0 or more)",
        "bad.csv: row 4, column A (county): no county matches '999999'",
        "bad.csv: row 4, column B (date): Date: '2017-13-01' is not a day of the calendar; "
        "accepted forms: 2020-12-31, 2020/12/31, 2020.12.31, 2020年12月31日"]
    assert files(db) == before
    for content in (b"", b"\x00\x01binary", b"PK\x03\x04broken"):
        bad.write_bytes(content)
        assert run(db, "import", str(bad), check=1).stderr.startswith("tracker: bad.csv: ")
        assert files(db) == before


def test_gbk_file_with_chinese_messages(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "县局报表.csv"
    path.write_bytes("县区,日期,档案馆人员（人）\n绥中县,2017年12月31日,6\n".encode("gbk"))
    out = run(db, "import", str(path), "--dry-run", lang="zh_CN.UTF-8").stdout
    assert "211421 绥中县 · 档案馆人员 · 2017-12-31：- → 6" in out
    assert out.splitlines()[-1].startswith("试运行，未写入")


@pytest.mark.parametrize("args", [("import",), ("import", "x.csv", "--template", "t.csv"),
                                  ("import", "--template", "t.ods"), ("import", "nope.csv"),
                                  ("import", "x.csv", "--as-of", "2017-01-01")])
def test_usage_errors_exit_2(db: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run(db, *(a if a == "import" or a.startswith("-") or "2017" in a
                       else str(tmp_path / a) for a in args), check=2)
    assert result.stderr.startswith("tracker: ")


def test_import_does_not_load_textual(db: Path, tmp_path: Path) -> None:
    code = ("import sys; from tracker.cli import main;"
            "main(['--db', sys.argv[1], 'import', '--template', sys.argv[2]]);"
            "print('textual' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(db), str(tmp_path / "t.xlsx")],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_per_county_templates_then_one_import_of_the_folder(demo_db: Path,
                                                            tmp_path: Path) -> None:
    """One workbook per county, pre-filled with its latest figures and dates (sent back
    unchanged they change nothing), cells checked by data validation, instructions in
    Chinese; the folder imported in one write, or nothing if any file is refused."""
    import shutil

    from openpyxl import load_workbook

    source, demo_db = demo_db, tmp_path / "demo.json"  # a copy: the demo is shared
    for suffix in ("", ".history"):
        shutil.copy(source.with_name(source.name + suffix), demo_db.with_name(
            demo_db.name + suffix))

    folder = tmp_path / "requests"
    out = run(demo_db, "import", "--template", "--per-county", str(folder)).stdout
    assert "100 templates written" in out
    made = sorted(folder.iterdir())
    assert len(made) == 100 and (folder / "211421-绥中县.xlsx") in made
    book = load_workbook(folder / "211421-绥中县.xlsx")
    assert book.sheetnames == ["填报", "填报说明"]
    sheet = book["填报"]
    rows = list(sheet.iter_rows(values_only=True))
    kept = [r for r in rows[1:] if r[2] is not None]
    assert kept and all(r[0] == "211421" for r in kept)
    assert sheet.data_validations.dataValidation  # cells checked as they are typed
    assert "灰色行" in book["填报说明"]["A2"].value
    unchanged = run(demo_db, "import", str(folder / "211421-绥中县.xlsx")).stdout
    assert "nothing changed" in unchanged

    headers = list(rows[0])
    chosen = [folder / "211421-绥中县.xlsx", next(p for p in made if p.name.startswith("2114")
                                                and "211421" not in p.name)]
    for number, path in enumerate(chosen):
        book = load_workbook(path)
        sheet = book["填报"]
        line = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 3).value is None)
        sheet.cell(line, 3).value = "2019-06-20"
        sheet.cell(line, headers.index("Archives staff (people)") + 1).value = 7 + number
        book.save(path)
    for other in made:
        if other not in chosen:
            other.unlink()
    bad = folder / "zz-bad.csv"
    bad.write_text("county,date,staff\n绥中,2019-06-20,x\n", encoding="utf-8")
    before = files(demo_db)
    refused = run(demo_db, "import", str(folder), check=1)
    assert "1 of 3 file(s) cannot be imported; nothing was imported" in refused.stderr
    assert "zz-bad.csv: row 2" in refused.stdout + refused.stderr
    assert "211421-绥中县.xlsx: 1 value(s)" in refused.stdout
    assert files(demo_db) == before
    bad.unlink()
    done = run(demo_db, "import", *map(str, chosen)).stdout
    assert "2 file(s) checked: 2 value(s) for 2 county(ies) recorded in one write" in done
    history = json.loads(run(demo_db, "history", "--json").stdout)
    assert [e["new"]["value"] for e in history[-2:]] == [7, 8]
