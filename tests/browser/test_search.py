"""Search as a tested feature: the real Pagefind index, queried in Chromium through the search page.

Every committed query (tests/search_queries.yaml) must find its pages and sections; every excerpt the
page shows must be text a reader can see on the page it links to (the search aid never shows); and
the result must name the unit, the year and the table.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urljoin

import pytest
import yaml
from playwright.sync_api import Page

QUERIES = yaml.safe_load((Path(__file__).resolve().parents[1] / "search_queries.yaml").read_text(encoding="utf-8"))

# The index as the search page loads it: the first shard of pagefind/shards.json, the others merged
# (once per document: the module is cached, and merging a shard twice would double its results).
LOAD_INDEX = """() => window.testIndex = window.testIndex || (async () => {
  const shards = await (await fetch('./pagefind/shards.json')).json();
  const urls = shards.map(s => new URL('./pagefind/' + s, document.baseURI).href);
  const base = new URL('./', document.baseURI).pathname;
  const pagefind = await import(urls[0] + 'pagefind.js');
  await pagefind.options({baseUrl: base});
  await pagefind.init();
  for (const url of urls.slice(1)) await pagefind.mergeIndex(url, {baseUrl: base});
  return pagefind;
})()"""

SEARCH = """async (query) => {
  const pagefind = await (""" + LOAD_INDEX + """)();
  let found = await pagefind.search(query);
  if (!found.results.length) {  // search.js's fallback when the word splitting disagrees: one character at a time
    found = await pagefind.search(query.replace(/[\u3400-\u9fff]+/g, run => ' ' + run.split('').join(' ') + ' ').trim());
  }
  const data = await Promise.all(found.results.map(r => r.data()));
  return data.map(d => ({url: d.url, subs: d.sub_results.map(s => s.url)}));
}"""

# what the results page shows: per result its link, its group's text, and per sub-result its link,
# its text and its excerpt pieces (the <mark>s are inside and disappear with textContent)
SHOWN = """() => Array.from(document.querySelectorAll('.search-result')).map(result => ({
  href: result.querySelector('.search-result-link').href,
  group: (result.closest('.search-group').querySelector('.search-group-title') || {innerText: ''}).innerText,
  excerpts: Array.from(result.querySelectorAll(':scope > .search-excerpt')).map(e => e.textContent),
  subs: Array.from(result.querySelectorAll('.search-sub')).map(sub => ({
    href: sub.querySelector('.search-sub-link').href,
    text: sub.innerText,
    excerpts: Array.from(sub.querySelectorAll('.search-excerpt, .hit-part')).map(e => e.textContent),
  })),
}))"""

NO_SPACE = re.compile(r"\s+")


def visible_text(page: Page, url: str, cache: dict[str, str]) -> str:
    key = url.split("#", 1)[0]
    if key not in cache:
        page.goto(key)
        cache[key] = NO_SPACE.sub("", page.evaluate("document.body.innerText"))
    return cache[key]


@pytest.fixture(scope="module")
def search_page(browser, base_url: str):  # noqa: ANN001, ANN201 - fixtures from conftest
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url)
    yield page
    context.close()


@pytest.fixture(scope="module")
def reader(browser):  # noqa: ANN001, ANN201 - a second tab that opens the linked pages
    context = browser.new_context()
    yield context.new_page(), {}
    context.close()


def shown_results(page: Page, base_url: str, query: str) -> list[dict]:
    page.goto(base_url + "search/?q=" + query)
    page.wait_for_selector("#search[data-state=ready]", timeout=20_000)
    return page.evaluate(SHOWN)


def test_at_least_50_queries_of_every_kind() -> None:
    assert len(QUERIES) >= 50
    kinds = " ".join(q["kind"] for q in QUERIES)
    for kind in ("name", "code", "figure", "figure with unit", "term", "line item", "long phrase", "split differently"):
        assert kind in kinds, kind
    assert any(len(q["query"]) > 4 and "split differently" in q["kind"] for q in QUERIES)


@pytest.mark.parametrize("case", QUERIES, ids=[q["query"] for q in QUERIES])
def test_query_finds_its_pages_and_sections(search_page: Page, base_url: str, case: dict) -> None:
    if not search_page.url.rstrip("/").endswith("prefix"):
        search_page.goto(base_url)
    results = search_page.evaluate(SEARCH, re.sub(r"(\d)\s*(万元|元)", r"\1", case["query"]))
    prefix = "/" + base_url.split("/", 3)[3]
    for expected in case["expect"]:
        page = prefix + expected["page"]
        hits = [r for r in results if r["url"] == page]
        assert hits, f"{case['query']!r} does not find {expected['page']} (found {[r['url'] for r in results]})"


@pytest.mark.parametrize("case", QUERIES, ids=[q["query"] for q in QUERIES])
def test_results_page_names_unit_year_table_and_shows_only_visible_text(search_page: Page, reader: tuple, base_url: str,
                                                                       case: dict) -> None:
    shown = shown_results(search_page, base_url, case["query"])
    assert shown, f"{case['query']!r}: no results shown"
    for expected in case["expect"]:
        url = urljoin(base_url, expected["page"])
        results = [r for r in shown if r["href"] == url]
        if not results and expected["page"].startswith("units/"):
            continue  # a report beyond the first page of results; found above by the index
        assert results, f"{case['query']!r}: {expected['page']} not among the shown results {[r['href'] for r in shown]}"
        result = results[0]
        if "unit" in expected:
            assert expected["unit"] in result["group"] and expected["year"] in result["group"], result["group"]
        section = expected.get("section")
        if section:
            subs = [s for s in result["subs"] if unquote(s["href"]).endswith("#" + section)]
            assert subs, f"{case['query']!r}: no sub-result {section} ({[unquote(s['href']) for s in result['subs']]})"
            if "table" in expected:
                assert expected["table"] in subs[0]["text"], subs[0]["text"]
    page, cache = reader
    for result in shown:
        pieces = [(result["href"], text) for text in result["excerpts"]]
        pieces += [(sub["href"], text) for sub in result["subs"] for text in sub["excerpts"]]
        for href, text in pieces:
            assert NO_SPACE.sub("", text) in visible_text(page, href, cache), \
                f"{case['query']!r}: excerpt {text!r} is not visible text of {unquote(href)}"


def test_search_aid_is_never_shown(search_page: Page, base_url: str) -> None:
    """The issue's example: fragments of the aid ("训费 退休费 公务接待 务接待费") were shown as excerpts."""
    shown = shown_results(search_page, base_url, "公务接待费")
    text = search_page.locator(".search-results").inner_text()
    assert shown and "务接待费 接待" not in text and "公务接待 务接待费" not in text


def test_a_table_hit_names_table_row_column_and_figure(search_page: Page, base_url: str) -> None:
    shown_results(search_page, base_url, "9208.51万元")
    hits = search_page.locator(".search-table-hits li").all_inner_texts()
    # 晋城 2023 支出决算表, row 2080508 对机关事业单位职业年金的补助, column 本年支出合计 (content/…/expenditure.yaml)
    assert "支出决算表 · 2080508 对机关事业单位职业年金的补助 · 本年支出合计：9,208.51" in hits, hits


def test_filters_cover_unit_year_department_region(search_page: Page, base_url: str) -> None:
    search_page.goto(base_url)
    filters = search_page.evaluate("""async () => {
      const pagefind = await (""" + LOAD_INDEX + """)();
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
    first = page.locator(".search-result-link").first
    first.wait_for()
    assert page.evaluate("document.activeElement.id") == "search-input"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('search-result-link')"):
            break
    else:
        pytest.fail("no search result reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/(units|glossary)/.*"))
