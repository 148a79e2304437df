"""Re-take the screenshots of docs/journalists.md from a built site (run `site-builder build content` first).

    CHROMIUM_PATH=/usr/bin/chromium python tools/journalist_screenshots.py [SITE [GENERATED_SITE]]

The unit-across-years and comparison shots need units with several years and regions with several
units, which the two sample reports do not have: GENERATED_SITE is a build of generated content,
e.g. ``python bench/generate.py --reports 30 --seed 7 --out /tmp/g30 && site-builder build /tmp/g30
--out /tmp/o30``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from site_builder.serve import make_server  # noqa: E402
from tests.browser_support import launch_args  # noqa: E402

SHOTS = ROOT / "docs" / "img"


def main() -> None:
    site = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "output"
    sample_shots(site)
    if len(sys.argv) > 2:
        generated_shots(Path(sys.argv[2]))


@contextmanager
def served(site: Path, width: int, height: int) -> Iterator[tuple[Page, str]]:
    """A Chromium page and the base URL of ``site`` served on a free port."""
    server = make_server(site, 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_args())
            yield browser.new_page(viewport={"width": width, "height": height}), f"http://127.0.0.1:{server.server_port}/"
            browser.close()
    finally:
        server.shutdown()


def generated_shots(site: Path) -> None:
    """A unit page with its year-by-year table and charts, and one comparison view."""
    with served(site, 1100, 900) as (page, base):
        page.goto(base + "compare/index.html")
        page.locator(".compare-list a").first.click()
        page.screenshot(path=str(SHOTS / "journalists-compare.png"))
        charted = sorted(p.parent.name for p in (site / "units").glob("*/index.html")
                         if 'class="chart"' in p.read_text(encoding="utf-8"))
        page.goto(base + f"units/{charted[0]}/")
        page.locator(".unit-history").screenshot(path=str(SHOTS / "journalists-unit.png"))


def sample_shots(site: Path) -> None:
    with served(site, 1000, 700) as (page, base):
        page.goto(base + "units/jincheng-social-insurance-center/2023/")
        page.locator("[data-table-section=three_public]").screenshot(path=str(SHOTS / "journalists-report-downloads.png"))
        page.goto(base + "data/")
        page.screenshot(path=str(SHOTS / "journalists-data-page.png"), full_page=False)


if __name__ == "__main__":
    main()
