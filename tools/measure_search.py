"""Measure the search index: its size, the bytes a first search downloads, and the indexing time.

    python tools/measure_search.py SITE_DIR [--no-index-time] [QUERY ...]

SITE_DIR is a built site. The first-search bytes are what Chromium downloads when a visitor opens
the search page with a query (search/?q=...) until the first results are shown: the search page's
script, Pagefind's JS/WASM, index chunks, fragments and the cells files of the table sections shown
(the page's own HTML and the site's CSS not counted). Bodies are counted uncompressed as served by
the plain static server (Pagefind's .pf_* files are gzip data already), and again gzipped at level 6
as a static host with compression would serve the rest.
"""

from __future__ import annotations

import gzip
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from benchlib import timed  # noqa: E402

from site_builder import shards  # noqa: E402
from site_builder.build import NOT_INDEXED  # noqa: E402
from site_builder.search_index import canonicalize, flatten_tables, pagefind_binary  # noqa: E402
from site_builder.serve import make_server  # noqa: E402
from tests.browser_support import launch_args  # noqa: E402


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def index_time(site: Path) -> tuple[float, dict[str, tuple[float, int]]]:
    """Time Pagefind alone, as the build runs it: on copies of the pages with tables flattened, one
    run per shard (site_builder/shards.py) one after the other. Returns the total seconds and, by
    shard, (seconds, peak memory of Pagefind's process tree as bench/benchlib.py samples it). The
    published pages have no search aid, so the index is a little smaller than the build's."""
    import shutil
    import tempfile

    pages_of = {page.relative_to(site).as_posix(): page for page in sorted(site.rglob("*.html"))
                if "pagefind" not in page.relative_to(site).parts and not page.relative_to(site).as_posix().startswith(NOT_INDEXED)}
    shard_of = shards.assign(pages_of, shards.shard_reports(), shards.single_index_reports())
    by_shard: dict[str, tuple[float, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path, page in pages_of.items():
            target = Path(tmp) / "pages" / shard_of[path] / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(flatten_tables(page.read_bytes()))
        for shard in sorted(set(shard_of.values())):
            bundle = Path(tmp) / "bundle" / shard
            start = time.perf_counter()
            run = timed([str(pagefind_binary()), "--site", str(Path(tmp) / "pages" / shard), "--output-path", str(bundle), "--quiet"])
            if run.returncode != 0:
                raise SystemExit(f"pagefind failed on shard {shard}: {run.stdout}{run.stderr}")
            canonicalize(bundle)
            by_shard[shard] = (time.perf_counter() - start, run.peak_pss)
            shutil.rmtree(bundle)
    return sum(seconds for seconds, _ in by_shard.values()), by_shard


def first_search_bytes(site: Path, query: str) -> tuple[int, int, int, dict[str, int]]:
    """(bodies, bodies as gzip would serve them, requests, bytes by kind) of the first search."""
    server = make_server(site, 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    bodies: list[tuple[str, bytes]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_args())
        page = browser.new_page()

        def record(response) -> None:  # noqa: ANN001
            if "/pagefind/" in response.url or response.url.endswith("/search.js"):
                try:
                    bodies.append((response.url, response.body()))
                except Exception:  # noqa: BLE001 - a redirect has no body
                    pass

        page.on("response", record)
        page.goto(f"http://127.0.0.1:{server.server_port}/search/?q={quote(query)}")
        page.wait_for_selector("#search[data-state=ready]", state="attached", timeout=60000)
        page.wait_for_load_state("networkidle")
        browser.close()
    server.shutdown()
    by_kind: dict[str, int] = {}
    for url, body in bodies:
        kind = response_kind(url)
        by_kind[kind] = by_kind.get(kind, 0) + len(body)
    total = sum(len(b) for _, b in bodies)
    zipped = sum(len(b) if b[:2] == b"\x1f\x8b" else len(gzip.compress(b, 6)) for _, b in bodies)
    return total, zipped, len(bodies), by_kind


def response_kind(url: str) -> str:
    """What a response of the first search is: index/fragment/filter chunks, cells, each shard's
    metadata and entry file, or the file's name (pagefind.js, the WebAssembly, shards.json, …)."""
    folder, name = url.split("?", 1)[0].rsplit("/", 2)[-2:]
    if "/cells/" in url:
        return "cells"
    if "/pagefind/directory/" in url:
        return "directory buckets"
    if "/pagefind/" in url and folder in ("fragment", "index", "filter"):
        return folder
    if name.endswith(".pf_meta"):
        return "metadata (pf_meta)"
    if name.startswith("wasm."):
        return "wasm"
    return name


def main() -> None:
    arguments = sys.argv[1:]
    with_index_time = "--no-index-time" not in arguments
    arguments = [a for a in arguments if a != "--no-index-time"]
    site = Path(arguments[0])
    queries = arguments[1:] or ["公务接待费"]
    size, files = folder_size(site / "pagefind")
    print(f"index: {size / 1e6:.2f} MB in {files} files ({site / 'pagefind'})")
    if with_index_time:
        seconds, by_shard = index_time(site)
        print(f"index time (Pagefind alone, flattened pages, {len(by_shard)} shards one after the other): {seconds:.2f} s")
        for shard, (shard_seconds, memory) in by_shard.items():
            print(f"  {shard}: {shard_seconds:.2f} s, peak memory {memory / 1e6:.0f} MB PSS")
    for query in queries:
        total, zipped, requests, by_kind = first_search_bytes(site, query)
        print(f"first search {query!r}: {total / 1e3:.1f} kB in {requests} requests (bodies as served); "
              f"{zipped / 1e3:.1f} kB with gzip")
        print("  " + ", ".join(f"{kind} {size / 1e3:.1f} kB" for kind, size in sorted(by_kind.items(), key=lambda x: -x[1])))


if __name__ == "__main__":
    main()
