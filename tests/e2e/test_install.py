"""The tracker as users install it (`pip install .`, `pipx install .`): a wheel holds
every module and data file, and the installed command works from it. The test venv's
editable install would hide a package left out of the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_installs_a_working_tracker(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
         "--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("tracker-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("tracker", "tracker/locales", "tracker/plans", "storage", "screens"):
        sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / package).glob("*.py")}
        assert sources <= names, f"left out of the wheel: {sorted(sources - names)}"
    data = {p.relative_to(ROOT).as_posix() for pattern in ("tracker/plans/*.json",
                                                           "screens/*.tcss")
            for p in ROOT.glob(pattern)}
    assert data and data <= names, f"left out of the wheel: {sorted(data - names)}"

    target = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
         "--disable-pip-version-check", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300, check=False)
    assert installed.returncode == 0, installed.stderr
    # The installed copy comes first on the path; the dependencies come from this venv.
    env = {**os.environ, "PYTHONPATH": str(target), "LANG": "C.UTF-8"}
    env.pop("TRACKER_DB", None)
    db = tmp_path / "db" / "tracker.json"
    run = subprocess.run(
        [sys.executable, "-c",
         "import sys, tracker, screens; from tracker.cli import main;"
         "print(tracker.__file__, screens.__file__); sys.exit(main(sys.argv[1:]))",
         "--db", str(db), "demo"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count(str(target)) == 2, run.stdout
    shown = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", str(db), "--lang", "zh", "show",
         "211421-2.5"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0, shown.stderr
    assert "绥中县" in shown.stdout
