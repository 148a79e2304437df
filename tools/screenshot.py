"""Screenshot a built page (and its print preview as PDF) with Chromium: python tools/screenshot.py SITE PATH OUT.png [OUT.pdf]"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from site_builder.serve import make_server  # noqa: E402
from tests.browser_support import launch_args  # noqa: E402


def main() -> None:
    site, path, png = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    pdf = sys.argv[4] if len(sys.argv) > 4 else None
    server = make_server(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_args())
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{server.server_port}/{path}")
        page.screenshot(path=png, full_page=len(sys.argv) > 5)
        if pdf:
            page.emulate_media(media="print")
            page.pdf(path=pdf, format="A4", print_background=True)
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
