"""The tracker as users install it (`pip install .`, `pipx install .`): a wheel holds
every module and data file under the one import root ``tracker``, the installed command
works from it, and it shares an environment with PyPI's packages named like our folders
(``storage``, ``screens``) without either overwriting the other. The test venv's
editable install would hide a package left out of the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and installs wheels: about 8-23 s

ROOT = Path(__file__).resolve().parents[2]
# The design's folders and the import names they install under.
FOLDERS = {"tracker": "tracker", "tracker/domain": "tracker/domain",
           "tracker/formats": "tracker/formats", "tracker/cli": "tracker/cli",
           "tracker/locales": "tracker/locales", "storage": "tracker/storage",
           "screens": "tracker/screens"}


def _pip(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args, "--quiet",
                           "--disable-pip-version-check"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr


def _foreign_wheel(folder: Path, name: str) -> Path:
    """A wheel of a PyPI-style top-level package ``name`` (as PyPI's `storage` is)."""
    source = folder / f"src-{name}"
    (source / name).mkdir(parents=True)
    (source / name / "__init__.py").write_text(f"WHO = 'the other {name}'\n")
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\n'
        'build-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{name}"\nversion = "9.9"\n'
        f'[tool.setuptools]\npackages = ["{name}"]\n')
    _pip("wheel", "--no-deps", "-w", str(folder / "dist"),
         str(source))
    return next((folder / "dist").glob(f"{name}-9.9-*.whl"))


def test_the_wheel_installs_under_one_import_root(tmp_path: Path) -> None:
    _pip("wheel", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT))
    wheel = next((tmp_path / "dist").glob("liaoning_archives_tracker-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(
        ".dist-info")}
    assert tops == {"tracker"}, f"not under the import root: {sorted(tops)}"
    for folder, installed in FOLDERS.items():
        sources = {f"{installed}/{p.name}" for p in (ROOT / folder).glob("*.py")}
        assert sources and sources <= names, f"left out: {sorted(sources - names)}"
    data = {"tracker/plans/liaoning-2017.json", "tracker/screens/app.tcss"}
    assert data <= names, f"left out of the wheel: {sorted(data - names)}"

    # A fresh venv whose dependencies (textual, tinydb...) come from this one, with
    # PyPI-style `storage` and `screens` installed first, then the tracker.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    site = Path(subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path("
         "'purelib'))"], capture_output=True, text=True, check=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    for name in ("storage", "screens"):
        _pip("install", "--no-deps", "--target", str(site), str(_foreign_wheel(tmp_path,
                                                                                name)))
    _pip("install", "--no-deps", "--target", str(site), "--upgrade", str(wheel))
    for name in ("storage", "screens"):
        assert (site / name / "__init__.py").read_text() == f"WHO = 'the other {name}'\n"

    env = {**os.environ, "LANG": "C.UTF-8"}
    env.pop("TRACKER_DB", None)
    env.pop("PYTHONPATH", None)
    python = str(venv / "bin" / "python")
    db = tmp_path / "db" / "tracker.json"
    run = subprocess.run(
        [python, "-c",
         "import sys, storage, screens, tracker.storage, tracker.screens;"
         "from tracker.cli import main;"
         "print(storage.WHO, screens.WHO, tracker.storage.__file__, tracker.screens.__file__);"
         "sys.exit(main(sys.argv[1:]))", "--db", str(db), "demo"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert "the other storage the other screens" in run.stdout
    assert run.stdout.count(str(site / "tracker")) == 2, run.stdout
    shown = subprocess.run(
        [python, "-m", "tracker", "--db", str(db), "--lang", "zh", "show", "211421-2.5"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0, shown.stderr
    assert "绥中县" in shown.stdout
