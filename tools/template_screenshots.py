"""Screenshots of the Shanghai 2024 tables for docs/templates.md and the issue 9 closing note.

    CHROMIUM_PATH=/usr/bin/chromium python tools/template_screenshots.py

Builds tests/fixtures/shanghai-2024 into a temporary folder, then shoots each table section of its
report page into docs/img/shanghai-2024-<table>.png (CJK glyphs need a CJK font, e.g. fonts-noto-cjk).
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from site_builder import standards  # noqa: E402
from site_builder.build import build  # noqa: E402
from site_builder.serve import make_server  # noqa: E402
from tests.browser_support import launch_args  # noqa: E402

SHOTS = ROOT / "docs" / "img"
FIXTURE = ROOT / "tests" / "fixtures" / "shanghai-2024"


def main() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        build(FIXTURE, site, index=False)
        server = make_server(site, 0, quiet=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_args())
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://127.0.0.1:{server.server_port}/units/demo-bureau/2024/")
            for table in standards.templates()["shanghai-2024"].table_ids:
                page.locator(f"[data-table-section={table}]").screenshot(path=str(SHOTS / f"shanghai-2024-{table}.png"))
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
