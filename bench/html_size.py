"""The HTML report's size for a fleet of models (issue 19, item 6: a 1,000-model
audit report under 5 MB), and screenshots of it in headless Chromium.

    python bench/html_size.py                      # sizes for 400 and 1,000 models
    python bench/html_size.py 1000 --screenshots docs/img/

The fleet is tests/model_fleet.py: the shipped examples varied by a seeded
generator, evaluated against the shipped policies, waivers and risk register.
The size is of the UTF-8 bytes ``render(report, "html")`` returns; the
model-section screenshot shows one section of the same page alone (a style
added to the copy that is photographed hides the rest: headless Chromium
photographs the top of a page, whatever its fragment).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from model_fleet import fleet_report  # noqa: E402
from policygate.formats import render  # noqa: E402
from policygate.formats.html import model_anchors  # noqa: E402
from policygate.formats.ordering import failures_first  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"]


def screenshot(page: Path, png: Path, size: str = "1400,2000") -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("headless Chromium is needed for screenshots: apt-get install chromium")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
             f"--screenshot={png}", page.as_uri()],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="*", type=int, default=[400, 1000])
    parser.add_argument("--screenshots", type=Path, help="write summary.png and model.png here")
    parser.add_argument("--section", type=int, default=0, help="which model's section (0: first)")
    args = parser.parse_args()
    for count in args.counts:
        report = fleet_report(count)
        text = render(report, "html")
        size = len(text.encode("utf-8"))
        failed = report.summary()["failed"]
        print(f"{count:6d} models ({failed} failed): {size:,} bytes ({size / 1e6:.2f} MB)")
        if args.screenshots is None:
            continue
        args.screenshots.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            page = Path(tmp) / "report.html"
            page.write_text(text, encoding="utf-8")
            screenshot(page, args.screenshots / "html-report-summary.png")
            anchor = model_anchors(failures_first(report.models))[args.section]
            alone = f'<style>body > :not([id="{anchor}"]) {{ display: none; }}</style></head>'
            page.write_text(text.replace("</head>", alone, 1), encoding="utf-8")
            screenshot(page, args.screenshots / "html-report-model.png")
        print(f"        screenshots in {args.screenshots} (section {anchor})")


if __name__ == "__main__":
    main()
