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
        assert openpyxl.load_workbook(out).sheetnames == ["Tasks", "Roll-ups", "Metadata"]
    elif fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")
        assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) > 700
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
    (("--prefecture", "nowhere", "-o", "x.json"), 1, "nowhere"),
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
    since = json.loads(run(demo_db, "diff", "--since", "2020-12-01", "--json").stdout)
    assert since["from"]["as_of"] == "2020-11-30"
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
    meta = dict(openpyxl.load_workbook(out)["Metadata"].iter_rows(values_only=True))
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
