"""The page counts of issue 14, as Chromium and LibreOffice print the exports (the HTML
printed on 107 A4 pages, the workbook on 222 in zh and 319 in en). Heavy (about a minute,
and ~1 GB of packages): run by `make check-readers`, or here with TRACKER_READERS=1."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    os.environ.get("TRACKER_READERS") != "1" or not shutil.which("chromium")
    or not shutil.which("soffice"),
    reason="TRACKER_READERS=1 with chromium and soffice installed (make check-readers)")


def test_every_export_prints_within_its_page_bounds(tmp_path: Path, capsys) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import check_readers
    finally:
        sys.path.pop(0)
    assert check_readers.main(["--keep", str(tmp_path)]) == 0, capsys.readouterr().out
