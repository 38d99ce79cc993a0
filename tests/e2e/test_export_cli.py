"""`tracker export`, `diff` and `merge` through the installed command."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.e2e.test_cli import run


@pytest.mark.slow  # a CLI export per format: about 2-4 s
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "md", "html"])
def test_export_each_format_with_checksum(demo_db: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"snap.{fmt}"
    result = run(demo_db, "export", "--as-of", "2017-06-30", "-o", str(out))
    assert f"wrote {out} (700 tasks, 100 counties, as of 2017-06-30)" in result.stdout
    assert "DEMO DATA" in result.stderr
    digest, name = (tmp_path / f"snap.{fmt}.sha256").read_text().split()
    assert name == out.name and digest == hashlib.sha256(out.read_bytes()).hexdigest()
    assert subprocess.run(["sha256sum", "-c", f"{out.name}.sha256"], cwd=tmp_path,
                          capture_output=True).returncode == 0
    data = out.read_bytes()
    if fmt == "json":
        shares = [c["values"]["digitized_share"]["value"] for c in json.loads(data)["counties"]]
        assert sum(v < 30 for v in shares) == 71
    elif fmt == "xlsx":
        assert openpyxl.load_workbook(out).sheetnames == ["Summary", "Counties", "Tasks",
                                                          "Roll-ups", "About"]
    elif fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")
        assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) == 701
        meta = json.loads((tmp_path / f"snap.{fmt}.meta.json").read_text())
        assert meta["table"] == "tasks" and meta["provenance"]["as_of"] == "2017-06-30"
        assert meta["sha256"] == digest and meta["columns"][0]["code"] == "task_id"
    else:
        assert "2017-06-30" in data.decode()


def test_export_filters_and_language(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "huludao.md"
    run(demo_db, "--lang", "zh", "export", "--prefecture", "葫芦岛", "--rec", "2.5",
        "-o", str(out))
    text = out.read_text()
    assert "绥中县" in text and "演示数据" in text
    assert sum(1 for line in text.splitlines() if line.startswith("| 2114")) == 6


@pytest.mark.parametrize(("args", "code", "message"), [
    (("-o", "x.txt"), 2, "cannot tell the format from the file name"),
    (("--format", "pdf", "-o", "x.pdf"), 2, "--format: 'pdf' is not one of csv, xlsx"),
    (("--prefecture", "nowhere", "-o", "x.json"), 2, "nowhere"),
    (("-o", "/nonexistent-dir/x.json"), 1, "/nonexistent-dir/x.json: cannot write"),
])
def test_export_errors_are_one_line(db: Path, tmp_path: Path, args, code: int,
                                    message: str) -> None:
    result = run(db, "export", *args, check=code)
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_export_refuses_to_replace_the_database(db: Path) -> None:
    before = db.read_bytes()
    result = run(db, "export", "--format", "json", "-o", str(db), check=2)
    assert "one of the database's own files" in result.stderr
    assert db.read_bytes() == before


def test_diff_of_two_snapshots_and_since(demo_db: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    run(demo_db, "export", "--as-of", "2017-06-30", "-o", str(a))
    run(demo_db, "export", "--as-of", "2018-06-30", "-o", str(b))
    text = run(demo_db, "diff", str(a), str(b)).stdout
    assert "Changes from 2017-06-30 to 2018-06-30" in text
    assert "not started → in progress" in text and "Counties that crossed a threshold" in text
    changes = json.loads(run(demo_db, "diff", str(a), str(b), "--json").stdout)
    assert changes["status_moves"] and changes["indicator_changes"]
    since = json.loads(run(demo_db, "diff", "--since", "2019-06-01", "--json").stdout)
    assert since["from"]["as_of"] == "2019-05-31"  # the demo lives on 2019-06-26
    assert run(demo_db, "diff", str(a), check=2).stderr.count("\n") == 1


def test_merge_prefecture_snapshots(demo_db: Path, tmp_path: Path) -> None:
    parts = []
    for name in ("沈阳", "葫芦岛"):
        path = tmp_path / f"{name}.json"
        run(demo_db, "export", "--as-of", "2017-06-30", "--prefecture", name, "-o", str(path))
        parts.append(str(path))
    out = tmp_path / "both.xlsx"
    result = run(demo_db, "merge", *parts, "-o", str(out))
    assert "merged 2 snapshots (19 counties, 133 tasks)" in result.stdout
    meta = dict(r[:2] for r in openpyxl.load_workbook(out)["About"].iter_rows(values_only=True))
    assert "沈阳.json" in str(meta) and (tmp_path / "both.xlsx.sha256").exists()
    merged = json.loads(run(demo_db, "merge", *parts).stdout)
    assert len(merged["tasks"]) == 133
    refused = run(demo_db, "merge", parts[0], parts[0], check=1)
    assert "is in both" in refused.stderr
    (tmp_path / "bad.json").write_text("[1, 2")
    bad = run(demo_db, "merge", str(tmp_path / "bad.json"), check=1)
    assert "bad.json: line 1, column 6: not JSON" in bad.stderr


def test_json_export_imports_neither_textual_nor_openpyxl(db: Path, tmp_path: Path) -> None:
    code = ("import sys; from tracker.cli import main; main(sys.argv[1:]);"
            "print('textual' in sys.modules, 'openpyxl' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, "--db", str(db), "export", "-o",
                             str(tmp_path / "s.json")], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "False False"


def test_export_to_standard_output(demo_db: Path, tmp_path: Path) -> None:
    """`-o -` streams the file (the service mode needs it) and writes no file named `-`;
    the note goes to standard error."""
    result = subprocess.run([*_tracker(demo_db), "export", "--as-of", "2017-06-30", "-o", "-"],
                            capture_output=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["provenance"]["as_of"] == "2017-06-30"
    assert b"wrote -" in result.stderr and not (tmp_path / "-").exists()
    csv_out = subprocess.run([*_tracker(demo_db), "export", "--format", "csv", "--table",
                              "counties", "-o", "-"], capture_output=True, cwd=tmp_path,
                             timeout=60)
    assert csv_out.stdout.startswith(b"\xef\xbb\xbfcounty_code,")


def _tracker(db: Path) -> list[str]:
    from tests.e2e.test_cli import TRACKER

    return [TRACKER, "--db", str(db)]


def test_an_existing_file_is_replaced_only_with_force(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    out.write_text("keep me")
    refused = run(demo_db, "export", "-o", str(out), check=2)
    assert f"{out} exists; give --force to replace it" in refused.stderr
    assert out.read_text() == "keep me" and not (tmp_path / "s.json.sha256").exists()
    run(demo_db, "export", "-o", str(out), "--force")
    assert json.loads(out.read_text())["format"] == "tracker-snapshot"


@pytest.mark.parametrize(("table", "rows", "first"), [
    ("tasks", 700, "task_id"), ("counties", 100, "county_code"),
    ("rollups", 8 * 15, "area_level"), ("measurements", None, "county_code"),
    ("history", None, "seq"),
])
def test_each_table_is_its_own_csv(demo_db: Path, tmp_path: Path, table: str, rows, first: str,
                                   ) -> None:
    import pandas as pd

    out = tmp_path / f"{table}.csv"
    run(demo_db, "export", "--as-of", "2018-06-30", "--table", table, "-o", str(out))
    frame = pd.read_csv(out)
    assert frame.columns[0] == first
    assert len(frame) == rows if rows is not None else len(frame) > 100
    meta = json.loads((tmp_path / f"{table}.csv.meta.json").read_text())
    assert meta["table"] == table and [c["code"] for c in meta["columns"]] == list(
        frame.columns)
    if table == "history":
        assert frame["date"].max() <= "2018-06-30"


def test_table_is_for_csv_and_details_for_html(db: Path, tmp_path: Path) -> None:
    assert "--table is for CSV" in run(db, "export", "--table", "counties", "-o",
                                       str(tmp_path / "x.json"), check=2).stderr
    assert "--details is for HTML" in run(db, "export", "--details", "-o",
                                          str(tmp_path / "x.csv"), check=2).stderr
    assert "--table: 'x' is not one of" in run(db, "export", "--table", "x", "-o",
                                               str(tmp_path / "x.csv"), check=2).stderr


def test_summary_since_and_county_one_pager(demo_db: Path, tmp_path: Path) -> None:
    page = tmp_path / "s.html"
    run(demo_db, "--lang", "zh", "export", "--as-of", "2019-06-25", "--since", "2019-06-01",
        "--details", "-o", str(page))
    text = page.read_text()
    assert "2019-06-01 以来的变化" in text and 'class="details"' in text
    county = tmp_path / "suizhong.html"
    run(demo_db, "--lang", "zh", "export", "--as-of", "2019-06-25", "--county", "绥中",
        "-o", str(county))
    text = county.read_text()
    assert "绥中县" in text and "211421-2.5" in text and "211422-2.5" not in text
    book = tmp_path / "suizhong.xlsx"
    run(demo_db, "export", "--county", "绥中", "-o", str(book))
    tasks = list(openpyxl.load_workbook(book).worksheets[2].iter_rows(values_only=True))
    assert len(tasks) == 1 + 7
