"""Re-take the screenshots in docs/screenshots/ from a built site (run `site-builder build content` first).

    python tools/docs_screenshots.py [SITE]   # then: pdftoppm -r 60 -png -f 1 -l 3 /tmp/print.pdf docs/screenshots/print-jincheng-2023
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

SHOTS = ROOT / "docs" / "screenshots"


def main() -> None:
    site = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "output"
    server = make_server(site, 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_args())
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "units/jincheng-social-insurance-center/2023/")
        page.screenshot(path=str(SHOTS / "report-jincheng-2023-top.png"))
        for table, name in (("income_expenditure_summary", "table01"), ("basic_expenditure_detail", "table06")):
            page.locator(f"[data-table-section={table}]").screenshot(path=str(SHOTS / f"report-jincheng-2023-{name}.png"))
        page.emulate_media(media="print")
        page.pdf(path="/tmp/print.pdf", format="A4", print_background=True)
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(base + "units/yanchi-social-insurance-center/2024/#table-income")
        phone.screenshot(path=str(SHOTS / "report-yanchi-2024-phone.png"))
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
