"""Search as a tested feature: the real Pagefind index, queried in Chromium the way the UI queries it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from playwright.sync_api import Page

QUERIES = yaml.safe_load((Path(__file__).resolve().parents[1] / "search_queries.yaml").read_text(encoding="utf-8"))

SEARCH = """async (query) => {
  const pagefind = await import('./pagefind/pagefind.js');
  await pagefind.init();
  const found = await pagefind.search(query);
  const data = await Promise.all(found.results.map(r => r.data()));
  return data.map(d => ({url: d.url, subs: d.sub_results.map(s => s.url)}));
}"""


@pytest.fixture(scope="module")
def search_page(browser, base_url: str):  # noqa: ANN001, ANN201 - fixtures from conftest
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url)
    yield page
    context.close()


def test_at_least_30_queries() -> None:
    assert len(QUERIES) >= 30


@pytest.mark.parametrize("case", QUERIES, ids=[q["query"] for q in QUERIES])
def test_query_finds_its_pages_and_sections(search_page: Page, base_url: str, case: dict) -> None:
    results = search_page.evaluate(SEARCH, case["query"])
    prefix = "/" + base_url.split("/", 3)[3]
    for expected in case["expect"]:
        page = prefix + expected["page"]
        hits = [r for r in results if r["url"] == page]
        assert hits, f"{case['query']!r} does not find {expected['page']} (found {[r['url'] for r in results]})"
        section = expected.get("section")
        if section:
            anchors = [unquote(s.split("#", 1)[1]) for s in hits[0]["subs"] if "#" in s]
            assert section in anchors, f"{case['query']!r} finds {expected['page']} but not its section {section} ({anchors})"


def test_filters_cover_unit_year_department_region(search_page: Page) -> None:
    filters = search_page.evaluate("""async () => {
      const pagefind = await import('./pagefind/pagefind.js');
      await pagefind.init();
      return await pagefind.filters();
    }""")
    for name in ("单位", "年度", "主管部门", "地区", "表"):
        assert filters.get(name), f"no {name} filter ({sorted(filters)})"
    assert "晋城市社会保险中心" in filters["单位"]


def test_search_by_keyboard_from_any_page(page: Page, base_url: str) -> None:
    """Type in the header search box, press Enter, Tab to the first result and follow it."""
    page.goto(base_url + "glossary/")
    page.locator("#site-search-q").focus()
    page.keyboard.type("公务接待费")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/**")
    first = page.locator(".pagefind-ui__result-link").first
    first.wait_for()
    assert page.evaluate("document.activeElement.id") == "search-input"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('pagefind-ui__result-link')"):
            break
    else:
        pytest.fail("no search result reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/(units|glossary)/.*"))
