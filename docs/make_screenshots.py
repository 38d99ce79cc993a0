"""Save the README's screenshots: the dashboard at 100x32 in English and Chinese, from
a fresh demo database with a fixed clock (run: .venv/bin/python docs/make_screenshots.py)."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.screens.factory import build_demo_files, make_app  # noqa: E402


async def shoot(db: Path, lang: str) -> None:
    app = make_app(db, lang=lang)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.save_screenshot(str(ROOT / "docs" / "screenshots" / f"dashboard-{lang}.svg"))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = build_demo_files(Path(folder))
        for lang in ("en", "zh"):
            asyncio.run(shoot(db, lang))


if __name__ == "__main__":
    main()
