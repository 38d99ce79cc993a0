"""`make check-readers`: the exports as their readers print them, counted against the
bounds of issue 14 (docs/snapshot-format.md, "Printing").

Makes the demo database in a temporary folder, exports it as of 2020-06-30 in Chinese
and in English, then:

- Chromium headless prints each HTML page to PDF: the summary on at most 3 A4 pages,
  the summary with --details under 40, a county's one-pager (绥中) on 1;
- LibreOffice headless converts each workbook to PDF: at most 30 pages;
- pdftoppm renders the summary's first page to docs/screenshots/summary-{zh,en}.png
  (with --screenshots).

Needs chromium, soffice (LibreOffice) and pdfinfo/pdftoppm (poppler-utils): on Debian,
`apt-get install -y chromium libreoffice-calc-nogui poppler-utils fonts-noto-cjk`.
Too heavy for CI (about 1 GB of packages), so it is not part of `make test`.

    python scripts/check_readers.py [--screenshots] [--keep DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2020-06-30"
CHECKS = [  # (name, export arguments, reader, most pages, fewest pages)
    ("summary-zh.html", ["--lang", "zh"], "chromium", 3, 1),
    ("summary-en.html", ["--lang", "en"], "chromium", 3, 1),
    ("details-zh.html", ["--lang", "zh", "--details"], "chromium", 39, 4),
    ("details-en.html", ["--lang", "en", "--details"], "chromium", 39, 4),
    ("county-zh.html", ["--lang", "zh", "--county", "绥中"], "chromium", 1, 1),
    ("workbook-zh.xlsx", ["--lang", "zh"], "libreoffice", 30, 5),
    ("workbook-en.xlsx", ["--lang", "en"], "libreoffice", 30, 5),
]


def tracker() -> list[str]:
    script = Path(sys.executable).parent / "tracker"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]


def run(cmd: list[str], **kwargs: object) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=300, **kwargs)  # type: ignore[arg-type]


def pages(pdf: Path) -> int:
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                             check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


def to_pdf(source: Path, reader: str, out: Path) -> Path:
    if reader == "chromium":
        pdf = out / (source.stem + ".pdf")
        browser = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
        run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
             f"--print-to-pdf={pdf}", source.as_uri()])
        return pdf
    profile = out / "lo-profile"
    run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(out), str(source)])
    return out / (source.stem + ".pdf")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--screenshots", action="store_true",
                        help="write docs/screenshots/summary-{zh,en}.png")
    parser.add_argument("--keep", metavar="DIR", help="keep the files here")
    args = parser.parse_args(argv)
    missing = [t for t in ("chromium", "soffice") if not shutil.which(t)]
    if missing:
        print(f"check-readers: not installed: {', '.join(missing)} (see {__file__})")
        return 2
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(args.keep or temporary)
        work.mkdir(parents=True, exist_ok=True)
        db = work / "tracker.json"
        if not db.exists():
            run([*tracker(), "--db", str(db), "demo"])
        failed = 0
        for name, options, reader, most, fewest in CHECKS:
            source = work / name
            run([*tracker(), "--db", str(db), *options[:2], "export", *options[2:],
                 "--as-of", AS_OF, "--force", "-o", str(source)])
            count = pages(to_pdf(source, reader, work))
            ok = fewest <= count <= most
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name:18} {reader:11} {count:3} pages "
                  f"(bound {fewest}-{most})")
            if args.screenshots and name.startswith("summary-"):
                shot = ROOT / "docs" / "screenshots" / name.replace(".html", "")
                run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                     str(work / (source.stem + ".pdf")), str(shot)])
                print(f"     wrote {shot.relative_to(ROOT)}.png")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
