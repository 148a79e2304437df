"""Re-take the screenshots of docs/journalists.md from a built site (run `site-builder build content` first).

    CHROMIUM_PATH=/usr/bin/chromium python tools/journalist_screenshots.py [SITE]
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from site_builder.serve import make_server  # noqa: E402
from tests.browser_support import launch_args  # noqa: E402

SHOTS = ROOT / "docs" / "img"


def main() -> None:
    site = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "output"
    server = make_server(site, 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_args())
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        page.goto(base + "units/jincheng-social-insurance-center/2023/")
        page.locator("[data-table-section=three_public]").screenshot(path=str(SHOTS / "journalists-report-downloads.png"))
        page.goto(base + "data/")
        page.screenshot(path=str(SHOTS / "journalists-data-page.png"), full_page=False)
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
