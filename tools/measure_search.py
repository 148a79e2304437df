"""Measure the search index: its size, the bytes a first search downloads, and the indexing time.

    python tools/measure_search.py SITE_DIR [QUERY ...]

SITE_DIR is a built site. The first-search bytes are what Chromium downloads from pagefind/ when a
visitor opens the search page and types the first query (the page's own HTML/CSS not counted).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from site_builder.search_index import canonicalize, flatten_tables, pagefind_binary  # noqa: E402
from site_builder.serve import make_server  # noqa: E402
from tests.browser_support import launch_args  # noqa: E402


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def index_time(site: Path) -> float:
    """Time Pagefind alone, as the build runs it (on copies of the pages with tables flattened)."""
    import shutil
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        pages, bundle = Path(tmp) / "pages", Path(tmp) / "bundle"
        for page in site.rglob("*.html"):
            if "pagefind" in page.parts:
                continue
            target = pages / page.relative_to(site)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(flatten_tables(page.read_bytes()))
        start = time.perf_counter()
        subprocess.run([str(pagefind_binary()), "--site", str(pages), "--output-path", str(bundle), "--quiet"],
                       check=True, capture_output=True)
        canonicalize(bundle)
        seconds = time.perf_counter() - start
        shutil.rmtree(bundle)
    return seconds


def first_search_bytes(site: Path, query: str) -> tuple[int, int]:
    server = make_server(site, 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sizes: list[int] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_args())
        page = browser.new_page()

        def record(response) -> None:  # noqa: ANN001
            if "/pagefind/" in response.url:
                try:
                    sizes.append(len(response.body()))
                except Exception:  # noqa: BLE001 - a redirect has no body
                    pass

        page.on("response", record)
        page.goto(f"http://127.0.0.1:{server.server_port}/search/")
        page.locator("#search-input").fill(query)
        page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15000)
        page.wait_for_load_state("networkidle")
        browser.close()
    server.shutdown()
    return sum(sizes), len(sizes)


def main() -> None:
    site = Path(sys.argv[1])
    queries = sys.argv[2:] or ["公务接待费"]
    size, files = folder_size(site / "pagefind")
    print(f"index: {size / 1e6:.2f} MB in {files} files ({site / 'pagefind'})")
    print(f"index time (Pagefind alone, flattened pages): {index_time(site):.2f} s")
    for query in queries:
        total, requests = first_search_bytes(site, query)
        print(f"first search {query!r}: {total / 1e3:.1f} kB in {requests} requests from pagefind/ (uncompressed bodies)")


if __name__ == "__main__":
    main()
