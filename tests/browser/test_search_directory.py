"""Every committed query (tests/search_queries.yaml) through the search directory.

The sample portal built in shards of one report (2023-0, 2024-0) and one unit page (site-0, site-1;
the other site-wide pages in site) has a search directory, so
the results page loads only the shards that hold a query's keys (docs/search.md, "The directory").
Each query must still find every page it expects once the page has searched every shard that can
hold it. For figures and codes, a report shard whose pages do not print the query (checked on the
built pages' text) must not even be loaded: that checks that search.js cuts a query into the keys
search_directory.py cut the pages into.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urljoin, urlparse

import pytest
from playwright.sync_api import Browser, Page

from site_builder.build import build
from site_builder.serve import make_server
from site_builder.shards import SHARD_REPORTS_VARIABLE
from tests.browser.test_search import QUERIES
from tests.browser.test_search_shards import show_all

REPORTS = {"2023-0": "units/jincheng-social-insurance-center/2023/", "2024-0": "units/yanchi-social-insurance-center/2024/"}

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "sharded/"


@pytest.fixture(scope="module")
def sharded_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sharded-www") / PREFIX


@pytest.fixture(scope="module")
def sharded_url(sharded_site: Path) -> Iterator[str]:
    www = sharded_site.parent
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SHARD_REPORTS_VARIABLE, "1")
        build(ROOT / "content", www / PREFIX)
    assert (www / PREFIX / "pagefind" / "directory.json").is_file()
    server = make_server(www, 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/{PREFIX}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def results_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("case", QUERIES, ids=[q["query"] for q in QUERIES])
def test_query_finds_its_pages_through_the_directory(results_page: Page, sharded_site: Path, sharded_url: str,
                                                     case: dict) -> None:
    page = results_page
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(urlparse(request.url).path))
    page.goto(sharded_url + "search/?q=" + quote(case["query"]))
    page.wait_for_selector("#search[data-state=ready]", timeout=20_000)
    show_all(page)
    if case["kind"] in ("code", "figure", "figure with unit"):
        digits = re.sub(r"[^\d.]", "", re.sub(r"\s*(万元|元)$", "", case["query"]))
        printing = {shard for shard, report in REPORTS.items() if digits in printed_digits(sharded_site, report)}
        loaded = {shard for shard in REPORTS if any(f.endswith(f"/pagefind/{shard}/pagefind-entry.json") for f in fetched)}
        assert loaded == printing, (case["query"], loaded, printing)
    links = page.eval_on_selector_all(".search-result-link", "links => links.map(a => a.href)")
    for expected in case["expect"]:
        assert urljoin(sharded_url, expected["page"]) in links, (case["query"], expected["page"], links)
    status = page.locator(".search-status").inner_text()
    assert status.startswith(f"找到 {len(links)} 个页面"), status
    assert all(urlparse(link).path.startswith("/" + PREFIX) for link in links)


def printed_digits(site: Path, report: str) -> str:
    """The text of a report's pages (report and attachment pages) with the separators of figures dropped."""
    text = " ".join(re.sub(r"<[^>]*>", " ", page.read_text(encoding="utf-8")) for page in sorted((site / report).rglob("index.html")))
    return re.sub(r"(?<=\d),(?=\d)", "", text)
